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
