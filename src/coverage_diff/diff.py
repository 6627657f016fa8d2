"""Match two inventories subject by subject and explain every loss.

Subjects are indexed by identity on both sides, so the diff is linear in the
number of runs.  A subject's runs are compared by *variant* (argv, the
environment set along the way, platform), never by job name or file, so moving
or relabelling a step is a `moved`, not a loss.
"""

from __future__ import annotations

from dataclasses import replace

from .gate import head_cuts
from .identity import Succession, edited_in_job, narrower_cut, resharded, shard_detail, shard_key, successions, swept, successor_entry, word_diff
from .inventory import Inventory
from .kinds import DIFF_KINDS, LOSS_KINDS
from .model import RANK, TIER_TEXT, ConfigEntry, Finding, Job, Reason, Report, Run, Severity
from .reasons import cuts_on_the_way, explain_missing, lost_branch
from .selection import holders
from .subjects import ran_nothing
from .world import open_world

SEVERITY = {kind.id: kind.severity for kind in DIFF_KINDS}


def diff(base: Inventory, head: Inventory) -> Report:
    findings: list[Finding] = []
    matched = match_jobs(base, head)  # once: narrowed subjects all consult it
    new = {s: runs for s, runs in head.runs_by_subject.items() if s not in base.runs_by_subject}
    succeeded = successions(lost_runs(base.runs_by_subject, head.runs_by_subject), new, base, head)
    prefetch_explanations(base, head, ((s, runs, head.runs_by_subject.get(s, [])) for s, runs in base.runs_by_subject.items()
                                       if s not in succeeded), matched)
    for subject, before in base.runs_by_subject.items():
        after = head.runs_by_subject.get(subject, [])
        succession = succeeded.get(subject)
        now = [run for s in succession.new for run in (new.get(s) or head.runs_by_subject.get(s, []))] if succession else []
        findings += compare_subject(subject, before, after, base, head, matched, succession, now)
    successors = {s for succession in succeeded.values() for s in succession.new}
    for subject, after in new.items():
        if subject not in successors:
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
        head_cut=head_cuts(head.incomplete),
    )


def compare_subject(subject: str, before: list[Run], after: list[Run], base: Inventory, head: Inventory,
                    matched: dict[str, Job] | None = None, succession: Succession | None = None,
                    successor_runs: list[Run] = ()) -> list[Finding]:
    """The findings for one base subject (none when it runs the same), a loss with its root
    cause: one per script when several scripts define the entry's text."""
    finding = _compare(subject, before, after, base, head, matched, succession, successor_runs)
    if finding is None or finding.kind not in LOSS_KINDS:
        return [finding] if finding is not None else []
    cause = root_cause(finding, base, matched if matched is not None else match_jobs(base, head))
    return per_script(replace(finding, details=finding.details + (("cause", cause),)), base, head)


def per_script(finding: Finding, base: Inventory, head: Inventory) -> list[Finding]:
    """A loss of a config entry whose text more than one script defines, as one finding per
    script its lost runs came from, its subject naming the script (`TEXT [path]`): the same
    text in two scripts is two configurations.  A text one script defines keeps its subject,
    so finding ids and baselines stay as they were."""
    if finding.config is None:
        return [finding]
    was, now = base.entries.get(finding.subject, []), head.entries.get(finding.subject, [])
    if len({e.location.path for e in was}) < 2 and len({e.location.path for e in now}) < 2:
        return [finding]  # one script defines it on each side (perhaps another one now): one configuration
    written = was + now
    by_script: dict[str, list[Run]] = {}
    for run in finding.base_runs:
        by_script.setdefault(run.entry.location.path if run.entry is not None else run.location.path, []).append(run)
    still = {r.entry.location.path for r in head.runs_by_subject.get(finding.subject, ()) if r.entry is not None}
    defined = {e.location.path for e in head.entries.get(finding.subject, [])}
    out = []
    for path, runs in by_script.items():
        entry = next((e for e in written if e.location.path == path), finding.config)
        kind = finding.kind
        if kind == "narrowed" and path not in still:  # this script's configuration runs nowhere now
            kind = "silently-dropped" if path in defined else "removed"
        out.append(replace(finding, kind=kind, severity=SEVERITY[kind] if finding.severity is SEVERITY[finding.kind] else finding.severity,
                           subject=f"{finding.subject} [{path}]", config=entry, base_runs=tuple(runs),
                           details=finding.details + (("defined-in", path),)))
    return out


