"""`audit --since REV|DATE [--until REV]`: which commit introduced each loss.

First-parent history is walked oldest to newest; each commit's inventory is
diffed against its first parent's, and every loss (`silently-dropped`,
`removed`, `narrowed`) is reported with the commit that introduced it: sha,
author, date and subject line, in `Finding.details`.

Repeated nightly runs are incremental: per-pair losses and the last commit's
inventory are kept in the persistent cache (`cache.py`) under tree ids, so a
second run over the same range only reads the cache, and a run over newer
commits starts from where the last one stopped.  Within one run, a commit that
touches no file the analysis depends on reuses its parent's inventory, and a
job whose job and consulted files are unchanged keeps its outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath

from . import parallel
from .cache import Cache, settings_hash
from .ci import ci_directories, ci_globs, file_memo
from .config import load_settings
from .diff import SEVERITY, compare_subject, explanation_jobs, lost_runs, match_jobs
from .identity import successions
from .inventory import DERIVED, SCRIPT_SUFFIXES, Inventory, PerObject, build_inventory, group_by_subject, interpreted_outcome
from .kinds import LOSS_KINDS
from .memo import AskedSnapshot
from .model import Finding, Job, Report
from .shell import JobOutcome, interpret_job
from .snapshot import FileEntry, GitError, Snapshot, decode_path, git, match_glob, normalize, resolve
from . import world

_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d+\s+(second|minute|hour|day|week|month|year)s?\s+ago|yesterday|today|midnight|noon)$",
    re.I,
)
SETTINGS_FILES = ("pyproject.toml", ".coverage-diff.toml")


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parent: str  # first parent ("" for a root commit)
    author: str
    email: str
    date: str  # ISO 8601, author date
    subject: str
    changed: tuple[str, ...]  # paths changed against the first parent
    structural: tuple[str, ...] = ()  # of those, the ones added or deleted (or whose type changed)
    entries: tuple[tuple[str, FileEntry | None], ...] = ()  # each changed path as it is now (None: deleted)


def is_date(text: str) -> bool:
    return bool(_DATE.match(text.strip()))


def commits_in_range(repo: Path, since: str, until: str = "HEAD") -> tuple[str, list[Commit]]:
    """(base commit, first-parent commits after it up to `until`, oldest first).
    `since` is a revision (excluded, it is the base) or a date (commits after it)."""
    until_sha = resolve(repo, until)
    try:
        since_sha = resolve(repo, since)
        selector = [f"{since_sha}..{until_sha}"]
    except GitError:
        if not is_date(since):
            raise GitError(f"--since {since!r} is neither a revision nor a date (YYYY-MM-DD, '2 days ago', 'yesterday')") from None
        since_sha, selector = "", [f"--since={since}", until_sha]
    commits = _log(repo, selector)
    base = since_sha or (commits[0].parent if commits else until_sha)
    return base, commits


def _log(repo: Path, selector: list[str]) -> list[Commit]:
    fmt = "%x1e%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s"
    out = git(repo, "log", "--first-parent", "--reverse", "--diff-merges=first-parent", "--no-renames", "-z",
              "--raw", "--no-abbrev", f"--format={fmt}", *selector, "--")
    commits = []
    for record in out.split(b"\x1e"):
        if not record.strip():
            continue
        header, *fields = record.split(b"\0")
        sha, tree, parents, author, email, date, subject = header.decode("utf-8", "replace").split("\x1f", 6)
        changes = []  # (status, path, entry now); `:old-mode new-mode old-blob new-blob status`, then the path
        for meta, path in zip(fields[0::2], fields[1::2]):
            _, mode, _, blob, status = meta.strip().decode().split()
            name = decode_path(path)  # as `Snapshot.at` decodes paths
            changes.append((status, name, FileEntry(name, mode, blob) if status[:1] != "D" else None))
        commits.append(Commit(sha, tree, parents.split()[0] if parents.split() else "", author, email, date, subject,
                              changed=tuple(path for _, path, _ in changes),
                              structural=tuple(path for status, path, _ in changes if status[:1] in ("A", "D", "T")),
                              entries=tuple((path, entry) for _, path, entry in changes)))
    return commits


class HistoryWalk:
    """Inventories along first-parent history, from memory, the cache, or built."""

    def __init__(self, repo: Path, reader, cache: Cache, settings=None):
        self.repo = repo
        self.reader = reader
        self.cache = cache
        self.settings = settings  # None: each commit's own settings
        self.settings_key = settings_hash(settings) if settings is not None else "per-revision"
        self.built = 0  # inventories computed (not read from the cache)
        self.reused_jobs = 0  # job outcomes carried over from the previous inventory
        self._unstored: tuple[Inventory, str] | None = None  # the last inventory built, not yet in the cache
        self.trees_listed = 0  # snapshots read with `git ls-tree` (the others follow from their parent's)

    def inventory(self, commit: str, tree: str, name: str, previous: Inventory | None = None,
                  changed: "Changes | None" = None) -> Inventory:
        """The inventory of `commit`.  When built, jobs that equal a job of `previous` and
        consulted none of the `changed` paths keep their outcome instead of being re-interpreted."""
        same = self.cache.get("same-inventory", tree, self.settings_key)  # a tree whose inventory is this one's
        stored = self.cache.get("inventory", same if isinstance(same, str) else tree, self.settings_key)
        snapshot = _LazySnapshot(self.repo, commit, self.reader, name)
        if isinstance(stored, dict):
            return thaw(stored, snapshot)
        real = self._snapshot(commit, name, previous, changed)
        settings = self.settings or load_settings(real)
        reads: dict[str, JobReads] = {}
        parts = _Parts(previous.__dict__.get(_PARTS) if previous is not None else None, changed)
        inventory = build_inventory(real, settings, interpret=self._interpreter(previous, settings, changed, reads),
                                    parts=parts)
        inventory.__dict__[_READS] = reads
        inventory.__dict__[_PARTS] = parts.now
        self.built += 1
        self._unstored = (inventory, tree)
        return inventory

    def _snapshot(self, commit: str, name: str, previous: Inventory | None, changed: "Changes | None") -> Snapshot:
        """The commit's files: those of `previous` with the walk's changes applied when it
        can (no git process per commit), else `git ls-tree`."""
        files = files_after(previous.snapshot.files, changed) if previous is not None and changed is not None else None
        if files is not None:
            snapshot = Snapshot(name, files, self.reader.read, commit)
            snapshot.repo = self.repo
            return snapshot
        self.trees_listed += 1
        real = Snapshot.at(self.repo, commit, self.reader)
        real.name = name
        return real

    def store_last(self) -> None:
        """Keep the last inventory built in the cache: the next run over newer commits
        starts from it.  Only that one: freezing and pickling every commit's inventory
        cost more than building them again."""
        if self._unstored is not None:
            inventory, tree = self._unstored
            self.cache.put("inventory", freeze(inventory), tree, self.settings_key)
            self._unstored = None

    def _interpreter(self, previous: Inventory | None, settings, changed: "Changes | None", reads: dict) -> "_WalkInterpreter":
        usable = previous is not None and changed is not None and previous.settings == settings
        return _WalkInterpreter(self, previous if usable else None, changed, reads)

    def losses(self, before: Inventory, after: Inventory) -> list[Finding]:
        """The loss findings of `diff(before, after)`, in its order."""
        plan = self.loss_plan(before, after)
        if plan is None:
            return []
        world.prefetch([(world.open_world(after), job) for job in plan.open_jobs()])
        return plan.losses()

    def loss_plan(self, before: Inventory, after: Inventory) -> "LossPlan | None":
        """What `losses` compares, or None when nothing can be lost.  A subject can only
        lose a variant through a job whose outcome in `after` is not the very object it
        was in `before` (a reused outcome runs the same runs), so only the subjects of
        those jobs' runs in `before` are compared; a commit changes a few jobs out of
        hundreds.  Plans are made in the walk's order (each commit's subject index
        derives from its parent's); their losses may be found later, several commits'
        open worlds computed together."""
        gone = changed_jobs(before, after)
        index = subject_jobs(after, before, gone)  # the next commit derives its own from it
        suspects = {subject for job_id in gone for subject in _subjects_of(before.outcomes[job_id], before.settings)}
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
            fresh = {s for job_id in changed_jobs(after, before) for s in _subjects_of(after.outcomes[job_id], after.settings)}
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

    def open_jobs(self) -> list[Job]:
        """The jobs of `after` whose open worlds explaining these losses asks for."""
        if "_open_jobs" not in self.__dict__:
            unexplained = [item for item in self.fewer if item[0] not in self.succeeded]
            self.__dict__["_open_jobs"] = explanation_jobs(self.before, self.after, unexplained)
        return self.__dict__["_open_jobs"]

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


def changed_jobs(before: Inventory, after: Inventory) -> list[str]:
    """Ids of the jobs of `before` that are gone from `after` or whose outcome there is
    another object (re-interpreted, or split by a config list)."""
    now = after.outcomes
    return [job_id for job_id, outcome in before.outcomes.items() if now.get(job_id) is not outcome]


def subject_jobs(inventory: Inventory, previous: Inventory | None = None, gone: list[str] | None = None) -> dict:
    """Subject -> the ids of the jobs that run it (a frozenset).  Kept with the inventory;
    derived from `previous`'s when it has one (`gone`: `changed_jobs(previous, inventory)`),
    so a commit costs what its changed jobs run, not all 3006 runs."""
    index = inventory.__dict__.get(_SUBJECT_JOBS)
    if index is not None:
        return index
    earlier = previous.__dict__.get(_SUBJECT_JOBS) if previous is not None else None
    if earlier is None:
        found: dict[str, set] = {}
        for job_id, outcome in inventory.outcomes.items():
            for subject in _subjects_of(outcome, inventory.settings):
                found.setdefault(subject, set()).add(job_id)
        index = {subject: frozenset(ids) for subject, ids in found.items()}
    else:  # never changed in place: an index may be the previous commit's very dict
        gone = gone if gone is not None else changed_jobs(previous, inventory)
        new = changed_jobs(inventory, previous)
        index = dict(earlier) if gone or new else earlier
        for job_id in gone:
            for subject in _subjects_of(previous.outcomes[job_id], previous.settings):
                left = index[subject] - {job_id}
                if left:
                    index[subject] = left
                else:
                    del index[subject]
        for job_id in new:
            for subject in _subjects_of(inventory.outcomes[job_id], inventory.settings):
                index[subject] = index.get(subject, frozenset()) | {job_id}
    inventory.__dict__[_SUBJECT_JOBS] = index
    return index


def runs_of(inventory: Inventory, subjects, index: dict | None = None) -> dict[str, list]:
    """`inventory.runs_by_subject` for these subjects only (an empty list when none runs):
    the same runs in the same order (jobs in inventory order, each job's runs in order)."""
    index = index if index is not None else subject_jobs(inventory)
    outcomes = inventory.outcomes
    order = None
    found: dict[str, list] = {}
    for subject in subjects:
        ids = index.get(subject, ())
        if len(ids) > 1:
            order = order or {job.id: position for position, job in enumerate(inventory.jobs)}
            ids = sorted(ids, key=order.__getitem__)
        found[subject] = [run for job_id in ids for run in _subjects_of(outcomes[job_id], inventory.settings)[subject]]
    return found


def files_after(files: dict[str, FileEntry], changes: "Changes") -> dict[str, FileEntry] | None:
    """`files` (a snapshot's) with `changes` applied, in the order `git ls-tree` gives; None
    when the changes do not say what each path is now, or add a path (git then lists the
    tree: the new path's place in its order is git's to say)."""
    now = dict(changes.entries)
    if set(now) != changes.paths or any(entry is not None and path not in files for path, entry in now.items()):
        return None
    files = dict(files)
    for path, entry in now.items():
        if entry is None:
            files.pop(path, None)
        else:
            files[path] = entry
    return files


class _Explainer:
    """Finds the losses of a walk's commits while the walk goes on.  Explaining a loss
    costs most in the open worlds of the jobs that could reach it, so a child computes
    those of the waiting commits (a small batch at a time, the next one when it is done)
    while this process walks; a batch's losses are found once its open worlds are in.
    `record(index, pair, losses)` receives each commit's, in any order."""

    MAX_WAITING = 64  # commits kept waiting (each with two inventories) before the walk waits for the child
    BATCH = 8  # open worlds handed to the child at a time (tens of milliseconds each)

    def __init__(self, record):
        self.record = record
        self.waiting: list[tuple[int, tuple, LossPlan]] = []  # (commit index, cache key, plan)
        self.batch: list[tuple[int, tuple, LossPlan]] = []  # the commits whose open worlds the child computes
        self.open_worlds = None  # the child's handle (`world.compute_later`)

    def add(self, index: int, pair: tuple, plan: LossPlan) -> None:
        self.waiting.append((index, pair, plan))

    def step(self) -> None:
        """Between two commits: conclude the child's batch if it is done (or if too many
        commits wait), and hand it the next one."""
        if self.open_worlds is not None and (self.open_worlds.ready() or len(self.waiting) >= self.MAX_WAITING):
            self._conclude()
        if self.waiting and self.open_worlds is None:
            wanted: list[world.Pair] = []
            while self.waiting and (not self.batch or len(wanted) < self.BATCH):
                self.batch.append(self.waiting.pop(0))
                after = self.batch[-1][2].after
                wanted += [(world.open_world(after), job) for job in self.batch[-1][2].open_jobs()]
            self.open_worlds = world.compute_later(wanted)

    def finish(self) -> None:
        """After the last commit: the rest on every core, then every loss found."""
        wanted = [(world.open_world(plan.after), job) for _, _, plan in self.waiting for job in plan.open_jobs()]
        if self.open_worlds is not None:  # the child is busy with its batch: another takes half the rest, this process the other
            half = len(wanted) // 2
            other = world.compute_later(wanted[half:])
            world.compute_here(wanted[:half])
            self._conclude()
            other()
        else:
            world.prefetch(wanted)
        self.batch, self.waiting = self.waiting, []
        self._conclude()

    def cancel(self) -> None:
        """The walk failed: stop the child rather than wait for it."""
        if self.open_worlds is not None:
            self.open_worlds.cancel()
            self.open_worlds = None

    def _conclude(self) -> None:
        if self.open_worlds is not None:
            self.open_worlds()  # waits for the child if it is not done
            self.open_worlds = None
        for index, pair, plan in self.batch:
            self.record(index, pair, plan.losses())
        self.batch = []


def audit_history(session, since: str, until: str = "HEAD", *, cache: Cache | None = None, settings=None,
                  progress=None) -> Report:
    """Every loss introduced by a first-parent commit in (since, until], attributed to it.
    `session` is an `api.Session` (its repository, blob reader and settings are used);
    `progress(done, total)`, when given, hears of each commit walked."""
    cache = cache or Cache.disabled()
    file_memo.use_cache(cache)
    base, commits = commits_in_range(session.repo, since, until)
    walk = HistoryWalk(session.repo, session.reader, cache, settings or session._settings)
    found: list[list[Finding]] = [[] for _ in commits]  # per commit, in the walk's order

    def record(index: int, pair: tuple, losses: list[Finding]) -> None:
        cache.put("losses", tuple(losses), *pair)
        found[index] = [attribute(f, commits[index]) for f in losses]

    explainer = _Explainer(record)
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
            parent_tree = commits[index - 1].tree if index else _tree(session.repo, commit.parent)
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
            plan = walk.loss_plan(before, after) if after is not before else None
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


def touches(inventory: Inventory, changed: tuple[str, ...]) -> bool:
    """Whether a change can alter the inventory: CI files, scripts, settings, files the
    jobs and scripts reach or name.  Unsure means yes."""
    if not changed:
        return False
    globs, ci_dirs = ci_globs(inventory.settings), ci_directories()
    for path in changed:
        if path in inventory.definitions or path in inventory.ci_files or path in SETTINGS_FILES:
            return True
        if path.endswith(SCRIPT_SUFFIXES) or path.startswith(ci_dirs) or any(match_glob(path, g) for g in globs):
            return True
    names = {path for path in changed} | {PurePosixPath(path).name for path in changed}
    return _names_any(inventory, names)


def _names_any(inventory: Inventory, paths: set[str]) -> bool:
    """Whether a job command or run argv names one of `paths` (or a script the jobs call
    or miss does): a file they may read.  Every job's words are kept per command text and
    per outcome object, so a commit that changes one job looks at one job's words."""
    for job in inventory.jobs:
        if any(not paths.isdisjoint(_command_words(command.text)) for command in job.commands):
            return True
    return any(not paths.isdisjoint(_words_of(outcome)) for outcome in inventory.outcomes.values())


def _outcome_words(outcome) -> frozenset[str]:
    """The words an outcome's runs name, the scripts it calls or misses, with the base
    names of paths."""
    words: set[str] = set()
    for run in outcome.runs:
        words.update(run.argv)
        words.update(w.partition("=")[2] for w in run.argv if "=" in w)
    words.update(path for _, path in outcome.missing_scripts)
    words.update(call.path for call in outcome.scripts)
    return _with_names(words)


_words_of = PerObject(_outcome_words)
_grouped = PerObject(lambda outcome: {})  # outcome -> {settings: its test runs by subject}


def _subjects_of(outcome, settings) -> dict[str, list]:
    """`group_by_subject` of one outcome's runs, kept per outcome object."""
    kept = _grouped(outcome)
    if settings not in kept:
        kept[settings] = group_by_subject(outcome.runs, settings)
    return kept[settings]


@lru_cache(maxsize=PerObject.KEPT)
def _command_words(text: str) -> frozenset[str]:
    return _with_names({w.strip("\"'") for w in text.split()})


def _with_names(words: set[str]) -> frozenset[str]:
    return frozenset(words | {PurePosixPath(w).name for w in words if "/" in w})


class _Parts:
    """`build_inventory`'s memo of the parts that are pure functions of files (the CI
    front-ends' output, each script's definitions), for a walk: a part is kept from the
    previous commit when the commit changed nothing it read, as job outcomes are, and
    computed otherwise.  Per commit, that is a look-up per script instead of comparing
    every answer each part rests on with the new tree."""

    def __init__(self, previous: dict | None, changes: "Changes | None"):
        self.previous = previous if previous is not None and changes is not None else {}
        self.changes = changes
        self.now: dict[tuple, tuple[JobReads, object]] = {}  # key -> (what computing it read, the part)

    def remember(self, key: tuple, snapshot: Snapshot, compute):
        kept = self.previous.get(key)
        if kept is None or kept[0].touched_by(self.changes):
            recorder = _ReadsRecorder(snapshot)
            value = compute(recorder)
            kept = (recorder.reads(), value)
        self.now[key] = kept
        return kept[1]


class _WalkInterpreter:
    """`build_inventory`'s hook for one commit of a walk: a job equal to one of the
    previous commit that read none of the changed paths keeps its outcome; the others
    are interpreted, noting what they read (on every core when there are many, as at
    the walk's first commit)."""

    def __init__(self, walk: "HistoryWalk", previous: Inventory | None, changed: "Changes | None", reads: dict):
        self.walk = walk
        self.previous = previous
        self.changed = changed
        self.reads = reads
        self.old_reads = previous.__dict__.get(_READS, {}) if previous is not None else {}
        self.old_jobs = previous.jobs_by_id if self.old_reads else {}
        self.ready: dict[str, tuple[Job, object, JobOutcome, JobReads]] = {}  # prefetched: id -> (job, settings, outcome, reads)
        self.decided: dict[str, tuple[Job, JobReads | None]] = {}  # by prefetch: id -> (job, its kept reads or None)

    def _kept(self, job) -> JobReads | None:
        before = self.old_reads.get(job.id)
        if before is not None and _same_job(self.old_jobs.get(job.id), job) and not before.touched_by(self.changed):
            return before
        return None

    def __call__(self, job, snapshot: Snapshot, settings) -> JobOutcome:
        decided = self.decided.get(job.id)
        before = decided[1] if decided is not None and decided[0] is job else self._kept(job)
        if before is not None:
            self.walk.reused_jobs += 1
            self.reads[job.id] = before
            return interpreted_outcome(self.previous, job.id)
        ready = self.ready.pop(job.id, None)
        if ready is not None and ready[0] is job and ready[1] == settings:
            _, _, outcome, self.reads[job.id] = ready
            return outcome
        outcome, self.reads[job.id] = _interpret_noting_reads(job, snapshot, settings)
        return outcome

    def prefetch(self, jobs: list, snapshot: Snapshot, settings) -> None:
        self.decided = {job.id: (job, self._kept(job)) for job in jobs}  # asked again job by job
        todo = [job for job, kept in self.decided.values() if kept is None]
        done = parallel.fork_map(lambda job: _interpret_noting_reads(job, snapshot, settings), todo,
                                 min_items=parallel.MIN_JOBS)
        for job, (outcome, reads) in zip(todo, done):
            self.ready[job.id] = (job, settings, outcome, reads)


def _interpret_noting_reads(job, snapshot: Snapshot, settings) -> tuple[JobOutcome, JobReads]:
    recorder = _ReadsRecorder(snapshot)
    outcome = interpret_job(job, recorder, settings)
    return outcome, recorder.reads()


class _ReadsRecorder(AskedSnapshot):
    """An `AskedSnapshot` that keeps apart the paths only tested for existence."""

    def __init__(self, inner: Snapshot):
        super().__init__(inner)
        self._tested: set[str] = set()

    def exists(self, path: str) -> bool:
        self._tested.add(normalize(path))
        return self._inner.exists(path)

    def reads(self) -> JobReads:
        paths, dirs, listed = self.questions()
        return JobReads(paths, dirs, listed, frozenset(self._tested - paths))


def _same_job(old, new) -> bool:
    """Whether the two jobs have the same outcome wherever they read the same files (the
    front-ends keep an unchanged file's jobs: mostly the very same objects)."""
    return old is new or (old is not None and old.behaviour == new.behaviour)


def _tree(repo: Path, commit: str) -> str:
    return git(repo, "rev-parse", f"{commit}^{{tree}}").decode().strip()


# --------------------------------------------------------------------------- persistence
_READS = "_job_reads"  # job id -> JobReads, kept with the inventory so the next commit can reuse outcomes
_PARTS = "_walk_parts"  # the parts `_Parts` kept for the next commit (not stored: one commit computes them again)
_SUBJECT_JOBS = "_subject_jobs"  # subject_jobs(), derived from the previous commit's (not stored)
_TRANSIENT = ("snapshot", _PARTS, _SUBJECT_JOBS, "_audit_facts", world.KEY, "graph")


def freeze(inventory: Inventory) -> dict:
    """An inventory's state without its snapshot (rebuilt from git when loaded)."""
    for name in ("runs", "runs_by_subject", "jobs_by_id", "script_calls", "entries", "reached", "variables_set"):
        getattr(inventory, name)  # store the derived indexes too: loading then costs nothing
    return {k: v for k, v in inventory.__dict__.items() if k not in _TRANSIENT and not k.startswith(DERIVED)}


def thaw(state: dict, snapshot: Snapshot) -> Inventory:
    inventory = Inventory.__new__(Inventory)
    inventory.__dict__.update(state)
    inventory.snapshot = snapshot
    return inventory


class _LazySnapshot(Snapshot):
    """A snapshot whose file list is read from git only when something asks for it."""

    def __init__(self, repo: Path, commit: str, reader, name: str):
        self.repo = repo
        self.name = name
        self.commit = commit
        self._blob_reader = reader
        self._reader = reader.read
        self._files = None

    @property
    def files(self):
        if self._files is None:
            self._files = Snapshot.at(self.repo, self.commit, self._blob_reader).files
        return self._files


@dataclass(frozen=True)
class Changes:
    """Paths changed between two commits; `structural` are the added or deleted ones;
    `entries`, each changed path as it is in the later commit (None: deleted)."""

    paths: frozenset[str]
    structural: frozenset[str]
    entries: tuple[tuple[str, FileEntry | None], ...] = ()


@dataclass(frozen=True)
class JobReads:
    """What interpreting one job looked at: file paths (their entry or contents), directories,
    the whole listing, and the paths it only tested for existence (`[[ -f x ]]`, an argv
    word that may name a file)."""

    paths: frozenset[str]
    dirs: frozenset[str]
    listed: bool
    tested: frozenset[str] = frozenset()

    def touched_by(self, changes: Changes) -> bool:
        """Whether interpreting the job again could give another outcome.  Contents matter
        for the paths it read; whether a path exists, a directory or the file list only
        change when files are added, deleted or change type (a test file edited in place
        does not make the jobs that name it run differently)."""
        if not self.paths.isdisjoint(changes.paths):
            return True
        added_or_deleted = changes.structural
        if not added_or_deleted:
            return False
        if self.listed or not self.tested.isdisjoint(added_or_deleted):
            return True
        return any(p.startswith(d.rstrip("/") + "/") for p in added_or_deleted for d in self.dirs if d)
