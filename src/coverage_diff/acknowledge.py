"""Intended losses: a diff finding a team has acknowledged, with a reason a reviewer sees.

    # coverage-diff: accept[silently-dropped] gemma-3 runs in the nightly sliding-window job now
    # coverage-diff: accept[silently-dropped,narrowed] reason...
    # coverage-diff: accept reason...   (any kind)

The comment lives in the change itself, at the head revision: on the line of the moved
config entry or of a guard that blocks it, or on the line just above one of them.  The
settings' `accept` list names findings by id glob (`silently-dropped:*gemma-3*`) or kind,
for losses that leave no line to write on (a deleted entry).  Acknowledged findings stay
in the report, marked, and do not set the exit code.  A comment without a reason
acknowledges nothing and is reported as a diagnostic.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from .model import LOSS_KINDS, Acknowledgement, Diagnostic, Finding, Location, Report
from .suppress import finding_lines, suppressed_inline


def apply(report: Report, snapshot, settings) -> Report:
    """The report with its losses acknowledged by `accept` comments in `snapshot` (the
    head) or by `settings.accept`; an unexplained comment becomes a diagnostic."""
    cache: dict = {}
    findings, acknowledged = [], 0
    for finding in report.findings:
        ack = _acknowledgement(finding, snapshot, settings, cache) if finding.kind in LOSS_KINDS else None
        if ack is not None:
            finding = replace(finding, acknowledged=ack)
            acknowledged += 1
        findings.append(finding)
    diagnostics = [Diagnostic(c.location, "a `coverage-diff: accept` comment needs a reason after it; it acknowledges nothing",
                              "warning")
                   for comments in cache.values() for c in comments.values() if not c.reason]
    if not acknowledged and not diagnostics:
        return report
    summary = tuple(item for item in report.summary if item[0] != "acknowledged") + (("acknowledged", acknowledged),)
    return replace(report, findings=tuple(findings), diagnostics=report.diagnostics + tuple(diagnostics), summary=summary)


def gating(findings) -> list[Finding]:
    """The findings that count for the exit code: every one not acknowledged."""
    return [f for f in findings if f.acknowledged is None]


def _acknowledgement(finding: Finding, snapshot, settings, cache: dict) -> Acknowledgement | None:
    for pattern, reason in settings.accept:
        if pattern == finding.kind or any(fnmatch.fnmatchcase(i, pattern) for i in finding.ids):
            return Acknowledgement(reason)
    if snapshot is None:
        return None
    comment = suppressed_inline(finding, snapshot, cache, "accept", lines=_lines(finding))
    if comment is None:
        return None
    if not comment.reason:
        return None
    return Acknowledgement(comment.reason, comment.location)


def _lines(finding: Finding) -> list[Location]:
    """Where an accept comment may sit: the entry, the finding's places, the blocking guards."""
    lines = finding_lines(finding)
    if finding.reason is not None:
        lines += [g.condition.location for g in finding.reason.guards if g.condition.location.line]
    return lines

