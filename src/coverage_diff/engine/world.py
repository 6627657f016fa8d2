"""The open world's implementation, `SharedWorld`: each outcome computed once per
inventory (the protocol and the door the analyses use are `world.py`).

Jobs often differ only in who they are.  vLLM's AMD steps are written twice, in a test
area and in `test-amd.yaml`, with the same commands under another key, label, file and
line.  In the open world the values a job gives its variables are free as well, so what
such jobs run depends on none of those (`share_key`).  The world interprets one of them
and gives the others its outcome with their own identity put in (`Rebase`): the job id
and platform of each run and script call, the job frame, and the locations written in
their own commands.  A rebased outcome is what interpreting the job gives, field for
field (tests/test_world.py checks it against the interpreter).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from ..context import Context
from ..model import Assumption, Condition, ConfigEntry, Frame, Job, Location, Run
from ..shell import CallMemo, JobOutcome, ScriptCall, interpret_job, interpret_script
from ..snapshot import Snapshot
from . import parallel, store
from .memo import AskedSnapshot

if TYPE_CHECKING:
    from ..config import Settings
    from ..inventory import Inventory
    from .memo import JobMemo


def world_of(inventory: Inventory) -> SharedWorld:
    """The inventory's world (made on first use, kept while the inventory lives)."""
    return store.derived(inventory, "open-world", _new_world)


def _new_world(inventory: Inventory) -> SharedWorld:
    return SharedWorld(inventory.snapshot, inventory.settings, real=inventory.outcomes)


def equip(inventory: Inventory, memo: JobMemo | None = None, workers: int | None = None,
          context: Context | None = None) -> None:
    """Have the inventory's world compute through a session's `JobMemo` (shared with the
    other revisions of a diff, and kept in the persistent cache) and on `workers` processes,
    its interpretations sharing the caches of `context` (the memo's, when one is given)."""
    world = world_of(inventory)
    if memo is not None:
        world.memo, workers, context = memo, memo.workers, memo.context
    world.workers = workers
    if context is not None:
        world.context = context


class SharedWorld:
    """`OpenWorld` for one snapshot: each job's outcome computed once, and shared by the
    jobs equal to it in everything the open world reads (`share_key`)."""

    def __init__(self, snapshot: Snapshot, settings: Settings, memo: JobMemo | None = None, workers: int | None = None,
                 context: Context | None = None, real: dict[str, JobOutcome] | None = None):
        self.snapshot = snapshot
        self.settings = settings
        self.real = real or {}  # job id -> its outcome in the real world (the inventory's), to foretell costs
        self.memo = memo  # a session's: outcomes shared with the other revisions, and stored
        self.workers = workers  # processes for the outcomes computed together (`parallel.worker_count`)
        self.context = context or (memo.context if memo is not None else Context())  # what its interpretations share
        self._outcomes: dict[Job, JobOutcome] = {}
        self._scripts: dict[tuple[str, str], JobOutcome] = {}
        self._interpreted: dict[tuple, Job] = {}  # share key -> the job of that key that was interpreted
        # Script calls shared across its jobs (vLLM's PD sweeps call one script alike): exact, see shell/callmemo.py.
        # Each process computing outcomes fills its own copy.
        self.calls = CallMemo(notebook=AskedSnapshot)

    def outcome(self, job: Job) -> JobOutcome:
        found = self._outcomes.get(job)
        if found is None:
            found = self._from_equal(job)
            if found is None:
                found = self._interpret(job)
                self._interpreted.setdefault(share_key(job), job)
            self._outcomes[job] = found
        return found

    def outcomes(self, jobs: Sequence[Job]) -> list[JobOutcome]:
        prefetch([(self, job) for job in jobs])
        return [self.outcome(job) for job in jobs]

    def script_outcome(self, path: str, cwd: str) -> JobOutcome:
        if (path, cwd) not in self._scripts:
            self._scripts[path, cwd] = interpret_script(path, self.snapshot, self.settings, cwd=cwd, open_world=True,
                                                        context=self.context)
        return self._scripts[path, cwd]

    # -- sharing -------------------------------------------------------------------
    def _from_equal(self, job: Job) -> JobOutcome | None:
        """The outcome of an equal job already interpreted, rebased onto `job` (None: there
        is none, or its outcome cannot be rebased)."""
        first = self._interpreted.get(share_key(job))
        if first is None:
            return None
        rebase = Rebase.between(first, job)
        if rebase is None:
            return None
        return rebase.outcome(self._outcomes[first])

    def _needs_interpreting(self, job: Job, planned: dict[tuple, Job]) -> bool:
        """Whether `job` must be interpreted itself: nothing known, and no equal job (known or
        `planned` in this batch) whose outcome can be rebased onto it."""
        if job in self._outcomes:
            return False
        key = share_key(job)
        first = self._interpreted.get(key) or planned.get(key)
        if first is not None and Rebase.between(first, job) is not None:
            return False
        planned.setdefault(key, job)
        return True

    def estimate(self, job: Job) -> int:
        """What interpreting `job` here will cost, foretold by the steps its real world took:
        a job that loops over big arrays or forks many paths there does so here, and more
        (on vLLM the eleven jobs that cost seconds here are among the thirteen costliest
        there).  Computed together, the costliest are handed out first."""
        real = self.real.get(job.id)
        return real.steps if real is not None else 0

    def kin(self, job: Job) -> frozenset[str] | None:
        """The repository scripts `job` called in its real world, the key of the jobs one
        process should interpret (None: it called none).  Jobs that call the same scripts
        share those calls through the process's `CallMemo`: a sweep's first job records
        them and the others replay them, where two processes would each record them."""
        real = self.real.get(job.id)
        scripts = frozenset(call.path for call in real.scripts) if real is not None else frozenset()
        return scripts or None

    def _interpret(self, job: Job) -> JobOutcome:
        if self.memo is not None:
            return self.memo.interpret(job, self.snapshot, self.settings, open_world=True, call_memo=self.calls)
        return interpret_job(job, self.snapshot, self.settings, open_world=True, context=self.context, call_memo=self.calls)

    def _keep(self, job: Job, outcome: JobOutcome) -> None:
        self._outcomes[job] = outcome
        self._interpreted.setdefault(share_key(job), job)


