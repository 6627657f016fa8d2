"""What a revision stores that cannot be analysed as written: CI files or called
scripts that are symlinks or submodules, text and file names that are not UTF-8.

The analysis reads only blobs stored in git, so a symlink is never followed (it
could point anywhere, `/etc/passwd` included) and a submodule's files are not
there at all.  CI would see something at those paths, so each is reported with
its file:line instead of being skipped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable

from .ci import ci_globs
from .config import Settings
from .model import Diagnostic, Incomplete, Location
from .snapshot import SUBMODULE_MODE, SYMLINK_MODE, Snapshot, match_glob

BINARY_PROBE = 8192  # bytes looked at for a NUL, as git does
MAX_NAMES = 20  # file names that are not UTF-8 reported one by one


def check_tree(
    snapshot: Snapshot,
    settings: Settings,
    texts: Iterable[str],
    missing: Iterable[tuple[Location, str]],
) -> tuple[list[Diagnostic], list[Incomplete]]:
    """Diagnostics for CI-file globs matching non-files, for `texts` that are not
    UTF-8 (binary ones are the shell's to report), and for `missing` script calls
    (call site, repository path) that end in a symlink or a submodule."""
    diagnostics: list[Diagnostic] = []
    incomplete: list[Incomplete] = []
    for path in _ci_entries_not_files(snapshot, settings):
        diagnostics.append(Diagnostic(Location(path, 1), f"CI file is {_describe(snapshot, path)}: not analysed", "warning"))
        incomplete.append(Incomplete(Location(path, 1), f"{_kind(snapshot, path)} not followed"))
    for path in sorted(set(texts)):
        data = snapshot.read(path)
        problem = None if b"\0" in data[:BINARY_PROBE] else _encoding_problem(data)
        if problem:
            diagnostics.append(Diagnostic(Location(path, problem[0]), problem[1], "warning"))
    for path in snapshot.undecodable[:MAX_NAMES]:
        diagnostics.append(Diagnostic(Location(path, 1), "file name is not valid UTF-8 (shown with \\xNN escapes): "
                                      "no CI file or script written as text can name it", "warning"))
    if len(snapshot.undecodable) > MAX_NAMES:
        first = snapshot.undecodable[MAX_NAMES]
        diagnostics.append(Diagnostic(Location(first, 1), f"{len(snapshot.undecodable) - MAX_NAMES} more file names "
                                      "are not valid UTF-8", "warning"))
    for location, path in missing:
        stop = _non_file_ancestor(snapshot, path)
        if stop is not None:
            where = "is" if stop == path else f"lies in {stop}, which is"
            diagnostics.append(Diagnostic(location, f"script {path} {where} {_describe(snapshot, stop)}: not analysed", "warning"))
            incomplete.append(Incomplete(location, f"script {path} not analysed ({_kind(snapshot, stop)})"))
    return diagnostics, incomplete


def _ci_entries_not_files(snapshot: Snapshot, settings: Settings) -> list[str]:
    globs = ci_globs(settings)
    return sorted(
        path
        for path, entry in snapshot.files.items()
        if entry.mode in (SYMLINK_MODE, SUBMODULE_MODE) and any(match_glob(path, g) for g in globs)
    )


def _non_file_ancestor(snapshot: Snapshot, path: str) -> str | None:
    """`path` itself or the nearest directory above it stored as a symlink or submodule."""
    parts = path.split("/")
    for end in range(len(parts), 0, -1):
        prefix = "/".join(parts[:end])
        entry = snapshot.files.get(prefix)
        if entry is not None and entry.mode in (SYMLINK_MODE, SUBMODULE_MODE):
            return prefix
    return None


def _kind(snapshot: Snapshot, path: str) -> str:
    return "symlink" if snapshot.files[path].mode == SYMLINK_MODE else "submodule"


def _describe(snapshot: Snapshot, path: str) -> str:
    entry = snapshot.files[path]
    if entry.mode == SUBMODULE_MODE:
        return "a submodule, whose files are not in this repository"
    try:
        target = snapshot._reader(entry.blob).decode("utf-8", "replace") if entry.blob else "?"
    except Exception:  # an unreadable link target changes nothing about the message
        target = "?"
    return f"a symlink to {target!r}, which is never followed"


def _encoding_problem(data: bytes) -> tuple[int, str] | None:
    """(line, message) of the first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); read with replacement characters"
    return None
