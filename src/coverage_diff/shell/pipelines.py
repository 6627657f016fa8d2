"""Lists, pipelines, subshells, redirections, here-documents and functions: `a && b || c`
(walked in a loop), an external command's failure as a possible path (`if_it_fails`), `!`,
`( )`, `a | b` (each part in a child), `>`/`<`/`<<<`/`<<EOF`, function definitions and calls."""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Comparison, Condition, Frame
from .merge import kept_guards, merge_by_status, same_effect, widen
from .parse import Source
from .state import Function, State
from .syntax import (SKIPPED, and_or_split, heredoc_after_body, heredoc_chain, heredoc_layout, heredoc_line_rest,
                     heredoc_tail, inner_of, redirects_of, statements)
from .values import EMPTY, Val, concat, unknown
from .wordplan import unescape_dq, words_read


def x_program(interp, node, st):
    return interp.exec_block(statements(node, interp.caches), [st])

x_do_group = x_program


def x_compound_statement(interp, node, st):
    if node.children and node.children[0].type == "((":
        value = interp.arith_text(st, node, inner_of(node, "((", "))"))
        st.status = None if value is None else (0 if value else 1)
        return interp.errexit([st])
    return interp.exec_block(statements(node, interp.caches), [st])


def x_list(interp, node, st):
    """`a && b || c`.  tree-sitter nests the lists to the left, one level per operator; the
    levels are walked in a loop, so hundreds of `&&` on one line cost no Python stack.  The
    steps are those of running each left part as a condition (`exec_cond`) in turn."""
    levels = []  # (list, left part, operator, right part), outermost first
    while (split := and_or_split(node)) is not None:
        levels.append((node, *split))
        node = split[0]
    if not levels:
        interp.incomplete(interp.loc(st, node), "a list without `&&` or `||` not understood")
        return [st]
    states, start = None, len(levels) - 1
    for i in range(1, len(levels)):  # the inner lists are entered (a step each) down to the first command
        st.no_errexit += 1
        if interp.step(levels[i][0], st):
            states, start = [st], i - 1
            break
    if states is None:
        st.no_errexit += 1
        states = interp.exec(node, st)
    for _, left, op, right in reversed(levels[: start + 1]):
        out: list[State] = []
        for s in interp.cond_results(left, states):
            if s.flow or (s.status == 0) != (op == "&&"):
                out.append(s)  # `a || b` with a's success assumed (or `! a && b`): b runs where that fails
                out += if_it_fails(interp, s, left, lambda f, right=right: interp.exec(right, f))
            else:
                out.extend(interp.exec(right, s))
        states = out
    return states


def if_it_fails(interp, st: State, node: Node, run, against: list[State] | None = None) -> list[State]:
    """`pytest a || pytest b`, `if tool; then ...; else fallback`: `st` took an external
    command's success for granted; the path where it fails runs `run`.  Its runs are kept
    as possible (assumption: the command fails); its states only when it ran something, and
    where they differ from those in `against` (default `st`: the same state goes on to the
    same runs, already predicted for certain).  Under `!` the assumed status is 1 and the
    other one 0."""
    if st.flow or st.status is None or not st.status_assumed:
        return []
    before = (len(interp.rec.runs), len(interp.rec.scripts), len(interp.rec.missing))
    failed = st.fork()
    failed.status, failed.status_assumed = (1 if st.status == 0 else 0), False
    text = interp.text(node)
    outcome = failed.status == 0
    cond = interp.condition(Condition(interp.loc(st, node), text, (), outcome, Comparison("", reads=words_read(node, interp.caches))))  # a path this job may take
    failed.assumptions += (interp.assumption(cond, f"`{text}` {'succeeds' if outcome else 'fails'}"),)
    results = run(failed)
    others = [st] if against is None else against
    if (len(interp.rec.runs), len(interp.rec.scripts), len(interp.rec.missing)) == before:
        # A fallback that runs nothing is not a path of its own (in a loop its states would
        # double per pass): one that ends the shell (`|| exit 1`) leaves the assumed success
        # going on, one that only sets variables (`|| LOCAL_FAILED=$?`, `|| F=1`) makes them
        # unknown on the paths that go on, which stand for both outcomes.
        for r in results:
            if not r.flow:
                for o in others:
                    widen(o, r, f"`{text}` {'succeeds' if outcome else 'fails'}")
        return []
    return [r for r in results if r.flow or not any(same_effect(r, o) for o in others)]


def x_negated_command(interp, node, st):
    out = []
    for s in interp.exec_cond(node.named_children[0], st):
        if not s.flow:
            s.status = 0 if s.status else 1
        out.append(s)
    return out


