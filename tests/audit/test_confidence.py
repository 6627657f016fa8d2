"""Audit findings carry what they rest on (issue 14, item 4): a finding whose evidence passes
through a part of the analysis that was cut short says so (`confidence: incomplete` in JSON,
a note in text and markdown), is never an error, never calls its subject unreachable as
written, and every report counts such findings next to its verdict, so a prelude that
exhausts a cap cannot turn errors into warnings unseen (issue 20)."""

from __future__ import annotations

import json

from coverage_diff.model import Severity
from coverage_diff.report import audit_markdown, text
from coverage_diff.report import json as json_report

from .conftest import audit_repo, by_rule, make_repo, repo_files, step

SMALL_CAPS = "max-steps = 3000\n"
# More interpreter steps than SMALL_CAPS allows one job: the analysis of the job stops here.
WARM_UP = "for i in $(seq 1 300); do for j in $(seq 1 30); do n=$((i * j)); done; done\n"
ORPHAN = """\
#!/usr/bin/env bash
models=(
  "org/model-a"
)
for m in "${models[@]}"; do
  pytest -v orphan/test_it.py --model "$m"
done
"""
ABSOLUTE = ("unreachable as written", "every environment variable free")


def driver(warm_up: str, then: str) -> str:
    return f"#!/usr/bin/env bash\nset -e\n{warm_up}{then}\n"


def audit(tmp_path, steps: str, extra: dict):
    return audit_repo(make_repo(tmp_path, repo_files(steps, extra={".coverage-diff.toml": SMALL_CAPS, **extra})))


def assert_rests_on_a_cut(finding):
    assert finding.severity is not Severity.ERROR
    details = dict(finding.details)
    assert details["confidence"] == "incomplete"
    assert "step limit" in details["incomplete"] and "tests/all/driver.sh" in details["incomplete"]
    assert not any(phrase in (finding.reason.text if finding.reason else "") for phrase in ABSOLUTE)


def assert_whole(finding, severity):
    assert finding.severity is severity
    assert "confidence" not in dict(finding.details)


ALL_STEP = step("All", "bash all/driver.sh", deps="tests/")


def test_a_test_script_no_job_reaches_behind_a_step_cap_is_not_an_error(tmp_path):
    extra = {"tests/all/driver.sh": driver(WARM_UP, "bash orphan/run.sh"), "tests/orphan/run.sh": ORPHAN}
    report = audit(tmp_path, ALL_STEP, extra)
    assert any(i.cut and "step limit" in i.reason for i in report.incomplete)
    assert_rests_on_a_cut(by_rule(report, "unreachable-config")["org/model-a"])
    assert report.downgraded >= 1


def test_the_same_script_with_the_driver_seen_whole_is_reached(tmp_path):
    extra = {"tests/all/driver.sh": driver("", "bash orphan/run.sh"), "tests/orphan/run.sh": ORPHAN}
    report = audit(tmp_path, ALL_STEP, extra)
    assert "org/model-a" not in by_rule(report, "unreachable-config")
    assert report.downgraded == 0


def test_a_cut_that_never_names_the_script_leaves_the_error_standing(tmp_path):
    # The cut job's rest runs something else: nothing it could still do reaches orphan/run.sh.
    extra = {"tests/all/driver.sh": driver(WARM_UP, "pytest -v sweep/test_model.py"), "tests/orphan/run.sh": ORPHAN}
    report = audit(tmp_path, ALL_STEP, extra)
    assert any(i.cut for i in report.incomplete)
    assert_whole(by_rule(report, "unreachable-config")["org/model-a"], Severity.ERROR)
    assert report.downgraded == 0


def test_a_guard_no_job_satisfies_unless_the_cut_part_sets_its_variable(tmp_path):
    # run_sweep.sh's gamma entry needs SPECIAL.  The cut job would set it past the cut.
    steps = step("Default sweep", "bash sweep/run_sweep.sh") + ALL_STEP
    extra = {"tests/all/driver.sh": driver(WARM_UP, "SPECIAL=1 bash sweep/run_sweep.sh")}
    found = by_rule(audit(tmp_path, steps, extra), "unreachable-config")
    assert_rests_on_a_cut(found["MODEL=gamma TP=1"])
    assert found["MODEL=gamma TP=1"].reason.guards  # the guard is still named