def root_cause(finding: Finding, base: Inventory, matched: "JobMatch") -> str:
    """What made a subject stop running, the same words for every subject it took: the guard
    that blocks it, the jobs (or matrix values) that ran it and are gone, the file it was
    deleted from."""
    reason = finding.reason
    if reason is not None and reason.guards:
        guard = reason.guards[0].condition
        return f"guard `{guard.text}` ({guard.location})"
    jobs = base.jobs_by_id
    gone = sorted({jobs[r.job_id].display + f" ({jobs[r.job_id].file})" for r in finding.base_runs
                   if r.job_id in jobs and r.job_id not in matched})
    if gone:
        return "job(s) gone: " + ", ".join(gone)
    moves = sorted({(old, new) for _, old, new in _platform_moves(finding.base_runs, base, matched)})
    if moves:
        return "job(s) moved to machines that already ran them: " + ", ".join(f"{old} -> {new}" for old, new in moves)
    if finding.kind == "removed":
        where = finding.config.location.path if finding.config else finding.base_runs[0].location.path
        return f"deleted from {where}"
    return finding.subject


def _compare(subject: str, before: list[Run], after: list[Run], base: Inventory, head: Inventory,
             matched: dict[str, Job] | None = None, succession: Succession | None = None,
             successor_runs: list[Run] = ()) -> Finding | None:
    if succession is not None:
        gone = [r for r in before if r.variant in _lost_and_gained(before, after)[0]] if after else before
        return _succeeded(subject, gone, list(successor_runs), succession, head)
    lost, gained = _lost_and_gained(before, after)
    dead = {r.variant: why for r in before if r.variant in lost and (why := ran_nothing(r, base.snapshot, base.settings))}
    if dead:  # a command that could not run at base (a path fixed since): nothing it ran is lost
        lost -= set(dead)
        before = [r for r in before if r.variant not in dead]
        if not lost:
            return _finding("changed", subject, [], after, head,
                            f"This command ran nothing at base: {next(iter(dead.values()))}. Nothing it ran is lost.")
    shards = {r.variant: resharded(r, base, head) for r in before if r.variant in lost}
    if shards and all(shards.values()):  # only how it is cut changed (shards, a `-k` split), or its job's platform
        now = list(dict.fromkeys(s for subjects in shards.values() for s in subjects))
        runs = [r for s in now for r in head.runs_by_subject.get(s, ())]
        moved = {r.platform for r in before if r.variant in lost} - {r.platform for r in runs}
        where = f"; its job now runs on {', '.join(sorted({r.platform for r in runs} - {r.platform for r in before}))}" if moved else ""
        return _finding("changed" if moved else "moved", subject, [r for r in before if r.variant in lost], runs, head,
                        f"{_describe(subject, before)} is now cut differently ({shard_detail(now, head)}), "
                        f"and together those runs run what it ran{where}.")
    if any(shards.values()):  # the re-sharded variants are not lost; what they became is not new
        keys = {shard_key(r) for r in before if shards.get(r.variant)}
        lost = {v for v in lost if not shards[v]}
        gained = {r.variant for r in after if r.variant in gained and shard_key(r) not in keys}
    held = {r.variant: holders(r, base, head) for r in before if r.variant in lost}
    if held and all(held.values()):  # the same tests, selected differently (a directory, `-k`, tests listed)
        now = list(dict.fromkeys(s for subjects in held.values() for s in subjects))
        runs = [r for s in now for r in head.runs_by_subject.get(s, ())]
        shown = "; ".join(f"`{s}`" for s in now[:3]) + (f" and {len(now) - 3} more" if len(now) > 3 else "")
        return _finding("moved", subject, [r for r in before if r.variant in lost], runs, head,
                        f"{_describe(subject, before)} is now selected differently, by {shown}, which together select every "
                        f"test it selected where it ran.", details=(("now", now[0]),))
    if any(held.values()):
        lost = {v for v in lost if not held[v]}
    entries = {r.variant: swept(r, head) for r in before if r.variant in lost}
    if entries and all(entries.values()):  # the same command, now run once per config of a sweep
        arrays = sorted({f"`{e.array}` ({e.location.path})" for found in entries.values() for e in found})
        count = len({e for found in entries.values() for e in found})
        return _finding("changed", subject, [r for r in before if r.variant in lost], after, head,
                        f"{_describe(subject, before)} now runs once per config entry ({count} of {', '.join(arrays)}), "
                        f"with each entry's values, where it ran.")
    if any(entries.values()):
        lost = {v for v in lost if not entries[v]}
    matched = matched if matched is not None or not lost else match_jobs(base, head)
    edits = {r.variant: edited_in_job(r, base, head, matched) for r in before if r.variant in lost and r.entry is None}
    if edits and all(edits.values()) and len(edits) == len(lost):  # its job runs it with an argument edited
        now = " ".join(next(iter(edits.values())))
        return _finding("changed", subject, [r for r in before if r.variant in lost], after, head,
                        f"{_describe(subject, before)} was edited in place in the job(s) that ran it "
                        f"({word_diff(subject, now)}); it now runs as `{now}` there.", details=(("now", now),))
    if any(edits.values()):
        lost = {v for v in lost if not edits.get(v)}
    if not after:
        before = [r for r in before if r.variant in lost]
        edited = _edited_entry(before, base, head)
        defined = edited is not None or head.is_defined(subject, before, base)
        kind = "silently-dropped" if defined else "removed"
        reason = _why_gone(edited.identity if edited else subject, before, head, defined)
        verb = "no longer runs anywhere" if defined else "was removed"
        if edited is not None:
            verb = f"was edited in place ({word_diff(_entry(before).text, edited.text)}) and no longer runs anywhere"
        message = f"{_describe(subject, before)} {verb}" + _now_defined(edited.identity if edited else subject, before, head) + "."
        return _finding(kind, subject, before, after, head, message, reason)
    if lost:
        lost_runs = [r for r in before if r.variant in lost]
        kind = "narrowed" if _narrowed(lost, gained) else "changed"
        reason = _why_narrowed(subject, lost_runs, base, head, matched) if kind == "narrowed" else None
        if kind == "changed":  # as many variants: narrowed only when a guard branch they took is lost
            reason = lost_branch(lost_runs, head.guard_branches, head, _scripts_of(subject, lost_runs, head))
            kind = "narrowed" if reason is not None else "changed"
        what = f"{len(lost)} of its {len(_variants(before))} variants no longer run"
        message = f"{_describe(subject, before)}: {what}{_tests_lost(lost_runs, after)}."
        if kind == "changed":
            message = f"{_describe(subject, before)} runs with different arguments or environment."
        elif reason is not None and reason.guards and not _narrowed(lost, gained):
            message = f"{_describe(subject, before)}: {len(lost)} of its {len(_variants(before))} variants no longer run as they did (a guard branch is lost)."
        return _finding(kind, subject, lost_runs, [r for r in after if r.variant in gained] or after, head, message, reason)
    if gained:
        return _finding("added", subject, [], [r for r in after if r.variant in gained], head,
                        f"{_describe(subject, after)} gains {len(gained)} new variant(s) in {_jobs_text(head, [r for r in after if r.variant in gained])}.")
    less = _less_often(before, after, base, head)
    if less is not None:
        return _finding("tier-changed", subject, before, after, head,
                        f"{_describe(subject, after)} still runs, but less often: {less}.")
    if _where(before, base) != _where(after, head):
        return _finding("moved", subject, before, after, head,
                        f"{_describe(subject, after)} runs the same, now from {_jobs_text(head, after)} (was {_jobs_text(base, before)}).")
    return None