def share_key(job: Job) -> tuple:
    """What a job's open world depends on besides the snapshot and settings: its commands
    as written (text, and rows relative to the first line), the names of its variables
    (the values are free) and where and how it runs (what its workspace may hold besides the
    checkout among it).  Not its system, file, key, label,
    location, matrix or platform: those are only recorded, and `Rebase` puts them in."""
    return (
        tuple((c.text, c.location.line > 0, c.location.column,
               tuple((row, column, line - c.location.line) for row, column, line in c.lines)) for c in job.commands),
        tuple(name for name, _ in job.env),
        job.unknown_env,
        job.working_dir,
        job.errexit,
        job.workspace_filled,
    )


class Rebase:
    """Turns the open-world outcome of one job into that of an equal job (`share_key`):
    job id, platform and job frame, and every location in the first job's commands moved
    to the same row of the other's."""

    def __init__(self, first: Job, other: Job, exact: dict[Location, Location],
                 shifts: list[tuple[str, int, int, str, int]]):
        self.first, self.other = first, other
        self.exact = exact  # the job's and its commands' own locations
        self.shifts = shifts  # (path, first line, last line, new path, line delta) of each command's rows
        self._done: dict[int, object] = {}  # id -> rebased object, for objects shared by many runs

    @classmethod
    def between(cls, first: Job, other: Job) -> Rebase | None:
        """None when a location of `first`'s could belong to two places of `other`'s."""
        exact: dict[Location, Location] = {first.location: other.location}
        shifts = []
        for mine, theirs in zip(first.commands, other.commands):
            if exact.setdefault(mine.location, theirs.location) != theirs.location:
                return None
            start = mine.location.line
            rows = [start, start + mine.text.count("\n")] + [line for _, _, line in mine.lines]
            delta = theirs.location.line - start if start > 0 else 0
            shifts.append((mine.location.path, min(rows), max(rows), theirs.location.path, delta))
        for i, (path, low, high, _, _) in enumerate(shifts):  # rows of two commands must not overlap
            if any(p == path and lo <= high and low <= hi for p, lo, hi, _, _ in shifts[i + 1:]):
                return None
        rebase = cls(first, other, exact, shifts)
        for mine, theirs in exact.items():  # an exact location inside a command's rows must move with them
            moved = rebase._shifted(mine)
            if moved is not mine and moved != theirs:
                return None
        return rebase

    def outcome(self, outcome: JobOutcome) -> JobOutcome | None:
        """`outcome` (the first job's) as the other job's; None when a message names the first
        job (an outcome the analysis failed on says which job it was)."""
        named = f"job {self.first.label!r}"
        if any(named in d.message for d in outcome.diagnostics) or any(named in i.reason for i in outcome.incomplete):
            return None
        return replace(
            outcome,
            runs=self._all(outcome.runs, self._run),
            scripts=self._all(outcome.scripts, self._script),
            conditions=self._all(outcome.conditions, self._condition),
            incomplete=self._all(outcome.incomplete, lambda i: replace(i, location=self.location(i.location))),
            diagnostics=self._all(outcome.diagnostics, lambda d: replace(d, location=self.location(d.location))),
            missing_scripts=tuple((self.location(where), path) for where, path in outcome.missing_scripts),
        )

    def location(self, location: Location) -> Location:
        found = self.exact.get(location)
        return found if found is not None else self._shifted(location)

    def _shifted(self, location: Location) -> Location:
        for path, low, high, new_path, delta in self.shifts:
            if location.path == path and low <= location.line <= high:
                return Location(new_path, location.line + delta, location.column)
        return location

    # -- the parts of an outcome -------------------------------------------------
    def _once(self, obj, rebase: Callable):
        """`rebase(obj)`, once per object: runs share their frames, conditions and entries."""
        done = self._done.get(id(obj))
        if done is None:
            done = self._done[id(obj)] = (obj, rebase(obj))
        return done[1]

    def _all(self, items: tuple, rebase: Callable) -> tuple:
        return tuple(self._once(item, rebase) for item in items)

    def _run(self, run: Run) -> Run:
        return replace(run, job_id=self.other.id, location=self.location(run.location),
                       entry=self._entry(run.entry) if run.entry is not None else None,
                       path=self._once(run.path, lambda frames: self._all(frames, self._frame)),
                       assumptions=self._once(run.assumptions, lambda found: self._all(found, self._assumption)),
                       platform=self.other.platform, entries=self._all(run.entries, self._entry))

    def _frame(self, frame: Frame) -> Frame:
        if frame.kind == "job" and frame.location == self.first.location and frame.text == self.first.display:
            return replace(frame, location=self.other.location, text=self.other.display)
        moved = self._same_or(frame, self.location(frame.location))
        if moved is frame or frame.condition is None:
            return moved
        return replace(moved, condition=self._once(frame.condition, self._condition))  # a guard's moves with it

    def _assumption(self, assumption: Assumption) -> Assumption:
        condition = self._once(assumption.condition, self._condition)
        return assumption if condition is assumption.condition else replace(assumption, condition=condition)

    def _condition(self, condition: Condition) -> Condition:
        return self._same_or(condition, self.location(condition.location))

    def _entry(self, entry: ConfigEntry) -> ConfigEntry:
        return self._once(entry, lambda e: self._same_or(e, self.location(e.location)))

    def _script(self, call: ScriptCall) -> ScriptCall:
        return replace(call, location=self.location(call.location), job_id=self.other.id)

    @staticmethod
    def _same_or(item, location: Location):
        """`item` itself when its location does not move (most of an outcome lies in scripts)."""
        return item if location is item.location else replace(item, location=location)


