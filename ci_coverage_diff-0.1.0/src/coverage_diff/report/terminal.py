"""Plain text made for the reader's terminal: wrapped to its width, coloured, or cut to
the verdict (`--quiet`).

The renderers write plain, unwrapped text (what logs, files and the stored answers
keep); this module decorates it at the last moment, only where it is shown.  Colour
follows `--color auto|always|never`: auto means a terminal on stdout and no `NO_COLOR`
(https://no-color.org).  Lines of a suggested fix are never wrapped: they are pasted.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass

RESET = "\x1b[0m"
STYLES = (  # (pattern at the start of a line after its indent, SGR code)
    (re.compile(r"LOSS:"), "1;31"),
    (re.compile(r"OK:"), "1;32"),
    (re.compile(r"[A-Z][A-Z -]+(\([^)]*\))?: \d+$"), "1"),  # a section title with its count
    (re.compile(r"ACKNOWLEDGED\b"), "32"),
    (re.compile(r"blocked by |why: "), "33"),
    (re.compile(r"suggested fix:"), "36"),
)
_FIX = "suggested fix:"


@dataclass(frozen=True)
class Display:
    """How text output is shown: wrap width (0: never) and colour."""

    width: int = 0
    color: bool = False
    quiet: bool = False


def display(color: str = "auto", quiet: bool = False, stream=None) -> Display:
    """The display for `--color` and `--quiet` on `stream` (stdout): a terminal gets its width."""
    stream = stream or sys.stdout
    tty = _isatty(stream)
    if color == "always":
        use_color = True
    elif color == "never":
        use_color = False
    else:
        use_color = tty and not os.environ.get("NO_COLOR")
    width = shutil.get_terminal_size((100, 24)).columns if tty else 0
    return Display(width=width, color=use_color, quiet=quiet)


def decorate(text: str, shown: Display) -> str:
    """`text` (a text report) as `shown` says: the verdict only, wrapped, coloured."""
    lines = text.splitlines()
    if shown.quiet:  # the diff's verdict, else the first line after the title (an audit's count)
        verdict = next((line for line in lines if line.startswith(("LOSS:", "OK:"))), None)
        verdict = verdict or next((line for line in lines if line.strip() and not line.startswith("coverage-diff ")), None)
        lines = [verdict] if verdict else []
    out: list[str] = []
    fix_indent = None
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if fix_indent is not None and (indent <= fix_indent and line.strip()):
            fix_indent = None
        in_fix = fix_indent is not None
        if line.strip() == _FIX:
            fix_indent = indent
        pieces = _wrap(line, indent, shown.width) if not in_fix else [line]
        out += [_colour(piece, shown.color) for piece in pieces]
    return "\n".join(out) + "\n" if out else ""


def _wrap(line: str, indent: int, width: int) -> list[str]:
    if width <= 0 or len(line) <= width or width <= indent + 20:
        return [line]
    return textwrap.wrap(line, width=width, initial_indent="", subsequent_indent=" " * (indent + 4),
                         break_long_words=False, break_on_hyphens=False, drop_whitespace=True) or [line]


def _colour(line: str, on: bool) -> str:
    if not on:
        return line
    body = line.lstrip(" ")
    for pattern, code in STYLES:
        match = pattern.match(body)
        if match:
            lead = line[: len(line) - len(body)]
            return f"{lead}\x1b[{code}m{body[: match.end()]}{RESET}{body[match.end():]}"
    return line


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def working(message: str, verbose: bool = False, stream=None):
    """Say on stderr what is being done: a spinner on a terminal (gone when done), or with
    `verbose` one line before and one after, with the time it took.  Nothing otherwise:
    CI logs and pipes get only the report.  Yields `progress(done, total)` for work that
    counts its steps (commits of a history walk)."""
    stream = stream or sys.stderr
    if _isatty(stream):
        from rich.console import Console

        with Console(file=stream, stderr=True).status(f"coverage-diff: {message}…") as status:
            yield lambda done, total: status.update(f"coverage-diff: {message}: {done}/{total}…")
        return
    if not verbose:
        yield lambda done, total: None
        return
    import time

    start = time.perf_counter()
    last = [start]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 5 or done == 0:  # a line every few seconds, not one per commit
            last[0] = now
            print(f"coverage-diff: {message}: {done}/{total}", file=stream, flush=True)

    print(f"coverage-diff: {message}…", file=stream, flush=True)
    yield progress
    print(f"coverage-diff: {message}: done in {time.perf_counter() - start:.1f} s", file=stream, flush=True)
