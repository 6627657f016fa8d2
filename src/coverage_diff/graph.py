"""The coverage graph: one revision's runs drawn as a `networkx.DiGraph`.

Nodes are the steps of the runs' paths (job → command → script → guard branch
→ array → config entry → run), shared where two runs pass the same step, plus
every config entry no run reaches.  Edges carry a `relation`:

- `flow`: some run went this way (built from the runs' Frames);
- `calls`: a job enters a script but no run of it passes there;
- `defines`: a script or array holds an entry no run reaches;
- `needs`: the guard branch an unreached entry would need;
- `blocked`: leaves a guard branch that no job satisfies.

`build_graph` is cheap (what the inventory already knows); `add_blocking` finds
what blocks unreached entries, which means interpreting jobs again, so it is
asked only for the entries a question is about (or for all, to draw them).

Because script nodes are shared, graph ancestry over-approximates who reaches
what; exact paths live on the run nodes (`path`, a list of node ids), and
`paths_to` reads them.  Node attributes are JSON-friendly except `run` and
`entries`, which keep the model objects for `explain`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx

from .model import Condition, ConfigEntry, Frame, Guard, Job, Location, Run
from .world import closed_outcomes, open_world, unmet

if TYPE_CHECKING:
    from .inventory import Inventory

NODE_KINDS = ("job", "command", "script", "function", "guard", "array", "entry", "run")
FLOW, CALLS, DEFINES, NEEDS, BLOCKED = "flow", "calls", "defines", "needs", "blocked"
STATIC = (CALLS, DEFINES, NEEDS, BLOCKED)


# ----------------------------------------------------------------------------- node ids
def job_node(job_id: str) -> str:
    return f"job:{job_id}"


def script_node(path: str) -> str:
    return f"script:{path}"


def guard_node(location: Location, outcome: bool | None) -> str:
    # Keyed by line, not column: a Frame and a Condition may point at different columns.
    branch = {True: "true", False: "false", None: "taken"}[outcome]
    return f"guard:{location.path}:{location.line}:{branch}"


def array_node(path: str, name: str) -> str:
    return f"array:{path}:{name}"


def entry_node(entry: ConfigEntry) -> str:
    return f"entry:{entry.location.path}:{entry.location.line}:{entry.identity}"


def run_node(index: int) -> str:
    return f"run:{index}"


# ----------------------------------------------------------------------------- building
def build_graph(inventory: Inventory) -> nx.DiGraph:
    """The coverage graph of one inventory: its runs' paths and every entry no run
    reaches (what blocks those is added by `add_blocking`, which interprets more)."""
    g = nx.DiGraph(revision=getattr(inventory.snapshot, "name", ""))
    for job in inventory.jobs:
        _add_job(g, job)
    conditions = {job_id: _outcomes_by_line(o.conditions) for job_id, o in inventory.outcomes.items()}
    # The interpreter records every guard on the environment a run passes; with those, a run
    # without any passed none, and nothing is inferred for it.
    exact = any(f.kind == "guard" for run in inventory.runs for f in run.path)
    for index, run in enumerate(inventory.runs):
        _add_run(g, index, run, conditions.get(run.job_id, {}), exact)
    _add_script_calls(g, inventory)
    for entry in inventory.unreached_entries():
        _add_unreached(g, entry)
    return g


def _add_job(g: nx.DiGraph, job: Job) -> None:
    g.add_node(
        job_node(job.id), kind="job", label=job.display, text=job.display, job_id=job.id,
        path=job.location.path, line=job.location.line, env=[f"{k}={v}" for k, v in job.env],
        tier=job.tier.value, platform=job.platform, reached=False,
    )


def _add_run(g: nx.DiGraph, index: int, run: Run, conditions: dict, exact: bool = False) -> None:
    ids: list[str] = []
    envs: list[list[str]] = []  # what each step sets on this path (a script's call env is per call)
    frames = run_frames(run, conditions, exact)
    if not frames or frames[0].kind != "job":
        _touch(g, job_node(run.job_id), kind="job", label=run.job_id, text=run.job_id, job_id=run.job_id, path="", line=0, env=[])
        ids.append(job_node(run.job_id))
        envs.append([])
    for frame in frames:
        node = _add_frame(g, frame, run, conditions)
        if node not in ids:  # a step met twice (an entry frame repeated after a nested call) is one step
            ids.append(node)
            envs.append([f"{k}={v}" for k, v in frame.env] or list(g.nodes[node].get("env", [])))
    me = run_node(index)
    g.add_node(
        me, kind="run", label=" ".join(run.argv), text=" ".join(run.argv), argv=list(run.argv),
        env=[f"{k}={v}" for k, v in run.env], job_id=run.job_id, cwd=run.cwd, subject=run.subject,
        path=run.location.path, line=run.location.line, conditional=run.conditional,
        from_entry=run.entry is not None, nodes=ids + [me], envs=envs + [[]], reached=True, run=run,
    )
    ids.append(me)
    envs.append([])
    for node in ids:
        g.nodes[node]["reached"] = True
    for (a, b), env in zip(zip(ids, ids[1:]), envs[1:]):
        if g.has_edge(a, b) and g.edges[a, b]["relation"] == FLOW:
            g.edges[a, b]["runs"] += 1
        else:
            # A call's environment labels the edge into the script; a job's env the edge out of it.
            label = env if g.nodes[b]["kind"] == "script" else g.nodes[a].get("env", []) if g.nodes[a]["kind"] == "job" else []
            g.add_edge(a, b, relation=FLOW, runs=1, label=" ".join(label))


def run_frames(run: Run, conditions: dict, exact: bool = False) -> list[Frame]:
    """A run's path as graph steps.  Guard frames are the interpreter's (`exact`, or the run has
    some); only for runs recorded without them are they inferred: after each script, the guards
    its job evaluated there with a single outcome (or that the run assumed), by line.  Before the
    entry, its array."""
    frames = [f for f in run.path if f.kind != "leaf"]
    has_guards = exact or any(f.kind == "guard" for f in frames)
    has_array = any(f.kind == "array" for f in frames)
    out: list[Frame] = []
    for frame in frames:
        if frame.kind == "entry" and not has_array and run.entry is not None and not any(f.kind == "array" for f in out):
            out.append(Frame("array", Location(run.entry.location.path), run.entry.array))
        out.append(frame)
        if frame.kind == "script" and not has_guards:
            out += inferred_guards(frame.text or frame.location.path, run, conditions)
    return out


def inferred_guards(script: str, run: Run, conditions: dict) -> list[Frame]:
    found: dict[int, Frame] = {}
    for a in run.assumptions:
        if a.condition.location.path == script:
            found[a.condition.location.line] = Frame("guard", a.condition.location, a.condition.text)
    for (path, line), seen in conditions.items():
        if path == script and line not in found and len(seen["outcomes"]) == 1:
            found[line] = Frame("guard", Location(path, line), seen["text"])
    return [found[line] for line in sorted(found)]


def _add_frame(g: nx.DiGraph, frame: Frame, run: Run, conditions: dict) -> str:
    loc = frame.location
    env = [f"{k}={v}" for k, v in frame.env]
    if frame.kind == "job":
        node = job_node(run.job_id)
        _touch(g, node, kind="job", label=frame.text, text=frame.text, job_id=run.job_id, path=loc.path, line=loc.line, env=env)
    elif frame.kind == "command":
        node = f"command:{run.job_id}:{loc.path}:{loc.line}"
        _touch(g, node, kind="command", label=frame.text, text=frame.text, path=loc.path, line=loc.line, env=env)
    elif frame.kind == "script":  # the frame's location is the call; its text the script
        node = _touch_script(g, frame.text or loc.path)
    elif frame.kind == "function":
        node = f"function:{loc.path}:{frame.text}"
        _touch(g, node, kind="function", label=frame.text, text=frame.text, path=loc.path, line=loc.line, env=[])
    elif frame.kind == "guard":
        text, outcome = split_guard(frame.text)
        if outcome is None:
            outcome = guard_outcome(frame, run, conditions)
        node = guard_node(loc, outcome)
        _touch(g, node, kind="guard", label=_guard_label(text, outcome), text=text, path=loc.path, line=loc.line,
               outcome=outcome, variables=_variables_at(run, loc, conditions), env=env)
    elif frame.kind == "array":
        node = array_node(loc.path, frame.text)
        _touch(g, node, kind="array", label=frame.text, text=frame.text, path=loc.path, line=loc.line, env=[])
    elif frame.kind == "entry":
        node = _add_entry(g, run.entry or ConfigEntry(frame.text, loc, "?"))
    else:  # an unknown kind is still drawn, never dropped
        node = f"{frame.kind}:{loc.path}:{loc.line}:{frame.text}"
        _touch(g, node, kind=frame.kind, label=frame.text, text=frame.text, path=loc.path, line=loc.line, env=env)
    return node


def _add_entry(g: nx.DiGraph, entry: ConfigEntry) -> str:
    node = entry_node(entry)
    if node not in g:
        g.add_node(
            node, kind="entry", label=entry.text, text=entry.text, identity=entry.identity, array=entry.array,
            path=entry.location.path, line=entry.location.line, reached=False, entries=[entry],
        )
    return node


def _touch(g: nx.DiGraph, node: str, **attrs) -> None:
    """Add a node the first time it is met; later runs through it change nothing."""
    if node not in g:
        g.add_node(node, reached=False, **attrs)


def _guard_label(text: str, outcome: bool | None) -> str:
    return text if outcome is None else f"{text} is {'true' if outcome else 'false'}"


GUARD_OUTCOME = " → "  # the interpreter writes a guard frame as `CONDITION → true|false`


def split_guard(text: str) -> tuple[str, bool | None]:
    """A guard frame's condition text and the branch taken, when the frame says it."""
    condition, sep, outcome = text.rpartition(GUARD_OUTCOME)
    if sep and outcome in ("true", "false"):
        return condition, outcome == "true"
    return text, None


