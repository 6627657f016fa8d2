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
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from functools import lru_cache

from tree_sitter import Node

from .. import deadline
from ..config import Settings
from ..model import Assumption, Condition, ConfigEntry, Diagnostic, Frame, Incomplete, Job, Location, Run
from ..snapshot import Snapshot, normalize
from . import arith, braces, containers, ere, globbing, patterns
from .definitions import (FileScan, config_names, config_scalars, entry_text, is_literal, scan_file,
                          static_source_path)
from .outcome import JobOutcome, ScriptCall
from .parse import Source, parse_errors, parse_source, unreadable_region
from .state import Flow, Function, State, Var
from .values import EMPTY, IFS_DEFAULT, Val, concat, split_fields, unknown

STATEMENTS = frozenset(
    "command variable_assignment variable_assignments declaration_command unset_command list pipeline "
    "negated_command subshell compound_statement if_statement for_statement c_style_for_statement "
    "while_statement case_statement function_definition test_command redirected_statement program do_group".split()
)
SKIPPED = frozenset({"comment", "heredoc_body", "heredoc_end", "heredoc_start"})
# Commands whose exit status answers a question: in a condition both answers are possible.
QUERIES = frozenset({"grep", "egrep", "fgrep", "which", "type", "command", "diff", "cmp", "pgrep", "hash", "compgen"})
WRAPPERS = frozenset({"env", "timeout", "time", "nohup", "exec", "stdbuf", "nice", "xvfb-run"})
SCRIPT_SUFFIXES = (".sh", ".bash")
# What a POSIX sh (dash) rejects: a script run with `sh` that uses these stops there.
BASHISMS = (("arrays", r"^\s*\w+(\[[^]\n]*\])?\+?=\("), ("[[ ]]", r"\[\[\s"), ("here-strings", r"<<<"),
            ("source", r"^\s*source\s"), ("${x//...}", r"\$\{\w+//?"), ("function", r"^\s*function\s"))
ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=").match  # `env NAME=value ...`
# What `element` gives for an index the array does not hold: empty, but not the same object
# as an element set to "" (`a[1]=""` stores EMPTY), so `${a[1]-d}` can tell them apart.
NO_ELEMENT = Val("")


class _UnknownIFS(str):
    pass


UNKNOWN_IFS = _UnknownIFS(IFS_DEFAULT)  # `ifs() is UNKNOWN_IFS`: not known statically (splits as the default would)
MAX_ARRAY_ITEMS = 100_000  # elements one array literal may hold before it is treated as unknown
# Where images keep their programs: a PATH holding none of them may not find a runner.
SYSTEM_BIN_DIRS = frozenset({"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/opt/conda/bin",
                             "/root/.local/bin", "/usr/local/cuda/bin", "/opt/venv/bin"})
MAX_APPENDED_ITEMS = 8_192  # elements an array may reach through `+=` (each append copies it: past this, quadratic)
MAX_PATTERN_TEXT = 4096  # longest value `${x//p/r}`, `${x#p}`... are computed on; longer ones become unknown


@dataclass
class Recorder:
    runs: list[Run] = field(default_factory=list)
    scripts: list[ScriptCall] = field(default_factory=list)
    conditions: dict[Condition, None] = field(default_factory=dict)
    reads: set[str] = field(default_factory=set)
    incomplete: dict[Incomplete, None] = field(default_factory=dict)
    diagnostics: dict[Diagnostic, None] = field(default_factory=dict)
    missing: dict[tuple[Location, str], None] = field(default_factory=dict)


