"""The suggested fix: which value satisfies a guard, and the CI snippet that sets it."""

import pytest
import yaml

from coverage_diff.model import Command, Comparison, Condition, Job, Location
from coverage_diff.reasons import edit_distance, is_near_miss, render_step, required_value
from coverage_diff.config import Settings
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot


def recorded(guard: str, outcome: bool | None = None) -> Condition:
    """The condition the interpreter records for `guard` in a script, X unknown (a `case` arm is
    written as its first line), with the outcome asked for or either."""
    body = f"{guard}\n    pytest a.py ;;\nesac\n" if guard.startswith("case") else f"if {guard}; then\n  pytest a.py\nfi\n"
    the_job = Job(system="buildkite", file="p.yml", key="k", label="k", location=Location("p.yml", 1),
                  commands=(Command("bash s.sh", Location("p.yml", 2)),))
    out = interpret_job(the_job, Snapshot.from_files("t", {"s.sh": body}), Settings(), open_world=True)
    return next(c for c in out.conditions if c.location.line == 1 and outcome in (None, c.outcome))


@pytest.mark.parametrize(
    "text, outcome, value",
    [
        ('[[ -n "${X:-}" ]]', True, "1"),
        ('[[ -n "${X:-}" ]]', False, None),
        ('[[ -z "${X:-}" ]]', False, "1"),
        ('[[ "${X:-0}" == "1" ]]', True, "1"),
        ('[ "$X" = gpu ]', True, "gpu"),
        ('[[ "${X}" == *distributed* ]]', True, "distributed"),
        ('[[ "$X" != "off" ]]', False, "off"),
        ('case "$X" in distributed)', True, "distributed"),
        ('case "$X" in slow|nightly*)', True, "slow"),
        ('[[ ! -n "${X:-}" ]]', False, "1"),
        ('[ ! "$X" = gpu ]', False, "gpu"),
        ('test "$X" != cpu', False, "cpu"),
        ('[[ "$X" =~ ^(1|true)$ ]]', True, "(1|true"),
        ('[[ $X -eq 2 ]]', False, "not-2"),
        ('[[ -n "$X" && "$Y" == 1 ]]', True, "1"),  # not one test: the variable set
    ],
)
def test_required_value(text, outcome, value):
    assert required_value(recorded(text, outcome), "X") == value


def test_what_a_test_compares_is_read_from_its_syntax():
    compares = recorded('[[ ! "${X:-0}" == "a b" ]]', True).compares
    assert compares == Comparison("==", "X", "a b", negated=True)
    assert recorded('[ -d "$X" ]', True).compares == Comparison("-d", "X")
    assert recorded('[[ "$X" == 1 || -z "$X" ]]', True).compares.operator == ""  # not one test
    assert recorded('case "$X" in "tpu" | gpu)', False).compares == Comparison("case", "X", "tpu")


def job(system: str, **fields) -> Job:
    base = dict(system=system, file="ci.yml", key="test", label="Run suite", location=Location("ci.yml", 4),
                commands=(Command("pip install -e .", Location("ci.yml", 5)), Command("bash ci/run.sh", Location("ci.yml", 6))))
    base.update(fields)
    return Job(**base)


def test_buildkite_step_keeps_setup_device_and_dependencies():
    j = job("buildkite", platform="h100x4", source_file_dependencies=("vllm/x/", "ci.yml"), attributes=(("timeout_in_minutes", "30"),))
    step = yaml.safe_load(render_step(j, "SW_ATTN=1 bash ci/run.sh", ["SW_ATTN=1"]))[0]
    assert step["label"] == "Run suite (SW_ATTN=1)" and step["key"] == "test-sw-attn-1"
    assert step["device"] == "h100" and step["num_devices"] == 4 and step["timeout_in_minutes"] == 30
    assert step["source_file_dependencies"] == ["vllm/x/"]
    assert step["commands"] == ["pip install -e .", "SW_ATTN=1 bash ci/run.sh"]


def test_github_step_sets_env_and_names_the_matrix_that_feeds_it():
    j = job("github-actions", env=(("SUITE", "core"),), matrix=(("suite", "core"),))
    text = render_step(j, "SUITE=distributed bash ci/run.sh", ["SUITE=distributed"])
    assert text.splitlines()[0] == "# or add 'distributed' to the matrix values of `suite` of 'Run suite' in ci.yml"
    step = yaml.safe_load(text)[0]
    assert step == {"name": "Run suite (SUITE=distributed)", "run": "bash ci/run.sh", "env": {"SUITE": "distributed"}}


def test_gitlab_job_sets_variables():
    text = render_step(job("gitlab"), "MODE=full bash ci/run.sh", ["MODE=full"])
    assert yaml.safe_load(text) == {"test-mode-full": {"variables": {"MODE": "full"}, "script": ["MODE=full bash ci/run.sh"]}}


@pytest.mark.parametrize("a, b, near", [("SW_ATTEN", "SW_ATTN", True), ("sw_attn", "SW_ATTN", True), ("SWATTN", "SW_ATTN", True),
                                         ("DP_EP", "SW_ATTN", False), ("X", "Y", False), ("FLASHINFER", "FLASH_INFER", True)])
def test_near_miss(a, b, near):
    assert is_near_miss(a, b) is near


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("abc", "abc") == 0


def test_buildkite_step_keeps_every_preparation_command_before_the_calling_one():
    commands = (Command("bash /workspace/scripts/install-connectors.sh", Location("ci.yml", 5)),
                Command("export MODE=fast", Location("ci.yml", 6)),
                Command("bash ci/run.sh", Location("ci.yml", 7)),
                Command("pytest -v ci/after.py", Location("ci.yml", 8)))
    j = job("buildkite", commands=commands)
    step = yaml.safe_load(render_step(j, "SW_ATTN=1 bash ci/run.sh", ["SW_ATTN=1"], calling="bash ci/run.sh"))[0]
    assert step["commands"] == ["bash /workspace/scripts/install-connectors.sh", "export MODE=fast", "SW_ATTN=1 bash ci/run.sh"]
