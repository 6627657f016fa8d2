"""GitLab CI front-end: includes, extends, default, variables, parallel, rules, diagnostics."""

import pytest

from coverage_diff.ci import gitlab
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot
from placing import own_unknown
from placing import placed


def run(files):
    if isinstance(files, str):
        files = {".gitlab-ci.yml": files}
    return gitlab.jobs(Snapshot.from_files("t", files), Settings())


def by_key(result):
    return {(j.key, j.matrix): j for j in result.jobs}


PIPELINE = """
stages: [build, test]
variables:
  GLOBAL: g
  OVERRIDDEN: global
  DERIVED: "${GLOBAL}-x"
  FORM:
    value: long-form
    description: documented
.defaults: &defaults
  image: python:3.11
  tags: [gpu]
.base:
  variables:
    BASE: b
    OVERRIDDEN: base
  script:
    - echo base
.middle:
  extends: .base
  variables:
    MIDDLE: m
  before_script:
    - echo middle-before
test-suite:
  <<: *defaults
  extends: [.middle]
  stage: test
  variables:
    OVERRIDDEN: job
  parallel:
    matrix:
      - SUITE: [core, distributed]
        BACKEND: cuda
      - SUITE: slow
  script:
    - bash ci/dispatch.sh
"""


def test_extends_anchors_variables_and_parallel_matrix():
    result = run(PIPELINE)
    assert result.diagnostics == []
    assert [j.matrix for j in result.jobs] == [
        (("SUITE", "core"), ("BACKEND", "cuda")), (("SUITE", "distributed"), ("BACKEND", "cuda")), (("SUITE", "slow"),)]
    job = result.jobs[1]
    assert (job.key, job.label, job.system, job.errexit, job.working_dir) == ("test-suite", "test-suite", "gitlab", True, "")
    env = dict(job.env)
    assert env == {"GLOBAL": "g", "OVERRIDDEN": "job", "DERIVED": "g-x", "FORM": "long-form", "BASE": "b",
                   "MIDDLE": "m", "SUITE": "distributed", "BACKEND": "cuda", "CI_PROJECT_DIR": "/vllm-workspace"}
    assert [(c.text, c.location.line) for c in job.commands] == [("echo middle-before", 24), ("bash ci/dispatch.sh", 37)]
    assert job.platform == "python:3.11 tags=gpu"
    assert job.location.line == 25
    assert job.id != result.jobs[0].id


def test_parallel_number_sets_node_index():
    result = run("shard:\n  parallel: 3\n  script: [pytest --shard $CI_NODE_INDEX]\n")
    assert [dict(j.env)["CI_NODE_INDEX"] for j in result.jobs] == ["1", "2", "3"]
    assert all(dict(j.env)["CI_NODE_TOTAL"] == "3" for j in result.jobs)


def test_default_section_and_inherit():
    result = run("""
default:
  image: base:1
  before_script: [echo default-before]
variables:
  G: "1"
plain:
  script: [make]
opted-out:
  inherit:
    default: false
    variables: false
  script: [make]
partial:
  inherit:
    default: [image]
  script: [make]
""")
    jobs = {j.key: j for j in result.jobs}
    assert [c.text for c in jobs["plain"].commands] == ["echo default-before", "make"]
    assert jobs["plain"].platform == "base:1" and dict(jobs["plain"].env) == {"G": "1", "CI_PROJECT_DIR": "/vllm-workspace"}
    assert [c.text for c in jobs["opted-out"].commands] == ["make"] and jobs["opted-out"].env == (("CI_PROJECT_DIR", "/vllm-workspace"),)
    assert jobs["partial"].platform == "base:1" and [c.text for c in jobs["partial"].commands] == ["make"]


def test_includes_local_string_list_and_glob():
    result = run({
        ".gitlab-ci.yml": "include:\n  - local: /ci/a.yml\n  - ci/b.yml\n  - local: ci/more/*.yml\n  - project: g/p\n    file: x.yml\n"
                          "a-job:\n  variables:\n    FROM_MAIN: main\n",
        "ci/a.yml": ".tmpl:\n  script: [echo tmpl]\na-job:\n  extends: .tmpl\n  variables:\n    FROM_A: a\n",
        "ci/b.yml": "b-job:\n  script:\n    - echo b\n",
        "ci/more/c.yml": "c-job:\n  script: echo c\n",
    })
    jobs = {j.key: j for j in result.jobs}
    assert set(jobs) == {"a-job", "b-job", "c-job"}
    assert dict(jobs["a-job"].env) == {"FROM_A": "a", "FROM_MAIN": "main", "CI_PROJECT_DIR": "/vllm-workspace"}  # main file merges over the include
    assert jobs["a-job"].commands[0].location.path == "ci/a.yml"
    assert jobs["b-job"].file == "ci/b.yml" and jobs["b-job"].commands[0].location.line == 3
    assert jobs["c-job"].commands[0].location.path == "ci/more/c.yml"
    assert len(result.incomplete) == 1 and "project" in result.incomplete[0].reason
    assert gitlab.owns(Snapshot.from_files("t", {".gitlab-ci.yml": "include: ci/b.yml\n", "ci/b.yml": "x:\n  script: [a]\n"}),
                       Settings()) == [".gitlab-ci.yml", "ci/b.yml"]