def guard_outcome(frame: Frame, run: Run, conditions: dict) -> bool | None:
    """The branch a run took at a guard: from its own assumptions, else from what its
    job evaluated at that line when that was one outcome only, else from the frame text."""
    for a in run.assumptions:
        if _same_line(a.condition.location, frame.location):
            return a.condition.outcome
    seen = conditions.get((frame.location.path, frame.location.line))
    if seen and len(seen["outcomes"]) == 1:
        return next(iter(seen["outcomes"]))
    tail = frame.text.rstrip().lower()
    for words, outcome in ((("true", "then", "matched"), True), (("false", "else", "not matched"), False)):
        if any(tail.endswith(w) or tail.endswith(f"({w})") for w in words):
            return outcome
    return None


def _outcomes_by_line(conditions: Iterable[Condition]) -> dict:
    """(path, line) -> the outcomes a job's conditions there had, their variables and text."""
    found: dict = {}
    for c in conditions:
        seen = found.setdefault((c.location.path, c.location.line), {"outcomes": set(), "variables": [], "text": c.text})
        seen["outcomes"].add(c.outcome)
        seen["variables"].extend(v for v in c.variables if v not in seen["variables"])
    return found


def _variables_at(run: Run, location: Location, conditions: dict) -> list[str]:
    for a in run.assumptions:
        if _same_line(a.condition.location, location):
            return list(a.condition.variables)
    seen = conditions.get((location.path, location.line))
    return list(seen["variables"]) if seen else []