@dataclass
class Test:
    """The result of a condition: known, or unknown with what each branch means."""

    value: bool | None
    sources: frozenset[str] = frozenset()
    detail_true: str = ""
    detail_false: str = ""
    refine_true: tuple[tuple[str, Val], ...] = ()
    refine_false: tuple[tuple[str, Val], ...] = ()


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
            return self.heredoc_chain(node, st, chain)
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

    def heredoc_chain(self, node: Node, st: State, chain: list[tuple[str, Node]] | None) -> list[State]:
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
        frames, before = st.frames, st.assumptions
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
        merged = joined_case(out, before, frames) if len(out) > 1 else None
        return [merged] if merged is not None else self.cap(join(out) if len(out) > 1 else out, st, node)

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

    # -- assignments and declarations ---------------------------------------------------
    def x_variable_assignment(self, node, st):
        st.sub_status = None
        self.assign(node, st)
        st.status = st.sub_status if st.sub_status is not None else 0
        return self.errexit([st])

    def x_variable_assignments(self, node, st):
        st.sub_status = None
        for c in node.named_children:
            if c.type == "variable_assignment":
                self.assign(c, st)
        st.status = st.sub_status if st.sub_status is not None else 0
        return self.errexit([st])

    def assign(self, node: Node, st: State, *, local: bool = False, export: bool | None = None, assoc: bool = False,
               array: bool = False) -> None:
        name_node, name, index, value, append = assignment_shape(node)
        if name_node is None:
            return
        if name_node.type == "subscript":
            if local:
                st.declare_local(name)
            self.assign_element(st, name, index, value, append)
            return
        if local:
            st.declare_local(name)
        st.touched.add(name)
        old = st.get(name)
        if value is not None and value.type == "array":
            items = self.array_items(st, name, value, assoc or bool(old and old.assoc))
            if append and old is not None and old.items is not None and items is not None:
                merged = dict(old.items)
                nxt = max((k for k in merged if isinstance(k, int)), default=-1) + 1
                for k, v in items.items():
                    if isinstance(k, int) and not (old.assoc or assoc):
                        merged[nxt + k] = v
                    else:
                        merged[k] = v
                items = merged
                if len(items) > MAX_APPENDED_ITEMS:  # each `+=` copies the array: bounded, not quadratic
                    self.incomplete(self.loc(st, node), f"array {name} grows past {MAX_APPENDED_ITEMS} items by `+=`: treated as unknown")
                    items = None
            elif append and old is not None and old.items is None:
                items = None
            exported = old.exported if old else False
            self.set_var(st, name, Var(items, True, assoc or bool(old and old.assoc), exported if export is None else export,
                                       origin=f"${{{name}[@]}}"))
            return
        val = self.expand_string(value, st) if value is not None else EMPTY
        if name in st.config_scalars and not append and value is not None and is_literal(value):
            val = Val(val.text, ConfigEntry(entry_text(value), self.loc(st, node), st.config_scalars[name]), val.sources)
        if append:
            cur = self.read_var(st, name, track=False)
            val = concat([cur if cur is not None else EMPTY, val])
        if array and (old is None or not old.is_array):
            self.set_var(st, name, Var({0: val}, True, assoc, bool(old and old.exported) if export is None else export))
            return
        st.assign(name, val, export=export)

    def set_var(self, st: State, name: str, var: Var) -> None:
        st.touched.add(name)
        st.touched.add(st.resolve(name))
        st.set(name, var)

    def array_items(self, st: State, name: str, node: Node, assoc: bool) -> dict | None:
        items: dict = {}
        index = 0
        tag = name in st.config_names
        for element in node.named_children:
            if element.type == "comment":
                continue
            keyed = keyed_element(element)
            if keyed is not None:
                key_text, value_nodes = keyed
                key = self.subscript_key(st, key_text, assoc)
                if key is None:
                    return None
                val = concat([self.expand_string(v, st) for v in value_nodes]) if value_nodes else EMPTY
                items[key] = val
                if isinstance(key, int):
                    index = key + 1
                continue
            entry = None
            if tag and not element_has_array_ref(element) and not pure_expansion(element):
                entry = ConfigEntry(entry_text(element), self.loc(st, element), name)
            for v in self.expand_words([element], st):
                if not v.known and v.origin.endswith("[@]}"):
                    return None
                if entry is not None:
                    v = Val(v.text, entry, v.sources, v.origin, v.nonempty)
                items[str(index) if assoc else index] = v
                index += 1
            if len(items) > MAX_ARRAY_ITEMS:  # an array doubled in a loop: unknown, not a memory blow-up
                self.incomplete(self.loc(st, node), f"array {name} grows past {MAX_ARRAY_ITEMS} items: treated as unknown")
                return None
        return items

    def subscript_key(self, st: State, text: str, assoc: bool):
        if assoc:  # expanded as a word without splitting: `M['a b']`, `M["$k"]`, `M[a b]`
            node = self._word_node(st, text) if "'" in text or '"' in text else None
            val = self.expand_string(node, st) if node is not None else self.expand_text(st, text)
            return val.text
        return self.arith_eval(st, text)

    def assign_element(self, st: State, name: str, index: Node | None, value: Node | None, append: bool) -> None:
        st.touched.add(name)
        old = st.get(name)
        assoc = bool(old and old.assoc)
        key = self.subscript_key(st, self.text(index) if index is not None else "0", assoc)
        val = self.expand_string(value, st) if value is not None else EMPTY
        if old is not None and old.items is None:
            return
        items = dict(old.items) if old is not None and old.items is not None else {}
        if key is None:
            self.incomplete(self.loc(st, index or value), f"array index of {name} not known statically")
            self.set_var(st, name, Var(None, True, assoc, bool(old and old.exported), origin=f"${{{name}[@]}}"))
            return
        if append:
            val = concat([items.get(key, EMPTY), val])
        items[key] = val
        self.set_var(st, name, Var(items, True, assoc, bool(old and old.exported)))

    def x_declaration_command(self, node, st):
        keyword, flags, unflags, operands = declaration_shape(node)
        local = keyword == "local" or (keyword in ("declare", "typeset") and st.locals and "g" not in flags)
        export = True if keyword == "export" or "x" in flags else (False if "x" in unflags or (keyword == "export" and "n" in flags) else None)
        if keyword == "export" and "f" in flags:
            names = {self.text(c) for c in node.named_children if not self.text(c).startswith("-")}
            st.exported_funcs = st.exported_funcs | names
            st.status = 0
            return [st]
        st.sub_status = None
        for c, t, text in operands:
            if t == "variable_assignment" and braces.has_braces(self.text(c)) and braces.expand(self.text(c)) != [self.text(c)]:
                # `export E={p,q}` is `export E=p E=q` to bash: not followed, the value is unknown
                self.incomplete(self.loc(st, c), f"brace expansion in {keyword} {self.text(c)!r} not followed")
                self.assign(c, st, local=local, export=export)  # where and how the name is kept
                name = self.text(c).split("=", 1)[0].split("[", 1)[0].rstrip("+")
                kept = st.get(name)
                self.set_var(st, name, replace(kept, items={0: unknown(f"<{name}: brace expansion not followed>")},
                                               is_array=False) if kept else Var({0: unknown(f"<{name}>")}))
                continue
            if t == "variable_assignment" and "n" in flags and keyword != "export":
                self.declare_nameref(c, st, local)
            elif t == "variable_assignment":
                self.assign(c, st, local=local, export=export, assoc="A" in flags, array="a" in flags or "A" in flags)
            elif t == "variable_name" or (t == "word" and not text[:1] in "-+"):
                self.declare_name(st, text, local, export, flags)
            elif t in ("word", "string", "concatenation", "simple_expansion", "expansion") and not text[:1] in "-+":
                self.declare_dynamic(st, c, local, export, flags)
        st.status = st.sub_status if st.sub_status is not None and keyword not in ("local", "declare", "typeset", "export", "readonly") else 0
        return [st]

    def declare_words(self, st: State, keyword: str, args: list[Val], node: Node) -> list[State]:
        """A declaration builtin run on expanded words (reached through `command`, `builtin`,
        a prefix assignment or a variable): the same effect as the parsed form."""
        flags = unflags = ""
        operands = []
        for a in args:
            if not operands and a.known and len(a.text) > 1 and a.text[0] in "-+" and a.text != "--":
                if a.text[0] == "-":
                    flags += a.text[1:]
                else:
                    unflags += a.text[1:]
            elif not (not operands and a.known and a.text == "--"):
                operands.append(a)
        if keyword == "local" and not st.locals:
            return self.done(st, 1)  # "can only be used in a function"
        local = keyword == "local" or (keyword in ("declare", "typeset") and bool(st.locals) and "g" not in flags)
        export = True if keyword == "export" or "x" in flags else (False if "x" in unflags or (keyword == "export" and "n" in flags) else None)
        if keyword == "export" and "f" in flags:
            st.exported_funcs = st.exported_funcs | {a.text for a in operands if a.known}
            return self.done(st, 0)
        status = 0
        for a in operands:
            if not a.known:
                self.incomplete(self.loc(st, node), f"{keyword} {a.origin!r}, a name not known statically: not modelled")
                continue
            name, eq, value = a.text.partition("=")
            append = name.endswith("+")
            name = name[:-1] if append else name
            if not IDENTIFIER.fullmatch(name) or (append and not eq):
                status = 1  # "not a valid identifier"
                continue
            if not eq:
                self.declare_name(st, name, local, export, flags)
                continue
            if local:
                st.declare_local(name)
            st.touched.add(name)
            val = Val(value, a.entry, a.sources)
            if append:
                cur = self.read_var(st, name, track=False)
                val = concat([cur if cur is not None else EMPTY, val])
            st.assign(name, val, export=export)
        return self.done(st, status)

    def declare_nameref(self, node: Node, st: State, local: bool) -> None:
        """`local -n ref=arr`: `ref` stands for `arr` from now on (array helper functions)."""
        name = self.text(node.child_by_field_name("name"))
        target = self.expand_string(node.child_by_field_name("value"), st)
        if local:
            st.declare_local(name)
        st.touched.add(name)
        if not target.known or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?", target.text or ""):
            self.incomplete(self.loc(st, node), f"nameref {name} to {target.shown()!r}, not a name known statically")
            st.bind(name, Var(None, origin=f"${name}"))
            return
        st.bind(name, Var({0: Val(target.text)}, nameref=target.text.split("[")[0]))

    def declare_name(self, st: State, name: str, local: bool, export: bool | None, flags: str) -> None:
        if local:
            fresh = bool(st.locals) and name not in st.locals[-1]
            st.declare_local(name)
            if fresh:  # `local x` makes x unset inside the function, `local -a x` an empty array
                st.bind(name, None)
        old = st.get(name)
        st.touched.add(name)
        if "A" in flags or "a" in flags:
            if old is None or not old.is_array:
                items = {} if old is None or old.items is None else ({"0": old.scalar} if "A" in flags and old.scalar else dict(old.items))
                st.set(name, Var(items, True, "A" in flags, bool(old and old.exported) if export is None else export))
                return
        if old is not None and export is not None:
            st.set(name, Var(old.items, old.is_array, old.assoc, export, old.from_env, old.origin))
        elif old is None and export:
            st.set(name, Var({}, exported=True))  # marked for export, unset until assigned

    def declare_dynamic(self, st: State, node: Node, local: bool, export: bool | None, flags: str) -> None:
        text = self.expand_string(node, st)
        if not text.known:
            self.incomplete(self.loc(st, node), "declaration of a name not known statically")
            return
        name, eq, value = text.text.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return
        if local:
            st.declare_local(name)
        st.touched.add(name)
        if eq:
            st.assign(name, Val(value, text.entry, text.sources), export=export)
        else:
            self.declare_name(st, name, False, export, flags)

    def x_unset_command(self, node, st):
        words: list[str] = []
        end = -1
        for c in node.named_children:  # tree-sitter reads `unset a[1]` as `a` then `[1]`: glue touching pieces
            text = self.text(c)
            if "$" in text or "`" in text:  # `unset "$name"`: the name is the value
                for v in self.expand_words([c], st):
                    if v.known:
                        words.append(v.text)
                    else:
                        self.incomplete(self.loc(st, c), f"unset {v.origin!r}, a name not known statically: not modelled")
            elif c.start_byte == end and words:
                words[-1] += text
            else:
                words.append(text.strip("'\""))
            end = c.end_byte
        return self.unset_names(st, words)

    def unset_names(self, st: State, words: list[str]) -> list[State]:
        functions = "-f" in words
        for word in words:
            if word.startswith("-"):
                continue
            if functions:
                st.funcs.pop(word, None)
                continue
            st.touched.add(word.split("[")[0])
            if "[" in word and word.endswith("]"):
                name, _, idx = word[:-1].partition("[")
                old = st.get(name)
                if old is not None and old.items is not None:
                    key = self.subscript_key(st, idx, old.assoc)
                    items = dict(old.items)
                    items.pop(key, None)
                    st.set(name, old.with_items(items))
            else:
                (st.bind if "-n" in words else st.set)(word, None)  # `unset -n ref` drops the nameref itself
        st.status = 0
        return [st]

    # -- tests -----------------------------------------------------------------------
    def x_test_command(self, node, st):
        first = node.children[0].type if node.children else ""
        if first == "[":
            inner = inner_of(node, "[", "]")
            return self.run_test_words(st, node, self.reparse_words(st, inner), self.text(node))
        if first == "((":
            value = self.arith_text(st, node, inner_of(node, "((", "))"))
            st.status = None if value is None else (0 if value else 1)
            return self.errexit([st])
        exprs = [c for c in node.named_children]
        if node.has_error and b"=~" in (node.text or b""):
            return self.settle(st, node, self.regex_of_text(st, node))
        test = self.eval_ext(exprs[0], st) if exprs else Test(False)
        return self.settle(st, node, test)

    def regex_of_text(self, st: State, node: Node) -> Test:
        """`[[ word =~ regex ]]` that tree-sitter could not read (`a[]]`, `"lit"(...)`): read from its text."""
        m = re.fullmatch(r"\s*(\S+)\s+=~\s+(.*?)\s*", inner_of(node, "[[", "]]"), re.DOTALL)
        if m is None:
            self.incomplete(self.loc(st, node), f"test {self.text(node)!r} not understood: both outcomes kept")
            return Test(None)
        return self.regex_test(self.word_of_text(st, m.group(1)), m.group(2), st, self.loc(st, node))

    def settle(self, st: State, node: Node, test: Test) -> list[State]:
        """Record a condition; fork on an unknown result."""
        text = self.text(node)
        location = self.loc(st, node)
        variables = tuple(sorted(test.sources))
        if test.value is not None:
            cond = Condition(location, text, variables, test.value)
            self.rec.conditions.setdefault(cond, None)
            self.pass_guard(st, cond)
            st.status = 0 if test.value else 1
            return self.errexit([st])
        out = []
        for outcome, detail, refine in ((True, test.detail_true, test.refine_true), (False, test.detail_false, test.refine_false)):
            s = st.fork() if outcome else st
            cond = Condition(location, text, variables, outcome)
            self.rec.conditions.setdefault(cond, None)
            self.pass_guard(s, cond)
            s.assumptions += (Assumption(cond, detail or f"{text} is {'true' if outcome else 'false'}"),)
            for name, val in refine:
                self.refine(s, name, val)
            s.status = 0 if outcome else 1
            out.append(s)
        return self.errexit(out)

    def pass_guard(self, st: State, cond: Condition) -> None:
        """A condition on the environment joins the path of every run after it (once, however
        often a loop passes it): explanations name the guards a run went through."""
        if not cond.variables:
            return
        frame = Frame("guard", cond.location, f"{cond.text} → {'true' if cond.outcome else 'false'}")
        if not st.frames or st.frames[-1] != frame:
            st.frames = st.frames + (frame,)

    def refine(self, st: State, name: str, val: Val) -> None:
        old = st.get(name)
        if old is not None and old.widened:
            return  # it stands for both outcomes of a command: kept whole, so the paths join again
        if old is None or old.is_array:
            if old is None and (name in st.touched or not self.open_world):
                return
        exported = old.exported if old else True  # assumed to come from the environment
        from_env = old.from_env if old else True
        st.vars[name] = Var({0: val}, exported=exported, from_env=from_env)

    def reparse_words(self, st: State, text: str) -> list[Val]:
        src = Source(st.source.path, "test " + text, st.source.line_offset)
        tree = parse_source(src)
        cmd = tree.root_node.named_children[0] if tree.root_node.named_children else None
        if cmd is None or cmd.type != "command":
            return [Val(w) for w in text.split()]
        saved = st.source
        st.source = Source(saved.path, src.text, saved.line_offset, "")
        words = self.expand_words(list(cmd.children_by_field_name("argument")), st)
        st.source = saved
        return words

    def run_test_words(self, st: State, node: Node, args: list[Val], text: str) -> list[State]:
        try:
            test = posix_test(args, self, st)
        except ValueError:
            test = Test(False)
            self.incomplete(self.loc(st, node), f"malformed test {text!r}")
        test = Test(test.value, frozenset().union(*(a.sources for a in args)) if args else frozenset(),
                    test.detail_true, test.detail_false, test.refine_true, test.refine_false)
        return self.settle(st, node, test)

    def eval_ext(self, node: Node, st: State) -> Test:
        """`[[ ... ]]` expressions."""
        t = node.type
        if t == "parenthesized_expression":
            return self.eval_ext(node.named_children[0], st)
        if t == "unary_expression":
            op_node = node.children[0]
            op = self.text(op_node)
            operand = node.named_children[-1]
            if op == "!":
                inner = self.eval_ext(operand, st)
                return Test(None if inner.value is None else not inner.value, inner.sources, inner.detail_false,
                            inner.detail_true, inner.refine_false, inner.refine_true)
            return self.unary_test(op, self.expand_string(operand, st), simple_var(operand), st)
        if t == "binary_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op_node = next((c for c in node.children if c not in (left, right)), None)
            op = self.text(op_node) if op_node is not None else ""
            if op in ("&&", "||"):
                a = self.eval_ext(left, st)
                if a.value is not None and a.value == (op == "||"):
                    return a
                b = self.eval_ext(right, st)
                sources = a.sources | b.sources
                if a.value is not None:
                    return b if b.value is not None else Test(None, sources, b.detail_true, b.detail_false, b.refine_true, b.refine_false)
                if b.value is not None and b.value == (op == "||"):
                    return Test(b.value, sources)
                if b.value is not None:
                    return Test(None, sources, a.detail_true, a.detail_false, a.refine_true, a.refine_false)
                if op == "&&":
                    return Test(None, sources, f"{a.detail_true} and {b.detail_true}", "", a.refine_true + b.refine_true)
                return Test(None, sources, "", f"{a.detail_false} and {b.detail_false}", (), a.refine_false + b.refine_false)
            lval = self.expand_string(left, st)
            if op in ("==", "=", "!="):
                pattern, psrc = self.pattern(right, st)
                return self.compare(lval, pattern, psrc, op == "!=", simple_var(left), st)
            if op == "=~":
                raw = (node.text or b"")[op_node.end_byte - node.start_byte:].decode("utf-8", "replace").strip()
                return self.regex_test(lval, raw, st, self.loc(st, node))
            rval = self.expand_string(right, st)
            return self.binary_test(op, lval, rval, st, arithmetic=True)
        # A lone word: true when non-empty.
        return self.unary_test("-n", self.expand_string(node, st), simple_var(node), st)

    def compare(self, lval: Val, pattern, psrc: frozenset[str], negate: bool, var: str | None, st: State) -> Test:
        sources = lval.sources | psrc
        if pattern is None:
            return Test(None, sources, "", "")
        shown = var or lval.origin or "value"
        pat_text = "".join(t for t, _ in pattern)
        eq, ne = f"{shown} == {pat_text}", f"{shown} != {pat_text}"
        if lval.known:
            result = patterns.matches(lval.text, pattern, extglob=True) != negate  # bash reads `[[ == ]]` with extglob on
            return Test(result, sources)
        refine: tuple = ()
        if var and not patterns.is_glob(pattern, extglob=True) and not lval.nonempty is False:
            refine = ((var, Val(pat_text, sources=frozenset({var}))),)
        if negate:
            return Test(None, sources, ne, eq, (), refine)
        return Test(None, sources, eq, ne, refine, ())

    def regex_test(self, lval: Val, raw: str, st: State, location: Location) -> Test:
        """`[[ lval =~ raw ]]`, `raw` the right side as written (tree-sitter splits it unreliably)."""
        pieces = self.regex_pieces(raw, st)
        shown = lval.shown() if lval.known else lval.origin
        unknown_test = Test(None, lval.sources, f"{shown} =~ {raw}", f"{shown} !~ {raw}")
        if pieces is None or not lval.known:
            self.set_var(st, "BASH_REMATCH", Var(None, True, origin="${BASH_REMATCH[@]}"))
            return unknown_test
        compiled = ere.compile_ere(pieces)
        if compiled is None:
            self.incomplete(location, f"regular expression {raw!r} not understood: both outcomes kept")
            self.set_var(st, "BASH_REMATCH", Var(None, True, origin="${BASH_REMATCH[@]}"))
            return unknown_test
        groups = ere.search(compiled, lval.text)
        self.set_var(st, "BASH_REMATCH", Var({i: Val(g) for i, g in enumerate(groups or ())}, True))
        return Test(groups is not None, lval.sources)

    def regex_pieces(self, raw: str, st: State) -> tuple[tuple[str, bool], ...] | None:
        """The right side of `=~` as (text, quoted) parts, as bash reads it: quoted parts and
        backslash-escaped characters match themselves, unquoted expansions are regex text.
        None when a part is not known statically."""
        out: list[tuple[str, bool]] = []

        def add(text: str, quoted: bool) -> None:
            if out and out[-1][1] == quoted:
                out[-1] = (out[-1][0] + text, quoted)
            else:
                out.append((text, quoted))

        i = 0
        while i < len(raw):
            c = raw[i]
            if c == "\\" and i + 1 < len(raw):
                add(raw[i + 1], True)
                i += 2
            elif c == "'":
                end = raw.find("'", i + 1)
                if end < 0:
                    return None
                add(raw[i + 1 : end], True)
                i = end + 1
            elif raw.startswith("$'", i):
                end = _closing_quote(raw, i + 2, "'")
                if end < 0:
                    return None
                add(ansi_c(raw[i + 2 : end]), True)
                i = end + 1
            elif c == '"':
                end = _closing_quote(raw, i + 1, '"')
                if end < 0:
                    return None
                val = self.expand_text(st, raw[i + 1 : end])
                if not val.known:
                    return None
                add(val.text, True)
                i = end + 1
            elif c in "$`":
                end = _expansion_end(raw, i)
                if end < 0:
                    return None
                val = self.expand_text(st, raw[i:end])
                if not val.known:
                    return None
                add(val.text, False)
                i = end
            else:
                add(c, False)
                i += 1
        return tuple(out)

    def unary_test(self, op: str, val: Val, var: str | None, st: State) -> Test:
        sources = val.sources
        if op in ("-n", "-z"):
            if val.known:
                return Test(bool(val.text) == (op == "-n"), sources)
            if val.nonempty is not None:
                return Test(val.nonempty == (op == "-n"), sources)
            shown = var or val.origin or "value"
            refine_ne = ((var, Val(None, None, frozenset({var}), f"${var}", True)),) if var else ()
            refine_e = ((var, Val("", sources=frozenset({var}))),) if var else ()
            ne, e = f"{shown} is non-empty", f"{shown} is empty"
            if op == "-n":
                return Test(None, sources, ne, e, refine_ne, refine_e)
            return Test(None, sources, e, ne, refine_e, refine_ne)
        if op == "-v":
            name = val.text or ""
            return Test(None if not val.known else self.lookup(st, name)[1], sources | {name})
        if op in ("-f", "-d", "-e", "-a", "-r", "-x", "-s", "-w", "-L", "-h"):
            return Test(self.file_test(op, val, st), sources)
        if op in ("-o",):
            return Test(None, sources)
        return Test(None, sources, f"{op} {val.shown()}", f"! {op} {val.shown()}")

    def file_test(self, op: str, val: Val, st: State) -> bool | None:
        """A file test on a path: decided for repository files and for absent paths whose
        directory the repository has; None where the file may be made at run time or lies
        outside the repository (`/dev/kfd`, `/opt/rocm`, `build/...`, a mkdir'd tree)."""
        if not val.known:
            return None
        if val.text == "":
            return False
        path = self.repo_path(val.text, st.cwd)
        if path is None:
            return None
        if path in st.made_dirs:
            return True if op in ("-d", "-e", "-a", "-r", "-x", "-w", "-s") else (False if op in ("-f", "-L", "-h") else None)
        entry = self.snapshot.entry(path)
        is_file = entry is not None and self.snapshot.exists(path)
        is_dir = path == "" or self.snapshot.is_dir(path)
        if not is_file and not is_dir and entry is None:
            parent = posixpath.dirname(path)
            if parent in st.made_dirs or not (parent == "" or self.snapshot.is_dir(parent)):
                return None  # in a directory made at run time (or by a checkout step): anything may be there
            return False
        if op in ("-L", "-h"):
            return bool(entry and entry.mode == "120000")
        if entry is not None and entry.mode == "120000":
            return None  # a symbolic link: what it points to is not followed
        if op == "-f":
            return is_file
        if op == "-d":
            return is_dir
        if op == "-s":
            return is_dir or len(self.snapshot.read(path)) > 0
        if op == "-x":
            return True if is_dir or entry.mode == "100755" else None  # a checkout or chmod may set the bit
        if op in ("-e", "-a", "-r", "-w"):
            return True
        return None

    def binary_test(self, op: str, a: Val, b: Val, st: State, arithmetic: bool) -> Test:
        sources = a.sources | b.sources
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
            if not (a.known and b.known):
                return Test(None, sources, f"{a.shown()} {op} {b.shown()}", f"not {a.shown()} {op} {b.shown()}")
            x = self.arith_eval(st, a.text) if arithmetic else int_or_none(a.text)
            y = self.arith_eval(st, b.text) if arithmetic else int_or_none(b.text)
            if x is None or y is None:
                return Test(None if arithmetic else False, sources)
            ops = {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}
            return Test(ops[op], sources)
        if not (a.known and b.known):
            return Test(None, sources)
        if op == "<":
            return Test(a.text < b.text, sources)
        if op == ">":
            return Test(a.text > b.text, sources)
        if op in ("=", "=="):
            return Test(a.text == b.text, sources)
        if op == "!=":
            return Test(a.text != b.text, sources)
        return Test(None, sources)

    # -- simple commands ------------------------------------------------------------------
    def x_command(self, node, st):
        st.sub_status = None
        prefixes: list[tuple[str, Val]] = []
        prefix_nodes, redirects, words_nodes, reads_stdin, before = command_shape(node)
        for c in before:  # `x=1 arr=(a)` on a line of its own, which tree-sitter joins to the next
            self.assign(c, st)
        if not words_nodes:
            for c, _ in prefix_nodes:
                self.assign(c, st)
            st.status = st.sub_status if st.sub_status is not None else 0
            return self.errexit([st])
        for c, name in prefix_nodes:
            value = self.assignment_value(c, st)
            if self.open_world and st.depth == 0 and is_env_name(name) and value.entry is None:
                # A prefix written in the CI file is configuration a fix may change: in the open
                # world it is as free as the job's own env (what-if questions need that).
                value = unknown(f"${name}", frozenset({name}))
            prefixes.append((name, value))
        words = self.expand_words(words_nodes, st)
        if st.flow:  # an expansion error (`set -u`, `${X:?}`): the command does not run
            return [st]
        if st.aliases and "expand_aliases" in st.globopts and words_nodes[0].type in ("command_name", "word"):
            words = self.expand_alias(st, words, self.text(words_nodes[0]), node)
        saved_stdin, saved_capture = st.stdin, st.capture
        for r in redirects:
            self.apply_redirect(r, st)
        results = self.dispatch(st, words, prefixes, node)
        if redirects:
            for r in results:
                if reads_stdin:
                    r.stdin = saved_stdin
                if saved_capture is not None and r.capture is None:
                    r.capture = saved_capture
        return self.errexit(results)

    def expand_alias(self, st: State, words: list[Val], written: str, node: Node) -> list[Val]:
        """`shopt -s expand_aliases` + `alias env=true`: a command name written as a plain word
        that is an alias is replaced by the alias's words (again, for an alias of an alias)."""
        aliases = dict(st.aliases)
        seen = set()
        while words and written in aliases and written not in seen and words[0].known and words[0].text == written:
            seen.add(written)
            value = aliases[written]
            if re.search(r"[;&|<>()$`'\"\\\n]", value):  # shell text: run as `eval` would, the words after it quoted
                if not all(w.known for w in words[1:]):
                    self.incomplete(self.loc(st, node), f"alias {written}={value!r} with arguments not known statically")
                return [Val("eval"), concat([Val(value)] + [Val(" " + quote_for_reuse(w.text or "")) for w in words[1:]])]
            parts = value.split()
            if not parts:
                return words[1:]
            words = [Val(p) for p in parts] + words[1:]
            written = parts[0]
        return words

    def assignment_value(self, node: Node, st: State) -> Val:
        value = node.child_by_field_name("value")
        return self.expand_string(value, st) if value is not None else EMPTY

    def dispatch(self, st: State, words: list[Val], prefixes: list[tuple[str, Val]], node: Node) -> list[State]:
        if not words:
            for name, val in prefixes:
                st.assign(name, val)
                st.touched.add(name)
            st.status = st.sub_status if st.sub_status is not None else 0
            return [st]
        head = words[0]
        if not head.known:
            # Not a subject anyone can name: say where precision was lost, record no run.
            self.incomplete(self.loc(st, node), f"command name {head.origin!r} not known statically")
            if st.capture is not None:
                st.capture.append(Val(None, origin="<output>"))
            return self.done(st, 0)
        name = head.text
        args = words[1:]
        if name in st.funcs:
            return self.with_prefixes(st, prefixes, lambda s: self.call_function(s, s.funcs[name], args, node))
        handler = BUILTIN_HANDLERS.get(name)
        if handler is None and name in BASH_BUILTINS and name not in WRAPPERS:
            handler = builtins.ignore  # a builtin with no bearing on what runs (`jobs`, `bind`...): never a run
        if handler is not None and name not in BASH_BUILTINS:  # a program modelled here (git, cat, xargs...)
            results = handler(self, st, args, node) if not prefixes else \
                self.with_prefixes(st, prefixes, lambda s: handler(self, s, args, node))
            for r in results:
                r.status_assumed = r.status_assumed or (r.status == 0 and not r.flow)
            return results
        if handler is not None and not prefixes:
            return handler(self, st, args, node)
        if handler is not None:
            return self.with_prefixes(st, prefixes, lambda s: handler(self, s, args, node))
        if name == "docker":
            return containers.docker(self, st, args, prefixes, node)
        if name in WRAPPERS:
            return self.wrapper(st, name, args, prefixes, node)
        if name in ("bash", "sh"):
            return self.shell_call(st, args, prefixes, node, name)
        if "/" in name or name.endswith(SCRIPT_SUFFIXES):
            path = self.repo_path(name, st.cwd)
            if path is not None and self.snapshot.exists(path) and shell_script(self, path):
                return self.call_script(st, path, name, args, prefixes, self.loc(st, node), errexit=shebang_errexit(self, path))
            # A repository program that is no shell script (`#!/usr/bin/env python3`, `#!/usr/bin/expect`),
            # or Autoconf's `configure`, runs as one program, like a compiled one: read as bash, its lines
            # were runs (`import sys`); followed, a `configure`'s thousands of generated branches used up
            # every cap and cut the rest of the job short.
            if path is not None and name.endswith(SCRIPT_SUFFIXES):
                return self.missing(st, node, path)
            # Any other path that is not in the repository is a build output (./build/bin/test-x): a run.
        return self.leaf(st, words, prefixes, node)

    def with_prefixes(self, st: State, prefixes: list[tuple[str, Val]], run) -> list[State]:
        """Prefix assignments last for the duration of a builtin or function call."""
        if not prefixes:
            return run(st)
        saved = {name: st.get(name) for name, _ in prefixes}
        for name, val in prefixes:
            st.assign(name, val, export=True)
        results = run(st)
        for r in results:
            for name, old in saved.items():
                r.bind(name, old)
        return results

    def wrapper(self, st: State, name: str, args: list[Val], prefixes, node) -> list[State]:
        rest = list(args)
        prefixes = list(prefixes)
        if name == "env":
            while rest and rest[0].known and rest[0].text.startswith("-"):
                flag = rest.pop(0).text
                if flag in ("-u", "--unset", "-C", "--chdir", "-S") and rest:
                    rest.pop(0)
            while rest and rest[0].known and ENV_ASSIGNMENT(rest[0].text):
                word = rest.pop(0)
                key, _, value = word.text.partition("=")
                prefixes.append((key, Val(value, word.entry, word.sources)))
            while rest and not rest[0].known and len(rest) > 1:
                self.incomplete(self.loc(st, node), f"env argument {rest[0].origin!r} not known statically: taken as assignments")
                rest.pop(0)
        elif name == "timeout":
            while rest and rest[0].known and rest[0].text.startswith("-"):
                flag = rest.pop(0).text
                if flag in ("-s", "--signal", "-k", "--kill-after") and rest:
                    rest.pop(0)
            if rest:
                rest.pop(0)  # the duration
        elif name in ("time", "nohup", "exec", "stdbuf", "nice", "xvfb-run"):
            while rest and rest[0].known and rest[0].text.startswith("-"):
                rest.pop(0)
        if not rest:
            if name == "exec":
                return [st]
            return self.leaf(st, [Val(name), *args], prefixes, node) if name not in self.setup else self.done(st, 0)
        results = self.dispatch(st, rest, prefixes, node)
        if name == "exec":
            for r in results:
                if not r.flow:
                    r.flow = Flow("exit")
        return results

    def done(self, st: State, status: int | None) -> list[State]:
        st.status = status
        return [st]

    def shell_call(self, st: State, args: list[Val], prefixes, node, shell: str, container_cwd: str | None = None) -> list[State]:
        """`bash [options] script args` or `bash -c CMD`; `container_cwd`: run inside a container
        (only `prefixes` for environment, that working directory)."""
        rest = list(args)
        options: set[str] = set()
        command_mode = stdin_mode = False
        while rest and rest[0].known and rest[0].text.startswith(("-", "+")) and rest[0].text not in ("-", "--"):
            flag = rest.pop(0).text
            if flag.startswith("--"):  # --login, --norc, --posix, --noprofile...
                if flag in ("--rcfile", "--init-file") and rest:
                    rest.pop(0)
                continue
            on = flag[0] == "-"
            for letter in flag[1:]:
                option = {"e": "errexit", "u": "nounset"}.get(letter)
                if option:
                    options = options | {option} if on else options - {option}
                elif letter == "c":
                    command_mode = True
                elif letter == "s":
                    stdin_mode = True
                elif letter == "o" and rest:
                    option = rest.pop(0).text
                    if option in ("errexit", "nounset", "pipefail"):
                        options = options | {option} if on else options - {option}
                elif letter == "O" and rest:
                    rest.pop(0)
        if rest and rest[0].known and rest[0].text == "--":
            rest.pop(0)
        if command_mode:  # `bash -c TEXT [$0 [$1...]]`, `sh -ec TEXT`, `bash -lc TEXT`
            if not rest:
                return self.done(st, 2)
            return self.command_string(st, rest[0], rest[1:] or [Val(shell)], prefixes, node, "errexit" in options, frozenset(options),
                                       container_cwd)
        errexit = "errexit" in options
        if stdin_mode or not rest:  # the script is read from stdin: `curl ... | sh -s -- -y`, `bash -s < x.sh`
            return self.stdin_script(st, shell, rest, prefixes, node, errexit, frozenset(options), container_cwd)
        script = rest[0]
        if not script.known:
            self.incomplete(self.loc(st, node), f"script path {script.origin!r} not known statically")
            return self.done(st, 0)
        path = self.repo_path(script.text, st.cwd if container_cwd is None else container_cwd)
        if path is None:
            if container_cwd is not None:
                return self.in_container(st, prefixes, container_cwd, node, lambda c: self.leaf(c, [Val(shell), *args], [], node))
            return self.leaf(st, [Val(shell), *args], prefixes, node)
        if not self.snapshot.exists(path):
            return self.missing(st, node, path)
        if shell in ("sh", "dash"):
            self.posix_sh_caveat(st, node, path)
        return self.call_script(st, path, script.text, rest[1:], prefixes, self.loc(st, node), errexit=errexit,
                                options=frozenset(options), container_cwd=container_cwd)

    def stdin_script(self, st: State, shell: str, args: list[Val], prefixes, node, errexit: bool, options,
                     container_cwd: str | None) -> list[State]:
        """`sh -s args` / `bash` with no script: the text on stdin is the script, args its $1...
        Text known statically (a repository file, a here-document) is interpreted; text fetched
        at run time (`curl ... | sh`) is an incomplete part of the job, which goes on."""
        text = concat(st.stdin) if st.stdin else None
        if text is None or not text.known:
            self.incomplete(self.loc(st, node), f"{shell} runs a script read from stdin, not known statically: not followed",
                            cut=True)
            return self.done(st, 0)
        return self.command_string(st, text, [Val(shell), *args], prefixes, node, errexit, options, container_cwd)

    def posix_sh_caveat(self, st: State, node: Node, path: str) -> None:
        """`sh x.sh` is interpreted as bash; where x.sh needs bash, a POSIX sh may fail instead: say so."""
        scan = self.scan_path(path)
        text = scan.source.text if scan is not None else ""
        found = [name for name, pattern in BASHISMS if re.search(pattern, text, re.MULTILINE)]
        if found:
            self.incomplete(self.loc(st, node), f"{path} is run with sh but uses bash-only {', '.join(found)}: "
                                                "interpreted as bash, a POSIX sh may stop there")

    def missing(self, st: State, node: Node, path: str) -> list[State]:
        made = next((d for d in st.made_dirs if path.startswith(d + "/") and not self.snapshot.is_dir(d)), None)
        top = path.split("/", 1)[0]
        if made is None and "/" in path and not self.snapshot.is_dir(top):
            made = top  # no repository file lies there: what the job makes (`python -m venv venv`, a clone)
        if made is not None:  # under a directory made at run time (a venv, a scratch dir): made then too
            self.incomplete(self.loc(st, node), f"{path} is not in the repository: it lies under {made}, made at run time")
            return self.done(st, 0)
        self.rec.missing.setdefault((self.loc(st, node), path), None)
        return self.done(st, 127)

    def command_string(self, st, text: Val, args, prefixes, node, errexit: bool, options=frozenset(),
                       container_cwd: str | None = None) -> list[State]:
        if not text.known:
            self.incomplete(self.loc(st, node), "bash -c with a command string not known statically")
            return self.done(st, 0)
        location = self.loc(st, node)
        source = Source(location.path, text.text, max(location.line - 1, 0))

        def body(child: State) -> list[State]:
            child.positional = tuple(args[1:])
            child.script = args[0].text if args and args[0].known else None  # $0: the first word after the text
            child.errexit = errexit
            child.nounset, child.pipefail = "nounset" in options, "pipefail" in options
            child.globopts = frozenset()
            child.chain_entries += tuple(v.entry for v in [text, *args] if v.entry is not None)
            return self.run_program(source, [child])

        return self.child_process(st, prefixes, location, body, container_cwd)

    def in_container(self, st: State, env, cwd: str, node: Node, run) -> list[State]:
        """`run(child)` in a container: a new process with only `env`, in `cwd`."""
        def body(child: State) -> list[State]:
            finals = run(child)
            for f in finals:
                f.flow = None
            return finals

        return self.child_process(st, env, self.loc(st, node), body, cwd)

    def child_process(self, st: State, prefixes, location: Location, body, container_cwd: str | None = None) -> list[State]:
        """A new bash process: exported variables and functions and prefixes only, cwd inherited
        (in a container: the prefixes alone, the container's cwd)."""
        if st.depth >= self.settings.max_depth:
            self.incomplete(location, f"call depth limit ({self.settings.max_depth}) reached", cut=True)
            return self.done(st, 0)
        child = st.fork()
        child.vars = {n: v for n, v in st.vars.items() if v.exported}
        child.funcs = {n: f for n, f in st.funcs.items() if n in st.exported_funcs}
        if container_cwd is not None:
            child.vars = {n: v for n, v in self.initial_state(()).vars.items()}  # the image's own HOME, PATH...
            child.funcs, child.exported_funcs, child.containers, child.cwd = {}, frozenset(), {}, container_cwd
        for name, val in prefixes:
            # Seen from the child, a prefix is its environment: conditions on it name it.
            child.vars[name] = Var({0: replace(val, sources=val.sources | {name})}, exported=True)
        child.touched = {n for n in st.touched if n in child.vars}
        child.chain_env = st.chain_env + tuple(n for n, _ in prefixes)
        child.chain_entries = st.chain_entries + tuple(v.entry for _, v in prefixes if v.entry is not None)
        child.locals, child.flow, child.no_errexit, child.loop_depth = [], None, 0, 0
        child.aliases, child.hashed = (), ()  # a new bash: no aliases, an empty hash table
        child.depth = st.depth + 1
        child.capture = [] if st.capture is not None else None
        finals = body(child)
        out = []
        for f in merge_by_status(finals, st):
            back = st.fork()
            back.status, back.status_assumed = f.status, f.status_assumed
            back.assumptions = f.assumptions
            if container_cwd is None:  # directories a child made stay made
                back.made_dirs = st.made_dirs | f.made_dirs
            if st.capture is not None:
                back.capture = (back.capture or []) + (f.capture if f.capture is not None else [Val(None, origin="<output>")])
            out.append(back)
        return out or self.done(st, 0)

    def call_script(self, st: State, path: str, shown: str, args: list[Val], prefixes, location: Location, *,
                    errexit: bool, options=frozenset(), container_cwd: str | None = None) -> list[State]:
        visible = {n: v for n, v in st.vars.items() if v.exported} if container_cwd is None else {}
        visible.update({n: Var({0: v}, exported=True) for n, v in prefixes})
        self.rec.scripts.append(ScriptCall(path, location, *split_known(visible), self.job_id, False))
        source = self.load(path)
        if source is None:
            return self.done(st, 126)
        names = self.config_names_for(path)
        frame = Frame("script", location, path, tuple((n, v.shown()) for n, v in prefixes))

        def body(child: State) -> list[State]:
            child.source = source
            child.script = shown
            child.sources = (shown,)
            child.positional = tuple(args)
            child.errexit = errexit
            child.nounset, child.pipefail = "nounset" in options, "pipefail" in options
            child.globopts = frozenset()
            child.config_names = names
            child.config_scalars = self.config_scalars_for(path)
            child.frames = st.frames + (frame,)
            child.chain_entries += tuple(v.entry for v in args if v.entry is not None)
            finals = self.run_program(source, [child])
            for f in finals:
                if f.flow and f.flow.kind in ("return", "break", "continue"):
                    f.flow = None
            return finals

        return self.child_process(st, prefixes, location, body, container_cwd)

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

    def source_file(self, st: State, args: list[Val], node: Node) -> list[State]:
        if not args or not args[0].known:
            self.incomplete(self.loc(st, node), "sourced path not known statically")
            return self.done(st, 0)
        path = self.repo_path(args[0].text, st.cwd)
        if path is None or not self.snapshot.exists(path):
            if path is not None and not self.made_at_run_time(st, path):
                return self.missing(st, node, path)
            where = "outside the repository" if path is None else "made at run time"
            self.incomplete(self.loc(st, node), f"sourced file {args[0].text!r} is {where}: not followed", cut=True)
            self.assume(st, node, f"{args[0].text} can be sourced")
            return self.done(st, 0)
        location = self.loc(st, node)
        visible = {n: v for n, v in st.vars.items() if v.exported}
        self.rec.scripts.append(ScriptCall(path, location, *split_known(visible), self.job_id, True))
        if st.depth >= self.settings.max_depth:
            self.incomplete(location, f"call depth limit ({self.settings.max_depth}) reached: {path} not followed", cut=True)
            return self.done(st, 0)
        source = self.load(path)
        if source is None:
            return self.done(st, 1)
        saved = (st.source, st.sources, st.positional, st.config_names, st.frames)
        st.source = source
        st.sources = (args[0].text, *st.sources)
        if len(args) > 1:
            st.positional = tuple(args[1:])
        st.config_names = st.config_names | self.config_names_for(path)
        st.config_scalars = {**self.config_scalars_for(path), **st.config_scalars}
        st.frames = st.frames + (Frame("script", location, path),)
        st.depth += 1
        results = self.run_program(source, [st])
        for r in results:
            r.depth -= 1
            r.source, r.sources = saved[0], saved[1]
            if len(args) > 1:
                r.positional = saved[2]
            r.frames = kept_guards(saved[4], r.frames)
            if r.flow and r.flow.kind == "return":
                r.flow = None
        return results

    def leaf(self, st: State, words: list[Val], prefixes, node: Node, looked_up: bool = False) -> list[State]:
        head = words[0].text if words[0].known else None
        if head is not None and "/" not in head and not looked_up:
            found, needs = self.lookup_program(st, head, prefixes, node)
            if found is None:
                return self.done(st, 127)  # "command not found": no run
            if found != head:
                words = [Val(found), *words[1:]]
                head = found
            if needs:  # only this run rests on it: what follows does whether or not it was found
                saved = st.assumptions
                results = self.leaf(self.assume(st, node, needs), words, prefixes, node, looked_up=True)
                for r in results:
                    r.assumptions = saved
                return results
        if head is not None and posixpath.basename(head) in self.setup:
            return self.setup_command(st, posixpath.basename(head), words[1:], node)
        self.record_run(st, words, prefixes, node)
        st.status, st.status_assumed = 0, True
        if st.capture is not None:
            st.capture.append(Val(None, origin="<output>"))
        return [st]

    def lookup_program(self, st: State, name: str, prefixes, node: Node) -> tuple[str | None, str]:
        """What bash runs for a program name: itself, what `hash -p` bound it to, or nothing
        (None) when the job unset PATH; and, when a PATH without the system directories may
        hide it, the assumption its run needs."""
        for hashed, path in reversed(st.hashed):
            if hashed == name:
                return path, ""
        var = dict(prefixes).get("PATH") if any(n == "PATH" for n, _ in prefixes) else None
        if var is None:
            if "PATH" not in st.touched:
                return name, ""
            current = st.get("PATH")
            if current is None or current.scalar is None:
                return (None, "") if current is None or current.items is not None else (name, "")
            var = current.scalar
        if var.known and not any(d.rstrip("/") in SYSTEM_BIN_DIRS for d in var.text.split(":")):
            self.incomplete(self.loc(st, node), f"PATH is {var.text!r}, without the system directories: {name} may not be found")
            return name, f"{name} is found on PATH={var.text}"
        return name, ""

    def record_run(self, st: State, words: list[Val], prefixes, node: Node) -> None:
        location = self.loc(st, node)
        argv = tuple(self.canonical(v.shown(), st.cwd) for v in words)
        names = set(st.chain_env) | set(st.read_exported)
        env: dict[str, str] = {}
        for name in sorted(names):
            var = st.get(name)
            if var is not None and var.exported and var.scalar is not None and var.scalar.known:
                env[name] = var.scalar.text
        for name, val in prefixes:
            if val.known:
                env[name] = val.text
            else:
                env.pop(name, None)
        # Every entry on the way, outermost first: the sweep's config is the subject a reviewer
        # thinks of; entries of arrays looped inside the scripts it calls are reached too.
        leaf_entries = [v.entry for v in [*(v for _, v in prefixes), *words] if v.entry is not None]
        entries = tuple(dict.fromkeys([*st.chain_entries, *leaf_entries]))
        entry = entries[0] if entries else None
        frames = st.frames + (Frame("leaf", location, " ".join(argv)),)
        self.rec.runs.append(Run(self.job_id, argv, tuple(sorted(env.items())), location, st.cwd, entry, frames,
                                 st.assumptions, self.platform, entries, _in_background(node)))

    def canonical(self, word: str, cwd: str) -> str:
        """`canonical_word`, remembered for this interpreter: its snapshot (and whatever notes
        the questions asked of it) already saw the first call, so a repeat asks nothing new."""
        key = (word, cwd)
        found = self._canonical.get(key)
        if found is None:
            found = self._canonical[key] = canonical_word(word, cwd, self.snapshot, self.settings)
        return found

    def setup_command(self, st: State, name: str, args: list[Val], node: Node) -> list[State]:
        if st.capture is not None:
            st.capture.append(Val(None, origin=f"<output of {name}>"))
        st.status = None if name in QUERIES else 0
        st.status_assumed = st.status == 0 and name not in ("true", ":", "echo", "printf")
        return [st]

    # -- expansion -------------------------------------------------------------------
    def expand_words(self, nodes: list[Node], st: State) -> list[Val]:
        plans = _PLANS[False]
        if len(nodes) > 1:  # words tree-sitter split (`pre{$x,$y}post`), noted on the first word's plan
            first = plans.get(nodes[0].id) or word_plan(nodes[0], False)
            joined = first.joined
            if joined is None or joined[0] != len(nodes):
                joined = first.joined = (len(nodes), joined_words(nodes))
            if joined[1] is not None:
                return [v for g in joined[1] for v in (self.fields(g[0], st) if len(g) == 1 else self.joined_fields(g, st))]
        out: list[Val] = []
        for node in nodes:
            plan = plans.get(node.id)
            if plan is not None and plan.fields is not None:  # as `fields` would answer, without the call
                out.extend(plan.fields)
            else:
                out.extend(self.fields(node, st))
        return out

    def fields(self, node: Node, st: State) -> list[Val]:
        """Word expansion with splitting of unquoted expansions and `"$@"` arrays,
        then pathname expansion of the unquoted glob characters (after brace expansion)."""
        plan = word_plan(node, False)
        if plan.fields is not None:  # a word with no expansion and nothing to glob: as it was
            return list(plan.fields)
        if plan.braces is not None:
            if plan.braces is UNCHECKED:
                plan.braces = brace_words(node, st.source)
            if plan.braces is not None:
                return self.brace_fields(node, plan.braces, st)
        segs = self.expansion_alone(plan, st)
        if segs is None:
            segs = self.run_plan(plan, st)
        if len(segs) == 1 and segs[0][1]:  # one quoted piece (`"$x"`, `"${a[@]}"`): nothing splits or globs
            seg = segs[0][0]
            if isinstance(seg, list):
                return list(seg)
            return [as_field(seg)]
        ifs: str | None = None  # read when an unquoted expansion splits
        fields: list[list[tuple[Val, bool]]] = []  # each field as pieces (value, unquoted)
        current: list[tuple[Val, bool]] = []
        started = False
        for seg, quoted in segs:
            if isinstance(seg, list):  # "${a[@]}" / "$@": one field per element
                if not seg:
                    continue
                current.append((seg[0], False))
                for v in seg[1:]:
                    fields.append(current)
                    current = [(v, False)]
                started = True
            elif quoted or seg.origin == "<literal>":
                current.append((as_field(seg), not quoted))
                started = True
            else:
                if not seg.known:
                    current.append((seg, True))
                    started = True
                    continue
                text = seg.text
                if not text:
                    if seg.sources or seg.entry:  # keep provenance on an adjacent piece
                        current.append((seg, True))
                    continue
                if ifs is None:
                    ifs = self.ifs(st, node)
                if ifs is UNKNOWN_IFS:  # how the value splits is not known
                    current.append((Val(None, seg.entry, seg.sources, "<split on an unknown IFS>"), True))
                    started = True
                    continue
                parts = split_fields(seg, ifs)
                white = [c for c in ifs if c in " \t\n"]
                lead = text[0] in ifs
                trail = text[-1] in ifs and (text[-1] in white or len(parts) > 0)
                # (an empty unquoted piece kept for its provenance starts no field)
                if lead and (started or any(v.text or not v.known for v, _ in current)):
                    fields.append(current)
                    current, started = [], False
                for i, p in enumerate(parts):
                    if i > 0:
                        fields.append(current)
                        current = []
                    current.append((p, True))
                    started = True
                if trail and parts:
                    fields.append(current)
                    current, started = [], False
        if current and (started or any(v.text or not v.known for v, _ in current)):
            fields.append(current)
        elif started:
            fields.append([])
        result = [v for pieces in fields for v in self.glob_field(st, node, pieces)]
        if plan.fixed:
            plan.fields = tuple(result)
        return result

    def joined_fields(self, group: list[Node], st: State) -> list[Val]:
        """One bash word that tree-sitter split in several nodes (`pre{$x,$y}post`)."""
        text = "".join(node_text(n) for n in group)
        words = brace_words_text(text, group[0].start_point[0], st.source.path) if braces.has_braces(text) else None
        if words is None:
            # Read again as the value of an assignment, where tree-sitter may take it whole.
            node = self._word_node(st, text)
            if node is not None and node_text(node) == text:
                return self.fields(node, st)
            words = "tree-sitter reads it as several words"
        return self.brace_fields(group[0], words, st, text)

    def brace_fields(self, node: Node, words: tuple[Node, ...] | str, st: State, text: str | None = None) -> list[Val]:
        """The fields of the words a brace expression became, each expanded in turn."""
        if isinstance(words, str):
            text = text or self.text(node)
            shown = text if len(text) <= 80 else text[:77] + "..."
            self.incomplete(self.loc(st, node), f"word {shown!r} not followed: {words}")
            return [unknown(f"<word {text} not followed>")]  # shown so: never taken for the literal text
        return [v for w in words for v in self.fields(w, st)]

    def glob_field(self, st: State, node: Node, pieces: list[tuple[Val, bool]]) -> list[Val]:
        """A field with unquoted `*`, `?` or `[` names the repository files it matches (bash's
        pathname expansion); no match leaves the word as written unless `nullglob`/`failglob`."""
        value = concat([v for v, _ in pieces]) if pieces else EMPTY
        if "noglob" in st.globopts or not any(active and v.text and has_glob_char(v.text) for v, active in pieces):
            return [value]
        if not value.known:
            self.incomplete(self.loc(st, node), f"glob {value.origin!r} not known statically: not expanded")
            return [value]
        pattern = tuple((v.text, not active) for v, active in pieces if v.text)
        if not patterns.is_glob(pattern):
            return [value]
        matches = globbing.expand(pattern, st.cwd, self.snapshot, self.settings.roots,
                                  dotglob="dotglob" in st.globopts, globstar="globstar" in st.globopts,
                                  made_dirs=st.made_dirs)
        if matches is None:
            self.incomplete(self.loc(st, node), f"glob {value.text!r} is matched against files outside the repository: not expanded")
            return [value]
        if matches:
            return [Val(m, value.entry, value.sources) for m in matches]
        if "nullglob" in st.globopts:
            return []
        if "failglob" in st.globopts and not st.flow:  # bash reports `no match` and drops the top-level command
            st.flow, st.status = Flow("discard"), 1
        return [value]

    def ifs(self, st: State, node: Node | None = None) -> str:
        """IFS as word splitting uses it; UNKNOWN_IFS (which `is` compares) when its value is
        not known statically."""
        var = st.get("IFS")
        if var is None or (var.items is not None and var.scalar is None):
            return IFS_DEFAULT
        if var.scalar is not None and var.scalar.known:
            return var.scalar.text
        where = self.loc(st, node) if node is not None else Location(st.source.path, st.source.line_offset + 1)
        self.incomplete(where, "IFS not known statically: how values split is unknown")
        return UNKNOWN_IFS

    def expand_string(self, node: Node | None, st: State) -> Val:
        """Expansion without splitting (assignments, `[[ ]]` operands, case subjects)."""
        if node is None:
            return EMPTY
        plan = word_plan(node, False)
        if plan.string is not None:
            return plan.string
        segs = self.expansion_alone(plan, st)
        if segs is None:
            segs = self.run_plan(plan, st)
        parts = []
        for seg, quoted in segs:
            if isinstance(seg, list):
                parts.append(join_values(seg, " "))
            else:
                parts.append(seg)
        value = concat(parts) if parts else EMPTY
        if value.origin == "<literal>":  # the string is a value now: `$x` of it splits
            value = as_field(value)
        if plan.static is not None:
            plan.string = value
        return value

    def expand_text(self, st: State, text: str) -> Val:
        """Expand a fragment of shell text as a double-quoted string."""
        if "$" not in text and "`" not in text and "\\" not in text and "'" not in text and '"' not in text:
            return Val(text)
        src = Source(st.source.path, f'_x="{text}"', st.source.line_offset)
        tree = parse_source(src)
        node = tree.root_node.named_children[0] if tree.root_node.named_children else None
        value = node.child_by_field_name("value") if node is not None and node.type == "variable_assignment" else None
        return self.expand_string(value, st) if value is not None else Val(text)

    def segments(self, node: Node, st: State, in_quotes: bool) -> list[tuple] | tuple[tuple, ...]:
        """The pieces of a word: (Val, quoted) or (list[Val], True) for `"${a[@]}"`.
        The word's shape is compiled once per node (`word_plan`); only its expansions
        are evaluated here, in order."""
        return self.run_plan(word_plan(node, in_quotes), st)

    def run_plan(self, plan: "WordPlan", st: State) -> list[tuple] | tuple[tuple, ...]:
        if plan.static is not None:
            return plan.static
        out = []
        for kind, payload, quoted in plan.ops:
            if kind is STATIC:
                out.append(payload)
            elif kind is VAR:
                out.append(self.simple_expansion(payload, st, quoted))
            elif kind is PARAM:
                seg = self.parameter(payload, st, quoted)
                if seg.__class__ is Pieces:
                    out.extend(seg)
                else:
                    out.append(seg)
            else:
                out.extend(self.dynamic_segments(payload, st, quoted))
        return out

    def expansion_alone(self, plan: "WordPlan", st: State) -> list[tuple] | None:
        """`run_plan` of a word that is one `$x` or `${...}` (quoted or not), the commonest
        dynamic word, without the loop; None for any other word."""
        ops = plan.ops
        if len(ops) != 1:
            return None
        kind, payload, quoted = ops[0]
        if kind is VAR:
            return [self.simple_expansion(payload, st, quoted)]
        if kind is PARAM:
            seg = self.parameter(payload, st, quoted)
            return seg if seg.__class__ is Pieces else [seg]
        return None

    def dynamic_segments(self, node: Node, st: State, in_quotes: bool) -> list[tuple]:
        """The pieces of a word part whose shape `word_plan` cannot fix in advance."""
        t = node.type
        if t == "word":  # unquoted `~...`: HOME is read (and tracked) whatever follows the `~`
            text = self.text(node)
            home = self.read_var(st, "HOME") or unknown("~")
            rest = unescape_word(text[1:]) if text[1:2] in ("", "/") else None
            if rest is not None:
                return [(home, True), (Val(rest, origin="<literal>"), False)]
            return [payload for _, payload, _ in literal_ops(t, text, in_quotes)]
        if t == "command_substitution":
            return [(self.command_substitution(node, st), in_quotes)]
        if t == "arithmetic_expansion":
            value = self.arith_text(st, node, inner_of(node, "$((", "))") or inner_of(node, "$[", "]"))
            return [(Val(str(value)) if value is not None else unknown(self.text(node)), in_quotes)]
        self.incomplete(self.loc(st, node), f"word {t!r} not understood")
        return [(unknown(self.text(node)), in_quotes)]

    def quoted_pieces(self, node: Node, st: State, start: int, end: int, heredoc: bool = False) -> list:
        """Pieces of a double-quoted region (a here-document's body): literal gaps and expansions."""
        return [seg for seg, _ in self.run_plan(WordPlan(quoted_ops(node, start, end, heredoc)), st)]

    def simple_expansion(self, name: str, st: State, quoted: bool):
        """`$name` (the name as `word_plan` read it)."""
        if name in ("@", "*"):
            vals = list(st.positional)
            if quoted and name == "@":
                return (vals, True)
            return (join_values(vals, self.ifs(st)[:1] if name == "*" else " "), quoted)
        return (self.special_or_var(st, name), quoted)

    def special_or_var(self, st: State, name: str) -> Val:
        if name.isdigit():
            i = int(name)
            if i == 0:
                return self.dollar0(st)
            if i > len(st.positional):
                self.unbound(st, name)
                return EMPTY
            return st.positional[i - 1]
        if name == "#":
            return Val(str(len(st.positional)))
        if name == "?":
            return Val(str(st.status)) if st.status is not None else unknown("$?")
        if name in ("$", "!", "BASHPID", "RANDOM", "SECONDS", "LINENO", "EPOCHSECONDS", "PPID", "UID", "EUID"):
            return unknown(f"${name}")
        if name == "-":
            return Val("e" if st.errexit else "")
        if name == "PWD" and "PWD" not in st.touched:
            return self.pwd(st)
        val = self.read_var(st, name)
        if val is None:
            self.unbound(st, name)
        return val or Val("", sources=self.env_sources(st, name))

    def dollar0(self, st: State) -> Val:
        return Val(st.script) if st.script is not None else unknown("$0")

    def unset(self, st: State, name: str) -> bool:
        """Certainly unset here (in the open world an untouched environment name may be set)."""
        return st.get(name) is None and not (self.open_world and name not in st.touched and is_env_name(name)) \
            and not (name in BASH_SETS and name not in st.touched)

    def unbound(self, st: State, name: str, discard: bool = False) -> None:
        """An unset variable was expanded: under `set -u` bash prints an error and the script ends
        (`discard`: only the top-level command being run ends, as for `${#unset[@]}`)."""
        if st.nounset and not st.flow:
            st.flow = Flow("discard" if discard else "exit")
            st.status = 1

    def env_sources(self, st: State, name: str) -> frozenset[str]:
        return frozenset({name}) if name not in st.touched and is_env_name(name) else frozenset()

    def lookup(self, st: State, name: str) -> tuple[Var | None, bool]:
        var = st.get(name)
        if var is None and name in BASH_SETS and name not in st.touched:
            var = bash_set(name)
        return var, var is not None and (var.items is None or bool(var.items))

    def read_var(self, st: State, name: str, track: bool = True) -> Val | None:
        """The scalar value of a variable (None: unset), tracking environment reads."""
        var = st.get(name)
        if track:
            self.track(st, name, var)
        if var is None:
            if name in BASH_SETS and name not in st.touched:
                return unknown(f"${name}")  # bash sets it itself, to what this machine says
            if self.open_world and name not in st.touched and is_env_name(name) and name not in ("IFS",):
                return unknown(f"${name}", frozenset({name}))
            return None
        if var.items is None:
            return unknown(var.origin or f"${name}", frozenset({name}) if var.from_env else frozenset())
        val = var.scalar
        if val is None:
            return None
        return val

    def track(self, st: State, name: str, var: Var | None) -> None:
        if (var is None and name not in st.touched) or (var is not None and var.from_env):
            if is_env_name(name):
                self.rec.reads.add(name)
        if var is not None and var.exported and name not in st.read_exported:
            st.read_exported = st.read_exported | {name}

    def pwd(self, st: State) -> Val:
        if st.cwd == "?":
            return unknown("$PWD")
        if st.cwd.startswith("/"):
            return Val(st.cwd)
        root = self.settings.roots[0]
        return Val(root.rstrip("/") + ("/" + st.cwd if st.cwd else ""))

    def array_values(self, st: State, name: str) -> list[Val] | None:
        var = st.get(name)
        self.track(st, name, var)
        if var is None:
            if name == "BASH_SOURCE":
                return [Val(s) for s in st.sources] or [self.dollar0(st)]
            return []  # arrays are never inherited from the environment
        if var.items is None:
            return None
        keys = sorted(var.items) if not var.assoc else list(var.items)
        return [var.items[k] for k in keys]

    def element(self, st: State, name: str, index_text: str) -> Val:
        var = st.get(name)
        self.track(st, name, var)
        if var is None and name == "BASH_SOURCE":
            i = self.arith_eval(st, index_text) or 0
            seq = list(st.sources) or [st.script]
            return Val(seq[i]) if 0 <= i < len(seq) else NO_ELEMENT
        if var is None:
            if self.open_world and name not in st.touched and is_env_name(name):
                return unknown(f"${{{name}[{index_text}]}}", frozenset({name}))
            return Val("", sources=self.env_sources(st, name))
        key = self.subscript_key(st, index_text, var.assoc)
        if key is None or var.items is None:
            return unknown(f"${{{name}[{index_text}]}}")
        if not var.assoc and isinstance(key, int) and key < 0:
            ints = sorted(k for k in var.items if isinstance(k, int))
            key = ints[key] if -key <= len(ints) else None
        return var.items.get(key, NO_ELEMENT) if key is not None else NO_ELEMENT

    def parameter(self, node: Node, st: State, quoted: bool):
        """`${...}`: every operator bash offers that sweep scripts use."""
        prefix, empty, name, index, op, operands = expansion_shape(node)
        if empty:
            if prefix == "#":
                return (Val(str(len(st.positional))), quoted)
            return (unknown(self.text(node)), quoted)
        if name in ("@", "*") and index is None:  # `${@}` is `$@`, `${#@}` is `$#`
            index = name
        if name is None:
            self.incomplete(self.loc(st, node), f"expansion {self.text(node)!r} not understood")
            return (unknown(self.text(node)), quoted)
        whole = index in ("@", "*")
        # Prefix operators.
        if prefix == "!" and whole:
            var = st.get(name)
            if var is None or var.items is None:
                return ([] if var is None else [unknown(self.text(node))], True) if quoted else (EMPTY, quoted)
            keys = [Val(str(k)) for k in (sorted(var.items) if not var.assoc else var.items)]
            return (keys, True) if quoted and index == "@" else (join_values(keys, " "), quoted)
        if prefix == "!":
            ref = self.read_var(st, name)
            if ref is None or not ref.known:
                return (unknown(self.text(node)), quoted)
            name = ref.text
            index = None
            if "[" in name and name.endswith("]"):
                name, _, index = name[:-1].partition("[")
        if prefix == "#":
            if whole:
                if name not in ("@", "*") and self.unset(st, name):
                    self.unbound(st, name, discard=True)
                vals = self.array_values(st, name) if name not in ("@", "*") else list(st.positional)
                return (Val(str(len(vals))) if vals is not None else unknown(self.text(node)), quoted)
            val = self.get_value(st, name, index)
            if val is None:
                self.unbound(st, name)
            return (Val(str(len(val.text))) if val is not None and val.known else
                    (Val("0") if val is None else unknown(self.text(node))), quoted)
        # The value itself.
        if whole:
            vals = self.array_values(st, name) if name not in ("@", "*") else list(st.positional)
            if vals is None:
                return (unknown(self.text(node), frozenset({name})), quoted)
            is_set = bool(vals)
        else:
            val = self.get_value(st, name, index)
            is_set = val is not None
            vals = [val] if val is not None else []
        if op:
            result = self.apply_operator(st, node, name, index, op, operands, vals, is_set, whole, quoted)
            if result.__class__ is Pieces:
                return result
            if result is not None:
                vals, whole = result
        else:
            if not vals and not whole:
                self.unbound(st, name)
                vals = [Val("", sources=self.env_sources(st, name))]
        if whole and quoted and index == "@":
            return (vals, True)
        if whole:
            return (join_values(vals, self.ifs(st)[:1] if index == "*" else " "), quoted)
        return (vals[0] if vals else EMPTY, quoted)

    def get_value(self, st: State, name: str, index: str | None) -> Val | None:
        """A scalar or one element; None when unset."""
        if index is not None:
            var = st.get(name)
            if var is None and name != "BASH_SOURCE" and not self.open_world:
                self.track(st, name, var)
                return None
            val = self.element(st, name, index)
            if var is not None and var.items is not None and val is NO_ELEMENT:
                return None
            return val
        if name.isdigit() or name in ("#", "?", "$", "!", "-", "0", "@", "*"):
            if name.isdigit() and name != "0" and int(name) > len(st.positional):
                return None
            if name in ("@", "*"):
                return join_values(list(st.positional), " ")
            return self.special_or_var(st, name)
        if name == "PWD" and "PWD" not in st.touched:
            return self.pwd(st)
        val = self.read_var(st, name)
        if val is not None and not val.sources and name not in st.touched and is_env_name(name):
            pass
        return val

    def apply_operator(self, st, node, name, index, op, operands, vals, is_set, whole, quoted=False):
        src = frozenset({name}) if name not in st.touched and is_env_name(name) else frozenset()
        value = vals[0] if vals and not whole else (join_values(vals, " ") if vals else None)
        colon = op.startswith(":") and op not in (":",)
        if op in (":-", "-", ":=", "=", ":+", "+", ":?", "?"):
            if value is not None and not value.known and value.nonempty is None and colon:
                word = self.operand(st, node, operands)
                if op[1] == "+":
                    return ([unknown(self.text(node), value.sources | src)], False)
                nonempty = True if word.known and word.text else None
                return ([Val(None, value.entry, value.sources | src, self.text(node), nonempty)], False)
            empty = not is_set or (colon and value is not None and value.known and value.text == "" and not (whole and len(vals) > 1))
            if value is not None and not value.known and value.nonempty is False and colon:
                empty = True
            if op[-1] in "-=":
                if not empty:
                    return None
                if op[-1] == "-":
                    return self.operand_pieces(st, node, op, operands, quoted, src)
                word = self.operand(st, node, operands)
                word = Val(word.text, word.entry, word.sources | src, word.origin, word.nonempty)
                st.assign(name, word)
                st.touched.add(name)
                return ([word], False)
            if op[-1] == "+":
                if empty:
                    if whole and quoted and index == "@" and not vals:  # `"${a[@]+...}"`, no element: no word
                        return Pieces([([], True)])
                    return ([Val("", sources=src)], False)
                return self.operand_pieces(st, node, op, operands, quoted, src)
            if op[-1] == "?":
                if empty:
                    self.incomplete(self.loc(st, node), f"{name} unset: the script would stop here")
                    st.flow = Flow("exit")
                    st.status = 1
                    return ([EMPTY], False)
                return None
        if value is None and not whole:
            self.unbound(st, name)
        targets = vals if whole else [value if value is not None else Val("", sources=src)]
        if op in ("#", "##", "%", "%%"):
            pat, _ = self.pattern_nodes(st, node, operands)
            return ([self.map_known(v, lambda s: patterns.strip(s, pat, suffix=op[0] == "%", longest=len(op) == 2, extglob="extglob" in st.globopts), pat)
                     for v in targets], whole)
        if op in ("/", "//", "/#", "/%"):
            raw = self.operand_text(node, operands)
            pat_text, rep_text = split_unescaped(raw, "/")
            pat = self.pattern_of_text(st, pat_text)
            rep = self.word_of_text(st, rep_text) if rep_text is not None else Val("")
            mode = {"/": "first", "//": "all", "/#": "prefix", "/%": "suffix"}[op]
            if not rep.known:
                return ([unknown(self.text(node), v.sources) for v in targets], whole)
            if not pat_text and mode in ("prefix", "suffix"):  # an empty pattern matches at the start / end
                glue = (lambda s: rep.text + s) if mode == "prefix" else (lambda s: s + rep.text)
                return ([self.map_known(v, glue, ()) for v in targets], whole)
            return ([self.map_known(v, lambda s: patterns.substitute(s, pat, rep.text, mode=mode, extglob="extglob" in st.globopts), pat) for v in targets], whole)
        if op in (",,", ",", "^^", "^"):
            fn = {",,": str.lower, "^^": str.upper, ",": lambda s: s[:1].lower() + s[1:], "^": lambda s: s[:1].upper() + s[1:]}[op]
            return ([self.map_known(v, fn, ()) for v in targets], whole)
        if op == ":":
            return self.substring(st, node, name, operands, targets, whole)
        if op == "@":
            if not is_set and not whole:  # an unset variable transforms to nothing
                return ([Val("", sources=src)], False)
            return self.transform(st, node, name, "".join(self.text(c) for c in operands), targets, whole)
        self.incomplete(self.loc(st, node), f"expansion operator {op!r} not modelled")
        return ([unknown(self.text(node))], False)

    def transform(self, st: State, node: Node, name: str, letter: str, targets: list[Val], whole: bool):
        """`${x@Q}`, `@E`, `@U`, `@L`, `@u`, `@A` on known values (each element of an array)."""
        fn = TRANSFORMS.get(letter)
        if letter == "A" and not whole:
            fn = lambda s: f"{name}={quote_for_reuse(s)}"  # noqa: E731
        if fn is None:
            self.incomplete(self.loc(st, node), f"transformation {self.text(node)!r} not modelled")
            return ([unknown(self.text(node))], False)
        return ([self.map_known(v, fn, ()) for v in targets], whole)

    def map_known(self, v: Val, fn, pat) -> Val:
        if not v.known or pat is None or (pat and len(v.text) > MAX_PATTERN_TEXT):  # glob matching is quadratic
            return Val(None, v.entry, v.sources, v.origin or "<transformed>")
        return Val(fn(v.text), v.entry, v.sources)

    def substring(self, st, node, name, operands, targets, whole):
        """`${x:off:len}` on a string; on `$@` / `$*` (where `$0` is number 0) and on arrays
        (`${a[@]:off:len}`: the elements whose index is at least `off`), a slice of elements."""
        text = "".join(self.text(c) for c in operands)
        off_text, _, len_text = text.partition(":")
        offset = self.arith_eval(st, off_text) if off_text.strip() else 0
        length = self.arith_eval(st, len_text) if len_text.strip() else None
        if offset is None or (len_text.strip() and length is None):
            return ([unknown(self.text(node))], False)
        if whole:
            seq = self.slice_of(st, name, targets, offset)
            if seq is None or (length is not None and length < 0):  # bash: `substring expression < 0`
                if seq is not None:
                    self.incomplete(self.loc(st, node), f"{self.text(node)!r}: a negative length is an error in bash")
                return ([unknown(self.text(node))], False)
            return (seq[:length] if length is not None else seq, True)
        v = targets[0]
        if not v.known:
            return ([unknown(self.text(node), v.sources)], False)
        s = v.text
        start = offset if offset >= 0 else len(s) + offset
        if start < 0 or start > len(s):
            return ([Val("", v.entry, v.sources)], False)
        out = s[start:]
        if length is not None:
            if length < 0 and len(out) + length < 0:
                self.incomplete(self.loc(st, node), f"{self.text(node)!r}: a length before the offset is an error in bash")
                return ([unknown(self.text(node))], False)
            out = out[:length] if length >= 0 else out[: len(out) + length]
        return ([Val(out, v.entry, v.sources)], False)

    def slice_of(self, st: State, name: str, targets: list[Val], offset: int) -> list[Val] | None:
        """The elements from `offset` on, as bash numbers them (None: not known)."""
        if name in ("@", "*"):
            seq = [self.dollar0(st), *targets]
            start = offset if offset >= 0 else len(seq) + offset
            return seq[start:] if start >= 0 else []
        var = st.get(name)
        if var is None:
            return []
        if var.items is None or var.assoc:  # an associative array's order is bash's hash order
            return None
        keys = sorted(var.items)
        start = offset if offset >= 0 else (keys[-1] + 1 if keys else 0) + offset
        return [var.items[k] for k in keys if k >= start] if start >= 0 else []

    def operand(self, st: State, node: Node, operands: list[Node]) -> Val:
        """The word after an operator (`${X:-word}`), expanded without splitting."""
        if not operands:
            return Val("")
        raw = node.text or b""
        start = operands[0].start_byte
        end = operands[-1].end_byte
        pieces = []
        pos = start
        for c in operands:
            if c.start_byte > pos:
                pieces.append(Val(raw[pos - node.start_byte : c.start_byte - node.start_byte].decode()))
            if c.is_named:
                for seg, _ in self.segments(c, st, False):
                    pieces.append(join_values(seg, " ") if isinstance(seg, list) else seg)
            else:
                pieces.append(Val(self.text(c)))
            pos = c.end_byte
        del end
        return concat(pieces) if pieces else Val("")

    def operand_pieces(self, st: State, node: Node, op: str, operands: list[Node], quoted: bool,
                       src: frozenset[str]) -> "Pieces":
        """The word of `${x:-word}` / `${x:+word}` as the pieces it expands to, each keeping its
        own quoting: unquoted, its quoted parts do not split and the rest does (`${y:+--flag "$y"}`
        is two words); in double quotes everything is quoted, single quotes are plain text and an
        inner `${a[@]}` still makes one word per element (`"${a[@]+"${a[@]}"}"`)."""
        out = Pieces()
        if quoted:
            string = quoted_operand(node)
            if string is None:
                self.incomplete(self.loc(st, node), f"quotes inside the double-quoted {self.text(node)!r} not modelled")
                return Pieces([(unknown(self.text(node), src), True)])
            out.extend(self.segments(string, st, False))
        for part in () if quoted else operand_parts(node, op, operands):
            if isinstance(part, str):
                self.operand_text_piece(part, out)
            else:
                out.extend(self.segments(part, st, False))
        if quoted and not out:
            out.append((Val(""), True))
        if src:
            out[:] = [(Val(v.text, v.entry, v.sources | src, v.origin, v.nonempty), q) if isinstance(v, Val) else (v, q)
                      for v, q in out]
        return out

    @staticmethod
    def operand_text_piece(text: str, out: list) -> None:
        """Literal text of an unquoted operand: escaped characters are quoted, the rest splits
        like an expansion's value."""
        for v, q in escaped_pieces(text):
            out.append((v, True) if q else (Val(v.text), False))

    def operand_text(self, node: Node, operands: list[Node]) -> str:
        """The raw source between an expansion's operator and its closing brace."""
        if not operands:
            return ""
        raw = node.text or b""
        start = operands[0].start_byte - node.start_byte
        end = len(raw) - 1 if raw.endswith(b"}") else len(raw)
        return raw[start:end].decode("utf-8", "replace")

    def _word_node(self, st: State, text: str) -> Node | None:
        src = Source(st.source.path, f"_x={text}", st.source.line_offset)
        tree = parse_source(src)
        node = tree.root_node.named_children[0] if tree.root_node.named_children else None
        if node is None or node.type != "variable_assignment" or tree.root_node.has_error:
            return None
        return node.child_by_field_name("value")

    def pattern_of_text(self, st: State, text: str):
        if not text:
            return ()
        node = self._word_node(st, text)
        if node is None:
            return ((text, False),)
        pat, _ = self.pattern(node, st)
        return pat

    def word_of_text(self, st: State, text: str) -> Val:
        if not text:
            return Val("")
        node = self._word_node(st, text)
        return self.expand_string(node, st) if node is not None else Val(text)

    def pattern_nodes(self, st: State, node: Node, operands: list[Node]):
        pieces: list[tuple[str, bool]] = []
        for c in operands:
            pat, _ = self.pattern(c, st)
            if pat is None:
                return None, frozenset()
            pieces.extend(pat)
        return tuple(pieces), frozenset()

    def pattern_group(self, nodes: list[Node], st: State):
        """One pattern written as adjacent nodes; None when a part is unknown or unreadable."""
        pieces: list[tuple[str, bool]] = []
        sources: frozenset[str] = frozenset()
        for node in nodes:
            if node.type == "ERROR":
                return None, sources
            pat, src = self.pattern(node, st)
            sources |= src
            if pat is None:
                return None, sources
            pieces.extend(pat)
        return tuple(pieces), sources

    def pattern(self, node: Node, st: State):
        """A glob pattern from a word: quoted parts literal. None when unknown."""
        pieces: list[tuple[str, bool]] = []
        sources: frozenset[str] = frozenset()
        for seg, quoted in self.segments(node, st, False):
            v = join_values(seg, " ") if isinstance(seg, list) else seg
            sources |= v.sources
            if not v.known:
                return None, sources
            if node.type in ("word", "extglob_pattern", "regex") and not quoted:
                pieces.append((self.text(node), False))
                return tuple(pieces), sources
            pieces.append((v.text, quoted))
        return tuple(pieces), sources

    def command_substitution(self, node: Node, st: State) -> Val:
        inner = arithmetic_inner(self.text(node))
        if inner is not None:  # `$((n+1))` that tree-sitter read as `$( (n+1) )` (here-documents, `${x:-$((..))}`)
            value = self.arith_text(st, node, inner)
            return Val(str(value)) if value is not None else unknown(self.text(node))
        body = [c for c in node.named_children if c.type in STATEMENTS]
        if not body:  # `$(< file)` and friends
            redirect = next((c for c in node.named_children if c.type == "file_redirect"), None)
            if redirect is not None:
                child = st.fork()
                self.apply_redirect(redirect, child)
                if child.stdin is not None:
                    return Val((concat(child.stdin).text or "").rstrip("\n"))
            return unknown(self.text(node))
        child = st.fork()
        child.capture = []
        child.errexit = False
        child.no_errexit = 0
        finals = self.exec_block(body, [child])
        st.sub_status = finals[0].status if len(finals) == 1 else None
        if len(finals) != 1:
            return unknown(self.text(node))
        out = concat(finals[0].capture) if finals[0].capture else Val("")
        if not out.known:
            return Val(None, out.entry, out.sources, self.text(node))
        return Val(out.text.rstrip("\n"), out.entry, out.sources)

    # -- arithmetic -----------------------------------------------------------------
    def arith_text(self, st: State, node: Node, text: str) -> int | None:
        """Evaluate arithmetic text after expanding `$x` / `${...}` / `$(...)` inside it."""
        if "$" in text or "`" in text:
            expanded = self.expand_text(st, text)
            if not expanded.known:
                return None
            text = expanded.text
        try:
            return arith.evaluate(text, ArithScope(self, st))
        except (arith.ArithError, RecursionError, ValueError) as exc:
            self.incomplete(self.loc(st, node), f"arithmetic not understood: {exc}")
            return None

    def arith_eval(self, st: State, text: str) -> int | None:
        if "$" in text:
            expanded = self.expand_text(st, text)
            if not expanded.known:
                return None
            text = expanded.text
        try:
            return arith.evaluate(text, ArithScope(self, st))
        except (arith.ArithError, RecursionError, ValueError):
            return None

    # -- paths -------------------------------------------------------------------------
    def repo_path(self, text: str | None, cwd: str) -> str | None:
        return repo_path(text, cwd, self.settings)


