"""A persistent on-disk cache for results that are pure functions of git objects.

Keys are built from blob/tree/commit ids, the tool's fingerprint (its version
and a hash of its own source, so an upgraded or edited analyser never reads
stale results) and a hash of the settings.  Values are pickled.

Where: `$COVERAGE_DIFF_CACHE_DIR`, else `<git common dir>/coverage-diff-cache`
(shared by every worktree of the repository, never committed).  Each entry is
written to a temporary file in its final directory and renamed into place, so
concurrent runs never see half an entry; an entry that fails its checksum or
does not unpickle is ignored and removed.  The cache holds pickles: like the
git directory it lives in, it must only be writable by people you trust.
"""

from __future__ import annotations

import _thread  # a lock without importing threading: a stored answer imports this module
import gc
import hashlib
import os
import pickle
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import __version__

ENV_VAR = "COVERAGE_DIFF_CACHE_DIR"
MAGIC = b"coverage-diff-cache\x01"
_DIGEST = 32


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """The version plus a hash of the package's source: results depend on both."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def settings_hash(settings) -> str:
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:20]


def key_digest(key: tuple) -> str:
    """A cache key part for a tuple of frozen dataclasses, strings and flags: their repr
    is their content."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


def default_directory(repo: Path) -> Path:
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    from .snapshot import git

    return directory_in(repo, git(repo, "rev-parse", "--git-common-dir").decode().strip())


def directory_in(repo: Path, common_dir: str) -> Path:
    """The default directory, from what `git -C repo rev-parse --git-common-dir` printed."""
    common = Path(common_dir)
    if not common.is_absolute():
        common = (repo / common).resolve()
    return common / "coverage-diff-cache"


class Cache:
    """`get`/`put` of picklable values under (namespace, key parts)."""

    def __init__(self, directory: Path | None):
        self.directory = directory  # None: disabled
        self.hits = 0
        self.misses = 0

    @classmethod
    def disabled(cls) -> "Cache":
        return cls(None)

    @classmethod
    def for_repo(cls, repo: Path, enabled: bool = True) -> "Cache":
        return cls(default_directory(repo) if enabled else None)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def path(self, namespace: str, *parts: str) -> Path:
        key = hashlib.sha256("\0".join((tool_fingerprint(), namespace, *parts)).encode()).hexdigest()
        assert self.directory is not None
        return self.directory / namespace / key[:2] / f"{key}.pickle"

    def get(self, namespace: str, *parts: str):
        """The stored value, or None when absent, unreadable or corrupt."""
        if self.directory is None:
            return None
        target = self.path(namespace, *parts)
        try:
            data = target.read_bytes()
        except OSError:
            self.misses += 1
            return None
        value = _decode(data)
        if value is None:
            _remove(target)
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, namespace: str, value, *parts: str) -> bool:
        """Store a value; False (and nothing written) if it cannot be pickled or written.
        The pickle is written as it is made, its checksum filled in last: an inventory
        pickles to tens of MB, which need not be held in memory as well."""
        if self.directory is None:
            return False
        target = self.path(namespace, *parts)
        temp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + bytes(_DIGEST))
                payload = _Hashed(out)
                pickle.dump(value, payload, protocol=pickle.HIGHEST_PROTOCOL)
                out.seek(len(MAGIC))
                out.write(payload.sha256.digest())
            os.replace(temp, target)
        except Exception:  # noqa: BLE001 - an unpicklable value or a failed write is simply not cached
            if temp is not None:
                _remove(Path(temp))
            return False
        return True


class _Hashed:
    """A binary file that also hashes what is written to it."""

    def __init__(self, out):
        self.out = out
        self.sha256 = hashlib.sha256()

    def write(self, data) -> int:
        self.sha256.update(data)
        return self.out.write(data)


def _decode(data: bytes):
    if not data.startswith(MAGIC):
        return None
    view = memoryview(data)  # slices without copying: inventories pickle to tens of MB
    digest, payload = view[len(MAGIC) : len(MAGIC) + _DIGEST], view[len(MAGIC) + _DIGEST :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    with _no_collection():
        try:
            return pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a corrupt entry is a miss
            return None


_loading = [0, False]  # unpickling threads, whether the cyclic collector was on before the first
_loading_lock = _thread.allocate_lock()


@contextmanager
def _no_collection():
    """The cyclic collector off while unpickling: every object made stays alive, and
    an inventory is hundreds of thousands of them, which the collector would otherwise
    scan again and again (half the time of loading one).  Counted, so that concurrent
    loads turn it back on exactly when the last one ends."""
    with _loading_lock:
        if _loading[0] == 0:
            _loading[1] = gc.isenabled()
            gc.disable()
        _loading[0] += 1
    try:
        yield
    finally:
        with _loading_lock:
            _loading[0] -= 1
            if _loading[0] == 0 and _loading[1]:
                gc.enable()


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
