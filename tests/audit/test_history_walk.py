"""The history walk's shortcuts give what the plain computation gives."""

from __future__ import annotations

import subprocess

from coverage_diff.api import Session
from coverage_diff.cache import Cache
from coverage_diff.diff import diff
from coverage_diff.history import HistoryWalk, audit_history
from coverage_diff.model import LOSS_KINDS

from .test_history import strand_repo, walk  # noqa: F401  (the fixture)


def _tree(repo, rev: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", f"{rev}^{{tree}}"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_walk_losses_are_the_loss_findings_of_diff(strand_repo):  # noqa: F811
    repo, shas = strand_repo
    session = Session(repo)
    try:
        before, after = session.inventory(shas["docs"]), session.inventory(shas["split"])
        walk_ = HistoryWalk(session.repo, session.reader, Cache.disabled())
        expected = [f for f in diff(before, after).findings if f.kind in LOSS_KINDS]
        assert expected  # the split strands gemma-3
        assert walk_.losses(before, after) == expected
        assert walk_.losses(after, after) == []
    finally:
        session.close()


def test_only_the_last_inventory_is_stored_and_a_later_walk_starts_from_it(strand_repo, tmp_path):  # noqa: F811
    repo, shas = strand_repo
    first = walk(repo, "base", shas["split"], cache=Cache(tmp_path / "c"))
    assert dict(first.summary)["inventories_built"] >= 2
    stored = Cache(tmp_path / "c")
    assert isinstance(stored.get("inventory", _tree(repo, shas["split"]), "per-revision"), dict)
    assert stored.get("inventory", _tree(repo, "base"), "per-revision") is None

    session = Session(repo)
    try:
        later = audit_history(session, "base", "HEAD", cache=Cache(tmp_path / "c"))
    finally:
        session.close()
    assert dict(later.summary)["inventories_built"] == 0
    assert later.findings == walk(repo, "base").findings
