"""A persistent on-disk cache for results that are pure functions of git objects.

Keys are built from blob/tree/commit ids, the tool's fingerprint (its version
and a hash of its own source, so an upgraded or edited analyser never reads
stale results) and a hash of the settings.  Values are pickled.

Where: `$COVERAGE_DIFF_CACHE_DIR`, else `<git common dir>/coverage-diff-cache`
(shared by every worktree of the repository, never committed).  Each entry is
written to a temporary file in its final directory and renamed into place, so
concurrent runs never see half an entry.

Trust (docs/security.md): an entry is a pickle read by an unpickler that builds only
this package's dataclasses and enums (`_DataOnly`: no function is ever called), and
only after its HMAC-SHA256 checks out under a key that belongs to the user running
the tool (`key_file()`: `~/.config/coverage-diff/key`,
mode 0600, made on first use; never inside the cache or a repository).  The HMAC
covers the entry's own key as well, so an entry cannot be moved to answer another
question.  Anything that fails (no key, a bad HMAC, a truncated file) is a miss,
removed and recomputed.  A cache directory that is writable by group or others, or
owned by someone else, is not used at all (one warning).  The cache keeps below
`$COVERAGE_DIFF_CACHE_MAX_MB` (default 512): the entries used least recently go.
"""

from __future__ import annotations

import _thread  # a lock without importing threading: a stored answer imports this module
import gc
import hashlib
import hmac
import io
import os
import pickle
import stat
import sys
import tempfile
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..deadline import Watch

ENV_VAR = "COVERAGE_DIFF_CACHE_DIR"
SIZE_VAR = "COVERAGE_DIFF_CACHE_MAX_MB"
MAGIC = b"coverage-diff-cache\x02"
_DIGEST = 32
KEY_BYTES = 32
DEFAULT_MAX_MB = 512
TRIM_EVERY = 600  # seconds between two size checks of a directory (and whenever a run wrote an eighth of the limit)
STALE_TEMP = 3600  # seconds after which a temporary file is a leftover of a killed run


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """The version plus a hash of the package's source: results depend on both."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parents[1]  # the package
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
    from ..snapshot import git

    return directory_in(repo, git(repo, "rev-parse", "--git-common-dir").decode().strip())


def directory_in(repo: Path, common_dir: str) -> Path:
    """The default directory, from what `git -C repo rev-parse --git-common-dir` printed."""
    common = Path(common_dir)
    if not common.is_absolute():
        common = (repo / common).resolve()
    return common / "coverage-diff-cache"


# --------------------------------------------------------------------------- trust
_warned: set[str] = set()


def warn(message: str) -> None:
    """One line on stderr, once per message and process."""
    if message not in _warned:
        _warned.add(message)
        try:
            sys.stderr.write(f"coverage-diff: warning: {message}\n")
        except (OSError, ValueError):
            pass


def key_file() -> Path:
    """Where this user's cache key lives: `$XDG_CONFIG_HOME/coverage-diff/key`, else
    `~/.config/coverage-diff/key`."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "coverage-diff" / "key"


_keys: dict[str, bytes | str] = {}  # key file -> the key, or why it cannot be used


def user_key() -> bytes | str:
    """This user's cache key (made on first use), or a sentence saying why there is none."""
    path = key_file()
    found = _keys.get(str(path))
    if found is None:
        try:
            found = _load_or_make_key(path)
        except OSError as exc:
            found = f"cannot read or create the cache key {path}: {exc.strerror or exc}"
        _keys[str(path)] = found
    return found


def _load_or_make_key(path: Path) -> bytes | str:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    try:
        os.write(fd, os.urandom(KEY_BYTES))
        os.close(fd)
        try:
            os.link(temp, path)  # atomic and never over another run's key
        except FileExistsError:
            pass
    finally:
        os.unlink(temp)
    return _read_key(path)


