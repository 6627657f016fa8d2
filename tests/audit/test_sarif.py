"""SARIF 2.1.0: valid against the official schema, with rule metadata and file:line regions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from coverage_diff.audit import RULES
from coverage_diff.model import Finding, Location, Report, Severity
from coverage_diff.report import renderer

from .test_pd_split import run_cli

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def validate(document: dict) -> None:
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def audit_sarif(pd_repo, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("sarif") / "audit.sarif"
    try:
        from coverage_diff.cli import main

        main(["audit", "head", "--repo", str(pd_repo), "--format", "sarif", "--output", str(out)])
    except SystemExit:
        pass
    return json.loads(out.read_text())


def test_audit_sarif_is_valid(audit_sarif):
    validate(audit_sarif)
    assert audit_sarif["version"] == "2.1.0"


def test_every_rule_has_metadata(audit_sarif):
    rules = audit_sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [m.ID for m in RULES]
    for descriptor, module in zip(rules, RULES):
        assert descriptor["help"]["text"].startswith(module.DESCRIPTION.split("\n")[0])
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[module.SEVERITY.value]


def test_results_point_at_the_guard_line(audit_sarif):
    results = audit_sarif["runs"][0]["results"]
    rules = audit_sarif["runs"][0]["tool"]["driver"]["rules"]
    unreachable = [r for r in results if r["ruleId"] == "unreachable-config"]
    assert len(unreachable) == 3
    for result in unreachable:
        assert rules[result["ruleIndex"]]["id"] == "unreachable-config"
        region = result["locations"][0]["physicalLocation"]
        assert region["artifactLocation"]["uri"] == "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
        assert region["region"]["startLine"] == 33  # `elif [[ -n "${SW_ATTN:-}" ]]`
        assert {loc["physicalLocation"]["region"]["startLine"] for loc in result["relatedLocations"]} <= {23, 24, 25}
        assert result["partialFingerprints"]["coverageDiffId/v1"]
    assert len({r["partialFingerprints"]["coverageDiffId/v1"] for r in results}) == len(results)


def test_diff_and_history_reports_are_valid_too(pd_repo, capsys):
    for args in (["base..head"], ["audit", "--since", "base"]):
        code, out = run_cli([*args, "--repo", str(pd_repo), "--format", "sarif"], capsys)
        document = json.loads(out)
        validate(document)
        assert any(r["ruleId"] == "silently-dropped" for r in document["runs"][0]["results"])


def test_odd_findings_stay_valid():
    weird = Finding(
        kind="missing-script", rule="missing-script", subject="dir with space/ü.sh", severity=Severity.ERROR,
        message="", locations=(Location("dir with space/ü.sh", 0), Location("", 3), Location("/abs/x.yaml", 2, 5)),
    )
    report = Report(command="audit", findings=(weird, Finding(kind="added", subject="x", severity=Severity.INFO, message="m")))
    document = json.loads(renderer("sarif")(report))
    validate(document)
    first = document["runs"][0]["results"][0]
    assert first["message"]["text"] == "dir with space/ü.sh"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir%20with%20space/%C3%BC.sh"
    assert "region" not in first["locations"][0]["physicalLocation"]


def test_github_annotations_for_an_audit(pd_repo, capsys):
    _, out = run_cli(["audit", "head", "--repo", str(pd_repo), "--format", "github"], capsys)
    lines = [line for line in out.splitlines() if line.startswith("::")]
    assert sum(line.startswith("::error file=tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh,line=33") for line in lines) == 3
    assert any(line.startswith("::warning") and "unset-switch" in line for line in lines)


def test_markdown_report_groups_by_rule_and_links_the_guard(pd_repo, capsys):
    _, out = run_cli(["audit", "head", "--repo", str(pd_repo), "--format", "markdown", "--repo-url", "https://example.invalid/o/r"], capsys)
    assert out.startswith("## ❌ coverage-diff audit of `head`: 4 findings")
    assert "### unreachable-config (3)" in out and "### unset-switch (1)" in out
    import subprocess

    head = subprocess.run(["git", "-C", str(pd_repo), "rev-parse", "head"], capture_output=True, text=True, check=True).stdout.strip()
    link = f"(https://example.invalid/o/r/blob/{head}/tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh#L33)"
    assert out.count(link) == 4
    assert "<details><summary>Suggested fix</summary>" in out and "SW_ATTN=1 bash" in out


def test_markdown_history_names_the_commit(pd_repo, capsys):
    _, out = run_cli(["audit", "--since", "base", "--repo", str(pd_repo), "--format", "markdown"], capsys)
    assert "### silently-dropped (1)" in out
    assert "Introduced by `" in out and "Move PD disaggregation steps to their own test area" in out and "still lost" in out