def _succeeded(subject: str, before: list[Run], after: list[Run], succession: Succession, head: Inventory) -> Finding:
    """A subject that vanished because it was edited in place, split into shards, or its
    files were renamed."""
    if succession.how == "renamed":
        now = succession.new[0] if len(succession.new) == 1 else ", ".join(succession.new)
        if succession.covered and succession.edits:
            return _finding("changed", subject, before, after, head,
                            f"{_describe(subject, before)} now runs as `{now}`: git renamed {succession.detail}, "
                            f"and the other list(s) naming it now name a sibling config in its place ({succession.edits}).", details=(("now", now),))
        if succession.covered:
            return _finding("moved", subject, before, after, head,
                            f"{_describe(subject, before)} now runs as `{now}`: git renamed {succession.detail}.",
                            details=(("now", now),))
        where = sorted({r.platform for r in before} - {r.platform for r in after})
        reason = Reason(text=f"git renamed {succession.detail}, and head runs the renamed command only in some of the "
                             f"places it ran" + (f" (no longer on {', '.join(where)})." if where else "."))
        return _finding("narrowed", subject, before, after, head,
                        f"{_describe(subject, before)} now runs as `{now}`, but not everywhere it ran.", reason,
                        details=(("now", now),))
    if succession.how == "edited" and not succession.covered:
        reason = Reason(text=f"its test selection was edited ({succession.detail}) and no longer selects everything it selected.")
        return _finding("narrowed", subject, before, after, head,
                        f"{_describe(subject, before)} now selects fewer tests: it runs as `{succession.new[0]}`.", reason,
                        details=(("now", succession.new[0]),))
    if succession.how == "edited":
        message = f"{_describe(subject, before)} was edited in place ({succession.detail}); it now runs as `{succession.new[0]}`."
        return _finding("changed", subject, before, after, head, message, details=(("now", succession.new[0]),))
    shards = f"{len(succession.new)} shard(s) ({succession.detail})"
    if succession.covered:
        return _finding("moved", subject, before, after, head,
                        f"{_describe(subject, before)} is now split into {shards} that together run what it ran.")
    reason = Reason(text=f"it was split into {shards}, which together no longer select everything it selected.")
    return _finding("narrowed", subject, before, after, head,
                    f"{_describe(subject, before)} is now split into {shards} that select less than it did.", reason)


