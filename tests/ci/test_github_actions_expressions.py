"""`${{ }}` expressions: GitHub's operators, functions and coercions, with unknowns."""

import pytest

from coverage_diff.ci.gha_expressions import (ExpressionError, Scope, Unknown, condition, evaluate, resolve,
                                              segments, substitute)

CTX = {
    "matrix": {"os": "ubuntu-latest", "suite": "distributed", "n": 3, "flag": False},
    "env": {"MODE": "fast"},
    "inputs": {"test-matrix": '{"include": [{"config": "default"}, {"config": "distributed"}]}', "empty": ""},
    "vars": Scope("vars", has_default=True),
    "secrets": Scope("secrets"),
    "github": Scope("github", {"event_name": "pull_request"}),
}


@pytest.mark.parametrize("text, expected", [
    ("matrix.suite", "distributed"),
    ("matrix['suite']", "distributed"),
    ("env.MODE == 'FAST'", True),  # strings compare case-insensitively
    ("matrix.n == '3'", True),  # mixed types compare as numbers
    ("matrix.n != 4 && matrix.os", "ubuntu-latest"),  # && returns an operand
    ("matrix.flag || 'fallback'", "fallback"),
    ("!matrix.flag", True),
    ("null == 0", True),
    ("'' == 0", True),
    ("matrix.missing", None),
    ("matrix.n < 10 && matrix.n >= 3", True),
    ("contains(matrix.os, 'UBUNTU')", True),
    ("contains(fromJSON('[\"a\", \"b\"]'), 'b')", True),
    ("startsWith(matrix.os, 'ubuntu') && endsWith(matrix.os, 'latest')", True),
    ("format('{0}-{1} {{literal}}', matrix.os, matrix.n)", "ubuntu-latest-3 {literal}"),
    ("fromJSON(inputs.test-matrix).include[1].config", "distributed"),
    ("join(fromJSON('[1, 2]'), '+')", "1+2"),
    ("fromJSON(inputs.test-matrix).include.*.config", ["default", "distributed"]),
    ("inputs.empty || 'default'", "default"),
    ("vars.IMAGE || 'ubuntu-22.04'", "ubuntu-22.04"),  # an unset repository variable falls back
    ("github.event_name == 'pull_request'", True),
    ("case(matrix.n == 1, 'one', matrix.n == 3, 'three', 'many')", "three"),
    ("0x10 == 16", True),
    ("success() && !cancelled()", True),
])
def test_known_values(text, expected):
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize("text, origin", [
    ("secrets.TOKEN", "secrets.TOKEN"),
    ("secrets.TOKEN || 'x'", "secrets.TOKEN"),  # a secret has no documented fallback
    ("vars.IMAGE", "vars.IMAGE"),
    ("github.ref == 'refs/heads/main'", "github.ref"),
    ("needs.build.outputs.matrix", "needs.build.outputs.matrix"),
    ("fromJSON(steps.x.outputs.y)", "steps.x.outputs.y"),
    ("hashFiles('**/lock')", "hashFiles(...)"),
])
def test_unknown_values_name_their_origin(text, origin):
    value = evaluate(text, CTX)
    assert isinstance(value, Unknown) and value.origin == origin


def test_false_and_unknown_is_false_but_unknown_and_false_is_unknown():
    assert evaluate("matrix.flag && secrets.X", CTX) is False
    assert isinstance(evaluate("secrets.X && matrix.flag", CTX), Unknown)


@pytest.mark.parametrize("text", ["matrix.os ==", "foo(", "'open", "matrix.os # x", "nosuch(1)", "fromJSON('{bad')"])
def test_invalid_expressions_raise(text):
    with pytest.raises(ExpressionError):
        evaluate(text, CTX)


def test_resolve_keeps_type_of_whole_expression_and_stringifies_embedded_ones():
    assert resolve("${{ fromJSON('[1,2]') }}", CTX) == [1, 2]
    assert resolve("suite-${{ matrix.suite }}-${{ matrix.n }}", CTX) == "suite-distributed-3"
    assert resolve("${{ matrix.flag }}-x", CTX) == "false-x"
    assert isinstance(resolve("a-${{ secrets.X }}", CTX), Unknown)


def test_closing_braces_inside_a_string_literal_do_not_end_the_expression():
    assert segments("a ${{ format('}}{0}', 1) }} b") == [(False, "a "), (True, " format('}}{0}', 1) "), (False, " b")]


def test_substitute_uses_placeholders_for_unknown_parts():
    text = substitute("run ${{ matrix.os }} ${{ secrets.T }}", CTX, lambda e: "<" + e.strip() + ">")
    assert text == "run ubuntu-latest <secrets.T>"


def test_conditions_bare_wrapped_and_mixed():
    assert condition("matrix.suite == 'distributed'", CTX) is True
    assert condition("${{ matrix.flag }}", CTX) is False
    assert condition(False, CTX) is False
    assert condition("failure()", CTX) is False
    # GitHub's known trap: literal text around an expression makes a non-empty string.
    assert condition("${{ matrix.flag }} && false", CTX) is True
    assert isinstance(condition("github.ref == 'refs/heads/main'", CTX), Unknown)
