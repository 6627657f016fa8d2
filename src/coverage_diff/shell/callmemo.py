"""Calls of a repository script shared across the jobs of one open world.

In the open world a job's inputs are free, so jobs that call one script alike make the
same interpretation of it again: vLLM's PD sweep jobs each call `run_accuracy_test.sh`
152 times, and the nine jobs differ only in a prefix or two written in the CI file.  A
`CallMemo` keeps what one call did (`Entry`) and gives it to an equal call of another
job, which then adds exactly what interpreting the call would have added.

What a call does depends on the state its new bash process starts from.  The key is that
state field for field (`state_key`), but for four parts:

- the variables.  While a call is recorded, each variable it starts with is a
  `TrackedVar`, which notes each part of it the call looks at (its value, its export
  flag...), and the path's `Watch` notes the names looked up while unset and the names
  written.  Another caller fits when its variables agree on those parts only
  (`Entry.fits`).  Comparisons of whole variable sets (paths joined, loop passes) note
  every part of a name where one path holds the caller's variable and another does not;
  a nested script call, which records every exported variable, needs them all equal.
  Whether a read counts as a read of the environment (`track`, the outcome's `reads`)
  is taken from the replaying caller's variable, not a dependency;
- the frames (where the call sits in its job): recorded with the call's own frame only,
  the caller's put before them at replay;
- the names set by prefixes along the call chain and the exported names read so far
  (`chain_env`, `read_exported`): they decide which variables a run lists in its env.
  While a call is recorded, how each run's env was made is noted (`RunEnv`: the names
  the call added to the chain or read, what each name its path changed added), and a
  replay makes each run's env again from the replaying caller's.  Paths joined compare
  the names they read: a name read before the call on one side only must not have set
  two compared paths apart (`ReadSet`), nor be read by the call at all when the recorded
  caller is the one that read it.  Inside another recorded call the stricter rule holds:
  a name listed on one side only adds nothing and is never written by the call.

A call that would cross the step budget, a recording the budget stopped, or a call whose
state holds syntax (exported functions, containers) is interpreted as usual.  So is a call
of a cheap script (every call of it so far under `CHEAP` steps: recording it costs more
than interpreting it again), and a call whose key the callers seldom share
(`worth_recording`); a key's recordings that no call replayed are dropped when a call
misses them.
tests/shell/test_callmemo.py checks replays against direct interpretation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Callable

from .merge import var_fingerprint
from .state import State, Var

if TYPE_CHECKING:
    from ..model import Frame, Run
    from .outcome import ScriptCall

MAX_ENTRIES = 4096  # recorded calls kept per memo
FRUITLESS = 1  # entries of one key after which its calls are recorded only while a third of them are replayed
CHEAP = 50  # steps: a script whose calls all took fewer is interpreted at each call (`CallMemo.cheap`)
_PARTS = tuple(f.name for f in fields(Var))
# State fields the key leaves out: the loose ones (module docstring), the recording's
# watch, and what a new process resets (`locals`, `flow`).
_LOOSE = frozenset({"vars", "frames", "chain_env", "read_exported", "watch", "locals", "flow"})
_KEY_FIELDS = tuple(f.name for f in fields(State) if f.name not in _LOOSE)


class Watch:
    """What a recorded call did with the variables it started with."""

    __slots__ = ("start", "parts", "absent", "wrote", "tracked", "held_start", "held_other", "everything", "nested",
                 "chain_env", "loose", "runs", "compared_reads")

    def __init__(self, start: dict[str, Var]):
        self.start = start  # the call's starting variables (plain `Var`s)
        self.parts: dict[str, set[str]] = {}  # name -> parts of its starting variable looked at
        self.absent: set[str] = set()  # names looked up while unset
        self.wrote: set[str] = set()  # names written, unset or made local on some path
        self.tracked: set[tuple[str, str]] = set()  # (name read, variable) whose env-read status is the caller's
        self.held_start: set[str] = set()  # names compared whole while holding the starting variable
        self.held_other: set[str] = set()  # ... while holding another one (or none)
        self.everything = False  # every exported variable was shown (a nested script call)
        self.nested: set[str] = set()  # names a call inside it (replayed or recorded) looked at or wrote
        self.chain_env: tuple[str, ...] = ()  # the call's chain_env and read_exported at its start
        self.loose: frozenset[str] = frozenset()
        self.runs: list[RunEnv | None] = []  # how each run's env was made, in the order of the recorder's runs
        self.compared_reads: set[str] = set()  # names in which two paths' read_exported differed where compared

    def look(self, name: str, part: str) -> None:
        found = self.parts.get(name)
        if found is None:
            self.parts[name] = {part}
        else:
            found.add(part)

    def compared(self, variables: dict[str, Var]) -> None:
        """`variables` are compared whole with another path's (loop passes, path groups)."""
        for name, var in variables.items():
            if type(var) is TrackedVar and var._watch is self:
                self.held_start.add(name)
            elif name in self.start:
                self.held_other.add(name)
        for name in self.start:
            if name not in variables:
                self.held_other.add(name)