class ArithScope:
    def __init__(self, interp: Interpreter, st: State):
        self.interp, self.st = interp, st

    def get_number(self, name: str) -> int | None:
        if "[" in name:
            base, _, idx = name[:-1].partition("[")
            val = self.interp.element(self.st, base, idx)
        else:
            val = self.interp.special_or_var(self.st, name) if name.isdigit() else self.interp.read_var(self.st, name)
        if val is None:
            return 0
        if not val.known:
            return None
        text = val.text.strip()
        if not text:
            return 0
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return arith.evaluate(text, self) if re.fullmatch(r"[A-Za-z_0-9+\-*/%() ]+", text) else None
        except arith.ArithError:
            return None

    def set_number(self, name: str, value: int) -> None:
        self.st.touched.add(name.split("[")[0])
        if "[" in name:
            base, _, idx = name[:-1].partition("[")
            var = self.st.get(base)
            items = dict(var.items) if var is not None and var.items is not None else {}
            items[int(idx)] = Val(str(value))
            self.st.set(base, Var(items, True, False, bool(var and var.exported)))
            return
        self.st.assign(name, Val(str(value)))


# ---------------------------------------------------------------------------- helpers
def loop_fingerprint(st: State) -> int:
    return hash((repr(sorted(st.vars.items())), st.positional, st.cwd, st.stdin and repr(st.stdin)))


