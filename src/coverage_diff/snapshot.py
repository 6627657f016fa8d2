"""A revision as files, read through git without checking anything out.

One `git ls-tree -r` lists the tree; blobs are read lazily through a single
long-lived `git cat-file --batch` process.  The working tree is a revision too
(`Snapshot.worktree`).  Every file carries its blob id, which keys every cache.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import gitcmd

SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"
WORKTREE = ""  # the revision name that means "the working tree"


class GitError(Exception):
    """A problem with the repository or a revision, phrased for the user."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    mode: str
    blob: str

    @property
    def is_regular(self) -> bool:
        return self.mode in ("100644", "100755")


def git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    """The output of `git ARGS` run in `repo`, with nothing the repository configures
    executed (`gitcmd`)."""
    try:
        proc = subprocess.run(gitcmd.command(repo, *args), input=input, capture_output=True, check=False,
                              env=gitcmd.environment())
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH: coverage-diff reads repositories through it") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(gitcmd.refusal(message, repo) or message or f"git {' '.join(args)} failed")
    return proc.stdout


def repo_root(path: Path) -> Path:
    if not Path(path).is_dir():
        raise GitError(f"{path} is not a directory")
    try:
        out = git(path, "rev-parse", "--show-toplevel")
    except GitError as exc:
        if str(exc).startswith(("git is not installed", "cannot run git", "git refuses")):
            raise
        raise GitError(f"{path} is not inside a git repository") from None
    return Path(out.decode("utf-8", "surrogateescape").strip())


def is_shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").decode().strip() == "true"


