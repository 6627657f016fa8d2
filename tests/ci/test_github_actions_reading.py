"""GitHub Actions read as GitHub reads it: YAML 1.2 scalars, folded/quoted `run:` lines,
`with:` inputs per event, and the refs an unfiltered `push` runs for."""

import pytest

import history as fixture_history  # fixtures/history.py
from coverage_diff.engine.session import diff_range
from coverage_diff.ci import buildkite, github_actions
from coverage_diff.ci.yamlload import load
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot
from placing import placed


def one(workflow: str, extra: dict | None = None):
    files = {".github/workflows/w.yml": workflow, **(extra or {})}
    return github_actions.jobs(Snapshot.from_files("t", files), Settings())


def test_core_schema_keeps_yaml_1_1_booleans_as_strings_only_when_asked():
    text = "a: yes\nb: Off\nc: true\nd: 12\ne: 1.5\nf: 2024-01-01\ng: ~\nh: 0o17\ni: 1_000\non: push\n"
    core = load(text, "x", core_schema=True)
    assert core == {"a": "yes", "b": "Off", "c": True, "d": 12, "e": 1.5, "f": "2024-01-01", "g": None, "h": 15,
                    "i": "1_000", "on": "push"}
    legacy = load(text, "x")
    assert legacy["a"] is True and legacy["b"] is False and True in legacy  # YAML 1.1 for everyone else
    assert load("a: !!str 12\nb: 'on'\n", "x", core_schema=True) == {"a": "12", "b": "on"}


def test_buildkite_still_reads_yaml_1_1():
    result = buildkite.jobs(Snapshot.from_files("t", {".buildkite/pipeline.yml": "steps:\n  - command: t\n    env: {X: yes}\n"}), Settings())
    assert dict(result.jobs[0].env)["X"] == "true"


def test_env_yes_no_on_off_stay_strings():
    workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    env: {A: yes, B: no, C: on, D: off, E: true}\n    steps:\n      - run: make\n"
    (job, *_) = one(workflow).jobs
    assert dict(job.env) == {"A": "yes", "B": "no", "C": "on", "D": "off", "E": "true", "GITHUB_WORKSPACE": "/vllm-workspace"}


FOLDED = """on: pull_request
jobs:
  a:
    runs-on: x
    steps:
      - run: >
          pytest tests/a
          --maxfail 1

          pytest tests/b
      - run: "python -m one
          --fast

          python -m two"
"""


def test_folded_and_quoted_multiline_runs_keep_per_line_numbers():
    folded, quoted = one(FOLDED).jobs
    assert [c.text for c in folded.commands] == ["pytest tests/a --maxfail 1\npytest tests/b\n"]  # folded as YAML does
    assert [placed(c) for c in folded.commands] == [[("pytest tests/a", 7), ("--maxfail 1", 8), ("pytest tests/b", 10)]]
    assert [c.text for c in quoted.commands] == ["python -m one --fast\npython -m two"]
    assert [placed(c) for c in quoted.commands] == [[("python -m one", 11), ("--fast", 12), ("python -m two", 14)]]


CALLER = """on:
  pull_request:
  schedule:
    - cron: "0 0 * * *"
jobs:
  test:
    uses: ./.github/workflows/_suite.yml
    with:
      suite: ${{ github.event_name == 'schedule' && 'full' || 'quick' }}
"""
CALLEE = """on:
  workflow_call:
    inputs:
      suite: {type: string, default: quick}
jobs:
  run:
    runs-on: x
    steps:
      - run: bash ci/suite.sh
        env:
          SUITE: ${{ inputs.suite }}
"""


def test_reusable_workflow_inputs_are_evaluated_per_event():
    result = one(CALLER, {".github/workflows/_suite.yml": CALLEE})
    by_suite = {dict(j.env)["SUITE"]: j for j in result.jobs}
    assert set(by_suite) == {"quick", "full"}
    assert by_suite["quick"].tier is Tier.EVERY_PR and by_suite["full"].tier is Tier.NIGHTLY
    assert dict(by_suite["full"].matrix)["event"] == "schedule"
    assert by_suite["quick"].id != by_suite["full"].id


@pytest.mark.parametrize("on, condition, tier", [
    ("push", "", Tier.EVERY_PR),
    ("push", "github.ref == 'refs/heads/main'", Tier.MAIN),
    ("push", "startsWith(github.ref, 'refs/tags/')", Tier.OPTIONAL),
    ("push", "github.ref != 'refs/heads/main'", Tier.EVERY_PR),
    ("\n  push:\n    branches-ignore: [main]", "github.ref == 'refs/heads/main'", None),
    ("\n  push:\n    tags: ['v*']", "", Tier.OPTIONAL),
    ("\n  push:\n    branches: ['**']", "", Tier.EVERY_PR),
])
def test_unfiltered_push_runs_on_feature_branches_main_and_tags(on, condition, tier):
    guard = f"    if: {condition}\n" if condition else ""
    jobs = one(f"on: {on}\njobs:\n  a:\n    runs-on: x\n{guard}    steps:\n      - run: make\n").jobs
    assert (jobs[0].tier if jobs else None) is tier


DISPATCH = """#!/bin/bash
if [[ "$SUITE" == full ]]; then
  pytest tests --runslow
else
  pytest tests/quick
fi
"""


def test_dropping_the_nightly_input_is_a_silent_drop(tmp_path):
    repo = fixture_history.init_repo(tmp_path / "repo")
    fixture_history.write_tree(repo, {".github/workflows/ci.yml": CALLER, ".github/workflows/_suite.yml": CALLEE,
                                      "ci/suite.sh": DISPATCH})
    fixture_history.commit_all(repo, "base", tag="base")
    fixture_history.write_tree(repo, {".github/workflows/ci.yml": CALLER.replace("'full'", "'quick'")})
    fixture_history.commit_all(repo, "head", tag="head")
    report = diff_range(repo, "base..head")
    lost = [f for f in report.findings if f.kind in ("silently-dropped", "removed", "narrowed")]
    assert [(f.kind, f.subject) for f in lost] == [("silently-dropped", "pytest tests --runslow")]
    assert "SUITE" in lost[0].reason.variables
