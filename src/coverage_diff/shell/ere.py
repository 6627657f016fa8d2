"""`[[ x =~ re ]]`: POSIX extended regular expressions as bash hands them to glibc's
regcomp, matched by RE2 (linear time: `^(a+)+$` on a long value cannot hang).

    compile_ere(pieces) -> compiled pattern, or None when the translation is not sure
    search(compiled, text) -> None (no match) or the groups BASH_REMATCH gets

`pieces` are (text, quoted) parts of the right-hand word: quoted parts match
themselves (bash quotes them before regcomp).  What glibc reads differently from
RE2 is rewritten: a backslash inside brackets is literal, `]` first in a bracket
is literal, an escaped letter with no meaning is the letter, `.` matches a
newline, the leftmost-longest match wins.  What cannot be rewritten with
certainty (`\\<`, back-references, a pattern RE2 rejects) gives None: the test
is then unknown, never a guess.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import re2

if TYPE_CHECKING:
    from ..context import ShellCaches

_OPTIONS = re2.Options()
_OPTIONS.posix_syntax = True
_OPTIONS.longest_match = True
_OPTIONS.dot_nl = True
_OPTIONS.word_boundary = True
_OPTIONS.perl_classes = True  # \w \W \s \S (glibc has them); \d is rewritten before, glibc reads it as `d`
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 8 << 20

MAX_PATTERN = 4096  # longer patterns (or programs RE2 refuses within max_mem) are unknown


def translate(pieces: tuple[tuple[str, bool], ...]) -> str | None:
    out: list[str] = []
    for text, quoted in pieces:
        if quoted:
            out.append(re.escape(text))
            continue
        i = 0
        while i < len(text):
            c = text[i]
            if c == "\\":
                if i + 1 >= len(text):
                    out.append("\\\\")
                    break
                n = text[i + 1]
                if n in "wWsSbB":
                    out.append("\\" + n)
                elif n.isdigit() or n in "<>`'":
                    return None  # back-references and GNU word anchors: not in RE2
                elif n.isalnum():
                    out.append(re.escape(n))  # glibc: an escaped ordinary letter is the letter
                else:
                    out.append("\\" + n)
                i += 2
                continue
            if c == "[":
                end, body = _bracket(text, i)
                if end < 0:
                    return None
                out.append(body)
                i = end
                continue
            if c == "{" and not re.match(r"\{\d+(,\d*)?\}", text[i:]):
                return None  # not an interval: glibc's answer (an error, or a literal brace) is not modelled
            else:
                out.append(c)
            i += 1
    return "".join(out)


def _bracket(text: str, start: int) -> tuple[int, str]:
    """The bracket expression at `start`: (index after it, RE2 text), or (-1, "")."""
    i = start + 1
    parts = ["["]
    if i < len(text) and text[i] == "^":
        parts.append("^")
        i += 1
    first = True
    while i < len(text):
        c = text[i]
        if c == "]" and not first:
            parts.append("]")
            return i + 1, "".join(parts)
        if c == "[" and i + 1 < len(text) and text[i + 1] in ":.=":
            kind = text[i + 1]
            close = text.find(kind + "]", i + 2)
            if close < 0:
                return -1, ""
            if kind != ":":
                return -1, ""  # collating symbols and equivalence classes
            parts.append(text[i : close + 2])
            i = close + 2
        elif c in "\\]^[":
            parts.append("\\" + c)
            i += 1
        else:
            parts.append(c)
            i += 1
        first = False
    return -1, ""


def compile_ere(pieces: tuple[tuple[str, bool], ...], caches: ShellCaches | None = None):
    """The compiled pattern, or None when the translation is not sure (kept in `caches`
    when given)."""
    if caches is None:
        return _compile(pieces)
    return caches.compile(_compile, pieces)


def _compile(pieces: tuple[tuple[str, bool], ...]):
    rx = translate(pieces)
    if rx is None or len(rx) > MAX_PATTERN:
        return None
    try:
        return re2.compile(rx, _OPTIONS)
    except Exception:  # re2.error: what RE2 will not take, glibc may
        return None


def search(compiled, text: str) -> tuple[str, ...] | None:
    m = compiled.search(text)
    if m is None:
        return None
    return tuple(g or "" for g in (m.group(0), *m.groups()))