def _same_line(a: Location, b: Location) -> bool:
    return a.path == b.path and a.line == b.line


def _add_script_calls(g: nx.DiGraph, inventory: Inventory) -> None:
    """Jobs that enter a script without any run passing there still reach it."""
    travelled = {(d["job_id"], n) for _, d in g.nodes(data=True) if d["kind"] == "run" for n in d["nodes"]}
    for path, calls in inventory.script_calls.items():
        target = script_node(path)
        for call in calls:
            source = job_node(call.job_id)
            if source not in g or (call.job_id, target) in travelled or g.has_edge(source, target):
                continue
            _touch(g, target, kind="script", label=path, text=path, path=path, line=0, env=[])
            env = " ".join(f"{k}={v}" for k, v in call.env)
            g.add_edge(source, target, relation=CALLS, runs=0, label=env, location=str(call.location))


def _add_unreached(g: nx.DiGraph, entry: ConfigEntry) -> None:
    """An entry no run reaches, held by its array (and the array by its script when
    nothing reaches the array either); `add_blocking` later says what blocks it."""
    node = _add_entry(g, entry)
    g.nodes[node].update(unreachable=True, blocked_by=[], explained=False)
    array = array_node(entry.location.path, entry.array)
    _touch(g, array, kind="array", label=entry.array, text=entry.array, path=entry.location.path, line=0, env=[])
    _static_edge(g, array, node, DEFINES)
    if not any(g.edges[p, array]["relation"] == FLOW for p in g.predecessors(array)):
        script = _touch_script(g, entry.location.path)
        _static_edge(g, script, array, DEFINES)


def _touch_script(g: nx.DiGraph, path: str) -> str:
    node = script_node(path)
    _touch(g, node, kind="script", label=path, text=path, path=path, line=0, env=[])
    return node


