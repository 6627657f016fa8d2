"""Brace expansion of one word's source text, as bash does it (`{a,b}`, `{1..10..2}`, `{a..e}`).

Bash expands braces first, on the text of a word: quoted parts, `\\`-escaped characters,
`${...}` and `$(...)` are carried over whole, and each resulting word then goes through the
other expansions.  `expand(text)` follows bash's own algorithm (bash/braces.c): the first
brace that has a matching close brace starts an expression; the part inside it is split at
its top-level commas (each part expanded again) or, without a comma, read as a sequence
`x..y[..step]`; what follows the expression is expanded again and every result is the
preamble + one part + one expansion of the rest.

`expand` answers None when the words would be too many to follow (the caller says unknown).
"""

from __future__ import annotations

MAX_WORDS = 4096  # words one brace expression may produce before the interpreter gives up
GIVE_UP = f"more than {MAX_WORDS} words, or a range of letters through punctuation"


class GiveUp(Exception):
    pass


def expand(text: str) -> list[str] | None:
    """The words `text` becomes (itself alone when it has no brace expression)."""
    try:
        return _expand(text)
    except GiveUp:
        return None


def has_braces(text: str) -> bool:
    """A cheap test: could `text` hold a brace expression at all?"""
    return "{" in text and "}" in text and ("," in text or ".." in text)


def _expand(text: str) -> list[str]:
    i = 0
    found = ""
    while True:
        found, i = _gobble(text, i, "{")
        if not found:
            break
        closed, _ = _gobble(text, i + 1, "}")
        if closed:
            break
        i += 1
    if found != "{":
        return [text]
    preamble = text[:i]
    start = i + 1
    closed, i = _gobble(text, start, "}")
    if not closed:
        return [text]
    amble = text[start:i]
    if _has_comma(amble):
        tack = _expand_amble(amble)
    else:
        seq = _sequence(amble)
        if seq is not None:
            tack = seq
        elif i + 1 < len(text):
            tack = [text[start - 1 : i + 1]]
        else:
            return [text]
    result = [preamble + t for t in tack]
    rest = text[i + 1 :]
    if rest:
        after = _expand(rest)
        result = [r + a for r in result for a in after]
    if len(result) > MAX_WORDS:
        raise GiveUp
    return result


def _has_comma(amble: str) -> bool:
    """Any comma not escaped by a backslash (bash looks no further, quotes included)."""
    i = 0
    while i < len(amble):
        if amble[i] == "\\":
            i += 2
            continue
        if amble[i] == ",":
            return True
        i += 1
    return False


def _expand_amble(amble: str) -> list[str]:
    out: list[str] = []
    start = i = 0
    while True:
        found, i = _gobble(amble, i, ",")
        out.extend(_expand(amble[start:i]))
        if len(out) > MAX_WORDS:
            raise GiveUp
        if not found:
            return out
        i += 1
        start = i


def _gobble(text: str, i: int, satisfy: str) -> tuple[str, int]:
    """From `i`, the first `satisfy` character at brace level 0 outside quotes (bash's
    brace_gobbler): (the character or "" when there is none, its index or the end).  A close
    brace counts only after a top-level comma or `..` (one not right before a close brace)."""
    level = 0
    seen = satisfy != "}"
    quoted = ""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and quoted in ("", '"', "`"):
            i += 2
            continue
        if c == "$" and text[i + 1 : i + 2] == "{" and quoted != "'":
            i += 2
            if not quoted:
                level += 1
            continue
        if quoted:
            if c == quoted:
                quoted = ""
            elif quoted == '"' and c == "$" and text[i + 1 : i + 2] == "(":
                i = _skip_parens(text, i + 2)
                continue
            i += 1
            continue
        if c in "\"'`":
            quoted = c
            i += 1
            continue
        if c in "$<>" and text[i + 1 : i + 2] == "(":
            i = _skip_parens(text, i + 2)
            continue
        if c == satisfy and level == 0 and seen:
            if c == "{" and (i == 0 or text[i - 1] in " \t\n") and (text[i + 1 : i + 2] in (" ", "\t", "\n", "}")):
                i += 1
                continue
            return c, i
        if c == "{":
            level += 1
        elif c == "}" and level:
            level -= 1
        elif level == 0 and not seen and (c == "," or (text.startswith("..", i) and text[i + 2 : i + 3] != "}")):
            seen = True
        i += 1
    return "", i


def _skip_parens(text: str, i: int) -> int:
    """The index after the `)` closing a `$(` whose body starts at `i` (quotes respected)."""
    depth = 1
    quoted = ""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and quoted != "'":
            i += 2
            continue
        if quoted:
            if c == quoted:
                quoted = ""
        elif c in "\"'`":
            quoted = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _number(text: str) -> int | None:
    """bash's legal_number: optional blanks and sign, decimal digits."""
    body = text.strip(" \t\n")
    digits = body[1:] if body[:1] in "+-" else body
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return int(body)


def _sequence(amble: str) -> list[str] | None:
    """`x..y` or `x..y..step` (integers, or single letters), None when it is not one."""
    lhs, sep, rest = amble.partition("..")
    if not sep or not lhs or not rest:
        return None
    left = _number(lhs)
    if left is not None:
        kind = "int"
    elif len(lhs) == 1 and lhs.isascii() and lhs.isalpha():
        kind = "char"
    else:
        return None
    rhs, sep2, step_text = rest.partition("..")
    right: int | None
    if kind == "int":
        right = _leading_int(rhs)
        if right is None or right[1] != len(rhs):
            return None
        right_v = right[0]
    else:
        if len(rhs) != 1 or not rhs.isascii() or not rhs.isalpha():
            return None
        right_v = ord(rhs)
    step = 1
    if sep2:
        parsed = _leading_int(step_text)
        if parsed is None or parsed[1] != len(step_text):
            return None
        step = parsed[0]
    if kind == "char":
        return _chars(ord(lhs), right_v, step)
    padded = any((len(t) > 1 and t[0] == "0") or (len(t) > 2 and t[:2] == "-0") for t in (lhs, rhs))
    width = max(len(lhs), len(rhs)) if padded else 0  # a zero-padded term pads every number
    return _ints(left, right_v, step, width)  # type: ignore[arg-type]


def _leading_int(text: str) -> tuple[int, int] | None:
    """strtoimax: (value, characters used) of a leading integer, None when there is none."""
    i = 0
    while i < len(text) and text[i] in " \t\n":
        i += 1
    j = i + (1 if text[i : i + 1] in ("+", "-") else 0)
    k = j
    while k < len(text) and text[k].isascii() and text[k].isdigit():
        k += 1
    if k == j:
        return None
    return int(text[i:k]), k


def _steps(start: int, end: int, step: int) -> range:
    step = abs(step) or 1
    if abs(end - start) // step + 1 > MAX_WORDS:
        raise GiveUp
    return range(start, end + 1, step) if start <= end else range(start, end - 1, -step)


def _ints(start: int, end: int, step: int, width: int) -> list[str]:
    return [f"{n:0{width}d}" if width else str(n) for n in _steps(start, end, step)]


def _chars(start: int, end: int, step: int) -> list[str] | None:
    out = [chr(n) for n in _steps(start, end, step)]
    # Letters between `Z` and `a` (`[`, `\\`, a backquote...) would be read as shell syntax by
    # the later expansions; bash's own handling of them is not modelled.
    if not all(c.isalnum() or c in "^_]" for c in out):
        raise GiveUp
    return out