def _read_key(path: Path) -> bytes | str:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return f"the cache key {path} is not a file of this user"
        if info.st_mode & 0o077:
            return f"the cache key {path} is readable or writable by others (chmod 600 it)"
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        return f"the cache key {path} is not {KEY_BYTES} bytes long"
    return data


def untrusted_reason(directory: Path) -> str | None:
    """Why `directory` must not hold this user's cache (None: it may)."""
    try:
        info = os.stat(directory)
    except OSError as exc:
        return f"cannot use it: {exc.strerror or exc}"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return f"it belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o022:
        return f"others can write to it (mode {stat.S_IMODE(info.st_mode):o}; chmod go-w it to use it)"
    return None


def _prepare(directory: Path) -> Path | None:
    """`directory`, made (mode 0700) if missing, when it is fit to hold the cache."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        if not directory.exists():
            return None  # a read-only place: nothing is cached, as with --no-cache
    reason = untrusted_reason(directory)
    if reason is None:
        key = user_key()
        if isinstance(key, str):
            reason = key
        elif _inside(key_file(), directory):
            reason = "the cache key must not live inside the cache"
    if reason is not None:
        warn(f"the cache directory {directory} is not used: {reason}")
        return None
    return directory


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- the cache
class Cache:
    """`get`/`put` of picklable values under (namespace, key parts)."""

    def __init__(self, directory: Path | None):
        self.directory = _prepare(Path(directory)) if directory is not None else None  # None: disabled
        self.hits = 0
        self.misses = 0
        self.limit = _size_limit()
        self._written = 0  # bytes this object stored since its last size check
        self._checked = False
        # The deadlines of the builds that store here (`Context.watch`): once one passed,
        # nothing more is stored (what such a run made depends on the machine).
        self.watch = Watch()

    @classmethod
    def disabled(cls) -> "Cache":
        return cls(None)

    @classmethod
    def for_repo(cls, repo: Path, enabled: bool = True) -> "Cache":
        return cls(default_directory(repo) if enabled else None)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _entry(self, namespace: str, parts: tuple[str, ...]) -> tuple[Path, bytes]:
        """(the entry's file, its identity: what its HMAC covers besides the payload)."""
        identity = "\0".join((tool_fingerprint(), namespace, *parts)).encode("utf-8", "surrogateescape")
        key = hashlib.sha256(identity).hexdigest()
        assert self.directory is not None
        return self.directory / namespace / key[:2] / f"{key}.pickle", identity

    def path(self, namespace: str, *parts: str) -> Path:
        return self._entry(namespace, parts)[0]

    def get(self, namespace: str, *parts: str):
        """The stored value, or None when absent, unreadable, corrupt or not made by
        this user."""
        if self.directory is None:
            return None
        target, identity = self._entry(namespace, parts)
        key = user_key()
        try:
            data = target.read_bytes()
        except OSError:
            self.misses += 1
            return None
        value = _decode(data, key, identity) if isinstance(key, bytes) else None
        if value is None:
            _remove(target)
            self.misses += 1
            return None
        _touch(target)
        self.hits += 1
        return value

    def put(self, namespace: str, value, *parts: str) -> bool:
        """Store a value; False (and nothing written) if it cannot be pickled or written.
        The pickle is written as it is made, its HMAC filled in last: an inventory
        pickles to tens of MB, which need not be held in memory as well."""
        if self.directory is None or self.watch.tripped():  # (a result cut by the clock is not stored)
            return False
        key = user_key()
        if isinstance(key, str):
            return False
        target, identity = self._entry(namespace, parts)
        temp = None
        try:
            _make_dirs(self.directory, target.parent)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + bytes(_DIGEST))
                payload = _Signed(out, hmac.new(key, _framed(identity), hashlib.sha256))
                pickle.dump(value, payload, protocol=pickle.HIGHEST_PROTOCOL)
                size = out.tell()
                out.seek(len(MAGIC))
                out.write(payload.mac.digest())
            os.replace(temp, target)
        except Exception:  # noqa: BLE001 - an unpicklable value or a failed write is simply not cached
            if temp is not None:
                _remove(Path(temp))
            return False
        self._written += size
        if not self._checked or self._written > self.limit // 8:
            trim(self.directory, self.limit, force=self._checked)  # a first look at most every TRIM_EVERY s
            self._checked = True
            self._written = 0
        return True


