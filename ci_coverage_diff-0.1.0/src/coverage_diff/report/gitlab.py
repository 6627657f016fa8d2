"""GitLab Code Quality report (`artifacts: reports: codequality`): a JSON array of issues
that GitLab shows in the merge request's widget and diff.

Each finding is one issue at its first place (the blocking guard first, as in SARIF), with
a fingerprint from its line-independent id, so GitLab tracks it across pushes.  Losses are
`critical` (error), `major` (warning) or `info`; an acknowledged loss is `info` and says why.
"""

from __future__ import annotations

import hashlib

from ..model import Finding, Report, Severity
from .json import dumps
from .sarif import places

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render(report: Report, **_options) -> str:
    return dumps([issue(f) for f in report.findings])


def issue(f: Finding) -> dict:
    first = next(iter(places(f)), None)
    description = f"{f.rule or f.kind}: {f.subject}: {f.message}"
    if f.reason and f.reason.text and f.reason.text not in description:
        description += f" {f.reason.text}"
    severity = SEVERITIES[f.severity]
    if f.acknowledged is not None:
        description = f"acknowledged ({f.acknowledged.reason}): {description}"
        severity = "info"
    return {
        "type": "issue",
        "check_name": f"coverage-diff/{f.rule or f.kind}",
        "description": description,
        "categories": ["Bug Risk"],
        "severity": severity,
        "fingerprint": hashlib.sha256(f"coverage-diff:{f.id}".encode()).hexdigest(),
        "location": {"path": first.path if first else ".", "lines": {"begin": max(first.line, 1) if first else 1}},
    }
