"""The coverage graph of the vLLM-style example, its questions and its formats."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from coverage_diff import graph as cg
from coverage_diff.model import Condition, ConfigEntry, Location
from coverage_diff.report import graph as render

import mermaid_check

SWEEP = "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
GEMMA_LONG = "GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192"


def _entry(g, text):
    return next(n for n, d in g.nodes(data=True) if d["kind"] == "entry" and d["text"] == text)


@pytest.fixture(scope="module")
def head_graph(head):
    """The head's graph with every unreached entry's blocked chain."""
    return cg.add_blocking(cg.build_graph(head), head)


def test_building_alone_interprets_nothing_more_and_blocking_is_added_once(head):
    fresh = cg.build_graph(head)
    assert not any(d["relation"] == cg.BLOCKED for _, _, d in fresh.edges(data=True))
    node = _entry(fresh, GEMMA_LONG)
    assert fresh.nodes[node]["unreachable"] and not fresh.nodes[node]["explained"]
    cg.add_blocking(fresh, head, [node])
    edges = fresh.number_of_edges()
    assert fresh.nodes[node]["explained"] and cg.blocking_guards(fresh, node)
    cg.add_blocking(fresh, head, [node])
    assert fresh.number_of_edges() == edges


def test_blocking_guards_agree_with_reasons(head, head_graph):
    from coverage_diff.reasons import explain_missing

    for node in cg.unreachable_entries(head_graph):
        data = head_graph.nodes[node]
        reason = explain_missing(head, data["identity"], scripts=[data["path"]])
        expected = [cg.guard_node(g.condition.location, g.required) for g in reason.guards]
        assert cg.blocking_guards(head_graph, node) == expected


def test_every_node_has_a_known_kind_and_runs_end_paths(head):
    g = cg.build_graph(head)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"job", "command", "script", "guard", "array", "entry", "run"} <= kinds
    assert kinds <= set(cg.NODE_KINDS)
    for node, data in g.nodes(data=True):
        if data["kind"] == "run":
            assert data["nodes"][0].startswith("job:") and data["nodes"][-1] == node
            assert all(g.has_edge(a, b) for a, b in zip(data["nodes"], data["nodes"][1:]))


def test_the_graph_is_a_function_of_the_inventory(head):
    """Each call builds a new graph; explaining a blocked entry adds its chain to explain's
    own graph and leaves the next one built as plain as the first."""
    from coverage_diff.explain import explain

    first, second = cg.build_graph(head), cg.build_graph(head)
    assert first is not second
    assert sorted(first.edges) == sorted(second.edges) and sorted(first.nodes) == sorted(second.nodes)
    assert not explain(head, "gemma-3").subjects[0].head.reached
    third = cg.build_graph(head)
    assert not any(d["relation"] == cg.BLOCKED for _, _, d in third.edges(data=True))
    assert sorted(third.edges) == sorted(first.edges)


def test_gemma_reached_at_base_through_tp_configs_from_two_jobs(base):
    g = cg.build_graph(base)
    node = _entry(g, GEMMA_LONG)
    assert cg.reaches(g, node)
    paths = cg.paths_to(g, node)
    jobs = sorted(g.nodes[p[0]]["label"] for p in paths)
    assert jobs == ["CrossLayer KV layout NixlConnector PD accuracy tests (4 GPUs)", "NixlConnector PD accuracy tests (4 GPUs)"]
    for path in paths:
        assert cg.array_node(SWEEP, "tp_configs") in path
        sw_attn = [n for n in path if g.nodes[n]["kind"] == "guard" and "SW_ATTN" in g.nodes[n]["text"]]
        assert [g.nodes[n]["outcome"] for n in sw_attn] == [False]
    assert cg.blocking_guards(g, node) == []


def test_gemma_blocked_at_head_by_the_sw_attn_guard(head_graph):
    g = head_graph
    node = _entry(g, GEMMA_LONG)
    assert not cg.reaches(g, node)
    assert g.nodes[node]["unreachable"] and cg.paths_to(g, node) == []
    guards = cg.blocking_guards(g, node)
    assert guards == [cg.guard_node(Location(SWEEP, 33), True)]
    assert g.nodes[guards[0]]["variables"] == ["SW_ATTN"]
    blocked = [(a, b) for a, b, d in g.edges(data=True) if d["relation"] == cg.BLOCKED]
    assert blocked == [(guards[0], cg.array_node(SWEEP, "sw_attn_configs"))]
    assert node in cg.unreachable_entries(g)


def test_match_nodes_by_substring_glob_and_path_line(head):
    g = cg.build_graph(head)
    gemma = {n for n in cg.match_nodes(g, "GEMMA-3")}
    assert len(gemma) == 3 and all(g.nodes[n]["kind"] == "entry" for n in gemma)
    assert set(cg.match_nodes(g, "*gemma-3*PREFILLER_TP_SIZE=2*")) == {n for n in gemma if "PREFILLER_TP_SIZE=2" in n}
    at_guard = cg.match_nodes(g, f"{SWEEP}:33")
    assert {g.nodes[n]["kind"] for n in at_guard} == {"guard"}
    assert cg.match_nodes(g, "nixl_integration/config_sweep_accuracy_test.sh:23") == [_entry(g, GEMMA_LONG)]
    commands = cg.match_nodes(g, "test_comm_ops")
    assert commands and all(g.nodes[n]["kind"] == "run" and not g.nodes[n]["from_entry"] for n in commands)
    assert cg.match_nodes(g, "no-such-thing") == []


def test_focus_keeps_the_blocked_chain_and_the_jobs_reaching_the_script(head_graph):
    g = head_graph
    small = cg.focus(g, cg.match_nodes(g, "gemma-3"))
    assert small.number_of_nodes() < g.number_of_nodes()
    assert cg.guard_node(Location(SWEEP, 33), True) in small
    jobs = {d["label"] for _, d in small.nodes(data=True) if d["kind"] == "job"}
    assert "DP EP NixlConnector PD accuracy tests (4 GPUs)" in jobs and "Distributed Comm Ops (2 GPUs)" not in jobs
    assert not any(d["kind"] == "run" for _, d in small.nodes(data=True))


def test_mermaid_focus_parses_and_shows_the_blocked_edge(head_graph):
    g = cg.focus(head_graph, cg.match_nodes(head_graph, "gemma-3"))
    chart = mermaid_check.parse(render.mermaid(g))
    guard = next(i for i in chart.nodes if chart.nodes[i][0] == '{"' and "SW_ATTN" in chart.decoded(i))
    blocked = [(k, e) for k, e in enumerate(chart.edges) if e[0] == guard]
    assert len(blocked) == 1 and blocked[0][1][2] == "-.->" and blocked[0][1][3] == "blocked"
    assert "c53030" in chart.link_styles[blocked[0][0]]
    target = blocked[0][1][1]
    assert chart.decoded(target).startswith("sw_attn_configs")
    assert len(chart.classes["unreachable"]) == 3
    assert all(chart.decoded(n).startswith("UNREACHED: ") for n in chart.classes["unreachable"])
    assert '[[ -n "${SW_ATTN:-}" ]] is true' in chart.decoded(guard)


def test_full_mermaid_of_both_revisions_parses(base, head):
    for inventory in (base, head):
        g = cg.build_graph(inventory)
        chart = mermaid_check.parse(render.mermaid(g))
        assert len(chart.nodes) == g.number_of_nodes()
        assert len(chart.edges) == g.number_of_edges()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (.ci/run installs it)")
def test_dot_is_valid_graphviz(head_graph):
    done = subprocess.run(["dot", "-Tsvg"], input=render.dot(head_graph), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(done.stdout)
    assert root.tag.endswith("svg")
    assert "UNREACHED: GPU_MEMORY_UTILIZATION=0.8" in done.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (.ci/run installs it)")
def test_svg_format_uses_graphviz(head_graph):
    assert render.render(head_graph, "svg").lstrip().startswith("<?xml")


def test_svg_without_graphviz_says_how_to_get_it(head, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda _name: None)
    with pytest.raises(render.GraphvizMissing, match="Graphviz"):
        render.render(cg.build_graph(head), "svg")


def test_dot_marks_unreachable_entries_and_blocked_edges(head_graph):
    text = render.dot(head_graph)
    assert text.count('color="#c53030", tooltip=') == 3
    assert text.count('color="#c53030", fontcolor="#c53030"') == 1


def test_graphml_and_json_read_back_into_networkx(head_graph):
    g = head_graph
    back = nx.read_graphml(io.BytesIO(render.graphml(g).encode()))
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    data = json.loads(render.node_link_json(g))
    again = nx.node_link_graph(data, edges="edges")
    assert set(again.nodes) == set(g.nodes)
    node = _entry(g, GEMMA_LONG)
    assert again.nodes[node]["unreachable"] is True and again.nodes[node]["reached"] is False


def test_unknown_format_is_refused(head):
    with pytest.raises(ValueError, match="unknown graph format"):
        render.render(cg.build_graph(head), "png")


# ----------------------------------------------------------------------------- hostile text
HOSTILE = 'x"];\n  evil --> pwn\n%% `$$\\frac{1}{2}$$` <img src=x onerror=alert(1)> #35; \\" }} {{ ]] |'


def hostile_graph() -> nx.DiGraph:
    g = nx.DiGraph(revision=HOSTILE)
    entry = ConfigEntry(HOSTILE, Location(f"dir/{HOSTILE}.sh", 3), "arr")
    cond = Condition(Location("a.sh", 2), HOSTILE, ("X",), True)
    g.add_node("job:" + HOSTILE, kind="job", label=HOSTILE, text=HOSTILE, path=f"{HOSTILE}.yml", line=1, env=[f"A={HOSTILE}"], reached=True)
    g.add_node("guard:" + HOSTILE, kind="guard", label=cond.text, text=cond.text, path="a.sh", line=2, outcome=True, reached=False)
    g.add_node(cg.entry_node(entry), kind="entry", label=entry.text, text=entry.text, identity=entry.identity, path=entry.location.path,
               line=3, reached=False, unreachable=True)
    g.add_edge("job:" + HOSTILE, "guard:" + HOSTILE, relation=cg.FLOW, runs=1, label=HOSTILE)
    g.add_edge("guard:" + HOSTILE, cg.entry_node(entry), relation=cg.BLOCKED, runs=0, label=HOSTILE)
    return g


def test_hostile_labels_stay_labels_in_mermaid():
    chart = mermaid_check.parse(render.mermaid(hostile_graph()))
    assert len(chart.nodes) == 3 and len(chart.edges) == 2
    assert any(HOSTILE.split("\n")[0] in chart.decoded(n) for n in chart.nodes)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (.ci/run installs it)")
def test_hostile_labels_stay_labels_in_dot():
    done = subprocess.run(["dot", "-Tjson"], input=render.dot(hostile_graph()), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    drawn = json.loads(done.stdout)
    assert len(drawn["objects"]) == 3 and len(drawn["edges"]) == 2


def test_dot_string_escapes_quotes_backslashes_and_newlines():
    assert render.dot_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_hostile_labels_round_trip_through_graphml_and_json():
    g = hostile_graph()
    back = nx.read_graphml(io.BytesIO(render.graphml(g).encode()))
    assert back.nodes["job:" + HOSTILE]["label"] == HOSTILE.replace("\r", "")
    data = json.loads(render.node_link_json(g))
    assert any(n["label"] == HOSTILE for n in data["nodes"])
