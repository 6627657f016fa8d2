"""Every rule, positively and negatively, on small vLLM-style repositories."""

from __future__ import annotations

import pytest

import inspect
import shlex
import subprocess

from coverage_diff.engine.session import Session
from coverage_diff.audit import RULES, rule, run_audit
from coverage_diff.ci.vllm_generator import dependency_covers
from coverage_diff.audit.rules.value_mismatch import accepts
from coverage_diff.model import Severity

from test_reasons import recorded  # the condition a guard records in a script

from .conftest import SWEEP, audit_repo, by_rule, make_repo, repo_files, step

DEFAULT = step("Default sweep", "bash sweep/run_sweep.sh")
SPECIAL = step("Special sweep", "SPECIAL=1 bash sweep/run_sweep.sh")


def audit(tmp_path, steps, sweep=SWEEP, extra=None, rules=None):
    return audit_repo(make_repo(tmp_path, repo_files(steps, sweep, extra)), rules=rules)


def test_registry_modules_have_the_interface():
    ids = [m.ID for m in RULES]
    assert len(ids) == len(set(ids)) == 8
    for module in RULES:
        assert isinstance(module.SEVERITY, Severity) and "Fix" in module.DESCRIPTION and callable(module.check)
    assert rule("unset-switch").ID == "unset-switch"
    with pytest.raises(KeyError):
        rule("no-such-rule")
    assert all(list(inspect.signature(m.check).parameters) == ["inventory", "facts"] for m in RULES)


class CountingWorld:
    """An open world that counts the batches asked of it (the audit's costliest fact)."""

    def __init__(self, inner):
        self.inner, self.batches = inner, 0

    def outcome(self, job):
        return self.inner.outcome(job)

    def outcomes(self, jobs):
        self.batches += 1
        return self.inner.outcomes(jobs)

    def script_outcome(self, path, cwd):
        return self.inner.script_outcome(path, cwd)


def test_every_rule_shares_one_facts_built_from_the_world_given(tmp_path):
    from coverage_diff.world import open_world

    session = Session(make_repo(tmp_path, repo_files(DEFAULT)))
    try:
        inventory = session.inventory("HEAD")
        world = CountingWorld(open_world(inventory))
        report = run_audit(inventory, world)
        assert world.batches == 1  # five rules read every job's open world; it is asked for once
        assert set(by_rule(report, "unreachable-config")) == {"MODEL=gamma TP=1"}
        again = run_audit(inventory, world)  # a new run builds its facts again, from the same world
        assert world.batches == 2 and again.findings == report.findings
    finally:
        session.close()


# --------------------------------------------------------------------------- unreachable-config / unset-switch
def test_entry_behind_an_unset_switch(tmp_path):
    report = audit(tmp_path, DEFAULT)
    unreachable = by_rule(report, "unreachable-config")
    assert set(unreachable) == {"MODEL=gamma TP=1"}
    finding = unreachable["MODEL=gamma TP=1"]
    assert finding.config.array == "special_configs" and finding.severity is Severity.ERROR
    assert [g.condition.text for g in finding.reason.guards] == ['[[ -n "${SPECIAL:-}" ]]']
    assert set(by_rule(report, "unset-switch")) == {"SPECIAL"}  # ROCM only picks a variant


def test_switch_set_by_a_step_reaches_everything(tmp_path):
    report = audit(tmp_path, DEFAULT + SPECIAL)
    assert not by_rule(report, "unreachable-config")
    assert not by_rule(report, "unset-switch")


def test_entries_of_a_script_no_job_runs_are_unreachable(tmp_path):
    report = audit(tmp_path, step("Other", "pytest -v sweep/test_model.py"), rules=["unreachable-config", "unset-switch"])
    assert set(by_rule(report, "unreachable-config")) == {"MODEL=alpha TP=1", "MODEL=beta TP=2", "MODEL=gamma TP=1"}
    assert by_rule(report, "unreachable-config")["MODEL=alpha TP=1"].reason.text.startswith("No job runs its script")
    assert not by_rule(report, "unset-switch")  # the script is not run at all: no switch to blame


TOOL_SWEEP = SWEEP.replace("set -euo pipefail\n", """set -euo pipefail
if ! command -v model-server >/dev/null 2>&1; then
  echo "model-server is not installed" >&2
  exit 1
fi
which hf-fetch >/dev/null || pip install hf-fetch
type -P nvcc >/dev/null && export HAS_NVCC=1
""")


