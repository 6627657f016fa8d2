"""`--format gitlab`: a Code Quality report GitLab accepts (the fields its schema requires),
one issue per finding at the blocking guard, stable fingerprints, acknowledged losses as info."""

from __future__ import annotations

import jsonschema
from adoption_kit import parsed

SWEEP = "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"

# What GitLab's code quality report schema requires of each issue (written from its documentation).
CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^/"}},
                    "lines": {"type": "object", "required": ["begin"], "properties": {"begin": {"type": "integer", "minimum": 1}}},
                },
            },
        },
    },
}


def test_diff_as_code_quality(pd_repo):
    issues = parsed(pd_repo, "gitlab", "base..head", code=1)
    jsonschema.validate(issues, CODE_QUALITY)
    [lost] = [i for i in issues if i["check_name"] == "coverage-diff/silently-dropped"]
    assert lost["severity"] == "critical" and "gemma-3-4b-it" in lost["description"] and "SW_ATTN" in lost["description"]
    assert lost["location"]["path"] == SWEEP  # the guard that blocks it
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert parsed(pd_repo, "gitlab", "base..head", code=1) == issues  # fingerprints are stable


def test_audit_as_code_quality(pd_repo):
    issues = parsed(pd_repo, "gitlab", "audit", "head", "--fail-on", "never")
    assert issues
    jsonschema.validate(issues, CODE_QUALITY)