def havoc(states: list[State], before: dict[str, Var]) -> None:
    """After a loop that ran an unknown number of times: whatever any pass wrote is unknown."""
    written = {name for s in states for name, var in s.vars.items() if before.get(name) is not var}
    written |= {name for name in before if any(name not in s.vars for s in states)}
    for s in states:
        for name in written:
            old = s.vars.get(name) or before.get(name)
            is_array = bool(old and old.is_array)
            s.vars[name] = Var(None, is_array, bool(old and old.assoc), bool(old and old.exported),
                               origin=f"${name} (set in a loop run an unknown number of times)")
            s.touched.add(name)


# ---------------------------------------------------------------------------- compiled words
# A word's shape (its literal pieces, where its expansions sit, how each is quoted) is fixed
# by the syntax tree, so it is worked out once per node and kept: `segments` then evaluates
# only the expansions.  Trees stay alive for the process (`parse.parse_source` keeps them),
# so a node id is a stable key (see `per_node`).  Each op is (kind, payload, quoted):
STATIC = "static"  # payload: the segment itself, (Val, quoted), the same on every expansion
VAR = "var"  # payload: the name of a `$name`
PARAM = "param"  # payload: a `${...}` node
DYNAMIC = "dynamic"  # payload: a node whose segments `Interpreter.dynamic_segments` computes
# `==` and `=~` are tokens of their own for tree-sitter-bash even as plain arguments (`[ "$a" == b ]`).
LITERAL_WORDS = frozenset({"word", "number", "extglob_pattern", "regex", "test_operator", "variable_name", "==", "=~"})