def test_a_tool_on_the_runner_is_no_guard_that_blocks(tmp_path):
    # Whether the runner has a program is unknown: `command -v`, `which` and `type` may succeed
    # in the job, so only the variable guard blocks gamma.
    finding = by_rule(audit(tmp_path, DEFAULT, sweep=TOOL_SWEEP), "unreachable-config")["MODEL=gamma TP=1"]
    assert [g.condition.text for g in finding.reason.guards] == ['[[ -n "${SPECIAL:-}" ]]']
    assert "no job satisfies" not in finding.reason.text


# --------------------------------------------------------------------------- near-miss-variable
def test_near_miss_variable(tmp_path):
    report = audit(tmp_path, DEFAULT + step("Typo", "SPECAIL=1 bash sweep/run_sweep.sh"))
    finding = by_rule(report, "near-miss-variable")["SPECAIL->SPECIAL"]
    assert finding.reason.near_misses == (("SPECAIL", "SPECIAL", "Typo"),)
    assert any(loc.path == ".buildkite/test_areas/sweep.yaml" for loc in finding.locations)


def test_unrelated_or_correct_variables_are_not_near_misses(tmp_path):
    report = audit(tmp_path, DEFAULT + SPECIAL + step("Other", "VERBOSE_LOGS=1 bash sweep/run_sweep.sh"))
    assert not by_rule(report, "near-miss-variable")


# --------------------------------------------------------------------------- missing-script
def test_missing_script(tmp_path):
    report = audit(tmp_path, DEFAULT + step("Moved", "bash sweep/old_sweep.sh"))
    finding = by_rule(report, "missing-script")["tests/sweep/old_sweep.sh"]
    assert finding.severity is Severity.ERROR
    assert finding.locations[0].path == ".buildkite/test_areas/sweep.yaml"


def test_existing_scripts_are_not_missing(tmp_path):
    assert not by_rule(audit(tmp_path, DEFAULT + SPECIAL), "missing-script")


# --------------------------------------------------------------------------- path-filter-gap
def test_path_filter_gap(tmp_path):
    steps = step("Narrow", "bash sweep/run_sweep.sh", deps="vllm/ tests/swe")
    findings = by_rule(audit(tmp_path, steps), "path-filter-gap")
    assert list(findings) == [".buildkite/test_areas/sweep.yaml:narrow:tests/sweep/run_sweep.sh"]


def test_path_filter_exclusion_makes_a_gap(tmp_path):
    steps = step("Excluded", "bash sweep/run_sweep.sh", deps="tests/sweep/ !tests/sweep/run_sweep.sh")
    assert by_rule(audit(tmp_path, steps), "path-filter-gap")


def test_covered_script_is_no_gap(tmp_path):
    assert not by_rule(audit(tmp_path, DEFAULT + SPECIAL), "path-filter-gap")


def test_a_workflow_path_filter_is_no_step_filter(tmp_path):
    # A GitHub workflow's `paths:` decide which pushes start it, not whether a step runs: the
    # script outside them is no gap (a Buildkite step with the same filter would be one).
    workflow = """on:
  push:
    paths: ["src/**"]
jobs:
  unit:
    runs-on: ubuntu-latest
    steps:
      - run: bash ci/unit.sh
"""
    repo = make_repo(tmp_path, {".github/workflows/ci.yml": workflow, "ci/unit.sh": "pytest tests\n", "tests/test_a.py": ""})
    session = Session(repo)
    try:
        assert [job.source_file_dependencies for job in session.inventory("HEAD").jobs] == [("src/**",)]
    finally:
        session.close()
    assert not by_rule(audit_repo(repo, rules=["path-filter-gap"]), "path-filter-gap")


def test_dependency_matching_follows_the_generator():
    assert dependency_covers(["tests/v1/"], "tests/v1/a/run.sh")
    assert dependency_covers(["tests/v1/run.sh"], "tests/v1/run.sh")
    assert not dependency_covers(["tests/v1/ru"], "tests/v1/run.sh")
    assert not dependency_covers([], "tests/v1/run.sh")
    assert not dependency_covers(["tests/", "!tests/v1"], "tests/v1/run.sh")
    assert dependency_covers(["tests/", "!tests/v1"], "tests/v2/run.sh")


