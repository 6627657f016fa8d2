"""The library entry points the CLI, the bot and the audit job share.

`diff_range(repo, "base..head")` and friends: from a revision range to a Report.
Only `snapshot` touches git; everything after it is a pure function of blobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context
from ..model import Report
from ..snapshot import BlobReader, GitError, Snapshot, git, merge_base, repo_root, resolve
from .stored import HEAD_SETTINGS, inventory_output_parts, report_parts, split_range
from .cache import Cache, settings_hash
from .file_memo import FileMemo

if TYPE_CHECKING:  # the analysis modules are imported when first needed: a cached diff never is
    from ..config import Settings
    from ..inventory import Inventory
    from .memo import AnswerMemo, JobMemo


@dataclass(frozen=True)
class RevisionRange:
    base: str
    head: str  # "" = the working tree
    merge_base: bool = False

    @property
    def text(self) -> str:
        sep = "..." if self.merge_base else ".."
        return f"{self.base}{sep}{self.head or '(working tree)'}"


def parse_range(spec: str) -> RevisionRange:
    """`BASE..HEAD`, `BASE...HEAD` (from the merge base) or `REV` (against the working tree).
    An empty side means HEAD, as in git."""
    if not spec:
        raise GitError("empty revision")
    base, head, from_merge_base = split_range(spec)
    return RevisionRange(base, head, merge_base=from_merge_base)


class Session:
    """One repository opened for analysis: a shared blob reader and inventories per revision."""

    def __init__(self, repo: Path | str, settings: Settings | None = None, *, use_cache: bool = False,
                 settings_from: str = "head", workers: int | None = None, fail_on_incomplete: str | None = None,
                 cache: Cache | None = None):
        """`use_cache`: keep job outcomes and diff reports in the persistent cache
        (`engine/cache.py`, the repository's); `cache`: that cache, opened elsewhere (a test's
        directory).  Every command keeps what it stores in this one cache (`self.cache`: the
        history walk and the audit too); outcomes are shared between the revisions of a
        session either way.
        `settings_from`: "head" (the revision analysed) or "base" (a diff's base revision,
        so a pull request cannot change its own gate); `settings`, when given, win.
        `workers`: the processes to analyse with (`--jobs`; `parallel.worker_count`).
        `fail_on_incomplete`: the gate's level for a head analysed in part (gate.py), instead
        of the settings' one."""
        self.repo = repo_root(Path(repo))
        self.workers = workers
        self.settings_from = settings_from
        self.fail_on_incomplete = fail_on_incomplete
        self.reader = BlobReader(self.repo)
        self._settings = settings
        self._inventories: dict[str, Inventory] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self.cache = cache if cache is not None else Cache.for_repo(self.repo, enabled=use_cache)
        # What every interpretation and build of the command shares (`context.py`): the shell's
        # trees and scans, each CI file's jobs by blob (on disk too when the cache is on), and
        # deadlines watched by the cache.
        self.context = Context(watch=self.cache.watch, files=FileMemo(self.cache))
        self._memo: JobMemo | None = None
        self._parts: AnswerMemo | None = None
        self._report_keys: dict[str, tuple[str, ...] | None] = {}

    @property
    def memo(self) -> "JobMemo":
        if self._memo is None:
            from .memo import AnswerMemo, JobMemo

            self._memo = JobMemo(self.cache, self.workers, self.context)
            self._parts = AnswerMemo(self.cache, workers=self.workers)
        return self._memo

    def snapshot(self, rev: str) -> Snapshot:
        """One snapshot per revision and session (a session serves one command)."""
        if rev not in self._snapshots:
            self._snapshots[rev] = Snapshot.worktree(self.repo) if rev == "" else Snapshot.at(self.repo, rev, self.reader)
        return self._snapshots[rev]

    @property
    def settings(self) -> Settings | None:
        """The settings given for every revision (`--config`, or the base's with
        `--settings-from base` once a diff read them); None: each revision's own."""
        return self._settings

    def settings_for(self, snapshot: Snapshot) -> Settings:
        from ..config import load_settings

        return self._settings if self._settings is not None else load_settings(snapshot)

    def diff_settings(self, base_rev: str, head_rev: str) -> Settings:
        """The settings of a diff: given ones, else `config.for_diff` of both revisions'."""
        if self._settings is not None:
            return self._settings
        from ..config import for_diff

        return for_diff(self.settings_for(self.snapshot(base_rev)), self.settings_for(self.snapshot(head_rev)))

    def inventory(self, rev: str, settings: Settings | None = None) -> Inventory:
        key = resolve(self.repo, rev) if rev else ""
        if key and key in self._inventories:
            return self._inventories[key]
        snapshot = self.snapshot(rev)
        snapshot.name = rev or "working tree"
        settings = settings or self.settings_for(snapshot)
        inventory = self._stored_inventory(key, snapshot, settings) or self._build_inventory(key, snapshot, settings)
        from .world import equip

        equip(inventory, self.memo)  # open-world outcomes for explanations, reused too
        if key:
            self._inventories[key] = inventory
        return inventory

    def _inventory_key(self, commit: str, settings: Settings) -> tuple[str, str] | None:
        """Inventories are stored by tree and settings, in the namespace `history` uses."""
        if not self.cache.enabled or not commit:
            return None
        return git(self.repo, "rev-parse", f"{commit}^{{tree}}").decode().strip(), settings_hash(settings)

    def _stored_inventory(self, commit: str, snapshot: Snapshot, settings: Settings) -> Inventory | None:
        stored_as = self._inventory_key(commit, settings)
        state = self.cache.get("inventory", *stored_as) if stored_as else None
        if not isinstance(state, dict):
            return None
        from .persist import thaw

        inventory = thaw(state, snapshot)
        self.memo.seed(inventory)
        return inventory

    def _build_inventory(self, commit: str, snapshot: Snapshot, settings: Settings) -> Inventory:
        from .build import build_inventory

        jobs = self.memo  # creates the parts memo too
        inventory = build_inventory(snapshot, settings, interpret=jobs.closed, parts=self._parts, context=self.context)
        stored_as = self._inventory_key(commit, settings)
        if stored_as:
            from . import store
            from .persist import freeze
            from .memo import JOB_ANSWERS

            store.put(inventory, JOB_ANSWERS, jobs.answers_of(inventory))
            self.cache.put("inventory", freeze(inventory), *stored_as)
        return inventory

    def diff(self, spec: str) -> Report:
        rng = parse_range(spec)
        base_rev = rng.base
        if rng.merge_base:
            base_rev = merge_base(self.repo, resolve(self.repo, rng.base), resolve(self.repo, rng.head))
        head_snapshot_rev = rng.head
        resolve(self.repo, base_rev)  # fail early with a clear message
        if head_snapshot_rev:
            resolve(self.repo, head_snapshot_rev)
        if self._settings is None and self.settings_from == "base":
            from ..config import load_settings

            self._settings = load_settings(self.snapshot(base_rev))
        # Both sides use one set of settings: the base's, which the head may only make stricter
        # (config.for_diff), or those given (--config, --settings-from base).
        settings = self.diff_settings(base_rev, head_snapshot_rev)
        stored_as = self._report_key(spec, base_rev, head_snapshot_rev)
        self._report_keys[spec] = stored_as
        stored = self.cache.get("diff-report", *stored_as) if stored_as else None
        if isinstance(stored, Report):
            return self._acknowledged(stored, base_rev, head_snapshot_rev, settings)
        report = self._compare(rng, base_rev, head_snapshot_rev, settings)
        if stored_as:
            self.cache.put("diff-report", report, *stored_as)
        return self._acknowledged(report, base_rev, head_snapshot_rev, settings)

    def _acknowledged(self, report: Report, base_rev: str, head_rev: str, settings: Settings) -> Report:
        """Losses acknowledged (the settings' `accept` list; `accept` comments at the head that the
        base has too, while those the change adds are only `accepted_once_merged`), whether the
        head's cut parts fail the gate (`gate.failure`), and the commits both sides resolved to."""
        from dataclasses import replace

        from .. import acknowledge, gate

        report = acknowledge.apply(report, self.snapshot(head_rev), settings, base=self.snapshot(base_rev))
        report = replace(report, fails_incomplete=gate.failure(report, self.fail_on_incomplete or settings.fail_on_incomplete))
        return replace(report, base_commit=resolve(self.repo, base_rev), head_commit=resolve(self.repo, head_rev) if head_rev else "")

    def _compare(self, rng: RevisionRange, base_rev: str, head_snapshot_rev: str, settings: Settings) -> Report:
        # Base first: when it comes from the cache, its outcomes seed the memo for the head.
        base = self.inventory(base_rev, settings)
        head = self.inventory(head_snapshot_rev, settings)
        base.snapshot.name = rng.base if not rng.merge_base else f"merge-base({rng.base}, {rng.head})"
        from ..diff import diff

        return diff(base, head)

    def _report_key(self, spec: str, base_rev: str, head_rev: str) -> tuple[str, ...] | None:
        """A diff is a function of the two trees and the settings (read from the head tree
        unless given): the key for a stored report.  None for the working tree."""
        if not self.cache.enabled or not head_rev:
            return None
        base_tree, head_tree = git(self.repo, "rev-parse", f"{base_rev}^{{tree}}", f"{head_rev}^{{tree}}").decode().split()
        settings = settings_hash(self._settings) if self._settings is not None else HEAD_SETTINGS
        return report_parts(base_tree, head_tree, settings, spec)

    def report_key(self, spec: str) -> tuple[str, ...] | None:
        """The key `diff(spec)` stored its report under (None: not stored); the CLI
        stores the rendered output next to it (`stored.diff_output_parts`)."""
        return self._report_keys.get(spec)

    def inventory_output_key(self, revision: str, fmt: str) -> tuple[str, ...] | None:
        """Where the CLI stores `inventory REVISION --format FMT` (`stored.inventory_output`):
        None without the cache, for the working tree, or with settings given."""
        if not self.cache.enabled or not revision or self._settings is not None:
            return None
        tree = git(self.repo, "rev-parse", f"{resolve(self.repo, revision)}^{{tree}}").decode().strip()
        return inventory_output_parts(tree, revision, fmt)

    def default_range(self) -> str:
        """`<default branch>...HEAD`, as a PR sees it: the remote's HEAD, else origin/main,
        origin/master, main, master (whichever exists first)."""
        candidates = []
        try:
            candidates.append(git(self.repo, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").decode().strip())
        except GitError:
            pass
        candidates += ["origin/main", "origin/master", "main", "master"]
        for ref in candidates:
            try:
                resolve(self.repo, ref)
            except GitError:
                continue
            return f"{ref.removeprefix('refs/remotes/')}...HEAD"
        raise GitError("no revision range given and no default branch found (origin/HEAD, origin/main, main...): pass BASE..HEAD")

    def close(self) -> None:
        self.reader.close()


def diff_range(repo: Path | str, spec: str, settings: Settings | None = None, settings_from: str = "head") -> Report:
    session = Session(repo, settings, settings_from=settings_from)
    try:
        return session.diff(spec)
    finally:
        session.close()
