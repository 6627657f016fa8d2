"""Issue 4's "done when" cases end to end: a git history in, `coverage-diff --format json` out.

Each test builds a two-commit repository (tags `base` and `head`) in a tmp dir
and runs the CLI, so the GitHub Actions and GitLab front-ends feed the same
shell interpreter and diff as Buildkite steps do."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)


def history(tmp_path: Path, base: dict[str, str], head: dict[str, str]) -> Path:
    """A repository whose `base` tag holds `base` and whose `head` tag holds `base` updated with `head`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for tag, files in (("base", base), ("head", head)):
        for path, text in files.items():
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", tag)
        git(repo, "tag", tag)
    return repo


def tree(name: str) -> dict[str, str]:
    root = DATA / name
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def diff(repo: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "base..head", "--repo", str(repo), "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def losses(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["kind"] in ("silently-dropped", "removed", "narrowed")]


def assert_only_distributed_runs_dropped(report: dict) -> None:
    lost = losses(report)
    assert sorted(f["subject"] for f in lost) == [
        "pytest tests/distributed/test_single_node.py", "torchrun --nproc-per-node 2 -m pytest tests/distributed"]
    assert {f["kind"] for f in lost} == {"silently-dropped"}
    assert all("SUITE" in f["reason"]["variables"] for f in lost)


DISPATCHER = """#!/bin/bash
set -euo pipefail
case "$SUITE" in
  core)
    pytest tests/core
    ;;
  distributed)
    torchrun --nproc-per-node 2 -m pytest tests/distributed
    pytest tests/distributed/test_single_node.py
    ;;
  slow)
    pytest -m slow tests
    ;;
esac
"""

SUITE_WORKFLOW = """name: CI
on:
  pull_request:
jobs:
  test:
    runs-on: ${{{{ matrix.os }}}}
    strategy:
      matrix:
        os: [ubuntu-latest, ubuntu-22.04]
        suite: [{suites}]
        exclude:
          - os: ubuntu-22.04
            suite: slow
    steps:
      - uses: actions/checkout@v4
      - name: Run suite
        env:
          SUITE: ${{{{ matrix.suite }}}}
        run: bash ci/dispatch.sh
"""


def test_pytorch_style_reusable_workflow_losing_its_distributed_entry(tmp_path):
    base = tree("gha_pytorch")
    pull = base[".github/workflows/pull.yml"]
    distributed = next(line for line in pull.split("\n") if '"distributed"' in line)
    head_pull = pull.replace("\n" + distributed, "").replace('"linux.2xlarge" },\n        ]', '"linux.2xlarge" }\n        ]')
    report = diff(history(tmp_path, base, {".github/workflows/pull.yml": head_pull}))
    lost = losses(report)
    assert [f["subject"] for f in lost] == ["python test/run_test.py --distributed-tests --verbose"]
    assert lost[0]["kind"] == "silently-dropped"
    assert "TEST_CONFIG" in lost[0]["reason"]["variables"]


def test_llama_cpp_job_reaches_the_guarded_functions(tmp_path):
    base = tree("gha_llama")
    workflow = base[".github/workflows/build.yml"]
    head = {".github/workflows/build.yml": workflow.replace("GG_BUILD_CUDA=1 bash", "bash")}
    report = diff(history(tmp_path, base, head))
    # `gg_run test_backend_cuda` dispatches to `gg_run_$ci` behind `[ ! -z ${GG_BUILD_CUDA} ]`:
    # at base the job's prefix assignment reaches it, at head nothing does.
    (cuda,) = [f for f in losses(report) if f["subject"] == "ctest --output-on-failure -L cuda"]
    assert cuda["kind"] == "silently-dropped"
    assert cuda["reason"]["variables"] == ["GG_BUILD_CUDA"]
    # The unguarded function still runs at head: not a loss.
    assert not [f for f in losses(report) if f["subject"].startswith("ctest --output-on-failure -L main")]


GITLAB = """stages: [test]
.gpu:
  image: pytorch/pytorch:latest
  tags: [gpu]
suites:
  extends: .gpu
  stage: test
  parallel:
    matrix:
      - SUITE: [{suites}]
  script:
    - bash ci/dispatch.sh
"""


@pytest.mark.parametrize("path, template", [(".github/workflows/ci.yml", "SUITE_WORKFLOW"), (".gitlab-ci.yml", "GITLAB")],
                         ids=["github-matrix", "gitlab-parallel-matrix"])
def test_removing_a_matrix_suite_strands_the_dispatchers_branch(tmp_path, path, template):
    """A `{os, suite}` matrix with an exclude (GitHub) or a `parallel: matrix` (GitLab) feeding
    a `case "$SUITE"` dispatcher: dropping `distributed` strands exactly its runs."""
    text = globals()[template]
    base = {"ci/dispatch.sh": DISPATCHER, path: text.format(suites="core, distributed, slow")}
    head = {path: text.format(suites="core, slow")}
    report = diff(history(tmp_path, base, head))
    assert_only_distributed_runs_dropped(report)


def test_reordering_matrix_values_and_renaming_a_step_loses_nothing(tmp_path):
    base = {"ci/dispatch.sh": DISPATCHER, ".github/workflows/ci.yml": SUITE_WORKFLOW.format(suites="core, distributed, slow")}
    head = {".github/workflows/ci.yml": SUITE_WORKFLOW.format(suites="slow, core, distributed").replace("Run suite", "Suite")}
    assert losses(diff(history(tmp_path, base, head))) == []


def test_a_head_pipeline_the_analysis_makes_no_job_of_fails_the_gate(tmp_path):
    # The head's jobs extend a template only an outside include defines, and are left without a script:
    # nothing is lost as far as the analysis sees, which must not read as a clean result.
    base = {".gitlab-ci.yml": "unit:\n  script:\n    - pytest tests\n", "tests/test_a.py": ""}
    head = {".gitlab-ci.yml": "include:\n  - remote: https://example.invalid/ci.yml\nunit:\n  extends: .outside\n"}
    repo = history(tmp_path, base, head)
    command = [sys.executable, "-m", "coverage_diff.cli", "base..head", "--repo", str(repo), "--format", "json", "--no-cache"]
    gated = subprocess.run(command, capture_output=True, text=True)
    report = json.loads(gated.stdout)
    assert gated.returncode == 1
    assert any("analyses to no jobs" in d["message"] and d["severity"] == "error" for d in report["diagnostics"])
    ungated = subprocess.run(command + ["--fail-on", "never"], capture_output=True, text=True)
    assert ungated.returncode == 0
