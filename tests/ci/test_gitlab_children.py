"""GitLab child pipelines (`trigger: include:`) and `include:` entries with `rules:`."""

import history as fixture_history  # fixtures/history.py
from coverage_diff.engine.session import diff_range
from coverage_diff.ci import gitlab
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot


def run(files):
    return gitlab.jobs(Snapshot.from_files("t", files), Settings())


def by_key(result):
    return {j.key: j for j in result.jobs}


PARENT = """variables:
  GLOBAL: parent
gpu-tests:
  variables:
    SUITE: distributed
  trigger:
    include: ci/gpu.yml
nightly-tests:
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
  trigger:
    include:
      - local: ci/gpu.yml
    forward:
      yaml_variables: false
generated:
  trigger:
    include:
      - artifact: generated.yml
        job: generate
other-project:
  trigger: group/other
"""
CHILD = """variables:
  SUITE: core
  GLOBAL: child
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "parent_pipeline"
run-suite:
  script:
    - bash ci/dispatch.sh
"""


def test_trigger_include_makes_child_jobs_with_the_parents_variables():
    result = run({".gitlab-ci.yml": PARENT, "ci/gpu.yml": CHILD})
    jobs = by_key(result)
    child = jobs["gpu-tests/run-suite"]
    assert child.file == "ci/gpu.yml" and child.location.line == 7
    assert dict(child.env)["SUITE"] == "distributed" and dict(child.env)["GLOBAL"] == "parent"
    assert child.tier is Tier.EVERY_PR
    nightly = jobs["nightly-tests/run-suite"]
    assert nightly.tier is Tier.NIGHTLY
    assert dict(nightly.env)["SUITE"] == "core"  # yaml_variables not forwarded
    reasons = [i.reason for i in result.incomplete]
    assert any("'generated'" in r and "run time" in r for r in reasons)
    assert any("group/other" in r for r in reasons)
    assert "ci/gpu.yml" in result.files


def test_child_pipeline_cycles_and_missing_files_are_diagnosed():
    files = {".gitlab-ci.yml": "a:\n  trigger:\n    include: ci/a.yml\nb:\n  trigger:\n    include: ci/none.yml\n",
             "ci/a.yml": "again:\n  trigger:\n    include: ci/a.yml\nleaf:\n  script: [pytest a]\n"}
    result = run(files)
    assert "a/leaf" in by_key(result)
    messages = [d.message for d in result.diagnostics]
    assert any("cycle" in m and "ci/a.yml -> ci/a.yml" in m for m in messages)
    assert any("ci/none.yml not found" in m for m in messages)


def test_include_rules_decide_whether_and_when_a_file_is_included():
    files = {
        ".gitlab-ci.yml": """variables:
  GPU: "0"
include:
  - local: ci/gpu.yml
    rules:
      - if: $GPU == "1"
  - local: ci/nightly.yml
    rules:
      - if: $CI_PIPELINE_SOURCE == "schedule"
  - local: ci/always.yml
unit:
  script: [pytest unit]
""",
        "ci/gpu.yml": "gpu:\n  script: [pytest gpu]\n",
        "ci/nightly.yml": "slow:\n  script: [pytest slow]\n",
        "ci/always.yml": "lint:\n  script: [ruff check]\n",
    }
    result = run(files)
    jobs = by_key(result)
    assert "gpu" not in jobs  # statically false: not included
    assert jobs["slow"].tier is Tier.NIGHTLY
    assert jobs["lint"].tier is Tier.EVERY_PR and jobs["unit"].tier is Tier.EVERY_PR
    assert not [i for i in result.incomplete if "assumed included" in i.reason]


DISPATCH = """#!/bin/bash
case "$SUITE" in
  core) pytest tests/core ;;
  distributed) torchrun -m pytest tests/distributed ;;
esac
"""


def test_changing_the_variable_a_trigger_passes_strands_the_childs_branch(tmp_path):
    repo = fixture_history.init_repo(tmp_path / "repo")
    fixture_history.write_tree(repo, {".gitlab-ci.yml": PARENT, "ci/gpu.yml": CHILD, "ci/dispatch.sh": DISPATCH})
    fixture_history.commit_all(repo, "base", tag="base")
    fixture_history.write_tree(repo, {".gitlab-ci.yml": PARENT.replace("SUITE: distributed", "SUITE: core")})
    fixture_history.commit_all(repo, "head", tag="head")
    report = diff_range(repo, "base..head")
    lost = [f for f in report.findings if f.kind in ("silently-dropped", "removed", "narrowed")]
    assert [(f.kind, f.subject) for f in lost] == [("silently-dropped", "torchrun -m pytest tests/distributed")]
    assert "SUITE" in lost[0].reason.variables
