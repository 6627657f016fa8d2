"""Bash glob patterns (`case`, `[[ == ]]`, `${X#pat}`) as Python regexes.

A pattern is a list of pieces `(text, quoted)`: quoted text matches literally,
unquoted text is a glob.
"""

from __future__ import annotations

import re
from functools import lru_cache

Pattern = tuple[tuple[str, bool], ...]


def glob_regex(pattern: Pattern) -> str:
    out: list[str] = []
    for text, quoted in merged(pattern):
        out.append(re.escape(text) if quoted else _glob(text))
    return "".join(out)


def merged(pattern: Pattern) -> Pattern:
    """Adjacent pieces of the same kind joined: tree-sitter splits `t*_[ab].py` into
    several words, and a bracket expression must be read whole."""
    out: list[tuple[str, bool]] = []
    for text, quoted in pattern:
        if out and out[-1][1] == quoted:
            out[-1] = (out[-1][0] + text, quoted)
        else:
            out.append((text, quoted))
    return tuple(out)


@lru_cache(maxsize=4096)
def _glob(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(text[i + 1]))
            i += 2
        elif c == "*":
            out.append("[\\s\\S]*")
            i += 1
        elif c == "?":
            out.append("[\\s\\S]")
            i += 1
        elif c == "[":
            j = i + 1
            if j < n and text[j] in "!^":
                j += 1
            if j < n and text[j] == "]":
                j += 1
            while j < n and text[j] != "]":
                j += 1
            if j >= n:
                out.append("\\[")
                i += 1
                continue
            body = text[i + 1 : j]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("[:alpha:]", "a-zA-Z").replace("[:digit:]", "0-9")
            body = body.replace("[:alnum:]", "a-zA-Z0-9").replace("[:space:]", " \\t\\n").replace("[:upper:]", "A-Z")
            body = body.replace("[:lower:]", "a-z")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def is_glob(pattern: Pattern) -> bool:
    return any(not quoted and any(c in text for c in "*?[") for text, quoted in pattern)


def matches(value: str, pattern: Pattern) -> bool:
    return re.fullmatch(glob_regex(pattern), value, re.DOTALL) is not None


def strip(value: str, pattern: Pattern, *, suffix: bool, longest: bool) -> str:
    """`${X#p}`, `${X##p}`, `${X%p}`, `${X%%p}`."""
    rx = re.compile(glob_regex(pattern), re.DOTALL)
    n = len(value)
    cuts = range(n, -1, -1) if longest else range(0, n + 1)
    for k in cuts:
        if suffix:
            if rx.fullmatch(value[n - k :]):
                return value[: n - k]
        elif rx.fullmatch(value[:k]):
            return value[k:]
    return value


def substitute(value: str, pattern: Pattern, repl: str, *, mode: str) -> str:
    """`${X/p/r}` (mode "first"), `//` ("all"), `/#` ("prefix"), `/%` ("suffix")."""
    if not pattern or all(not text for text, _ in pattern):
        return value
    rx = re.compile(glob_regex(pattern), re.DOTALL)
    if mode == "prefix":
        for k in range(len(value), -1, -1):
            if rx.fullmatch(value[:k]):
                return repl + value[k:]
        return value
    if mode == "suffix":
        for k in range(0, len(value) + 1):
            if rx.fullmatch(value[k:]):
                return value[:k] + repl
        return value
    out, i, n = [], 0, len(value)
    while i <= n:
        match_end = next((e for e in range(n, i, -1) if rx.fullmatch(value, i, e)), None)
        if match_end is None:
            if i < n:
                out.append(value[i])
            i += 1
            continue
        out.append(repl)
        i = match_end
        if mode == "first":
            out.append(value[i:])
            return "".join(out)
    return "".join(out)