def test_a_variable_the_runner_gives_every_job_is_no_near_miss(tmp_path):
    # GitLab sets CI_JOB_NAME in every job; a script reading CI_JOB_NAMES (a name of its own) is not
    # what a job meant to set.  A variable the job writes itself still is a near miss.
    pipeline = "unit:\n  variables:\n    SUITE_NAMES: fast\n  script:\n    - bash ci/unit.sh\n"
    script = 'if [ -n "${CI_JOB_NAMES:-}" ]; then pytest tests/named; fi\nif [ -n "${SUITE_NAME:-}" ]; then pytest -k "$SUITE_NAME"; fi\npytest tests\n'
    repo = make_repo(tmp_path, {".gitlab-ci.yml": pipeline, "ci/unit.sh": script, "tests/test_a.py": ""})
    assert set(by_rule(audit_repo(repo, rules=["near-miss-variable"]), "near-miss-variable")) == {"SUITE_NAMES->SUITE_NAME"}


# --------------------------------------------------------------------------- value-mismatch
FOO_SWEEP = SWEEP.replace('backend=""', 'backend=""\nif [[ "${USE_FOO:-0}" == "1" ]]; then\n  backend="--foo"\nfi')


def test_value_no_guard_accepts(tmp_path):
    report = audit(tmp_path, DEFAULT + step("Foo", "USE_FOO=True bash sweep/run_sweep.sh"), sweep=FOO_SWEEP)
    finding = by_rule(report, "value-mismatch")["USE_FOO=True"]
    assert "USE_FOO=1" in finding.reason.fix


def test_an_off_value_taken_as_off_is_no_mismatch(tmp_path):
    steps = DEFAULT + step("Foo off", "USE_FOO=false bash sweep/run_sweep.sh") + step("Foo zero", "USE_FOO=0 bash sweep/run_sweep.sh")
    assert not by_rule(audit(tmp_path, steps, sweep=FOO_SWEEP), "value-mismatch")
    steps = DEFAULT + step("Foo yes", "USE_FOO=yes bash sweep/run_sweep.sh")  # "yes" means on: the guard misses it
    assert set(by_rule(audit(tmp_path, steps, sweep=FOO_SWEEP), "value-mismatch")) == {"USE_FOO=yes"}


def test_a_value_copied_from_the_run_context_is_no_choice(tmp_path):
    # `REF: ${{ github.ref }}` is refs/heads/main on a push to main, which a `case` for release tags
    # ignores on purpose; `MODE: fast` (written by the job) still is a mismatch.
    workflow = """on:
  push:
    branches: [main]
jobs:
  decide:
    runs-on: ubuntu-latest
    steps:
      - env:
          REF: ${{ github.ref }}
          MODE: fast
        run: bash ci/decide.sh
"""
    script = 'case "$REF" in refs/tags/release-*) pytest tests/release ;; esac\nif [ "$MODE" = quick ]; then pytest tests/quick; fi\npytest tests\n'
    repo = make_repo(tmp_path, {".github/workflows/ci.yml": workflow, "ci/decide.sh": script, "tests/test_a.py": ""})
    assert set(by_rule(audit_repo(repo, rules=["value-mismatch"]), "value-mismatch")) == {"MODE=fast"}


def test_accepted_values_and_non_empty_guards_are_fine(tmp_path):
    steps = DEFAULT + step("Foo", "USE_FOO=1 bash sweep/run_sweep.sh") + step("Special", "SPECIAL=True bash sweep/run_sweep.sh")
    assert not by_rule(audit(tmp_path, steps, sweep=FOO_SWEEP), "value-mismatch")


