"""Issue 20: the wall-clock budget of a revision (`max-seconds`, deadline.py) and budgets
that end a CI file part way.

No test here reads the wall clock: `deadline.clock` is replaced by a counter that moves
one "second" each time the analysis looks at it (once per CI file, once per job, every
few thousand interpreter steps), so where the budget runs out is the same on any machine.
"""

from __future__ import annotations

import itertools

import pytest
from hostile_cases import BROKEN, CORE_BASE, CORE_HEAD, GEMMA, area, step
from hostile_kit import build_repo, run_cli

from coverage_diff import deadline
from coverage_diff.config import CEILINGS, Settings, for_diff, parse_settings

MANY = ".buildkite/test_areas/zz_many.yaml"  # read after the PD area (files and jobs go in path order)
BUDGET = "wall-clock budget of the revision (max-seconds = {})"


@pytest.fixture
def ticks(monkeypatch):
    """A clock that moves one second each time it is read."""
    counter = itertools.count()
    monkeypatch.setattr(deadline, "clock", lambda: float(next(counter)))
    return counter


def diff(repo, *extra) -> dict:
    result = run_cli(["base..head", "--repo", str(repo), "--format", "json", "--jobs", "1", "--no-cache", *extra])
    assert result.code == 1, result.stderr  # the gemma-3 loss still gates
    return result.report


def assert_gemma_still_reported(report: dict) -> None:
    dropped = {f["subject"]: f for f in report["findings"] if f["kind"] == "silently-dropped"}
    assert GEMMA in dropped and "SW_ATTN" in dropped[GEMMA]["reason"]["variables"]
    assert dropped[GEMMA]["severity"] == "error"


def test_jobs_past_the_budget_are_incomplete_and_the_ones_before_are_analysed(tmp_path, ticks):
    steps = "".join(step(f"many {i}", f"pytest many_{i}.py") for i in range(30))
    repo = build_repo(tmp_path / "repo", [("base", {**CORE_BASE, ".coverage-diff.toml": "max-seconds = 12\n"}),
                                          ("head", {**CORE_HEAD, MANY: area(steps)})])
    report = diff(repo)
    assert_gemma_still_reported(report)
    added = {f["subject"] for f in report["findings"] if f["kind"] == "added"}
    analysed = {i for i in range(30) if f"pytest many_{i}.py" in added}
    cut = [i for i in report["incomplete"] if BUDGET.format(12) in i["reason"]]
    assert analysed == set(range(len(analysed))) and 0 < len(analysed) < 30  # the first jobs, in order
    assert len(cut) == 30 - len(analysed) and all(i["path"] == MANY and "not analysed" in i["reason"] for i in cut)
    (diagnostic,) = [d for d in report["diagnostics"] if "max-seconds = 12" in d["message"]]
    assert diagnostic["path"] == MANY and f"{len(cut)} CI file(s), job(s)" in diagnostic["message"]


def test_a_job_running_when_the_budget_ends_stops_there(tmp_path, ticks):
    loops = ('#!/bin/bash\nfor i in {1..100}; do\n  for j in {1..100}; do\n    for k in {1..10}; do\n'
             '      pytest "slow_$i.py"\n    done\n  done\ndone\n')  # 100,000 steps and more
    repo = build_repo(tmp_path / "repo", [
        ("base", {**CORE_BASE, ".coverage-diff.toml": "max-seconds = 5\n"}),
        ("head", {**CORE_HEAD, "tests/pd/slow.sh": loops, MANY: area(step("slow", "bash pd/slow.sh"))})])
    report = diff(repo)
    assert_gemma_still_reported(report)
    added = {f["subject"] for f in report["findings"] if f["kind"] == "added"}
    assert "pytest slow_1.py" in added and "pytest slow_100.py" not in added
    (cut,) = [i for i in report["incomplete"] if BUDGET.format(5) in i["reason"]]
    assert cut["path"] == "tests/pd/slow.sh" and cut["line"] == 5 and "interpretation stopped" in cut["reason"]
    assert [d for d in report["diagnostics"] if "max-seconds = 5" in d["message"]]


def test_ci_files_after_the_budget_are_not_read(tmp_path, ticks):
    files = {f".buildkite/test_areas/zz_{n:02}.yaml": area(step(f"file {n}", f"pytest file_{n}.py")) for n in range(20)}
    repo = build_repo(tmp_path / "repo", [("base", {**CORE_BASE, ".coverage-diff.toml": "max-seconds = 8\n"}),
                                          ("head", {**CORE_HEAD, **files})])
    report = diff(repo)
    assert_gemma_still_reported(report)
    unread = {i["path"] for i in report["incomplete"] if BUDGET.format(8) in i["reason"] and "not read" in i["reason"]}
    assert unread and max(unread) == ".buildkite/test_areas/zz_19.yaml" and len(unread) < 20


def test_nothing_cut_by_the_clock_is_stored(tmp_path, ticks, monkeypatch):
    steps = "".join(step(f"many {i}", f"pytest many_{i}.py") for i in range(30))
    repo = build_repo(tmp_path / "repo", [("base", {**CORE_BASE, ".coverage-diff.toml": "max-seconds = 12\n"}),
                                          ("head", {**CORE_HEAD, MANY: area(steps)})])
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(tmp_path / "cache"))
    first = run_cli(["base..head", "--repo", str(repo), "--format", "json", "--jobs", "1"])
    assert [i for i in first.report["incomplete"] if BUDGET.format(12) in i["reason"]]
    monkeypatch.setattr(deadline, "clock", lambda: 0.0)  # a machine fast enough: the same command, analysed whole
    second = run_cli(["base..head", "--repo", str(repo), "--format", "json", "--jobs", "1"])
    assert not [i for i in second.report["incomplete"] if "wall-clock" in i["reason"]]
    assert {f"pytest many_{i}.py" for i in range(30)} <= {f["subject"] for f in second.report["findings"]}


def test_the_head_cannot_lower_or_unbound_the_time_budget():
    base = Settings()
    assert for_diff(base, Settings(max_seconds=1)).max_seconds == base.max_seconds
    assert parse_settings("max-seconds = 1000000", "x", table=False).max_seconds == CEILINGS["max_seconds"]
    assert for_diff(base, parse_settings("max-seconds = 1000000", "x", table=False)).max_seconds == CEILINGS["max_seconds"]


def test_a_fan_out_budget_keeps_the_steps_made_before_it(tmp_path):
    """20,000 units per CI file: the steps before the one that overflows are analysed."""
    steps = "".join(step(f"early {i}", f"pytest early_{i}.py") for i in range(3))
    steps += "- label: wide\n  parallelism: 1000\n  commands:\n    - pytest wide.py\n" * 25
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", {**CORE_HEAD, BROKEN: area(steps)})])
    report = diff(repo)
    assert_gemma_still_reported(report)
    added = {f["subject"] for f in report["findings"] if f["kind"] == "added"}
    assert {"pytest early_0.py", "pytest early_2.py", "pytest wide.py"} <= added
    (diagnostic,) = [d for d in report["diagnostics"] if "fans out to more than" in d["message"]]
    assert diagnostic["path"] == BROKEN and "the rest of it is not" in diagnostic["message"]
    assert [i for i in report["incomplete"] if i["path"] == BROKEN and "fans out" in i["reason"]]
