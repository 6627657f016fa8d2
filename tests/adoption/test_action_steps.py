"""The composite action's own scripts, run with bash as the runner would (the values in env,
the outputs in GITHUB_OUTPUT), on make demo's repository: the analysis step writes the
report and the outputs and keeps exit 1 for the gate; the gate fails by `fail-on` alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STEPS = {step.get("id") or step.get("name"): step for step in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]}


def run_step(name: str, env: dict, cwd: Path) -> tuple[int, dict, str]:
    step = STEPS[name]
    output = cwd.parent / f"output-{name}"
    output.write_text("")
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(cwd.parent), "GITHUB_OUTPUT": str(output), **env})
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, outputs, result.stdout + result.stderr


@pytest.fixture
def analysis_env(pd_repo, tmp_path):
    revs = {tag: subprocess.run(["git", "-C", str(pd_repo), "rev-parse", tag], capture_output=True, text=True, check=True).stdout.strip()
            for tag in ("base", "head")}
    return {"BASE": revs["base"], "HEAD": revs["head"], "FAIL_ON": "error", "FORMAT": "markdown", "SARIF_FILE": str(tmp_path / "cd.sarif"),
            "SETTINGS_FROM": "base", "ANNOTATIONS": "true", "COMMENT": "true", "OUT": str(tmp_path / "out"), "VENV": sys.prefix}


def test_analysis_writes_report_outputs_and_defers_the_failure(pd_repo, analysis_env):
    code, outputs, log = run_step("report", analysis_env, pd_repo)
    assert code == 0, log
    assert outputs["losses"] == "1" and outputs["acknowledged"] == "0" and outputs["status"] == "1"
    report = Path(outputs["report-path"])
    assert report.name == "report.md" and "gemma-3-4b-it" in report.read_text()
    assert '"version": "2.1.0"' in Path(analysis_env["SARIF_FILE"]).read_text()
    assert "::error file=" in log  # the annotations
    gate = {"STATUS": outputs["status"], "LOSSES": outputs["losses"], "FAIL_ON": "error"}
    code, _, log = run_step("Gate on fail-on", gate, pd_repo)
    assert code == 1 and "1 finding(s) at or above --fail-on error" in log


def test_without_the_comment_the_report_goes_to_the_job_summary(pd_repo, analysis_env, tmp_path):
    summary = tmp_path / "summary.md"
    code, _, log = run_step("report", {**analysis_env, "COMMENT": "false", "GITHUB_STEP_SUMMARY": str(summary)}, pd_repo)
    assert code == 0, log
    assert summary.read_text().startswith("<!-- coverage-diff:comment -->") and "gemma-3-4b-it" in summary.read_text()
    code, _, _ = run_step("report", {**analysis_env, "COMMENT": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "other.md")}, pd_repo)
    assert code == 0 and not (tmp_path / "other.md").exists()  # the comment step writes it then


def test_fail_on_never_passes_and_a_bad_format_stops(pd_repo, analysis_env):
    code, outputs, log = run_step("report", {**analysis_env, "FAIL_ON": "never", "FORMAT": "gitlab", "SARIF_FILE": ""}, pd_repo)
    assert code == 0 and outputs["status"] == "0" and outputs["losses"] == "0", log
    assert Path(outputs["report-path"]).name == "report.gitlab.json"
    assert run_step("Gate on fail-on", {"STATUS": "0", "LOSSES": "0", "FAIL_ON": "never"}, pd_repo)[0] == 0
    code, _, log = run_step("report", {**analysis_env, "FORMAT": "html"}, pd_repo)
    assert code == 2 and "format must be" in log


def test_an_unknown_revision_stops_with_exit_2(pd_repo, analysis_env):
    code, _, log = run_step("report", {**analysis_env, "BASE": "0" * 40}, pd_repo)
    assert code == 2, log
