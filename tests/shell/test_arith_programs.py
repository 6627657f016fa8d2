"""Arithmetic read once per text (`arith.compile_text`) and run many times: the program must do
what evaluating while parsing did (bash's order), including the effects before a syntax error,
the reads of operands a short-circuit skips, and an unknown index left before `++`."""

from __future__ import annotations

import pickle

import pytest

from coverage_diff.model import Assumption, Condition, Location
from coverage_diff.shell import arith
from coverage_diff.shell.state import Var


class Scope:
    def __init__(self, **values):
        self.values, self.log = dict(values), []

    def get_number(self, name):
        self.log.append(("get", name))
        return None if name.startswith("u") else self.values.get(name, 0)

    def set_number(self, name, value):
        self.log.append(("set", name, value))
        self.values[name] = value


def run(text, programs=None, **values):
    scope = Scope(**values)
    try:
        return arith.evaluate(text, scope, programs), scope.log
    except arith.ArithError as exc:
        return str(exc), scope.log


def test_a_program_runs_again_with_new_values():
    programs: dict = {}
    assert run("i < n", programs, i=1, n=3)[0] == 1
    assert run("i < n", programs, i=5, n=3)[0] == 0
    assert list(programs) == ["i < n"]


def test_what_comes_before_a_syntax_error_is_done():
    assert run("x = 5 )") == ("unexpected ')'", [("set", "x", 5)])
    assert run("(y++") == ("expected ')', got ''", [("get", "y"), ("set", "y", 1)])
    assert run("++") == ("unexpected ''", [("get", ""), ("set", "", 1)])  # was an IndexError


def test_skipped_operands_are_read_not_written():
    assert run("1 || (x = y)") == (1, [("get", "y")])
    assert run("0 ? x++ : 7") == (7, [("get", "x")])
    assert run("0 && 1 / 0")[0] == 0


def test_an_unknown_index_leaves_the_increment_over():
    assert run("a[u]++")[0] == "unexpected '++'"
    assert run("(a[u]++)")[0] == "expected ')', got '++'"
    assert run("c ? a[u]++ : 2", c=1)[0] == "expected ':', got '++'"
    # the constructs around complete with the value they have: `y = 1 || ...` assigns 1
    assert run("y = 1 || a[u]++") == ("unexpected '++'", [("get", "u"), ("set", "y", 1)])


def test_bad_numbers_fail_where_they_are():
    scope = Scope()
    with pytest.raises(ValueError):
        arith.evaluate("x = 3, 09", scope)
    assert scope.log == [("set", "x", 3)]


def test_kept_hash_is_the_generated_one_and_not_pickled():
    a = Assumption(Condition(Location("f.sh", 3), "[[ -n $X ]]", ("X",), True), "X is set")
    assert hash(a) == hash((a.condition, a.detail))
    back = pickle.loads(pickle.dumps(a))
    assert "_hash" in a.__dict__ and "_hash" not in back.__dict__ and back == a


def test_var_equality():
    v = Var({0: 1}, exported=True)
    assert v == Var({0: 1}, exported=True) and v != Var({0: 1}) and v != Var({0: 2}, exported=True)
