"""GitLab CI as the runner executes it: one shell session per job, `!reference` wherever GitLab
takes it, RE2 rules, includes from outside the repository, Windows runners, empty pipelines.
Every fixture is written here from scratch."""

from coverage_diff.ci import gitlab
from coverage_diff.config import Settings
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot
from placing import placed

SCRIPT = "#!/bin/bash\nif [[ \"${SUITE:-}\" == slow ]]; then\n  pytest -m slow\nelse\n  pytest -m 'not slow'\nfi\n"


def analyse(files):
    if isinstance(files, str):
        files = {".gitlab-ci.yml": files}
    snapshot = Snapshot.from_files("t", {"ci/test.sh": SCRIPT, **files})
    result = gitlab.jobs(snapshot, Settings())
    return result, {job.key: interpret_job(job, snapshot, Settings()) for job in result.jobs}


def argvs(outcome) -> list[str]:
    return [" ".join(r.argv) for r in outcome.runs]


SESSION = """
job:
  before_script:
    - export SUITE=slow
  script:
    - |
      if [ -d ci ]; then
        bash ci/test.sh
      fi
    - >
      make
      report
  after_script:
    - bash ci/test.sh
"""


def test_before_script_and_script_are_one_shell_session_and_after_script_another():
    result, outcomes = analyse(SESSION)
    assert result.diagnostics == [] and [j.key for j in result.jobs] == ["job", "job/after_script"]
    job = result.jobs[0]
    assert [placed(c) for c in job.commands] == [
        [("export SUITE=slow", 4)], [("if [ -d ci ]; then", 7), ("bash ci/test.sh", 8), ("fi", 9)],
        [("make", 11), ("report", 12)]]
    assert argvs(outcomes["job"]) == ["pytest -m slow", "make report"]  # the export reaches the script's items
    assert argvs(outcomes["job/after_script"]) == ["pytest -m not slow"]  # a shell of its own


WINDOWS = """
win:
  tags: [shared-windows, x64]
  script:
    - Get-ChildItem
.tag-from-a-variable:
  tags: [$RUNNER_TAG]
  before_script:
    - $env:Path += ";C:\\tools"
by-script:
  extends: .tag-from-a-variable
  script:
    - go test ./...
by-image:
  image: mcr.microsoft.com/windows/servercore:ltsc2022
  script: go test ./...
linux:
  script:
    - export VERSION=$(cat VERSION)
    - go test ./...
"""


def test_jobs_for_windows_runners_are_powershell_not_bash():
    result, _ = analyse(WINDOWS)
    assert [j.key for j in result.jobs] == ["linux"]
    assert [(i.location.line, i.reason.split("(")[1].split(" ")[0]) for i in result.incomplete] == [
        (2, "tags"), (10, "PowerShell"), (14, "image")]


REFERENCES = {
    ".gitlab-ci.yml": """
include:
  - local: ci/rules.yml
workflow:
  rules: !reference [.pipeline, rules]
variables: !reference [.shared, variables]
.conditions:
  nightly: $CI_PIPELINE_SOURCE == "schedule"
unit:
  rules:
    - !reference [.never-on-tags, rules]
    - if: !reference [.conditions, nightly]
      variables: {SUITE: slow}
  script:
    - bash ci/test.sh
broken:
  script:
    - !reference [.nowhere, script]
    - make broken
""",
    "ci/rules.yml": """
.pipeline:
  rules:
    - if: $CI_COMMIT_TAG
      when: never
    - when: always
.never-on-tags:
  rules:
    - if: $CI_COMMIT_TAG
      when: never
.shared:
  variables:
    LEVEL: shared
""",
}


def test_reference_tags_resolve_in_workflow_rules_rule_items_if_and_variables():
    result, outcomes = analyse(REFERENCES)
    unit = next(j for j in result.jobs if j.key == "unit")
    assert dict(unit.env)["LEVEL"] == "shared"
    assert unit.tier.value == "nightly"  # only the `if:` taken from `.conditions` holds, in scheduled pipelines
    assert argvs(outcomes["unit"]) == ["pytest -m slow"]  # with that rule's variables
    assert [(d.location.path, d.location.line, d.message) for d in result.diagnostics] == [
        (".gitlab-ci.yml", 18, "!reference ['.nowhere', 'script'] points to nothing")]
    broken = next(j for j in result.jobs if j.key == "broken")
    assert [c.text for c in broken.commands] == ["make broken"]  # the rest of the job is kept


