"""Bash glob patterns (`case`, `[[ == ]]`, `${X#pat}`, pathname expansion), matched
as bash matches them and never through a translated regular expression.

A pattern is a list of pieces `(text, quoted)`: quoted text matches literally,
unquoted text is a glob.  `compile_pattern` reads it once into tokens; `Matcher.ends`
gives every end position at which the pattern matches a string from a start: a
simulation over positions, so matching takes time polynomial in the lengths (no
pattern, however many `*` it has, makes it backtrack exponentially), and a
malformed pattern never raises: it means what bash makes of it.

Bracket expressions follow bash (`lib/glob/sm_loop.c` semantics, in the C locale
with `globasciiranges`, bash 5's default): `!` or `^` negates, a `]` right after the
opening (or the negation) is a member, `a-z` is a range by code point and a reversed
range (`[k-0]`) matches nothing, `[:class:]` names a class (an unknown class matches
nothing), `[=c=]` and `[.c.]` name the character, a backslash makes the next character
a member, and a `[` with no closing `]` is an ordinary character.  Extended patterns
(`?(..)`, `*(..)`, `+(..)`, `@(..)`, `!(..)`) are read when `extglob` is on (bash turns
it on for the right side of `[[ == ]]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..context import ShellCaches

Pattern = tuple[tuple[str, bool], ...]

_CLASSES = {
    "alpha": str.isalpha, "digit": lambda c: "0" <= c <= "9", "alnum": lambda c: c.isalnum(),
    "upper": str.isupper, "lower": str.islower, "space": lambda c: c in " \t\n\r\f\v",
    "blank": lambda c: c in " \t", "punct": lambda c: c.isascii() and c.isprintable() and not c.isalnum() and c != " ",
    "print": lambda c: c.isprintable(), "graph": lambda c: c.isprintable() and c != " ",
    "cntrl": lambda c: ord(c) < 32 or ord(c) == 127, "xdigit": lambda c: c in "0123456789abcdefABCDEF",
    "word": lambda c: c.isalnum() or c == "_",
}


@dataclass(frozen=True)
class _Set:
    """A bracket expression: members, ranges (lo, hi) and class names."""

    negate: bool
    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...]
    classes: tuple[str, ...]
    valid: bool = True  # an unknown class name: the expression matches nothing

    def accepts(self, c: str) -> bool:
        if not self.valid:
            return False
        hit = c in self.chars or any(lo <= c <= hi for lo, hi in self.ranges) or any(_CLASSES[k](c) for k in self.classes)
        return hit != self.negate


@dataclass(frozen=True)
class _Group:
    """An extended pattern: its operator (`?*+@!`) and alternatives."""

    op: str
    alternatives: tuple[tuple, ...]


# Tokens: a one-character str (that character), ANY (`?`), STAR (`*`), a _Set, a _Group.
ANY = object()
STAR = object()


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


def _chars(pattern: Pattern) -> list[tuple[str, bool]]:
    """The pattern as (character, literal) pairs: quoted characters and characters after
    an unquoted backslash are literal."""
    out: list[tuple[str, bool]] = []
    for text, quoted in pattern:
        if quoted:
            out.extend((c, True) for c in text)
            continue
        i = 0
        while i < len(text):
            if text[i] == "\\" and i + 1 < len(text):
                out.append((text[i + 1], True))
                i += 2
            else:
                out.append((text[i], False))
                i += 1
    return out


def compile_pattern(pattern: Pattern, extglob: bool = False, caches: ShellCaches | None = None) -> tuple:
    """The merged pattern's tokens (kept in `caches` when given)."""
    if caches is None:
        return _compile(pattern, extglob)
    return caches.compile(_compile, pattern, extglob)


def _compile(pattern: Pattern, extglob: bool) -> tuple:
    tokens, _ = _sequence(_chars(pattern), 0, extglob, nested=False)
    return tuple(tokens)


