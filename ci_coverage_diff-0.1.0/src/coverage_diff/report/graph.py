"""The coverage graph as dot, mermaid, GraphML, node-link JSON or SVG.

Every label comes from the analysed repository, so each format escapes it its
own way: DOT quoted strings, mermaid entity codes, XML (by networkx's writer),
JSON (by `json`).  Node kinds get distinct shapes and colours; entries no run
reaches are drawn red and dashed, and `blocked` edges red and dotted.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import networkx as nx

from ..graph import BLOCKED, FLOW, NODE_KINDS, STATIC, run_frames
from ..model import Finding
from .escape import clip, one_line, terminal

FORMATS = ("dot", "mermaid", "graphml", "json", "svg")
LABEL_LIMIT = 80
EXPORTED = ("kind", "label", "text", "path", "line", "reached", "unreachable", "outcome", "variables", "env",
            "identity", "array", "job_id", "tier", "platform", "argv", "cwd", "subject", "conditional",
            "from_entry", "nodes", "blocking", "blocked_by", "provided", "reason_text")

DOT_SHAPES = {
    "job": ("box", "rounded,filled", "#dbe9f6"),
    "command": ("note", "filled", "#f2f2f2"),
    "script": ("component", "filled", "#e6f4e1"),
    "function": ("component", "filled", "#eef7ea"),
    "guard": ("diamond", "filled", "#fff4cc"),
    "array": ("cylinder", "filled", "#efe3f7"),
    "entry": ("box", "filled", "#ffffff"),
    "run": ("parallelogram", "filled", "#e0f3f3"),
}
MERMAID_SHAPES = {
    "job": ('(["', '"])'),
    "command": ('["', '"]'),
    "script": ('[["', '"]]'),
    "function": ('[["', '"]]'),
    "guard": ('{"', '"}'),
    "array": ('[("', '")]'),
    "entry": ('["', '"]'),
    "run": ('[/"', '"/]'),
}
MERMAID_CLASSES = {
    "job": "fill:#dbe9f6,stroke:#2b6cb0",
    "command": "fill:#f2f2f2,stroke:#666",
    "script": "fill:#e6f4e1,stroke:#2f855a",
    "function": "fill:#eef7ea,stroke:#2f855a",
    "guard": "fill:#fff4cc,stroke:#b7791f",
    "array": "fill:#efe3f7,stroke:#6b46c1",
    "entry": "fill:#ffffff,stroke:#333",
    "run": "fill:#e0f3f3,stroke:#2c7a7b",
    "unreachable": "fill:#fde2e2,stroke:#c53030,stroke-width:2px,stroke-dasharray:5 3",
}


class GraphvizMissing(RuntimeError):
    """`--format svg` needs Graphviz's `dot` on PATH."""


