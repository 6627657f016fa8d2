"""What a script defines, read without interpreting it: config arrays and leaf commands.

A config array is an array literal whose elements end up iterated: `for x in
"${a[@]}"` (or over `"${!a[@]}"`) on it or on an array it is copied into
(`b=("${a[@]}")`, `b+=(...)`), in the script or in files it sources.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tree_sitter import Node

from ..model import ConfigEntry, Diagnostic
from .parse import Source, parse_errors, parse_source
from .wordplan import pure_expansion

if TYPE_CHECKING:
    from ..context import ShellCaches

BUILTINS = frozenset(
    "cd export local declare typeset readonly unset source . set shift return exit break continue read eval "
    "test [ [[ true false : echo printf pushd popd getopts let trap wait exec alias unalias mapfile readarray "
    "shopt builtin command type hash umask ulimit".split()
)
SHELLS = frozenset({"bash", "sh"})


@dataclass
class FileScan:
    source: Source
    arrays: list[tuple[str, Node]] = field(default_factory=list)  # (name, array node)
    scalars: list[tuple[str, Node]] = field(default_factory=list)  # (name, assignment of a literal string)
    copies: set[tuple[str, str]] = field(default_factory=set)  # (from, to)
    iterated: set[str] = field(default_factory=set)
    sourced: list[str] = field(default_factory=list)  # argument text of source/. commands
    assigned: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    tested: list[Node] = field(default_factory=list)  # condition nodes
    commands: list[Node] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def entry_text(node: Node) -> str:
    """A config element as written, quotes removed: the entry's stable text."""
    raw = node.text.decode("utf-8", "replace") if node.text else ""
    if node.type in ("string", "raw_string") and len(raw) >= 2:
        return raw[1:-1]
    if node.type == "concatenation":
        return "".join(entry_text(c) for c in node.children)
    return raw


def array_refs(node: Node) -> list[tuple[str, str]]:
    """(name, prefix) for every `${name[@]}` / `${!name[@]}` / `${#name[@]}` inside node."""
    found = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "expansion":
            sub = next((c for c in n.children if c.type == "subscript"), None)
            if sub is not None:
                index = sub.child_by_field_name("index")
                name = sub.child_by_field_name("name")
                if index is not None and name is not None and index.text in (b"@", b"*"):
                    prefix = n.children[1].type if len(n.children) > 1 and not n.children[1].is_named else ""
                    found.append((name.text.decode(), prefix))
        stack.extend(n.children)
    return found


def scan_file(source: Source, caches: "ShellCaches") -> FileScan:
    """The scan of a repository script, built once for as long as `caches` live (the
    engine's session): scans are never changed after they are built, and every job that
    reaches a script asks for the same one.  A job's own commands (no blob) are scanned
    once anyway; keeping them costs memory."""
    if not source.blob:
        return _scan(source, caches.trees)
    scan = caches.scans.get(source)
    if scan is None:
        scan = caches.scans[source] = _scan(source, caches.trees)
    return scan


def _scan(source: Source, trees: dict) -> FileScan:
    tree = parse_source(source, trees)
    scan = FileScan(source, diagnostics=parse_errors(tree, source))
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        _visit(node, scan)
        stack.extend(reversed(node.children))
    return scan


def _visit(node: Node, scan: FileScan) -> None:
    t = node.type
    if t == "variable_assignment":
        name_node = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name_node is None:
            return
        name_node = name_node.child_by_field_name("name") or name_node if name_node.type == "subscript" else name_node
        name = name_node.text.decode()
        scan.assigned.add(name)
        if value is not None and value.type == "array":
            literal = [c for c in value.named_children if c.type != "comment" and not array_refs(c)]
            if literal:
                scan.arrays.append((name, value))
            for ref, prefix in array_refs(value):
                if not prefix:
                    scan.copies.add((ref, name))
        elif value is not None and name_node.type != "subscript" and is_literal(value):
            scan.scalars.append((name, node))
    elif t == "for_statement":
        for value in node.children_by_field_name("value"):
            scan.iterated.update(name for name, prefix in array_refs(value) if prefix in ("", "!"))
    elif t in ("c_style_for_statement", "while_statement"):
        for cond in node.children_by_field_name("condition"):
            scan.iterated.update(name for name, _ in array_refs(cond))
    elif t == "function_definition":
        name = node.child_by_field_name("name")
        if name is not None:
            scan.functions.add(name.text.decode())
    elif t in ("test_command", "case_statement"):
        scan.tested.append(node.child_by_field_name("value") if t == "case_statement" else node)
    elif t == "command":
        name = node.child_by_field_name("name")
        word = name.text.decode() if name is not None and name.text else ""
        args = [c for c in node.children_by_field_name("argument")]
        if word in ("source", ".") and args:
            scan.sourced.append(args[0].text.decode())
        elif word == "read":
            scan.assigned.update(a.text.decode() for a in args if not a.text.startswith(b"-"))
        scan.commands.append(node)


