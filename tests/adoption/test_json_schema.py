"""`--format json` of diff, audit and audit --since validates against the published schema,
and the analysis's own counters are in `stats`, outside the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import history
import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(resources.files("coverage_diff").joinpath("schema/report-v2.json").read_text())


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return history.build(ROOT / "fixtures" / "vllm_pd_split", tmp_path_factory.mktemp("schema") / "repo")


def run(repo, *args) -> dict:
    result = subprocess.run([sys.executable, "-m", "coverage_diff", *args, "--repo", str(repo), "--format", "json", "--fail-on", "never"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("args", [("base..head",), ("base...head", "-v"), ("audit", "head"), ("audit", "--since", "base", "--until", "head")],
                         ids=["diff", "diff-verbose", "audit", "audit-since"])
def test_reports_validate(repo, args):
    report = run(repo, *args)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["findings"], "the fixture has findings of every command"
    assert not set(report["summary"]) & {"base_runs", "head_runs", "cache_hits", "inventories_built"}


def test_schema_rejects_what_is_not_the_contract(repo):
    report = run(repo, "base..head")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    broken = json.loads(json.dumps(report))
    broken["findings"][0]["severity"] = "fatal"
    assert not validator.is_valid(broken)
    broken = json.loads(json.dumps(report))
    del broken["findings"][0]["acknowledged"]
    assert not validator.is_valid(broken)