def subshell(interp, st: State, run) -> list[State]:
    """Run `run(child)` in a copy of `st`; only status and assumptions come back."""
    child = st.fork()
    finals = merge_by_status(run(child), st)
    out = []
    for f in finals:
        back = st.fork()
        back.status, back.status_assumed = f.status, f.status_assumed
        back.assumptions = f.assumptions
        back.made_dirs = st.made_dirs | f.made_dirs  # directories a subshell made stay made
        if st.capture is not None:  # a subshell writes to the same stdout: `$(a | b)`, `$( (a) )`
            back.capture = list(f.capture) if f.capture is not None else None
        out.append(back)
    return out or [st]


def x_subshell(interp, node, st):
    def body(child):
        res = interp.exec_block(statements(node, interp.caches), [child])
        for r in res:
            r.flow = None
        return res

    return interp.errexit(subshell(interp, st, body))


def x_pipeline(interp, node, st):
    parts = [c for c in node.named_children if c.type not in SKIPPED]
    stdin = st.stdin
    failed: int | None = 0  # with pipefail: the status of the rightmost failing part before the last
    for part in parts[:-1]:
        child = st.fork()
        child.capture, child.stdin = [], stdin
        finals = interp.exec(part, child)
        stdin = [concat(finals[0].capture)] if len(finals) == 1 and finals[0].capture is not None else None
        statuses = {f.status for f in finals}
        status = statuses.pop() if len(statuses) == 1 else None
        failed = None if status is None else (status or failed)

    out = subshell(interp, st, _last_part(interp, parts[-1], stdin))
    if st.pipefail:
        for s in out:
            if s.status == 0 and failed != 0:
                s.status = failed
    return interp.errexit(out)


def _last_part(interp, part: Node, stdin):
    """The run of a pipeline's last part, in its own subshell: it reads what the part before
    wrote, and a `return`/`break` inside it ends only that subshell."""
    def run(child):
        child.stdin = stdin
        res = interp.exec(part, child)
        for r in res:
            r.flow = None
        return res
    return run


def x_redirected_statement(interp, node, st):
    tail = heredoc_tail(node, interp.caches)
    if tail is not None:
        return heredoc_pipeline(interp, node, st, tail)
    chain = heredoc_chain(node, interp.caches)
    if chain is not None:
        return run_heredoc_chain(interp, node, st, chain)
    return redirected(interp, node, st)


def run_text(interp, source: Source, states: list[State]) -> list[State]:
    """Shell text found outside the tree (tree-sitter misread it) run in the current states."""
    out = []
    for s in states:
        if s.flow:
            out.append(s)
            continue
        saved, s.source = s.source, source
        for r in interp.run_program(source, [s]):
            r.source = saved
            out.append(r)
    return out


def run_heredoc_chain(interp, node: Node, st: State, chain: list[tuple[str, Node]] | None) -> list[State]:
    """`cat <<EOF && a || b`: tree-sitter hangs what follows the marker on the here-document;
    bash runs it as the rest of an and-or list, left to right."""
    if not chain:
        interp.incomplete(interp.loc(st, node), "command after a here-document marker not followed", cut=True)
        # what follows is read as tree-sitter misreads it: every later run is only possible
        first = interp.text(node).split("\n", 1)[0]
        misread = Condition(interp.loc(st, node), first, (), True)
        st.assumptions += (interp.assumption(misread, "the lines after this here-document are read as written"),)
        states = redirected(interp, node, st)
        # the rest of the marker's line (`<<A; pytest mid`) runs after the here-document's command,
        # and the lines after the delimiter that tree-sitter took into the body run after that
        row = node.start_point[0] + st.source.line_offset
        for text, offset in ((heredoc_line_rest(first), row), heredoc_after_body(node, interp.text(node), row)):
            if text:
                states = run_text(interp, Source(st.source.path, text, offset, ""), states)
        return states
    states = interp.exec_cond(node, st, interp.redirected)
    for i, (op, part) in enumerate(chain):
        out = []
        for s in states:
            if s.flow or (s.status == 0) != (op == "&&"):
                out.append(s)
            elif i == len(chain) - 1:
                out.extend(interp.exec(part, s))
            else:
                out.extend(interp.exec_cond(part, s))
        states = out
    return states


def redirected(interp, node: Node, st: State) -> list[State]:
    body = node.child_by_field_name("body")
    saved_stdin, saved_capture = st.stdin, st.capture
    for redirect in redirects_of(node, interp.caches):
        apply_redirect(interp, redirect, st)
    if body is None:
        return [st]
    results = interp.exec(body, st)
    for r in results:
        r.stdin = saved_stdin
        if saved_capture is not None and r.capture is None:
            r.capture = saved_capture
    return results


