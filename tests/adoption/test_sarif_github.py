"""Every SARIF coverage-diff writes (diff, audit, audit --since) is valid SARIF 2.1.0 (the
official schema, vendored under tests/audit/data) and meets what GitHub code scanning
requires of an upload: a located result for every finding, distinct rule names and ids,
tool information, relative paths and positive lines."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from adoption_kit import ROOT, parsed

SCHEMA = json.loads((ROOT / "tests" / "audit" / "data" / "sarif-schema-2.1.0.json").read_text())


def github_problems(doc: dict) -> list[str]:
    """What code scanning's ingestion (docs: "SARIF support for code scanning") would reject or drop."""
    problems = []
    if len(doc["runs"]) > 20:
        problems.append("more than 20 runs")
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        if not driver.get("name") or not (driver.get("version") or driver.get("semanticVersion")):
            problems.append("driver without name or version")
        if not driver.get("informationUri"):
            problems.append("driver without informationUri")
        rules = driver.get("rules", [])
        ids = [r["id"] for r in rules]
        if len(ids) != len(set(ids)):
            problems.append("duplicate rule ids")
        for rule in rules:
            if not rule.get("name") or rule["name"] == rule["id"]:
                problems.append(f"rule {rule['id']}: name missing or equal to the id")
            if len(rule.get("properties", {}).get("tags", [])) > 20:
                problems.append(f"rule {rule['id']}: more than 20 tags")
            if not rule.get("shortDescription", {}).get("text"):
                problems.append(f"rule {rule['id']}: no short description")
        results = run.get("results", [])
        if len(results) > 25_000:
            problems.append("more than 25,000 results")
        for n, result in enumerate(results):
            where = f"result {n} ({result.get('ruleId')})"
            if result.get("ruleId") not in ids:
                problems.append(f"{where}: ruleId not among the rules")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: empty message")
            locations = result.get("locations") or []
            if not locations:
                problems.append(f"{where}: no location")
            for loc in locations + result.get("relatedLocations", []):
                physical = loc.get("physicalLocation", {})
                uri = physical.get("artifactLocation", {}).get("uri", "")
                if not uri or uri.startswith("/") or re.match(r"[a-z]+:", uri):
                    problems.append(f"{where}: location uri {uri!r} is not repository-relative")
                if "region" in physical and physical["region"].get("startLine", 1) < 1:
                    problems.append(f"{where}: startLine below 1")
            if len(result.get("relatedLocations", [])) > 1000:
                problems.append(f"{where}: more than 1000 related locations")
    return problems


def check(doc: dict) -> None:
    jsonschema.validate(doc, SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert github_problems(doc) == []


@pytest.mark.parametrize("args", [("base..head",), ("head..base",), ("audit", "head"), ("audit", "--since", "base", "--until", "head")],
                         ids=["diff", "diff-reversed", "audit", "audit-since"])
def test_sarif_is_valid_for_github(pd_repo, args):
    doc = parsed(pd_repo, "sarif", *args, "--fail-on", "never")
    check(doc)
    assert doc["runs"][0]["results"], "the fixture has findings for every command"


def test_a_finding_without_places_is_located_at_its_runs():
    from coverage_diff.model import Finding, Location, Report, Run, Severity
    from coverage_diff.report.sarif import to_sarif

    run = Run(job_id="github-actions:.github/workflows/ci.yml:test", argv=("pytest", "tests/a.py"), env=(),
              location=Location(".github/workflows/ci.yml", 12), cwd="")
    finding = Finding("removed", "pytest tests/a.py", Severity.WARNING, "gone", base_runs=(run,))
    bare = Finding("removed", "pytest tests/b.py", Severity.WARNING, "gone",
                   base_runs=(Run(job_id="gitlab:.gitlab-ci.yml:unit", argv=("pytest",), env=(), location=Location(""), cwd=""),))
    doc = to_sarif(Report("diff", "a", "b", findings=(finding, bare)))
    check(doc)
    first, second = (r["locations"][0]["physicalLocation"] for r in doc["runs"][0]["results"])
    assert first == {"artifactLocation": {"uri": ".github/workflows/ci.yml", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}
    assert second["artifactLocation"]["uri"] == ".gitlab-ci.yml"
