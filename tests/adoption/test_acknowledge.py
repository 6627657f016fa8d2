"""Acknowledging an intended loss: an `accept` comment or the settings' `accept` list marks the
finding, keeps it in the report and takes it out of the exit code.  A comment counts once the
base revision has it (issue 20: a change cannot excuse its own losses); one the change adds is
reported as accepted once merged and still counts."""

from __future__ import annotations

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
REASON = "gemma-3 moves to the nightly sliding-window sweep"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
        git(repo, "add", path)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def marked_sweep(repo: Path, marker: str, before: str, rev: str = "head") -> str:
    """`rev`'s sweep script with `marker` on the line above the first line containing `before`."""
    lines = git(repo, "show", f"{rev}:{SWEEP}").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if before in line)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    return "".join(lines[:at] + [f"{indent}{marker}\n"] + lines[at:])


@pytest.fixture
def repo(tmp_path):
    repo = history.build(FIXTURE, tmp_path / "repo")
    git(repo, "checkout", "-q", "head")
    return repo


def cli(repo, *args):
    return subprocess.run([sys.executable, "-m", "coverage_diff", *args, "--repo", str(repo), "--no-cache"],
                          capture_output=True, text=True)


def gemma(report: dict) -> dict:
    return next(f for f in report["findings"] if f["subject"] == GEMMA)


def merged_base(repo: Path, marker: str) -> str:
    """The base revision with `marker` in the sweep script too (above the gemma entry): a
    comment the repository already has, brought in by an earlier, reviewed merge."""
    git(repo, "checkout", "-q", "base")
    sha = commit(repo, {SWEEP: marked_sweep(repo, marker, "gemma-3-4b-it VLLM_SERVE", rev="base")}, "merged earlier")
    git(repo, "checkout", "-q", "head")
    return sha


