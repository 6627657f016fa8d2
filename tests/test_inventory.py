"""Inventory: runs by subject, entries defined and reached, nested sweeps."""

from coverage_diff.config import Settings
from coverage_diff.engine.build import build_inventory
from coverage_diff.snapshot import Snapshot

OUTER = """#!/bin/bash
configs=(
  "TP=1 MODEL_NAMES=a"
  "TP=2"
)
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" bash ci/inner.sh
done
"""
INNER = """#!/bin/bash
MODELS=("default-model")
if [[ -n "${MODEL_NAMES:-}" ]]; then MODELS=($MODEL_NAMES); fi
for m in "${MODELS[@]}"; do
  pytest test_model.py --model "$m"
done
"""
PIPELINE = "steps:\n  - label: sweep\n    command: bash ci/outer.sh\n"


def inventory(parts=None):
    files = {"ci/outer.sh": OUTER, "ci/inner.sh": INNER, ".buildkite/pipeline.yml": PIPELINE, "test_model.py": ""}
    return build_inventory(Snapshot.from_files("t", files), Settings(), parts=parts)


def test_runs_belong_to_the_outermost_entry_and_inner_entries_count_as_reached():
    inv = inventory()
    assert sorted(inv.runs_by_subject) == ["MODEL_NAMES=a TP=1", "TP=2"]
    (run,) = inv.runs_by_subject["TP=2"]
    assert run.argv == ("pytest", "test_model.py", "--model", "default-model")
    assert [e.array for e in run.entries] == ["configs", "MODELS"]
    assert inv.unreached_entries() == []


def test_variables_set_include_values_visible_at_script_calls():
    inv = inventory()
    assert ("sweep", "a") in inv.variables_set["MODEL_NAMES"]
    assert "ci/inner.sh" in inv.script_calls


def test_entries_are_grouped_once_per_script_definitions_object(monkeypatch):
    from functools import cached_property

    from coverage_diff.engine.memo import AnswerMemo
    from coverage_diff.shell import ScriptDefinitions

    parts = AnswerMemo()  # one memo for both, as a session's: both get the same definitions
    first, second = inventory(parts), inventory(parts)
    assert first.definitions["ci/outer.sh"] is second.definitions["ci/outer.sh"]
    grouped = []
    real = ScriptDefinitions.by_identity.func
    counting = cached_property(lambda d: (grouped.append(d), real(d))[1])
    counting.__set_name__(ScriptDefinitions, "by_identity")
    monkeypatch.setattr(ScriptDefinitions, "by_identity", counting)
    assert first.entries == second.entries
    assert len(grouped) == len(first.definitions)  # not once per inventory
    expected = {}
    for definitions in first.definitions.values():
        for entry in definitions.entries:
            expected.setdefault(entry.identity, []).append(entry)
    assert list(first.entries.items()) == list(expected.items())
    assert first.entries["TP=2"] is not second.entries["TP=2"]  # each inventory has its own lists