UNCHECKED = object()  # `WordPlan.braces` not worked out yet


class Pieces(list):
    """What one `${...}` expands to when it is more than one piece: [(Val or list[Val], quoted)]."""


class WordPlan:
    __slots__ = ("ops", "static", "fixed", "fields", "string", "braces", "joined")

    def __init__(self, ops: list[tuple], braces=None):
        self.ops = ops
        # Only literal pieces: the segments themselves, the same every time.
        self.static = tuple(payload for _, payload, _ in ops) if all(k is STATIC for k, _, _ in ops) else None
        # ...and nothing that splits on IFS or globs: its fields do not depend on the state either.
        self.fixed = self.static is not None and all(
            (quoted or val.origin == "<literal>") and (quoted or not val.known or not any(c in val.text for c in "*?["))
            for val, quoted in self.static)
        self.fields: tuple[Val, ...] | None = None  # `Interpreter.fields` of a fixed plan, once known
        self.string: Val | None = None  # `Interpreter.expand_string` of a static plan, once known
        # The words a brace expression in the word becomes (`brace_words`), UNCHECKED when the
        # word may hold one, None when it holds none.
        self.braces = braces
        # (how many words, `joined_words` of them) for the first word of a command's words.
        self.joined: tuple | None = None


CLOCK_STEPS = 4096  # steps between two looks at the revision's wall-clock budget (`deadline`)
_PLANS: tuple[dict, dict] = ({}, {})  # [in_quotes][node id] -> WordPlan
# Entries one memo keeps before it starts again: the words and commands of the scripts being
# interpreted now are what repeats (a sweep's loop body, the script it calls per config); a
# memo of every node of a large tree would cost tens of MB for little more speed.
MAX_MEMO = 4096


