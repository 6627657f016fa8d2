"""The abstract interpreter: runs a job's commands (and the repository scripts
they reach) without executing anything, collecting the leaf commands as Runs.

Each statement maps a `State` to a list of States: more than one when a
condition on an unknown value forks the path (each fork records the Assumption
it made).  Runs go to a shared `Recorder` the moment they happen.

`Interpreter` is the core: what one interpretation holds (snapshot, settings, the
recorder, step counts, per-file scans), the dispatch of a statement to its handler,
and the bookkeeping every part shares.  The work itself is in modules of functions
that take the interpreter first, as `builtins.py` does: `pipelines` (and-or lists,
pipelines, subshells, redirections, functions), `control` (if, case, loops),
`conditions` (tests), `declarations` (assignments, declare, unset),
`simple_commands` and `calls` (what a command runs: builtin, script, program),
`expansion`, `parameters` and `variables` (words and values); `syntax` and
`wordplan` hold what the syntax tree alone says, read once per node, and `paths`
and `merge` repository paths and the joining of paths.  These modules do not import
each other's functions: each reaches the others through the interpreter.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

import tree_sitter_bash
from tree_sitter import Language, Node

from ..config import Settings
from ..context import Context
from ..model import Assumption, Condition, Diagnostic, Frame, Incomplete, Job, Location, Run
from ..snapshot import Snapshot, normalize
from . import arith, calls, conditions, control, declarations, expansion, parameters, pipelines, simple_commands, variables
from .definitions import FileScan, config_names, config_scalars, scan_file, static_source_path
from .outcome import JobOutcome, ScriptCall
from .merge import join
from .parse import Source, parse_errors, parse_source, unreadable_region
from .paths import repo_path
from .state import Flow, State, Var
from .syntax import STATEMENTS, node_text, statements, text_of
from .values import Val, unknown

CLOCK_STEPS = 4096  # steps between two looks at the revision's wall-clock budget (`deadline`)


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
    def __init__(self, snapshot: Snapshot, settings: Settings, *, open_world: bool = False, job_id: str = "", platform: str = "",
                 context: Context | None = None, call_memo=None):
        self.snapshot = snapshot
        self.call_memo = call_memo  # script calls shared with the other jobs of an open world (`callmemo.py`)
        self.settings = settings
        # What the engine handed it: the caches interpretations share (trees, scans, the glob
        # index) and, in a build, the revision's deadline; else a context of its own.
        self.context = context or Context()
        self.caches = self.context.shell
        self.open_world = open_world
        self.job_id = job_id
        self.platform = platform
        self.rec = Recorder()
        # Whether some program may have written files into the workspace by now (any path, taken
        # together): before that, a path absent from the checkout is absent.  Unknown history
        # (a script run on its own) counts as written.
        self.written = True
        self.steps = 0
        self.stopped = False
        self.clock_at = CLOCK_STEPS  # when `step` next looks at the wall-clock budget
        # Each script's scan and the config names and scalars found in it, by path (a recorded
        # call sets them aside and starts afresh: `callmemo.py`).
        self.scans: dict[str, FileScan | None] = {}
        self.config_names_by_path: dict[str, frozenset[str]] = {}
        self.config_scalars_by_path: dict[str, dict[str, str]] = {}
        self.arms_recorded: dict[tuple, int] = {}  # `arms_not_matched`: conditions already recorded
        self.canonical_words: dict[tuple[str, str], str] = {}
        self.arith_programs: dict[str, arith.Program] = {}  # arithmetic texts read so far (`arith.evaluate`)
        self._assumptions: dict[Assumption, Assumption] = {}
        self._conditions: dict[Condition, Condition] = {}
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
        self.written = job.workspace_filled  # files the checkout lacks may be there
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

    def condition(self, condition: Condition) -> Condition:
        """Record a condition this job evaluated; equal ones are one object (see `assumption`)."""
        condition = self._conditions.setdefault(condition, condition)
        self.rec.conditions.setdefault(condition, None)
        return condition

    def assumption(self, condition: Condition, detail: str) -> Assumption:
        """The assumption, one object for equal ones: a loop makes the same one at every pass,
        and joining paths compares their assumptions as sets, where the same object is found
        without comparing fields."""
        made = Assumption(condition, detail)
        return self._assumptions.setdefault(made, made)

    def loc(self, st: State, node: Node) -> Location:
        return st.source.location(node)

    def text(self, node: Node) -> str:
        return text_of(node, self.caches)

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
        scan = scan_file(source, self.caches)
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
        if path not in self.scans:
            source = self.load(path) if self.snapshot.exists(path) else None
            self.scans[path] = self._scan_source(source) if source else None
        return self.scans[path]

    def config_names_for(self, path: str) -> frozenset[str]:
        if path not in self.config_names_by_path:
            self.config_names_by_path[path] = config_names(file_set_scans(self, path))
        return self.config_names_by_path[path]

    def config_scalars_for(self, path: str) -> dict[str, str]:
        if path not in self.config_scalars_by_path:
            self.config_scalars_by_path[path] = config_scalars(file_set_scans(self, path), self.config_names_for(path))
        return self.config_scalars_by_path[path]

    # ------------------------------------------------------------------ execution
    def run_program(self, source: Source, states: list[State]) -> list[State]:
        tree = parse_source(source, self.caches.trees)
        for d in parse_errors(tree, source):
            self.rec.diagnostics.setdefault(d, None)
        return self.exec_block(statements(tree.root_node, self.caches), states, top=True)

    def exec_block(self, nodes: list[Node], states: list[State], top: bool = False) -> list[State]:
        """Each statement in turn on every path.  Where a statement made more paths, those that
        go on alike are joined after it, and once more after the next one (its status, which
        set them apart after `[[ .. ]] && x`, is then overwritten).  `top`: the statements of
        a script, where `set -u` and `${#unset[@]}` drop the rest of one statement only."""
        forked = False
        for node in nodes:
            nxt: list[State] = []
            for st in states:
                if st.flow:
                    nxt.append(st)
                else:
                    nxt.extend(self.exec(node, st))
            grew = len(nxt) > len(states)
            if (grew or forked) and len(nxt) > 1:
                nxt = join(nxt)
            forked = grew
            states = self.cap(nxt, states[0] if states else None, node) if len(nxt) > self.settings.max_paths else nxt
            for s in states if top else ():
                if s.flow and s.flow.kind == "discard":
                    s.flow, s.status = None, 1
                    self.errexit([s])
        return states

    def exec(self, node: Node, st: State) -> list[State]:
        if self.step(node, st):
            return [st]
        handler = HANDLER_OF_KIND.get(node.kind_id)  # (an int: cheaper to read than the type's name)
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
            if self.context.expired():
                self.stopped = True
                self.incomplete(self.loc(st, node), self.context.deadline.reason("interpretation stopped"), cut=True)
                st.flow = Flow("exit")
                return True
        st.status_assumed = False
        return False

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
                compares = conditions.comparison(node, self.caches)
                # Both outcomes are this job's (`command -v tool`: the runner may have it or not).
                cond_t = self.condition(Condition(self.loc(r, node), text, (), True, compares))
                cond_f = self.condition(Condition(cond_t.location, text, (), False, compares))
                other = r.fork()
                r.status = 0
                r.assumptions += (self.assumption(cond_t, f"`{text}` succeeds"),)
                other.status = 1
                other.assumptions += (self.assumption(cond_f, f"`{text}` fails"),)
                out += [r, other]
            else:
                out.append(r)
        return out

    def done(self, st: State, status: int | None) -> list[State]:
        st.status = status
        return [st]

    def assume(self, st: State, node: Node, detail: str) -> State:
        """What follows holds only if `node` did what it was taken to do (a directory or file made
        at run time is there): the runs after it are kept as possible, with that assumption."""
        st.assumptions += (self.assumption(Condition(self.loc(st, node), self.text(node), (), True), detail),)
        return st

    def made_at_run_time(self, st: State, path: str) -> bool:
        """A repository path absent from the snapshot whose directory is absent too (or made
        by the job): a build tree, a virtualenv... something a command makes as the job runs."""
        parent = posixpath.dirname(path)
        return parent in st.made_dirs or not (parent == "" or self.snapshot.is_dir(parent))

    def repo_path(self, text: str | None, cwd: str) -> str | None:
        return repo_path(text, cwd, self.settings)

    # ------------------------------------------------------------------ the seams' functions
    # Functions of the modules below (each takes the interpreter first) that another module
    # calls through the interpreter, as `interp.read_var(...)`.
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
    word_node = expansion.word_node
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
    apply_redirect = pipelines.apply_redirect
    call_function = pipelines.call_function
    if_it_fails = pipelines.if_it_fails
    redirected = pipelines.redirected
    subshell = pipelines.subshell
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


# The modules whose `x_TYPE` functions run a statement of that node type.
SEAMS = (pipelines, control, conditions, declarations, simple_commands)
HANDLERS = {name[2:]: fn for seam in SEAMS for name, fn in vars(seam).items() if name.startswith("x_")}
_BASH = Language(tree_sitter_bash.language())
HANDLER_OF_KIND = {kind: HANDLERS[name] for kind in range(_BASH.node_kind_count)
                   if (name := _BASH.node_kind_for_id(kind)) in HANDLERS}  # by the grammar's symbol number

