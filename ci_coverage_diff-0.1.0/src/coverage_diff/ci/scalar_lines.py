"""Where each piece of a YAML string value is written in its file.

A `run:` block or a GitLab script item is handed to the shell as one text, but a
reader wants every command located on the file line where it is written.  The
loader gives only the line a value starts on, so the value's source is read
again here: block scalars (`|`, `>`, chomping and indentation indicators),
plain multi-line scalars and quoted ones are folded the way YAML folds them,
keeping, for every source line, the offset in the value where its text lands.
The result is trusted only when the refolded text is the loaded value itself;
otherwise `None` says the value could not be located line by line.
"""

from __future__ import annotations

import bisect
import re

LineMap = tuple[tuple[int, int], ...]  # (offset in the value, file line), offsets ascending
RowMap = tuple[tuple[int, int, int], ...]  # (row, byte column, file line), ascending

_HEADER = re.compile(r"([|>])(?:([-+])([1-9])?|([1-9])([-+])?)?\s*(?:#.*)?$")
_PROPERTIES = re.compile(r"(?:[&!]\S*\s+)*")


def locate(lines: list[str], line: int, key: str | None, value: str) -> LineMap | None:
    """The line map of `value`, written at 1-based `line` after `key:` (or as a sequence
    item when `key` is None); None when the source does not fold to `value`."""
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    if key is not None:
        match = re.search(r"(?:^|[\s{,])(?:-\s+)*(?P<key>[\"']?" + re.escape(key) + r"[\"']?)\s*:(?=\s|$)", text)
        if match is None:
            return None
        parent = match.start("key")
        start = match.end()
    else:
        match = re.match(r"(\s*)(?:(-)(?:\s+|$))?", text)
        parent = len(match.group(1))
        start = match.end()
    properties = _PROPERTIES.match(text, _skip_spaces(text, start))
    start = properties.end()
    rest = text[start:]
    try:
        if rest[:1] in ("|", ">"):
            found = _block(lines, line, rest, parent)
        elif rest[:1] == "'":
            found = _quoted(lines, line, start, "'")
        elif rest[:1] == '"':
            found = _quoted(lines, line, start, '"')
        elif rest[:1] in ("[", "{", "*") or not rest.strip() or rest.lstrip().startswith("#"):
            return None
        else:
            found = _plain(lines, line, start, parent)
    except (IndexError, ValueError):
        return None
    if found is None:
        return None
    folded, offsets = found
    if folded != value and folded.rstrip("\n") != value.rstrip("\n"):
        return None
    return tuple(offsets)