def _size_limit() -> int:
    raw = os.environ.get(SIZE_VAR, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return max(0, int(megabytes * 1024 * 1024))


def trim(directory: Path, limit: int, *, force: bool = False) -> int:
    """Remove the entries used least recently until the directory holds at most 3/4 of
    `limit` bytes (when it holds more than `limit`), and temporary files that killed runs
    left behind.  Done at most every TRIM_EVERY seconds per directory unless `force`.
    Returns the bytes removed."""
    stamp = directory / ".last-trim"
    now = time.time()
    if not force:
        try:
            if now - stamp.stat().st_mtime < TRIM_EVERY:
                return 0
        except OSError:
            pass
    try:
        stamp.touch()
    except OSError:
        pass
    entries: list[tuple[float, int, str]] = []
    removed = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            full = os.path.join(root, name)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            if name.startswith(".tmp-"):
                if now - info.st_mtime > STALE_TEMP:
                    removed += info.st_size
                    _remove(Path(full))
            elif name.endswith(".pickle"):
                entries.append((info.st_mtime, info.st_size, full))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return removed
    entries.sort()
    for _, size, full in entries:
        if total <= limit * 3 // 4:
            break
        _remove(Path(full))
        total -= size
        removed += size
    return removed


def _make_dirs(top: Path, leaf: Path) -> None:
    """`leaf` and the directories between `top` and it, each made with mode 0700."""
    missing = []
    current = leaf
    while current != top and not current.is_dir():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            pass


def _framed(identity: bytes) -> bytes:
    return len(identity).to_bytes(8, "big") + identity


class _Signed:
    """A binary file that also feeds what is written to it to a MAC."""

    def __init__(self, out, mac):
        self.out = out
        self.mac = mac

    def write(self, data) -> int:
        self.mac.update(data)
        return self.out.write(data)


def _decode(data: bytes, key: bytes, identity: bytes):
    if not data.startswith(MAGIC):
        return None
    view = memoryview(data)  # slices without copying: inventories pickle to tens of MB
    digest, payload = view[len(MAGIC) : len(MAGIC) + _DIGEST], view[len(MAGIC) + _DIGEST :]
    mac = hmac.new(key, _framed(identity), hashlib.sha256)
    mac.update(payload)
    if not hmac.compare_digest(mac.digest(), digest):
        return None  # not written by this user for this key: never unpickled
    with _no_collection():
        try:
            return _DataOnly(io.BytesIO(payload)).load()
        except Exception:  # noqa: BLE001 - a corrupt entry, or one that names anything but data, is a miss
            return None


class _DataOnly(pickle.Unpickler):
    """An unpickler that makes data and nothing else: the only names an entry may use are
    this package's dataclasses and enums (and `set`/`frozenset`), which a pickle can only
    construct.  So even an entry whose HMAC checks out (the key leaked, or this user was made
    to write something) cannot call a function: no `os.system`, no import of another module,
    no `__reduce__` of ours.  The pickle machinery itself stays: C speed both ways."""

    def find_class(self, module: str, name: str):
        import dataclasses  # (here: a stored answer, which names no class, never imports them)
        import enum
        import importlib

        if (module, name) in _BUILTINS:
            return _BUILTINS[module, name]
        parts = module.split(".")
        if parts[0] == "coverage_diff" and not any(p.startswith("_") for p in parts) and not name.startswith("_"):
            found = getattr(sys.modules.get(module) or importlib.import_module(module), name, None)
            if (isinstance(found, type) and found.__module__ == module
                    and (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum))):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not data")


_BUILTINS = {("builtins", "set"): set, ("builtins", "frozenset"): frozenset}


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


def _touch(path: Path) -> None:
    """Mark an entry as used (eviction goes by modification time)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
