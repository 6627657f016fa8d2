"""Repository text with terminal escapes and markup stays inert in explain's text and JSON."""

from __future__ import annotations

import json

import history

from coverage_diff.engine.session import Session
from coverage_diff.explain import explain
from coverage_diff.report import explain as render

ESC = "\x1b[31mRED\x1b]0;title\x07"
PIPELINE = """\
steps:
  - label: "evil \\e[31mRED\\e]0;title\\a step"
    command: bash ci/sweep.sh
"""
SWEEP = """\
#!/usr/bin/env bash
configs=(
  "MODEL=a TAG=ok"
)
other_configs=(
  "MODEL=b TAG=$'\\e[31m'"
)
if [[ -n "${HIDDEN:-}" ]]; then
  configs=("${other_configs[@]}")
fi
for cfg in "${configs[@]}"; do
  env $cfg pytest tests/test_x.py
done
"""


def test_escapes_are_removed_from_text_and_kept_as_data_in_json(tmp_path):
    repo = history.init_repo(tmp_path / "repo")
    history.write_tree(repo, {".buildkite/pipeline.yml": PIPELINE, "ci/sweep.sh": SWEEP, "tests/test_x.py": ""})
    history.commit_all(repo, "hostile", tag="head")
    session = Session(repo)
    try:
        inventory = session.inventory("head")
        result = explain(inventory, "MODEL=")
    finally:
        session.close()
    assert {s.head.reached for s in result.subjects} == {True, False}
    text = render.render(result, "text")
    assert "\x1b" not in text and "\x07" not in text
    assert "evil RED" in text.replace("[31m", "")  # the label is still shown, without its escapes
    data = json.loads(render.render(result, "json"))
    labels = {p["label"] for s in data["subjects"] for p in s["head"]["paths"]}
    assert any("\x1b[31m" in label for label in labels)
