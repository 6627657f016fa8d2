"""Abstract shell values: a known string, or an unknown one with where it came from.

Every value also carries provenance: the config entry whose text flowed into it
(so a run can name the entry it came from) and the inherited environment
variables it was derived from (so a condition can name the variables it reads).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..model import ConfigEntry, direct_init

IFS_DEFAULT = " \t\n"


_NO_SOURCES: frozenset[str] = frozenset()


@direct_init  # (the interpreter makes hundreds of thousands)
@dataclass(frozen=True)
class Val:
    text: str | None  # None: not known statically
    entry: ConfigEntry | None = None
    sources: frozenset[str] = field(default=_NO_SOURCES)  # inherited variables it derives from
    origin: str = ""  # for unknowns: how it is written (`$MODEL`, `$(date)`)
    nonempty: bool | None = None  # what a branch taught us about an unknown value

    @property
    def known(self) -> bool:
        return self.text is not None

    def shown(self) -> str:
        return self.text if self.text is not None else (self.origin or "<unknown>")

    def with_text(self, text: str | None) -> "Val":
        return replace(self, text=text, nonempty=None)


EMPTY = Val("")


def lit(text: str) -> Val:
    return Val(text)


def unknown(origin: str, sources: frozenset[str] = frozenset()) -> Val:
    return Val(None, origin=origin, sources=sources)


MAX_VALUE_CHARS = 1 << 20  # a string doubled in a loop becomes unknown here, not a memory blow-up
MAX_ORIGIN_CHARS = 1024  # how an unknown value is written, clipped


def concat(parts: list[Val]) -> Val:
    """Join the pieces of one word; unknown if any piece is unknown."""
    if len(parts) == 1:
        return parts[0]
    entry = None  # the last piece's that has one
    carried: list[frozenset[str]] = []
    texts = []
    for p in parts:  # (one pass: every word of every command comes here)
        if p.entry is not None:
            entry = p.entry
        if p.sources:
            carried.append(p.sources)
        texts.append(p.text)
    sources = carried[0] if len(carried) == 1 else frozenset().union(*carried)
    if None not in texts:
        if sum(map(len, texts)) > MAX_VALUE_CHARS:  # type: ignore[arg-type]
            return Val(None, entry, sources, f"<value longer than {MAX_VALUE_CHARS} characters>")
        return Val("".join(texts), entry, sources)  # type: ignore[arg-type]
    origin = "".join(p.shown() for p in parts)
    if len(origin) > MAX_ORIGIN_CHARS:  # doubling an unknown value must not double its description
        origin = origin[: MAX_ORIGIN_CHARS - 1] + "…"
    nonempty = True if any(p.text or p.nonempty for p in parts) else None  # (a text is known and not empty)
    return Val(None, entry, sources, origin, nonempty)


_DEFAULT_RUNS = re.compile(f"[^{re.escape(IFS_DEFAULT)}]+")  # a field under the default IFS


def _fields(text: str, ifs: str) -> list[tuple[int, str]]:
    """(start offset, text) of each field of `text` split on `ifs`."""
    if ifs and not ifs.strip(" \t\n"):  # blanks only (the default): a field is a run of other characters
        runs = _DEFAULT_RUNS if ifs == IFS_DEFAULT else re.compile(f"[^{re.escape(ifs)}]+")  # (`re` keeps the few others)
        return [(m.start(), m.group()) for m in runs.finditer(text)]
    white = "".join(c for c in ifs if c in " \t\n")
    other = "".join(c for c in ifs if c not in " \t\n")
    end = len(text.rstrip(white)) if white else len(text)
    i = len(text) - len(text.lstrip(white)) if white else 0
    fields: list[tuple[int, str]] = []
    start, current = i, ""
    while i < end:
        c = text[i]
        if c not in ifs:
            current += c
            i += 1
            continue
        while i < end and text[i] in white:
            i += 1
        if i < end and text[i] in other:  # one non-blank separator, blanks around it
            i += 1
            while i < end and text[i] in white:
                i += 1
        fields.append((start, current))
        start, current = i, ""
    if current:
        fields.append((start, current))
    return fields


def split_fields(val: Val, ifs: str = IFS_DEFAULT) -> list[Val]:
    """Word splitting of an unquoted expansion."""
    if not val.known:
        return [val]
    if ifs == "":
        return [val] if val.text else []
    return [Val(f, val.entry, val.sources) for _, f in _fields(val.text or "", ifs)]


def read_split(val: Val, count: int, ifs: str = IFS_DEFAULT) -> list[Val]:
    """`read` splitting into `count` names: the last takes the rest of the line
    (count <= 0: one field per array element)."""
    if not val.known:
        return [val]
    text = val.text or ""
    fields = _fields(text, ifs) if ifs else [(0, text)]
    if count <= 0 or len(fields) <= count:
        return [Val(f, val.entry, val.sources) for _, f in fields]
    white = "".join(c for c in ifs if c in " \t\n")
    rest = text[fields[count - 1][0]:].rstrip(white)
    return [Val(f, val.entry, val.sources) for _, f in fields[: count - 1]] + [Val(rest, val.entry, val.sources)]