def resolve(repo: Path, rev: str) -> str:
    """The commit id of `rev`, with a clear error (and a hint in shallow clones)."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
    except GitError:
        hint = ""
        if is_shallow(repo):
            hint = (
                " This is a shallow clone: the revision may lie beyond its depth; "
                "fetch more history with `git fetch --deepen=200` or `git fetch --unshallow`."
            )
        raise GitError(f"unknown revision {rev!r} in {repo}.{hint}") from None


def merge_base(repo: Path, a: str, b: str) -> str:
    try:
        return git(repo, "merge-base", a, b).decode().strip()
    except GitError:
        hint = ""
        if is_shallow(repo):
            hint = (
                " This is a shallow clone, so the merge base is probably missing: "
                "run `git fetch --deepen=200` (or `git fetch --unshallow`) and try again."
            )
        raise GitError(f"no merge base between {a} and {b}.{hint}") from None


MAX_BLOB = 32 * 1024 * 1024  # bytes of one object ever held: above every max-file-bytes allowed (config.CEILINGS)


class BlobReader:
    """One `git cat-file --batch` process shared by every snapshot of a repository.
    A forked worker (`engine/parallel.py`) starts its own: a pipe has one reader, so a
    reader used in another process than the one that started its git leaves that git
    to its parent (blobs read so far stay cached).

    An object is never read whole when it is larger than MAX_BLOB: its first
    MAX_BLOB + 1 bytes are kept (so every size check still sees it as too large)
    and the rest is skipped in chunks; a 1 GB workflow compressed into a small git
    object costs one chunk of memory, not a gigabyte."""

    CHUNK = 1 << 20

    def __init__(self, repo: Path):
        self.repo = repo
        self._proc: subprocess.Popen | None = None
        self._pid = os.getpid()  # the process that started `_proc`
        self._cache: dict[str, bytes] = {}

    def read(self, blob: str) -> bytes:
        if blob in self._cache:
            return self._cache[blob]
        if self._pid != os.getpid():  # a forked child: the parent's git is the parent's
            self._proc, self._pid = None, os.getpid()
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(gitcmd.command(self.repo, "cat-file", "--batch"), stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, env=gitcmd.environment())
            except OSError as exc:
                raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        try:
            data = self._read(blob)
        except GitError:
            raise
        except BaseException:  # the pipe is out of step now (MemoryError, an interrupt): start afresh next time
            self.close()
            raise
        self._cache[blob] = data
        return data

    def _read(self, blob: str) -> bytes:
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(blob.encode() + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            raise GitError(f"blob {blob} is missing from {self.repo}")
        size = int(header[2])
        data = self._proc.stdout.read(min(size, MAX_BLOB + 1))
        left = size - len(data)
        while left > 0:  # too large to keep: skipped, never held
            left -= len(self._proc.stdout.read(min(left, self.CHUNK)) or b"x" * left)
        self._proc.stdout.read(1)  # trailing newline
        return data

    def close(self) -> None:
        """Stop the git process.  Its pipes are closed first, so a process still writing
        an object nobody reads gets EPIPE instead of blocking the wait."""
        proc, self._proc = self._proc, None
        if proc is None or self._pid != os.getpid():  # none, or the parent's (this is a forked child)
            return
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Snapshot:
    """The files of one revision.  Paths are POSIX, relative to the repository root."""

    undecodable: tuple[str, ...] = ()  # paths whose stored name is not UTF-8 (shown with \\xNN escapes)
    repo: Path | None = None  # the repository it was read from (None: files in memory)

    def __init__(self, name: str, files: dict[str, FileEntry], reader, commit: str = ""):
        self.name = name  # what the user typed, or "working tree"
        self.commit = commit  # "" for the working tree
        self.files = files
        self._reader = reader

    # -- construction ---------------------------------------------------------
    @classmethod
    def at(cls, repo: Path, rev: str, reader: BlobReader | None = None) -> "Snapshot":
        commit = resolve(repo, rev)
        out = git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
        files: dict[str, FileEntry] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            mode, _kind, blob = meta.decode().split()
            p = decode_path(path)
            files[p] = FileEntry(p, mode, blob)
        snapshot = cls(rev, files, (reader or BlobReader(repo)).read, commit)
        snapshot.repo = repo
        snapshot.undecodable = _undecodable(out.split(b"\0"), lambda record: record.partition(b"\t")[2])
        return snapshot

    @classmethod
    def worktree(cls, repo: Path) -> "Snapshot":
        """Tracked and untracked (not ignored) files as they are on disk.  Files are
        hashed as a stream and read again when asked for: the snapshot holds paths and
        blob ids, never the whole tree's contents."""
        out = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        files: dict[str, FileEntry] = {}
        where: dict[str, Path | bytes] = {}  # blob -> the file to read, or a symlink's target
        for raw in out.split(b"\0"):
            if not raw:
                continue
            p = decode_path(raw)
            full = repo / os.fsdecode(raw)
            try:
                if full.is_symlink():
                    target = os.fsencode(os.readlink(full))
                    mode, blob = SYMLINK_MODE, _blob_id(target)
                    where[blob] = target
                elif full.is_dir():  # a submodule checkout
                    files[p] = FileEntry(p, SUBMODULE_MODE, "")
                    continue
                elif full.is_file():
                    blob = _file_blob_id(full)
                    mode = "100755" if os.access(full, os.X_OK) else "100644"
                    where.setdefault(blob, full)
                else:
                    continue  # deleted but still in the index
            except OSError:
                continue  # gone or unreadable since git listed it
            files[p] = FileEntry(p, mode, blob)
        snapshot = cls("working tree", files, _DiskReader(where).read)
        snapshot.repo = repo
        snapshot.undecodable = _undecodable(out.split(b"\0"), lambda raw: raw)
        return snapshot

    @classmethod
    def from_files(cls, name: str, files: dict[str, str | bytes]) -> "Snapshot":
        """An in-memory snapshot (tests, fuzzing)."""
        entries: dict[str, FileEntry] = {}
        contents: dict[str, bytes] = {}
        for path, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            blob = _blob_id(data)
            contents[blob] = data
            entries[path] = FileEntry(path, "100644", blob)
        return cls(name, entries, contents.__getitem__)

    # -- queries --------------------------------------------------------------
    def exists(self, path: str) -> bool:
        entry = self.entry(path)
        return entry is not None and entry.is_regular

    def is_dir(self, path: str) -> bool:
        directories = self._directories()
        if path in directories:  # (a directory's path as listed: folded already)
            return True
        folded = normalize(path).rstrip("/")
        return folded == "" or folded in directories

    def _directories(self) -> frozenset[str]:
        """Every directory that holds a file, built once: the interpreter asks for
        each word that might be a path, so a scan of all files per call is quadratic."""
        if getattr(self, "_dirs", None) is None:
            dirs = set()
            for p in self.files:
                cut = p.rfind("/")
                while cut > 0 and p[:cut] not in dirs:
                    dirs.add(p[:cut])
                    cut = p.rfind("/", 0, cut)
            self._dirs = frozenset(dirs)
        return self._dirs

    def entry(self, path: str) -> FileEntry | None:
        found = self.files.get(path)  # (a file's path as listed: folded already)
        return found if found is not None else self.files.get(normalize(path))

    def lister(self) -> "Snapshot":
        """The snapshot whose file list this one shows: what an index built from the whole
        list (globbing's) is kept on, so that views of one snapshot share it."""
        return self

    def read(self, path: str) -> bytes:
        entry = self.entry(path)
        if entry is None:
            raise KeyError(normalize(path))
        if not entry.is_regular:
            raise KeyError(path)
        return self._reader(entry.blob)

    def text(self, path: str) -> str:
        """Decoded text: a BOM is dropped, CRLF becomes LF, bad bytes become U+FFFD."""
        data = self.read(path)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    def glob(self, *patterns: str) -> list[str]:
        """Regular files matching any of the glob patterns (`**` crosses directories).  (The
        front-ends glob every file of a tree, again at each commit of a walk: a file that
        does not start with what a pattern starts with is not matched against it.)"""
        heads = [(pattern[:_MAGIC.search(pattern + "*").start()], pattern) for pattern in patterns]
        return sorted(p for p, e in self.files.items()
                      if e.is_regular and any(p.startswith(head) and match_glob(p, pat) for head, pat in heads))


