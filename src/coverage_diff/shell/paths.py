"""Repository paths as a script names them: relative to the working directory or under a
workspace root, made root-relative; a run's argument that names a repository file."""

from __future__ import annotations

import posixpath

from ..config import Settings
from ..snapshot import Snapshot, normalize


def repo_path(text: str | None, cwd: str, settings: Settings) -> str | None:
    """The repository path a shell path names, or None (outside, or not known)."""
    if text is None or text == "":
        return None
    return _repo_path(text, cwd, settings.roots)


def _repo_path(text: str, cwd: str, workspace_prefixes: tuple[str, ...]) -> str | None:
    for prefix in workspace_prefixes:
        prefix = prefix.rstrip("/")
        if text == prefix or text.startswith(prefix + "/"):
            path = normalize(text[len(prefix) :])
            return None if path.startswith("..") else path
    if text.startswith("/") or text.startswith("~") or cwd == "?" or cwd.startswith("/"):
        return None
    path = normalize(posixpath.join(cwd, text))
    return None if path == ".." or path.startswith("../") else path


def canonical_word(word: str, cwd: str, snapshot: Snapshot, settings: Settings) -> str:
    """A run argument as a repository-root path when it names a repository file or dir."""
    if not word or word.startswith("-") or "=" in word.split("/")[0]:
        return word
    head, sep, tail = word.partition("::")
    path = repo_path(head, cwd, settings)
    if path is None:
        return word
    if path == "":
        return "." + sep + tail
    if snapshot.exists(path) or snapshot.is_dir(path):
        return path + sep + tail
    return word
