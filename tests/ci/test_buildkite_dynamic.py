"""Plain Buildkite pipelines: dynamic uploads, tiers from branches / if / if_changed, skip and soft_fail."""

import pytest

import history as fixture_history  # fixtures/history.py
from coverage_diff.engine.session import diff_range
from coverage_diff.ci import buildkite
from coverage_diff.ci.buildkite_tiers import Filters, evaluate, tier_of
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot


def front(files: dict[str, str]):
    return buildkite.jobs(Snapshot.from_files("t", files), Settings())


def by_label(result) -> dict:
    return {job.label: job for job in result.jobs}


ROOT = """steps:
  - label: upload nightly
    if: build.source == "schedule"
    command: buildkite-agent pipeline upload .buildkite/nightly.yml
  - label: upload gpu
    command: "buildkite-agent pipeline upload --replace < .buildkite/gpu/steps.yaml"
  - label: generate
    command: python .buildkite/gen.py | buildkite-agent pipeline upload
  - label: unit
    command: pytest tests/unit
"""
NIGHTLY = """steps:
  - label: slow
    command: pytest -m slow
"""
GPU = """steps:
  - label: gpu
    branches: "!main"
    command: pytest tests/gpu
"""


def test_uploaded_files_are_read_with_the_uploaders_tier():
    result = front({".buildkite/pipeline.yml": ROOT, ".buildkite/nightly.yml": NIGHTLY, ".buildkite/gpu/steps.yaml": GPU})
    jobs = by_label(result)
    assert jobs["slow"].file == ".buildkite/nightly.yml"
    assert jobs["slow"].tier is Tier.NIGHTLY  # its own step runs always, but only nightly uploads it
    assert dict(jobs["slow"].attributes)["uploaded-by"] == ".buildkite/pipeline.yml:4 upload-nightly"
    assert jobs["gpu"].tier is Tier.EVERY_PR
    assert jobs["unit"].tier is Tier.EVERY_PR
    assert ".buildkite/gpu/steps.yaml" in result.files
    (generated,) = [i for i in result.incomplete if "generated" in i.reason]
    assert "'generate'" in generated.reason and generated.location.line == 8


def test_an_uploaded_file_matched_by_the_globs_is_read_once():
    files = {".buildkite/pipeline.yml": "steps:\n  - command: buildkite-agent pipeline upload .buildkite/pipelines/a.yml\n",
             ".buildkite/pipelines/a.yml": "steps:\n  - label: a\n    branches: main\n    command: pytest a\n"}
    jobs = [j for j in front(files).jobs if j.label == "a"]
    assert len(jobs) == 1 and jobs[0].tier is Tier.MAIN
    assert "uploaded-by" in dict(jobs[0].attributes)


def test_default_file_cat_pipe_missing_file_and_cycles():
    files = {
        "buildkite.yml": "steps:\n  - label: up\n    command: buildkite-agent pipeline upload\n",
        ".buildkite/pipeline.yml": (
            "steps:\n  - label: cat\n    command: cat ci/more.yml | buildkite-agent pipeline upload\n"
            "  - label: gone\n    command: buildkite-agent pipeline upload ci/missing.yml\n"
        ),
        "ci/more.yml": "steps:\n  - label: more\n    command: buildkite-agent pipeline upload ci/again.yml\n",
        "ci/again.yml": "steps:\n  - label: again\n    commands: [buildkite-agent pipeline upload ci/more.yml, pytest again]\n",
    }
    result = front(files)
    labels = [j.label for j in result.jobs]
    assert labels.count("again") == 1 and labels.count("more") == 1
    missing = [d for d in result.diagnostics if "ci/missing.yml" in d.message]
    assert missing and missing[0].location.line == 5 and "'gone'" in missing[0].message
    cycles = [d for d in result.diagnostics if "cycle" in d.message]
    assert cycles and "ci/more.yml -> ci/again.yml -> ci/more.yml" in cycles[0].message


def test_upload_with_unknown_path_is_a_diagnostic_and_env_path_is_followed():
    files = {
        ".buildkite/pipeline.yml": (
            "steps:\n  - label: known\n    env: {WHICH: extra}\n    command: buildkite-agent pipeline upload ci/$$WHICH.yml\n"
            "  - label: unknown\n    command: buildkite-agent pipeline upload ci/$$(date).yml\n"
        ),
        "ci/extra.yml": "steps:\n  - label: extra\n    command: pytest extra\n",
    }
    result = front(files)
    assert "extra" in by_label(result)
    assert any("known only at run time" in d.message for d in result.diagnostics)


@pytest.mark.parametrize("condition, tier", [
    ('build.branch == "main"', Tier.MAIN),
    ("build.branch == pipeline.default_branch && build.source != 'schedule'", Tier.MAIN),
    ('build.pull_request.id != null', Tier.EVERY_PR),
    ('build.source == "schedule"', Tier.NIGHTLY),
    ('!(build.branch == "main")', Tier.EVERY_PR),
    ('build.branch =~ /^release\\//', Tier.OPTIONAL),
    ('build.source == "ui" || build.branch == "master"', Tier.MAIN),
])
def test_if_conditions_become_tiers(condition, tier):
    assert tier_of(Filters(conditions=(condition,)))[0] is tier


