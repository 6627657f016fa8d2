"""Plain text for a terminal or a CI log: losses first, each with its why and fix."""

from __future__ import annotations

from ..kinds import DIFF_KINDS, KINDS, LOSS_KINDS
from ..model import Finding, Report
from .escape import one_line, terminal

ORDER = {kind.id: i for i, kind in enumerate(DIFF_KINDS)}


def render(report: Report, verbose: bool = False, **_options) -> str:
    lines: list[str] = []
    if report.command == "diff":
        lines.append(f"coverage-diff {terminal(report.base)}..{terminal(report.head)}")
    lines.append(verdict(report))
    if report.downgraded:
        lines.append(downgraded_line(report))
    if report.fails_incomplete:
        lines.append(gate_line(report))
    summary = dict(report.summary)
    if summary.get("base_ci_files") == 0 and summary.get("head_ci_files") == 0:
        from ..ci import ci_names  # here only: a stored report is rendered without loading the front-ends

        lines.append(f"Found no CI files ({ci_names()}) at either revision: nothing to compare.")
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        groups.setdefault(f.rule or f.kind, []).append(f)
    for kind in sorted(groups, key=lambda k: ORDER.get(k, len(ORDER))):
        findings = groups[kind]
        lines.append("")
        lines.append(f"{KINDS[kind].title if kind in KINDS else kind}: {len(findings)}")
        detailed = (kind in KINDS and not KINDS[kind].informational) or report.command != "diff" or verbose
        for cause, members in by_cause(findings):
            if len(members) == 1 or not detailed:
                for f in members:
                    lines += _finding(f, detailed)
                continue
            lines.append(f"  cause: {one_line(cause)} ({len(members)} subjects, one fix)")
            for f in members:
                lines += _finding(f, detailed, reason=False)
            lines += _reason(members[0], "    ")
    if report.diagnostics:
        lines.append("")
        lines.append(f"Problems reading the repository ({len(report.diagnostics)}):")
        lines += [f"  {terminal(str(d.location))}: {d.severity}: {one_line(d.message)}" for d in report.diagnostics]
    if report.incomplete:
        lines.append("")
        lines.append(f"Analysed only partly ({len(report.incomplete)} places; results there may be incomplete):")
        lines += [f"  {terminal(str(i.location))}: {one_line(i.reason)}" for i in report.incomplete[:20]]
        if len(report.incomplete) > 20:
            lines.append(f"  ... and {len(report.incomplete) - 20} more (see --format json)")
    return "\n".join(lines) + "\n"


def verdict(report: Report) -> str:
    losses = [f for f in report.findings if f.kind in LOSS_KINDS and not f.rule]
    if report.command == "diff":
        acknowledged = len({f.subject for f in losses if f.acknowledged is not None})
        open_losses = len({f.subject for f in losses if f.acknowledged is None})
        also = f" ({acknowledged} more acknowledged as intended)" if acknowledged else ""
        if not open_losses and report.fails_incomplete:
            return f"INCOMPLETE: no test configuration stops running in what was analysed{also}, but not all of the head was."
        if not open_losses:
            return f"OK: no test configuration stops running unacknowledged{also}." if acknowledged else "OK: no test configuration stops running."
        return f"LOSS: {open_losses} test configuration(s) stop running or run less{also}."
    return f"{len(report.findings)} finding(s)."


def gate_line(report: Report) -> str:
    """Said next to the verdict: the gate fails because the head was analysed only in part (gate.py)."""
    return f"The gate fails: {report.fails_incomplete}."


def downgraded_line(report: Report) -> str:
    """Said next to the verdict: findings that are not errors only because the analysis was cut."""
    n = report.downgraded
    return (f"{n} finding{'s' if n != 1 else ''} downgraded because {'their' if n != 1 else 'its'} evidence passes through "
            "incomplete analysis (confidence: incomplete; see the notes below).")


def ran_in(runs, limit: int = 4) -> str:
    """The jobs of `runs` by file, each file named once (a matrix combination is named by
    its values in the job's label): `ci.yml: test (python=3.11), test (python=3.12)`."""
    by_file: dict[str, set[str]] = {}
    for run in runs:
        label, location = run.job
        where = location.path if location else run.job_id.split(":")[1] if run.job_id.count(":") >= 2 else ""
        by_file.setdefault(where, set()).add(label)
    parts, shown = [], 0
    for where in sorted(by_file):
        labels = sorted(by_file[where])[: max(limit - shown, 0)]
        shown += len(labels)
        if labels:
            parts.append(f"{where}: {', '.join(labels)}" if where else ", ".join(labels))
    total = sum(len(v) for v in by_file.values())
    return "; ".join(parts) + (f" and {total - shown} more" if total > shown else "")


def by_cause(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by their root cause (`cause` in details), in first-seen order; a
    finding without one is its own group."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(dict(f.details).get("cause") or f"\0{f.id}", []).append(f)
    return list(groups.items())


def _finding(f: Finding, detailed: bool, reason: bool = True) -> list[str]:
    where = f"  [{f.config.location}]" if f.config else ""
    out = [f"  - {one_line(f.config.text if f.config else f.subject)}{terminal(where)}"]  # as written
    if f.acknowledged is not None:
        out.append(f"      ACKNOWLEDGED ({terminal(f.acknowledged.source)}): {one_line(f.acknowledged.reason)}")
    if f.accepted_once_merged is not None:
        out.append(f"      ACCEPTED ONCE MERGED, still counted here ({terminal(f.accepted_once_merged.source)}): "
                   f"{one_line(f.accepted_once_merged.reason)}")
    if not detailed:
        return out
    out.append(f"      {one_line(f.message)}")
    if f.base_runs and not f.rule:
        out.append(f"      ran before in: {one_line(ran_in(f.base_runs))}")
    return out + (_reason(f, "      ") if reason else [])


def _reason(f: Finding, indent: str) -> list[str]:
    out: list[str] = []
    if f.reason:
        out.append(f"{indent}why: {one_line(f.reason.text)}")
        for g in f.reason.guards:
            need = "true" if g.required else "false"
            out.append(f"{indent}blocked by {terminal(str(g.condition.location))}: {one_line(g.condition.text)} (needs {need})")
        for name, wanted, job in f.reason.near_misses:
            out.append(f"{indent}near miss: job {one_line(job)!r} sets {one_line(name)}, the guard reads {one_line(wanted)}")
        if f.reason.fix:
            out.append(f"{indent}suggested fix:")
            out += [f"{indent}  " + terminal(line) for line in f.reason.fix.splitlines()]
    cut = dict(f.details).get("incomplete")
    if cut:
        out.append(f"{indent}note: the analysis was cut short on its way ({one_line(cut)}): this may not be a loss")
    return out