# A guard, a value given to X, and whether the value changes the guard's outcome from X unset
# (None: not evaluated statically).
GUARDS = [
        ('[[ -n "${X:-}" ]]', "True", True),
        ('[[ -n "$X" ]]', "0", True),
        ("[[ $X ]]", "false", True),
        ('[[ "${X:-0}" == "1" ]]', "True", False),
        ('[[ "${X:-0}" == "0" ]]', "0", False),  # the default's value: no different from unset
        ('[[ "${X-0}" == "0" ]]', "", True),  # set but empty is not unset for `-`
        ('[[ "${X:+on}" == "on" ]]', "anything", True),
        ('[[ "$X" == "1" ]]', "1", True),
        ("[[ $X == tru* ]]", "true", True),
        ('[[ $X == "tru*" ]]', "true", False),
        ('[[ $X == "tru"* ]]', "true", True),  # only the quoted part is literal
        ('[[ "1" == "$X" ]]', "1", True),
        ('[ "$X" = 1 ]', "yes", False),
        ('[ "$X" = "1" ]', "1", True),
        ("test $X = 1", "yes", False),
        ('[ ! "$X" = 1 ]', "yes", False),
        ('[ "$X" = tru* ]', "true", False),  # `[` compares strings: no pattern
        ("[[ $X -eq 1 ]]", "True", False),
        ("[[ $X -eq 1 ]]", "1", True),
        ('[ "$X" -eq 1 ]', "+1", True),
        ('[[ "$X" =~ ^(1|true)$ ]]', "true", True),
        ('[[ "$X" =~ "a.b" ]]', "axb", False),  # a quoted regex matches itself
        ("[[ $X =~ ^a'.'b$ ]]", "a.b", True),  # so does a quoted part of one
        ("[[ $X =~ ^a'.'b$ ]]", "axb", False),
        ("[[ $X =~ ^a\\.b$ ]]", "a.b", True),
        ('[[ $X =~ ^a$Y ]]', "a", None),  # a regex that expands a variable: not evaluated here
        ('[[ -d "$X" ]]', "dir", None),
        ('[[ "$X" == 1 && -n "$Y" ]]', "True", None),
        ('[[ "$X" == "$Y" ]]', "True", None),
        ('[[ "${X/a/b}" == b ]]', "a", None),  # an expansion the structure does not evaluate
        ('[[ "$(echo "$X")" == 1 ]]', "1", None),
        ('case "$X" in 1|true)', "yes", False),
        ('case "$X" in 1|true)', "true", True),
        ('case "$X" in "t"*)', "true", True),
        ('case "$X" in "t*")', "true", False),
        ('case "$X" in @(a|b))', "a", None),  # an extended glob: not evaluated here
        ('case "$2" in accepted | monitored)', "accepted", None),  # an argument the value reached: not evaluated here
        ('[ "${1}" = on ]', "off", None),
]


@pytest.mark.parametrize(("guard", "value", "expected"), GUARDS)
def test_guard_evaluator(guard, value, expected):
    assert accepts(recorded(guard), "X", value) is expected


@pytest.mark.parametrize(("guard", "value", "expected"), [row for row in GUARDS if row[2] is not None])
def test_guard_evaluator_agrees_with_bash(guard, value, expected):
    def outcome(assignment: str) -> str:
        test = f"{guard} echo T ;; *) echo F ;; esac" if guard.startswith("case") else f"if {guard}; then echo T; else echo F; fi"
        return subprocess.run(["bash", "-c", f"shopt -s extglob\n{assignment}\n{test}"], capture_output=True, text=True).stdout
    assert (outcome(f"X={shlex.quote(value)}") != outcome("unset X")) is expected


def test_a_guard_is_found_by_the_words_it_expands():
    # `grep` is no test: the guard is kept (the finding would rest on it) and not evaluated
    condition = recorded('echo "${X:-}" | grep -q on')
    assert "X" in condition.compares.reads and accepts(condition, "X", "on") is None
    assert recorded('[[ "$X" == 1 || -z "${Y}" ]]').compares.reads == ("X", "Y")


# --------------------------------------------------------------------------- optional-only
def test_optional_only(tmp_path):
    steps = DEFAULT + step("Rare", "pytest -v sweep/test_model.py -k rare", extra="  optional: true\n")
    finding = by_rule(audit(tmp_path, steps), "optional-only")["pytest -v tests/sweep/test_model.py -k rare"]
    assert finding.severity is Severity.INFO and dict(finding.details)["tiers"] == "nightly"
    assert "runs only in the scheduled nightly build, never on an ordinary pull request" in finding.message


def test_subject_also_run_automatically_is_not_optional_only(tmp_path):
    steps = DEFAULT + step("Rare", "bash sweep/run_sweep.sh", extra="  optional: true\n")
    assert not by_rule(audit(tmp_path, steps), "optional-only")


# --------------------------------------------------------------------------- ignored-key
def test_ignored_keys(tmp_path):
    steps = DEFAULT + "- label: Singular\n  command: pytest -v sweep/test_model.py\n  num_gpus: 2\n"
    findings = by_rule(audit(tmp_path, steps), "ignored-key")
    singular = findings[".buildkite/test_areas/sweep.yaml:singular:command"]
    assert singular.severity is Severity.ERROR and "no test at all" in singular.message
    assert findings[".buildkite/test_areas/sweep.yaml:singular:num_gpus"].severity is Severity.WARNING
    assert singular.locations[0].line == 11  # the `command:` line


def test_known_keys_are_not_ignored(tmp_path):
    assert not by_rule(audit(tmp_path, DEFAULT + SPECIAL), "ignored-key")
