"""YAML with line numbers, for every front-end.

`load(text, path)` returns plain Python values whose containers remember where
they were written: `Map` (a dict) and `Seq` (a list) carry `.line`, and
`Map.line_of(key)` gives the line of a key.  Scalars are ordinary Python values.
Alias expansion is bounded so a "billion laughs" file is an error, not a hang.

Plain scalars follow YAML 1.1 (PyYAML's resolver: `yes`/`on` are booleans) unless
`core_schema=True`, which reads them as the YAML 1.2 core schema does: only
true/false, null, and numbers are typed; `yes`, `no`, `on`, `off`, dates and
`1_000` stay strings.  GitHub Actions reads workflows that way.
"""

from __future__ import annotations

import re

import yaml

try:  # the C loader is several times faster; marks are the same
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from ..model import Diagnostic, Location

MAX_NODES = 500_000  # nodes after alias expansion


class YamlError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(str(diagnostic.location) + ": " + diagnostic.message)
        self.diagnostic = diagnostic


class Map(dict):
    line: int = 0
    key_lines: dict

    def __init__(self, *args, **kwargs):  # a Map built by a front-end (a default) has no lines, not no attribute
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key, default: int | None = None) -> int:
        return self.key_lines.get(key, self.line if default is None else default)


class Seq(list):
    line: int = 0
    item_lines: list
    tag: str = ""  # a local tag such as GitLab's `!reference`

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines = []

    def line_at(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def load(text: str, path: str, core_schema: bool = False):
    """Parse one YAML document (the first, if there are several)."""
    try:
        loader = _BaseLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.composer.ComposerError as exc:
        if "expected a single document" in str(exc):
            docs = list(load_all(text, path, core_schema))
            return docs[0] if docs else None
        raise _error(exc, path, text) from None
    except yaml.YAMLError as exc:
        raise _error(exc, path, text) from None
    if node is None:
        return None
    return _build_bounded(node, path, core_schema)


def load_file(snapshot, path: str, max_bytes: int, core_schema: bool = False):
    """`load` of a repository file; a file over `max_bytes` is an error, never parsed."""
    size = len(snapshot.read(path))
    if size > max_bytes:
        raise YamlError(Diagnostic(Location(path, 1), f"file larger than {max_bytes} bytes ({size}); skipped"))
    return load(snapshot.text(path), path, core_schema)


def load_all(text: str, path: str, core_schema: bool = False):
    try:
        loader = _BaseLoader(text)
        try:
            nodes = []
            while loader.check_node():
                nodes.append(loader.get_node())
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _error(exc, path, text) from None
    return [_build_bounded(n, path, core_schema) for n in nodes if n is not None]


def _build_bounded(node, path: str, core_schema: bool = False):
    """`_build`, with nesting too deep for Python's stack reported as bad input."""
    try:
        return _build(node, path, [0], {}, core_schema)
    except RecursionError:
        raise YamlError(Diagnostic(Location(path, node.start_mark.line + 1), "YAML nested too deeply to analyse")) from None


def _error(exc: yaml.YAMLError, path: str, text: str = "") -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    column = mark.column + 1 if mark is not None else 0
    if isinstance(exc, yaml.reader.ReaderError):  # a bad character: only its offset is known
        line = text.count("\n", 0, exc.position) + 1
        problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        return YamlError(Diagnostic(Location(path, line), f"invalid YAML: {problem}"))
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return YamlError(Diagnostic(Location(path, line, column), f"invalid YAML: {problem}"))


def _build(node, path: str, count: list[int], memo: dict, core: bool = False):
    count[0] += 1
    if count[0] > MAX_NODES:
        raise YamlError(
            Diagnostic(Location(path, node.start_mark.line + 1), f"YAML expands to more than {MAX_NODES} nodes (alias bomb?)")
        )
    if isinstance(node, yaml.ScalarNode):
        return _core_scalar(node) if core and not node.style else _scalar(node, path)
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_build(child, path, count, memo, core) for child in node.value)
        seq.line = node.start_mark.line + 1
        seq.item_lines = [child.start_mark.line + 1 for child in node.value]
        if node.tag.startswith("!"):
            seq.tag = node.tag
        return seq
    result = Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    merged: list[Map] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            value = _build(value_node, path, count, memo, core)
            merged.extend([value] if isinstance(value, dict) else [v for v in value if isinstance(v, dict)])
            continue
        key = _build(key_node, path, count, memo, core)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        result[key] = _build(value_node, path, count, memo, core)
        result.key_lines[key] = key_node.start_mark.line + 1
    for source in merged:  # explicit keys win over merged ones; earlier merges win
        for key, value in source.items():
            if key not in result:
                result[key] = value
                result.key_lines[key] = getattr(source, "key_lines", {}).get(key, result.line)
    return result


_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


MAX_NUMBER_CHARS = 64  # a longer "number" stays text: `0x` + 5,000 digits, `1:1:1:...` (sexagesimal), 10**5000
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _scalar(node: yaml.ScalarNode, path: str):
    tag = node.tag
    if tag == "tag:yaml.org,2002:str" or tag.startswith("!"):
        return node.value
    if tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
        return node.value  # converting it costs quadratic time, and no CI value is such a number
    try:
        return _constructor.construct_object(node, deep=True)
    except Exception:  # a malformed timestamp or the like: keep the text
        return node.value


_CORE_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_CORE_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_CORE_INT = re.compile(r"[-+]?[0-9]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_CORE_SPECIAL = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"), ".nan": float("nan"),
                 ".NaN": float("nan"), ".NAN": float("nan")}


def _core_scalar(node: yaml.ScalarNode):
    """A plain scalar under the YAML 1.2 core schema (explicit `!tags` keep their meaning)."""
    text = node.value
    if node.tag.startswith("!") or node.tag != _resolver.resolve(yaml.ScalarNode, text, (True, False)):
        return text if node.tag.startswith("!") else _scalar(node, "")  # `!!str 12`; `!!int abc` stays text
    if len(text) > MAX_NUMBER_CHARS:
        return text
    if text in _CORE_NULL:
        return None
    if text in _CORE_BOOL:
        return _CORE_BOOL[text]
    if _CORE_INT.fullmatch(text):
        return int(text)
    if re.fullmatch(r"0o[0-7]+", text):
        return int(text[2:], 8)
    if re.fullmatch(r"0x[0-9a-fA-F]+", text):
        return int(text[2:], 16)
    if _CORE_FLOAT.fullmatch(text):
        return float(text)
    sign, rest = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    if rest in _CORE_SPECIAL:
        value = _CORE_SPECIAL[rest]
        return -value if sign == "-" else value
    return text


def type_name(value) -> str:
    return {dict: "a mapping", Map: "a mapping", list: "a list", Seq: "a list", str: "a string", int: "a number",
            float: "a number", bool: "a boolean", type(None): "empty"}.get(type(value), type(value).__name__)