# ------------------------------------------------------------------------- many at once
Pair = tuple[SharedWorld, Job]


def prefetch(pairs: Sequence[Pair]) -> None:
    """The open worlds of `pairs`, the missing ones computed together on every core (each
    costs tens of milliseconds: worth a fork for two).  The pairs may come from several
    worlds, as in a history walk that explains many commits.  Of jobs equal in a world,
    one is interpreted; the others are rebased when asked for."""
    by_memo: dict[int, tuple[SharedWorld, list[Job]]] = {}  # worlds with a session's memo: one batch each
    alone: list[Pair] = []
    for world, job in _missing(pairs):
        if world.memo is None:
            alone.append((world, job))
        else:
            by_memo.setdefault(id(world), (world, []))[1].append(job)
    for world, jobs in by_memo.values():
        if len(jobs) >= 2:  # one job: computed when asked for, as without this
            found = world.memo.interpret_many(jobs, world.snapshot, world.settings, open_world=True, call_memo=world.calls,
                                              cost=world.estimate, together=world.kin)
            for job, outcome in zip(jobs, found):
                world._keep(job, outcome)
    if len(alone) >= 2:
        _keep(alone, parallel.fork_map(_interpret_pair, alone, workers=alone[0][0].workers,
                                       cost=lambda pair: pair[0].estimate(pair[1]), together=_kin))


def _kin(pair: Pair) -> tuple | None:
    world, job = pair
    scripts = world.kin(job)
    return (id(world), scripts) if scripts is not None else None


def compute_here(pairs: Sequence[Pair]) -> None:
    """The missing open worlds of `pairs`, computed in this process only (another one is busy)."""
    todo = _missing(pairs)
    _keep(todo, [_interpret_pair(pair) for pair in todo])


def compute_later(pairs: Sequence[Pair]) -> Later:
    """Start computing the missing open worlds of `pairs` in a forked child, while this
    process goes on; the returned handle waits for them and keeps them (a history walk
    builds the next commits' inventories meanwhile).  Worlds without a session's memo."""
    todo = _missing(pairs)
    return Later(todo, parallel.fork_later(_interpret_pair, todo, workers=todo[0][0].workers if todo else None))


class Later:
    """`compute_later`'s handle: `ready()` without waiting, `()` to wait and keep them."""

    def __init__(self, pairs: list[Pair], later: parallel.Later):
        self.pairs, self.later = pairs, later

    def ready(self) -> bool:
        return self.later.ready()

    def cancel(self) -> None:
        self.later.cancel()

    def __call__(self) -> None:
        _keep(self.pairs, self.later.result())


def _interpret_pair(pair: Pair) -> JobOutcome:
    world, job = pair
    return interpret_job(job, world.snapshot, world.settings, open_world=True, context=world.context, call_memo=world.calls)


def _missing(pairs: Sequence[Pair]) -> list[Pair]:
    """The pairs to interpret: one per job and world, none for a job an equal one can serve."""
    planned: dict[int, dict[tuple, Job]] = {}
    todo: list[Pair] = []
    for world, job in pairs:
        if world._needs_interpreting(job, planned.setdefault(id(world), {})):
            todo.append((world, job))
    return todo


def _keep(pairs: Sequence[Pair], outcomes: Sequence[JobOutcome]) -> None:
    for (world, job), outcome in zip(pairs, outcomes):
        world._keep(job, outcome)