class ReadSet(frozenset):
    """A recorded call's `read_exported`: two paths' sets compared (paths joined) note the
    names they differ in, whose presence at the start would have made them equal."""

    def __new__(cls, names, watch: Watch):
        found = super().__new__(cls, names)
        found.watch = watch
        return found

    def __eq__(self, other):
        if frozenset.__eq__(self, other):
            return True
        if isinstance(other, frozenset):
            self.watch.compared_reads.update(frozenset.__xor__(self, other))
        return False

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = frozenset.__hash__


def read_exported(st: State, name: str) -> frozenset[str]:
    """`st.read_exported` with `name` (a `ReadSet` while a call is recorded)."""
    found = st.read_exported | {name}
    return ReadSet(found, st.watch) if st.watch is not None else found


@dataclass(frozen=True)
class RunEnv:
    """What a recorded run's env was made of (`record_run`), to make it again for a caller
    whose chain_env and read_exported differ: the names set along the chain inside the call,
    the exported names its path read that were not read before the call, what each name
    its path changed added then, and the run's own prefixes."""

    chain_tail: tuple[str, ...]
    read: frozenset[str]
    changed: tuple[tuple[str, str | None], ...]
    prefixes: tuple[tuple[str, str | None], ...]

    def env(self, chain_env, loose, variables: dict[str, Var]) -> tuple[tuple[str, str], ...]:
        changed = dict(self.changed)
        env: dict[str, str] = {}
        for name in sorted(set(chain_env) | set(self.chain_tail) | loose | self.read):
            value = changed[name] if name in changed else _known(variables.get(name))
            if value is not None:
                env[name] = value
        for name, value in self.prefixes:
            if value is not None:
                env[name] = value
            else:
                env.pop(name, None)
        return tuple(sorted(env.items()))


def note_run(st: State, prefixes) -> None:
    """While a call is recorded: how the run being recorded makes its env (`RunEnv`); None
    when a nameref stands in the way."""
    watch: Watch = st.watch
    changed = []
    variables = st.vars
    for name, var in variables.items():  # (once per run: parts read as `raw` does, inline)
        if type(var) is TrackedVar:
            d = var.__dict__
            if d["_watch"] is watch and d["_name"] == name:
                continue
            var = plain(var)
        if var.nameref:
            watch.runs.append(None)
            return
        changed.append((name, _known(var)))
    changed += [(name, None) for name in watch.start if name not in variables]
    chain_env = st.chain_env
    watch.runs.append(RunEnv(chain_env[len(watch.chain_env):] if chain_env[:len(watch.chain_env)] == watch.chain_env else None,
                             frozenset(st.read_exported) - watch.loose, tuple(changed),
                             tuple((name, val.text if val.known else None) for name, val in prefixes)))


def _known(var: Var | None) -> str | None:
    """The value `var` adds to a run's env (read without noting): known and exported, or None."""
    if var is None:
        return None
    if type(var) is TrackedVar:
        var = plain(var)
    if not var.exported:
        return None
    items = var.items
    scalar = items.get("0" if var.assoc else 0) if items is not None else None
    return scalar.text if scalar is not None and scalar.known else None


class TrackedVar(Var):
    """A variable the recorded call started with: each part looked at is noted.  The parts
    sit in the instance dict under hidden names (`_HIDDEN`); the first read of a part notes
    it and puts the value under the part's own name, where later reads find it before the
    class's `_Part` (a non-data descriptor) and note nothing again: a recording reads the
    same few parts of each variable thousands of times."""

    def __new__(cls, *args, **kwargs):  # `dataclasses.replace` makes a plain `Var`
        return Var(*args, **kwargs)

    def __eq__(self, other):
        if other is self:
            return True
        if not isinstance(other, Var):
            return NotImplemented
        return all(getattr(self, part) == getattr(other, part) for part in _PARTS)

    __hash__ = Var.__hash__