def add_blocking(g: nx.DiGraph, inventory: Inventory, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """Add, for unreached entry nodes (all of them when `nodes` is None), the guard
    branches that block them: script -needs-> guard -blocked-> ... -> array.  Each
    entry is explained once; the graph is changed in place and returned."""
    wanted = unreachable_entries(g) if nodes is None else [n for n in nodes if n in g]
    todo = [n for n in wanted if g.nodes[n]["kind"] == "entry" and not g.nodes[n]["reached"] and not g.nodes[n].get("explained")]
    if not todo:
        return g
    witnesses = g.graph.setdefault("_witnesses", Witnesses(inventory))
    g.graph.pop("_subjects", None)  # new guard nodes are new subjects
    for node in todo:
        data = g.nodes[node]
        guards = witnesses.blocking(data["identity"], data["path"])
        data["explained"] = True
        data["reason_text"] = witnesses.summary(guards, data["path"])
        if guards:
            _add_guard_chain(g, node, guards)
    return g


def _add_guard_chain(g: nx.DiGraph, node: str, guards: tuple[Guard, ...]) -> None:
    data = g.nodes[node]
    array = array_node(data["path"], data["array"])
    script = script_node(data["path"])
    if g.has_edge(script, array) and g.edges[script, array]["relation"] == DEFINES:
        g.remove_edge(script, array)  # the guard chain now says how the script gets there
    previous, relation = _touch_script(g, guards[0].condition.location.path), NEEDS
    for guard in guards:
        cond = guard.condition
        gnode = guard_node(cond.location, guard.required)
        _touch(g, gnode, kind="guard", label=_guard_label(cond.text, guard.required), text=cond.text, path=cond.location.path,
               line=cond.location.line, outcome=guard.required, variables=list(cond.variables), env=[])
        g.nodes[gnode].update(blocking=True, provided=[f"{job}: {var}={value}" for job, var, value in guard.provided])
        data["blocked_by"].append(gnode)
        _static_edge(g, previous, gnode, relation)
        previous, relation = gnode, BLOCKED
    _static_edge(g, previous, array, BLOCKED)


def _static_edge(g: nx.DiGraph, a: str, b: str, relation: str) -> None:
    if a == b:
        return
    if g.has_edge(a, b):
        if relation == BLOCKED and g.edges[a, b]["relation"] != FLOW:
            g.edges[a, b]["relation"] = BLOCKED
        return
    g.add_edge(a, b, relation=relation, runs=0, label="blocked" if relation == BLOCKED else "")


class Witnesses:
    """What blocks unreached entries, found the way `reasons.best_witness` finds it
    (re-run the jobs reaching the script with every inherited variable unknown; the
    best run of the entry needs the fewest conditions its job does not meet) but with
    each job interpreted once and shared by every entry of the script: linear in jobs,
    not in jobs times entries.  `explain` still asks `reasons` for the full Reason."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self._by_script: dict[str, dict[str, list[tuple[str, Run]]]] = {}
        self._closed: dict[str, dict] = {}

    def blocking(self, identity: str, script: str) -> tuple[Guard, ...] | None:
        """The guards a best witness needs and its job does not meet; None: no witness."""
        best = None
        for job_id, run in self._runs_by_subject(script).get(identity, []):
            if job_id not in self._closed:
                self._closed[job_id] = closed_outcomes(self.inventory.outcomes.get(job_id))
            needs = unmet(run.assumptions, self._closed[job_id])
            key = (len(needs), len(run.assumptions), job_id)
            if best is None or key < best[0]:
                best = (key, needs)
        if best is None:
            return None
        return tuple(Guard(a.condition, a.condition.outcome, self.inventory.provided_values(a.condition.variables, [script]))
                     for a in best[1])

    def summary(self, guards: tuple[Guard, ...] | None, script: str) -> str:
        if guards:
            return "; ".join(f"needs `{g.condition.text}` ({g.condition.location}) to be {str(g.required).lower()}" for g in guards)
        if script not in self.inventory.script_calls:
            return f"no job runs {script}"
        return "no path through the scripts reaches it, even with every inherited variable free"

    def _runs_by_subject(self, script: str) -> dict[str, list[tuple[str, Run]]]:
        if script not in self._by_script:
            index: dict[str, list[tuple[str, Run]]] = {}
            for job in self.inventory.jobs_reaching([script]):
                for run in open_world(self.inventory).outcome(job).runs:  # shared with reasons and audits
                    index.setdefault(run.subject, []).append((job.id, run))
            self._by_script[script] = index
        return self._by_script[script]


# ----------------------------------------------------------------------------- questions
def reaches(g: nx.DiGraph, node: str) -> bool:
    """Whether some run of some job passes through the node."""
    return bool(g.nodes[node].get("reached"))


def runs_through(g: nx.DiGraph, node: str) -> list[str]:
    """Run nodes whose path passes through the node, in run order."""
    index = g.graph.get("_runs_through")
    if index is None:  # built once: runs are all added by build_graph, add_blocking adds none
        index = {}
        for run, data in g.nodes(data=True):
            if data["kind"] == "run":
                for step in data["nodes"]:
                    index.setdefault(step, []).append(run)
        g.graph["_runs_through"] = index
    return list(index.get(node, ()))


def paths_to(g: nx.DiGraph, node: str) -> list[tuple[str, ...]]:
    """Every distinct path (node ids from a job) by which runs reach the node."""
    found: dict[tuple[str, ...], None] = {}
    for run in runs_through(g, node):
        nodes = g.nodes[run]["nodes"]
        found[tuple(nodes[: nodes.index(node) + 1])] = None
    return list(found)


def blocking_guards(g: nx.DiGraph, node: str) -> list[str]:
    """Guard branches that block every path to an unreached node (empty when reached)."""
    if reaches(g, node):
        return []
    found: dict[str, None] = {}
    todo, seen = [node], {node}
    while todo:
        current = todo.pop()
        for source in g.predecessors(current):
            relation = g.edges[source, current]["relation"]
            if relation not in (BLOCKED, DEFINES, NEEDS) or source in seen:
                continue
            if relation == BLOCKED and g.nodes[source]["kind"] == "guard":
                found[source] = None
            seen.add(source)
            todo.append(source)
    return sorted(found, key=lambda n: (g.nodes[n]["path"], g.nodes[n]["line"]))


def unreachable_entries(g: nx.DiGraph) -> list[str]:
    return [n for n, d in g.nodes(data=True) if d["kind"] == "entry" and not d["reached"]]


# ----------------------------------------------------------------------------- queries
_PATH_LINE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+)$")
_GLOB = re.compile(r"[*?\[]")


def match_nodes(g: nx.DiGraph, query: str) -> list[str]:
    """Nodes a query names: `path:line` of an entry, guard, command or test command;
    else a glob or (case-insensitive) substring of a config entry or a test command
    (a run that did not come from an entry)."""
    query = query.strip()
    at = _PATH_LINE.match(query)
    if at:
        path, line = at.group("path"), int(at.group("line"))
        return [n for n, d in g.nodes(data=True)
                if d["kind"] in ("entry", "guard", "command", "run") and d["line"] == line and _same_path(d["path"], path)
                and (d["kind"] != "run" or not d["from_entry"])]
    wanted = query.lower()
    glob = bool(_GLOB.search(query))
    found = []
    for n, d in g.nodes(data=True):
        texts = _searchable(d)
        if texts and any(fnmatch.fnmatchcase(t.lower(), wanted) if glob else wanted in t.lower() for t in texts):
            found.append(n)
    return found


def _searchable(data: dict) -> list[str]:
    if data["kind"] == "entry":
        return [data["text"], data["identity"]]
    if data["kind"] == "run" and not data["from_entry"]:
        return [data["subject"]]
    return []


def _same_path(node_path: str, query_path: str) -> bool:
    query_path = query_path.lstrip("./") if query_path.startswith("./") else query_path
    return node_path == query_path or node_path.endswith("/" + query_path)


def focus(g: nx.DiGraph, nodes: Iterable[str]) -> nx.DiGraph:
    """The neighbourhood of some nodes: every run path through them (job to run), and
    for unreached ones their blocked chain and the paths that reach its script."""
    keep: dict[str, None] = {}
    for node in nodes:
        keep[node] = None
        for run in runs_through(g, node):
            keep.update(dict.fromkeys(g.nodes[run]["nodes"]))
        if not reaches(g, node):
            keep.update(dict.fromkeys(_static_chain(g, node)))
    for node in list(keep):
        if g.nodes[node]["kind"] == "script":
            for path in paths_to(g, node):
                keep.update(dict.fromkeys(path))
            keep.update(dict.fromkeys(s for s in g.predecessors(node) if g.edges[s, node]["relation"] == CALLS))
    small = g.subgraph(keep).copy()
    for key in [k for k in small.graph if k.startswith("_")]:
        del small.graph[key]  # indexes and caches of the whole graph
    return small


def _static_chain(g: nx.DiGraph, node: str) -> list[str]:
    chain, todo = [], [node]
    while todo:
        current = todo.pop()
        for source in g.predecessors(current):
            if g.edges[source, current]["relation"] in (BLOCKED, DEFINES, NEEDS) and source not in chain:
                chain.append(source)
                todo.append(source)
    return chain
