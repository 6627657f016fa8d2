"""Match two inventories subject by subject and explain every loss.

Subjects are indexed by identity on both sides, so the diff is linear in the
number of runs.  A subject's runs are compared by *variant* (argv, the
environment set along the way, platform), never by job name or file, so moving
or relabelling a step is a `moved`, not a loss.
"""

from __future__ import annotations

from .inventory import Inventory
from .model import ConfigEntry, Finding, Job, Reason, Report, Run, Severity
from .reasons import cuts_on_the_way, explain_missing, jobs_reaching

SEVERITY = {
    "silently-dropped": Severity.ERROR,
    "removed": Severity.WARNING,
    "narrowed": Severity.ERROR,
    "changed": Severity.INFO,
    "moved": Severity.INFO,
    "added": Severity.INFO,
}


def diff(base: Inventory, head: Inventory) -> Report:
    findings: list[Finding] = []
    matched = match_jobs(base, head)  # once: narrowed subjects all consult it
    prefetch_explanations(base, head, ((s, runs, head.runs_by_subject.get(s, [])) for s, runs in base.runs_by_subject.items()), matched)
    for subject, before in base.runs_by_subject.items():
        after = head.runs_by_subject.get(subject, [])
        finding = compare_subject(subject, before, after, base, head, matched)
        if finding is not None:
            findings.append(finding)
    for subject, after in head.runs_by_subject.items():
        if subject not in base.runs_by_subject:
            findings.append(_finding("added", subject, [], after, head, f"{_describe(subject, after)} now runs in {_jobs_text(head, after)}."))
    findings.sort(key=lambda f: (SEVERITY[f.kind].rank * -1, f.kind, f.subject))
    return Report(
        command="diff",
        base=base.snapshot.name,
        head=head.snapshot.name,
        findings=tuple(findings),
        diagnostics=tuple(head.diagnostics),
        incomplete=tuple(dict.fromkeys(base.incomplete + head.incomplete)),
        summary=_summary(findings, base, head),
    )


def compare_subject(subject: str, before: list[Run], after: list[Run], base: Inventory, head: Inventory,
                    matched: dict[str, Job] | None = None) -> Finding | None:
    if not after:
        defined = head.is_defined(subject, before, base)
        kind = "silently-dropped" if defined else "removed"
        reason = _why_gone(subject, before, head, defined)
        verb = "no longer runs anywhere" if defined else "was removed"
        message = f"{_describe(subject, before)} {verb}" + _now_defined(subject, before, head) + "."
        return _finding(kind, subject, before, after, head, message, reason)
    lost, gained = _lost_and_gained(before, after)
    if lost:
        lost_runs = [r for r in before if r.variant in lost]
        kind = "narrowed" if _narrowed(lost, gained) else "changed"
        reason = _why_narrowed(subject, lost_runs, base, head, matched) if kind == "narrowed" else None
        what = f"{len(lost)} of its {len(_variants(before))} variants no longer run"
        message = f"{_describe(subject, before)}: {what}."
        if kind == "changed":
            message = f"{_describe(subject, before)} runs with different arguments or environment."
        return _finding(kind, subject, lost_runs, [r for r in after if r.variant in gained] or after, head, message, reason)
    if gained:
        return _finding("added", subject, [], [r for r in after if r.variant in gained], head,
                        f"{_describe(subject, after)} gains {len(gained)} new variant(s) in {_jobs_text(head, [r for r in after if r.variant in gained])}.")
    if _where(before, base) != _where(after, head):
        return _finding("moved", subject, before, after, head,
                        f"{_describe(subject, after)} runs the same, now from {_jobs_text(head, after)} (was {_jobs_text(base, before)}).")
    return None


def prefetch_explanations(base: Inventory, head: Inventory, compared, matched: "JobMatch | None" = None) -> None:
    """Compute at once, on every core, the open worlds that explaining the losses among
    `compared` will ask `head` for.  Only a head start: `compare_subject` asks for what
    it needs either way."""
    head.prefetch_open(explanation_jobs(base, head, compared, matched))


