"""The first-parent commits of a range, read from one `git log`: what `audit --since` walks
(`history.audit_history`), each with the paths it changed and their entries as they are now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..snapshot import FileEntry, GitError, decode_path, git, resolve

_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d+\s+(second|minute|hour|day|week|month|year)s?\s+ago|yesterday|today|midnight|noon)$",
    re.I,
)


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parent: str  # first parent ("" for a root commit)
    author: str
    email: str
    date: str  # ISO 8601, author date
    subject: str
    changed: tuple[str, ...]  # paths changed against the first parent
    structural: tuple[str, ...] = ()  # of those, the ones added or deleted (or whose type changed)
    entries: tuple[tuple[str, FileEntry | None], ...] = ()  # each changed path as it is now (None: deleted)


def is_date(text: str) -> bool:
    return bool(_DATE.match(text.strip()))


def commits_in_range(repo: Path, since: str, until: str = "HEAD") -> tuple[str, list[Commit]]:
    """(base commit, first-parent commits after it up to `until`, oldest first).
    `since` is a revision (excluded, it is the base) or a date (commits after it)."""
    until_sha = resolve(repo, until)
    try:
        since_sha = resolve(repo, since)
        selector = [f"{since_sha}..{until_sha}"]
    except GitError:
        if not is_date(since):
            raise GitError(f"--since {since!r} is neither a revision nor a date (YYYY-MM-DD, '2 days ago', 'yesterday')") from None
        since_sha, selector = "", [f"--since={since}", until_sha]
    commits = _log(repo, selector)
    base = since_sha or (commits[0].parent if commits else until_sha)
    return base, commits


def _log(repo: Path, selector: list[str]) -> list[Commit]:
    fmt = "%x1e%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s"
    out = git(repo, "log", "--first-parent", "--reverse", "--diff-merges=first-parent", "--no-renames", "-z",
              "--raw", "--no-abbrev", f"--format={fmt}", *selector, "--")
    commits = []
    for record in out.split(b"\x1e"):
        if not record.strip():
            continue
        header, *fields = record.split(b"\0")
        sha, tree, parents, author, email, date, subject = header.decode("utf-8", "replace").split("\x1f", 6)
        changes = []  # (status, path, entry now); `:old-mode new-mode old-blob new-blob status`, then the path
        for meta, path in zip(fields[0::2], fields[1::2]):
            _, mode, _, blob, status = meta.strip().decode().split()
            name = decode_path(path)  # as `Snapshot.at` decodes paths
            changes.append((status, name, FileEntry(name, mode, blob) if status[:1] != "D" else None))
        commits.append(Commit(sha, tree, parents.split()[0] if parents.split() else "", author, email, date, subject,
                              changed=tuple(path for _, path, _ in changes),
                              structural=tuple(path for status, path, _ in changes if status[:1] in ("A", "D", "T")),
                              entries=tuple((path, entry) for _, path, entry in changes)))
    return commits


def tree_of(repo: Path, commit: str) -> str:
    """The tree id of a commit."""
    return git(repo, "rev-parse", f"{commit}^{{tree}}").decode().strip()
