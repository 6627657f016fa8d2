"""Findings as GitHub workflow annotations (`--format github`).

Each loss becomes `::error file=..,line=..,title=..::message` on the line of the
guard that blocks it (the config entry's line when no guard is known), so the
pull request's "Files changed" view shows it where the fix belongs.  GitHub
shows at most ten annotations of each level per step: beyond that the last
slot says how many were left out, and every finding is still written as a
plain log line, so nothing is lost from the log.
"""

from __future__ import annotations

from ..kinds import INFORMATIONAL
from ..model import Finding, Location, Report, Severity
from .escape import clip, command_data, command_property, one_line

MAX_PER_LEVEL = 10  # what GitHub displays per type per step
MAX_MESSAGE = 4000

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report, *, repo_url: str | None = None, head_sha: str | None = None,
           max_chars: int = 65000, verbose: bool = False) -> str:
    """Workflow-command lines, then a plain log line per finding that did not fit."""
    limit = min(MAX_MESSAGE, max_chars)
    items = [_finding_item(f, limit) for f in report.findings if f.kind not in INFORMATIONAL]
    items += [("warning", d.location, "input problem", d.message) for d in report.diagnostics]
    lines, left_out = [], []
    for level in ("error", "warning", "notice"):
        at_level = [item for item in items if item[0] == level]
        if len(at_level) > MAX_PER_LEVEL:
            shown, rest = at_level[: MAX_PER_LEVEL - 1], at_level[MAX_PER_LEVEL - 1:]
            overflow = (f"{len(rest)} more {level} findings are not shown as annotations "
                        "(GitHub shows 10 per type); they are listed in this step's log")
            shown.append((level, None, "more findings", overflow))
            left_out += rest
        else:
            shown = at_level
        lines += [_command(*item) for item in shown]
    lines += [_log_line(*item) for item in left_out]
    return "\n".join(lines) + ("\n" if lines else "")


def annotation_location(finding: Finding) -> Location | None:
    """Where the fix belongs: the blocking guard, else the config entry, else any location."""
    if finding.reason:
        for guard in finding.reason.guards:
            if guard.condition.location.path:
                return guard.condition.location
    if finding.config is not None:
        return finding.config.location
    return finding.locations[0] if finding.locations else None


def _finding_item(f: Finding, limit: int) -> tuple[str, Location | None, str, str]:
    level = _LEVELS.get(f.severity, "warning")
    title = f"{f.rule or f.kind}: {clip(one_line(f.subject), 160)}"
    message = _message(f)
    if f.acknowledged is not None:  # intended: a notice that says why, not an error
        level, title = "notice", f"acknowledged {title}"
        message = f"Acknowledged at {f.acknowledged.source}: {f.acknowledged.reason}\n{message}"
    elif f.accepted_once_merged is not None:
        message = (f"Accepted once merged (the change adds the comment at {f.accepted_once_merged.source}; it still counts "
                   f"here): {f.accepted_once_merged.reason}\n{message}")
    return level, annotation_location(f), title, clip(message, limit)


def _message(f: Finding) -> str:
    reason = f.reason
    if reason is None:
        return f.message
    parts = [reason.text or f.message]
    parts += [f"Blocked by {g.condition.text} at {g.condition.location}." for g in reason.guards
              if g.condition.text not in parts[0]]  # the prose may already quote it
    parts += [f"{job} sets {set_name}, but the script reads {read_name}." for set_name, read_name, job in reason.near_misses]
    if reason.fix.strip():
        parts.append("Suggested fix:\n" + reason.fix.rstrip())
    return "\n".join(parts)


def _command(level: str, location: Location | None, title: str, message: str) -> str:
    properties = []
    if location is not None and location.path:
        properties.append(f"file={command_property(location.path)}")
        if location.line:
            properties.append(f"line={location.line}")
    properties.append(f"title={command_property('coverage-diff ' + title)}")
    return f"::{level} {','.join(properties)}::{command_data(message)}"


def _log_line(level: str, location: Location | None, title: str, message: str) -> str:
    where = f" at {one_line(str(location))}" if location is not None else ""
    return f"coverage-diff {level}{where}: {one_line(title)}: {one_line(message)}"