def explanation_jobs(base: Inventory, head: Inventory, compared, matched: "JobMatch | None" = None) -> list[Job]:
    """The head jobs whose open worlds explaining the losses among `compared` ((subject,
    runs in base, runs in head) triples) asks for: those that reach a vanished subject's
    script, and those matching the jobs that ran a narrowed subject's lost variants."""
    jobs: list[Job] = []
    for subject, before, after in compared:
        if not after:
            if head.is_defined(subject, before, base):
                jobs += jobs_reaching(head, _scripts_of(subject, before, head))
        else:
            lost, gained = _lost_and_gained(before, after)
            if lost and _narrowed(lost, gained):
                matched = matched if matched is not None else match_jobs(base, head)
                jobs += [matched[r.job_id] for r in before if r.variant in lost and r.job_id in matched]
    return list(dict.fromkeys(jobs))


def _lost_and_gained(before: list[Run], after: list[Run]) -> tuple[set, set]:
    """The variants only `before` runs, and those only `after` runs."""
    if _same_runs(before, after):  # the usual case: an outcome both revisions share
        return set(), set()
    before_variants, after_variants = _variants(before), _variants(after)
    return before_variants - after_variants, after_variants - before_variants


def _narrowed(lost: set, gained: set) -> bool:
    """Fewer variants run (a loss), rather than as many that run differently (a change)."""
    return not gained or len(gained) < len(lost)


def _same_runs(before: list[Run], after: list[Run]) -> bool:
    return len(before) == len(after) and all(a is b for a, b in zip(before, after))


def _variants(runs: list[Run]) -> set:
    return {run.variant for run in runs}


def _where(runs: list[Run], inventory: Inventory) -> set:
    jobs = inventory.jobs_by_id
    return {(jobs[r.job_id].file, jobs[r.job_id].label) if r.job_id in jobs else r.job_id for r in runs}


def _scripts_of(subject: str, runs: list[Run], head: Inventory) -> list[str]:
    """The scripts where the subject is written at head (entry definitions, else leaf files)."""
    if subject in head.entries:
        return sorted({e.location.path for e in head.entries[subject]})
    return sorted({r.location.path for r in runs})


def _why_gone(subject: str, before: list[Run], head: Inventory, defined: bool) -> Reason | None:
    if not defined:
        entry = _entry(before)
        where = entry.location if entry else before[0].location
        still = head.snapshot.exists(where.path)
        return Reason(text=f"it is no longer defined ({where.path} {'no longer contains it' if still else 'was deleted'}).")
    return explain_missing(head, subject, scripts=_scripts_of(subject, before, head), before=before)


def _why_narrowed(subject: str, lost: list[Run], base: Inventory, head: Inventory, matched: dict[str, Job] | None = None) -> Reason:
    """Explain lost variants through the head jobs that correspond to the base jobs that ran them."""
    matched = matched if matched is not None else match_jobs(base, head)
    jobs = [matched[r.job_id] for r in lost if r.job_id in matched]
    jobs = list({j.id: j for j in jobs}.values())
    gone = sorted({base.jobs_by_id[r.job_id].label for r in lost if r.job_id not in matched and r.job_id in base.jobs_by_id})
    scripts = _scripts_of(subject, lost, head)
    if jobs:
        reason = explain_missing(head, subject, scripts=scripts, jobs=jobs, before=lost)
        if reason.guards:
            return reason
    if gone:
        return Reason(text=f"the job(s) that ran them are gone: {', '.join(gone)}.")
    return explain_missing(head, subject, scripts=scripts, jobs=jobs, before=lost)


def match_jobs(base: Inventory, head: Inventory) -> "JobMatch":
    """Base job id -> the head job that is the same job: same key, else same label,
    else same commands and environment (a step moved to another file and relabelled)."""
    return JobMatch(base, head)