def _sequence(chars: list[tuple[str, bool]], i: int, extglob: bool, nested: bool) -> tuple[list, int]:
    """Tokens from chars[i:] up to the end (or, nested in a group, up to `|` or `)`)."""
    out: list = []
    n = len(chars)
    while i < n:
        c, literal = chars[i]
        if literal:
            out.append(c)
            i += 1
            continue
        if nested and c in "|)":
            return out, i
        if extglob and c in "?*+@!" and i + 1 < n and chars[i + 1] == ("(", False):
            group = _group(chars, i + 2, c, extglob)
            if group is not None:
                token, i = group
                out.append(token)
                continue
        if c == "*":
            if not out or out[-1] is not STAR:  # `**` matches as `*` outside pathname globstar
                out.append(STAR)
            i += 1
        elif c == "?":
            out.append(ANY)
            i += 1
        elif c == "[":
            found = _bracket(chars, i + 1)
            if found is None:
                out.append("[")
                i += 1
            else:
                token, i = found
                out.append(token)
        else:
            out.append(c)
            i += 1
    return out, i


def _group(chars, i: int, op: str, extglob: bool):
    """`op(a|b)` from just after the `(`: the group and the index after `)`, or None
    when there is no closing parenthesis (the characters are then ordinary)."""
    alternatives = []
    while True:
        tokens, i = _sequence(chars, i, extglob, nested=True)
        alternatives.append(tuple(tokens))
        if i >= len(chars):
            return None
        if chars[i][0] == ")":
            return _Group(op, tuple(alternatives)), i + 1
        i += 1  # `|`


def _bracket(chars, i: int):
    """A bracket expression from just after `[`: (_Set, index after `]`), or None when
    there is no closing `]` (the `[` is then an ordinary character)."""
    n = len(chars)
    negate = False
    if i < n and not chars[i][1] and chars[i][0] in "!^":
        negate = True
        i += 1
    members: set[str] = set()
    ranges: list[tuple[str, str]] = []
    classes: list[str] = []
    valid = True
    first = True
    while i < n:
        c, literal = chars[i]
        if c == "]" and not literal and not first:
            return _Set(negate, frozenset(members), tuple(ranges), tuple(classes), valid), i + 1
        first = False
        if c == "[" and not literal and i + 1 < n and chars[i + 1][0] in ":=." and not chars[i + 1][1]:
            kind = chars[i + 1][0]
            end = _closing(chars, i + 2, kind)
            if end is not None:
                name = "".join(ch for ch, _ in chars[i + 2 : end])
                if kind == ":":
                    if name in _CLASSES:
                        classes.append(name)
                    else:
                        valid = False
                elif len(name) == 1:
                    members.add(name)
                else:
                    valid = False
                i = end + 2
                continue
        # a range `c-d` unless the `-` is last (`[a-]`)
        if i + 2 < n and chars[i + 1] == ("-", False) and not (chars[i + 2] == ("]", False)):
            hi = chars[i + 2][0]
            if c <= hi:
                ranges.append((c, hi))
            # a reversed range matches nothing, as in bash
            i += 3
            continue
        members.add(c)
        i += 1
    return None


def _closing(chars, i: int, kind: str) -> int | None:
    """The index of `kind` in a `kind]` that closes `[:`, `[=` or `[.`."""
    for k in range(i, len(chars) - 1):
        if chars[k] == (kind, False) and chars[k + 1] == ("]", False):
            return k
        if chars[k][0] == "]" and not chars[k][1]:
            return None
    return None


def ends(tokens: tuple, text: str, start: int = 0, limit: int | None = None) -> set[int]:
    """Every position j >= start such that the tokens match text[start:j]."""
    return _Run(text).ends(tokens, start, len(text) if limit is None else limit)