def test_a_reference_that_resolves_to_nothing_is_reported_where_it_is_written():
    files = {".gitlab-ci.yml": "include: ci/jobs.yml\n",
             "ci/jobs.yml": "job:\n  script: make\n  rules: !reference [.missing, rules]\n"}
    result, _ = analyse(files)
    assert [(d.location.path, d.location.line) for d in result.diagnostics] == [("ci/jobs.yml", 3)]
    assert [j.key for j in result.jobs] == ["job"]


def test_rules_regexes_use_re2_syntax():
    text = """
release:
  rules:
    - if: $CI_COMMIT_BRANCH =~ /\\Amain\\z/
  script: make release
posix:
  rules:
    - if: $CI_COMMIT_BRANCH =~ /^[[:alpha:]]+$/
  script: make posix
"""
    result, _ = analyse(text)
    assert result.diagnostics == []
    tiers = {j.key: j.tier.value for j in result.jobs}
    assert tiers == {"release": "main", "posix": "every-pr"}  # `feature` is letters only; `main` matches \\Amain\\z


OUTSIDE = """
include:
  - remote: https://example.invalid/ci/base.yml
  - template: Security/SAST.gitlab-ci.yml
  - component: example.invalid/group/lint@1.0
test:
  extends: [.base-job, .local]
  script:
    - bash ci/test.sh
lint:
  extends: .lint-template
.local:
  variables:
    SUITE: slow
"""


def test_jobs_extending_templates_from_outside_includes_keep_what_is_known():
    result, outcomes = analyse(OUTSIDE)
    assert result.diagnostics == []
    assert [j.key for j in result.jobs] == ["test"]
    assert dict(result.jobs[0].env)["SUITE"] == "slow"
    assert argvs(outcomes["test"]) == ["pytest -m slow"]
    reasons = [i.reason for i in result.incomplete]
    assert sum("lives outside the repository" in r for r in reasons) == 3
    assert any("'test' extends '.base-job'" in r for r in reasons)
    assert any("job 'lint' has no `script` in the repository" in r for r in reasons)


def test_a_pipeline_that_analyses_to_no_jobs_is_an_error():
    result, _ = analyse("job:\n  extends: .gone\n  script: make\n")
    messages = [d.message for d in result.diagnostics]
    assert "'job' extends '.gone', which is not defined" in messages
    assert any(m.startswith("the pipeline of .gitlab-ci.yml analyses to no jobs") for m in messages)


def test_a_file_of_templates_only_is_not_an_empty_pipeline():
    result, _ = analyse(".template:\n  script: make\n")
    assert result.diagnostics == [] and result.jobs == []


def test_jobs_that_run_only_for_release_tags_are_kept_and_wait_for_a_release():
    text = """
release:
  rules:
    - if: $CI_COMMIT_TAG =~ /^v[0-9]+\\.[0-9]+\\.[0-9]+$/
  script: make release
tags-only:
  only: [tags]
  script: make tagged
"""
    result, _ = analyse(text)
    assert [(j.key, j.tier.value) for j in result.jobs] == [("release", "optional"), ("tags-only", "optional")]


def test_predefined_variables_are_set_to_values_known_only_in_the_pipeline():
    text = 'job:\n  script:\n    - if [ -n "$CI_COMMIT_TAG" ]; then make release; else make snapshot; fi\n'
    result, outcomes = analyse(text)
    assert sorted(argvs(outcomes["job"])) == ["make release", "make snapshot"]  # not "unset": both can happen


def test_the_checkout_directory_is_set_for_a_script_under_set_u():
    pipeline = 'unit:\n  script:\n    - set -u\n    - cd "$CI_PROJECT_DIR/ci" && bash ./unit.sh "$CI_BUILDS_DIR"\n'
    result, outcomes = analyse({".gitlab-ci.yml": pipeline, "ci/unit.sh": "pytest tests/unit\n"})
    assert argvs(outcomes["unit"]) == ["pytest tests/unit"]
    assert "CI_PROJECT_DIR" in dict(result.jobs[0].attributes)["env-from-run"]