def word_plan(node: Node, in_quotes: bool) -> WordPlan:
    if node.__class__ is _Literal:  # stand-ins are made afresh on each use
        return WordPlan(word_ops(node, in_quotes), may_brace(node, in_quotes))
    plans = _PLANS[in_quotes]
    plan = plans.get(node.id)
    if plan is None:
        if len(plans) >= MAX_MEMO:
            plans.clear()
        plan = plans[node.id] = WordPlan(word_ops(node, in_quotes), may_brace(node, in_quotes))
    return plan


def may_brace(node: Node, in_quotes: bool):
    """UNCHECKED when brace expansion may change the word, else None."""
    if in_quotes or node.type not in ("word", "concatenation", "brace_expression"):
        return None
    return UNCHECKED if braces.has_braces(node_text(node)) else None


def joined_words(nodes: list[Node]) -> list[list[Node]] | None:
    """The nodes grouped into bash's words where tree-sitter split one word in touching nodes
    (`pre{$x,$y}post`); None when every node is a word of its own."""
    groups = [[nodes[0]]]
    for node in nodes[1:]:
        # (one line only: touching nodes across lines are a misparse of more than a word)
        if node.start_byte == groups[-1][-1].end_byte and node.end_point[0] == groups[-1][0].start_point[0]:
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups if len(groups) < len(nodes) else None


_HEREDOC_MARK = re.compile(r"""<<-?\s*(?:'[^']*'|"[^"]*"|\\?[A-Za-z_0-9]+)""")


def heredoc_line_rest(line: str) -> str:
    """What follows a here-document marker on its line after `;` (`cmd <<A; more`), else ""."""
    found = _HEREDOC_MARK.search(line)
    if found is None:
        return ""
    rest = line[found.end():].lstrip()
    return rest[1:].strip() if rest.startswith(";") and not rest.startswith(";;") else ""


def heredoc_after_body(node: Node, text: str, row: int) -> tuple[str, int]:
    """(the lines after the here-document's delimiter, their row) when tree-sitter ran the body to
    the end of the text for want of the delimiter (`<<A; cmd`), else ("", row)."""
    redirect = next((c for c in node.children if c.type == "heredoc_redirect"), None)
    if redirect is None or not any(c.is_missing for c in redirect.children):
        return "", row
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    if start is None:
        return "", row
    delimiter = node_text(start).strip().rstrip(";").strip("'\"").lstrip("\\")  # tree-sitter keeps the `;`
    strip_tabs = any(c.type == "<<-" for c in redirect.children)
    lines = text.split("\n")
    for k in range(1, len(lines)):
        if (lines[k].lstrip("\t") if strip_tabs else lines[k]) == delimiter:
            return "\n".join(lines[k + 1 :]), row + k + 1
    return "", row


def brace_words(node: Node, source: Source) -> tuple[Node, ...] | str | None:
    """The words bash's brace expansion makes of this word, parsed again (each then expands
    as any word does); None when it makes none; a reason (str) when they cannot be followed."""
    return brace_words_text(node_text(node), node.start_point[0], source.path)


def brace_words_text(text: str, row: int, path: str) -> tuple[Node, ...] | str | None:
    words = braces.expand(text)
    if words is None:
        return f"brace expansion gives {braces.GIVE_UP}"
    if words == [text]:
        return None
    kept = [w for w in words if w]  # an empty unquoted word is no word
    if not kept:
        return ()
    # The same line as the word, so what is said about a part names the right line.
    tree = parse_source(Source(path, "\n" * row + ": " + " ".join(kept)))
    cmds = tree.root_node.named_children
    args = cmds[0].children_by_field_name("argument") if len(cmds) == 1 and cmds[0].type == "command" else []
    if tree.root_node.has_error or len(args) != len(kept) or any(node_text(a) != w for a, w in zip(args, kept)):
        return "a word brace expansion makes is not a plain word"
    return tuple(args)


def word_ops(node: Node, in_quotes: bool) -> list[tuple]:
    t = node.type
    if t in LITERAL_WORDS:
        text = node_text(node)
        if t == "word" and not in_quotes and text.startswith("~"):
            return [(DYNAMIC, node, in_quotes)]
        return literal_ops(t, text, in_quotes)
    if t == "raw_string":
        return [(STATIC, (Val(node_text(node)[1:-1]), True), True)]
    if t == "ansi_c_string":
        return [(STATIC, (Val(ansi_c(node_text(node)[2:-1])), True), True)]
    if t in ("string", "translated_string"):
        start = node.start_byte + (2 if t == "translated_string" else 1)
        # Every piece of a string is quoted (the expansions inside are evaluated in quotes).
        ops = [(STATIC, (payload[0], True), True) if kind is STATIC else (kind, payload, quoted)
               for kind, payload, quoted in quoted_ops(node, start, node.end_byte - 1)]
        return ops or [(STATIC, (EMPTY, True), True)]  # `f ""` passes one empty argument
    if t == "command_name":
        return [op for c in node.named_children for op in word_ops(c, in_quotes)]
    if t == "concatenation":
        ops = []
        for c in node.children:
            if c.is_named:
                ops.extend(word_ops(c, in_quotes))
            else:
                ops.append((STATIC, (Val(node_text(c), origin="<literal>"), in_quotes), in_quotes))
        return ops
    if t == "simple_expansion":
        return [(VAR, node_text(node).lstrip()[1:], in_quotes)]
    if t == "expansion":
        return [(PARAM, node, in_quotes)]
    if t == "process_substitution":
        return [(STATIC, (unknown(node_text(node)), True), True)]
    if t == "array":
        return [(STATIC, (Val(node_text(node)), in_quotes), in_quotes)]
    return [(DYNAMIC, node, in_quotes)]  # substitutions, arithmetic, what is not understood


def literal_ops(t: str, text: str, in_quotes: bool) -> list[tuple]:
    if t == "word" and not in_quotes and "\\" in text:
        return [(STATIC, seg, seg[1]) for seg in escaped_pieces(text)]
    return [(STATIC, (Val(unescape_word(text) if not in_quotes else text, origin="<literal>"), in_quotes), in_quotes)]


def quoted_ops(node: Node, start: int, end: int, heredoc: bool = False) -> list[tuple]:
    """The ops of a double-quoted region: literal gaps and expansions (evaluated in quotes)."""
    ops: list[tuple] = []
    pos = start
    base = node.start_byte
    raw = node.text or b""
    for c in node.named_children:
        if c.start_byte < start or c.end_byte > end or c.type in ("heredoc_end",):
            continue
        if c.start_byte > pos:
            ops.append((STATIC, (Val(unescape_dq(raw[pos - base : c.start_byte - base].decode("utf-8", "replace"), heredoc)), True), True))
        if c.type in ("string_content", "heredoc_content"):
            ops.append((STATIC, (Val(unescape_dq(node_text(c), heredoc)), True), True))
        else:
            # tree-sitter starts an expansion that follows another one at the blanks before
            # it (`"$C $N"` is `$C` then ` $N`): those blanks are text of the string.
            text = node_text(c)
            blank = text[: len(text) - len(text.lstrip())]
            if blank:
                ops.append((STATIC, (Val(blank), True), True))
            ops.extend(word_ops(c, True))
        pos = c.end_byte
    if end > pos:
        ops.append((STATIC, (Val(unescape_dq(raw[pos - base : end - base].decode("utf-8", "replace"), heredoc)), True), True))
    return ops


def kept_guards(saved: tuple[Frame, ...], current: tuple[Frame, ...]) -> tuple[Frame, ...]:
    """`saved` (the path before an `if`, a `case`, a function or a sourced file) plus the guards
    passed inside it: a branch taken there still decides what runs after it."""
    if current[: len(saved)] != saved:
        return saved
    out = saved
    for frame in current[len(saved):]:
        if frame.kind == "guard" and (not out or out[-1] != frame):
            out += (frame,)
    return out


