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
from dataclasses import dataclass

from .cache import Cache, settings_hash
from .shell import JobOutcome, interpret_job
from .snapshot import FileEntry, Snapshot, normalize

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
    """`remember(key, snapshot, compute)`: `compute(snapshot)` once per set of answers.
    For the parts of an inventory that are pure functions of files (the CI front-ends,
    a script's definitions), shared by every inventory a process builds."""

    MAX_KEYS = 1 << 14

    def __init__(self):
        self._seen: dict[tuple, list[tuple[Answers, object]]] = {}

    def remember(self, key: tuple, snapshot: Snapshot, compute):
        variants = self._seen.get(key)
        if variants is None:
            if len(self._seen) >= self.MAX_KEYS:  # a long-lived process: start over
                self._seen.clear()
            variants = self._seen[key] = []
        found = _matching(variants, snapshot)
        if found is not None:
            return found[1]
        asked = AskedSnapshot(snapshot)
        value = compute(asked)
        variants.insert(0, (asked.answers(), value))
        del variants[MAX_VARIANTS:]
        return value


SHARED = AnswerMemo()


class JobMemo:
    """`interpret(job, snapshot, settings, open_world)` with outcomes reused in memory
    and, when a cache directory is given, on disk."""

    def __init__(self, cache: Cache | None = None):
        self.cache = cache or Cache.disabled()
        self._seen: dict[tuple, list[tuple[Answers, JobOutcome]]] = {}
        self.reused = 0
        self.computed = 0

    def interpret(self, job, snapshot: Snapshot, settings, open_world: bool = False) -> JobOutcome:
        kept = self._seen.setdefault((job, settings, open_world), [])
        found = _matching(kept, snapshot)
        if found is None:
            stored = self._stored(job, settings, open_world)
            found = _matching(stored, snapshot)
            if found is not None:
                kept.insert(0, found)  # only variants this process uses stay in memory
        if found is not None:
            self.reused += 1
            return found[1]
        recorder = AskedSnapshot(snapshot)
        outcome = interpret_job(job, recorder, settings, open_world=open_world)
        self.computed += 1
        variant = (recorder.answers(), outcome)
        kept.insert(0, variant)
        del kept[MAX_VARIANTS:]
        if self.cache.enabled:
            self.cache.put("job-outcome", [variant, *stored][:MAX_VARIANTS], *self._disk_key(job, settings, open_world))
        return outcome

    def _stored(self, job, settings, open_world: bool) -> list:
        stored = self.cache.get("job-outcome", *self._disk_key(job, settings, open_world)) if self.cache.enabled else None
        return stored if isinstance(stored, list) else []

    def __reduce__(self):
        return (JobMemo, ())  # an inventory pickled into the cache carries an empty memo

    def closed(self, job, snapshot, settings) -> JobOutcome:
        """The `build_inventory(interpret=...)` hook."""
        return self.interpret(job, snapshot, settings)

    @staticmethod
    def _disk_key(job, settings, open_world: bool) -> tuple[str, ...]:
        return (hashlib.sha256(repr(job).encode()).hexdigest(), settings_hash(settings), "open" if open_world else "closed")


class AskedSnapshot(Snapshot):
    """A snapshot that notes every question asked of it, to replay them elsewhere."""

    def __init__(self, inner: Snapshot):
        self._inner = inner
        self.name = inner.name
        self.commit = inner.commit
        self._reader = inner._reader
        self._paths: set[str] = set()
        self._dirs: set[str] = set()
        self._listed = False

    @property
    def files(self):
        self._listed = True
        return self._inner.files

    def exists(self, path: str) -> bool:
        self._paths.add(normalize(path))
        return self._inner.exists(path)

    def entry(self, path: str):
        self._paths.add(normalize(path))
        return self._inner.entry(path)

    def read(self, path: str) -> bytes:
        self._paths.add(normalize(path))
        return self._inner.read(path)

    def is_dir(self, path: str) -> bool:
        self._dirs.add(normalize(path).rstrip("/"))
        return self._inner.is_dir(path)

    def glob(self, *patterns: str) -> list[str]:
        self._listed = True
        return self._inner.glob(*patterns)

    def answers(self) -> Answers:
        files = self._inner.files
        return Answers(
            entries=tuple(sorted((p, files.get(p)) for p in self._paths)),
            dirs=tuple(sorted((d, self._inner.is_dir(d)) for d in self._dirs)),
            listing=_listing(self._inner) if self._listed else "",
        )


def _matching(variants: list, snapshot: Snapshot):
    return next((variant for variant in variants if variant[0].hold_in(snapshot)), None)


def _listing(snapshot: Snapshot) -> str:
    """The file list (paths and modes): what a glob can see.  Contents are answers
    of their own, recorded when a file is read."""
    digest = hashlib.sha256()
    for path, entry in sorted(snapshot.files.items()):
        digest.update(f"{path}\0{entry.mode}\n".encode())
    return digest.hexdigest()