def test_reference_tags_and_multiline_blocks_keep_lines():
    result = run("""
.setup:
  script:
    - echo one
    - echo two
job:
  script:
    - !reference [.setup, script]
    - |
      if [ -n "$X" ]; then
        run-x
      fi
""")
    (job,) = result.jobs
    assert [placed(c) for c in job.commands] == [
        [("echo one", 4)], [("echo two", 5)], [('if [ -n "$X" ]; then', 10), ("run-x", 11), ("fi", 12)]]
    assert job.commands[2].text == 'if [ -n "$X" ]; then\n  run-x\nfi\n'  # one piece of the job's script


def test_after_script_is_its_own_shell():
    result = run("job:\n  script: [make]\n  after_script: [cleanup]\n")
    assert [(j.key, [c.text for c in j.commands]) for j in result.jobs] == [("job", ["make"]), ("job/after_script", ["cleanup"])]


@pytest.mark.parametrize("rules, tier", [
    ("", Tier.EVERY_PR),
    ("  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n", Tier.EVERY_PR),
    ("  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n", Tier.MAIN),
    ("  rules:\n    - if: '$CI_PIPELINE_SOURCE == \"schedule\"'\n", Tier.NIGHTLY),
    ("  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n      when: manual\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n", Tier.NIGHTLY),
    ("  when: manual\n", Tier.OPTIONAL),
    ("  rules:\n    - changes: [src/**/*]\n", Tier.PATH_FILTERED),
    ("  only: [schedules]\n", Tier.NIGHTLY),
    ("  only: [main]\n", Tier.MAIN),
    ("  except: [merge_requests, branches]\n", Tier.OPTIONAL),  # tag pipelines remain
    ("  rules:\n    - if: $CI_PIPELINE_SOURCE\n      when: never\n    - when: always\n", None),
    ("  rules:\n    - exists: [Dockerfile]\n", Tier.EVERY_PR),
    ("  rules:\n    - exists: [nothing-here]\n", None),
])
def test_rules_and_when_give_tiers(rules, tier):
    result = run({".gitlab-ci.yml": "job:\n  script: [make]\n" + rules, "Dockerfile": "FROM x\n"})
    assert [j.tier for j in result.jobs] == ([tier] if tier else [])


def test_rules_over_job_and_matrix_variables_pick_combinations():
    result = run("""
variables:
  RUN_SLOW: ""
job:
  parallel:
    matrix:
      - SUITE: [core, distributed, slow]
  rules:
    - if: $SUITE == "slow" && $RUN_SLOW == ""
      when: never
    - if: $SUITE =~ /^dist/ && $CI_PIPELINE_SOURCE == "merge_request_event"
      variables:
        NPROC: "2"
    - if: $SUITE == "core"
  script: [bash dispatch.sh]
""")
    assert [(dict(j.matrix)["SUITE"], dict(j.env).get("NPROC")) for j in result.jobs] == [("core", None), ("distributed", "2")]


def test_unknown_rule_conditions_keep_the_job_and_record_the_assumption():
    (job,) = run("job:\n  script: [make]\n  rules:\n    - if: $DEPLOY_TOKEN\n").jobs
    assert any(k == "rules" and "$DEPLOY_TOKEN" in v for k, v in job.attributes)


def test_workflow_rules_filter_pipelines():
    result = run("""
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
job:
  script: [make]
""")
    assert [j.tier for j in result.jobs] == [Tier.NIGHTLY]


def test_variables_referencing_predefined_ones_are_unknown():
    (job,) = run("variables:\n  IMG: registry/$CI_PROJECT_PATH:latest\n  ESC: \"$$HOME\"\njob:\n  script: [make]\n").jobs
    assert own_unknown(job) == ("IMG",) and dict(job.env) == {"ESC": "$HOME", "CI_PROJECT_DIR": "/vllm-workspace"}


def test_broken_inputs_give_diagnostics_with_lines():
    result = run({
        ".gitlab-ci.yml": "include: missing.yml\nstages: [test]\nlist-job: [1]\nno-script:\n  stage: test\n"
                          "bad-extends:\n  extends: .nope\n  script: [x]\nloop-a:\n  extends: loop-b\n  script: [a]\n"
                          "loop-b:\n  extends: loop-a\n  script: [b]\nbad-rule:\n  script: [x]\n  rules:\n    - if: $A ==\n"
                          "bad-stage:\n  stage: deploy\n  script: [x]\nbad-vars:\n  variables: [A]\n  script: [x]\n"
                          "bad-parallel:\n  parallel:\n    matrix: nope\n  script: [x]\ngood:\n  script: [make good]\n",
    })
    lines = sorted(d.location.line for d in result.diagnostics)
    assert lines == [1, 3, 4, 7, 9, 12, 18, 20, 23, 26]
    assert "good" in {j.key for j in result.jobs}
    assert all(d.location.path == ".gitlab-ci.yml" for d in result.diagnostics)


def test_invalid_yaml_is_a_diagnostic():
    result = run("job:\n  script: [\n")
    assert result.jobs == [] and result.diagnostics[0].location.line == 3
