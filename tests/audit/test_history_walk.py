"""The history walk's shortcuts give what the plain computation gives."""

from __future__ import annotations

import subprocess

import history as fixture_history
import pytest

from coverage_diff.engine.session import Session
from coverage_diff.engine.cache import Cache
from coverage_diff.diff import diff
from coverage_diff.engine.walk import HistoryWalk
from coverage_diff.history import audit_history, losses
from coverage_diff.kinds import LOSS_KINDS

from .test_history import strand_repo, walk  # noqa: F401  (the fixture)


def _tree(repo, rev: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", f"{rev}^{{tree}}"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_walk_losses_are_the_loss_findings_of_diff(strand_repo):  # noqa: F811
    repo, shas = strand_repo
    session = Session(repo)
    try:
        before, after = session.inventory(shas["docs"]), session.inventory(shas["split"])
        expected = [f for f in diff(before, after).findings if f.kind in LOSS_KINDS]
        assert expected  # the split strands gemma-3
        assert losses(before, after) == expected
        assert losses(after, after) == []
    finally:
        session.close()


def test_only_the_last_inventory_is_stored_and_a_later_walk_starts_from_it(strand_repo, tmp_path):  # noqa: F811
    repo, shas = strand_repo
    first = walk(repo, "base", shas["split"], cache=Cache(tmp_path / "c"))
    assert dict(first.summary)["inventories_built"] >= 2
    stored = Cache(tmp_path / "c")
    assert isinstance(stored.get("inventory", _tree(repo, shas["split"]), "per-revision"), dict)
    assert stored.get("inventory", _tree(repo, "base"), "per-revision") is None

    session = Session(repo, cache=Cache(tmp_path / "c"))
    try:
        later = audit_history(session, "base", "HEAD")
    finally:
        session.close()
    assert dict(later.summary)["inventories_built"] == 0
    assert later.findings == walk(repo, "base").findings


# ----------------------------------------------------------------------------- incremental steps
PIPELINE = """\
steps:
  - label: unit
    key: unit
    command: pytest -v tests/test_unit.py
  - label: sweep
    key: sweep
    command: bash ci/sweep.sh
"""
SWEEP = """\
#!/bin/bash
configs=(
  "TP=1 MODEL=a"
  "TP=2 MODEL=b"
)
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest tests/test_model.py
done
"""


@pytest.fixture(scope="module")
def edits_repo(tmp_path_factory):
    """A test file edited in place, the sweep losing an entry, the test file deleted."""
    repo = fixture_history.init_repo(tmp_path_factory.mktemp("edits") / "repo")
    fixture_history.write_tree(repo, {".buildkite/pipeline.yml": PIPELINE, "ci/sweep.sh": SWEEP,
                                      "tests/test_unit.py": "def test(): pass\n", "tests/test_model.py": ""})
    shas = {"base": fixture_history.commit_all(repo, "base", "2026-01-01T12:00:00Z", tag="base")}
    fixture_history.write_tree(repo, {"tests/test_unit.py": "def test(): assert 1\n"})
    shas["edit"] = fixture_history.commit_all(repo, "Edit the unit test", "2026-01-02T12:00:00Z")
    fixture_history.write_tree(repo, {"ci/sweep.sh": SWEEP.replace('  "TP=2 MODEL=b"\n', "")})
    shas["drop"] = fixture_history.commit_all(repo, "Drop a config", "2026-01-03T12:00:00Z")
    fixture_history.write_tree(repo, {"tests/test_unit.py": None})
    shas["delete"] = fixture_history.commit_all(repo, "Delete the unit test", "2026-01-04T12:00:00Z")
    return repo, shas


def _interpreted(monkeypatch) -> list[tuple[str, str]]:
    """(commit name, job id) of every job the walk interprets (not reused)."""
    from coverage_diff.engine import walk as engine_walk

    seen = []
    real = engine_walk.interpret_job
    monkeypatch.setattr(engine_walk, "interpret_job", lambda job, snapshot, settings, **given: (
        seen.append((snapshot.name, job.key)), real(job, snapshot, settings, **given))[1])
    return seen


def test_a_test_file_edited_in_place_does_not_reinterpret_the_job_naming_it(edits_repo, monkeypatch):
    """The unit job only tests whether its argv word is a file: an edit keeps its outcome,
    a deletion does not; findings are those of the plain diff of each pair."""
    repo, shas = edits_repo
    seen = _interpreted(monkeypatch)
    report = walk(repo, "base")
    by_commit = {}
    for name, key in seen:
        by_commit.setdefault(name, set()).add(key)
    assert by_commit[shas["base"][:12]] == {"unit", "sweep"}
    assert shas["edit"][:12] not in by_commit  # the edit is seen, and nothing is re-run
    assert by_commit[shas["drop"][:12]] == {"sweep"}
    assert by_commit[shas["delete"][:12]] == {"unit"}
    assert _pairwise_losses(repo, report) == _walk_losses(report)
    assert [(f.kind, f.subject) for f in report.findings] == [("removed", "MODEL=b TP=2")]


def _walk_losses(report) -> dict[str, list]:
    """Commit -> its findings without the attribution the walk adds."""
    found: dict[str, list] = {}
    for f in report.findings:
        details = dict(f.details)
        message = f.message[: f.message.index(" (introduced by ")]
        found.setdefault(details["commit"], []).append(
            (f.kind, f.subject, message, f.reason, f.config, f.locations, f.base_runs, f.head_runs))
    return found


def _pairwise_losses(repo, report) -> dict[str, list]:
    """Commit -> the loss findings of a plain `diff(parent, commit)`, each pair from scratch."""
    log = subprocess.run(["git", "-C", str(repo), "log", "--first-parent", "--format=%H %P", f"{report.base}..{report.head}"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    found: dict[str, list] = {}
    for line in filter(None, log):
        sha, parent = line.split()[:2]
        session = Session(repo)
        try:
            findings = diff(session.inventory(parent), session.inventory(sha)).findings
        finally:
            session.close()
        losses = [(f.kind, f.subject, f.message, f.reason, f.config, f.locations, f.base_runs, f.head_runs)
                  for f in findings if f.kind in LOSS_KINDS]
        if losses:
            found[sha] = losses
    return found


def test_front_ends_and_definitions_are_kept_until_a_commit_changes_what_they_read(edits_repo, monkeypatch):
    from coverage_diff.engine import build

    repo, shas = edits_repo
    computed = []
    collect_jobs, script_definitions = build.collect_jobs, build.script_definitions
    monkeypatch.setattr(build, "collect_jobs", lambda snapshot, settings, context: (
        computed.append(("collect_jobs", snapshot.name, "")), collect_jobs(snapshot, settings, context))[1])
    monkeypatch.setattr(build, "script_definitions", lambda path, snapshot, settings, **given: (
        computed.append(("script_definitions", snapshot.name, path)), script_definitions(path, snapshot, settings, **given))[1])
    report = walk(repo, "base")
    base, drop, delete = shas["base"][:12], shas["drop"][:12], shas["delete"][:12]
    assert sorted(computed) == sorted([
        ("collect_jobs", base, ""), ("script_definitions", base, "ci/sweep.sh"),
        ("script_definitions", drop, "ci/sweep.sh"),  # the sweep changed
        ("collect_jobs", delete, ""),  # a deleted file changes the file list the front-ends globbed
    ])
    assert _pairwise_losses(repo, report) == _walk_losses(report)


def test_a_generated_history_loses_what_a_fresh_diff_of_each_pair_loses(tmp_path, monkeypatch):
    """Every edit kind of the benchmark's history (entries moved, removed, guards renamed,
    steps relabelled...): the walk compares only the subjects of jobs whose outcome
    changed, and finds, commit by commit, exactly the losses of a from-scratch diff."""
    from coverage_diff import history

    generate = _generator()
    shape = generate.Shape(areas=2, steps_per_area=4, sweeps_per_area=2, arrays=3, entries=2, tests_per_area=2, commits=24)
    generate.build(tmp_path / "gen", shape, seed=3)
    compared = []
    real = history.compare_subject
    monkeypatch.setattr(history, "compare_subject", lambda subject, *rest: (compared.append(subject), real(subject, *rest))[1])
    report = walk(tmp_path / "gen", "base")
    summary = dict(report.summary)
    assert summary["job_outcomes_reused"] > 0 and summary["inventories_built"] > 2
    assert report.findings
    assert _walk_losses(report) == _pairwise_losses(tmp_path / "gen", report)
    session = Session(tmp_path / "gen")
    try:
        subjects = len(session.inventory("HEAD").runs_by_subject)
    finally:
        session.close()
    assert len(compared) < subjects  # a whole walk compares fewer subjects than one full diff


def _generator():
    from .test_history import _generator as load

    return load()


def test_a_commits_files_follow_from_its_parents_as_git_lists_them(tmp_path):
    """Edited, made executable, deleted, turned into a symlink: the parent's files with the
    log's changes are the tree `git ls-tree` lists, in its order.  A commit adding a path
    is left to git."""
    from coverage_diff.engine.walk import Changes, files_after
    from coverage_diff.engine.commits import _log
    from coverage_diff.snapshot import Snapshot

    repo = fixture_history.init_repo(tmp_path / "repo")
    fixture_history.write_tree(repo, {"a.sh": "echo a\n", "b/c.py": "", "b/d.py": "", "e.txt": "e\n"})
    fixture_history.commit_all(repo, "base", tag="base")
    fixture_history.write_tree(repo, {"a.sh": "echo A\n"})
    fixture_history.commit_all(repo, "edit")
    (repo / "a.sh").chmod(0o755)
    fixture_history.write_tree(repo, {"b/c.py": None})
    fixture_history.commit_all(repo, "chmod and delete")
    (repo / "e.txt").unlink()
    (repo / "e.txt").symlink_to("a.sh")
    fixture_history.commit_all(repo, "symlink")
    fixture_history.commit_all(repo, "empty")
    fixture_history.write_tree(repo, {"b/a.py": ""})
    fixture_history.commit_all(repo, "add")

    derived = {}
    for commit in _log(repo, ["base..HEAD"]):
        parent = Snapshot.at(repo, commit.parent).files
        changes = Changes(frozenset(commit.changed), frozenset(commit.structural), commit.entries)
        files = files_after(parent, changes)
        derived[commit.subject] = files is not None
        if files is not None:
            assert list(files.items()) == list(Snapshot.at(repo, commit.sha).files.items()), commit.subject
    assert derived == {"edit": True, "chmod and delete": True, "symlink": True, "empty": True, "add": False}
    assert files_after(parent, Changes(frozenset({"a.sh"}), frozenset())) is None  # what a.sh is now is not said


def test_the_walk_lists_one_tree_when_no_commit_adds_a_file(edits_repo, monkeypatch):
    repo, _ = edits_repo
    listed = []
    real = HistoryWalk._snapshot

    def counted(self, *args):
        snapshot = real(self, *args)
        listed.append(self.trees_listed)
        return snapshot

    monkeypatch.setattr(HistoryWalk, "_snapshot", counted)
    report = walk(repo, "base")
    assert dict(report.summary)["inventories_built"] == len(listed) == 4
    assert listed[-1] == 1  # the first commit's tree; the edit, the drop and the deletion follow from it


# ----------------------------------------------------------------------------- config lists
LM_EVAL = """\
steps:
  - label: unit
    key: unit
    command: pytest -v tests/test_unit.py
  - label: lm eval
    key: lm-eval
    command: pytest -v evals/test_eval.py --config-list-file=configs/models.txt
"""


@pytest.fixture(scope="module")
def list_repo(tmp_path_factory):
    """A job whose run a config list splits in three, and commits that touch only another job."""
    repo = fixture_history.init_repo(tmp_path_factory.mktemp("lists") / "repo")
    fixture_history.write_tree(repo, {".buildkite/pipeline.yml": LM_EVAL, "tests/test_unit.py": "def test(): pass\n",
                                      "evals/test_eval.py": "def test_eval(config_filename): pass\n",
                                      "evals/configs/models.txt": "a.yaml\nb.yaml\nc.yaml\n",
                                      "evals/configs/a.yaml": "model_name: a\n", "evals/configs/b.yaml": "model_name: b\n",
                                      "evals/configs/c.yaml": "model_name: c\n"})
    fixture_history.commit_all(repo, "base", "2026-01-01T12:00:00Z", tag="base")
    for day in (2, 3, 4):
        fixture_history.write_tree(repo, {"tests/test_unit.py": f"def test(): assert {day}\n"})
        fixture_history.commit_all(repo, f"Edit the unit test ({day})", f"2026-01-0{day}T12:00:00Z")
    return repo


def test_a_reused_outcome_is_split_by_its_config_list_once(list_repo):
    """The walk reuses the lm-eval job's outcome at each commit: it must be the
    interpreter's, not the one the list already split, or its runs multiply by three
    per commit (vLLM's lm-eval jobs went 19 -> 361 -> 6859 runs, and the walk's memory
    with them).  Every commit's outcomes equal a fresh inventory's."""
    from coverage_diff.engine.walk import Changes
    from coverage_diff.engine.commits import commits_in_range
    from coverage_diff.engine.build import build_inventory
    from coverage_diff.snapshot import Snapshot

    session = Session(list_repo)
    try:
        _, commits = commits_in_range(list_repo, "base")
        walk_ = HistoryWalk(session.repo, session.reader, Cache.disabled())
        inventory = walk_.inventory(commits[0].parent, _tree(list_repo, "base"), "base")
        for commit in commits:
            changes = Changes(frozenset(dict(commit.entries)), frozenset(commit.structural), tuple(commit.entries))
            inventory = walk_.inventory(commit.sha, commit.tree, commit.sha[:12], inventory, changes)
            fresh = build_inventory(Snapshot.at(list_repo, commit.sha, session.reader), inventory.settings)
            assert inventory.outcomes == fresh.outcomes
            assert [run.subject for run in inventory.outcomes["buildkite:.buildkite/pipeline.yml:lm-eval"].runs] == [
                "a.yaml", "b.yaml", "c.yaml"]
        assert walk_.reused_jobs >= len(commits)  # the lm-eval job was reused, not interpreted again
    finally:
        session.close()


def test_a_stored_inventory_offers_the_interpreters_outcomes_to_the_next_revision(list_repo, tmp_path, monkeypatch):
    """A diff whose base inventory comes from the cache seeds the job memo with its
    outcomes: the head reuses the lm-eval job's, and must split it once, as a fresh build does."""
    from coverage_diff.engine.cache import ENV_VAR
    from coverage_diff.engine.build import build_inventory
    from coverage_diff.snapshot import Snapshot

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    first = Session(list_repo, use_cache=True)
    try:
        first.inventory("base")  # stored
    finally:
        first.close()
    session = Session(list_repo, use_cache=True)
    try:
        session.inventory("base")  # loaded from the cache: its outcomes seed the memo
        head = session.inventory("HEAD")
        fresh = build_inventory(Snapshot.at(list_repo, "HEAD", session.reader), head.settings)
        assert session.memo.reused  # the lm-eval job's outcome came from the stored inventory
        assert head.outcomes == fresh.outcomes
    finally:
        session.close()