def heredoc_pipeline(interp, node: Node, st: State, tail: Node) -> list[State]:
    """`cat <<EOF | while read ...`: tree-sitter hangs the pipe's rest on the here-doc."""
    body = node.child_by_field_name("body")
    child = st.fork()
    child.capture = []
    for redirect in redirects_of(node, interp.caches):
        apply_redirect(interp, redirect, child)
    finals = interp.exec(body, child) if body is not None else [child]
    stdin = [concat(finals[0].capture)] if len(finals) == 1 and finals[0].capture is not None else None
    parts = [c for c in tail.named_children if c.type not in SKIPPED]
    for part in parts[:-1]:
        child = st.fork()
        child.capture, child.stdin = [], stdin
        finals = interp.exec(part, child)
        stdin = [concat(finals[0].capture)] if len(finals) == 1 and finals[0].capture is not None else None

    return interp.errexit(subshell(interp, st, _last_part(interp, parts[-1], stdin))) if parts else [st]


def apply_redirect(interp, redirect: Node, st: State) -> None:
    t = redirect.type
    if t == "herestring_redirect":
        value = interp.expand_string(redirect.named_children[-1], st) if redirect.named_children else EMPTY
        st.stdin = [concat([value, Val("\n")])]
    elif t == "heredoc_redirect":
        st.stdin = [heredoc(interp, redirect, st)]
    elif t == "file_redirect":
        op = next((c.type for c in redirect.children if not c.is_named), "")
        dest = redirect.child_by_field_name("destination")
        if op == "<" and dest is not None:
            target = interp.expand_string(dest, st)
            path = interp.repo_path(target.text, st.cwd) if target.known else None
            st.stdin = [Val(interp.snapshot.text(path))] if path and interp.snapshot.exists(path) else None
        elif op in (">", ">>", "&>", "&>>", ">|") or (op == ">&" and interp.text(dest or redirect) != "1"):
            descriptor = redirect.child_by_field_name("descriptor")
            if descriptor is None or interp.text(descriptor) == "1" or op.startswith("&"):
                st.capture = None
            target = interp.expand_string(dest, st) if dest is not None else EMPTY
            if not target.known or interp.repo_path(target.text, st.cwd) is not None:
                interp.written = True  # `> tests/data.txt` makes that file


def heredoc(interp, redirect: Node, st: State) -> Val:
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
    if body is None:
        return EMPTY
    quoted = start is not None and any(q in interp.text(start) for q in "'\"\\")
    lead = heredoc_layout(redirect, interp.caches)[1]
    if lead is None or (not quoted and ("$" in lead or "`" in lead)):
        interp.incomplete(interp.loc(st, redirect), "here-document tree-sitter does not read whole: its text is unknown")
        return unknown("<here-document>")
    if quoted:
        value = Val(lead + interp.text(body))
    else:
        value = concat([Val(unescape_dq(lead, heredoc=True)),
                        *interp.quoted_pieces(body, st, body.start_byte, body.end_byte, heredoc=True)])
    if any(c.type == "<<-" for c in redirect.children):  # `<<-`: leading tabs go from every line
        value = value.with_text(re.sub(r"(?m)^\t+", "", value.text)) if value.known else value
    return value


def x_function_definition(interp, node, st):
    name = interp.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    if body is not None:
        st.funcs[name] = Function(name, body, st.source)
    st.status = 0
    return [st]


def call_function(interp, st: State, fn: Function, args: list[Val], node: Node) -> list[State]:
    location = interp.loc(st, node)
    if st.depth >= interp.settings.max_depth:
        interp.incomplete(location, f"call depth limit ({interp.settings.max_depth}) reached: {fn.name} not followed", cut=True)
        st.status = 0
        return [st]
    saved = (st.positional, st.source, st.frames, st.chain_entries)
    st.positional = tuple(args)
    st.source = fn.source
    st.frames = st.frames + (Frame("function", location, fn.name),)
    st.chain_entries = st.chain_entries + tuple(v.entry for v in args if v.entry is not None)
    st.locals.append({})
    st.depth += 1
    results = interp.exec(fn.body, st)
    for r in results:
        r.depth -= 1
        for name, old in r.locals.pop().items():
            r.bind(name, old)
        r.positional, r.source, r.chain_entries = saved[0], saved[1], saved[3]
        r.frames = kept_guards(saved[2], r.frames)
        if r.flow and r.flow.kind == "return":
            r.flow = None
    return results
