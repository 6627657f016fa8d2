"""A finding whose evidence passes through a part the analysis cut short (issue 14, item 4):
it says so (a confidence field, a note), is not an error, and never claims the subject is
unreachable as written."""

import json

import history

from coverage_diff.engine.session import diff_range
from coverage_diff.model import Severity
from coverage_diff.report import json as json_report
from coverage_diff.report import markdown, text

DISPATCHER = """#!/bin/bash
set -euo pipefail
source ci/configs.sh
{prelude}
for cfg in "${{configs[@]}}"; do
  read -r -a parts <<< "$cfg"
  env "${{parts[@]}}" pytest tests/test_model.py
done
"""
CONFIGS = 'configs=(\n  "MODEL=llama TP=1"\n  "MODEL=qwen TP=2"\n)\n'
# A long warm-up before the main section: more interpreter steps than one job may spend.
PRELUDE = "for i in $(seq 1 1000); do for j in $(seq 1 1000); do n=$((i * j)); done; done"


def make(tmp_path, prelude: str):
    repo = history.init_repo(tmp_path / "repo")
    files = {"ci/dispatch.sh": DISPATCHER.format(prelude=""), "ci/configs.sh": CONFIGS, "tests/test_model.py": "",
             ".buildkite/pipeline.yml": "steps:\n  - label: models\n    command: bash ci/dispatch.sh\n"}
    history.write_tree(repo, files)
    history.commit_all(repo, "base", tag="base")
    history.write_tree(repo, {"ci/dispatch.sh": DISPATCHER.format(prelude=prelude)})
    history.commit_all(repo, "head", tag="head")
    return diff_range(repo, "base..head")


def test_losses_behind_a_step_cap_are_marked_incomplete_not_unreachable(tmp_path):
    report = make(tmp_path, PRELUDE)
    lost = [f for f in report.findings if f.kind in ("silently-dropped", "narrowed", "removed")]
    assert sorted(f.subject for f in lost) == ["MODEL=llama TP=1", "MODEL=qwen TP=2"]
    assert any(i.cut and "step limit" in i.reason for i in report.incomplete)
    for f in lost:
        assert f.severity is not Severity.ERROR
        assert dict(f.details)["confidence"] == "incomplete"
        assert "unreachable as written" not in f.reason.text and "every environment variable free" not in f.reason.text
    data = json.loads(json_report.render(report))
    assert {f["confidence"] for f in data["findings"] if f["subject"].startswith("MODEL=")} == {"incomplete"}
    assert "cut short" in text.render(report, verbose=True)
    assert "cut short" in markdown.render(report)
    # counted where a reader looks first: under the verdict, and in the JSON summary
    assert report.downgraded == 2 and data["summary"]["downgraded"] == 2
    assert text.render(report).splitlines()[2].startswith("2 findings downgraded because their evidence passes through")
    assert "2 findings downgraded because" in markdown.render(report).split("\n\n")[2]


def test_a_loss_the_analysis_saw_whole_stays_an_error(tmp_path):
    report = make(tmp_path, "exit 0")
    lost = [f for f in report.findings if f.kind == "silently-dropped"]
    assert len(lost) == 2 and all(f.severity is Severity.ERROR and "confidence" not in dict(f.details) for f in lost)
    assert report.downgraded == 0 and "downgraded" not in text.render(report) and "downgraded" not in markdown.render(report)
