"""A diff as the markdown of one pull-request comment (GitHub, Buildkite annotations).

A reviewer should get the verdict from the first line and the why from a table narrow
enough for GitHub's comment column (configuration, what happened, why); the full
paths, jobs and links follow under it, then the fix, the blocking path as a picture and
a footer (version, docs, how to acknowledge).  Everything that comes from the analysed
repository goes through `report.escape`, and the comment always fits GitHub's size
limit: when it would not, whole findings are left out and counted, never cut mid-markup.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from .. import DOCS_URL, __version__
from ..kinds import DIFF_KINDS, INFORMATIONAL, KINDS, LOSS_KINDS
from ..model import UNSET, Finding, Location, Report
from .escape import clip, md_code, md_fence, md_link, md_prose, md_text, unmention
from .text import by_cause, downgraded_line, gate_line

MARKER = "<!-- coverage-diff:comment -->"
GITHUB_LIMIT = 65536
MAX_JOBS_PER_ROW = 3
MAX_NOTES = 20  # diagnostics / incomplete places listed before "and N more"
CELL_CODE = 64  # characters of a configuration shown in the table (the full text is below it)

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_KIND_ORDER = {kind.id: kind.comment_rank for kind in DIFF_KINDS if kind.comment_rank is not None}
_SHA = re.compile(r"[0-9a-f]{7,40}")


def render(report: Report, *, repo_url: str | None = None, head_sha: str | None = None,
           max_chars: int = 65000, verbose: bool = False) -> str:
    """The comment body; at most `max_chars` characters.  (`verbose` is accepted for the
    renderer interface: moves, changes and additions are always listed, folded.)"""
    links = _Links(repo_url, head_sha or _commit(report.head_commit) or _commit(report.head),
                   _commit(report.base_commit) or _commit(report.base))
    findings = _ordered(report.findings)
    full = _compose(report, findings, len(findings), links)
    if len(full) <= max_chars:
        return full
    # The longest prefix of the ordered findings that fits (losses come first).
    low, high = 0, len(findings) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if len(_compose(report, findings, middle, links)) <= max_chars:
            low = middle
        else:
            high = middle - 1
    text = _compose(report, findings, low, links)
    if len(text) > max_chars:  # even the verdict alone is too long: only the count survives
        text = f"{MARKER}\n{_verdict(report, findings)}\n"
    return text


def is_clean(report: Report) -> bool:
    """Nothing a reviewer must act on: no loss and no audit finding."""
    return not any(f.kind not in INFORMATIONAL and f.acknowledged is None for f in report.findings)


def _ordered(findings: tuple[Finding, ...]) -> list[Finding]:
    def key(f: Finding):
        informational = f.kind in INFORMATIONAL
        return (informational, f.acknowledged is not None, _SEVERITY_ORDER.get(f.severity.value, 3),
                _KIND_ORDER.get(f.kind, len(_KIND_ORDER)), f.kind, f.subject)
    return sorted(findings, key=key)


def _compose(report: Report, findings: list[Finding], shown: int, links: "_Links") -> str:
    visible = findings[:shown]
    problems = [f for f in visible if f.kind not in INFORMATIONAL]
    others = [f for f in visible if f.kind in INFORMATIONAL]
    parts = [MARKER, _verdict(report, findings), _range(report)]
    if problems:
        problems = [f for _, members in by_cause(problems) for f in members]  # one root cause's losses together
        parts.append(_problem_table(problems, links))
        parts.append(_details(problems, links))
        parts.extend(_fixes([f for f in problems if f.acknowledged is None]))
        parts.extend(_diagrams([f for f in problems if f.acknowledged is None]))
    if others:
        parts.append(_folded_others(others, links))
    parts.extend(_analysis_notes(report))
    if shown < len(findings):
        parts.append(_omitted_note(len(findings) - shown))
    parts.append(_footer(problems))
    return "\n\n".join(p for p in parts if p) + "\n"


CLEAN = "### ✅ coverage-diff: no test configuration stops running"


def _verdict(report: Report, findings: list[Finding]) -> str:
    acknowledged = sum(1 for f in findings if f.acknowledged is not None)
    verdict = _open_verdict([f for f in findings if f.acknowledged is None])
    if report.fails_incomplete and verdict == CLEAN:
        verdict = "### ❌ coverage-diff: no test configuration stops running in what was analysed, but not all of the head was"
    if acknowledged:
        verdict += f" ({_plural(acknowledged, 'intended loss', 'intended losses')} acknowledged)"
    if report.downgraded:
        verdict += f"\n\n⚠️ {downgraded_line(report)}"
    if report.fails_incomplete:
        verdict += f"\n\n❌ {md_prose(gate_line(report), 600)}"
    return verdict


# The verdict's clauses, in order (`DiffKind.verdict` names the one a kind's findings are counted
# in): what one configuration does, what several do, and whether the clause names its kinds.
VERDICTS = {
    "stops": ("stops running", "stop running", True),
    "loses": ("loses some of its runs", "lose some of their runs", False),
    "rarer": ("runs in rarer builds", "run in rarer builds", False),
}


def _open_verdict(findings: list[Finding]) -> str:
    kinds = Counter(f.kind for f in findings)
    audits = sum(n for kind, n in kinds.items() if kind not in KINDS)
    clauses = []
    for verdict, (one, several, named) in VERDICTS.items():
        members = [kind.id for kind in DIFF_KINDS if kind.verdict == verdict and kinds[kind.id]]
        count = sum(kinds[k] for k in members)
        if count:
            named_kinds = ", ".join(f"{kinds[k]} {k.replace('-', ' ')}" for k in members)
            detail = f" ({named_kinds})" if named else ""
            clauses.append(f"{_plural(count, 'test configuration')} {one if count == 1 else several}{detail}")
    if audits:
        clauses.append(_plural(audits, "audit finding"))
    if not clauses:
        return CLEAN
    return "### ❌ coverage-diff: " + "; ".join(clauses)


def _range(report: Report) -> str:
    if not (report.base or report.head):
        return ""
    base = md_code(_short(report.base) or "?", 80)
    head = md_code(_short(report.head) or "working tree", 80)
    informational = Counter(f.kind for f in report.findings if f.kind in INFORMATIONAL)
    extra = ", ".join(f"{n} {kind}" for kind, n in _by_kind_order(informational))
    return f"Compared {base} → {head}" + (f" (also {extra}, nothing lost there)." if extra else ".")


def _problem_table(problems: list[Finding], links: "_Links") -> str:
    """Three narrow columns: a reviewer reads the verdict and the reason without scrolling."""
    rows = ["| Configuration | What happened | Why |", "|---|---|---|"]
    causes = _causes(problems)
    for n, f in enumerate(problems, start=1):
        shown = f.config.text if f.config else f.subject  # as written in the script
        why = _short_why(f, links)
        cause, count, first = causes.get(f.id, ("", 1, True))
        if count > 1 and first:  # one row for the cause, its configurations under it
            rows.append(f"| **{_plural(count, 'configuration')}, one cause**: {md_prose(_one_clip(cause, 120))} | | {why or '—'} |")
        if count > 1:
            why = "same cause ↑"
        cells = (f"{n}. {md_code(_one_clip(shown, CELL_CODE), CELL_CODE + 8)}", _happened(f), why)
        rows.append("| " + " | ".join(c or "—" for c in cells) + " |")
    return "\n".join(rows)


def _causes(problems: list[Finding]) -> dict[str, tuple[str, int, bool]]:
    """Finding id -> (its root cause, how many findings share it, whether it is the first
    of them), as text and JSON group them (`details.cause`)."""
    out = {}
    for cause, members in by_cause(problems):
        for i, f in enumerate(members):
            out[f.id] = (cause, len(members), i == 0)
    return out


def _happened(f: Finding) -> str:
    text = KINDS[f.kind].happened if f.kind in KINDS and KINDS[f.kind].happened else f"**{md_text(f.kind, 40)}**"
    jobs = len({run.job[0] for run in f.base_runs})
    if jobs and f.kind in LOSS_KINDS:
        text += f" (ran in {_plural(jobs, 'job')})"
    if f.acknowledged is not None:
        text = f"✅ **acknowledged**: {md_prose(f.acknowledged.reason, 160)} ({text})"
    return text


def _short_why(f: Finding, links: "_Links") -> str:
    """The blocking guards, by file name and line, and what the jobs give their variables."""
    reason = f.reason
    if reason is None or not reason.guards:
        return md_prose(_one_clip((reason.text if reason else "") or f.message, 160))
    parts = []
    for guard in reason.guards[:2]:
        where = guard.condition.location
        name = f"{where.path.rsplit('/', 1)[-1]}:{where.line}"
        needs = "" if guard.required else " is false"
        parts.append(f"needs {md_code(_one_clip(guard.condition.text, 60), 68)}{needs} ({md_link(md_code(name, 80), links.head(where))})")
    unset = sorted({var for g in reason.guards for _, var, value in g.provided if value == UNSET}
                   - {var for g in reason.guards for _, var, value in g.provided if value != UNSET})
    if unset:
        parts.append("no job sets " + ", ".join(md_code(v, 40) for v in unset[:3]))
    for set_name, read_name, _ in reason.near_misses[:1]:
        parts.append(f"a job sets {md_code(set_name, 40)}, the script reads {md_code(read_name, 40)}")
    return "; ".join(parts)


def _details(problems: list[Finding], links: "_Links") -> str:
    """Per row of the table: the whole configuration, where it is, where it ran, the full why."""
    items = []
    causes = _causes(problems)
    for n, f in enumerate(problems, start=1):
        shown = f.config.text if f.config else f.subject
        cause, count, first = causes.get(f.id, ("", 1, True))
        if count > 1 and first:
            why = _why(f, links)
            items.append(f"**{_plural(count, 'configuration')}, one cause**: {md_prose(cause, 400)}"
                         + (f"\n   - why: {why}" if why else ""))
        lines = [f"{n}. {md_code(shown, 400)}"]
        if f.config is not None:
            lines.append(f"   - entry: {md_link(md_code(str(f.config.location), 200), links.head(f.config.location))}"
                         f" in {md_code(f.config.array, 80)}")
        ran = _ran_before(f, links)
        if ran:
            lines.append(f"   - ran before in: {ran}")
        why = _why(f, links) if count == 1 else ""  # a group's why is said once, above it
        if why:
            lines.append(f"   - why: {why}")
        if f.acknowledged is not None:
            where = f.acknowledged.location
            source = md_link(md_code(str(where), 200), links.head(where)) if where else "the settings' `accept` list"
            lines.append(f"   - acknowledged at {source}: {md_prose(f.acknowledged.reason, 300)}")
        if f.accepted_once_merged is not None:
            where = f.accepted_once_merged.location
            lines.append(f"   - accepted once merged (this change adds the comment at {md_link(md_code(str(where), 200), links.head(where))}, "
                         f"so it still counts here): {md_prose(f.accepted_once_merged.reason, 300)}")
        items.append("\n".join(lines))
    return "#### Details\n\n" + "\n".join(items)


def _ran_before(f: Finding, links: "_Links") -> str:
    jobs: dict[str, Location | None] = {}
    for run in f.base_runs:
        label, location = run.job
        jobs.setdefault(label, location)
    shown = [_job_cell(label, loc, links) for label, loc in list(jobs.items())[:MAX_JOBS_PER_ROW]]
    if len(jobs) > MAX_JOBS_PER_ROW:
        shown.append(f"and {len(jobs) - MAX_JOBS_PER_ROW} more")
    return "; ".join(shown)


def _job_cell(label: str, location: Location | None, links: "_Links") -> str:
    text = f"**{md_text(label, 120)}**"
    if location is None:
        return text
    return f"{text} ({md_link(md_code(str(location), 160), links.base(location))})"


def _why(f: Finding, links: "_Links") -> str:
    reason = f.reason
    cut = dict(f.details).get("incomplete")
    note = [f"the analysis was cut short on its way ({md_code(cut, 200)}): this may not be a loss"] if cut else []
    if reason is None:
        return "; ".join([md_prose(f.message)] + note)
    parts = [md_prose((reason.text or f.message).rstrip(". "))]
    for guard in reason.guards:
        condition = guard.condition
        where = md_link(md_code(str(condition.location), 160), links.head(condition.location))
        if condition.text and condition.text in (reason.text or ""):  # the prose already quotes it
            parts.append(f"guard at {where}")
        else:
            parts.append(f"blocked by {md_code(condition.text, 160)} at {where}")
    for set_name, read_name, job in reason.near_misses:
        parts.append(f"{md_text(job, 80)} sets {md_code(set_name, 60)}, the script reads {md_code(read_name, 60)}")
    return "; ".join(parts + note)


def _fixes(problems: list[Finding]) -> list[str]:
    by_fix: dict[str, list[str]] = {}
    for f in problems:
        if f.reason and f.reason.fix.strip():
            by_fix.setdefault(f.reason.fix, []).append(f.subject)
    if not by_fix:
        return []
    parts = ["#### Suggested fix"]
    for fix, subjects in by_fix.items():
        names = ", ".join(md_code(s, 120) for s in subjects[:5])
        more = f" and {len(subjects) - 5} more" if len(subjects) > 5 else ""
        parts.append(f"To run {names}{more} again:\n\n{md_fence(fix, 'yaml')}")
    return parts


MAX_DIAGRAMS = 3


def _diagrams(problems: list[Finding]) -> list[str]:
    """For the first few losses, the old path and the guard that blocks it now, folded.
    The summary holds no repository text: inside an HTML block nothing is escaped."""
    from .graph import mermaid_for_finding  # networkx only when there is a loss to draw

    charts = []
    for f in problems[:MAX_DIAGRAMS]:
        chart = mermaid_for_finding(f) if f.kind in LOSS_KINDS else ""
        if chart:
            charts.append(f"{md_code(f.subject, 120)}:\n\n{unmention(md_fence(chart, 'mermaid'))}")
    if not charts:
        return []
    summary = "How the lost configurations ran before, and what blocks them now"
    return [f"<details>\n<summary>{summary}</summary>\n\n" + "\n\n".join(charts) + "\n\n</details>"]


def _folded_others(others: list[Finding], links: "_Links") -> str:
    counts = Counter(f.kind for f in others)
    summary = ", ".join(f"{n} {kind}" for kind, n in _by_kind_order(counts))
    items = []
    for f in others:
        where = f.config.location if f.config else (f.locations[0] if f.locations else None)
        subject = md_link(md_code(f.subject, 200), links.head(where) if where else None)
        items.append(f"- **{md_text(f.kind, 40)}** {subject}: {md_prose(f.message, 500)}")
    # The blank lines let GitHub render markdown inside the HTML block.
    return f"<details>\n<summary>{summary}</summary>\n\n" + "\n".join(items) + "\n\n</details>"


def _analysis_notes(report: Report) -> list[str]:
    notes = [(d.location, d.message) for d in report.diagnostics]
    notes += [(i.location, i.reason) for i in report.incomplete]
    if not notes:
        return []
    items = [f"- {md_code(str(loc), 160)}: {md_prose(message)}" for loc, message in notes[:MAX_NOTES]]
    if len(notes) > MAX_NOTES:
        items.append(f"- and {len(notes) - MAX_NOTES} more")
    summary = f"⚠️ {_plural(len(notes), 'place')} the analysis could not follow exactly"
    return [f"<details>\n<summary>{summary}</summary>\n\n" + "\n".join(items) + "\n\n</details>"]


def _omitted_note(count: int) -> str:
    return (f"_{_plural(count, 'more finding')} not shown: a comment is limited to "
            f"{GITHUB_LIMIT:,} characters. Run `coverage-diff` locally or read the job log for the full list._")


def _by_kind_order(counts: Counter) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (_KIND_ORDER.get(item[0], 99), item[0]))


def _commit(revision: str) -> str | None:
    return revision if _SHA.fullmatch(revision) else None


def _short(revision: str) -> str:
    """Commit ids cut to 12 digits, also inside `merge-base(A, B)`."""
    return re.sub(r"\b([0-9a-f]{12})[0-9a-f]{28}\b", r"\1", revision)


def _plural(n: int, noun: str, nouns: str = "") -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {nouns or noun + 's'}"


def _one_clip(text: str, limit: int) -> str:
    return clip(" ".join(text.split()), limit)


def _footer(problems: list[Finding]) -> str:
    """Version, documentation, and how to acknowledge a loss that is meant."""
    how = ""
    if any(f.kind in LOSS_KINDS and f.acknowledged is None for f in problems):
        how = (" · an intended loss? add `# coverage-diff: accept[KIND] reason` on the line of its entry or guard"
               f" ([how]({DOCS_URL}/bot.md#acknowledging-an-intended-loss))")
    return f"<sub>coverage-diff {__version__} · [docs]({DOCS_URL}/bot.md){how}</sub>"


@dataclass(frozen=True)
class _Links:
    """Blob URLs for locations: head-side ones at the head commit, base-side at the base."""

    repo_url: str | None
    head_sha: str | None
    base_sha: str | None

    def head(self, location: Location) -> str | None:
        return self._at(self.head_sha, location)

    def base(self, location: Location) -> str | None:
        return self._at(self.base_sha, location)

    def _at(self, sha: str | None, location: Location) -> str | None:
        if not (self.repo_url and sha and location.path):
            return None
        anchor = f"#L{location.line}" if location.line else ""
        return f"{self.repo_url.rstrip('/')}/blob/{quote(sha)}/{quote(location.path)}{anchor}"
