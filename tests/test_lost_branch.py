"""A lost guard branch (`reasons.lost_branch`) is read from the condition the interpreter
recorded on each guard frame (`Frame.condition`: its text, outcome and the variables its
syntax expands), never from the frame's text."""

from __future__ import annotations

import history
import pytest

from coverage_diff.config import Settings
from coverage_diff.engine.session import diff_range
from coverage_diff.model import Command, Frame, Job, Location, Run
from coverage_diff.inventory import Inventory, guard_branches
from coverage_diff.reasons import lost_branch
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot

from test_reasons import recorded

# The guard's text names `$OFF` in single quotes: bash expands nothing there, so OFF is no
# variable of the guard (a reading of the text would take it for one).
RUN = """#!/bin/bash
configs=("A=1" "A=2")
extra=()
if [[ "${FAST:-0}" == "1" && "${MODE:-}" != '$OFF' ]]; then
  extra+=(--fast)
fi
for cfg in "${configs[@]}"; do
  env $cfg pytest tests/test_a.py "${extra[@]}"
done
"""
PIPELINE = """steps:
  - label: plain
    command: bash ci/run.sh
  - label: fast
    command: FAST={value} bash ci/run.sh
"""


def _diff(tmp_path, before: str, after: str):
    repo = history.init_repo(tmp_path / "repo")
    history.write_tree(repo, {"ci/run.sh": RUN, "tests/test_a.py": "", ".buildkite/pipeline.yml": PIPELINE.format(value=before)})
    history.commit_all(repo, "base", tag="base")
    history.write_tree(repo, {".buildkite/pipeline.yml": PIPELINE.format(value=after)})
    history.commit_all(repo, "head", tag="head")
    return diff_range(repo, "base..head")


def test_a_lost_branch_names_the_variables_the_condition_expands(tmp_path):
    report = _diff(tmp_path, "1", "yes")
    assert sorted((f.kind, f.subject) for f in report.findings) == [("narrowed", "A=1"), ("narrowed", "A=2")]
    for finding in report.findings:
        reason = finding.reason
        assert reason.variables == ("FAST", "MODE")
        (guard,) = reason.guards
        assert guard.condition.text == """[[ "${FAST:-0}" == "1" && "${MODE:-}" != '$OFF' ]]"""
        assert guard.condition.location == Location("ci/run.sh", 4) and guard.required is True
        assert ("fast", "FAST", "yes") in guard.provided and ("plain", "MODE", "<unset>") in guard.provided
        assert reason.text.startswith("These runs took the true branch of `[[ ")
        assert "fast gives FAST=yes" in reason.text and "OFF=" not in reason.text


def _guard_frame(guard: str, outcome: bool, text: str = "") -> Frame:
    condition = recorded(guard, outcome)
    return Frame("guard", condition.location, text, (), condition)


def _run(*frames: Frame) -> Run:
    return Run("j", ("pytest", "a.py"), (), Location("s.sh", 2), "", path=frames)


NO_JOBS = Inventory(Snapshot("empty", {}, lambda blob: b""), Settings(), jobs=[], outcomes={}, definitions={}, ci_files=[])


def test_the_branch_and_its_variables_come_from_the_recorded_condition():
    """The frame's text says nothing here: what is explained is the recorded condition."""
    taken = _guard_frame('[[ "$X" =~ ^a$Y ]]', True, text="(unreadable)")
    head = guard_branches([_run(_guard_frame('[[ "$X" =~ ^a$Y ]]', False, text="(other)"))])
    assert head == {("s.sh", '[[ "$X" =~ ^a$Y ]]', False)}
    reason = lost_branch([_run(taken)], head, NO_JOBS, ["s.sh"])
    assert reason is not None and reason.variables == ("X", "Y")  # the regex's expansion is read too
    assert reason.text == ('These runs took the true branch of `[[ "$X" =~ ^a$Y ]]` (s.sh:1); no job takes it now, '
                           "though the guard is still there and reached: no job sets X, Y.")


def test_no_lost_branch_when_head_takes_the_same_branch_or_never_reaches_the_guard():
    taken = _run(_guard_frame('[ "$X" = on ]', True))
    assert lost_branch([taken], guard_branches([taken]), NO_JOBS, ["s.sh"]) is None
    assert lost_branch([taken], set(), NO_JOBS, ["s.sh"]) is None
    elsewhere = _run(_guard_frame('[ "$X" = off ]', False))
    assert lost_branch([taken], guard_branches([elsewhere]), NO_JOBS, ["s.sh"]) is None


def test_a_guard_frame_without_its_condition_explains_nothing():
    condition = recorded('[ "$X" = on ]', True)
    bare = Frame("guard", condition.location, f"{condition.text} → true")
    other = _guard_frame('[ "$X" = on ]', False)
    assert bare == Frame("guard", condition.location, f"{condition.text} → true", (), condition)  # not its identity
    assert guard_branches([_run(bare)]) == set()
    assert lost_branch([_run(bare)], guard_branches([_run(other)]), NO_JOBS, ["s.sh"]) is None


@pytest.mark.parametrize(
    "guard, reads",
    [
        ('[[ "$X" == \'$Y\' ]]', ("X",)),  # single quotes expand nothing
        ('[[ "$X" == \\$Y ]]', ("X",)),  # nor does an escaped `$`
        ('[ "$1" = "$X" ]', ("X",)),  # an argument is no variable
        ("[[ ${X[0]} == 1 ]]", ("X",)),  # an element of it
        ("[[ ${#X} -gt 0 || -n ${!X} ]]", ("X",)),
        ('[[ $X =~ ^a"$Y"$(echo "$Z")${W:-v}$ ]]', ("X", "Y", "Z", "W")),  # a regex's expansions
        ("[[ $X =~ ^a'$Y'b$ ]]", ("X",)),
        ('[[ -n "$X" && $Q =~ ^$R ]]', ("X", "Q", "R")),  # a compound test's
        ('case "$X" in "$Y"|b)', ("X", "Y")),
    ],
)
def test_the_variables_a_condition_expands_are_read_from_its_syntax(guard, reads):
    assert recorded(guard).compares.reads == reads


def test_every_guard_frame_of_a_job_carries_its_condition():
    script = 'if [[ "${MODE:-}" == fast ]]; then pytest a.py; fi\ncase "$KIND" in gpu) pytest b.py ;; esac\n'
    job = Job(system="buildkite", file="p.yml", key="k", label="k", location=Location("p.yml", 1),
              commands=(Command("MODE=fast KIND=gpu bash s.sh", Location("p.yml", 2)),))
    out = interpret_job(job, Snapshot.from_files("t", {"s.sh": script}), Settings())
    guards = [f for run in out.runs for f in run.path if f.kind == "guard"]
    assert {(f.condition.text, f.condition.outcome) for f in guards} == {
        ('[[ "${MODE:-}" == fast ]]', True), ('case "$KIND" in gpu)', True)}
    assert all(f.location == f.condition.location and f.text.startswith(f.condition.text) for f in guards)