def renames(base: Snapshot, head: Snapshot) -> dict[str, str]:
    """Files moved from `base` to `head`, old path -> new path.  Between two commits of one
    repository git's rename detection says (`diff-tree -M`: a file deleted and one added
    with most of its content); otherwise (the working tree, files in memory) a file is
    moved when its content is unchanged at its new path."""
    if base.commit and head.commit and base.repo is not None and base.repo == head.repo:
        try:
            out = git(base.repo, "diff-tree", "-r", "-z", "-M", "--no-ext-diff", "--no-textconv", "--diff-filter=R",
                      "--name-status", base.commit, head.commit)
        except GitError:
            out = None
        if out is not None:
            fields = out.split(b"\0")
            return {decode_path(old): decode_path(new)
                    for status, old, new in zip(fields[0::3], fields[1::3], fields[2::3]) if status.startswith(b"R")}
    gone = {e.blob: p for p, e in base.files.items() if p not in head.files and e.is_regular}
    return {gone[e.blob]: p for p, e in head.files.items() if p not in base.files and e.blob in gone}


def decode_path(raw: bytes) -> str:
    """A file name as git stores it (bytes) as text.  A name that is not UTF-8 keeps its
    bad bytes as `\\xNN`: printable, encodable everywhere the name is shown or hashed,
    and distinct from every UTF-8 name a CI file could spell."""
    return raw.decode("utf-8", "backslashreplace")


def _undecodable(records: list[bytes], name_of) -> tuple[str, ...]:
    """The names among `records` that are not UTF-8, as `decode_path` shows them."""
    bad = []
    for record in records:
        name = name_of(record)
        if name and not name.isascii():
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(decode_path(name))
    return tuple(sorted(bad))


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _file_blob_id(path: Path) -> str:
    """git's blob id of a file, read in chunks."""
    with open(path, "rb") as f:
        digest = hashlib.sha1(b"blob %d\0" % os.fstat(f.fileno()).st_size)
        for chunk in iter(lambda: f.read(BlobReader.CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _DiskReader:
    """Blob -> bytes for the working tree, read from disk when asked (at most
    MAX_BLOB + 1 bytes, as from git)."""

    def __init__(self, where: dict[str, "Path | bytes"]):
        self.where = where

    def read(self, blob: str) -> bytes:
        source = self.where[blob]
        if isinstance(source, bytes):
            return source
        try:
            with open(source, "rb") as f:
                return f.read(MAX_BLOB + 1)
        except OSError as exc:
            raise GitError(f"cannot read {source}: {exc.strerror or exc}") from None


_MAGIC = re.compile(r"[*?[]")  # where a glob stops being literal text


def normalize(path: str) -> str:
    """A repository path with `.`/`..` folded; paths escaping the root come back
    starting with `../` so they never match a file.  (The interpreter asks for every
    word that might be a path: most are folded already, and come back at once.)  Equal
    paths come back as one string (`sys.intern`): runs, reads and answers keep many."""
    if not ("/." in path or "//" in path or path.endswith("/") or path.startswith((".", "/")) or not path):
        return sys.intern(path)  # no part is empty, `.` or `..` (none even starts with a dot)
    split = path.split("/")
    if "" not in split and "." not in split and ".." not in split:
        return sys.intern(path)
    parts: list[str] = []
    for part in split:
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append("..")
            continue
        parts.append(part)
    return sys.intern("/".join(parts))


def match_glob(path: str, pattern: str) -> bool:
    """Glob match where `*` stays inside one directory and `**/` spans any number."""
    if "**" not in pattern:
        return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")
    head, _, tail = pattern.partition("**/")
    if not path.startswith(head) and not fnmatch.fnmatchcase(path[: len(head)], head):
        return False
    rest = path[len(head) :]
    parts = rest.split("/")
    return any(match_glob("/".join(parts[i:]), tail) for i in range(len(parts)))