def _tests_lost(lost: list[Run], after: list[Run]) -> str:
    """The test files the lost variants ran that no remaining variant runs (one config
    entry run by several scripts: the one that stopped is named)."""
    files = lambda runs: {w.split("::", 1)[0] for r in runs for w in r.argv[1:] if w.endswith(".py") or ".py::" in w}  # noqa: E731
    gone = sorted(files(lost) - files(after))
    return f" (no longer runs {', '.join(gone[:3])}{' ...' if len(gone) > 3 else ''})" if gone else ""


def _edited_entry(before: list[Run], base: Inventory, head: Inventory) -> ConfigEntry | None:
    """The head entry a vanished config entry became when it was edited in place."""
    entry = _entry(before)
    if entry is None or entry.identity in head.entries:
        return None
    return successor_entry(entry, base, head)


def prefetch_explanations(base: Inventory, head: Inventory, compared, matched: "JobMatch | None" = None) -> None:
    """Compute at once, on every core, the open worlds that explaining the losses among
    `compared` will ask `head` for.  Only a head start: `compare_subject` asks for what
    it needs either way."""
    open_world(head).outcomes(explanation_jobs(base, head, compared, matched))


def explanation_jobs(base: Inventory, head: Inventory, compared, matched: "JobMatch | None" = None) -> list[Job]:
    """The head jobs whose open worlds explaining the losses among `compared` ((subject,
    runs in base, runs in head) triples) asks for: those that reach a vanished subject's
    script, and those matching the jobs that ran a narrowed subject's lost variants."""
    jobs: list[Job] = []
    for subject, before, after in compared:
        if not after:
            if head.is_defined(subject, before, base):
                jobs += head.jobs_reaching(_scripts_of(subject, before, head))
        else:
            lost, gained = _lost_and_gained(before, after)
            if lost and _narrowed(lost, gained):
                matched = matched if matched is not None else match_jobs(base, head)
                jobs += [matched[r.job_id] for r in before if r.variant in lost and r.job_id in matched]
    return list(dict.fromkeys(jobs))


def lost_runs(before: dict[str, list[Run]], after: dict[str, list[Run]]) -> dict[str, list[Run]]:
    """Subject -> its runs in `before` whose variants `after` does not run (subjects that lose none left out)."""
    found = {}
    for subject, runs in before.items():
        lost, _ = _lost_and_gained(runs, after.get(subject, []))
        if lost:
            found[subject] = [r for r in runs if r.variant in lost]
    return found


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


def _less_often(before: list[Run], after: list[Run], base: Inventory, head: Inventory) -> str | None:
    """A tier change: the most frequent build that runs the subject is rarer at head (every PR ->
    nightly only, say).  None when it runs as often as before (or more)."""
    was, now = _best_tier(before, base), _best_tier(after, head)
    if was is None or now is None or RANK.index(now) <= RANK.index(was):
        return None
    return f"it now {TIER_TEXT[now]} (before: {TIER_TEXT[was]})"