class _Run:
    """One string being matched; remembers where each extended group can end."""

    def __init__(self, text: str):
        self.text = text
        self.group_ends: dict[tuple[int, int, int], set[int]] = {}

    def ends(self, tokens: tuple, start: int, limit: int) -> set[int]:
        text = self.text
        final = len(tokens)
        reach: dict[int, set[int]] = {start: {0}}
        out: set[int] = set()
        for i in range(start, limit + 1):
            states = reach.pop(i, None)
            if not states:
                continue
            todo = list(states)
            while todo:
                k = todo.pop()
                if k == final:
                    out.add(i)
                    continue
                tok = tokens[k]
                if tok is STAR:
                    if k + 1 not in states:
                        states.add(k + 1)
                        todo.append(k + 1)
                    if i < limit:
                        reach.setdefault(i + 1, set()).add(k)
                elif isinstance(tok, _Group):
                    for j in self._group_ends(tok, i, limit):
                        if j == i:
                            if k + 1 not in states:
                                states.add(k + 1)
                                todo.append(k + 1)
                        else:
                            reach.setdefault(j, set()).add(k + 1)
                elif i < limit:
                    c = text[i]
                    if tok is ANY or (tok == c if isinstance(tok, str) else tok.accepts(c)):
                        reach.setdefault(i + 1, set()).add(k + 1)
        return out

    def _group_ends(self, group: _Group, start: int, limit: int) -> set[int]:
        key = (id(group), start, limit)
        found = self.group_ends.get(key)
        if found is not None:
            return found
        self.group_ends[key] = set()  # a group that can match empty does not recurse forever
        once = set().union(*(self.ends(alt, start, limit) for alt in group.alternatives))
        if group.op == "@":
            found = once
        elif group.op == "?":
            found = once | {start}
        elif group.op == "!":
            found = {j for j in range(start, limit + 1) if j not in once}
        else:  # `*` or `+`: one or more, then repeats from each end
            found = set(once)
            todo = [j for j in once if j > start]
            while todo:
                j = todo.pop()
                for alt in group.alternatives:
                    for e in self.ends(alt, j, limit):
                        if e not in found:
                            found.add(e)
                            todo.append(e)
            if group.op == "*":
                found.add(start)
        self.group_ends[key] = found
        return found


def is_glob(pattern: Pattern, *, extglob: bool = False) -> bool:
    """Whether any unquoted character is special (`@(`/`+(`/`!(` too under extglob)."""
    return any(not quoted and (any(c in text for c in "*?[") or (extglob and any(f"{op}(" in text for op in "+@!")))
               for text, quoted in pattern)


def literal_text(pattern: Pattern, *, extglob: bool = False) -> str | None:
    """The one string a pattern without special characters matches; None for a glob."""
    if is_glob(pattern, extglob=extglob):
        return None
    return "".join(c for c, _ in _chars(merged(pattern)))


def compiled(pattern: Pattern, *, extglob: bool = False) -> tuple:
    """The pattern's tokens, for a caller that keeps them (`matches_compiled`)."""
    return compile_pattern(merged(pattern), extglob)


def matches_compiled(value: str, tokens: tuple) -> bool:
    return len(value) in ends(tokens, value)


def matches(value: str, pattern: Pattern, *, extglob: bool = False, caches: ShellCaches | None = None) -> bool:
    tokens = compile_pattern(merged(pattern), extglob, caches)
    return len(value) in ends(tokens, value)


def strip(value: str, pattern: Pattern, *, suffix: bool, longest: bool, extglob: bool = False,
          caches: ShellCaches | None = None) -> str:
    """`${X#p}`, `${X##p}`, `${X%p}`, `${X%%p}` (the compiled pattern kept in `caches` when given)."""
    tokens = compile_pattern(merged(pattern), extglob, caches)
    n = len(value)
    if not suffix:
        found = ends(tokens, value)
        if not found:
            return value
        return value[(max if longest else min)(found) :]
    run = _Run(value)
    starts = range(0, n + 1) if longest else range(n, -1, -1)
    for k in starts:
        if n in run.ends(tokens, k, n):
            return value[:k]
    return value


def substitute(value: str, pattern: Pattern, repl: str, *, mode: str, extglob: bool = False,
               caches: ShellCaches | None = None) -> str:
    """`${X/p/r}` (mode "first"), `//` ("all"), `/#` ("prefix"), `/%` ("suffix"); the compiled
    pattern kept in `caches` when given."""
    if not pattern or all(not text for text, _ in pattern):
        return value
    tokens = compile_pattern(merged(pattern), extglob, caches)
    n = len(value)
    run = _Run(value)
    if mode == "prefix":
        found = run.ends(tokens, 0, n)
        return repl + value[max(found) :] if found else value
    if mode == "suffix":
        for k in range(0, n + 1):
            if n in run.ends(tokens, k, n):
                return value[:k] + repl
        return value
    out, i = [], 0
    while i <= n:
        longest = max((e for e in run.ends(tokens, i, n) if e > i), default=None)
        if longest is None:
            if i < n:
                out.append(value[i])
            i += 1
            continue
        out.append(repl)
        i = longest
        if mode == "first":
            out.append(value[i:])
            return "".join(out)
    return "".join(out)
