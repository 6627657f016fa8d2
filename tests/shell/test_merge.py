"""A loop's fingerprint (`merge.loop_fingerprint`): two loop-head states are the same state
exactly when their variables (field for field), positional parameters, cwd and stdin are.
A `while` on values no one knows stops following a path that comes back to a state it
already had; real bash agrees on the runs around such loops."""

from __future__ import annotations

import pytest

from coverage_diff.shell.merge import loop_fingerprint
from coverage_diff.shell.parse import Source
from coverage_diff.shell.state import State, Var
from coverage_diff.shell.values import Val, unknown

from .harness import assert_agrees_with_bash
from .helpers import job


def state(**variables: Var) -> State:
    return State(vars=dict(variables), cwd="", source=Source("<t>", ""), script="bash")


def test_equal_states_built_apart_have_one_fingerprint():
    first = state(A=Var({0: Val("1")}, exported=True), B=Var({0: Val("x"), 1: Val("y")}, is_array=True))
    again = state(B=Var({0: Val("x"), 1: Val("y")}, is_array=True), A=Var({0: Val("1")}, exported=True))
    assert loop_fingerprint(first) == loop_fingerprint(again)


@pytest.mark.parametrize("other", [
    state(A=Var({0: Val("2")}, exported=True)),  # another value
    state(A=Var({0: Val("1")})),  # not exported
    state(A=Var({0: Val("1")}, exported=True, from_env=True)),  # still the inherited value
    state(A=Var({0: Val("1")}, is_array=True, exported=True)),  # an array of one element
    state(A=Var({"0": Val("1")}, assoc=True, exported=True)),  # an associative array
    state(A=Var(None, exported=True, origin="$A")),  # contents unknown
    state(A=Var({0: unknown("$A", frozenset({"A"}))}, exported=True)),  # an unknown value
    state(A=Var({0: Val("1")}, exported=True), B=Var({0: Val("")})),  # one more variable
])
def test_any_difference_in_a_variable_is_another_state(other):
    assert loop_fingerprint(state(A=Var({0: Val("1")}, exported=True))) != loop_fingerprint(other)


def test_positional_cwd_and_stdin_count():
    base = state(A=Var({0: Val("1")}))
    moved = state(A=Var({0: Val("1")}))
    moved.cwd = "sub"
    shifted = state(A=Var({0: Val("1")}))
    shifted.positional = (Val("x"),)
    fed = state(A=Var({0: Val("1")}))
    fed.stdin = [Val("line")]
    prints = {loop_fingerprint(s) for s in (base, moved, shifted, fed)}
    assert len(prints) == 4


TREE = {"tests/test_a.py": ""}


def test_loops_whose_passes_differ_only_in_arrays_agree_with_bash():
    # Each pass changes only an array's elements (the same variable names, the same flags):
    # a fingerprint that missed them would take the second pass for the first and stop.
    script = """a=()
while [ "${#a[@]}" -lt 3 ]; do a+=(x); pytest "len-${#a[@]}"; done
declare -A seen=()
k=0
while [ "$k" -lt 2 ]; do seen[$k]=1; k=$((k + 1)); [ "${#seen[@]}" -gt 0 ] && pytest "seen-${#seen[@]}"; done
b=(p q)
until [ "${b[0]}" = q ]; do b=("${b[1]}" "${b[0]}"); pytest "swap-${b[0]}"; done
"""
    out = assert_agrees_with_bash(job("bash -e ci/s.sh"), {"ci/s.sh": script, **TREE}).outcome
    assert [" ".join(r.argv) for r in out.runs] == ["pytest len-1", "pytest len-2", "pytest len-3", "pytest seen-1",
                                                    "pytest seen-2", "pytest swap-q"]
    assert all(not r.assumptions for r in out.runs)