def render(g: nx.DiGraph, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return {"dot": dot, "mermaid": mermaid, "graphml": graphml, "json": node_link_json, "svg": svg}[fmt](g)


# ----------------------------------------------------------------------------- shared
def exported(g: nx.DiGraph) -> nx.DiGraph:
    """The graph with JSON-friendly attributes only (the model objects stay behind)."""
    out = nx.DiGraph(revision=g.graph.get("revision", ""))
    for node, data in g.nodes(data=True):
        out.add_node(node, **{k: data[k] for k in EXPORTED if k in data})
    for a, b, data in g.edges(data=True):
        out.add_edge(a, b, **{k: v for k, v in data.items() if isinstance(v, (str, int, bool))})
    return out


def short_ids(g: nx.DiGraph) -> dict[str, str]:
    """Stable short identifiers (n0, n1...) in a sorted node order."""
    return {node: f"n{i}" for i, node in enumerate(sorted(g.nodes))}


def display(data: dict) -> str:
    """The one-line label of a node, clipped, with where it is written."""
    text = clip(one_line(str(data.get("label", ""))), LABEL_LIMIT)
    kind = data["kind"]
    where = f"{data['path']}:{data['line']}" if data.get("line") else data.get("path", "")
    if kind == "script":
        return text
    if kind == "entry" and data.get("unreachable"):
        text = f"UNREACHED: {text}"
    if kind in ("job", "guard", "entry", "array", "command") and where:
        return f"{text}\n{clip(one_line(where), LABEL_LIMIT)}"
    return text


def _sorted_edges(g: nx.DiGraph):
    return sorted(g.edges(data=True), key=lambda e: (e[0], e[1]))


# ----------------------------------------------------------------------------- dot
def dot(g: nx.DiGraph) -> str:
    ids = short_ids(g)
    lines = ["digraph coverage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for node in sorted(g.nodes):
        data = g.nodes[node]
        shape, style, fill = DOT_SHAPES.get(data["kind"], ("box", "", "#ffffff"))
        color = "#333333"
        if data["kind"] == "entry" and not data.get("reached"):
            style, fill, color = "filled,dashed,bold", "#fde2e2", "#c53030"
        lines.append(
            f"  {ids[node]} [label={dot_string(display(data))}, shape={shape}, style={dot_string(style)}, "
            f"fillcolor={dot_string(fill)}, color={dot_string(color)}, tooltip={dot_string(node)}];"
        )
    for a, b, data in _sorted_edges(g):
        lines.append(f"  {ids[a]} -> {ids[b]} [{_dot_edge_style(data)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_string(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as `\\n`."""
    text = terminal(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def edge_text(data: dict) -> tuple[str, str]:
    """(relation, label) of an edge; static edges without a label are labelled by their relation."""
    relation = data.get("relation", FLOW)
    label = clip(one_line(data.get("label", "")), LABEL_LIMIT)
    return relation, label or (relation if relation in STATIC else "")


def _dot_edge_style(data: dict) -> str:
    relation, label = edge_text(data)
    if relation == BLOCKED:
        return f'label={dot_string(label)}, color="#c53030", fontcolor="#c53030", style="dashed", penwidth=2'
    if relation in STATIC:
        return f'label={dot_string(label)}, color="#999999", style="dotted"'
    return f"label={dot_string(label)}"


# ----------------------------------------------------------------------------- mermaid
_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 .,:/=_+\-@!?'()*]")


def mermaid_text(text: str) -> str:
    """Text for a quoted mermaid label: every character that could end the string,
    start markup or an entity becomes a numeric entity code (`#34;`); newlines become `<br>`."""
    parts = []
    for line in text.split("\n"):
        parts.append("".join(c if _MERMAID_SAFE.fullmatch(c) else f"#{ord(c)};" for c in one_line(line)))
    return "<br>".join(parts)


def mermaid(g: nx.DiGraph) -> str:
    ids = short_ids(g)
    lines = ["flowchart LR"]
    for node in sorted(g.nodes):
        data = g.nodes[node]
        lines.append(f"  {ids[node]}{_mermaid_shape(data['kind'], display(data))}")
    blocked = []
    for i, (a, b, data) in enumerate(_sorted_edges(g)):
        lines.append(f"  {_mermaid_edge(ids[a], ids[b], data)}")
        if data.get("relation") == BLOCKED:
            blocked.append(str(i))
    lines += _mermaid_classes(g, ids)
    if blocked:
        lines.append(f"  linkStyle {','.join(blocked)} stroke:#c53030,stroke-width:2px,color:#c53030")
    return "\n".join(lines) + "\n"


def _mermaid_shape(kind: str, label: str) -> str:
    opening, closing = MERMAID_SHAPES.get(kind, ('["', '"]'))
    return f"{opening}{mermaid_text(label)}{closing}"


def _mermaid_edge(a: str, b: str, data: dict) -> str:
    relation, label = edge_text(data)
    arrow = "-->" if relation == FLOW else "-.->"
    return f'{a} {arrow}|"{mermaid_text(label)}"| {b}' if label else f"{a} {arrow} {b}"


def _mermaid_classes(g: nx.DiGraph, ids: dict[str, str]) -> list[str]:
    lines = [f"  classDef {name} {style}" for name, style in MERMAID_CLASSES.items()]
    groups: dict[str, list[str]] = {}
    for node in sorted(g.nodes):
        data = g.nodes[node]
        kind = data["kind"] if data["kind"] in NODE_KINDS else "command"
        if kind == "entry" and not data.get("reached"):
            kind = "unreachable"
        groups.setdefault(kind, []).append(ids[node])
    return lines + [f"  class {','.join(members)} {kind}" for kind, members in groups.items()]


# ----------------------------------------------------------------------------- graphml, json, svg
def graphml(g: nx.DiGraph) -> str:
    """GraphML (XML 1.0): every string, node ids included, without the control and
    invisible characters XML forbids or that would hide text (`terminal`)."""
    flat = exported(g)
    for _, data in flat.nodes(data=True):
        for key, value in list(data.items()):
            if isinstance(value, list):
                data[key] = terminal("\n".join(map(str, value)))
            elif value is None:
                del data[key]
            elif isinstance(value, str):
                data[key] = terminal(value)
    for _, _, data in flat.edges(data=True):
        for key, value in list(data.items()):
            if isinstance(value, str):
                data[key] = terminal(value)
    flat = nx.relabel_nodes(flat, _clean_ids(flat))
    buffer = io.BytesIO()
    nx.write_graphml(flat, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue().decode("utf-8")


def _clean_ids(g: nx.DiGraph) -> dict[str, str]:
    """Node id -> the id as `terminal` shows it, kept distinct (`#2`, `#3`... on a clash)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for node in sorted(g.nodes):
        clean = base = terminal(str(node))
        suffix = 1
        while clean in taken:
            suffix += 1
            clean = f"{base}#{suffix}"
        taken.add(clean)
        names[node] = clean
    return names


def node_link(g: nx.DiGraph) -> dict:
    data = nx.node_link_data(exported(g), edges="edges")
    data["nodes"].sort(key=lambda n: n["id"])
    data["edges"].sort(key=lambda e: (e["source"], e["target"]))
    return data


def node_link_json(g: nx.DiGraph) -> str:
    return json.dumps(node_link(g), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def svg(g: nx.DiGraph) -> str:
    binary = shutil.which("dot")
    if binary is None:
        raise GraphvizMissing(
            "--format svg needs Graphviz's `dot` on PATH (apt-get install graphviz, brew install graphviz); "
            "or use --format dot and render it elsewhere"
        )
    done = subprocess.run([binary, "-Tsvg"], input=dot(g), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GraphvizMissing(f"dot -Tsvg failed: {one_line(done.stderr)}")
    return done.stdout


# ----------------------------------------------------------------------------- one finding
MAX_FINDING_NODES = 6


def mermaid_for_finding(finding: Finding) -> str:
    """A small flowchart of a lost subject: the blocking path only (the job it ran in, the
    script, the array it was selected from, the entry) and the guard that now blocks it,
    at most six nodes.  Empty when the finding has no base run."""
    if not finding.base_runs:
        return ""
    frames = _blocking_path(run_frames(finding.base_runs[0], {}))
    lines = ["flowchart LR"]
    ids = [f"p{i}" for i in range(len(frames))]
    for node, frame in zip(ids, frames):
        where = f"\n{frame.location}" if frame.kind in ("job", "guard", "entry") else ""
        lines.append(f"  {node}{_mermaid_shape(frame.kind, clip(one_line(frame.text), LABEL_LIMIT) + where)}")
    lines += [f"  {a} --> {b}" for a, b in zip(ids, ids[1:])]
    target = ids[-1] if ids else ""
    guards = (finding.reason.guards if finding.reason else ())[: max(1, MAX_FINDING_NODES - len(frames))]
    for i, guard in enumerate(guards):
        need = "true" if guard.required else "false"
        text = f"{clip(one_line(guard.condition.text), LABEL_LIMIT)} needs {need}\n{guard.condition.location}"
        lines.append(f"  g{i}{_mermaid_shape('guard', text)}")
        if target:
            lines.append(f'  g{i} -.->|"{mermaid_text("blocks it now")}"| {target}')
    kinds = {frame.kind for frame in frames} | ({"guard"} if guards else set())
    lines += [f"  classDef {k} {MERMAID_CLASSES[k]}" for k in NODE_KINDS if k in kinds]
    for kind in NODE_KINDS:
        members = [node for node, frame in zip(ids, frames) if frame.kind == kind] + ([f"g{i}" for i in range(len(guards))] if kind == "guard" else [])
        if members:
            lines.append(f"  class {','.join(members)} {kind}")
    if guards and target:
        first = len(ids) - 1
        lines.append(f"  linkStyle {','.join(str(first + i) for i in range(len(guards)))} stroke:#c53030,stroke-width:2px")
    return "\n".join(lines) + "\n"


def _blocking_path(frames: list) -> list:
    """Of a run's path to its entry: the job, the last script, the last array and the entry
    (commands, functions and the guards it passed then are left out)."""
    entry = next((i for i, f in enumerate(frames) if f.kind == "entry"), None)
    frames = frames[: entry + 1] if entry is not None else frames
    picked = [next((f for f in frames if f.kind == "job"), None)]
    picked += [next((f for f in reversed(frames) if f.kind == kind), None) for kind in ("script", "array", "entry")]
    kept = [f for f in picked if f is not None]
    return kept or frames[-1:]
