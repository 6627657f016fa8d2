"""The history walk's machinery: each commit's inventory derived from its parent's.

A commit's files are its parent's with the log's changes applied (no `git ls-tree` per
commit); a job whose job and consulted files are unchanged keeps its outcome, as do the
front-ends' output and each script's definitions (`JobReads`: what computing each read);
a commit that touches nothing the analysis depends on (`touches`) reuses its parent's
inventory whole.  Only the last inventory of a walk is stored (`persist.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol
from functools import lru_cache
from pathlib import Path, PurePosixPath

from ..ci import ci_directories, ci_globs
from ..config import load_settings
from ..context import Context
from ..inventory import SCRIPT_SUFFIXES, Inventory, group_by_subject
from ..model import Job
from ..shell import JobOutcome, interpret_job
from ..snapshot import FileEntry, Snapshot, match_glob, normalize
from . import parallel, store, world
from .build import build_inventory
from .cache import Cache, settings_hash
from .file_memo import FileMemo
from .memo import AskedSnapshot, interpreted_outcome
from .persist import freeze, thaw
from .store import PerObject
from .world import equip

SETTINGS_FILES = ("pyproject.toml", ".coverage-diff.toml")
# What the walk keeps with each commit's inventory for the next (`store.py`), never stored:
_READS = "job-reads"  # job id -> JobReads, so the next commit can reuse outcomes
_PARTS = "walk-parts"  # the parts `_Parts` kept for the next commit


class HistoryWalk:
    """Inventories along first-parent history, from memory, the cache, or built."""

    def __init__(self, repo: Path, reader, cache: Cache, settings=None, workers: int | None = None,
                 context: Context | None = None):
        """`context`: what its interpretations share (a session's shell caches; default: its own).
        Its builds keep CI files' results in `cache` too, and the cache watches their deadlines:
        a session's context on the session's cache serves as it is (one memo of CI files)."""
        self.repo = repo
        context = context or Context()
        if context.watch is not cache.watch or not (isinstance(context.files, FileMemo) and context.files.cache is cache):
            context = replace(context, watch=cache.watch, files=FileMemo(cache))
        self.context = context
        self.workers = workers  # processes to interpret and explain with (`parallel.worker_count`)
        self.reader = reader
        self.cache = cache
        self.settings = settings  # None: each commit's own settings
        self.settings_key = settings_hash(settings) if settings is not None else "per-revision"
        self.built = 0  # inventories computed (not read from the cache)
        self.reused_jobs = 0  # job outcomes carried over from the previous inventory
        self._unstored: tuple[Inventory, str] | None = None  # the last inventory built, not yet in the cache
        self.trees_listed = 0  # snapshots read with `git ls-tree` (the others follow from their parent's)

    def inventory(self, commit: str, tree: str, name: str, previous: Inventory | None = None,
                  changed: "Changes | None" = None) -> Inventory:
        """The inventory of `commit`.  When built, jobs that equal a job of `previous` and
        consulted none of the `changed` paths keep their outcome instead of being re-interpreted."""
        same = self.cache.get("same-inventory", tree, self.settings_key)  # a tree whose inventory is this one's
        stored = self.cache.get("inventory", same if isinstance(same, str) else tree, self.settings_key)
        snapshot = _LazySnapshot(self.repo, commit, self.reader, name)
        if isinstance(stored, dict):
            inventory = thaw(stored, snapshot)
            equip(inventory, workers=self.workers, context=self.context)
            return inventory
        real = self._snapshot(commit, name, previous, changed)
        settings = self.settings or load_settings(real)
        reads: dict[str, JobReads] = {}
        parts = _Parts(store.get(previous, _PARTS) if previous is not None else None, changed)
        inventory = build_inventory(real, settings, interpret=self._interpreter(previous, settings, changed, reads),
                                    parts=parts, context=self.context)
        store.put(inventory, _READS, reads)
        store.put(inventory, _PARTS, parts.now)
        equip(inventory, workers=self.workers, context=self.context)
        self.built += 1
        self._unstored = (inventory, tree)
        return inventory

    def _snapshot(self, commit: str, name: str, previous: Inventory | None, changed: "Changes | None") -> Snapshot:
        """The commit's files: those of `previous` with the walk's changes applied when it
        can (no git process per commit), else `git ls-tree`."""
        files = files_after(previous.snapshot.files, changed) if previous is not None and changed is not None else None
        if files is not None:
            snapshot = Snapshot(name, files, self.reader.read, commit)
            snapshot.repo = self.repo
            return snapshot
        self.trees_listed += 1
        real = Snapshot.at(self.repo, commit, self.reader)
        real.name = name
        return real

    def store_last(self) -> None:
        """Keep the last inventory built in the cache: the next run over newer commits
        starts from it.  Only that one: freezing and pickling every commit's inventory
        cost more than building them again."""
        if self._unstored is not None:
            inventory, tree = self._unstored
            self.cache.put("inventory", freeze(inventory), tree, self.settings_key)
            self._unstored = None

    def _interpreter(self, previous: Inventory | None, settings, changed: "Changes | None", reads: dict) -> "_WalkInterpreter":
        usable = previous is not None and changed is not None and previous.settings == settings
        return _WalkInterpreter(self, previous if usable else None, changed, reads)


class _Parts:
    """`build_inventory`'s memo of the parts that are pure functions of files (the CI
    front-ends' output, each script's definitions), for a walk: a part is kept from the
    previous commit when the commit changed nothing it read, as job outcomes are, and
    computed otherwise.  Per commit, that is a look-up per script instead of comparing
    every answer each part rests on with the new tree."""

    def __init__(self, previous: dict | None, changes: "Changes | None"):
        self.previous = previous if previous is not None and changes is not None else {}
        self.changes = changes
        self.now: dict[tuple, tuple[JobReads, object]] = {}  # key -> (what computing it read, the part)

    def remember(self, key: tuple, snapshot: Snapshot, compute):
        kept = self.previous.get(key)
        if kept is None or kept[0].touched_by(self.changes):
            recorder = _ReadsRecorder(snapshot)
            value = compute(recorder)
            kept = (recorder.reads(), value)
        self.now[key] = kept
        return kept[1]


class _WalkInterpreter:
    """`build_inventory`'s hook for one commit of a walk: a job equal to one of the
    previous commit that read none of the changed paths keeps its outcome; the others
    are interpreted, noting what they read (on every core when there are many, as at
    the walk's first commit)."""

    def __init__(self, walk: "HistoryWalk", previous: Inventory | None, changed: "Changes | None", reads: dict):
        self.walk = walk
        self.previous = previous
        self.changed = changed
        self.reads = reads
        self.old_reads = store.get(previous, _READS, {}) if previous is not None else {}
        self.old_jobs = previous.jobs_by_id if self.old_reads else {}
        self.ready: dict[str, tuple[Job, object, JobOutcome, JobReads]] = {}  # prefetched: id -> (job, settings, outcome, reads)
        self.decided: dict[str, tuple[Job, JobReads | None]] = {}  # by prefetch: id -> (job, its kept reads or None)

    def _kept(self, job) -> JobReads | None:
        before = self.old_reads.get(job.id)
        if before is not None and _same_job(self.old_jobs.get(job.id), job) and not before.touched_by(self.changed):
            return before
        return None

    def __call__(self, job, snapshot: Snapshot, settings, *, context: Context | None = None) -> JobOutcome:
        decided = self.decided.get(job.id)
        before = decided[1] if decided is not None and decided[0] is job else self._kept(job)
        if before is not None:
            self.walk.reused_jobs += 1
            self.reads[job.id] = before
            return interpreted_outcome(self.previous, job.id)
        ready = self.ready.pop(job.id, None)
        if ready is not None and ready[0] is job and ready[1] == settings:
            _, _, outcome, self.reads[job.id] = ready
            return outcome
        outcome, self.reads[job.id] = _interpret_noting_reads(job, snapshot, settings, context or self.walk.context)
        return outcome

    def prefetch(self, jobs: list, snapshot: Snapshot, settings, *, context: Context | None = None) -> None:
        self.decided = {job.id: (job, self._kept(job)) for job in jobs}  # asked again job by job
        todo = [job for job, kept in self.decided.values() if kept is None]
        context = context or self.walk.context
        done = parallel.fork_map(lambda job: _interpret_noting_reads(job, snapshot, settings, context), todo,
                                 min_items=parallel.MIN_JOBS, workers=self.walk.workers)
        for job, (outcome, reads) in zip(todo, done):
            self.ready[job.id] = (job, settings, outcome, reads)


def _interpret_noting_reads(job, snapshot: Snapshot, settings, context: Context) -> tuple[JobOutcome, JobReads]:
    recorder = _ReadsRecorder(snapshot)
    outcome = interpret_job(job, recorder, settings, context=context)
    return outcome, recorder.reads()


class _ReadsRecorder(AskedSnapshot):
    """An `AskedSnapshot` that keeps apart the paths only tested for existence."""

    def __init__(self, inner: Snapshot):
        super().__init__(inner)
        self._tested: set[str] = set()

    def exists(self, path: str) -> bool:
        self._tested.add(normalize(path))
        return self._inner.exists(path)

    def reads(self) -> JobReads:
        paths, dirs, listed = self.questions()
        return JobReads(paths, dirs, listed, frozenset(self._tested - paths))


def _same_job(old, new) -> bool:
    """Whether the two jobs have the same outcome wherever they read the same files (the
    front-ends keep an unchanged file's jobs: mostly the very same objects)."""
    return old is new or (old is not None and old.behaviour == new.behaviour)


class _LazySnapshot(Snapshot):
    """A snapshot whose file list is read from git only when something asks for it."""

    def __init__(self, repo: Path, commit: str, reader, name: str):
        self.repo = repo
        self.name = name
        self.commit = commit
        self._blob_reader = reader
        self._reader = reader.read
        self._files = None

    @property
    def files(self):
        if self._files is None:
            self._files = Snapshot.at(self.repo, self.commit, self._blob_reader).files
        return self._files


@dataclass(frozen=True)
class Changes:
    """Paths changed between two commits; `structural` are the added or deleted ones;
    `entries`, each changed path as it is in the later commit (None: deleted)."""

    paths: frozenset[str]
    structural: frozenset[str]
    entries: tuple[tuple[str, FileEntry | None], ...] = ()


@dataclass(frozen=True)
class JobReads:
    """What interpreting one job looked at: file paths (their entry or contents), directories,
    the whole listing, and the paths it only tested for existence (`[[ -f x ]]`, an argv
    word that may name a file)."""

    paths: frozenset[str]
    dirs: frozenset[str]
    listed: bool
    tested: frozenset[str] = frozenset()

    def touched_by(self, changes: Changes) -> bool:
        """Whether interpreting the job again could give another outcome.  Contents matter
        for the paths it read; whether a path exists, a directory or the file list only
        change when files are added, deleted or change type (a test file edited in place
        does not make the jobs that name it run differently)."""
        if not self.paths.isdisjoint(changes.paths):
            return True
        added_or_deleted = changes.structural
        if not added_or_deleted:
            return False
        if self.listed or not self.tested.isdisjoint(added_or_deleted):
            return True
        return any(p.startswith(d.rstrip("/") + "/") for p in added_or_deleted for d in self.dirs if d)


def files_after(files: dict[str, FileEntry], changes: "Changes") -> dict[str, FileEntry] | None:
    """`files` (a snapshot's) with `changes` applied, in the order `git ls-tree` gives; None
    when the changes do not say what each path is now, or add a path (git then lists the
    tree: the new path's place in its order is git's to say)."""
    now = dict(changes.entries)
    if set(now) != changes.paths or any(entry is not None and path not in files for path, entry in now.items()):
        return None
    files = dict(files)
    for path, entry in now.items():
        if entry is None:
            files.pop(path, None)
        else:
            files[path] = entry
    return files


def touches(inventory: Inventory, changed: tuple[str, ...]) -> bool:
    """Whether a change can alter the inventory: CI files, scripts, settings, files the
    jobs and scripts reach or name.  Unsure means yes."""
    if not changed:
        return False
    globs, ci_dirs = ci_globs(inventory.settings), ci_directories()
    for path in changed:
        if path in inventory.definitions or path in inventory.ci_files or path in SETTINGS_FILES:
            return True
        if path.endswith(SCRIPT_SUFFIXES) or path.startswith(ci_dirs) or any(match_glob(path, g) for g in globs):
            return True
    names = {path for path in changed} | {PurePosixPath(path).name for path in changed}
    return _names_any(inventory, names)


def _names_any(inventory: Inventory, paths: set[str]) -> bool:
    """Whether a job command or run argv names one of `paths` (or a script the jobs call
    or miss does): a file they may read.  Every job's words are kept per command text and
    per outcome object, so a commit that changes one job looks at one job's words."""
    for job in inventory.jobs:
        if any(not paths.isdisjoint(_command_words(command.text)) for command in job.commands):
            return True
    return any(not paths.isdisjoint(_words_of(outcome)) for outcome in inventory.outcomes.values())


def _outcome_words(outcome) -> frozenset[str]:
    """The words an outcome's runs name, the scripts it calls or misses, with the base
    names of paths."""
    words: set[str] = set()
    for run in outcome.runs:
        words.update(run.argv)
        words.update(w.partition("=")[2] for w in run.argv if "=" in w)
    words.update(path for _, path in outcome.missing_scripts)
    words.update(call.path for call in outcome.scripts)
    return _with_names(words)

_words_of = PerObject(_outcome_words)
_grouped = PerObject(lambda outcome: {})  # outcome -> {settings: its test runs by subject}


def subjects_of(outcome, settings) -> dict[str, list]:
    """`group_by_subject` of one outcome's runs, kept per outcome object."""
    kept = _grouped(outcome)
    if settings not in kept:
        kept[settings] = group_by_subject(outcome.runs, settings)
    return kept[settings]


@lru_cache(maxsize=PerObject.KEPT)
def _command_words(text: str) -> frozenset[str]:
    return _with_names({w.strip("\"'") for w in text.split()})


def _with_names(words: set[str]) -> frozenset[str]:
    return frozenset(words | {PurePosixPath(w).name for w in words if "/" in w})


class _Plan(Protocol):
    """What the explainer needs of a commit's loss plan (`history.LossPlan`)."""

    after: Inventory
    open_jobs: list[Job]

    def losses(self) -> list: ...


class Explainer:
    """Finds the losses of a walk's commits while the walk goes on.  Explaining a loss
    costs most in the open worlds of the jobs that could reach it, so a child computes
    those of the waiting commits (a small batch at a time, the next one when it is done)
    while this process walks; a batch's losses are found once its open worlds are in.
    `record(index, pair, losses)` receives each commit's, in any order."""

    MAX_WAITING = 64  # commits kept waiting (each with two inventories) before the walk waits for the child
    BATCH = 8  # open worlds handed to the child at a time (tens of milliseconds each)

    def __init__(self, record):
        self.record = record
        self.waiting: list[tuple[int, tuple, _Plan]] = []  # (commit index, cache key, plan)
        self.batch: list[tuple[int, tuple, _Plan]] = []  # the commits whose open worlds the child computes
        self.open_worlds = None  # the child's handle (`world.compute_later`)

    def add(self, index: int, pair: tuple, plan: _Plan) -> None:
        self.waiting.append((index, pair, plan))

    def step(self) -> None:
        """Between two commits: conclude the child's batch if it is done (or if too many
        commits wait), and hand it the next one."""
        if self.open_worlds is not None and (self.open_worlds.ready() or len(self.waiting) >= self.MAX_WAITING):
            self._conclude()
        if self.waiting and self.open_worlds is None:
            wanted: list[world.Pair] = []
            while self.waiting and (not self.batch or len(wanted) < self.BATCH):
                self.batch.append(self.waiting.pop(0))
                after = self.batch[-1][2].after
                wanted += [(world.world_of(after), job) for job in self.batch[-1][2].open_jobs]
            self.open_worlds = world.compute_later(wanted)

    def finish(self) -> None:
        """After the last commit: the rest on every core, then every loss found."""
        wanted = [(world.world_of(plan.after), job) for _, _, plan in self.waiting for job in plan.open_jobs]
        if self.open_worlds is not None:  # the child is busy with its batch: another takes half the rest, this process the other
            half = len(wanted) // 2
            other = world.compute_later(wanted[half:])
            world.compute_here(wanted[:half])
            self._conclude()
            other()
        else:
            world.prefetch(wanted)
        self.batch, self.waiting = self.waiting, []
        self._conclude()

    def cancel(self) -> None:
        """The walk failed: stop the child rather than wait for it."""
        if self.open_worlds is not None:
            self.open_worlds.cancel()
            self.open_worlds = None

    def _conclude(self) -> None:
        if self.open_worlds is not None:
            self.open_worlds()  # waits for the child if it is not done
            self.open_worlds = None
        for index, pair, plan in self.batch:
            self.record(index, pair, plan.losses())
        self.batch = []


# --------------------------------------------------------------------------- the subject index
def changed_jobs(before: Inventory, after: Inventory) -> list[str]:
    """Ids of the jobs of `before` that are gone from `after` or whose outcome there is
    another object (re-interpreted, or split by a config list)."""
    now = after.outcomes
    return [job_id for job_id, outcome in before.outcomes.items() if now.get(job_id) is not outcome]


def subject_jobs(inventory: Inventory, previous: Inventory | None = None, gone: list[str] | None = None) -> dict:
    """Subject -> the ids of the jobs that run it (a frozenset).  Kept with the inventory;
    derived from `previous`'s when it has one (`gone`: `changed_jobs(previous, inventory)`),
    so a commit costs what its changed jobs run, not all 3006 runs."""
    index = store.get(inventory, _SUBJECT_JOBS)
    if index is not None:
        return index
    earlier = store.get(previous, _SUBJECT_JOBS) if previous is not None else None
    if earlier is None:
        found: dict[str, set] = {}
        for job_id, outcome in inventory.outcomes.items():
            for subject in subjects_of(outcome, inventory.settings):
                found.setdefault(subject, set()).add(job_id)
        index = {subject: frozenset(ids) for subject, ids in found.items()}
    else:  # never changed in place: an index may be the previous commit's very dict
        gone = gone if gone is not None else changed_jobs(previous, inventory)
        new = changed_jobs(inventory, previous)
        index = dict(earlier) if gone or new else earlier
        for job_id in gone:
            for subject in subjects_of(previous.outcomes[job_id], previous.settings):
                left = index[subject] - {job_id}
                if left:
                    index[subject] = left
                else:
                    del index[subject]
        for job_id in new:
            for subject in subjects_of(inventory.outcomes[job_id], inventory.settings):
                index[subject] = index.get(subject, frozenset()) | {job_id}
    return store.put(inventory, _SUBJECT_JOBS, index)


def runs_of(inventory: Inventory, subjects, index: dict | None = None) -> dict[str, list]:
    """`inventory.runs_by_subject` for these subjects only (an empty list when none runs):
    the same runs in the same order (jobs in inventory order, each job's runs in order)."""
    index = index if index is not None else subject_jobs(inventory)
    outcomes = inventory.outcomes
    order = None
    found: dict[str, list] = {}
    for subject in subjects:
        ids = index.get(subject, ())
        if len(ids) > 1:
            order = order or {job.id: position for position, job in enumerate(inventory.jobs)}
            ids = sorted(ids, key=order.__getitem__)
        found[subject] = [run for job_id in ids for run in subjects_of(outcomes[job_id], inventory.settings)[subject]]
    return found


_SUBJECT_JOBS = "subject-jobs"  # subject_jobs() of an inventory, kept by the engine's store (never stored)
