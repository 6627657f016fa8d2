"""`explain`: why a config entry, test command or guard runs at a revision, or not.

Paths are read off the revision's coverage graph (`graph.py`): the run nodes
hold them.  For a matched entry no run reaches, the graph gets its blocked
chain (`add_blocking`) and `reasons.explain_missing` gives the full reason:
blocking guards, the values jobs provide, near misses and a suggested fix.
With a base inventory, each matched subject is also shown as it was there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

from .graph import add_blocking, build_graph, match_nodes, runs_through, unreachable_entries
from .reasons import explain_missing
from .model import ConfigEntry, Diagnostic, Env, Incomplete, Location, Reason, Run

if TYPE_CHECKING:
    from .inventory import Inventory


@dataclass(frozen=True)
class Step:
    """One step of a path: a job, a command line, a script, a guard branch, an array, an entry."""

    kind: str
    text: str
    location: Location | None
    env: Env = ()  # what this step sets (job env, command prefixes)
    outcome: bool | None = None  # for guards: the branch taken


@dataclass(frozen=True)
class ReachPath:
    """One way CI reaches the subject, and the runs it makes from there."""

    job_id: str
    job_label: str
    steps: tuple[Step, ...]
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Side:
    """The subject at one revision."""

    revision: str
    defined: tuple[ConfigEntry, ...]  # where the entry is written (entries only)
    locations: tuple[Location, ...]  # where a guard / command / test command is written
    reached: bool
    paths: tuple[ReachPath, ...]
    reason: Reason | None = None  # when defined but not reached: blocking guards, values, fix
    blocks: tuple[str, ...] = ()  # for a guard: entries it keeps from running


@dataclass(frozen=True)
class SubjectExplanation:
    kind: str  # "entry" | "command" (a test command) | "guard" | "step" (a CI command line)
    subject: str  # entry identity, canonical command, or path:line
    text: str  # as written
    head: Side
    base: Side | None = None


@dataclass(frozen=True)
class ExplainResult:
    query: str
    head: str
    base: str | None
    subjects: tuple[SubjectExplanation, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    more: int = 0  # matches left out by the limit


DEFAULT_LIMIT = 50


def explain(inventory: Inventory, query: str, base_inventory: Inventory | None = None, limit: int = DEFAULT_LIMIT) -> ExplainResult:
    """Explain the first `limit` subjects the query matches (a broad query costs one
    `reasons` call per unreached match); `ExplainResult.more` counts the rest."""
    graphs = [(build_graph(inventory), inventory)]  # each its own graph: blocked chains are added to it below
    if base_inventory is not None:
        graphs.append((build_graph(base_inventory), base_inventory))
    keys: dict[tuple[str, str], str] = {}
    for g, _ in graphs:
        for node in match_nodes(g, query):
            keys.setdefault(subject_key(g, node), g.nodes[node]["text"])
    chosen = list(keys.items())[:limit]
    for g, inv in graphs:  # what a matched guard blocks is in its blocked chains
        add_blocking(g, inv, _entries_near_guards(g, [n for key, _ in chosen for n in _subject_nodes(g).get(key, [])]))
    sides = [[side(g, inv, kind, subject) for g, inv in graphs] for (kind, subject), _ in chosen]
    return ExplainResult(
        query=query,
        head=_name(inventory),
        base=_name(base_inventory) if base_inventory is not None else None,
        subjects=tuple(SubjectExplanation(kind, subject, text, found[0], found[1] if len(found) > 1 else None)
                       for ((kind, subject), text), found in zip(chosen, sides)),
        diagnostics=tuple(inventory.diagnostics),
        incomplete=tuple(inventory.incomplete),
        more=len(keys) - len(chosen),
    )


def _entries_near_guards(g: nx.DiGraph, nodes: list[str]) -> list[str]:
    """Unreached entries in the files of matched guards: the ones a guard may block."""
    files = {g.nodes[n]["path"] for n in nodes if g.nodes[n]["kind"] == "guard"}
    return [n for n in unreachable_entries(g) if g.nodes[n]["path"] in files]


def subject_key(g: nx.DiGraph, node: str) -> tuple[str, str]:
    data = g.nodes[node]
    if data["kind"] == "entry":
        return "entry", data["identity"]
    if data["kind"] == "run":
        return "command", data["subject"]
    return ("guard" if data["kind"] == "guard" else "step"), f"{data['path']}:{data['line']}"


def side(g: nx.DiGraph, inventory: Inventory, kind: str, subject: str) -> Side:
    nodes = _subject_nodes(g).get((kind, subject), [])
    paths = tuple(p for n in nodes for p in _reach_paths(g, n))
    reached = any(g.nodes[n]["reached"] for n in nodes)
    defined: tuple[ConfigEntry, ...] = ()
    reason = None
    if kind == "entry":
        defined = tuple(inventory.entries.get(subject, ()))
        if defined and not reached:
            reason = explain_missing(inventory, subject, scripts=list(dict.fromkeys(e.location.path for e in defined)))
    locations = tuple(dict.fromkeys(Location(g.nodes[n]["path"], g.nodes[n]["line"]) for n in nodes))
    blocks = tuple(dict.fromkeys(_blocked_by(g, nodes))) if kind == "guard" else ()
    return Side(_name(inventory), defined, locations, reached, paths, reason, blocks)


def _subject_nodes(g: nx.DiGraph) -> dict[tuple[str, str], list[str]]:
    """(kind, subject) -> the nodes that stand for it (several definitions, guard branches)."""
    index = g.graph.get("_subjects")
    if index is None:
        index = {}
        for node in g.nodes:
            if _is_subject_node(g, node):
                index.setdefault(subject_key(g, node), []).append(node)
        g.graph["_subjects"] = index
    return index


def _is_subject_node(g: nx.DiGraph, node: str) -> bool:
    data = g.nodes[node]
    return data["kind"] in ("entry", "guard", "command") or (data["kind"] == "run" and not data["from_entry"])


def _reach_paths(g: nx.DiGraph, node: str) -> list[ReachPath]:
    """The distinct paths to the node, each with the runs made through it."""
    runs_by_path: dict[tuple[str, ...], list[Run]] = {}
    first_run: dict[tuple[str, ...], str] = {}
    for run in runs_through(g, node):
        nodes = g.nodes[run]["nodes"]
        prefix = tuple(nodes[: nodes.index(node) + 1])
        if g.nodes[node]["kind"] == "run":
            prefix = prefix[:-1]  # a test command's own node is its run, shown once below
        runs_by_path.setdefault(prefix, []).append(g.nodes[run]["run"])
        first_run.setdefault(prefix, run)
    return [_reach_path(g, prefix, first_run[prefix], runs) for prefix, runs in runs_by_path.items()]


def _reach_path(g: nx.DiGraph, prefix: tuple[str, ...], run: str, runs: list[Run]) -> ReachPath:
    job = g.nodes[prefix[0]]
    envs = g.nodes[run]["envs"]
    steps = tuple(step_of(g, n, envs[i]) for i, n in enumerate(prefix))
    return ReachPath(job.get("job_id", prefix[0]), job["label"], steps, tuple(runs))


def step_of(g: nx.DiGraph, node: str, env: list[str]) -> Step:
    """A graph node as a step of one path; `env` is what the step set on that path."""
    data = g.nodes[node]
    location = Location(data["path"], data["line"]) if data.get("path") else None
    pairs = tuple(tuple(item.split("=", 1)) for item in env if "=" in item)
    return Step(data["kind"], data["text"], location, pairs, data.get("outcome"))


def _blocked_by(g: nx.DiGraph, guards: list[str]) -> list[str]:
    wanted = set(guards)
    return [d["identity"] for _, d in g.nodes(data=True) if d["kind"] == "entry" and wanted & set(d.get("blocked_by", ()))]


def _name(inventory: Inventory) -> str:
    return getattr(inventory.snapshot, "name", "") or ""
