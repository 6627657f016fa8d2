"""An audit as a markdown report (an issue body, a Buildkite annotation, a job summary).

Findings are grouped by rule, most severe first; each shows its subject, where
to look (linked when `repo_url` is given), why, and, folded, the suggested fix.
History findings also name the commit that introduced them.  Repository text
goes through `report.escape`.
"""

from __future__ import annotations

from ..model import Finding, Location, Report
from .escape import md_code, md_fence, md_link, md_prose, md_text
from .text import downgraded_line

ICONS = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
MAX_PER_RULE = 50


MAX_CHARS = 65_000  # GitHub keeps 65,536 characters of a comment, an issue or a job summary


def render(report: Report, *, repo_url: str | None = None, max_chars: int = MAX_CHARS, **_options) -> str:
    """The report, at most `max_chars` long: when all would not fit, fewer findings per rule
    are listed (the largest number that fits), each rule saying how many are left out."""
    text = _compose(report, repo_url, MAX_PER_RULE)
    if len(text) <= max_chars:
        return text
    low, high = 0, MAX_PER_RULE
    while low < high:
        middle = (low + high + 1) // 2
        if len(_compose(report, repo_url, middle)) <= max_chars:
            low = middle
        else:
            high = middle - 1
    text = _compose(report, repo_url, low)
    return text if len(text) <= max_chars else text[: max_chars - 80].rsplit("\n", 1)[0] + "\n\n_… cut to fit; see the JSON or SARIF report._\n"


def _compose(report: Report, repo_url: str | None, per_rule: int) -> str:
    lines = [_title(report), ""]
    if report.downgraded:
        lines += [f"⚠️ {downgraded_line(report)}", ""]
    if report.findings:
        lines += _overview(report)
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(f.rule or f.kind, []).append(f)
    for rule, findings in groups.items():
        lines += ["", f"### {md_text(rule)} ({len(findings)})", ""]
        for f in findings[:per_rule]:
            lines += _finding(f, repo_url, report.head_commit or report.head)
        if len(findings) > per_rule:
            lines.append(f"- … and {len(findings) - per_rule} more (see the JSON or SARIF report)")
    if report.diagnostics:
        lines += ["", f"<details><summary>Problems reading the repository ({len(report.diagnostics)})</summary>", ""]
        lines += [f"- {md_code(str(d.location))}: {md_text(d.message)}" for d in report.diagnostics[:50]]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _title(report: Report) -> str:
    count = len(report.findings)
    worst = max((f.severity for f in report.findings), key=lambda s: s.rank, default=None)
    icon = ICONS[worst.value] if worst else "✅"
    where = f"{md_code(report.base[:12])}..{md_code(report.head[:12])}" if report.base else md_code(report.head or "HEAD")
    return f"## {icon} coverage-diff audit of {where}: {count} finding{'s' if count != 1 else ''}"


def _overview(report: Report) -> list[str]:
    counts: dict[tuple[str, str], int] = {}
    for f in report.findings:
        key = (f.rule or f.kind, f.severity.value)
        counts[key] = counts.get(key, 0) + 1
    rows = ["| rule | severity | findings |", "|---|---|---|"]
    rows += [f"| {md_text(rule)} | {ICONS[sev]} {sev} | {n} |" for (rule, sev), n in counts.items()]
    return rows


def _finding(f: Finding, repo_url: str | None, head: str) -> list[str]:
    where = _where(f)
    place = f" at {md_link(md_code(str(where)), _url(repo_url, head, where))}" if where else ""
    out = [f"- {md_code(f.subject, 200)}{place}", f"  {md_prose(f.message, 600)}"]
    details = dict(f.details)
    if "commit" in details:
        out.append(f"  Introduced by {md_code(details['commit'][:12])} {md_text(details.get('commit_subject', ''), 120)}"
                   f" ({md_text(details.get('author', ''), 80)}, {md_text(details.get('date', ''), 40)})"
                   + (f": {md_text(details['status'])}" if "status" in details else ""))
    if f.reason and f.reason.text and f.reason.text not in f.message:
        out.append(f"  Why: {md_prose(f.reason.text, 600)}")
    if "incomplete" in details:
        out.append(f"  Note: the analysis was cut short on its way ({md_code(details['incomplete'], 200)}): this may not be a loss.")
    if f.reason and f.reason.fix:
        out += ["  <details><summary>Suggested fix</summary>", ""]
        out += ["  " + line for line in md_fence(f.reason.fix, "yaml" if "label:" in f.reason.fix else "").splitlines()]
        out += ["", "  </details>"]
    return out


def _where(f: Finding) -> Location | None:
    for guard in f.reason.guards if f.reason else ():
        if guard.condition.location.path:
            return guard.condition.location
    if f.config is not None:
        return f.config.location
    return next((loc for loc in f.locations if loc.path), None)


def _url(repo_url: str | None, head: str, where: Location) -> str | None:
    if not repo_url:
        return None
    ref = head if head and all(c in "0123456789abcdef" for c in head) and len(head) >= 7 else "HEAD"
    anchor = f"#L{where.line}" if where.line else ""
    return f"{repo_url.rstrip('/')}/blob/{ref}/{where.path}{anchor}"
