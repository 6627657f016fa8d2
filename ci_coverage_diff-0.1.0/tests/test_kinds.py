"""Diff kinds are one table (kinds.py): every renderer, the JSON Schema and the README
present each kind as its descriptor says."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from coverage_diff.diff import SEVERITY
from coverage_diff.kinds import DIFF_KINDS, INFORMATIONAL, LOSS_KINDS
from coverage_diff.model import ConfigEntry, Finding, Location, Report
from coverage_diff.report import markdown, renderer

SCHEMA = json.loads(resources.files("coverage_diff").joinpath("schema/report-v2.json").read_text())
README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def report_of(kind) -> Report:
    entry = ConfigEntry("MODE=fast TP=2", Location("tests/sweep.sh", 7), "configs")
    finding = Finding(kind=kind.id, subject=entry.identity, severity=kind.severity, message=f"what became of it ({kind.id})",
                      config=entry, locations=(entry.location,))
    return Report(command="diff", base="base", head="head", findings=(finding,))


def test_the_table_is_the_one_declaration():
    assert [k.id for k in DIFF_KINDS] == list(SEVERITY)  # the diff's severities and summary order come from it
    assert LOSS_KINDS == ("silently-dropped", "removed", "narrowed")
    assert INFORMATIONAL == {"changed", "moved", "added"}
    assert len({k.id for k in DIFF_KINDS}) == len(DIFF_KINDS)


def test_the_schema_and_the_readme_list_every_kind():
    kind = SCHEMA["$defs"]["finding"]["properties"]["kind"]["enum"]
    assert kind == [k.id for k in DIFF_KINDS]
    for k in DIFF_KINDS:
        assert re.search(rf"^\| `{k.id}` \| {k.severity.value} \|", README, re.M), f"README has no row for {k.id}"


@pytest.mark.parametrize("kind", DIFF_KINDS, ids=lambda k: k.id)
def test_every_renderer_presents_a_kind_from_its_descriptor(kind):
    report = report_of(kind)
    text = renderer("text")(report)
    assert f"\n{kind.title}: 1\n" in text
    assert ("what became of it" in text) is (not kind.informational)  # the why of what needs a reader
    document = json.loads(renderer("json")(report))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["findings"][0]["kind"] == kind.id
    sarif = json.loads(renderer("sarif")(report))
    rule = sarif["runs"][0]["tool"]["driver"]["rules"][0]
    assert (rule["id"], rule["name"], rule["fullDescription"]["text"]) == (kind.id, kind.sarif_name, kind.description)
    assert rule["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[kind.severity.value]
    comment = markdown.render(report)
    assert markdown.is_clean(report) is kind.informational
    if not kind.informational:
        assert (kind.happened or f"**{kind.id}**") in comment
    annotations = renderer("github")(report)
    assert (annotations.strip() == "") is kind.informational
    gitlab = json.loads(renderer("gitlab")(report))
    assert gitlab[0]["check_name"] == f"coverage-diff/{kind.id}"
