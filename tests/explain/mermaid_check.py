"""A small structural check of the mermaid flowchart subset the renderers write.

It accepts only what `report/graph.py` emits: one node or edge per line, quoted
labels, `classDef`/`class`/`linkStyle` lines.  Labels may not hold a raw quote
or markup other than `<br>`.  Every edge, class member and linkStyle index
must name something defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SHAPES = {'(["': '"])', '[["': '"]]', '[("': '")]', '[/"': '"/]', '{"': '"}', '["': '"]'}
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_NODE = re.compile(rf"^  (?P<id>{_ID})(?P<open>\(\[\"|\[\[\"|\[\(\"|\[/\"|\{{\"|\[\")(?P<label>[^\"]*)(?P<close>\"\]\)|\"\]\]|\"\)\]|\"/\]|\"\}}|\"\])$")
_EDGE = re.compile(rf"^  (?P<a>{_ID}) (?P<arrow>-->|-\.->)(?:\|\"(?P<label>[^\"]*)\"\|)? (?P<b>{_ID})$")
_CLASSDEF = re.compile(r"^  classDef (?P<name>\w+) (?P<style>[\w:#,.\- ]+)$")
_CLASS = re.compile(rf"^  class (?P<members>{_ID}(?:,{_ID})*) (?P<name>\w+)$")
_LINKSTYLE = re.compile(r"^  linkStyle (?P<indices>\d+(?:,\d+)*) (?P<style>[\w:#,.\- ]+)$")
_ENTITY = re.compile(r"#(\d+|[a-z]+);")


@dataclass
class Flowchart:
    direction: str
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (shape opening, label)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # (a, b, arrow, label)
    classes: dict[str, set[str]] = field(default_factory=dict)  # class -> members
    link_styles: dict[int, str] = field(default_factory=dict)

    def decoded(self, node: str) -> str:
        return decode(self.nodes[node][1])


def decode(label: str) -> str:
    label = label.replace("<br>", "\n")
    return _ENTITY.sub(lambda m: chr(int(m.group(1))) if m.group(1).isdigit() else {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}[m.group(1)], label)


def _check_label(label: str, line: str) -> None:
    assert "<" not in label.replace("<br>", ""), f"raw markup in label: {line!r}"
    assert "`" not in label and "$" not in label and "%" not in label, f"unescaped character in label: {line!r}"
    stripped = _ENTITY.sub("", label)
    assert "#" not in stripped and ";" not in stripped, f"stray entity syntax in label: {line!r}"


def parse(text: str) -> Flowchart:
    lines = text.rstrip("\n").split("\n")
    header = re.fullmatch(r"flowchart (LR|TD|TB|RL|BT)", lines[0])
    assert header, f"not a flowchart header: {lines[0]!r}"
    chart = Flowchart(header.group(1))
    defined_classes = set()
    for line in lines[1:]:
        if m := _NODE.match(line):
            assert SHAPES[m.group("open")] == m.group("close"), f"mismatched shape: {line!r}"
            assert m.group("id") not in chart.nodes, f"node defined twice: {line!r}"
            _check_label(m.group("label"), line)
            chart.nodes[m.group("id")] = (m.group("open"), m.group("label"))
        elif m := _EDGE.match(line):
            _check_label(m.group("label") or "", line)
            chart.edges.append((m.group("a"), m.group("b"), m.group("arrow"), m.group("label") or ""))
        elif m := _CLASSDEF.match(line):
            defined_classes.add(m.group("name"))
        elif m := _CLASS.match(line):
            chart.classes.setdefault(m.group("name"), set()).update(m.group("members").split(","))
        elif m := _LINKSTYLE.match(line):
            for index in m.group("indices").split(","):
                chart.link_styles[int(index)] = m.group("style")
        else:
            raise AssertionError(f"not valid in a flowchart: {line!r}")
    for a, b, _, _ in chart.edges:
        assert a in chart.nodes and b in chart.nodes, f"edge to an undefined node: {a} -> {b}"
    for name, members in chart.classes.items():
        assert name in defined_classes, f"class {name} has no classDef"
        assert members <= set(chart.nodes), f"class {name} names undefined nodes"
    assert all(i < len(chart.edges) for i in chart.link_styles), "linkStyle index past the last edge"
    return chart
