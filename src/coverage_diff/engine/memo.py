"""Job outcomes reused across revisions.

Interpreting a job is a pure function of the job, the settings and the answers
the snapshot gave while it ran (which files exist, their blobs, which paths are
directories).  So an outcome is kept with those answers, and a job equal to one
seen before reuses the outcome when every question it asked gets the same
answer in the new snapshot.  Base and head of a diff share most jobs; so do
consecutive commits and repeated runs (through the persistent `Cache`).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..context import Context
from ..shell import JobOutcome, interpret_job
from ..snapshot import FileEntry, Snapshot, normalize
from . import parallel, store
from .cache import Cache, key_digest

if TYPE_CHECKING:
    from ..inventory import Inventory
    from ..model import Job

MAX_VARIANTS = 8  # outcomes kept per job (one per distinct set of answers)


@dataclass(frozen=True)
class Answers:
    """What a snapshot told the interpreter: path -> entry (None: absent), dir -> bool,
    and a digest of the whole file list when the interpreter listed files."""

    entries: tuple[tuple[str, FileEntry | None], ...]
    dirs: tuple[tuple[str, bool], ...]
    listing: str = ""

    def hold_in(self, snapshot: Snapshot) -> bool:
        files = snapshot.files
        return (
            all(files.get(path) == entry for path, entry in self.entries)
            and all(snapshot.is_dir(d) == answer for d, answer in self.dirs)
            and (not self.listing or self.listing == _listing(snapshot))
        )


class AnswerMemo:
    """`remember(key, snapshot, compute)`: `compute(snapshot)` once per set of answers,
    in memory and, with a cache directory, on disk.  For the parts of an inventory that
    are pure functions of files: job outcomes, the CI front-ends' output, a script's
    definitions."""

    MAX_KEYS = 1 << 14

    def __init__(self, cache: Cache | None = None, namespace: str = "inventory-parts", workers: int | None = None):
        self.cache = cache or Cache.disabled()
        self.workers = workers  # processes for `remember_many` (`parallel.worker_count`)
        self.namespace = namespace
        self._seen: dict[tuple, list[tuple[Answers, object]]] = {}
        self._used: dict[tuple, tuple[Answers, object]] = {}  # key -> the variant last returned
        self.reused = 0
        self.computed = 0
        self._prefetched: set[tuple] = set()  # computed ahead of the look-up that will ask for them

    def __reduce__(self):
        return (type(self), ())  # an inventory pickled into the cache carries an empty memo

    def remember(self, key: tuple, snapshot: Snapshot, compute):
        found, stored = self._lookup(key, snapshot)
        if found is not None:
            return found
        asked = AskedSnapshot(snapshot)
        value = compute(asked)
        self._store(key, asked.answers(), value, stored)
        return value

    def remember_many(self, keys: list[tuple], snapshot: Snapshot, compute, *, min_batch: int = 2,
                      prefetch: bool = False, cost: Callable[[int], float] | None = None,
                      together: Callable[[int], Hashable] | None = None) -> list:
        """`[remember(key, snapshot, lambda asked: compute(position, asked)) for position, key in enumerate(keys)]`,
        with the keys nothing holds computed on every core (`parallel.fork_map`) when
        there are at least `min_batch` of them.  `prefetch`: the caller asks for each
        key again later, so a key found now is not counted as reused.  `cost`: position ->
        an estimate of what computing it costs; `together`: position -> the key of the
        positions best computed by one process (both: `parallel.fork_map`)."""
        values: dict[int, object] = {}
        missing: list[tuple[int, list]] = []  # (position, variants stored on disk)
        for position, key in enumerate(keys):
            found, stored = self._lookup(key, snapshot, count=not prefetch)
            if found is not None:
                values[position] = found
            else:
                missing.append((position, stored))

        def answered(position: int):
            asked = AskedSnapshot(snapshot)
            value = compute(position, asked)
            return asked.answers(), value

        computed = parallel.fork_map(answered, [position for position, _ in missing], min_items=min_batch,
                                     workers=self.workers, cost=cost, together=together)
        for (position, stored), (answers, value) in zip(missing, computed):
            key = keys[position]
            again, _ = self._lookup(key, snapshot, count=False)  # a key twice in one batch: its first answer
            values[position] = again if again is not None else self._store(key, answers, value, stored)
            if prefetch:
                self._prefetched.add(key)
        return [values[position] for position in range(len(keys))]

    def _lookup(self, key: tuple, snapshot: Snapshot, count: bool = True) -> tuple[object | None, list]:
        """(the value whose answers hold in `snapshot`, or None; the variants stored on disk)."""
        if key not in self._seen and len(self._seen) >= self.MAX_KEYS:  # a long-lived process: start over
            self._seen.clear()
        kept = self._seen.setdefault(key, [])
        found, stored = _matching(kept, snapshot), []
        if found is None and self.cache.enabled:
            stored = self._stored(key)
            found = _matching(stored, snapshot)
            if found is not None:
                kept.insert(0, found)  # only variants this process uses stay in memory
        if found is None:
            return None, stored
        if key in self._prefetched:
            self._prefetched.discard(key)  # computed for this very look-up, not reused
        else:
            self.reused += count
        self._used[key] = found
        return found[1], stored

    def _store(self, key: tuple, answers: Answers, value, stored: list):
        self.computed += 1
        variant = (answers, value)
        kept = self._seen.setdefault(key, [])
        kept.insert(0, variant)
        del kept[MAX_VARIANTS:]
        self._used[key] = variant
        if self.cache.enabled:
            self.cache.put(self.namespace, [variant, *stored][:MAX_VARIANTS], key_digest(key))
        return value

    def _stored(self, key: tuple) -> list:
        stored = self.cache.get(self.namespace, key_digest(key))
        return stored if isinstance(stored, list) else []


class JobMemo(AnswerMemo):
    """`interpret(job, snapshot, settings, open_world)` with outcomes reused; what is
    interpreted shares the caches of `context` (a session's)."""

    def __init__(self, cache: Cache | None = None, workers: int | None = None, context: Context | None = None):
        super().__init__(cache, "job-outcome", workers)
        self.context = context or Context()

    def interpret(self, job, snapshot: Snapshot, settings, open_world: bool = False, context: Context | None = None,
                  call_memo=None) -> JobOutcome:
        """`context`: a build's (its deadline, the same caches), else the memo's own; `call_memo`: script
        calls shared with the other jobs of the world (`shell.CallMemo`)."""
        context = context or self.context
        return self.remember((job.behaviour, settings, open_world), snapshot,
                             lambda asked: interpret_job(job, asked, settings, open_world=open_world, context=context,
                                                         call_memo=call_memo))

    def interpret_many(self, jobs: list, snapshot: Snapshot, settings, open_world: bool = False,
                       prefetch: bool = False, context: Context | None = None, call_memo=None,
                       cost: Callable[[Job], float] | None = None,
                       together: Callable[[Job], Hashable] | None = None) -> list[JobOutcome]:
        """`interpret` for each job, the ones to compute on every core.  An open world
        costs tens of milliseconds (worth a fork for two); a real outcome a few.  `cost`:
        an estimate of each job's, `together`: the key of the jobs best interpreted by one
        process (`parallel.fork_map`)."""
        context = context or self.context
        return self.remember_many([(job.behaviour, settings, open_world) for job in jobs], snapshot,
                                  lambda position, asked: interpret_job(jobs[position], asked, settings, open_world=open_world,
                                                                        context=context, call_memo=call_memo),
                                  min_batch=2 if open_world else parallel.MIN_JOBS, prefetch=prefetch,
                                  cost=(lambda position: cost(jobs[position])) if cost is not None else None,
                                  together=(lambda position: together(jobs[position])) if together is not None else None)

    @property
    def closed(self) -> "ClosedHook":
        """The `build_inventory(interpret=...)` hook."""
        return ClosedHook(self)

    def answers_of(self, inventory: Inventory) -> dict[str, Answers]:
        """Job id -> the answers its outcome in `inventory` rests on (kept with a stored
        inventory, so loading it can `seed` the memo)."""
        used = ((job.id, self._used.get((job.behaviour, inventory.settings, False))) for job in inventory.jobs)
        return {job_id: variant[0] for job_id, variant in used if variant is not None}

    def seed(self, inventory: Inventory) -> None:
        """Offer a stored inventory's outcomes: the other side of a diff shares most jobs."""
        answers = store.get(inventory, JOB_ANSWERS, {})
        for job in inventory.jobs:
            if job.id in answers:
                self._seen.setdefault((job.behaviour, inventory.settings, False), []).append(
                    (answers[job.id], interpreted_outcome(inventory, job.id)))


INTERPRETED = "interpreted"  # job id -> the interpreter's outcome, for the jobs whose runs a config list split


def interpreted_outcome(inventory: Inventory, job_id: str) -> JobOutcome:
    """A job's outcome as the interpreter gave it, before a config list split its runs:
    what another revision reusing the outcome must start from (splitting a split outcome
    again multiplies its runs by the list's length at every revision)."""
    return store.get(inventory, INTERPRETED, {}).get(job_id) or inventory.outcomes[job_id]


JOB_ANSWERS = "job-answers"  # job id -> Answers, of a stored inventory (`persist.thaw` keeps them)


class ClosedHook:
    """`hook(job, snapshot, settings, context=)`: a job's real outcome through a `JobMemo`;
    `hook.prefetch(jobs, ...)` computes the ones it lacks on every core first."""

    def __init__(self, memo: JobMemo):
        self.memo = memo

    def __call__(self, job, snapshot: Snapshot, settings, *, context: Context | None = None) -> JobOutcome:
        return self.memo.interpret(job, snapshot, settings, context=context)

    def prefetch(self, jobs: list, snapshot: Snapshot, settings, *, context: Context | None = None) -> None:
        self.memo.interpret_many(jobs, snapshot, settings, prefetch=True, context=context)


class AskedSnapshot(Snapshot):
    """A snapshot that notes every question asked of it, to replay them elsewhere."""

    def __init__(self, inner: Snapshot):
        self._inner = inner
        self.name = inner.name
        self.commit = inner.commit
        self._reader = inner._reader
        self.undecodable = inner.undecodable
        self._paths: set[str] = set()  # as asked (folded when the questions are read: most repeat)
        self._dirs: set[str] = set()
        self._listed = False

    @property
    def files(self):
        self._listed = True
        return self._inner.files

    def exists(self, path: str) -> bool:
        self._paths.add(path)
        return self._inner.exists(path)

    def entry(self, path: str):
        self._paths.add(path)
        return self._inner.entry(path)

    def read(self, path: str) -> bytes:
        self._paths.add(path)
        return self._inner.read(path)

    def is_dir(self, path: str) -> bool:
        self._dirs.add(path)
        return self._inner.is_dir(path)

    def glob(self, *patterns: str) -> list[str]:
        self._listed = True
        return self._inner.glob(*patterns)

    def lister(self) -> Snapshot:
        self._listed = True
        return self._inner.lister()

    def questions(self) -> tuple[frozenset[str], frozenset[str], bool]:
        """(paths asked about, directories tested, whether the file list was read), folded."""
        return (frozenset(normalize(p) for p in self._paths), frozenset(normalize(d).rstrip("/") for d in self._dirs),
                self._listed)

    def answers(self) -> Answers:
        files = self._inner.files
        paths, dirs, _ = self.questions()
        return Answers(
            entries=tuple(sorted((p, files.get(p)) for p in paths)),
            dirs=tuple(sorted((d, self._inner.is_dir(d)) for d in dirs)),
            listing=_listing(self._inner) if self._listed else "",
        )


def _matching(variants: list, snapshot: Snapshot):
    return next((variant for variant in variants if variant[0].hold_in(snapshot)), None)


def _listing(snapshot: Snapshot) -> str:
    """The file list (paths and modes): what a glob can see.  Contents are answers
    of their own, recorded when a file is read.  Worked out once per snapshot (every job
    that globs asks)."""
    found = _LISTINGS.get(snapshot)
    if found is None:
        digest = hashlib.sha256()
        for path, entry in sorted(snapshot.files.items()):
            digest.update(f"{path}\0{entry.mode}\n".encode())
        found = _LISTINGS[snapshot] = digest.hexdigest()
    return found


_LISTINGS: "weakref.WeakKeyDictionary[Snapshot, str]" = weakref.WeakKeyDictionary()