def test_unsupported_if_keeps_the_step_and_records_it():
    tier, attributes = tier_of(Filters(conditions=('build.message =~ /\\[nightly\\]/',)))
    assert tier is Tier.EVERY_PR
    assert attributes[0][0] == "if" and "build.message" in attributes[0][1]
    with pytest.raises(Exception):
        evaluate("build.env('X') == 'y'", {})


@pytest.mark.parametrize("branches, tier", [
    ("main", Tier.MAIN), ("!main", Tier.EVERY_PR), ("main feature", Tier.EVERY_PR),
    ("release/*", Tier.OPTIONAL), ("*", Tier.EVERY_PR),
])
def test_branch_filters_become_tiers(branches, tier):
    assert tier_of(Filters(branches=(branches,)))[0] is tier


def test_if_changed_skip_soft_fail_and_group_filters():
    pipeline = """steps:
  - label: changed
    if_changed: "src/**"
    command: pytest src
  - label: skipped
    skip: "flaky, see #12"
    command: pytest flaky
  - label: not-skipped
    skip: false
    soft_fail: [{exit_status: 1}]
    command: pytest ok
  - label: hard
    soft_fail: "false"
    command: pytest hard
  - group: nightly
    if: build.source == "schedule"
    steps:
      - label: inner
        branches: main
        command: pytest inner
"""
    jobs = by_label(front({".buildkite/pipeline.yml": pipeline}))
    assert jobs["changed"].tier is Tier.PATH_FILTERED
    assert "skipped" not in jobs
    assert jobs["not-skipped"].soft_fail is True and jobs["hard"].soft_fail is False
    assert jobs["inner"].tier is Tier.NIGHTLY


# --------------------------------------------------------------------------- end to end
SWEEP = """#!/bin/bash
set -euo pipefail
for model in llama gemma; do
  pytest tests/models --model "$model"
done
"""


def commit(repo, files, tag):
    fixture_history.write_tree(repo, files)
    fixture_history.commit_all(repo, tag, tag=tag)


def test_a_step_in_an_uploaded_file_dropped_at_head_is_a_loss(tmp_path):
    repo = fixture_history.init_repo(tmp_path / "repo")
    root = "steps:\n  - label: upload\n    command: buildkite-agent pipeline upload .buildkite/models.yml\n"
    models = "steps:\n  - label: models\n    command: bash ci/sweep.sh\n"
    commit(repo, {".buildkite/pipeline.yml": root, ".buildkite/models.yml": models, "ci/sweep.sh": SWEEP}, "base")
    # The uploader now pipes a generator instead: the uploaded file is no longer read.
    commit(repo, {".buildkite/pipeline.yml": root.replace("buildkite-agent", "python gen.py | buildkite-agent")}, "head")
    report = diff_range(repo, "base..head")
    lost = sorted(f.subject for f in report.findings if f.kind in ("silently-dropped", "removed", "narrowed"))
    assert lost == ['pytest tests/models --model gemma', 'pytest tests/models --model llama']
    assert any("generated" in i.reason for i in report.incomplete)


def test_moving_a_step_into_an_uploaded_file_loses_nothing(tmp_path):
    repo = fixture_history.init_repo(tmp_path / "repo")
    root = "steps:\n  - label: models\n    command: bash ci/sweep.sh\n"
    commit(repo, {".buildkite/pipeline.yml": root, "ci/sweep.sh": SWEEP}, "base")
    commit(repo, {".buildkite/pipeline.yml": "steps:\n  - command: buildkite-agent pipeline upload ci/steps.yml\n",
                  "ci/steps.yml": root}, "head")
    report = diff_range(repo, "base..head")
    assert [f for f in report.findings if f.kind in ("silently-dropped", "removed", "narrowed")] == []


def test_uploaded_file_is_interpolated_with_the_uploading_steps_environment():
    files = {
        ".buildkite/pipeline.yml": (
            "env: {SHARED: s}\nsteps:\n"
            "  - label: up\n    env: {MODEL: gemma}\n    command: buildkite-agent pipeline upload ci/models.yml\n"
            "  - label: raw\n    command: buildkite-agent pipeline upload --no-interpolation ci/raw.yml\n"
        ),
        "ci/models.yml": "steps:\n  - label: model\n    command: pytest --model $MODEL --tag $SHARED $$RUNTIME\n",
        "ci/raw.yml": "steps:\n  - label: raw-model\n    command: pytest --model $MODEL\n",
    }
    jobs = by_label(front(files))
    assert jobs["model"].commands[0].text == "pytest --model gemma --tag s $RUNTIME"
    assert "MODEL" not in dict(jobs["model"].env)  # the uploader's env is not the new step's env
    assert jobs["raw-model"].commands[0].text == "pytest --model $MODEL"
