"""`explain` on the vLLM-style example: gemma-3 ran at base from two steps through
tp_configs; at head it sits behind the SW_ATTN guard that no step satisfies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from coverage_diff.cli import app
from coverage_diff.explain import explain
from coverage_diff.report import explain as render

SWEEP = "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
GEMMA_LONG = "GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192"
DEFAULT_JOB = "NixlConnector PD accuracy tests (4 GPUs)"
CROSS_JOB = "CrossLayer KV layout NixlConnector PD accuracy tests (4 GPUs)"
GOLDEN = Path(__file__).parent / "golden"


def _gemma(result):
    return next(s for s in result.subjects if s.text == GEMMA_LONG)


@pytest.fixture(scope="module")
def gemma_result(head, base):
    return explain(head, "gemma-3", base)


def test_base_side_reached_from_default_and_cross_layer_steps_through_tp_configs(gemma_result):
    side = _gemma(gemma_result).base
    assert side.reached and side.reason is None
    assert sorted(p.job_label for p in side.paths) == sorted([DEFAULT_JOB, CROSS_JOB])
    for path in side.paths:
        kinds = [s.kind for s in path.steps]
        assert kinds[0] == "job" and kinds[1] == "command" and kinds[-2:] == ["array", "entry"]
        assert path.steps[kinds.index("array")].text == "tp_configs"
        assert str(path.steps[-1].location) == f"{SWEEP}:13"
        sw_attn = [s for s in path.steps if s.kind == "guard" and "SW_ATTN" in s.text]
        assert [s.outcome for s in sw_attn] == [False]
        assert path.runs and all(r.entry is not None and r.entry.text == GEMMA_LONG for r in path.runs)
    cross = next(p for p in side.paths if p.job_label == CROSS_JOB)
    command = next(s for s in cross.steps if s.kind == "command")
    assert command.text.startswith("CROSS_LAYERS_BLOCKS=True bash")


def test_head_side_blocked_by_sw_attn_guard_that_no_step_satisfies(gemma_result):
    side = _gemma(gemma_result).head
    assert not side.reached and side.paths == ()
    assert [(e.array, str(e.location)) for e in side.defined] == [("sw_attn_configs", f"{SWEEP}:23")]
    [guard] = side.reason.guards
    assert str(guard.condition.location) == f"{SWEEP}:33" and guard.required is True
    assert guard.condition.variables == ("SW_ATTN",)
    assert guard.provided and {value for _, var, value in guard.provided} == {"<unset>"}
    assert DEFAULT_JOB in {job for job, _, _ in guard.provided}


def test_suggested_step_is_yaml_that_sets_sw_attn(gemma_result):
    fix = _gemma(gemma_result).head.reason.fix
    [step] = yaml.safe_load(fix)
    assert "SW_ATTN=1 bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh" in step["commands"]


def test_text_shows_both_revisions_and_the_fix(gemma_result):
    text = render.render(gemma_result, "text")
    block = text.split("config entry: ")[1]
    assert "at base (base): RUNS, reached by 2 paths" in block
    assert f"job '{DEFAULT_JOB}'" in block and f"job '{CROSS_JOB}'" in block
    assert "-> array tp_configs" in block
    assert "at head (head): NOT RUN" in block
    assert f'blocked by `[[ -n "${{SW_ATTN:-}}" ]]` at {SWEEP}:33 (needs true)' in block
    assert "suggested fix (YAML ready to paste):" in block and "SW_ATTN=1 bash" in block


def test_json_carries_paths_reason_and_fix(gemma_result):
    data = json.loads(render.render(gemma_result, "json"))
    assert data["command"] == "explain" and data["query"] == "gemma-3" and data["base"] == "base"
    subject = next(s for s in data["subjects"] if s["text"] == GEMMA_LONG)
    assert subject["kind"] == "entry" and subject["base"]["reached"] and not subject["head"]["reached"]
    assert {p["label"] for p in subject["base"]["paths"]} == {DEFAULT_JOB, CROSS_JOB}
    guard = subject["head"]["reason"]["guards"][0]
    assert (guard["path"], guard["line"], guard["required"]) == (SWEEP, 33, True)
    assert "SW_ATTN=1" in subject["head"]["reason"]["fix"]


def test_a_guard_by_path_and_line_lists_what_it_blocks(head):
    result = explain(head, f"{SWEEP}:33")
    [subject] = result.subjects
    assert subject.kind == "guard" and subject.subject == f"{SWEEP}:33"
    assert subject.head.reached  # jobs pass it (taking the false branch)
    assert {p.job_label for p in subject.head.paths} >= {DEFAULT_JOB, CROSS_JOB}
    assert len(subject.head.blocks) == 3 and all("gemma-3" in b for b in subject.head.blocks)


def test_a_plain_test_command_is_explained_by_its_step(head):
    result = explain(head, "test_comm_ops")
    [subject] = result.subjects
    assert subject.kind == "command" and subject.head.reached
    [path] = subject.head.paths
    assert path.job_label == "Distributed Comm Ops (2 GPUs)" and [s.kind for s in path.steps][:2] == ["job", "command"]
    assert len(path.runs) == 1


def test_nothing_matches(head):
    assert explain(head, "no-such-config").subjects == ()


# ----------------------------------------------------------------------------- command line
def _cli(*args):
    return CliRunner().invoke(app, list(args))


def test_cli_explain_text_and_json(vllm_repo):
    done = _cli("explain", "head", "gemma-3", "--base", "base", "--repo", str(vllm_repo))
    assert done.exit_code == 0, done.output
    assert "blocked by" in done.output and "SW_ATTN=1 bash" in done.output
    done = _cli("explain", "gemma-3", "--repo", str(vllm_repo), "--format", "json")  # REV defaults to HEAD
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["head"] == "HEAD"


def test_cli_explain_without_match_is_an_input_error(vllm_repo):
    done = _cli("explain", "head", "zzz-nothing", "--repo", str(vllm_repo))
    assert done.exit_code == 2


def test_cli_graph_focus_mermaid_and_bad_focus(vllm_repo):
    done = _cli("graph", "head", "--focus", "gemma-3", "--format", "mermaid", "--repo", str(vllm_repo))
    assert done.exit_code == 0, done.output
    assert done.output.startswith("flowchart LR") and "-.->|\"blocked\"|" in done.output
    assert _cli("graph", "head", "--focus", "zzz-nothing", "--repo", str(vllm_repo)).exit_code == 2


# ----------------------------------------------------------------------------- golden files
def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual)
    assert path.exists(), f"missing golden {path}; run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(), f"{name} differs from its golden file; rerun with UPDATE_GOLDEN=1 if intended"


def test_golden_explain_text(gemma_result):
    _golden("explain_gemma.txt", render.render(gemma_result, "text"))


def test_golden_explain_json(gemma_result):
    _golden("explain_gemma.json", render.render(gemma_result, "json"))


def test_golden_graph_json(head):
    from coverage_diff import graph as cg
    from coverage_diff.report import graph as graph_render

    g = cg.build_graph(head)
    matches = cg.match_nodes(g, "gemma-3")
    focused = cg.focus(cg.add_blocking(g, head, matches), matches)
    _golden("graph_gemma_head.json", graph_render.node_link_json(focused))


def test_a_broad_query_is_cut_at_the_limit_and_says_so(head):
    everything = explain(head, "GPU_MEMORY_UTILIZATION")
    assert len(everything.subjects) > 3 and everything.more == 0
    cut = explain(head, "GPU_MEMORY_UTILIZATION", limit=2)
    assert [s.subject for s in cut.subjects] == [s.subject for s in everything.subjects[:2]]
    assert cut.more == len(everything.subjects) - 2
    assert f"and {cut.more} more matches not explained" in render.render(cut, "text")


def test_a_mistyped_variable_is_shown_as_a_near_miss(tmp_path):
    import history

    from coverage_diff.engine.session import Session

    repo = history.build(Path(__file__).resolve().parents[2] / "fixtures" / "vllm_pd_split", tmp_path / "repo")
    pipeline = repo / ".buildkite/test_areas/disaggregated.yaml"
    typo = pipeline.read_text().replace("FLASHINFER=1 bash", "SW_ATTEN=1 bash")
    history.write_tree(repo, {".buildkite/test_areas/disaggregated.yaml": typo})
    history.commit_all(repo, "typo", tag="typo")
    session = Session(repo)
    try:
        result = explain(session.inventory("typo"), "gemma-3", limit=1)
    finally:
        session.close()
    reason = result.subjects[0].head.reason
    assert ("SW_ATTEN", "SW_ATTN", "FlashInfer NixlConnector PD accuracy tests (4 GPUs)") in reason.near_misses
    assert "near miss: job 'FlashInfer NixlConnector PD accuracy tests (4 GPUs)' sets SW_ATTEN, the guard reads SW_ATTN" in render.render(result, "text")
