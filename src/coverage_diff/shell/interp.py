"""The abstract interpreter: runs a job's commands (and the repository scripts
they reach) without executing anything, collecting the leaf commands as Runs.

Each statement maps a `State` to a list of States: more than one when a
condition on an unknown value forks the path (each fork records the Assumption
it made).  Runs go to a shared `Recorder` the moment they happen.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from dataclasses import dataclass, field

from tree_sitter import Node

from .. import deadline
from ..config import Settings
from ..model import Assumption, Condition, Diagnostic, Frame, Incomplete, Job, Location, Run
from ..snapshot import Snapshot, normalize
from . import calls, conditions, declarations, expansion, parameters, patterns, simple_commands, variables
from .definitions import FileScan, config_names, config_scalars, scan_file, static_source_path
from .merge import distinct, havoc, join, kept_guards, loop_fingerprint, merge_by_status, same_effect, widen
from .outcome import JobOutcome, ScriptCall
from .parse import Source, parse_errors, parse_source, unreadable_region
from .paths import repo_path
from .state import Flow, Function, State, Var
from .syntax import (SKIPPED, STATEMENTS, UNCHECKED, CaseArm, CaseArms, and_or_split, case_arms, heredoc_after_body,
                     heredoc_chain, heredoc_layout, heredoc_line_rest, heredoc_tail, if_clauses, inner_of, node_text,
                     redirects_of, statements)
from .values import EMPTY, Val, concat, unknown
from .wordplan import simple_var, unescape_dq, word_plan

@dataclass
class Recorder:
    runs: list[Run] = field(default_factory=list)
    scripts: list[ScriptCall] = field(default_factory=list)
    conditions: dict[Condition, None] = field(default_factory=dict)
    reads: set[str] = field(default_factory=set)
    incomplete: dict[Incomplete, None] = field(default_factory=dict)
    diagnostics: dict[Diagnostic, None] = field(default_factory=dict)
    missing: dict[tuple[Location, str], None] = field(default_factory=dict)


class Interpreter:
    def __init__(self, snapshot: Snapshot, settings: Settings, *, open_world: bool = False, job_id: str = "", platform: str = ""):
        self.snapshot = snapshot
        self.settings = settings
        self.open_world = open_world
        self.job_id = job_id
        self.platform = platform
        self.rec = Recorder()
        self.steps = 0
        self.stopped = False
        self.clock_at = CLOCK_STEPS  # when `step` next looks at the wall-clock budget
        self._scans: dict[str, FileScan | None] = {}
        self._names: dict[str, frozenset[str]] = {}
        self._scalars: dict[str, dict[str, str]] = {}
        self._arms_recorded: dict[tuple, int] = {}  # `arms_not_matched`: conditions already recorded
        self._canonical: dict[tuple[str, str], str] = {}
        self.setup = settings.leaf_setup

    # ------------------------------------------------------------------ entry points
    def initial_state(self, env, unknown_env=(), cwd: str = "") -> State:
        st = State(vars={}, cwd=normalize(cwd), source=Source("<job>", ""), script="bash")
        for name in self.settings.ambient:
            st.vars[name] = Var({0: unknown(f"${name}", frozenset({name}))}, exported=True, from_env=True)
        for name, value in env:
            val = unknown(f"${name}", frozenset({name})) if self.open_world else Val(value, sources=frozenset({name}))
            st.vars[name] = Var({0: val}, exported=True, from_env=True)
        for name in unknown_env:
            st.vars[name] = Var({0: unknown(f"${name}", frozenset({name}))}, exported=True, from_env=True)
        st.touched = set()
        return st

    def run_job(self, job: Job) -> JobOutcome:
        st = self.initial_state(job.env, job.unknown_env, job.working_dir)
        st.errexit = job.errexit
        st.frames = (Frame("job", job.location, job.display),)
        sources = [Source(c.location.path, c.text, max(c.location.line - 1, 0), lines=c.lines) for c in job.commands]
        scans = [self._scan_source(s) for s in sources]
        st.config_names = config_names(scans)
        st.config_scalars = config_scalars(scans, st.config_names)
        states = [st]
        for command, source in zip(job.commands, sources):
            live = [s for s in states if not s.flow]
            if not live:
                break
            for s in live:
                s.source = source
                s.frames = (st.frames[0], Frame("command", command.location, command.text))
            states = [s for s in states if s.flow] + self.run_program(source, live)
            for s in states:
                if s.flow and s.flow.kind in ("return", "break", "continue"):
                    s.flow = None
        return self.outcome()

    def run_script(self, path: str, env, cwd: str, args: tuple[str, ...]) -> JobOutcome:
        st = self.initial_state(env, (), cwd)
        st.source = Source("<call>", f"bash {path}")
        location = Location(path, 0)
        self.call_script(st, normalize(path), path, [Val(a) for a in args], [], location, errexit=False)
        return self.outcome()

    def outcome(self) -> JobOutcome:
        r = self.rec
        return JobOutcome(
            runs=tuple(r.runs),
            scripts=tuple(r.scripts),
            conditions=tuple(r.conditions),
            reads=tuple(sorted(r.reads)),
            incomplete=tuple(r.incomplete),
            diagnostics=tuple(r.diagnostics),
            missing_scripts=tuple(r.missing),
            steps=self.steps,
        )

    # ------------------------------------------------------------------ bookkeeping
    def incomplete(self, location: Location, reason: str, cut: bool = False) -> None:
        """A place where precision was lost; `cut`: what lies beyond it was not analysed at all."""
        self.rec.incomplete.setdefault(Incomplete(location, reason, cut), None)

    def loc(self, st: State, node: Node) -> Location:
        return st.source.location(node)

    def text(self, node: Node) -> str:
        return node_text(node)

    def cap(self, states: list[State], st_for_loc: State | None, node: Node | None) -> list[State]:
        limit = self.settings.max_paths
        if len(states) <= limit:
            return states
        if st_for_loc is not None and node is not None:
            self.incomplete(self.loc(st_for_loc, node), f"more than {limit} paths: the rest were not explored", cut=True)
        # Keep an even sample: the list is ordered by earlier forks, so a prefix would
        # keep only the first branch of the first unknown condition.
        step = len(states) / limit
        return [states[int(i * step)] for i in range(limit)]

    def _scan_source(self, source: Source) -> FileScan:
        scan = scan_file(source)
        for d in scan.diagnostics:
            self.rec.diagnostics.setdefault(d, None)
        return scan

    def load(self, path: str) -> Source | None:
        """The text of a repository script, or None (with a diagnostic) when unreadable."""
        try:
            entry = self.snapshot.entry(path)
            data = self.snapshot.read(path)
        except (KeyError, OSError) as exc:
            self.rec.diagnostics.setdefault(Diagnostic(Location(path), f"cannot read script: {exc}"), None)
            return None
        problem = None
        if len(data) > self.settings.max_file_bytes:
            problem = f"script too large to analyse ({len(data)} bytes, max-file-bytes is {self.settings.max_file_bytes})"
        elif b"\0" in data[:8192]:  # tree-sitter would make commands of the bytes
            problem = "binary file (NUL bytes), not a shell script; not analysed"
        if problem:
            self.rec.diagnostics.setdefault(Diagnostic(Location(path, 1), problem), None)
            self.incomplete(Location(path, 1), problem)
            return None
        return Source(path, self.snapshot.text(path), 0, entry.blob if entry else "")

    def scan_path(self, path: str) -> FileScan | None:
        if path not in self._scans:
            source = self.load(path) if self.snapshot.exists(path) else None
            self._scans[path] = self._scan_source(source) if source else None
        return self._scans[path]

    def config_names_for(self, path: str) -> frozenset[str]:
        if path not in self._names:
            self._names[path] = config_names(file_set_scans(self, path))
        return self._names[path]

    def config_scalars_for(self, path: str) -> dict[str, str]:
        if path not in self._scalars:
            self._scalars[path] = config_scalars(file_set_scans(self, path), self.config_names_for(path))
        return self._scalars[path]

    # ------------------------------------------------------------------ execution
    def run_program(self, source: Source, states: list[State]) -> list[State]:
        tree = parse_source(source)
        for d in parse_errors(tree, source):
            self.rec.diagnostics.setdefault(d, None)
        for node in statements(tree.root_node):
            states = self.exec_block([node], states)
            for s in states:  # `set -u` and `${#unset[@]}`: bash drops the rest of this top-level command only
                if s.flow and s.flow.kind == "discard":
                    s.flow, s.status = None, 1
                    self.errexit([s])
        return states

    def exec_block(self, nodes: list[Node], states: list[State]) -> list[State]:
        for node in nodes:
            nxt: list[State] = []
            for st in states:
                if st.flow:
                    nxt.append(st)
                else:
                    nxt.extend(self.exec(node, st))
            states = self.cap(nxt, states[0] if states else None, node) if len(nxt) > self.settings.max_paths else nxt
        return states

    def exec(self, node: Node, st: State) -> list[State]:
        if self.step(node, st):
            return [st]
        handler = HANDLERS.get(node.type)
        if handler is None:
            if node.type == "ERROR":
                self.incomplete(self.loc(st, node), unreadable_region(node, st.source), cut=True)
                return self.exec_block([c for c in node.named_children if c.type in STATEMENTS], [st])
            self.incomplete(self.loc(st, node), f"unsupported shell construct {node.type!r}")
            return [st]
        return handler(self, node, st)

    def step(self, node: Node, st: State) -> bool:
        """Count a step at `node`; past the step limit, or once the revision's wall-clock
        budget has run out (looked at every CLOCK_STEPS steps), `st` exits and True is
        returned."""
        self.steps += 1
        if self.steps > self.settings.max_steps or self.stopped:
            if not self.stopped:
                self.stopped = True
                self.incomplete(self.loc(st, node), f"step limit ({self.settings.max_steps}) reached: interpretation stopped",
                                cut=True)
            st.flow = Flow("exit")
            return True
        if self.steps >= self.clock_at:
            self.clock_at = self.steps + CLOCK_STEPS
            if deadline.expired():
                self.stopped = True
                self.incomplete(self.loc(st, node), deadline.current().reason("interpretation stopped"), cut=True)
                st.flow = Flow("exit")
                return True
        st.status_assumed = False
        return False

    def x_program(self, node, st):
        return self.exec_block(statements(node), [st])

    x_do_group = x_program

    def x_compound_statement(self, node, st):
        if node.children and node.children[0].type == "((":
            value = self.arith_text(st, node, inner_of(node, "((", "))"))
            st.status = None if value is None else (0 if value else 1)
            return self.errexit([st])
        return self.exec_block(statements(node), [st])

    def errexit(self, states: list[State]) -> list[State]:
        for st in states:
            if st.errexit and not st.no_errexit and not st.flow and st.status not in (0, None):
                st.flow = Flow("exit")
        return states

    def exec_cond(self, node: Node, st: State, run=None) -> list[State]:
        """Run a condition (`set -e` off); an unknown status forks both ways."""
        st.no_errexit += 1
        return self.cond_results(node, (run or self.exec)(node, st))

    def cond_results(self, node: Node, results: list[State]) -> list[State]:
        """The states after condition `node` ran: `set -e` back on, an unknown status forked."""
        out = []
        for r in results:
            r.no_errexit -= 1
            if r.status is None and not r.flow:
                text = self.text(node)
                cond_t = Condition(self.loc(r, node), text, (), True)
                other = r.fork()
                r.status = 0
                r.assumptions += (Assumption(cond_t, f"`{text}` succeeds"),)
                other.status = 1
                other.assumptions += (Assumption(Condition(cond_t.location, text, (), False), f"`{text}` fails"),)
                out += [r, other]
            else:
                out.append(r)
        return out

    # -- lists, pipelines, subshells --------------------------------------------------
    def x_list(self, node, st):
        """`a && b || c`.  tree-sitter nests the lists to the left, one level per operator; the
        levels are walked in a loop, so hundreds of `&&` on one line cost no Python stack.  The
        steps are those of running each left part as a condition (`exec_cond`) in turn."""
        levels = []  # (list, left part, operator, right part), outermost first
        while (split := and_or_split(node)) is not None:
            levels.append((node, *split))
            node = split[0]
        if not levels:
            self.incomplete(self.loc(st, node), "a list without `&&` or `||` not understood")
            return [st]
        states, start = None, len(levels) - 1
        for i in range(1, len(levels)):  # the inner lists are entered (a step each) down to the first command
            st.no_errexit += 1
            if self.step(levels[i][0], st):
                states, start = [st], i - 1
                break
        if states is None:
            st.no_errexit += 1
            states = self.exec(node, st)
        for _, left, op, right in reversed(levels[: start + 1]):
            out: list[State] = []
            for s in self.cond_results(left, states):
                if s.flow or (s.status == 0) != (op == "&&"):
                    out.append(s)  # `a || b` with a's success assumed (or `! a && b`): b runs where that fails
                    out += self.if_it_fails(s, left, lambda f, right=right: self.exec(right, f))
                else:
                    out.extend(self.exec(right, s))
            states = out
        return states

    def if_it_fails(self, st: State, node: Node, run, against: list[State] | None = None) -> list[State]:
        """`pytest a || pytest b`, `if tool; then ...; else fallback`: `st` took an external
        command's success for granted; the path where it fails runs `run`.  Its runs are kept
        as possible (assumption: the command fails); its states only when it ran something, and
        where they differ from those in `against` (default `st`: the same state goes on to the
        same runs, already predicted for certain).  Under `!` the assumed status is 1 and the
        other one 0."""
        if st.flow or st.status is None or not st.status_assumed:
            return []
        before = (len(self.rec.runs), len(self.rec.scripts), len(self.rec.missing))
        failed = st.fork()
        failed.status, failed.status_assumed = (1 if st.status == 0 else 0), False
        text = self.text(node)
        outcome = failed.status == 0
        failed.assumptions += (Assumption(Condition(self.loc(st, node), text, (), outcome),
                                          f"`{text}` {'succeeds' if outcome else 'fails'}"),)
        results = run(failed)
        others = [st] if against is None else against
        if (len(self.rec.runs), len(self.rec.scripts), len(self.rec.missing)) == before:
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

    def x_negated_command(self, node, st):
        out = []
        for s in self.exec_cond(node.named_children[0], st):
            if not s.flow:
                s.status = 0 if s.status else 1
            out.append(s)
        return out

    def subshell(self, st: State, run) -> list[State]:
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

    def x_subshell(self, node, st):
        def body(child):
            res = self.exec_block(statements(node), [child])
            for r in res:
                r.flow = None
            return res

        return self.errexit(self.subshell(st, body))

    def x_pipeline(self, node, st):
        parts = [c for c in node.named_children if c.type not in SKIPPED]
        stdin = st.stdin
        failed: int | None = 0  # with pipefail: the status of the rightmost failing part before the last
        for part in parts[:-1]:
            child = st.fork()
            child.capture, child.stdin = [], stdin
            finals = self.exec(part, child)
            stdin = [concat(finals[0].capture)] if len(finals) == 1 and finals[0].capture is not None else None
            statuses = {f.status for f in finals}
            status = statuses.pop() if len(statuses) == 1 else None
            failed = None if status is None else (status or failed)

        def last(child):
            child.stdin = stdin
            res = self.exec(parts[-1], child)
            for r in res:
                r.flow = None
            return res

        out = self.subshell(st, last)
        if st.pipefail:
            for s in out:
                if s.status == 0 and failed != 0:
                    s.status = failed
        return self.errexit(out)

    def x_redirected_statement(self, node, st):
        tail = heredoc_tail(node)
        if tail is not None:
            return self.heredoc_pipeline(node, st, tail)
        chain = heredoc_chain(node)
        if chain is not None:
            return self.run_heredoc_chain(node, st, chain)
        return self.redirected(node, st)

    def run_text(self, source: Source, states: list[State]) -> list[State]:
        """Shell text found outside the tree (tree-sitter misread it) run in the current states."""
        out = []
        for s in states:
            if s.flow:
                out.append(s)
                continue
            saved, s.source = s.source, source
            for r in self.run_program(source, [s]):
                r.source = saved
                out.append(r)
        return out

    def run_heredoc_chain(self, node: Node, st: State, chain: list[tuple[str, Node]] | None) -> list[State]:
        """`cat <<EOF && a || b`: tree-sitter hangs what follows the marker on the here-document;
        bash runs it as the rest of an and-or list, left to right."""
        if not chain:
            self.incomplete(self.loc(st, node), "command after a here-document marker not followed", cut=True)
            # what follows is read as tree-sitter misreads it: every later run is only possible
            first = self.text(node).split("\n", 1)[0]
            misread = Condition(self.loc(st, node), first, (), True)
            st.assumptions += (Assumption(misread, "the lines after this here-document are read as written"),)
            states = self.redirected(node, st)
            # the rest of the marker's line (`<<A; pytest mid`) runs after the here-document's command,
            # and the lines after the delimiter that tree-sitter took into the body run after that
            row = node.start_point[0] + st.source.line_offset
            for text, offset in ((heredoc_line_rest(first), row), heredoc_after_body(node, self.text(node), row)):
                if text:
                    states = self.run_text(Source(st.source.path, text, offset, ""), states)
            return states
        states = self.exec_cond(node, st, self.redirected)
        for i, (op, part) in enumerate(chain):
            out = []
            for s in states:
                if s.flow or (s.status == 0) != (op == "&&"):
                    out.append(s)
                elif i == len(chain) - 1:
                    out.extend(self.exec(part, s))
                else:
                    out.extend(self.exec_cond(part, s))
            states = out
        return states

    def redirected(self, node: Node, st: State) -> list[State]:
        body = node.child_by_field_name("body")
        saved_stdin, saved_capture = st.stdin, st.capture
        for redirect in redirects_of(node):
            self.apply_redirect(redirect, st)
        if body is None:
            return [st]
        results = self.exec(body, st)
        for r in results:
            r.stdin = saved_stdin
            if saved_capture is not None and r.capture is None:
                r.capture = saved_capture
        return results

    def heredoc_pipeline(self, node: Node, st: State, tail: Node) -> list[State]:
        """`cat <<EOF | while read ...`: tree-sitter hangs the pipe's rest on the here-doc."""
        body = node.child_by_field_name("body")
        child = st.fork()
        child.capture = []
        for redirect in redirects_of(node):
            self.apply_redirect(redirect, child)
        finals = self.exec(body, child) if body is not None else [child]
        stdin = [concat(finals[0].capture)] if len(finals) == 1 and finals[0].capture is not None else None
        parts = [c for c in tail.named_children if c.type not in SKIPPED]
        for part in parts[:-1]:
            child = st.fork()
            child.capture, child.stdin = [], stdin
            finals = self.exec(part, child)
            stdin = [concat(finals[0].capture)] if len(finals) == 1 and finals[0].capture is not None else None

        def last(child):
            child.stdin = stdin
            res = self.exec(parts[-1], child)
            for r in res:
                r.flow = None
            return res

        return self.errexit(self.subshell(st, last)) if parts else [st]

    def apply_redirect(self, redirect: Node, st: State) -> None:
        t = redirect.type
        if t == "herestring_redirect":
            value = self.expand_string(redirect.named_children[-1], st) if redirect.named_children else EMPTY
            st.stdin = [concat([value, Val("\n")])]
        elif t == "heredoc_redirect":
            st.stdin = [self.heredoc(redirect, st)]
        elif t == "file_redirect":
            op = next((c.type for c in redirect.children if not c.is_named), "")
            dest = redirect.child_by_field_name("destination")
            if op == "<" and dest is not None:
                target = self.expand_string(dest, st)
                path = self.repo_path(target.text, st.cwd) if target.known else None
                st.stdin = [Val(self.snapshot.text(path))] if path and self.snapshot.exists(path) else None
            elif op in (">", ">>", "&>", "&>>", ">|") or (op == ">&" and self.text(dest or redirect) != "1"):
                descriptor = redirect.child_by_field_name("descriptor")
                if descriptor is None or self.text(descriptor) == "1" or op.startswith("&"):
                    st.capture = None

    def heredoc(self, redirect: Node, st: State) -> Val:
        start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
        body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
        if body is None:
            return EMPTY
        quoted = start is not None and any(q in self.text(start) for q in "'\"\\")
        lead = heredoc_layout(redirect)[1]
        if lead is None or (not quoted and ("$" in lead or "`" in lead)):
            self.incomplete(self.loc(st, redirect), "here-document tree-sitter does not read whole: its text is unknown")
            return unknown("<here-document>")
        if quoted:
            value = Val(lead + self.text(body))
        else:
            value = concat([Val(unescape_dq(lead, heredoc=True)),
                            *self.quoted_pieces(body, st, body.start_byte, body.end_byte, heredoc=True)])
        if any(c.type == "<<-" for c in redirect.children):  # `<<-`: leading tabs go from every line
            value = value.with_text(re.sub(r"(?m)^\t+", "", value.text)) if value.known else value
        return value

    # -- if / case / loops ---------------------------------------------------------------
    def x_if_statement(self, node, st):
        frames = st.frames
        clauses = if_clauses(node)
        out: list[State] = []
        pending = [st]
        for cond, body in clauses:
            nxt = []
            for s in pending:
                if cond is None:
                    out.extend(self.exec_block(body, [s]))
                    continue
                for c in self.exec_conds(cond, s):
                    if c.flow:
                        out.append(c)
                    elif c.status == 0:
                        seed = c.fork() if c.status_assumed else None  # the path where the tool fails, if any
                        taken = self.exec_block(body, [c])
                        out.extend(taken)
                        if seed is not None:
                            later = clauses[clauses.index((cond, body)) + 1:]
                            out.extend(self.if_it_fails(seed, cond[-1], lambda f: self.if_rest(later, f), taken))
                    else:
                        if c.status_assumed:  # `if ! tool; then ...`: if the tool fails, the body runs
                            out.extend(self.if_it_fails(c, cond[-1], lambda f, b=body: self.exec_block(b, [f]), [c]))
                        nxt.append(c)
            pending = nxt
        for s in pending:
            s.status = 0
        out += pending
        for s in out:
            s.frames = kept_guards(frames, s.frames)
        return self.cap(join(out) if len(out) > 1 else out, st, node)

    def if_rest(self, clauses, st: State) -> list[State]:
        """The rest of an `if` after a condition failed: the next elif / else, or nothing."""
        for cond, body in clauses:
            if cond is None:
                return self.exec_block(body, [st])
            out, pending = [], []
            for c in self.exec_conds(cond, st):
                (out if c.flow else pending if c.status else out).append(c)
            if not pending and all(c.flow for c in out):
                return out
            later = clauses[clauses.index((cond, body)) + 1:]
            done = [r for c in out if not c.flow for r in self.exec_block(body, [c])] + [c for c in out if c.flow]
            return done + [r for c in pending for r in self.if_rest(later, c)]
        st.status = 0
        return [st]

    def exec_conds(self, nodes: list[Node], st: State) -> list[State]:
        states = [st]
        for node in nodes:
            nxt = []
            for s in states:
                nxt.extend([s] if s.flow else self.exec_cond(node, s))
            states = nxt
        return states

    def x_case_statement(self, node, st):
        frames = st.frames
        value_node = node.child_by_field_name("value")
        subject = self.expand_string(value_node, st) if value_node is not None else EMPTY
        arms = case_arms(node)
        out: list[State] = []
        pending = [(st, False)]  # (state, run this arm's body without testing: fall-through)
        i, cut = 0, False
        while i < len(arms.arms):
            if subject.known and len(pending) == 1 and not pending[0][1]:
                # One state and a value known statically: go straight to the arm it matches.
                j, matched = self.first_arm(arms, i, subject, pending[0][0], node, value_node)
                if j >= len(arms.arms):
                    break
                i = j
                if matched:
                    pending = [(pending[0][0], True)]  # the arm is known to match: run its body
            arm = arms.arms[i]
            nxt: list[tuple[State, bool]] = []
            for s, forced in pending:
                if forced:
                    branches = [(s, True)]
                elif cut:
                    branches = [(s, False)]
                else:
                    branches = self.case_match(s, arm, subject, value_node)
                for b, matched in branches:
                    if not matched:
                        nxt.append((b, False))
                        continue
                    for r in self.exec_block(list(arm.body), [b]):
                        if r.flow:
                            out.append(r)
                        elif arm.term == ";&":
                            nxt.append((r, True))
                        elif arm.term == ";;&":
                            nxt.append((r, False))
                        else:
                            out.append(r)
            pending = nxt
            i += 1
            if not cut and len(out) > 2 * self.settings.max_paths and i < len(arms.arms):
                # A value not known statically may match any arm: past this many paths the
                # prefixes of "does not match" that each one carries would grow quadratically.
                cut = True
                self.incomplete(self.loc(st, arms.arms[i].item),
                                f"case with more than {2 * self.settings.max_paths} paths: the arms from here on were not followed",
                                cut=True)
        for s, _ in pending:
            out.append(s)
        for s in out:
            s.frames = kept_guards(frames, s.frames)
            if not s.flow and s.status is None:
                s.status = 0
        return self.cap(join(out) if len(out) > 1 else out, st, node)

    def first_arm(self, arms: "CaseArms", start: int, subject: Val, st: State, node: Node, value_node) -> tuple[int, bool]:
        """From arm `start` on, the first arm a known value matches, through the index of the
        arms' literal patterns (a loop passing a case of thousands of arms does not test each in
        turn).  Returns (its index, True); or (index, False) for an arm whose patterns depend on
        the state, tested as usual; or (number of arms, False) when none matches.  The arms
        passed over did not match: their conditions are recorded, once per place."""
        extglob = "extglob" in st.globopts
        literal, ordered = self.case_index(arms, st, extglob)
        hits = literal.get(subject.text, ())
        k = bisect.bisect_left(hits, start)
        found, matched = (hits[k], True) if k < len(hits) else (len(arms.arms), False)
        for j in ordered[bisect.bisect_left(ordered, start):]:
            if j >= found:
                break
            arm = arms.arms[j]
            if arm.pieces is None:
                found, matched = j, False
                break
            self.steps += 1  # a pattern tested: work the step limit bounds
            if any(patterns.matches_compiled(subject.text, tokens) for tokens in arm.compiled(extglob)):
                found, matched = j, True
                break
        if found > start:
            self.arms_not_matched(arms, start, found, subject, st, node, value_node)
            st.status = 0  # (a case no arm of which matches returns 0)
        if matched:
            arm = arms.arms[found]
            cond = Condition(self.loc(st, arm.item), arm.condition_text(value_node), tuple(sorted(subject.sources)), True)
            self.rec.conditions.setdefault(cond, None)
            self.pass_guard(st, cond)
            st.status = 0
        return found, matched

    def arms_not_matched(self, arms: "CaseArms", start: int, end: int, subject: Val, st: State, node: Node, value_node) -> None:
        """Record that arms start..end-1 (static patterns) did not match a known value.  With a
        value known statically, only the arm taken joins the path (`pass_guard`): it implies
        the others did not match, and a loop passing thousands of arms keeps one frame a pass."""
        variables = tuple(sorted(subject.sources))
        key = (node.id, self.loc(st, node), variables, start)
        done = self._arms_recorded.get(key, start)
        for j in range(done, end):
            arm = arms.arms[j]
            self.rec.conditions.setdefault(Condition(self.loc(st, arm.item), arm.condition_text(value_node), variables, False), None)
        self._arms_recorded[key] = max(done, end)

    def case_index(self, arms: "CaseArms", st: State, extglob: bool) -> tuple[dict[str, list[int]], list[int]]:
        """(literal text -> the arms with a pattern that matches exactly it, the arms tested in
        order: a glob or a pattern that depends on the state), made once per case and extglob."""
        found = arms.index.get(extglob)
        if found is not None:
            return found
        literal: dict[str, list[int]] = {}
        ordered: list[int] = []
        for i, arm in enumerate(arms.arms):
            if arm.pieces is UNCHECKED:
                arm.pieces = self.static_patterns(arm, st)
            if arm.pieces is None:
                ordered.append(i)
                continue
            glob = False
            for pattern in arm.pieces:
                text = patterns.literal_text(pattern, extglob=extglob)
                if text is None:
                    glob = True
                elif not literal.get(text) or literal[text][-1] != i:
                    literal.setdefault(text, []).append(i)
            if glob:
                ordered.append(i)
        found = arms.index[extglob] = (literal, ordered)
        return found

    def static_patterns(self, arm: "CaseArm", st: State) -> tuple | None:
        """The arm's patterns when they are literal text (no expansion): the same in every state."""
        if arm.head is not None or any(n.type == "ERROR" or word_plan(n, False).static is None for g in arm.groups for n in g):
            return None
        pieces = [self.pattern(g[0], st) if len(g) == 1 else self.pattern_group(list(g), st) for g in arm.groups]
        if any(p is None or src for p, src in pieces):
            return None
        return tuple(p for p, _ in pieces)

    def case_match(self, st: State, arm: "CaseArm", subject: Val, value_node) -> list[tuple[State, bool]]:
        # One pattern may be several nodes: `*"Qwen"*` is a glob, a string and a glob side by side
        # (no `|` between); a pattern tree-sitter could not read starts in the ERROR node `head`.
        self.steps += 1  # a pattern tested: work the step limit bounds
        item, head, groups = arm.item, arm.head, [list(g) for g in arm.groups]
        if head is not None:
            if groups and head.end_byte == groups[0][0].start_byte and head.named_children:
                groups[0] = list(head.named_children) + groups[0]
            else:
                self.incomplete(self.loc(st, head), f"case pattern {self.text(head)!r} not understood: both outcomes kept")
                groups = [[head]]
        pieces = [self.pattern(g[0], st) if len(g) == 1 and g[0] is not head else self.pattern_group(g, st) for g in groups]
        shown = ["".join(self.text(p) for p in g) for g in groups]
        text = f"case {self.text(value_node) if value_node is not None else ''} in {' | '.join(shown)})"
        sources = subject.sources | frozenset().union(*(src for _, src in pieces)) if pieces else subject.sources
        location = self.loc(st, item)
        variables = tuple(sorted(sources))
        if subject.known and all(p is not None for p, _ in pieces):
            extglob = "extglob" in st.globopts
            matched = any(patterns.matches(subject.text, p, extglob=extglob) for p, _ in pieces)
            cond = Condition(location, text, variables, matched)
            self.rec.conditions.setdefault(cond, None)
            if matched:  # a known value: the arm taken joins the path (see `arms_not_matched`)
                self.pass_guard(st, cond)
            st.status = 0
            return [(st, matched)]
        yes, no = st.fork(), st
        alts = " | ".join(shown)
        shown = subject.origin or self.text(value_node)
        yes.assumptions += (Assumption(Condition(location, text, variables, True), f"{shown} matches {alts}"),)
        no.assumptions += (Assumption(Condition(location, text, variables, False), f"{shown} does not match {alts}"),)
        var = simple_var(value_node)
        if var and len(pieces) == 1 and pieces[0][0] is not None and not patterns.is_glob(pieces[0][0], extglob="extglob" in st.globopts):
            self.refine(yes, var, Val("".join(t for t, _ in pieces[0][0]), sources=frozenset({var})))
        for s, c in ((yes, Condition(location, text, variables, True)), (no, Condition(location, text, variables, False))):
            self.rec.conditions.setdefault(c, None)
            self.pass_guard(s, c)
        return [(yes, True), (no, False)]

    def loop_body(self, node: Node) -> list[Node]:
        body = node.child_by_field_name("body")
        return statements(body) if body is not None else []

    def run_iteration(self, body: list[Node], s: State, done: list[State]) -> list[State]:
        """One pass of a loop body; finished states go to `done`, the rest continue."""
        s.loop_depth += 1
        cont = []
        for r in self.exec_block(body, [s]):
            r.loop_depth -= 1
            flow = r.flow
            if flow and flow.kind in ("break", "continue"):
                if flow.count > 1:
                    flow.count -= 1
                    done.append(r)
                    continue
                r.flow = None
                (done if flow.kind == "break" else cont).append(r)
            elif flow:
                done.append(r)
            else:
                cont.append(r)
        return cont

    def x_for_statement(self, node, st):
        frames = st.frames
        var = self.text(node.child_by_field_name("variable"))
        values = node.children_by_field_name("value")
        items = self.expand_words(values, st) if values else list(st.positional)
        if st.flow:  # an expansion error (`set -u`, `failglob`): the loop does not run
            return [st]
        if len(items) > self.settings.max_loop:
            self.incomplete(self.loc(st, node), f"loop over {len(items)} items cut at {self.settings.max_loop}", cut=True)
            items = items[: self.settings.max_loop]
        if any(not v.known and not v.nonempty for v in items if v.origin.startswith("$") or not v.known):
            if any(not v.known for v in items):
                self.incomplete(self.loc(st, node), "loop over values not known statically: one pass per unknown value")
        body = self.loop_body(node)
        active, done = [st], []
        for item in items:
            nxt = []
            for s in active:
                s.assign(var, item)
                s.touched.add(var)
                if item.entry is not None:
                    s.frames = frames + (Frame("entry", item.entry.location, item.entry.text),)
                nxt.extend(self.run_iteration(body, s, done))
            active = self.cap(nxt, st, node)
            if not active:
                break
        out = done + active
        for s in out:
            s.frames = frames
            if not s.flow and s.status is None:
                s.status = 0
        if not items:
            st.status = 0
        return out

    def x_c_style_for_statement(self, node, st):
        frames = st.frames
        init = node.child_by_field_name("initializer")
        cond = node.child_by_field_name("condition")
        update = node.child_by_field_name("update")
        body = self.loop_body(node)
        if init is not None:
            self.arith_text(st, init, self.c_for_part(node, "initializer"))
        active, done, n = [st], [], 0
        guessed: list[State] = []  # left after a pass on a condition not known statically
        before = dict(st.vars)
        while active:
            n += 1
            if n > self.settings.max_loop:
                self.incomplete(self.loc(st, node), f"loop stopped after {self.settings.max_loop} iterations", cut=True)
                break
            nxt = []
            for s in active:
                value = self.arith_text(s, node, self.c_for_part(node, "condition")) if cond is not None else 1
                if value is None:
                    # Bash runs some number of passes: explore none and one, then forget what the body wrote.
                    self.incomplete(self.loc(s, node), "loop condition not known statically: values the loop sets are unknown after it")
                    text = f"(({self.c_for_part(node, 'condition')}))"
                    location = self.loc(s, node)
                    passed = s.fork()
                    for outcome, r in ((False, s), (True, passed)):
                        cond_t = Condition(location, text, (), outcome)
                        self.rec.conditions.setdefault(cond_t, None)
                        r.assumptions += (Assumption(cond_t, f"`{text}` is {'true' if outcome else 'false'} at first"),)
                    guessed.append(s)
                    guessed.extend(self.run_iteration(body, passed, done))
                    continue
                if not value:
                    done.append(s)
                    continue
                for r in self.run_iteration(body, s, done):
                    if update is not None:
                        self.arith_text(r, node, self.c_for_part(node, "update"))
                    nxt.append(r)
            active = self.cap(nxt, st, node)
        havoc(guessed, before)
        out = done + active + guessed
        for s in out:
            s.frames = frames
            if not s.flow:
                s.status = 0
        return out

    def c_for_part(self, node: Node, name: str) -> str:
        """The source text of one of the three parts of `for ((a; b; c))`."""
        part = node.child_by_field_name(name)
        if part is None:
            return ""
        # A part may be several comma-separated nodes: take everything up to its `;`.
        start = part.start_byte
        end = part.end_byte
        for c in node.children:
            if c.start_byte >= start and c.type not in (";", "))", "do_group") and c.is_named:
                end = max(end, c.end_byte) if c.start_byte < self._next_semi(node, start) else end
        return node.text[start - node.start_byte : end - node.start_byte].decode()

    @staticmethod
    def _next_semi(node: Node, start: int) -> int:
        return next((c.start_byte for c in node.children if c.type in (";", "))") and c.start_byte >= start), node.end_byte)

    def x_while_statement(self, node, st):
        """`while`/`until`, pass by pass while the condition is known.  A path whose exit was
        decided on a value not known statically (an unknown `read`, a polling `grep -q && break`)
        is followed for two such passes, the second with what the loop writes unknown (it stands
        for every later one): bash may run any number, so what the loop wrote becomes
        unknown on the paths that leave it that way.  A condition that is an external command
        (`while tool`, `until curl -sf URL`) has a status no one knows: the loop may end at any
        pass.  Leaving it the way the command's assumed success says is certain (as after any
        command), the other way runs the body as possible; what the body writes is unknown after
        the loop on every path, and paths that then go on alike are one."""
        frames = st.frames
        until = node.children[0].type == "until"
        conds = [c for c in node.children_by_field_name("condition") if c.is_named]
        body = self.loop_body(node)
        before = dict(st.vars)
        active, done, guessed_exits, n = [(st, 0)], [], [], 0  # (path, passes followed on guessed values)
        tool_status = False
        seen: set[int] = set()  # loop-head states already explored: a repeat makes no progress
        while active:
            n += 1
            if n > self.settings.max_loop:
                self.incomplete(self.loc(st, node), f"loop stopped after {self.settings.max_loop} iterations", cut=True)
                done += [s for s, _ in active]
                break
            nxt = []
            for s, uncertain in active:
                key = loop_fingerprint(s)
                if key in seen:
                    self.incomplete(self.loc(s, node), "loop on values not known statically: followed for two passes" if uncertain
                                    else "loop makes no progress on a path (bash would not stop): path dropped")
                    continue
                seen.add(key)
                base = len(s.assumptions)
                tested = self.exec_conds(conds, s)
                if any(c.status_assumed and not c.flow for c in tested):
                    tool_status = True
                    tested = [t for c in tested for t in self.either_status(c, conds[-1], until)]
                for c in tested:
                    guessed = len(c.assumptions) > base
                    if c.flow or (c.status == 0) == until:
                        if not c.flow:
                            c.status = 0
                        (guessed_exits if guessed or uncertain else done).append(c)
                        continue
                    level = uncertain
                    if guessed and uncertain:
                        if uncertain >= 2:
                            self.incomplete(self.loc(c, node), "loop on values not known statically: followed for two passes")
                            continue
                        havoc([c], before)  # one more pass with what the loop writes unknown: it stands for the later ones
                        level = 2
                    exits: list[State] = []
                    cont = self.run_iteration(body, c, exits)
                    exit_guessed = guessed or any(len(x.assumptions) > base for x in exits)
                    for x in exits:
                        (guessed_exits if level or len(x.assumptions) > base else done).append(x)
                    for r in cont:
                        if len(r.assumptions) > base and exit_guessed:
                            if level >= 2:
                                self.incomplete(self.loc(r, node), "loop on values not known statically: followed for two passes")
                                continue
                            if level:
                                havoc([r], before)
                            nxt.append((r, level + 1))
                        else:
                            nxt.append((r, level))
            active = self.cap([s for s, _ in nxt], st, node) and nxt[: self.settings.max_paths]
        if guessed_exits:
            self.incomplete(self.loc(st, node), "loop passes not known statically: values the loop sets are unknown after it")
            havoc(guessed_exits + done if tool_status else guessed_exits, before)
        out = done + guessed_exits
        if guessed_exits:
            out = distinct(out)
        for s in out:
            s.frames = frames
        return out

    # -- functions -----------------------------------------------------------------
    def either_status(self, c: State, node: Node, until: bool) -> list[State]:
        """A loop condition ending in an external command whose success was assumed: the pass
        goes on (the body runs, as possible) or the loop ends (certain: the command's assumed
        outcome when the loop is `until`, its failure when it is `while`)."""
        if c.flow or not c.status_assumed:
            return [c]
        leave, stay = c, c.fork()
        leave.status, leave.status_assumed = (0 if until else 1), False
        stay.status, stay.status_assumed = (1 if until else 0), False
        text = self.text(node)
        stay.assumptions += (Assumption(Condition(self.loc(c, node), text, (), not until),
                                        f"`{text}` {'fails' if until else 'succeeds'}"),)
        return [leave, stay]

    def x_function_definition(self, node, st):
        name = self.text(node.child_by_field_name("name"))
        body = node.child_by_field_name("body")
        if body is not None:
            st.funcs[name] = Function(name, body, st.source)
        st.status = 0
        return [st]

    def call_function(self, st: State, fn: Function, args: list[Val], node: Node) -> list[State]:
        location = self.loc(st, node)
        if st.depth >= self.settings.max_depth:
            self.incomplete(location, f"call depth limit ({self.settings.max_depth}) reached: {fn.name} not followed", cut=True)
            st.status = 0
            return [st]
        saved = (st.positional, st.source, st.frames, st.chain_entries)
        st.positional = tuple(args)
        st.source = fn.source
        st.frames = st.frames + (Frame("function", location, fn.name),)
        st.chain_entries = st.chain_entries + tuple(v.entry for v in args if v.entry is not None)
        st.locals.append({})
        st.depth += 1
        results = self.exec(fn.body, st)
        for r in results:
            r.depth -= 1
            for name, old in r.locals.pop().items():
                r.bind(name, old)
            r.positional, r.source, r.chain_entries = saved[0], saved[1], saved[3]
            r.frames = kept_guards(saved[2], r.frames)
            if r.flow and r.flow.kind == "return":
                r.flow = None
        return results

    def done(self, st: State, status: int | None) -> list[State]:
        st.status = status
        return [st]

    def assume(self, st: State, node: Node, detail: str) -> State:
        """What follows holds only if `node` did what it was taken to do (a directory or file made
        at run time is there): the runs after it are kept as possible, with that assumption."""
        st.assumptions += (Assumption(Condition(self.loc(st, node), self.text(node), (), True), detail),)
        return st

    def made_at_run_time(self, st: State, path: str) -> bool:
        """A repository path absent from the snapshot whose directory is absent too (or made
        by the job): a build tree, a virtualenv... something a command makes as the job runs."""
        parent = posixpath.dirname(path)
        return parent in st.made_dirs or not (parent == "" or self.snapshot.is_dir(parent))

    # -- paths -------------------------------------------------------------------------
    def repo_path(self, text: str | None, cwd: str) -> str | None:
        return repo_path(text, cwd, self.settings)

    # ------------------------------------------------------------------ the seams' functions
    # (each a function of its module taking the interpreter first; bound here for the modules that call it
    # through the interpreter: the seams do not import each other)
    call_script = calls.call_script
    in_container = calls.in_container
    missing = calls.missing
    shell_call = calls.shell_call
    source_file = calls.source_file
    pass_guard = conditions.pass_guard
    refine = conditions.refine
    run_test_words = conditions.run_test_words
    assign = declarations.assign
    declare_words = declarations.declare_words
    set_var = declarations.set_var
    subscript_key = declarations.subscript_key
    unset_names = declarations.unset_names
    _word_node = expansion._word_node
    arith_eval = expansion.arith_eval
    arith_text = expansion.arith_text
    expand_string = expansion.expand_string
    expand_text = expansion.expand_text
    expand_words = expansion.expand_words
    fields = expansion.fields
    ifs = expansion.ifs
    pattern = expansion.pattern
    pattern_group = expansion.pattern_group
    quoted_pieces = expansion.quoted_pieces
    segments = expansion.segments
    parameter = parameters.parameter
    word_of_text = parameters.word_of_text
    dispatch = simple_commands.dispatch
    leaf = simple_commands.leaf
    setup_command = simple_commands.setup_command
    array_values = variables.array_values
    dollar0 = variables.dollar0
    element = variables.element
    env_sources = variables.env_sources
    lookup = variables.lookup
    pwd = variables.pwd
    read_var = variables.read_var
    special_or_var = variables.special_or_var
    track = variables.track
    unbound = variables.unbound
    unset = variables.unset

CLOCK_STEPS = 4096  # steps between two looks at the revision's wall-clock budget (`deadline`)


def file_set_scans(interp: Interpreter, path: str) -> list[FileScan]:
    """The scans of a script and the files it sources (statically resolved)."""
    seen: dict[str, FileScan] = {}
    todo = [path]
    while todo and len(seen) < 64:
        p = todo.pop()
        if p in seen:
            continue
        scan = interp.scan_path(p)
        if scan is None:
            continue
        seen[p] = scan
        for arg in scan.sourced:
            for cand in static_source_path(arg, p):
                if interp.snapshot.exists(cand) and cand not in seen:
                    todo.append(cand)
    return list(seen.values())


SEAMS = (conditions, declarations, simple_commands)  # the modules of functions (each taking the interpreter first) the work is split into
HANDLERS = {name[2:]: fn for source in (vars(Interpreter), *map(vars, SEAMS)) for name, fn in source.items()
            if name.startswith("x_")}  # node type -> x_ function

