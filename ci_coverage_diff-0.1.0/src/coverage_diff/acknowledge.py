"""Intended losses: a diff finding a team has acknowledged, with a reason a reviewer sees.

    # coverage-diff: accept[silently-dropped] gemma-3 runs in the nightly sliding-window job now
    # coverage-diff: accept[silently-dropped,narrowed] reason...
    # coverage-diff: accept reason...   (any kind)

The comment sits at the head revision on the line of the moved config entry or of a guard
that blocks it, or on the line just above one of them.  The settings' `accept` list names
findings by id glob (`silently-dropped:*gemma-3*`) or kind, for losses that leave no line to
write on (a deleted entry).  Acknowledged findings stay in the report, marked, and do not set
the exit code.  A comment without a reason acknowledges nothing and is reported as a
diagnostic.

A change cannot excuse its own losses (issue 20), as it cannot through the settings
(`config.for_diff`): a comment acknowledges only when the base revision already has it (the
same kinds and reason, in the same file), that is once a reviewed merge has brought it in.
A comment the change adds marks the finding `accepted_once_merged`: reported with its reason,
still counted by the exit code.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from .kinds import LOSS_KINDS
from .model import Acknowledgement, Diagnostic, Finding, Location, Report
from .suppress import Suppression, finding_lines, inline, suppressed_inline


def apply(report: Report, snapshot, settings, base=None) -> Report:
    """The report with its losses acknowledged by `settings.accept` or by `accept` comments in
    `snapshot` (the head) that `base` (the base revision; None: any comment counts) has too;
    a comment only the head has marks its loss `accepted_once_merged`, and an unexplained one
    becomes a diagnostic."""
    cache: dict = {}
    base_cache: dict = {}
    findings, acknowledged, pending = [], 0, 0
    for finding in report.findings:
        ack, comment = _acknowledgement(finding, snapshot, settings, cache) if finding.kind in LOSS_KINDS else (None, None)
        if comment is not None and base is not None and not _in_base(comment, base, base_cache):
            finding = replace(finding, accepted_once_merged=ack)
            pending += 1
        elif ack is not None:
            finding = replace(finding, acknowledged=ack)
            acknowledged += 1
        findings.append(finding)
    diagnostics = [Diagnostic(c.location, "a `coverage-diff: accept` comment needs a reason after it; it acknowledges nothing",
                              "warning")
                   for comments in cache.values() for c in comments.values() if not c.reason]
    if not acknowledged and not pending and not diagnostics:
        return report
    counts = (("acknowledged", acknowledged),) + ((("accepted-once-merged", pending),) if pending else ())
    summary = tuple(item for item in report.summary if item[0] not in ("acknowledged", "accepted-once-merged")) + counts
    return replace(report, findings=tuple(findings), diagnostics=report.diagnostics + tuple(diagnostics), summary=summary)


def gating(findings) -> list[Finding]:
    """The findings that count for the exit code: every one not acknowledged."""
    return [f for f in findings if f.acknowledged is None]


def _acknowledgement(finding: Finding, snapshot, settings, cache: dict) -> tuple[Acknowledgement | None, Suppression | None]:
    """(the acknowledgement, the comment it comes from: None for the settings' list)."""
    for pattern, reason in settings.accept:
        if pattern == finding.kind or any(fnmatch.fnmatchcase(i, pattern) for i in finding.ids):
            return Acknowledgement(reason), None
    if snapshot is None:
        return None, None
    comment = suppressed_inline(finding, snapshot, cache, "accept", lines=_lines(finding))
    if comment is None or not comment.reason:
        return None, None
    return Acknowledgement(comment.reason, comment.location), comment


def _in_base(comment: Suppression, base, cache: dict) -> bool:
    """Whether the base revision has the same `accept` comment (kinds and reason) in the file."""
    path = comment.location.path
    if path not in cache:
        cache[path] = {(frozenset(c.rules), c.reason) for c in inline(base, path, "accept").values()}
    return (frozenset(comment.rules), comment.reason) in cache[path]


def _lines(finding: Finding) -> list[Location]:
    """Where an accept comment may sit: the entry, the finding's places, the blocking guards."""
    lines = finding_lines(finding)
    if finding.reason is not None:
        lines += [g.condition.location for g in finding.reason.guards if g.condition.location.line]
    return lines

