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


# --- joining two paths' assumptions (`merge._joined_assumptions`) -----------------------------
# Its definition, on sets: the path with fewer when the other's include them all; the common
# ones when each has one the other lacks and the two are both outcomes of one condition.  The
# implementation looks only at what each path assumed after the assumptions they share (the
# same objects); these cases put equal-but-not-identical assumptions on both sides of that line.

from coverage_diff.model import Assumption, Condition, Location  # noqa: E402
from coverage_diff.shell.merge import _joined_assumptions  # noqa: E402


def assumed(line: int, outcome: bool, text: str = "[[ -n $x ]]") -> Assumption:
    return Assumption(Condition(Location("ci/a.sh", line), text, ("x",), outcome), f"{text} is {outcome}")


def by_sets(a: tuple, b: tuple) -> tuple | None:
    sa, sb = set(a), set(b)
    if sa <= sb:
        return a
    if sb <= sa:
        return b
    only_a, only_b = sa - sb, sb - sa
    if len(only_a) == len(only_b) == 1:
        ca, cb = next(iter(only_a)).condition, next(iter(only_b)).condition
        if (ca.location, ca.text) == (cb.location, cb.text) and ca.outcome != cb.outcome:
            return tuple(x for x in a if x in sb)
    return None


P, Q, R = assumed(1, True), assumed(2, False, "((n > 1))"), assumed(3, True, "[[ -f f ]]")
CASES = {
    "equal": ((P, Q), (P, Q)),
    "a fewer": ((P,), (P, Q)),
    "b fewer": ((P, Q), (P,)),
    "b fewer, a's other repeats one of b's (a loop assumed it again)": ((P, Q, assumed(1, True)), (P, Q)),
    "b fewer, a's other is new": ((P, Q, R), (P, Q)),
    "repeats on both sides after the fork": ((P, Q, assumed(1, True)), (P, R, assumed(2, False, "((n > 1))"))),
    "both outcomes of one condition": ((P, Q, assumed(4, True)), (P, Q, assumed(4, False))),
    "both outcomes, then a repeat of a shared one": ((P, assumed(4, True), assumed(1, True)), (P, assumed(4, False))),
    "both outcomes of conditions at two places": ((P, assumed(4, True)), (P, assumed(5, False))),
    "two conditions apart": ((P, assumed(4, True), R), (P, assumed(4, False))),
    "nothing shared": ((assumed(4, True),), (assumed(4, False),)),
    "equal but not the same objects": ((assumed(1, True), assumed(2, True)), (assumed(1, True), assumed(2, True))),
    "one empty": ((), (P,)),
}


@pytest.mark.parametrize("name", CASES)
def test_joined_assumptions_are_those_of_the_sets(name):
    a, b = CASES[name]
    assert _joined_assumptions(a, b) == by_sets(a, b)
    assert _joined_assumptions(b, a) == by_sets(b, a)


def test_joined_assumptions_keep_the_order_and_repeats_of_the_first():
    a = (P, assumed(4, True), assumed(1, True), Q)
    b = (P, Q, assumed(4, False))
    assert _joined_assumptions(a, b) == (P, assumed(1, True), Q)