def test_a_comment_the_change_adds_is_accepted_once_merged_and_still_counts(repo):
    marker = f"# coverage-diff: accept[silently-dropped] {REASON}"
    sha = commit(repo, {SWEEP: marked_sweep(repo, marker, "gemma-3-4b-it VLLM_SERVE")}, "ack")
    result = cli(repo, f"base..{sha}", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    finding = gemma(report)
    line = int(git(repo, "show", f"{sha}:{SWEEP}").splitlines().index(f"  {marker}")) + 1
    assert finding["acknowledged"] is None
    assert finding["accepted_once_merged"] == {"reason": REASON, "path": SWEEP, "line": line}
    assert dict(report["summary"])["accepted-once-merged"] == 1
    text = cli(repo, f"base..{sha}")
    assert text.returncode == 1 and f"ACCEPTED ONCE MERGED, still counted here ({SWEEP}:{line}): {REASON}" in text.stdout
    sarif = json.loads(cli(repo, f"base..{sha}", "--format", "sarif").stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "silently-dropped"]
    assert result["level"] == "error" and result["suppressions"][0]["status"] == "underReview"
    annotations = cli(repo, f"base..{sha}", "--format", "github")
    assert annotations.returncode == 1 and "::error" in annotations.stdout and "Accepted once merged" in annotations.stdout


def test_a_comment_beside_the_moved_entry_acknowledges_it(repo):
    marker = f"# coverage-diff: accept[silently-dropped] {REASON}"
    base = merged_base(repo, marker)
    sha = commit(repo, {SWEEP: marked_sweep(repo, marker, "gemma-3-4b-it VLLM_SERVE")}, "ack")
    result = cli(repo, f"{base}..{sha}", "--format", "json")
    assert result.returncode == 0, result.stderr
    finding = gemma(json.loads(result.stdout))
    assert finding["kind"] == "silently-dropped"  # still reported
    line = int(git(repo, "show", f"{sha}:{SWEEP}").splitlines().index(f"  # coverage-diff: accept[silently-dropped] {REASON}")) + 1
    assert finding["acknowledged"] == {"reason": REASON, "path": SWEEP, "line": line}
    text = cli(repo, f"{base}..{sha}")
    assert text.returncode == 0
    assert "1 more acknowledged as intended" in text.stdout and f"ACKNOWLEDGED ({SWEEP}:{line}): {REASON}" in text.stdout


def test_a_comment_above_the_blocking_guard_acknowledges_it(repo):
    base = merged_base(repo, f"# coverage-diff: accept {REASON}")
    sha = commit(repo, {SWEEP: marked_sweep(repo, f"# coverage-diff: accept {REASON}", 'elif [[ -n "${SW_ATTN:-}" ]]')}, "ack")
    result = cli(repo, f"{base}..{sha}", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert gemma(json.loads(result.stdout))["acknowledged"]["reason"] == REASON


def test_a_comment_for_another_kind_or_without_reason_acknowledges_nothing(repo):
    sha = commit(repo, {SWEEP: marked_sweep(repo, f"# coverage-diff: accept[removed] {REASON}", "gemma-3-4b-it VLLM_SERVE")}, "wrong kind")
    result = cli(repo, f"base..{sha}", "--format", "json")
    assert result.returncode == 1
    assert gemma(json.loads(result.stdout))["acknowledged"] is None
    sha = commit(repo, {SWEEP: marked_sweep(repo, "# coverage-diff: accept[silently-dropped]", "gemma-3-4b-it VLLM_SERVE")}, "no reason")
    result = cli(repo, f"base..{sha}", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert gemma(report)["acknowledged"] is None
    assert any(d["path"] == SWEEP and "needs a reason" in d["message"] for d in report["diagnostics"])


SETTINGS = f'[tool.coverage-diff]\naccept = [{{ finding = "silently-dropped:*gemma-3-4b-it*", reason = "{REASON}" }}]\n'


def test_the_settings_accept_list_and_config_file(repo, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text(SETTINGS)
    assert cli(repo, "base..head").returncode == 1
    result = cli(repo, "base..head", "--format", "json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert gemma(json.loads(result.stdout))["acknowledged"] == {"reason": REASON, "path": None, "line": None}
    bad = tmp_path / ".coverage-diff.toml"
    bad.write_text("accept = [3]\n")
    result = cli(repo, "base..head", "--config", str(bad))
    assert result.returncode == 2 and ".coverage-diff.toml: accept entries" in result.stderr


def test_settings_from_base_ignore_what_the_head_says(repo):
    """A pull request cannot acknowledge through its own settings: by default the head may only
    shorten the base's accept list (issue 20), and --settings-from base ignores it altogether."""
    sha = commit(repo, {"pyproject.toml": SETTINGS}, "the head accepts its own loss")
    for extra in ([], ["--settings-from", "base"]):
        result = cli(repo, f"base..{sha}", *extra, "--format", "json")
        assert result.returncode == 1
        assert gemma(json.loads(result.stdout))["acknowledged"] is None


def test_acknowledged_losses_in_annotations_sarif_and_code_quality(repo):
    marker = f"# coverage-diff: accept[silently-dropped] {REASON}"
    base = merged_base(repo, marker)
    sha = commit(repo, {SWEEP: marked_sweep(repo, marker, "gemma-3-4b-it VLLM_SERVE")}, "ack")
    annotations = cli(repo, f"{base}..{sha}", "--format", "github")
    assert annotations.returncode == 0 and "::error" not in annotations.stdout
    assert f"::notice file={SWEEP}" in annotations.stdout and REASON in annotations.stdout
    sarif = json.loads(cli(repo, f"{base}..{sha}", "--format", "sarif").stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "silently-dropped"]
    assert result["suppressions"] == [{"kind": "inSource", "status": "accepted", "justification": REASON}]
    issues = json.loads(cli(repo, f"{base}..{sha}", "--format", "gitlab").stdout)
    [issue] = [i for i in issues if i["check_name"] == "coverage-diff/silently-dropped"]
    assert issue["severity"] == "info" and issue["description"].startswith(f"acknowledged ({REASON})")
