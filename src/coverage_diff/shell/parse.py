"""tree-sitter-bash, wrapped: parse once per blob, report what could not be parsed.

`parse_source` keeps each tree in the `trees` it is given (`context.ShellCaches.trees`:
the engine's session owns them, so every job of a command shares them); `parse_text`
keeps nothing.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

import tree_sitter_bash
from tree_sitter import Language, Node, Parser, Tree

from ..model import Diagnostic, Location

_LANGUAGE = Language(tree_sitter_bash.language())
_PARSER = Parser(_LANGUAGE)


@dataclass(frozen=True)
class Source:
    """Shell text and where it lives: a file, or a job command (lines offset)."""

    path: str
    text: str
    line_offset: int = 0  # added to 1-based tree lines (a command written at line N)
    blob: str = ""
    lines: tuple[tuple[int, int, int], ...] = ()  # `Command.lines`: (row, byte column, file line) breakpoints

    def location(self, node: Node) -> Location:
        row, column = node.start_point
        if self.lines:
            index = bisect.bisect_right(self.lines, (row, column, 1 << 62)) - 1
            if index >= 0:
                return Location(self.path, self.lines[index][2])
        return Location(self.path, row + 1 + self.line_offset)

    def slice(self, node: Node) -> str:
        return node.text.decode("utf-8", "replace") if node.text is not None else ""


def parse_source(source: Source, trees: dict[str, Tree]) -> Tree:
    """The tree of `source`, parsed once per blob (or text) and kept in `trees`."""
    key = source.blob or hashlib.sha1(source.text.encode()).hexdigest()
    tree = trees.get(key)
    if tree is None:
        tree = trees[key] = parse_text(source.text)
    return tree


def parse_text(text: str) -> Tree:
    """The tree of `text`, kept by no one (what is derived from it per node is:
    `syntax.per_node` holds the nodes it answers for)."""
    return _repaired(_PARSER.parse(text.encode()), text)


def _repaired(tree: Tree, text: str) -> Tree:
    """tree-sitter-bash rejects text bash reads; two such layouts are rewritten before parsing,
    each keeping every byte position (so lines, columns and source slices stay true), and the
    rewrite is used only if the text then parses cleanly:
    - an empty command substitution written with backticks (`echo``` in vLLM's lm-eval
      runner): it expands to nothing, as `""` does when glued to a word, both two bytes;
    - a subshell or brace group closed right before `done`, `fi`, `else`, `elif` or `esac`
      without a `;` (`do (cd x && pytest) done`): bash needs none after `)` or `}`; the blank
      between them becomes the `;`."""
    if not tree.root_node.has_error:
        return tree
    fixed = text.replace("``", '""') if "``" in text else text
    retry = _PARSER.parse(fixed.encode()) if fixed != text else tree
    for _ in range(4):  # a repair can uncover the next region (`(a) else (b) fi`)
        if not retry.root_node.has_error:
            return retry
        patched = _separate_closers(retry, fixed)
        if patched is None:
            break
        fixed = patched
        retry = _PARSER.parse(fixed.encode())
    return retry if not retry.root_node.has_error else tree


_CLOSER = re.compile(rb"[ \t]+(?:done|fi|else|elif|esac)(?![\w-])")


def _separate_closers(tree: Tree, text: str) -> str | None:
    """`text` with a `;` in place of the blank after each ERROR region (or MISSING `;`) that
    ends in `)` or `}` and is followed by a closing keyword; None when there is none."""
    data = bytearray(text.encode())
    changed = False
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        # tree-sitter either gives up on the group (an ERROR region ending at it) or supplies a
        # MISSING `;` right after it
        if (node.type == "ERROR" or (node.is_missing and node.type == ";")) and node.end_byte > 0 \
                and data[node.end_byte - 1:node.end_byte] in (b")", b"}"):
            if _CLOSER.match(bytes(data[node.end_byte:node.end_byte + 16])):
                data[node.end_byte] = ord(";")
                changed = True
                continue
        if node.has_error:
            stack.extend(node.children)
    return data.decode("utf-8", "replace") if changed else None


def parse_errors(tree: Tree, source: Source, limit: int = 20) -> list[Diagnostic]:
    """MISSING nodes (an unterminated quote, a `fi` or `done` that never comes) as
    diagnostics naming file:line: bash rejects those too.

    ERROR nodes are not diagnostics: tree-sitter-bash rejects some text that bash reads
    (`;` inside a quoted `${X:-a;b}`, some quoted case patterns), so an ERROR region says
    only that this parser could not read it.  The interpreter reports such a region as
    incomplete when a run reaches it (`unreadable_region`)."""
    found: list[Diagnostic] = []
    if not tree.root_node.has_error:
        return found
    stack = [tree.root_node]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_missing:
            found.append(Diagnostic(source.location(node), f"shell parse error: missing {node.type!r}"))
        elif node.type == "ERROR":
            quote = _unterminated_quote(node, source)
            if quote:
                found.append(Diagnostic(source.location(node), f"shell parse error: unterminated {quote} quote"))
        elif node.has_error:
            stack.extend(reversed(node.children))
    return sorted(found, key=lambda d: d.location)


def _unterminated_quote(node: Node, source: Source) -> str:
    """`"`, `'` or `` ` `` when the ERROR region is a quote opened and never closed before
    the end of the text (bash: "unexpected EOF while looking for matching quote")."""
    if source.text.encode()[node.end_byte:].strip():
        return ""
    text = source.slice(node).lstrip()
    if text[:1] in ("\"", "'", "`"):
        return text[0]
    # tree-sitter may begin the region inside the string: look back to the opening quote
    before = source.text.encode()[: node.start_byte].decode("utf-8", "replace").rsplit("\n", 1)[-1]
    opened = [c for c in before if c in "\"'`"]
    return opened[-1] if len(opened) % 2 == 1 else ""


def unreadable_region(node: Node, source: Source) -> str:
    """Why an ERROR region is skipped, in words a reader can check."""
    snippet = source.slice(node).split("\n", 1)[0][:60]
    return (f"shell text tree-sitter-bash could not parse (near {snippet!r}); bash may read it: "
            "any run written there is unknown")