def _closing_quote(text: str, start: int, quote: str) -> int:
    """Index of the quote closing a string whose text starts at `start` (a backslash escapes
    the next character: `"..."` and `$'...'`), or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _expansion_end(text: str, start: int) -> int:
    """End of the `$name`, `${...}`, `$(...)` or backquoted expansion at `start`, or -1."""
    if text[start] == "`":
        end = text.find("`", start + 1)
        return end + 1 if end > 0 else -1
    if text.startswith(("${", "$("), start):
        opening, closing = text[start + 1], "}" if text[start + 1] == "{" else ")"
        depth, i = 0, start + 1
        while i < len(text):
            if text[i] == opening:
                depth += 1
            elif text[i] == closing:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return -1
    m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])", text[start:])
    return start + m.end() if m else start + 1


def same_effect(a: State, b: State) -> bool:
    """Two live paths that go on identically (assumptions and the last status aside: a status
    read as `$?` right after is the only difference, and `set -e` acted on it already)."""
    return (a.cwd == b.cwd and a.vars == b.vars and a.funcs.keys() == b.funcs.keys()
            and a.positional == b.positional and a.made_dirs == b.made_dirs and a.globopts == b.globopts
            and a.errexit == b.errexit and a.dirstack == b.dirstack)


def widen(st: State, other: State, when: str) -> None:
    """Make unknown in `st` every variable whose value differs in `other` (a path that ran
    nothing and differs from `st` only there), when nothing else sets them apart."""
    if not alike_but_variables(st, other):
        return
    for name in set(st.vars) | set(other.vars):
        mine, theirs = st.vars.get(name), other.vars.get(name)
        if mine == theirs:
            continue
        old = mine or theirs
        st.vars[name] = Var(None, old.is_array, old.assoc, bool((mine and mine.exported) or (theirs and theirs.exported)),
                            origin=f"${name} (set where {when})", widened=True)
        st.touched.add(name)


def join(states: list[State]) -> list[State]:
    """Paths that go on alike (every part of their states equal) are one.  Its assumptions:
    those of the path with fewer, when the other's include them all; the common ones, when the
    two differ only in the two outcomes of one condition (either holds, so what follows happens
    on both); otherwise both paths stay.

    Past JOIN_WHOLE paths (a `case` of many arms on a value not known statically), a path is
    tried against the last JOIN_WINDOW kept ones only, and assumptions are told apart by
    identity: each path's are shared with the one it forked from, and comparing every pair
    by value took minutes.  (Fewer paths merged is never wrong, only slower.)"""
    out: list[State] = []
    large = len(states) > JOIN_WHOLE
    ids: dict[int, frozenset[int]] = {}
    for s in states:
        for o in (out[-JOIN_WINDOW:] if large else out):
            if s.flow or o.flow or o.vars != s.vars or not alike_but_variables(o, s):
                continue
            merged = _joined_by_identity(o.assumptions, s.assumptions, ids) if large else _joined_assumptions(o.assumptions, s.assumptions)
            if merged is None:
                continue
            o.assumptions = merged
            o.touched |= s.touched
            break
        else:
            out.append(s)
    return out


def joined_case(out: list[State], before: tuple, frames: tuple) -> State | None:
    """Every path out of a `case` as one, when they all go on alike: none left the statement
    (exit, return, break...) and their states are equal but for the arm each took.  They
    are then every way through it, so what follows happens whichever arm ran, under the
    assumptions made before the `case` (`before`) and on the path before it (`frames`).
    A subject not known statically in a loop would otherwise multiply the paths by the
    arms at every pass.  None when they do not all go on alike."""
    first = out[0]
    for s in out:
        if s.flow or s.vars != first.vars or s.assumptions[:len(before)] != before:
            return None
    if not all(getattr(s, name) == getattr(first, name) for name in _CASE_PARTS for s in out[1:]):
        return None
    first.assumptions, first.frames, first.sub_status = before, frames, None
    first.touched = set().union(*(s.touched for s in out))
    first.status_assumed = any(s.status_assumed for s in out)
    return first


def alike_but_variables(a: State, b: State) -> bool:
    """Every part of two paths' states equal but their variables, assumptions and which names
    the scripts assigned: stdin, captured output, saved locals, options, frames... all of it."""
    return all(getattr(a, name) == getattr(b, name) for name in _STATE_PARTS)


_STATE_PARTS = tuple(f.name for f in dataclass_fields(State) if f.name not in ("vars", "assumptions", "status_assumed", "touched"))
# (the guards of the arms taken differ; the status of the last `$(...)` is read only inside the
# command that made it, and the subject's is left on the path no arm took)
_CASE_PARTS = tuple(name for name in _STATE_PARTS if name not in ("frames", "sub_status"))


JOIN_WHOLE, JOIN_WINDOW = 64, 8


def _joined_by_identity(a: tuple, b: tuple, ids: dict[int, frozenset[int]]) -> tuple | None:
    """`_joined_assumptions` with assumptions equal only when they are the same object."""
    sa = ids.get(id(a))
    if sa is None:
        sa = ids[id(a)] = frozenset(map(id, a))
    sb = ids.get(id(b))
    if sb is None:
        sb = ids[id(b)] = frozenset(map(id, b))
    if sa <= sb:
        return a
    if sb <= sa:
        return b
    only_a, only_b = sa - sb, sb - sa
    if len(only_a) == len(only_b) == 1:
        (x,), (y,) = [v for v in a if id(v) in only_a], [v for v in b if id(v) in only_b]
        ca, cb = x.condition, y.condition
        if (ca.location, ca.text) == (cb.location, cb.text) and ca.outcome != cb.outcome:
            return tuple(v for v in a if id(v) in sb)
    return None


def _joined_assumptions(a: tuple, b: tuple) -> tuple | None:
    if a == b:
        return a
    sa, sb = set(a), set(b)
    if sa <= sb:
        return a
    if sb <= sa:
        return b
    only_a, only_b = [x for x in a if x not in sb], [x for x in b if x not in sa]
    if len(only_a) == len(only_b) == 1:
        ca, cb = only_a[0].condition, only_b[0].condition
        if (ca.location, ca.text) == (cb.location, cb.text) and ca.outcome != cb.outcome:
            return tuple(x for x in a if x in sb)
    return None


def distinct(states: list[State]) -> list[State]:
    """`states` without a live path that goes on as an earlier one does (the earlier one, with
    its assumptions, stands for both: what follows is predicted as possible or certain by it)."""
    out: list[State] = []
    for s in states:
        if s.flow or not any(not o.flow and o.vars == s.vars and alike_but_variables(o, s) for o in out):
            out.append(s)
    return out


def merge_by_status(finals: list[State], parent: State) -> list[State]:
    """A child process's paths, one per exit status: only the status reaches the
    parent, and the runs inside were recorded already.  Paths sharing a status
    fall back to the parent's assumptions."""
    groups: dict[int | None, list[State]] = {}
    for f in finals:
        groups.setdefault(f.status, []).append(f)
    merged = []
    for group in groups.values():
        first = group[0]
        if len(group) > 1:
            first.assumptions = parent.assumptions
        merged.append(first)
    return merged


class CaseArm:
    """One arm of a `case`, read once: its pattern nodes (adjacent ones are one pattern), body
    and terminator; `head` is the ERROR node tree-sitter put the start of an unreadable pattern
    in.  `pieces`: its patterns when literal text (`Interpreter.static_patterns`), worked out
    on first use."""

    __slots__ = ("item", "groups", "body", "term", "head", "pieces", "_compiled", "_texts")

    def __init__(self, item: Node, head: Node | None):
        pats = item.children_by_field_name("value")
        groups: list[list[Node]] = []
        for p in pats:
            if groups and groups[-1][-1].end_byte == p.start_byte:
                groups[-1].append(p)
            else:
                groups.append([p])
        self.item, self.head = item, head
        self.groups = tuple(tuple(g) for g in groups)
        self.body = tuple(c for c in item.named_children if c.type in STATEMENTS and c not in pats)
        self.term = next((c.type for c in item.children if c.type in (";;", ";&", ";;&")), ";;")
        self.pieces = UNCHECKED
        self._compiled: dict[bool, tuple] = {}
        self._texts: dict[str, str] = {}

    def compiled(self, extglob: bool) -> tuple:
        found = self._compiled.get(extglob)
        if found is None:
            found = self._compiled[extglob] = tuple(patterns.compiled(p, extglob=extglob) for p in self.pieces)
        return found

    def condition_text(self, value_node) -> str:
        """The arm as a condition: `case $X in a | b)`."""
        value = node_text(value_node) if value_node is not None else ""
        found = self._texts.get(value)
        if found is None:
            shown = ["".join(node_text(p) for p in g) for g in self.groups]
            found = self._texts[value] = f"case {value} in {' | '.join(shown)})"
        return found


class CaseArms:
    """A `case` statement's arms, read once per node (`case_arms`), and per extglob setting the
    index `Interpreter.case_index` makes of their literal patterns."""

    __slots__ = ("arms", "index")

    def __init__(self, node: Node):
        # tree-sitter cannot read a pattern that opens with a glob and goes on with a quoted part
        # (`*"Qwen"*"Emb"*)`): the start lands in an ERROR node right before the item.
        broken = {c.next_named_sibling.id: c for c in node.named_children
                  if c.type == "ERROR" and c.next_named_sibling is not None and c.next_named_sibling.type == "case_item"}
        self.arms = [CaseArm(c, broken.get(c.id)) for c in node.named_children if c.type == "case_item"]
        self.index: dict[bool, tuple[dict[str, list[int]], list[int]]] = {}


def per_node(fn):
    """Memoise a function of a syntax node alone (its shape, never the state): the result is
    shared by every later call, so callers only read it.  Keyed by node id: trees live for
    the process (`parse.parse_source` keeps them), so an id names one node, and keeping ids
    rather than nodes does not keep each node's children alive."""
    memo: dict = {}

    def once(node):
        found = memo.get(node.id)
        if found is None:
            if len(memo) >= MAX_MEMO:
                memo.clear()
            found = memo[node.id] = fn(node)
        return found

    once.__doc__, once.__name__, once.memo = fn.__doc__, fn.__name__, memo
    return once


@per_node
def case_arms(node: Node) -> CaseArms:
    return CaseArms(node)


@per_node
def assignment_shape(node: Node) -> tuple:
    """(name node, name, index node of `a[i]=`, value node, `+=`) of a variable assignment."""
    name_node = node.child_by_field_name("name")
    value = node.child_by_field_name("value")
    append = any(c.type == "+=" for c in node.children)
    if name_node is None:
        return None, "", None, value, append
    if name_node.type == "subscript":
        return name_node, node_text(name_node.child_by_field_name("name")), name_node.child_by_field_name("index"), value, append
    return name_node, node_text(name_node), None, value, append


@per_node
def command_shape(node: Node) -> tuple:
    """(prefix assignments with the name each sets, redirects, name and argument words, whether
    a redirect feeds stdin, assignments that are a statement of their own) of a simple command;
    no words when it has no name."""
    prefix_nodes = [(c, node_text(c.child_by_field_name("name"))) for c in node.children if c.type == "variable_assignment"]
    redirects = [c for c in node.children if c.type.endswith("_redirect")]
    name_node = node.child_by_field_name("name")
    words_nodes = [name_node, *node.children_by_field_name("argument")] if name_node is not None else []
    reads_stdin = any(x.type in ("herestring_redirect", "heredoc_redirect") or "<" in node_text(x)[:3] for x in redirects)
    before: list[Node] = []
    if prefix_nodes and name_node is not None:
        # tree-sitter-bash reads `x=1 arr=(a b)` and the command on the next line as one command;
        # bash ends the assignments at the newline.
        last = prefix_nodes[-1][0]
        gap = (node.text or b"")[last.end_byte - node.start_byte : name_node.start_byte - node.start_byte]
        if b"\n" in gap.replace(b"\\\n", b""):
            before, prefix_nodes = [c for c, _ in prefix_nodes], []
    return prefix_nodes, redirects, words_nodes, reads_stdin, before


@per_node
def expansion_shape(node: Node) -> tuple:
    """(prefix operator `#`/`!` or "", nothing inside, name, index text, operator, operand nodes)
    of a `${...}`; name None when it is not understood."""
    kids = node.children[1:-1] if node.children and node.children[-1].type == "}" else node.children[1:]
    prefix = ""
    if kids and not kids[0].is_named and kids[0].type in ("#", "!"):
        prefix = kids[0].type
        kids = kids[1:]
    if not kids:
        return prefix, True, None, None, "", []
    rest = kids[1:]
    name, index = expansion_target(kids[0])
    op = rest[0].type if rest and not rest[0].is_named else ""
    return prefix, False, name, index, op, rest[1:] if op else rest


def expansion_target(node: Node) -> tuple[str | None, str | None]:
    if node.type in ("variable_name", "special_variable_name"):
        return node_text(node), None
    if node.type == "number" or (node.type == "word" and node_text(node).isdigit()):
        return node_text(node), None
    if node.type == "subscript":
        name = node.child_by_field_name("name")
        index = node.child_by_field_name("index")
        return (node_text(name) if name is not None else None), (node_text(index) if index is not None else "0")
    return None, None


@per_node
def declaration_shape(node: Node) -> tuple[str, str, str, list[tuple[Node, str, str]]]:
    """(keyword, letters of its `-x` flags, letters of its `+x` flags, [(operand, type, text)])
    of `declare`, `local`, `export`...; an assignment's text is not kept (not needed)."""
    words = [node_text(c) for c in node.named_children if c.type == "word"]
    operands = [(c, c.type, "" if c.type == "variable_assignment" else node_text(c)) for c in node.named_children]
    return (node.children[0].type, "".join(w.lstrip("-") for w in words if w.startswith("-")),
            "".join(w.lstrip("+") for w in words if w.startswith("+")), operands)


@per_node
def statements(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type not in SKIPPED and (c.type in STATEMENTS or c.type == "ERROR")]


@per_node
def if_clauses(node: Node) -> list[tuple[list[Node] | None, list[Node]]]:
    """[(condition nodes, body statements)] for if / elif..., then (None, else body)."""
    clauses: list[tuple[list[Node] | None, list[Node]]] = []

    def split(n: Node) -> tuple[list[Node], list[Node]]:
        cond, body, seen_then = [], [], False
        for c in n.children:
            if c.type == "then":
                seen_then = True
            elif c.type in ("elif_clause", "else_clause"):
                continue
            elif c.is_named and c.type not in SKIPPED and (c.type in STATEMENTS or c.type == "ERROR"):
                (body if seen_then else cond).append(c)
        return cond, body

    clauses.append(split(node))
    for c in node.children:
        if c.type == "elif_clause":
            clauses.append(split(c))
        elif c.type == "else_clause":
            clauses.append((None, statements(c)))
    return clauses


@per_node
def redirects_of(node: Node) -> list[Node]:
    """A redirected statement's redirects (tree-sitter leaves a here-string out of the field)."""
    return [c for c in node.children if c.type.endswith("_redirect")]


@per_node
def heredoc_layout(redirect: Node) -> tuple[int, str | None]:
    """(where the line holding the marker ends, the start of the body tree-sitter leaves out of
    its `heredoc_body` node: blank lines, leading blanks, a line it misread as words after a
    backslash; None when that text cannot be told apart from another document's)."""
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
    if start is None or body is None:
        return redirect.end_byte, ""
    root = redirect
    while root.parent is not None:
        root = root.parent
    text = root.text or b""
    base = root.start_byte  # the program node starts after leading blank lines
    line_end = text.find(b"\n", start.end_byte - base, body.start_byte - base)
    if line_end < 0:
        return body.start_byte, ""
    gap = (text[line_end + 1 : body.start_byte - base]).decode("utf-8", "replace")
    line_end += base
    marker = re.sub(r"[\"'\\]", "", node_text(start))
    if any(line.strip("\t") == marker for line in gap.split("\n")):  # another document's body
        return line_end, None
    return line_end, gap


def heredoc_tail(node: Node) -> Node | None:
    for redirect in redirects_of(node):
        if redirect.type == "heredoc_redirect":
            return next((c for c in redirect.named_children if c.type == "pipeline"), None)
    return None


@per_node
def quoted_operand(node: Node) -> Node | None:
    """The word of a double-quoted `${x:-word}` as bash reads it there: without its own double
    quotes, the rest expanded as double-quoted text (`"${y+"$y"a}"` reads `$ya`; `${a[@]}` still
    gives one word each), parsed as a string; None when that is not modelled (a backslash there
    is read in ways of bash's own: `"${a[@]+\\ x}"` splits)."""
    start, end = operand_span(node, expansion_shape(node)[4])
    text = drop_double_quotes((node.text or b"")[start - node.start_byte : end - node.start_byte].decode("utf-8", "replace"))
    if text is None or "\\" in text:
        return None
    tree = parse_source(Source("", "\n" * node.start_point[0] + f'_x="{text}"'))  # on the word's line
    assignment = tree.root_node.named_children[0] if tree.root_node.named_children else None
    if tree.root_node.has_error or assignment is None or assignment.type != "variable_assignment":
        return None
    value = assignment.child_by_field_name("value")
    return value if value is not None and value.type == "string" else None


def drop_double_quotes(text: str) -> str | None:
    """The word of a double-quoted `${x:-word}` without its own double quotes (those inside
    `$(...)`, `${...}` and backquotes stay); None when the text does not close them."""
    out = []
    stack: list[str] = []  # closers of the substitutions we are inside
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        if text.startswith("${", i) or text.startswith("$(", i):
            stack.append("}" if text[i + 1] == "{" else ")")
            out.append(text[i : i + 2])
            i += 2
            continue
        if stack and c == stack[-1]:
            stack.pop()
        elif stack and c == "(" and stack[-1] == ")":
            stack.append(")")
        elif c == '"' and not stack:
            i += 1
            continue
        elif c == "`":
            close = text.find("`", i + 1)
            if close < 0:
                return None
            out.append(text[i : close + 1])
            i = close + 1
            continue
        out.append(c)
        i += 1
    return None if stack else "".join(out)


def operand_span(node: Node, op: str) -> tuple[int, int]:
    """Where the word of `${x<op>word}` starts and ends (bytes)."""
    start = next((c.end_byte for c in node.children if not c.is_named and c.type == op), node.start_byte)
    return start, node.end_byte - (1 if (node.text or b"").endswith(b"}") else 0)


def operand_parts(node: Node, op: str, operands: list[Node]) -> list:
    """The word between an operator and `}` as literal text (str: words, the text tree-sitter
    leaves between nodes, joined so that `\\` and the character it escapes stay together) and
    the nodes that expand (strings, expansions, substitutions)."""
    raw = node.text or b""
    parts: list = []
    start, end = operand_span(node, op)
    pos = start

    def text(upto: int) -> None:
        if upto > pos:
            chunk = raw[pos - node.start_byte : upto - node.start_byte].decode("utf-8", "replace")
            if parts and isinstance(parts[-1], str):
                parts[-1] += chunk
            else:
                parts.append(chunk)

    def walk(c: Node) -> None:
        nonlocal pos
        if c.type == "concatenation":
            for k in c.children:
                walk(k)
            return
        text(c.start_byte)
        pos = c.start_byte
        if c.type == "word" and not (node_text(c).startswith("~") and c.start_byte == start) or not c.is_named:
            text(c.end_byte)
        else:
            parts.append(c)
        pos = c.end_byte

    for c in operands:
        walk(c)
    text(end)
    return parts


def heredoc_chain(node: Node) -> list[tuple[str, Node]] | None:
    """The `&& a || b` tree-sitter hangs on a here-document marker, as (operator, command)
    pairs left to right; [] when something follows the marker that is not that; None: nothing."""
    for redirect in redirects_of(node):
        if redirect.type != "heredoc_redirect":
            continue
        line_end = heredoc_layout(redirect)[0]
        kids = [c for c in redirect.children  # what starts below the marker's line is body text
                if c.type not in ("<<", "<<-", "heredoc_start", "heredoc_body", "heredoc_end", "file_redirect")
                and c.start_byte < line_end]
        if not kids:
            return None
        if len(kids) != 2 or kids[0].type not in ("&&", "||") or kids[1].type not in ("command", "list", "pipeline"):
            return []
        return and_or_parts(kids[0].type, kids[1])
    return None