def config_names(scans: list[FileScan]) -> frozenset[str]:
    """Array names whose elements flow into a loop, across a set of files."""
    copies: dict[str, set[str]] = {}
    iterated: set[str] = set()
    for scan in scans:
        for a, b in scan.copies:
            copies.setdefault(a, set()).add(b)
        iterated |= scan.iterated
    defined = {name for scan in scans for name, _ in scan.arrays}
    result = set()
    for name in defined:
        seen, todo = {name}, [name]
        while todo:
            cur = todo.pop()
            if cur in iterated:
                result.add(name)
                break
            for nxt in copies.get(cur, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
    return frozenset(result)


def config_scalars(scans: list[FileScan], names: frozenset[str]) -> dict[str, str]:
    """Scalar variables assigned a literal string and collected into a config array
    (`eagle3_config="..."; configs=("$eagle3_config" ...)`): name -> the array.  Each
    literal assignment of one is an entry, as an element written in the array would be."""
    literal = {name for scan in scans for name, _ in scan.scalars}
    found: dict[str, str] = {}
    for scan in scans:
        for array, node in scan.arrays:
            if array not in names:
                continue
            for element in node.named_children:
                var = expansion_name(element)
                if var in literal:
                    found.setdefault(var, array)
    return found


def is_literal(node: Node) -> bool:
    """A value written as plain text: no expansion, substitution or array."""
    if node.type == "raw_string":
        return True
    if node.type == "string":
        return all(c.type == "string_content" for c in node.named_children)
    return node.type in ("word", "number") and b"$" not in (node.text or b"") and b"`" not in (node.text or b"")


def expansion_name(node: Node) -> str | None:
    """The variable of an element that is just `"$X"`, `$X` or `${X}`."""
    if node.type == "string":
        named = node.named_children
        if len(named) != 1 or node.text[1:-1] != named[0].text:
            return None
        node = named[0]
    if node.type == "simple_expansion":
        name = (node.text or b"").decode().lstrip()[1:]
        return name if name.replace("_", "a").isalnum() and not name[:1].isdigit() else None
    if node.type == "expansion" and len(node.children) == 3 and node.children[1].type == "variable_name":
        return node.children[1].text.decode()
    return None


def entries_of(scan: FileScan, names: frozenset[str], scalars: dict[str, str] | None = None) -> list[ConfigEntry]:
    found = []
    if scalars is None:
        scalars = config_scalars([scan], names)
    for name, node in scan.scalars:
        if name in scalars:
            value = node.child_by_field_name("value")
            found.append(ConfigEntry(entry_text(value), scan.source.location(node), scalars[name]))
    for name, array in scan.arrays:
        if name not in names:
            continue
        for element in array.named_children:
            if element.type == "comment" or array_refs(element) or pure_expansion(element):
                continue
            found.append(ConfigEntry(entry_text(element), scan.source.location(element), name))
    return found


def static_source_path(arg: str, script: str) -> list[str]:
    """Candidate repository paths for a `source` argument, read without interpreting.
    A leading expansion is taken to be the script's directory (the SCRIPT_DIR idiom)."""
    text = arg.strip("\"'")
    here = posixpath.dirname(script)
    if text.startswith("$"):
        cut = max(text.rfind("}"), text.rfind(")"))
        if cut < 0:
            rest = text.lstrip("$")
            cut = next((i for i, c in enumerate(rest) if not (c.isalnum() or c == "_")), len(rest))
            text = rest[cut:]
        else:
            text = text[cut + 1 :]
        text = text.strip("\"'")
        return [posixpath.normpath(posixpath.join(here, text.lstrip("/")))]
    if "$" in text or "`" in text:
        return []
    return [posixpath.normpath(posixpath.join(here, text)), posixpath.normpath(text)]
