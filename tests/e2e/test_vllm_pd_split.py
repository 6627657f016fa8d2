"""Issue 2's case end to end: the vLLM PD split strands the gemma-3 entry behind SW_ATTN."""

import json
import subprocess
import sys
from pathlib import Path

import history
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "vllm_pd_split"
SWEEP = "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
GEMMA = "GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return history.build(FIXTURE, tmp_path_factory.mktemp("pd") / "repo")


def cli(repo, *args):
    return subprocess.run([sys.executable, "-m", "coverage_diff.cli", *args, "--repo", str(repo)], capture_output=True, text=True)


def guard_line(repo, rev) -> int:
    text = subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{SWEEP}"], capture_output=True, text=True, check=True).stdout
    return next(i for i, line in enumerate(text.splitlines(), 1) if "SW_ATTN" in line)


def test_exactly_one_silently_dropped_subject_the_gemma_entry(repo):
    result = cli(repo, "base..head", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    dropped = [f for f in report["findings"] if f["kind"] == "silently-dropped"]
    assert [f["subject"] for f in dropped] == [GEMMA]
    finding = dropped[0]
    assert finding["config"]["array"] == "sw_attn_configs"
    assert finding["config"]["path"] == SWEEP
    assert "SW_ATTN" in finding["reason"]["variables"]
    assert f"{SWEEP}:{guard_line(repo, 'head')}" in finding["reason"]["text"]
    assert "no job sets SW_ATTN" in finding["reason"]["text"]
    assert "SW_ATTN=1 bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh" in finding["reason"]["fix"]


def test_moved_steps_give_no_loss_and_flashinfer_runs_are_added(repo):
    report = json.loads(cli(repo, "base..head", "--format", "json").stdout)
    kinds = {f["kind"] for f in report["findings"]}
    assert not kinds & {"removed", "narrowed"}
    added = [f for f in report["findings"] if f["kind"] == "added"]
    assert added, "the new FlashInfer step's runs must come out as added"
    flashinfer_runs = [r for f in added for r in f["head_runs"] if "FLASHINFER" in " ".join(r["argv"])]
    assert flashinfer_runs
    assert all("flashinfer" in r["job"] for r in flashinfer_runs)
    for f in added:
        assert f["subject"] != GEMMA


def test_text_output_names_guard_and_fix(repo):
    result = cli(repo, "base..head")
    assert result.returncode == 1
    assert "SILENTLY DROPPED" in result.stdout
    assert "SW_ATTN" in result.stdout
    assert "suggested fix" in result.stdout


def test_merge_base_range_and_fail_on_never(repo):
    result = cli(repo, "base...head", "--format", "json", "--fail-on", "never")
    assert result.returncode == 0
    assert any(f["kind"] == "silently-dropped" for f in json.loads(result.stdout)["findings"])


def test_single_rev_compares_with_the_working_tree(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "head"], check=True)
    result = cli(clone, "base", "--format", "json")
    assert [f["subject"] for f in json.loads(result.stdout)["findings"] if f["kind"] == "silently-dropped"] == [GEMMA]
    sweep = clone / SWEEP
    sweep.write_text(sweep.read_text().replace('elif [[ -n "${SW_ATTN:-}" ]]; then', 'elif [[ -n "${SW_ATTN:-}" || -z "${DP_EP:-}" ]]; then'))
    # now SW_ATTN's array is chosen by the default step instead of tp_configs: tp entries are lost instead
    report = json.loads(cli(clone, "base", "--format", "json").stdout)
    assert GEMMA not in [f["subject"] for f in report["findings"] if f["kind"] == "silently-dropped"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope..head"], "unknown revision 'nope'"),
        (["base..nope"], "unknown revision 'nope'"),
    ],
)
def test_unknown_revisions_exit_2(repo, args, message):
    result = cli(repo, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_not_a_repository_exits_2(tmp_path):
    result = cli(tmp_path, "a..b")
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr


def test_shallow_clone_missing_the_base_says_how_to_deepen(repo, tmp_path):
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "head", f"file://{repo}", str(shallow)], check=True, capture_output=True)
    base_sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "base"], capture_output=True, text=True).stdout.strip()
    result = cli(shallow, f"{base_sha}..HEAD")
    assert result.returncode == 2
    assert "git fetch --deepen" in result.stderr and "--unshallow" in result.stderr


def test_inventory_lists_runs_and_unreached_entries(repo):
    result = cli(repo, "inventory", "head", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    unreached = {e["text"] for e in data["unreached_entries"]}
    assert GEMMA in unreached and len(unreached) == 3
    labels = {j["label"] for j in data["jobs"] if j["runs"]}
    assert "FlashInfer NixlConnector PD accuracy tests (4 GPUs)" in labels
    text = cli(repo, "inventory", "head").stdout
    assert "Config entries no job reaches" in text


def test_no_range_means_default_branch_to_head(repo, tmp_path):
    clone = tmp_path / "pr"
    subprocess.run(["git", "clone", "-q", "--branch", "base", str(repo), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "-b", "feature", "origin/main"], check=True)
    subprocess.run(["git", "-C", str(clone), "reset", "-q", "--hard", "head"], check=True)
    subprocess.run(["git", "-C", str(clone), "update-ref", "refs/remotes/origin/main", "base"], check=True)
    result = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "--format", "json"], cwd=clone, capture_output=True, text=True)
    report = json.loads(result.stdout)
    assert report["base"] == "merge-base(origin/main, HEAD)"
    assert [f["subject"] for f in report["findings"] if f["kind"] == "silently-dropped"] == [GEMMA]