def rows(text: str, offsets: LineMap) -> RowMap:
    """A line map as (row, byte column) positions, the form a parsed tree reports."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    out = []
    for offset, line in offsets:
        row = bisect.bisect_right(starts, offset) - 1
        column = len(text[starts[row]:offset].encode("utf-8"))
        out.append((row, column, line))
    return tuple(out)


def fallback(lines: list[str], line: int, value: str) -> LineMap:
    """A value that could not be refolded: its rows taken as consecutive lines, from the
    line after a block indicator (or the key's own line)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    first = line + 1 if re.search(r":\s*[|>][-+0-9]*\s*(?:#.*)?$|^\s*-\s*[|>][-+0-9]*\s*(?:#.*)?$", text) else line
    starts = [0] + [i + 1 for i, ch in enumerate(value) if ch == "\n"]
    return tuple((start, first + row) for row, start in enumerate(starts))


def command(path: str, text: str, offsets: LineMap):
    """One `Command` of a multi-line text, located line by line."""
    from ..model import Command, Location

    first = offsets[0][1] if offsets else 0
    row_map = rows(text, offsets)
    plain = all(column == 0 and line == first + row for row, column, line in row_map)  # blank rows start nothing
    return Command(text, Location(path, first), () if plain else row_map)


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _block(lines: list[str], line: int, header: str, parent: int):
    """A `|` or `>` block scalar, folded as YAML (and PyYAML's scanner) does."""
    match = _HEADER.match(header)
    if match is None:
        return None
    folded = match.group(1) == ">"
    increment = match.group(3) or match.group(4)
    body = lines[line:]
    if increment:
        indent = parent + int(increment)
    else:
        indent, first = 0, None
        for index, text in enumerate(body):
            if text.strip(" "):
                first = index
                break
            indent = max(indent, len(text))
        if first is None:
            return "", []
        indent = max(indent, _indent(body[first]), parent + 1)
    out: list[str] = []
    offsets: list[tuple[int, int]] = []
    length = 0
    breaks: list[str] = []
    previous_normal = False
    started = False
    for index, text in enumerate(body):
        if "\t" in text[:indent]:
            return None
        if len(text) <= indent and not text.strip(" "):
            breaks.append("\n")  # an empty line (spaces up to the indentation at most)
            continue
        if _indent(text) < indent:
            break
        content = text[indent:]
        normal = content[:1] not in (" ", "\t")
        if started:
            if folded and previous_normal and normal and len(breaks) == 1:
                separator = " "
            elif folded and previous_normal and normal:
                separator = "".join(breaks[1:])  # the first break folds away
            else:
                separator = "".join(breaks)
        else:
            separator = "".join(breaks)
        out.append(separator)
        length += len(separator)
        offsets.append((length, line + index + 1))
        out.append(content)
        length += len(content)
        breaks = ["\n"]
        previous_normal, started = normal, True
    return "".join(out) + ("\n" if started else ""), offsets


def _plain(lines: list[str], line: int, start: int, parent: int):
    """A plain scalar, possibly over several more-indented lines (folded with spaces)."""
    first = lines[line - 1][start:]
    first = _cut_comment(first)
    if first is None:
        return None
    text, ended = first
    out, offsets = [text.rstrip(" \t")], [(0, line)]
    length = len(out[0])
    if ended:
        return out[0], offsets
    blank = 0
    for number in range(line + 1, len(lines) + 1):
        raw = lines[number - 1]
        if not raw.strip():
            blank += 1
            continue
        if _indent(raw) <= parent or raw.lstrip().startswith("#"):
            break
        piece = _cut_comment(raw.strip(" \t"))
        if piece is None or re.search(r":(\s|$)", piece[0]):
            break
        content, ended = piece
        content = content.rstrip(" \t")
        separator = "\n" * blank if blank else " "
        out.append(separator)
        length += len(separator)
        offsets.append((length, number))
        out.append(content)
        length += len(content)
        blank = 0
        if ended:
            break
    return "".join(out), offsets


def _cut_comment(text: str):
    """A plain scalar's text on one line, and whether a comment ends the scalar there."""
    match = re.search(r"\s#", text)
    if match:
        return text[: match.start()], True
    return text, False


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
            "P": "\u2029"}


def _quoted(lines: list[str], line: int, start: int, quote: str):
    """A single- or double-quoted scalar, over as many lines as it takes."""
    out: list[str] = []
    offsets = [(0, line)]
    length = 0
    number, pos = line, start + 1
    text = lines[number - 1]
    while True:
        if pos >= len(text):  # a line break inside the quotes: fold it
            while out and out[-1] in (" ", "\t"):
                out.pop()
                length -= 1
            escaped_break = bool(out) and out[-1] == "\0escaped-break"
            if escaped_break:
                out.pop()
            blank = 0
            while True:
                number += 1
                if number > len(lines):
                    return None
                text = lines[number - 1]
                if text.strip(" \t"):
                    break
                blank += 1
            pos = _skip_spaces(text, 0)
            separator = "" if escaped_break else ("\n" * blank if blank else " ")
            out.append(separator)
            length += len(separator)
            offsets.append((length, number))
            continue
        ch = text[pos]
        if ch == quote:
            if quote == "'" and text[pos + 1 : pos + 2] == "'":
                out.append("'")
                length += 1
                pos += 2
                continue
            return "".join(out), offsets
        if quote == '"' and ch == "\\":
            nxt = text[pos + 1 : pos + 2]
            if nxt == "":
                out.append("\0escaped-break")
                pos += 1
                continue
            if nxt in _ESCAPES:
                piece, pos = _ESCAPES[nxt], pos + 2
            elif nxt in ("x", "u", "U"):
                size = {"x": 2, "u": 4, "U": 8}[nxt]
                piece, pos = chr(int(text[pos + 2 : pos + 2 + size], 16)), pos + 2 + size
            else:
                return None
            out.append(piece)
            length += len(piece)
            continue
        out.append(ch)
        length += 1
        pos += 1
