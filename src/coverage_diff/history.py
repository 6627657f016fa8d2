"""`audit --since REV|DATE [--until REV]`: which commit introduced each loss.

First-parent history is walked oldest to newest; each commit's inventory is
diffed against its first parent's, and every loss (`silently-dropped`,
`removed`, `narrowed`) is reported with the commit that introduced it: sha,
author, date and subject line, in `Finding.details`.

This module says what a loss is (`losses`, `loss_plan`, `LossPlan`) and who introduced
it (`audit_history`, `attribute`).  How the walk is made fast is the engine's: the
commits read from one `git log` (`engine/commits.py`); inventories built from the
parent's, a job whose job and consulted files are unchanged keeping its outcome, the
subject index derived from the parent's, several commits' open worlds computed
together (`engine/walk.py`).  Repeated nightly runs are incremental: per-pair losses
and the last commit's inventory are kept in the persistent cache (`engine/cache.py`)
under tree ids, so a second run over the same range only reads the cache, and a run
over newer commits starts from where the last one stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from .diff import SEVERITY, compare_subject, explanation_jobs, lost_runs, match_jobs
from .engine import store, world
from .engine.commits import Commit, commits_in_range, tree_of
from .engine.walk import Changes, Explainer, HistoryWalk, changed_jobs, runs_of, subject_jobs, subjects_of, touches
from .identity import successions
from .inventory import Inventory
from .kinds import LOSS_KINDS
from .model import Finding, Job, Report
from .snapshot import FileEntry
from .world import open_world

def losses(before: Inventory, after: Inventory) -> list[Finding]:
    """The loss findings of `diff(before, after)`, in its order."""
    plan = loss_plan(before, after)
    if plan is None:
        return []
    world.prefetch([(open_world(after), job) for job in plan.open_jobs])
    return plan.losses()


def loss_plan(before: Inventory, after: Inventory) -> "LossPlan | None":
    """What `losses` compares, or None when nothing can be lost.  A subject can only
    lose a variant through a job whose outcome in `after` is not the very object it
    was in `before` (a reused outcome runs the same runs), so only the subjects of
    those jobs' runs in `before` are compared; a commit changes a few jobs out of
    hundreds.  Plans are made in the walk's order (each commit's subject index
    derives from its parent's); their losses may be found later, several commits'
    open worlds computed together."""
    gone = changed_jobs(before, after)
    index = subject_jobs(after, before, gone)  # the next commit derives its own from it
    suspects = {subject for job_id in gone for subject in subjects_of(before.outcomes[job_id], before.settings)}
    if not suspects:
        return None
    was, now = runs_of(before, suspects), runs_of(after, suspects, index)
    fewer = [subject for subject in sorted(suspects)  # every variant still running: moved, changed or added at most
             if not (now[subject] and {r.variant for r in was[subject]} <= {r.variant for r in now[subject]})]
    if not fewer:
        return None
    vanished = lost_runs({subject: was[subject] for subject in fewer}, now)
    succeeded = {}
    if vanished:  # an edit in place or a split: the new subjects of the jobs that changed are candidates
        fresh = {s for job_id in changed_jobs(after, before) for s in subjects_of(after.outcomes[job_id], after.settings)}
        fresh -= set(subject_jobs(before))
        new = runs_of(after, fresh, index)
        succeeded = {old: (succession, [r for s in succession.new for r in (new.get(s) or runs_of(after, [s], index)[s])])
                     for old, succession in successions(vanished, new, before, after).items()}
    return LossPlan(before, after, [(subject, was[subject], now[subject]) for subject in fewer], succeeded)


@dataclass
class LossPlan:
    """The subjects of one commit that run fewer variants than at its parent, with their
    runs on both sides: compared (and their losses explained) when `losses` is called."""

    before: Inventory
    after: Inventory
    fewer: list[tuple[str, list, list]]  # (subject, runs before, runs after), sorted by subject
    succeeded: dict = field(default_factory=dict)  # subject -> (its succession, the successors' runs after)

    @cached_property
    def open_jobs(self) -> list[Job]:
        """The jobs of `after` whose open worlds explaining these losses asks for."""
        unexplained = [item for item in self.fewer if item[0] not in self.succeeded]
        return explanation_jobs(self.before, self.after, unexplained)

    def losses(self) -> list[Finding]:
        matched = None
        found = []
        for subject, runs, still in self.fewer:
            if matched is None and still:  # only a narrowed subject consults the job matching
                matched = match_jobs(self.before, self.after)
            succession, successor_runs = self.succeeded.get(subject, (None, []))
            found += [finding for finding in compare_subject(subject, runs, still, self.before, self.after, matched, succession, successor_runs)
                      if finding.kind in LOSS_KINDS]
        return sorted(found, key=lambda f: (SEVERITY[f.kind].rank * -1, f.kind, f.subject))


def audit_history(session, since: str, until: str = "HEAD", *, settings=None, progress=None) -> Report:
    """Every loss introduced by a first-parent commit in (since, until], attributed to it.
    `session` is an `engine.session.Session` (its repository, blob reader, settings and cache
    are used: losses and the walk's last inventory are kept in `session.cache`);
    `progress(done, total)`, when given, hears of each commit walked."""
    cache = session.cache
    base, commits = commits_in_range(session.repo, since, until)
    walk = HistoryWalk(session.repo, session.reader, cache, settings or session.settings, session.workers, session.context)
    found: list[list[Finding]] = [[] for _ in commits]  # per commit, in the walk's order

    def record(index: int, pair: tuple, losses: list[Finding]) -> None:
        cache.put("losses", tuple(losses), *pair)
        found[index] = [attribute(f, commits[index]) for f in losses]

    explainer = Explainer(record)
    latest: Inventory | None = None  # equivalent to the last commit walked, when known
    pending: dict[str, FileEntry | None] = {}  # paths changed since the commit `latest` was built for, as they are now
    pending_structural: set[str] = set()
    try:
        for index, commit in enumerate(commits):
            if progress is not None:
                progress(index, len(commits))
            if not commit.parent:
                latest = None  # a root commit introduces coverage, it cannot lose any
                continue
            parent_tree = commits[index - 1].tree if index else tree_of(session.repo, commit.parent)
            pair = (parent_tree, commit.tree, walk.settings_key)
            stored = cache.get("losses", *pair)
            if isinstance(stored, tuple):
                found[index], latest = [attribute(f, commit) for f in stored], None
                continue
            if latest is None:
                latest = walk.inventory(commit.parent, parent_tree, commit.parent[:12])
                pending, pending_structural = {}, set()
            before = latest
            pending.update(commit.entries)
            pending_structural |= set(commit.structural)
            if touches(before, commit.changed):
                after = walk.inventory(commit.sha, commit.tree, commit.sha[:12], before,
                                       Changes(frozenset(pending), frozenset(pending_structural), tuple(pending.items())))
                pending, pending_structural = {}, set()
            else:
                after = before
                alias = cache.get("same-inventory", parent_tree, walk.settings_key)
                cache.put("same-inventory", alias if isinstance(alias, str) else parent_tree, commit.tree, walk.settings_key)
            plan = loss_plan(before, after) if after is not before else None
            if plan is None:
                cache.put("losses", (), *pair)
            else:
                explainer.add(index, pair, plan)
            explainer.step()
            latest = after
        explainer.finish()
    except BaseException:
        explainer.cancel()
        raise
    findings = [finding for losses in found for finding in losses]
    if findings and latest is None:
        latest = walk.inventory(commits[-1].sha, commits[-1].tree, commits[-1].sha[:12])
    walk.store_last()
    final_runs = runs_of(latest, {f.subject for f in findings}) if latest is not None else {}
    findings = [_with_status(f, final_runs) for f in findings]
    return Report(
        command="audit",
        base=commits[0].parent if commits and commits[0].parent else base,
        head=commits[-1].sha if commits else base,
        findings=tuple(findings),
        diagnostics=tuple(latest.diagnostics) if latest else (),
        incomplete=tuple(latest.incomplete) if latest else (),
        summary=(("commits", len(commits)), ("losses", len(findings)), ("inventories_built", walk.built),
                 ("job_outcomes_reused", walk.reused_jobs),
                 ("cache_hits", cache.hits), ("cache_misses", cache.misses)),
    )


def attribute(finding: Finding, commit: Commit) -> Finding:
    details = (
        ("commit", commit.sha),
        ("author", f"{commit.author} <{commit.email}>"),
        ("date", commit.date),
        ("commit_subject", commit.subject),
    )
    message = f"{finding.message} (introduced by {commit.sha[:12]} {commit.subject!r}, {commit.author}, {commit.date})"
    return replace(finding, rule=finding.kind, message=message, details=finding.details + details)


def _with_status(finding: Finding, final_runs: dict[str, list]) -> Finding:
    """`still lost` or `restored` at the last commit walked (`final_runs`: its runs by subject)."""
    if finding.subject not in final_runs:
        return finding
    runs = final_runs[finding.subject]
    lost = {r.variant for r in finding.base_runs}
    still = not runs or not lost <= {r.variant for r in runs}
    return replace(finding, details=finding.details + (("status", "still lost" if still else "restored"),))
