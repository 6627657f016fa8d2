"""Issue 20: a pull request cannot pass its gate by being slow or oversized (gate.py).

A loss whose runs went through a place where the head's analysis was cut is a warning
with `confidence: incomplete`: the cut, not the change, may be what hid its runs.  So a
pull request that exhausts a budget could soften its own loss.  `fail-on-incomplete`
(default `budget`) fails the gate when a loss was downgraded that way or when the head
ran out of a revision-wide budget; only trusted settings (the base's, `--config`) and
the command line can make it more lenient, the head's settings only stricter.

The clock is a counter (as in test_hostile_budget.py): no test reads wall time.
"""

from __future__ import annotations

import itertools

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD, GEMMA, QWEN, SWEEP, area, step, sweep
from hostile_kit import build_repo, run_cli

from coverage_diff import deadline, gate
from coverage_diff.config import ConfigError, Settings, for_diff, parse_settings
from coverage_diff.model import Finding, Incomplete, Location, Report, Severity

MANY = ".buildkite/test_areas/zz_many.yaml"
SLOW_STEPS = "".join(step(f"many {i}", f"pytest many_{i}.py") for i in range(30))
WARM_UP = "for i in $(seq 1 1000); do for j in $(seq 1 1000); do n=$((i * j)); done; done\n"  # past one job's step limit


@pytest.fixture
def ticks(monkeypatch):
    counter = itertools.count()
    monkeypatch.setattr(deadline, "clock", lambda: float(next(counter)))
    return counter


def diff(repo, *extra):
    return run_cli(["base..head", "--repo", str(repo), "--jobs", "1", "--no-cache", *extra])


def slow_pull_request(tmp_path, base_settings: str = "max-seconds = 12\n", head_settings: str | None = None):
    """A change that loses nothing and adds 30 jobs, more than the clock allows: the gemma-3
    entry moved at base already, so no loss is left to set the exit code."""
    base = {**CORE_BASE, **CORE_HEAD, ".coverage-diff.toml": base_settings}
    head = {MANY: area(SLOW_STEPS)}
    if head_settings is not None:
        head[".coverage-diff.toml"] = head_settings
    return build_repo(tmp_path / "repo", [("base", base), ("head", head)])


def test_a_head_out_of_time_fails_the_gate_by_default(tmp_path, ticks):
    repo = slow_pull_request(tmp_path)
    result = diff(repo, "--format", "json")
    assert result.code == 1, result.stderr
    report = result.report
    assert not [f for f in report["findings"] if f["severity"] != "info"]  # nothing lost: only the gate fails
    assert "ran out of its max-seconds budget" in report["fails_incomplete"] and MANY in report["fails_incomplete"]
    shown = diff(repo)
    assert shown.code == 1
    lines = shown.stdout.splitlines()
    assert lines[1].startswith("INCOMPLETE: no test configuration stops running in what was analysed")
    assert lines[2].startswith("The gate fails: the head revision ran out of its max-seconds budget")


@pytest.mark.parametrize("way", ["option", "base-settings", "fail-on-never"])
def test_trusted_input_can_let_a_cut_head_pass(tmp_path, ticks, way):
    base_settings = "max-seconds = 12\n" + ('fail-on-incomplete = "downgraded"\n' if way == "base-settings" else "")
    repo = slow_pull_request(tmp_path, base_settings)
    extra = {"option": ["--fail-on-incomplete", "downgraded"], "base-settings": [], "fail-on-never": ["--fail-on", "never"]}[way]
    result = diff(repo, "--format", "json", *extra)
    assert result.code == 0, result.stderr
    assert (result.report["fails_incomplete"] is None) == (way != "fail-on-never")


def test_the_heads_own_settings_cannot_turn_the_gate_off(tmp_path, ticks):
    repo = slow_pull_request(tmp_path, head_settings='max-seconds = 12\nfail-on-incomplete = "never"\n')
    result = diff(repo, "--format", "json")
    assert result.code == 1 and "fail-on-incomplete = budget" in result.report["fails_incomplete"]
    assert for_diff(Settings(), Settings(fail_on_incomplete="never")).fail_on_incomplete == "budget"
    assert for_diff(Settings(), Settings(fail_on_incomplete="cut")).fail_on_incomplete == "cut"  # stricter: taken
    assert for_diff(Settings(fail_on_incomplete="never"), Settings()).fail_on_incomplete == "budget"
    with pytest.raises(ConfigError, match="fail-on-incomplete must be one of never, downgraded, budget, cut"):
        parse_settings('fail-on-incomplete = "off"', "x.toml", table=False)


def test_a_loss_downgraded_by_a_cut_fails_the_gate(tmp_path):
    """The sweep's entries no longer run at head: a warm-up longer than the job's step limit
    comes first.  The losses are warnings (the cut on their way may be what hid them), and
    they still fail the gate."""
    head_sweep = sweep([QWEN, GEMMA], [], prelude=WARM_UP)
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", {SWEEP: head_sweep})])
    result = diff(repo, "--format", "json")
    report = result.report
    lost = [f for f in report["findings"] if f["subject"] in (QWEN, GEMMA)]
    assert len(lost) == 2 and all(f["severity"] == "warning" and f["confidence"] == "incomplete" for f in lost), lost
    assert result.code == 1 and report["fails_incomplete"].startswith("2 losses downgraded to a warning")
    assert diff(repo, "--fail-on-incomplete", "never").code == 0
    assert diff(repo, "--fail-on-incomplete", "downgraded").code == 1


def test_levels():
    cut = Incomplete(Location("ci.sh", 3), "more than 256 paths: the rest were not explored", cut=True)
    out_of_time = Incomplete(Location("a.yaml", 1), f"{deadline.REASON} of the revision (max-seconds = 5) used up: not read", cut=True)
    loss = Finding("silently-dropped", "X=1", Severity.WARNING, "gone", details=(("confidence", "incomplete"),))
    plain = Report("diff", head_cut=(cut,))
    assert [bool(gate.failure(plain, level)) for level in gate.LEVELS] == [False, False, False, True]
    timed = Report("diff", head_cut=(cut, out_of_time))
    assert [bool(gate.failure(timed, level)) for level in gate.LEVELS] == [False, False, True, True]
    assert "max-seconds" in gate.failure(timed, "budget") and "a.yaml:1" in gate.failure(timed, "budget")
    downgraded = Report("diff", findings=(loss,), head_cut=(cut,))
    assert [bool(gate.failure(downgraded, level)) for level in gate.LEVELS] == [False, True, True, True]
    assert gate.budget_of(Incomplete(Location("x"), "total step budget (max-total-steps = 9) used up: job 'j' not analysed", cut=True)) == "max-total-steps"