def _best_tier(runs: list[Run], inventory: Inventory):
    jobs = inventory.jobs_by_id
    tiers = [jobs[r.job_id].tier for r in runs if r.job_id in jobs]
    return min(tiers, key=RANK.index) if tiers else None


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
    moved = _platform_moves(lost, base, matched)
    if moved and not gone:
        text = "; ".join(f"{label} now runs on {new} instead of {old}" for label, old, new in moved)
        return Reason(text=f"{text}, where it already ran: nothing runs it on {', '.join(sorted({m[1] for m in moved}))} any more.")
    if gone:
        return Reason(text=_gone_text(gone, lost, head, subject))
    cut = narrower_cut(lost, base, head)
    if cut is not None:
        return Reason(text=cut)
    kept = _kept_job_text(lost, base, head, matched)
    if kept is not None:
        return Reason(text=kept)
    return explain_missing(head, subject, scripts=scripts, jobs=jobs, before=lost)


def _kept_job_text(lost: list[Run], base: Inventory, head: Inventory, matched) -> str | None:
    """Lost variants whose job is still there at head, without a guard to blame: the job
    moved to another platform, or its own commands were edited (and, when head's analysis
    could not follow the edited command, why)."""
    for run in lost:
        if run.job_id not in matched or run.job_id not in base.jobs_by_id:
            continue
        was, now = base.jobs_by_id[run.job_id], matched[run.job_id]
        if now.platform != was.platform:
            return (f"its job {now.label!r} now runs on {now.platform or 'another platform'} (was {was.platform}); "
                    f"no job runs it on {was.platform} any more.")
        if [c.text for c in now.commands] != [c.text for c in was.commands]:
            lines = {(c.location.path, c.location.line) for c in now.commands}
            cut = next((i for i in head.incomplete if (i.location.path, i.location.line) in lines), None)
            text = f"the commands of its job {now.label!r} ({now.file}) were edited and no longer run it"
            return text + (f"; at {cut.location}: {cut.reason}." if cut else ".")
    return None


def _gone_text(gone: list[str], lost: list[Run], head: Inventory, subject: str) -> str:
    """The jobs behind lost variants were deleted: which, on which platform, and where the
    subject still runs (the usual case: one queue retired, the others kept)."""
    platforms = sorted({r.platform for r in lost if r.platform})
    still = sorted({r.platform for r in head.runs_by_subject.get(subject, ()) if r.platform} - set(platforms))
    where = f" on {', '.join(platforms)}" if platforms else ""
    text = f"the job(s) that ran it{where} were deleted: {', '.join(gone)}; no job runs it there any more"
    return text + (f" (it still runs on {', '.join(still)})." if still else ".")


def _platform_moves(runs, base: Inventory, matched) -> list[tuple[str, str, str]]:
    """(label, old platform, new platform) of the jobs behind `runs` that still exist under
    the same key but now run on other machines."""
    jobs = base.jobs_by_id
    return sorted({(jobs[r.job_id].label, r.platform, matched[r.job_id].platform) for r in runs
                   if r.job_id in jobs and r.job_id in matched and matched[r.job_id].platform != r.platform
                   and matched[r.job_id].key == jobs[r.job_id].key})


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
                    if way == len(self._WAYS) - 1 and candidate.id in self._base:
                        continue  # by its commands only a job base did not have: not another queue's copy that ran already
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


def _finding(kind: str, subject: str, before: list[Run], after: list[Run], inventory: Inventory, message: str,
             reason: Reason | None = None, details: tuple = ()) -> Finding:
    entry = (_entry(before) or _entry(after)) if kind in LOSS_KINDS else (_entry(after) or _entry(before))
    if entry is not None and subject in inventory.entries:  # where it is written now, in the same script if it still is
        written = inventory.entries[subject]
        entry = next((e for e in written if (e.location.path, e.array) == (entry.location.path, entry.array)),
                     next((e for e in written if e.location.path == entry.location.path), written[0]))
    locations = tuple(dict.fromkeys([g.condition.location for g in (reason.guards if reason else ())] + ([entry.location] if entry else [])))
    details = tuple(details) + ((("conditional", "yes"),) if any(r.conditional for r in after) else ())
    severity = SEVERITY[kind]
    # A loss no guard explains, whose runs went through a place head's analysis cut short, may be
    # the cut and not the change: said so, and not an error.  A loss a guard explains stays one
    # (a hostile prelude that hits a cap must not turn a real loss into a warning).
    explained = reason is not None and bool(reason.guards)
    cuts = cuts_on_the_way(before, inventory) if kind in LOSS_KINDS and not explained else []
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
