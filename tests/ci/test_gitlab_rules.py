"""GitLab `rules: if:` expressions with three-valued logic."""

import pytest

from coverage_diff.ci.gitlab_rules import UNKNOWN, RuleError, evaluate, variables_of

VARS = {"CI_PIPELINE_SOURCE": "merge_request_event", "SUITE": "distributed", "EMPTY": "", "UNSET": None,
        "PATTERN": "/^dist/", "RUNTIME": UNKNOWN}


@pytest.mark.parametrize("text, expected", [
    ('$CI_PIPELINE_SOURCE == "merge_request_event"', True),
    ("$CI_PIPELINE_SOURCE == 'push'", False),
    ('$SUITE != "core"', True),
    ("$SUITE =~ /^DIST/i", True),
    ("$SUITE !~ /^core/", True),
    ("$SUITE =~ $PATTERN", True),
    ("$SUITE", True),
    ("$EMPTY", False),
    ("$UNSET", False),
    ("$UNSET == null", True),
    ("$EMPTY == null", False),
    ("$EMPTY == ''", True),
    ('${SUITE} == "distributed" && $EMPTY', False),
    ('$SUITE == "x" || $SUITE == "distributed"', True),
    ('($SUITE == "x" || $SUITE == "distributed") && $CI_PIPELINE_SOURCE == "merge_request_event"', True),
    ('$SUITE == "x" || $SUITE == "distributed" && $EMPTY', False),  # && binds tighter
    ("$RUNTIME", None),
    ('$RUNTIME == "x" && $EMPTY', False),
    ('$RUNTIME == "x" || $SUITE', True),
    ('$RUNTIME == "x" || $EMPTY', None),
    ('$NEVER_MENTIONED == "x"', None),
])
def test_evaluate(text, expected):
    assert evaluate(text, VARS) is expected


@pytest.mark.parametrize("text", ['$A ==', '$A == "x" &&', '($A == "x"', '$A =~ "x"', "$A =~ /(/", "$A == /x/", "#"])
def test_errors(text):
    with pytest.raises(RuleError):
        evaluate(text, VARS)


def test_variables_of():
    assert variables_of('$A == "x" && ${B} =~ /y/ || $A') == ("A", "B")