class JobMatch:
    """The mapping `match_jobs` returns, worked out for the base jobs asked about: a diff
    asks only for the jobs behind its narrowed subjects (none, or a few of hundreds)."""

    _WAYS = (lambda job: (job.system, job.key, job.matrix), lambda job: (job.system, job.label, job.matrix),
             lambda job: _body(job))

    def __init__(self, base: Inventory, head: Inventory):
        self._base = base.jobs_by_id
        self._head = head.jobs
        self._indexes: list[dict] = []  # one per way of matching, built when first needed
        self._found: dict[str, Job | None] = {}

    def get(self, job_id: str, default=None) -> Job | None:
        if job_id not in self._found:
            self._found[job_id] = self._match(self._base[job_id]) if job_id in self._base else None
        found = self._found[job_id]
        return default if found is None else found

    def __contains__(self, job_id: str) -> bool:
        return self.get(job_id) is not None

    def __getitem__(self, job_id: str) -> Job:
        found = self.get(job_id)
        if found is None:
            raise KeyError(job_id)
        return found

    def _match(self, job: Job) -> Job | None:
        for way, key in enumerate(self._WAYS):
            if way == len(self._indexes):
                index: dict = {}
                for candidate in self._head:
                    index.setdefault(key(candidate), candidate)  # the first head job with that key
                self._indexes.append(index)
            found = self._indexes[way].get(key(job))
            if found is not None:
                return found
        return None


def _body(job: Job) -> tuple:
    return (job.system, tuple(" ".join(c.text.split()) for c in job.commands), tuple(sorted(job.env)), job.matrix)


def _entry(runs: list[Run]) -> ConfigEntry | None:
    return next((r.entry for r in runs if r.entry is not None), None)


def _describe(subject: str, runs: list[Run]) -> str:
    entry = _entry(runs)
    if entry is not None:
        return f"The `{entry.array}` entry in {entry.location.path}"
    return "This command"


def _now_defined(subject: str, before: list[Run], head: Inventory) -> str:
    """Where a stranded entry lives now, when it moved to another array or file."""
    was, now = _entry(before), head.entries.get(subject)
    if was is None or not now or (now[0].array, now[0].location.path) == (was.array, was.location.path):
        return ""
    return f"; it is now in `{now[0].array}` ({now[0].location})"


def _jobs_text(inventory: Inventory, runs: list[Run]) -> str:
    jobs = inventory.jobs_by_id
    labels = sorted({f"{jobs[r.job_id].label} ({jobs[r.job_id].file})" for r in runs if r.job_id in jobs})
    shown = ", ".join(labels[:3])
    return shown + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")


def _finding(kind: str, subject: str, before: list[Run], after: list[Run], inventory: Inventory, message: str, reason: Reason | None = None) -> Finding:
    entry = _entry(after) or _entry(before)
    if entry is not None and subject in inventory.entries:
        entry = inventory.entries[subject][0]  # where it is written now
    locations = tuple(dict.fromkeys([g.condition.location for g in (reason.guards if reason else ())] + ([entry.location] if entry else [])))
    details: tuple[tuple[str, str], ...] = (("conditional", "yes"),) if any(r.conditional for r in after) else ()
    severity = SEVERITY[kind]
    # A loss no guard explains, whose runs went through a place head's analysis cut short, may be
    # the cut and not the change: said so, and not an error.  A loss a guard explains stays one
    # (a hostile prelude that hits a cap must not turn a real loss into a warning).
    explained = reason is not None and bool(reason.guards)
    cuts = cuts_on_the_way(before, inventory) if kind in ("silently-dropped", "removed", "narrowed") and not explained else []
    if cuts:
        details += (("confidence", "incomplete"), ("incomplete", f"{cuts[0].location}: {cuts[0].reason}"))
        severity = Severity.WARNING if severity is Severity.ERROR else severity
    return Finding(
        kind=kind,
        subject=subject,
        severity=severity,
        message=message,
        config=entry,
        reason=reason,
        locations=locations,
        base_runs=tuple(before),
        head_runs=tuple(after),
        details=details,
    )



def _summary(findings: list[Finding], base: Inventory, head: Inventory) -> tuple[tuple[str, int], ...]:
    counts = {kind: 0 for kind in SEVERITY}
    for f in findings:
        counts[f.kind] += 1
    return tuple(counts.items()) + (
        ("base_runs", len(base.runs)),
        ("head_runs", len(head.runs)),
        ("base_jobs", len(base.jobs)),
        ("head_jobs", len(head.jobs)),
        ("base_ci_files", len(base.ci_files)),
        ("head_ci_files", len(head.ci_files)),
    )