_HIDDEN = {part: "~" + part for part in _PARTS}


class _Part:
    __slots__ = ("part", "hidden")

    def __init__(self, part: str):
        self.part, self.hidden = part, _HIDDEN[part]

    def __get__(self, var, owner=None):
        if var is None:
            return self
        d = var.__dict__
        d["_watch"].look(d["_name"], self.part)
        value = d[self.part] = d[self.hidden]
        return value


for _name in _PARTS:
    setattr(TrackedVar, _name, _Part(_name))


def tracked(var: Var, name: str, watch: Watch) -> TrackedVar:
    found = object.__new__(TrackedVar)
    d = found.__dict__
    for part, hidden in _HIDDEN.items():
        d[hidden] = raw(var, part)
    d["_fingerprint"] = var_fingerprint(var)
    d["_watch"], d["_name"] = watch, name
    return found


def raw(var: Var | None, part: str):
    return var.__dict__[_HIDDEN[part]] if type(var) is TrackedVar else getattr(var, part)


def contribution(variables: dict[str, Var], name: str):
    """What `name` adds to a run's env (`record_run`): its known exported value, or None.
    A nameref is never equal to anything."""
    var = variables.get(name)
    if var is None:
        return None
    if var.nameref:
        return object()
    scalar = var.scalar
    return scalar.text if var.exported and scalar is not None and scalar.known else None


def plain(var: Var) -> Var:
    """A `TrackedVar`'s parts as a plain `Var` (read without noting)."""
    if type(var) is not TrackedVar:
        return var
    found = object.__new__(Var)
    d = var.__dict__
    found.__dict__.update({part: d[hidden] for part, hidden in _HIDDEN.items()})
    return found


