"""`--format json` of diff, audit and audit --since validates against the published schema,
and the analysis's own counters are in `stats`, outside the contract."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from adoption_kit import parsed

SCHEMA = json.loads(resources.files("coverage_diff").joinpath("schema/report-v2.json").read_text())


def run(repo, *args) -> dict:
    return parsed(repo, "json", *args, "--fail-on", "never")


def test_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("args", [("base..head",), ("base...head", "-v"), ("audit", "head"), ("audit", "--since", "base", "--until", "head")],
                         ids=["diff", "diff-verbose", "audit", "audit-since"])
def test_reports_validate(pd_repo, args):
    report = run(pd_repo, *args)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["findings"], "the fixture has findings of every command"
    assert not set(report["summary"]) & {"base_runs", "head_runs", "cache_hits", "inventories_built"}


def test_schema_rejects_what_is_not_the_contract(pd_repo):
    report = run(pd_repo, "base..head")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    broken = json.loads(json.dumps(report))
    broken["findings"][0]["severity"] = "fatal"
    assert not validator.is_valid(broken)
    broken = json.loads(json.dumps(report))
    del broken["findings"][0]["acknowledged"]
    assert not validator.is_valid(broken)


def test_a_finding_lists_at_most_max_runs_and_counts_the_rest():
    """An added subject with thousands of runs (an unknown `case` subject in a loop) lists
    MAX_RUNS of them, the first of each job first, and counts the rest; a run lists
    MAX_ASSUMPTIONS assumptions and counts the rest.  Text and SARIF say "and N more"."""
    from coverage_diff.model import Assumption, Condition, Finding, Location, Report, Run, Severity
    from coverage_diff.report import json as report_json
    from coverage_diff.report import sarif, text

    where = Location("tests/arms.sh", 3)
    assumptions = tuple(Assumption(Condition(where, f"case x in v{i})", (), False), f"x does not match v{i}") for i in range(60))
    runs = tuple(Run(job_id=f"buildkite:ci.yml:job{j}", argv=("pytest", f"arm_{i}.py"), env=(), location=Location(f"tests/s{i}.sh", 1),
                     cwd="", assumptions=assumptions) for j in range(3) for i in range(15))
    finding = Finding("added", "pytest arm.py", Severity.INFO, "new", head_runs=runs, base_runs=runs[:2])
    report = Report("diff", "a", "b", findings=(finding,))
    data = json.loads(report_json.render(report))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    listed = data["findings"][0]
    assert len(listed["head_runs"]) == report_json.MAX_RUNS == 20
    assert listed["head_runs_omitted"] == 45 - 20
    assert "base_runs_omitted" not in listed and len(listed["base_runs"]) == 2
    assert {r["job"] for r in listed["head_runs"]} == {f"buildkite:ci.yml:job{j}" for j in range(3)}  # every job shows
    first = listed["head_runs"][0]
    assert len(first["assumptions"]) == report_json.MAX_ASSUMPTIONS and first["assumptions_omitted"] == 10
    assert first["assumptions"][0] == "case x in v0) (x does not match v0)"
    assert "(and 6 more places it ran at, not listed)" in json.dumps(sarif.to_sarif(report))  # 15 scripts and ci.yml, 10 listed
    many = tuple(Run(job_id=f"buildkite:ci.yml:job{j}", argv=("pytest",), env=(), location=where, cwd="") for j in range(9))
    shown = text.render(Report("diff", "a", "b", findings=(Finding("removed", "pytest arm.py", Severity.WARNING, "gone", base_runs=many),)))
    assert "ran before in: ci.yml: buildkite:ci.yml:job0, buildkite:ci.yml:job1, buildkite:ci.yml:job2, buildkite:ci.yml:job3 and 5 more" in shown