def and_or_split(node: Node) -> tuple[Node, str, Node] | None:
    """(left, `&&` or `||`, right) of an and-or list; None for anything else."""
    if node.type != "list" or len(node.named_children) < 2:
        return None
    op = next((c.type for c in node.children if c.type in ("&&", "||")), None)
    return None if op is None else (node.named_children[0], op, node.named_children[-1])


def and_or_parts(op: str, node: Node) -> list[tuple[str, Node]]:
    """`a && b || c` (tree-sitter nests lists to the left) as [(op, a), ("&&", b), ("||", c)]."""
    tail: list[tuple[str, Node]] = []
    while (split := and_or_split(node)) is not None and len(node.named_children) == 2:
        left, inner, right = split
        tail = and_or_parts(inner, right) + tail  # the right part is a list only when written in braces' stead
        node = left
    return [(op, node)] + tail


def arithmetic_inner(text: str) -> str | None:
    """The expression of `$((...))` when the text is one (its inner parentheses balance)."""
    if not (text.startswith("$((") and text.endswith("))")):
        return None
    inner = text[3:-2]
    depth = 0
    for c in inner:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
    return inner if depth == 0 else None


def node_text(node: Node) -> str:
    text = node.text
    return text.decode("utf-8", "replace") if text is not None else ""


def inner_of(node: Node, opening: str, closing: str) -> str:
    text = node.text.decode("utf-8", "replace") if node.text else ""
    text = text.strip()
    if text.startswith(opening) and text.endswith(closing):
        return text[len(opening) : len(text) - len(closing)]
    return ""


def keyed_element(node: Node):
    """`[key]=value` inside an array literal: (key text, value nodes) or None."""
    if node.type != "concatenation" or not node.children:
        return None
    kids = node.children
    if kids[0].type != "word" or kids[0].text != b"[":
        return None
    for i, c in enumerate(kids):
        if c.type == "word" and c.text and c.text.startswith(b"]="):
            key = b"".join(k.text or b"" for k in kids[1:i]).decode()
            rest = c.text[2:].decode()
            return key, ([_Literal(rest)] if rest else []) + list(kids[i + 1 :])
        if c.type == "word" and c.text == b"]" and i + 1 < len(kids) and (kids[i + 1].text or b"").startswith(b"="):
            key = b"".join(k.text or b"" for k in kids[1:i]).decode()
            after = kids[i + 1]
            if after.type == "word":
                rest = after.text[1:].decode()
                return key, ([_Literal(rest)] if rest else []) + list(kids[i + 2 :])
            return key, list(kids[i + 1 :])
    return None


class _Literal:
    """A stand-in node for literal text split out of a tree-sitter word."""

    type = "word"
    is_named = True
    children: list = []
    named_children: list = []

    def __init__(self, text: str):
        self.text = text.encode()


def pure_expansion(node: Node) -> bool:
    """`"$X"` / `${X}` as an array element: it carries its value's entry, it is none itself."""
    if node.type == "string":
        named = node.named_children
        return len(named) == 1 and named[0].type in ("simple_expansion", "expansion") and \
            node.text[1:-1] == named[0].text
    return node.type in ("simple_expansion", "expansion")


def element_has_array_ref(node: Node) -> bool:
    from .definitions import array_refs

    return bool(array_refs(node))


def simple_var(node: Node | None) -> str | None:
    """The variable a word reads when it is just `$X`, `"$X"`, `${X}` or `${X:-...}`."""
    if node is None:
        return None
    if node.type == "string":
        named = [c for c in node.named_children]
        return simple_var(named[0]) if len(named) == 1 else None
    if node.type == "simple_expansion":
        name = node.text.decode().lstrip()[1:]
        return name if is_env_name(name) else None
    if node.type == "expansion":
        kids = node.children[1:-1]
        if kids and kids[0].type == "variable_name" and (len(kids) == 1 or kids[1].type in (":-", "-")):
            return kids[0].text.decode()
    return None


def split_unescaped(text: str, sep: str) -> tuple[str, str | None]:
    """Split at the first `sep` not escaped, quoted or inside `${...}`."""
    depth, quote, i = 0, "", 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif text.startswith("${", i):
            depth += 1
            i += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == sep and not depth:
            return text[:i], text[i + 1 :]
        i += 1
    return text, None


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=4096)  # asked for every variable read; scripts use few names
def is_env_name(name: str) -> bool:
    return bool(IDENTIFIER.fullmatch(name)) and name not in SHELL_VARIABLES and name not in BASH_SETS


# Variables bash sets itself, to values that depend on the machine, the bash build or the moment:
# unknown (never unset) until the script assigns or unsets them.  (RANDOM, SECONDS, PPID, UID...
# are unknown on every read: `special_or_var`.)
BASH_SETS = frozenset({"BASH", "BASHOPTS", "BASH_ARGV0", "BASH_COMMAND", "BASH_EXECUTION_STRING", "BASH_SUBSHELL",
                       "BASH_VERSINFO", "BASH_VERSION", "BASHPID", "EPOCHREALTIME", "EPOCHSECONDS", "EUID", "GROUPS",
                       "HISTCMD", "HOSTNAME", "HOSTTYPE", "MACHTYPE", "OSTYPE", "PPID", "RANDOM", "SECONDS", "SHELLOPTS",
                       "SHLVL", "SRANDOM", "TERM", "UID"})


def bash_set(name: str) -> Var:
    return Var(None, is_array=name in ("BASH_VERSINFO", "GROUPS"), origin=f"${name}")


SHELL_VARIABLES = frozenset({"BASH_SOURCE", "BASH_REMATCH", "BASH_LINENO", "FUNCNAME", "PWD", "OLDPWD", "IFS", "REPLY",
                             "PIPESTATUS", "MAPFILE", "OPTARG", "OPTIND", "DIRSTACK"})


def join_values(vals, sep: str) -> Val:
    if isinstance(vals, Val):
        return vals
    if not vals:
        return Val("")
    pieces = []
    for i, v in enumerate(vals):
        if i:
            pieces.append(Val(sep))
        pieces.append(v)
    return concat(pieces)


has_glob_char = re.compile(r"[*?[]").search


def as_field(val: Val) -> Val:
    """A quoted or literal piece as a field: a known value loses how it was written (its origin
    and what a branch taught about it).  A fresh Val, never `EMPTY` itself, which stands for
    a missing array element."""
    if val.text is None or (not val.origin and val.nonempty is None and val is not EMPTY):
        return val
    return Val(val.text, val.entry, val.sources)


def escaped_pieces(text: str) -> list[tuple[Val, bool]]:
    """An unquoted word with backslashes: each escaped character is a quoted piece
    (`tests/\\*.py` globs nothing), the rest literal."""
    out: list[tuple[Val, bool]] = []
    buf, i = "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                if buf:
                    out.append((Val(buf, origin="<literal>"), False))
                    buf = ""
                out.append((Val(text[i + 1], origin="<literal>"), True))
            i += 2
            continue
        buf += text[i]
        i += 1
    if buf or not out:
        out.append((Val(buf, origin="<literal>"), False))
    return out


def unescape_word(text: str) -> str:
    if "\\" not in text:  # most words: nothing to undo
        return text
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL).replace("\\\n", "")


def unescape_dq(text: str, heredoc: bool = False) -> str:
    if "\\" not in text:  # most strings: nothing to undo
        return text
    chars = "$`\\\n" if heredoc else "$`\"\\\n"
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in chars:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def quote_for_reuse(text: str) -> str:
    """`${x@Q}`: single quotes, or bash's `$'...'` form when the text holds control characters."""
    if not any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "'" + text.replace("'", "'\\''") + "'"
    names = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\a": "\\a", "\b": "\\b",
             "\x1b": "\\E", "\f": "\\f", "\v": "\\v"}
    return "$'" + "".join(names.get(c) or (f"\\{ord(c):03o}" if ord(c) < 32 or ord(c) == 127 else c) for c in text) + "'"


TRANSFORMS = {"Q": quote_for_reuse, "E": lambda s: ansi_c(s), "U": str.upper, "L": str.lower,
              "u": lambda s: s[:1].upper() + s[1:]}


def ansi_c(text: str) -> str:
    table = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), "\\" + m.group(1)), text)


def int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else None


def repo_path(text: str | None, cwd: str, settings: Settings) -> str | None:
    """The repository path a shell path names, or None (outside, or not known)."""
    if text is None or text == "":
        return None
    return _repo_path(text, cwd, settings.roots)


@lru_cache(maxsize=1 << 16)  # every argv word of every run asks: a few thousand distinct (text, cwd)
def _in_background(node: Node) -> bool:
    """Whether the command, or a statement around it in its file, ends with `&`."""
    while node is not None and node.type != "function_definition":
        after = node.next_sibling
        if after is not None and after.type == "&":
            return True
        node = node.parent
    return False


def _repo_path(text: str, cwd: str, workspace_prefixes: tuple[str, ...]) -> str | None:
    for prefix in workspace_prefixes:
        prefix = prefix.rstrip("/")
        if text == prefix or text.startswith(prefix + "/"):
            path = normalize(text[len(prefix) :])
            return None if path.startswith("..") else path
    if text.startswith("/") or text.startswith("~") or cwd == "?" or cwd.startswith("/"):
        return None
    path = normalize(posixpath.join(cwd, text))
    return None if path == ".." or path.startswith("../") else path


def split_known(visible: dict[str, Var]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The variables a script call sees: (name, value) of the known ones and the names of the
    others, each sorted by name (one pass: a sweep makes a call per config entry)."""
    known, unknown_names = [], []
    for name, var in visible.items():
        scalar = var.scalar
        if scalar is not None and scalar.known:
            known.append((name, scalar.text))
        else:
            unknown_names.append(name)
    known.sort()
    unknown_names.sort()
    return tuple(known), tuple(unknown_names)


def canonical_word(word: str, cwd: str, snapshot: Snapshot, settings: Settings) -> str:
    """A run argument as a repository-root path when it names a repository file or dir."""
    if not word or word.startswith("-") or "=" in word.split("/")[0]:
        return word
    head, sep, tail = word.partition("::")
    path = repo_path(head, cwd, settings)
    if path is None:
        return word
    if path == "":
        return "." + sep + tail
    if snapshot.exists(path) or snapshot.is_dir(path):
        return path + sep + tail
    return word


AUTOCONF_MARK = re.compile(rb"^# Generated by GNU Autoconf", re.M)
SHEBANG_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"})


def shell_script(interp: Interpreter, path: str) -> bool:
    """Whether a repository file run as a program (`./x`) is a shell script to follow: no `#!`
    line (bash runs it itself) or one naming a POSIX shell, and not written by Autoconf."""
    try:
        head = interp.snapshot.read(path)[:2048]
    except (KeyError, OSError):
        return True
    if AUTOCONF_MARK.search(head) is not None:
        return False
    if not head.startswith(b"#!"):
        return True
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    program = posixpath.basename(words[0]) if words else "sh"
    if program == "env":
        named = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        program = posixpath.basename(named[0]) if named else "sh"
    return program in SHEBANG_SHELLS


def shebang_errexit(interp: Interpreter, path: str) -> bool:
    try:
        first = interp.snapshot.text(path).split("\n", 1)[0]
    except (KeyError, OSError):
        return False
    if not first.startswith("#!"):
        return False
    words = first[2:].split()
    return any(w.startswith("-") and "e" in w[1:] for w in words[1:])


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


# ---------------------------------------------------------------------------- builtins
def posix_test(args: list[Val], interp: Interpreter, st: State) -> Test:
    """`test` / `[`: POSIX argument-count rules, then -a/-o/! with precedence, in three values:
    a primary the interpreter cannot decide (an unknown word, a path outside the repository or
    made at run time) makes the result unknown, never "malformed".  Only known words are
    operators.  A test bash rejects (`[ -f ]` missing its operand...) raises ValueError."""
    n = len(args)

    def word(i: int) -> str | None:
        return args[i].text if 0 <= i < n else None

    def negate(t: Test) -> Test:
        return Test(None if t.value is None else not t.value, t.sources, t.detail_false, t.detail_true, t.refine_false, t.refine_true)

    def one(i: int) -> Test:
        return interp.unary_test("-n", args[i], None, st)

    def two(i: int) -> Test:
        if word(i) == "!":
            return negate(one(i + 1))
        op = word(i)
        if op is not None and op.startswith("-") and len(op) == 2:
            return unary(op, args[i + 1])
        raise ValueError("unary operator expected")

    def three(i: int) -> Test:
        if word(i + 1) in BINARY_TEST_OPS:
            return binary(args[i], word(i + 1), args[i + 2])
        if word(i + 1) in ("-a", "-o"):  # a binary primary first: `[ ! -a x ]` is `!` and `x`
            return both(one(i), word(i + 1), one(i + 2))
        if word(i) == "!":
            return negate(two(i + 1))
        if word(i) == "(" and word(i + 2) == ")":
            return one(i + 1)
        raise ValueError("binary operator expected")

    def unary(op: str, val: Val) -> Test:
        if op in ("-n", "-z"):
            return interp.unary_test(op, val, None, st)
        if op in UNARY_TEST_OPS:
            return interp.unary_test(op, val, None, st)
        raise ValueError(f"{op}: unary operator expected")

    def binary(a: Val, op: str, b: Val) -> Test:
        if op in ("-nt", "-ot", "-ef"):
            return Test(None, a.sources | b.sources)
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge") and a.known and b.known and \
                (int_or_none(a.text.strip()) is None or int_or_none(b.text.strip()) is None):
            raise ValueError("integer expression expected")
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge") and a.known and b.known:
            a, b = Val(a.text.strip(), sources=a.sources), Val(b.text.strip(), sources=b.sources)
        return interp.binary_test(op, a, b, st, arithmetic=False)

    pos = 0

    def expr_or() -> Test:
        nonlocal pos
        v = expr_and()
        while pos < n and word(pos) == "-o":
            pos += 1
            v = both(v, "-o", expr_and())
        return v

    def expr_and() -> Test:
        nonlocal pos
        v = expr_not()
        while pos < n and word(pos) == "-a":
            pos += 1
            v = both(v, "-a", expr_not())
        return v

    def expr_not() -> Test:
        nonlocal pos
        if pos + 1 < n and word(pos) == "!":
            pos += 1
            return negate(expr_not())
        return primary()

    def primary() -> Test:
        nonlocal pos
        if pos >= n:
            raise ValueError("argument expected")
        w = word(pos)
        if w == "(" and pos + 2 < n:
            pos += 1
            v = expr_or()
            if word(pos) != ")":
                raise ValueError("`)' expected")
            pos += 1
            return v
        if pos + 2 < n and word(pos + 1) in BINARY_TEST_OPS:
            pos += 3
            return binary(args[pos - 3], word(pos - 2), args[pos - 1])
        if w is not None and w.startswith("-") and len(w) == 2 and pos + 1 < n:
            pos += 2
            return unary(w, args[pos - 1])
        pos += 1
        return one(pos - 1)

    if n == 0:
        return Test(False)
    if n == 1:
        return one(0)
    if n == 2:
        return two(0)
    if n == 3:
        return three(0)
    if n == 4 and word(0) == "!":
        return negate(three(1))
    if n == 4 and word(0) == "(" and word(3) == ")":
        return two(1)
    v = expr_or()
    if pos != n:
        raise ValueError("too many arguments")
    return v


def both(a: Test, op: str, b: Test) -> Test:
    """`-a` / `-o` (and `&&` / `||` inside `[[ ]]`) on three-valued results."""
    sources = a.sources | b.sources
    decisive = op in ("-o", "||")  # the value that settles the result on its own
    if a.value == decisive or b.value == decisive:
        return Test(decisive, sources)
    if a.value is not None and b.value is not None:
        return Test(not decisive, sources)
    unknown_side = a if a.value is None else b
    if a.value is not None or b.value is not None:  # the other side is neutral: the unknown one decides
        return Test(None, sources, unknown_side.detail_true, unknown_side.detail_false, unknown_side.refine_true,
                    unknown_side.refine_false)
    if not decisive:
        return Test(None, sources, _and(a.detail_true, b.detail_true), "", a.refine_true + b.refine_true)
    return Test(None, sources, "", _and(a.detail_false, b.detail_false), (), a.refine_false + b.refine_false)


def _and(x: str, y: str) -> str:
    return " and ".join(d for d in (x, y) if d)


UNARY_TEST_OPS = frozenset("-a -b -c -d -e -f -g -h -k -p -r -s -t -u -w -x -G -L -N -O -S -n -z -o -v -R".split())
BINARY_TEST_OPS = frozenset({"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"})


HANDLERS = {name[2:]: fn for name, fn in vars(Interpreter).items() if name.startswith("x_")}  # node type -> x_ method

from . import builtins  # noqa: E402  (the handlers call back into Interpreter)
from .builtins import BASH_BUILTINS, BUILTIN_HANDLERS  # noqa: E402