def peek(st: State, name: str) -> Var | None:
    """`st.get(name)` as `record_run` asks it: not a look the call depends on (`Entry.fits`
    compares what each name adds to a run).  Namerefs are followed as `State.resolve` does."""
    variables = st.vars
    for _ in range(8):
        var = variables.get(name)
        if var is None or not raw(var, "nameref"):
            break
        name = raw(var, "nameref")
    var = variables.get(name)
    return plain(var) if var is not None else None


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted(((k, _freeze(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


def state_key(child: State) -> tuple | None:
    """The parts of a call's starting state that must be equal, or None when they cannot be
    compared (exported functions and containers hold syntax and handles)."""
    if child.funcs or child.containers:
        return None
    key = tuple(_freeze(getattr(child, name)) for name in _KEY_FIELDS)
    try:
        hash(key)
    except TypeError:
        return None
    return key


@dataclass(frozen=True)
class Final:
    """A path the call ended on, as its caller sees it (`calls.child_process`)."""

    status: int | None
    status_assumed: bool
    assumptions: tuple
    made_dirs: frozenset
    capture: tuple | None


@dataclass
class Entry:
    """One recorded call."""

    depends: tuple[tuple[str, frozenset[str]], ...] | None  # (name, parts looked at); None: every variable
    start: dict[str, Var]  # the recorded call's starting variables
    chain: frozenset[str]  # its chain_env and read_exported names
    loose: frozenset[str]  # its read_exported names
    chain_env: tuple[str, ...]
    envs: tuple[RunEnv, ...] | None  # how each run's env was made (None: not known for every run)
    compared_reads: frozenset[str]
    touched: frozenset[str]  # every name it looked at, looked up or wrote
    written: frozenset[str]  # names it (or a call inside it) may have written
    reading: frozenset[str]  # names whose read may add them to `read_exported` on a path
    tracked: tuple[tuple[str, str], ...]
    wrote_files: bool  # `Interpreter.written` after the call
    runs: tuple[Run, ...]
    scripts: tuple[ScriptCall, ...]
    conditions: tuple
    reads: frozenset[str]
    incomplete: tuple
    diagnostics: tuple
    missing: tuple
    arms: dict
    questions: tuple[frozenset[str], frozenset[str], bool] | None
    steps: int
    finals: tuple[Final, ...]

    def fits(self, child: State) -> bool:
        """Whether the call from `child` does what the recorded one did.  Inside a recorded
        call (`child.watch`), what is compared is noted as that call's dependency."""
        variables = child.vars
        outer = child.watch
        if self.depends is None:
            if outer is not None:
                outer.everything = True
            if variables != self.start:
                return False
        else:
            start = self.start
            for name, parts in self.depends:
                mine, theirs = variables.get(name), start.get(name)
                if outer is not None:
                    if mine is None:
                        outer.absent.add(name)
                    elif type(mine) is TrackedVar:
                        outer.look(mine.__dict__["_name"], "present")
                if mine is None or theirs is None:
                    if mine is not theirs:
                        return False
                    continue
                for part in parts:
                    if part != "present" and getattr(mine, part) != getattr(theirs, part):
                        return False
        loose = child.read_exported
        if self.envs is not None and outer is None:
            # Each run's env is made again for this caller (`RunEnv`).  Joined paths compare
            # the exported names they read: a name read before this call on one side only
            # must not have set two compared paths apart.
            if any(raw(var, "nameref") for var in variables.values()):
                return False
            for name in loose - self.loose:
                if name in self.compared_reads:
                    return False
            for name in self.loose - loose:
                if name in self.reading:
                    return False
            return True
        # A run lists the known exported values of these names (`record_run`).  A name both
        # list must add the same.  A name one lists only adds nothing on either side and the
        # call never writes it (then it holds the caller's variable at every run).
        chain = frozenset(child.chain_env) | loose
        start = self.start
        for name in chain ^ self.chain:
            if name in self.written or contribution(variables, name) is not None or contribution(start, name) is not None:
                return False
        for name in chain & self.chain:
            if contribution(variables, name) != contribution(start, name):
                return False
        for name in loose ^ self.loose:  # joined paths compare what they read: no path may read it
            if name in self.reading:
                return False
        return True


class CallMemo:
    """Script calls recorded in one open world (one snapshot, one settings).  `notebook`
    wraps a snapshot to note the questions asked of it (`engine.memo.AskedSnapshot`), so
    a replay asks them again of the job's snapshot (a session's memo keeps them)."""

    def __init__(self, notebook: Callable | None = None, cheap: int = CHEAP):
        self.notebook = notebook
        self.cheap = cheap
        self._entries: dict[tuple, list[Entry]] = {}
        self._uses: dict[tuple, list[int]] = {}  # key -> [entries recorded, calls replayed]
        self._steps: dict[str, int] = {}  # script path -> the most steps one of its calls took
        self.count = 0
        self.recorded = 0
        self.replayed = 0

    def find(self, key: tuple, child: State) -> Entry | None:
        found = next((e for e in self._entries.get(key, ()) if e.fits(child)), None)
        if found is not None:
            self._uses[key][1] += 1
        return found

    def worth_recording(self, key: tuple) -> bool:
        """Not a call that the callers seldom share (a sweep script called once per job, each
        job with its own prefix): the calls inside it are shared instead, which a recording
        around them would hold to stricter terms (`Entry.fits`)."""
        recorded, replayed = self._uses.get(key, (0, 0))
        return self.count < MAX_ENTRIES and (recorded < FRUITLESS or 2 * replayed >= recorded)

    def missed(self, key: tuple) -> None:
        """No entry of `key` fitted a call.  When none of them has been replayed either, they
        are dropped: the key's calls are not recorded any more (`worth_recording`), and what
        they hold was recorded for callers that did not come (a sweep script each job calls
        with its own prefix; on the generated bench tree's `audit head`, 23,000 runs)."""
        recorded, replayed = self._uses.get(key, (0, 0))
        if replayed == 0 and recorded >= FRUITLESS:
            self.count -= len(self._entries.pop(key, ()))

    def is_cheap(self, path: str) -> bool:
        """Whether every call of the script so far took fewer than `cheap` steps: then
        recording a call costs more than interpreting it again, and a replay about as much
        (on the generated bench tree, 4,000 calls of six steps cost 19% more CPU and 80 MB
        recorded).  A script not called yet is recorded: its first call tells."""
        return self._steps.get(path, self.cheap) < self.cheap

    def took(self, path: str, steps: int) -> None:
        if steps > self._steps.get(path, -1):
            self._steps[path] = steps

    def keep(self, key: tuple, entry: Entry) -> None:
        self._entries.setdefault(key, []).append(entry)
        self._uses.setdefault(key, [0, 0])[0] += 1
        self.count += 1


def remembered_call(interp, child: State, frame: Frame, run: Callable[[State], list[State]]) -> list[State]:
    """`run(child)` (a called script's body; `child.frames` end with `frame`), through the
    interpreter's memo: replayed when an equal call was recorded, else recorded."""
    memo: CallMemo = interp.call_memo
    path = frame.text
    if memo.is_cheap(path):
        return _measured(interp, memo, path, child, run)
    key = state_key(child)
    if key is None or interp.stopped:
        return run(child)
    key = (interp.open_world, interp.written, key)
    entry = memo.find(key, child)
    if entry is not None and interp.steps + entry.steps <= interp.settings.max_steps:
        memo.replayed += 1
        _nested(child, entry)
        return replay(interp, entry, child)
    if entry is None:
        memo.missed(key)
    if not memo.worth_recording(key):
        return run(child)
    entry = record(interp, child, frame, run)
    if entry is None:
        return run(child)
    if not interp.stopped:
        memo.keep(key, entry)
        memo.recorded += 1
        memo.took(path, entry.steps)
    if child.watch is not None:  # what the call looked at, the call around it did too
        entry.fits(child)
        _nested(child, entry)
    return replay(interp, entry, child, count_steps=False)


def _measured(interp, memo: CallMemo, path: str, child: State, run: Callable[[State], list[State]]) -> list[State]:
    """`run(child)`, noting the steps it took (a cheap script's call that was not cheap
    makes the script's next calls recorded)."""
    steps = interp.steps
    finals = run(child)
    if not interp.stopped:
        memo.took(path, interp.steps - steps)
    return finals


def _nested(child: State, entry: Entry) -> None:
    if child.watch is not None:
        child.watch.nested |= entry.touched


def record(interp, child: State, frame: Frame, run) -> Entry | None:
    """Interpret the call with its own frame only, into a recorder of its own, with this
    interpreter's caches empty (the entry holds everything a first call adds); calls
    inside it are interpreted directly."""
    if child.frames[-1] is not frame:
        return None
    given = child.vars  # inside a recorded call, some are that call's `TrackedVar`s
    start = {name: plain(var) for name, var in given.items()}
    chain = frozenset(child.chain_env) | child.read_exported
    loose = child.read_exported
    watch = Watch(start)
    watch.chain_env, watch.loose = child.chain_env, frozenset(loose)
    child.vars = {name: tracked(var, name, watch) for name, var in given.items()}
    outer, child.watch = child.watch, watch
    child.read_exported = ReadSet(loose, watch)
    frames, child.frames = child.frames, (frame,)
    saved = (interp.rec, interp.snapshot, interp.scans, interp.config_names_by_path, interp.config_scalars_by_path, interp.arms_recorded,
             interp.canonical_words, interp.call_memo)
    notebook = interp.call_memo.notebook
    asked = notebook(interp.snapshot) if notebook is not None else None
    interp.rec = type(interp.rec)()  # a `Recorder` of its own
    if asked is not None:
        interp.snapshot = asked
    interp.scans, interp.config_names_by_path, interp.config_scalars_by_path, interp.arms_recorded, interp.canonical_words = {}, {}, {}, {}, {}
    steps = interp.steps
    try:
        finals = run(child)
    finally:
        rec, arms = interp.rec, interp.arms_recorded
        scans, names, scalars, canonical = interp.scans, interp.config_names_by_path, interp.config_scalars_by_path, interp.canonical_words
        (interp.rec, interp.snapshot, interp.scans, interp.config_names_by_path, interp.config_scalars_by_path, interp.arms_recorded,
         interp.canonical_words, interp.call_memo) = saved
        child.vars, child.frames, child.watch, child.read_exported = given, frames, outer, loose
    for mine, theirs in ((interp.scans, scans), (interp.config_names_by_path, names), (interp.config_scalars_by_path, scalars),
                         (interp.canonical_words, canonical)):
        for k, v in theirs.items():
            mine.setdefault(k, v)
    if watch.everything:
        depends = None
    else:
        parts = {name: set(found) for name, found in watch.parts.items()}
        for name in watch.absent | watch.wrote | child.touched:  # their presence counts
            parts.setdefault(name, set()).add("present")
        for name in watch.held_start & watch.held_other:
            parts.setdefault(name, set()).update(_PARTS)
        for _, name in watch.tracked:
            parts.setdefault(name, set()).add("present")
        depends = tuple(sorted((name, frozenset(found)) for name, found in parts.items()))
    envs = tuple(watch.runs) if len(watch.runs) == len(rec.runs) and None not in watch.runs else None
    if envs is not None and (any(raw(var, "nameref") for var in start.values())
                             or any(e.chain_tail is None or e.env(child.chain_env, loose, start) != run.env
                                    for e, run in zip(envs, rec.runs))):
        envs = None  # (made again for this very call, each run's env must come out as it was)
    return Entry(
        depends=depends,
        start=start,
        chain=chain,
        loose=frozenset(loose),
        chain_env=child.chain_env,
        envs=envs,
        compared_reads=frozenset(watch.compared_reads),
        touched=(frozenset(watch.parts) | watch.absent | watch.wrote | watch.nested
                 | {name for pair in watch.tracked for name in pair}),
        written=frozenset(watch.wrote | watch.nested),
        reading=frozenset(watch.wrote | watch.nested | {name for pair in watch.tracked for name in pair}),
        tracked=tuple(sorted(watch.tracked)),
        wrote_files=interp.written,
        runs=tuple(rec.runs),
        scripts=tuple(rec.scripts),
        conditions=tuple(rec.conditions),
        reads=frozenset(rec.reads),
        incomplete=tuple(rec.incomplete),
        diagnostics=tuple(rec.diagnostics),
        missing=tuple(rec.missing),
        arms=arms,
        questions=asked.questions() if asked is not None else None,
        steps=interp.steps - steps,
        finals=tuple(Final(f.status, f.status_assumed, f.assumptions, f.made_dirs,
                           tuple(f.capture) if f.capture is not None else None) for f in finals),
    )


def replay(interp, entry: Entry, child: State, count_steps: bool = True) -> list[State]:
    """Add what the recorded call did to `interp`, as this caller's call: its job id and
    platform, and its frames before the recorded call's."""
    from .wordplan import is_env_name

    rec = interp.rec
    prefix = child.frames
    job_id, platform = interp.job_id, interp.platform
    paths: dict[int, tuple] = {}

    def moved(run: Run) -> Run:
        path = paths.get(id(run.path))
        if path is None:
            path = paths[id(run.path)] = prefix + run.path[1:]
        return replace(run, job_id=job_id, platform=platform, path=path)

    if entry.envs is not None and child.watch is None:  # (`Entry.fits`)
        loose, chain_env, variables = child.read_exported, child.chain_env, child.vars
        rec.runs.extend(replace(moved(r), env=made.env(chain_env, loose, variables)) for r, made in zip(entry.runs, entry.envs))
    else:
        rec.runs.extend(moved(r) for r in entry.runs)
    rec.scripts.extend(s if s.job_id == job_id else replace(s, job_id=job_id) for s in entry.scripts)
    for items, into in ((entry.conditions, rec.conditions), (entry.incomplete, rec.incomplete),
                        (entry.diagnostics, rec.diagnostics), (entry.missing, rec.missing)):
        for item in items:
            into.setdefault(item, None)
    rec.reads |= entry.reads
    variables = child.vars
    for name, target in entry.tracked:
        if is_env_name(name) and variables[target].from_env:
            rec.reads.add(name)
    for k, done in entry.arms.items():
        interp.arms_recorded[k] = max(done, interp.arms_recorded.get(k, done))
    if entry.questions is not None:
        paths_asked, dirs, listed = entry.questions
        snapshot = interp.snapshot
        for path in paths_asked:
            snapshot.entry(path)
        for d in dirs:
            snapshot.is_dir(d)
        if listed:
            snapshot.lister()
    interp.written = entry.wrote_files
    if count_steps:
        interp.steps += entry.steps
        interp.clock_at = max(interp.clock_at, interp.steps)
    out = []
    for final in entry.finals:
        f = child.fork()
        f.status, f.status_assumed, f.assumptions, f.made_dirs = (final.status, final.status_assumed,
                                                                  final.assumptions, final.made_dirs)
        f.capture = list(final.capture) if final.capture is not None else None
        out.append(f)
    return out