def test_a_guard_the_cut_part_only_reads_stays_an_error(tmp_path):
    # A hostile prelude that hits the cap and merely mentions the variable hides nothing.
    steps = step("Default sweep", "bash sweep/run_sweep.sh") + ALL_STEP
    extra = {"tests/all/driver.sh": driver(WARM_UP, 'echo "special: ${SPECIAL:-no}"')}
    found = by_rule(audit(tmp_path, steps, extra), "unreachable-config")
    assert_whole(found["MODEL=gamma TP=1"], Severity.ERROR)


MODE_SWEEP = """\
#!/usr/bin/env bash
set -e
{warm_up}if [[ "${{MODE:-}}" == 1 ]]; then
  pytest -v sweep/test_model.py --mode fast
fi
{later}
"""


def test_value_mismatch_behind_a_cut_of_the_same_job_says_so(tmp_path):
    later = 'if [[ "${MODE:-}" == True ]]; then pytest -v sweep/test_model.py --mode slow; fi'
    steps = step("Mode", "MODE=True bash sweep/mode.sh", deps="tests/")
    extra = {"tests/sweep/mode.sh": MODE_SWEEP.format(warm_up=WARM_UP.replace("seq 1 300", "seq 1 0"), later=WARM_UP + later)}
    extra["tests/all/driver.sh"] = "#!/bin/bash\n"  # the cut is in mode.sh here, checked below
    report = audit(tmp_path, steps, extra)
    finding = by_rule(report, "value-mismatch")["MODE=True"]
    details = dict(finding.details)
    assert details["confidence"] == "incomplete" and "tests/sweep/mode.sh" in details["incomplete"]
    assert finding.severity is Severity.WARNING


def test_value_mismatch_seen_whole_is_plain(tmp_path):
    steps = step("Mode", "MODE=True bash sweep/mode.sh", deps="tests/")
    extra = {"tests/sweep/mode.sh": MODE_SWEEP.format(warm_up="", later="")}
    finding = by_rule(audit(tmp_path, steps, extra), "value-mismatch")["MODE=True"]
    assert_whole(finding, Severity.WARNING)


def test_near_miss_read_past_a_cut_says_so(tmp_path):
    steps = (step("Near", "SPECAIL=1 bash sweep/run_sweep.sh")
             + step("All", "bash all/driver.sh", deps="tests/"))
    extra = {"tests/all/driver.sh": driver(WARM_UP, 'echo "${SPECAIL:-}"')}
    report = audit(tmp_path, steps, extra)
    assert_rests_on_a_cut(by_rule(report, "near-miss-variable")["SPECAIL->SPECIAL"])
    # without the cut part reading it, the near miss stands whole
    extra = {"tests/all/driver.sh": driver(WARM_UP, "echo done")}
    report = audit(tmp_path / "b", steps, extra)
    assert_whole(by_rule(report, "near-miss-variable")["SPECAIL->SPECIAL"], Severity.WARNING)


def test_unset_switch_set_past_a_cut_says_so(tmp_path):
    steps = step("Default sweep", "bash sweep/run_sweep.sh") + ALL_STEP
    extra = {"tests/all/driver.sh": driver(WARM_UP, "export SPECIAL=1")}
    finding = by_rule(audit(tmp_path, steps, extra), "unset-switch")["SPECIAL"]
    assert_rests_on_a_cut(finding)


def test_every_report_counts_the_downgraded_findings_next_to_its_verdict(tmp_path):
    extra = {"tests/all/driver.sh": driver(WARM_UP, "bash orphan/run.sh"), "tests/orphan/run.sh": ORPHAN}
    report = audit(tmp_path, ALL_STEP, extra)
    n = report.downgraded
    line = f"{n} finding{'s' if n != 1 else ''} downgraded because"
    rendered = text.render(report)
    assert rendered.splitlines()[1].startswith(line)  # right under the verdict
    assert "note: the analysis was cut short on its way" in rendered
    md = audit_markdown.render(report)
    assert line in md.split("###")[0] and "cut short on its way" in md
    data = json.loads(json_report.render(report))
    assert data["summary"]["downgraded"] == n
    assert [f["confidence"] for f in data["findings"] if f["subject"] == "org/model-a"] == ["incomplete"]
    # a report with nothing downgraded says nothing about it, and counts 0
    clean = audit_repo(make_repo(tmp_path, repo_files(step("Default sweep", "bash sweep/run_sweep.sh")), name="clean"))
    assert "downgraded" not in text.render(clean) and "downgraded" not in audit_markdown.render(clean)
    assert json.loads(json_report.render(clean))["summary"]["downgraded"] == 0
