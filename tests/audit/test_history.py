"""`audit --since`: losses along first-parent history, attributed to their commit; the cache."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import history as fixture_history
import pytest

from coverage_diff.engine.session import Session
from coverage_diff.engine.cache import Cache, default_directory
from coverage_diff.engine.commits import commits_in_range, is_date
from coverage_diff.history import audit_history

from .conftest import PD_SPLIT
from .test_pd_split import run_cli

GEMMA = "GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192"


@pytest.fixture(scope="module")
def strand_repo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """base -> unrelated commit -> the PD split (strands gemma-3) -> unrelated commit."""
    repo = fixture_history.init_repo(tmp_path_factory.mktemp("strand") / "repo")
    shas = {"base": fixture_history.commit_layer(repo, PD_SPLIT / "base", "Add PD sweeps", "2026-01-01T12:00:00Z", tag="base")}
    fixture_history.write_tree(repo, {"README.md": "docs\n"})
    shas["docs"] = fixture_history.commit_all(repo, "Docs only", "2026-01-02T12:00:00Z")
    shas["split"] = fixture_history.commit_layer(repo, PD_SPLIT / "head", "[CI] Move PD disaggregation steps", "2026-01-03T12:00:00Z")
    fixture_history.write_tree(repo, {"vllm/model.py": "x = 1\n"})
    shas["code"] = fixture_history.commit_all(repo, "Code only", "2026-01-04T12:00:00Z", tag="tip")
    return repo, shas


def walk(repo, since, until="HEAD", cache=None):
    session = Session(repo, cache=cache)
    try:
        return audit_history(session, since, until)
    finally:
        session.close()


def test_since_names_the_commit_that_stranded_the_entry(strand_repo):
    repo, shas = strand_repo
    report = walk(repo, "base")
    assert [(f.rule, f.subject) for f in report.findings] == [("silently-dropped", GEMMA)]
    details = dict(report.findings[0].details)
    assert details["commit"] == shas["split"]
    assert details["commit_subject"] == "[CI] Move PD disaggregation steps"
    assert details["author"] == "Fixture Author <author@example.invalid>"
    assert details["date"].startswith("2026-01-03")
    assert details["status"] == "still lost"
    assert "SW_ATTN" in report.findings[0].reason.text


def test_range_without_the_stranding_commit_is_clean(strand_repo):
    repo, shas = strand_repo
    assert walk(repo, shas["split"]).findings == ()
    assert walk(repo, "base", shas["docs"]).findings == ()


def test_since_a_date(strand_repo):
    repo, shas = strand_repo
    base, commits = commits_in_range(repo, "2026-01-02T00:00:00Z", "HEAD")
    assert [c.sha for c in commits] == [shas["docs"], shas["split"], shas["code"]]
    assert base == shas["base"]
    assert [dict(f.details)["commit"] for f in walk(repo, "2026-01-02").findings] == [shas["split"]]


def test_since_neither_revision_nor_date_is_a_usage_error(strand_repo, capsys):
    repo, _ = strand_repo
    code, _ = run_cli(["audit", "--repo", str(repo), "--since", "no-such-thing"], capsys)
    assert code == 2
    assert is_date("yesterday") and is_date("3 days ago") and is_date("2026-01-02") and not is_date("main")


def test_cli_json_carries_the_commit(strand_repo, capsys):
    repo, shas = strand_repo
    code, out = run_cli(["audit", "--repo", str(repo), "--since", "base", "--until", "tip", "--format", "json"], capsys)
    finding = json.loads(out)["findings"][0]
    assert code == 1 and finding["rule"] == "silently-dropped" and finding["commit"] == shas["split"]


def test_second_run_reads_the_cache_and_finds_the_same(strand_repo, tmp_path):
    repo, _ = strand_repo
    cache = Cache(tmp_path / "c1")
    first = walk(repo, "base", cache=cache)
    assert dict(first.summary)["inventories_built"] >= 2
    again = Cache(tmp_path / "c1")
    second = walk(repo, "base", cache=again)
    assert dict(second.summary)["inventories_built"] == 0 and again.hits >= 3 and again.misses == 0
    assert second.findings == first.findings


def test_unchanged_commits_reuse_their_parents_inventory(strand_repo):
    repo, _ = strand_repo
    report = walk(repo, "base")  # docs-only and code-only commits are not interpreted
    assert dict(report.summary)["inventories_built"] == 2


def test_corrupt_cache_entries_are_ignored(strand_repo, tmp_path):
    repo, _ = strand_repo
    cache = Cache(tmp_path / "c2")
    expected = walk(repo, "base", cache=cache).findings
    entries = list((tmp_path / "c2").rglob("*.pickle"))
    assert entries
    for i, path in enumerate(entries):
        path.write_bytes(b"garbage" if i % 2 else path.read_bytes()[:-7])
    again = Cache(tmp_path / "c2")
    assert walk(repo, "base", cache=again).findings == expected
    assert again.hits == 0


def test_no_cache_writes_nothing(strand_repo, tmp_path, monkeypatch, capsys):
    repo, _ = strand_repo
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(tmp_path / "nc"))
    run_cli(["audit", "--repo", str(repo), "--since", "base", "--no-cache"], capsys)
    assert not (tmp_path / "nc").exists()
    run_cli(["audit", "--repo", str(repo), "--since", "base"], capsys)
    assert list((tmp_path / "nc").rglob("*.pickle"))


def test_cache_put_get_and_concurrent_writers(tmp_path):
    cache = Cache(tmp_path / "c3")
    assert cache.get("ns", "k") is None
    errors = []

    def writer(n):
        try:
            for _ in range(20):
                Cache(tmp_path / "c3").put("ns", {"value": list(range(100))}, "k")
                got = Cache(tmp_path / "c3").get("ns", "k")
                assert got in (None, {"value": list(range(100))})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.get("ns", "k") == {"value": list(range(100))}
    assert not [p for p in (tmp_path / "c3").rglob(".tmp-*")]  # no temp file left behind
    assert Cache.disabled().put("ns", 1, "k") is False and Cache.disabled().get("ns", "k") is None
    assert cache.put("ns", lambda: 1, "unpicklable") is False


def test_default_cache_lives_in_the_git_dir(strand_repo, monkeypatch):
    repo, _ = strand_repo
    monkeypatch.delenv("COVERAGE_DIFF_CACHE_DIR", raising=False)
    assert default_directory(repo) == (repo / ".git" / "coverage-diff-cache").resolve()
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", "/somewhere/else")
    assert default_directory(repo) == Path("/somewhere/else")


def _generator():
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate_for_audit", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_reused_job_outcomes_give_the_same_findings(tmp_path, monkeypatch):
    """Carrying unchanged jobs over from the parent commit must not change any finding."""
    from coverage_diff import history
    from coverage_diff.engine.walk import JobReads

    generate = _generator()
    shape = generate.Shape(areas=2, steps_per_area=4, sweeps_per_area=2, arrays=3, entries=2, tests_per_area=2, commits=14)
    generate.build(tmp_path / "gen", shape, seed=5)
    incremental = walk(tmp_path / "gen", "base")
    assert dict(incremental.summary)["job_outcomes_reused"] > 0
    monkeypatch.setattr(JobReads, "touched_by", lambda self, changes: True)
    monkeypatch.setattr(history, "touches", lambda inventory, changed: True)
    full = walk(tmp_path / "gen", "base")
    assert dict(full.summary)["job_outcomes_reused"] == 0
    assert full.findings == incremental.findings
    assert incremental.findings  # the generated history does lose coverage


@pytest.fixture
def opened(monkeypatch):
    """Every enabled cache opened, every session and every history walk made, in order."""
    from coverage_diff.engine import walk as walk_module

    seen = {"caches": [], "sessions": [], "walks": []}
    for cls, key in ((Cache, "caches"), (Session, "sessions"), (walk_module.HistoryWalk, "walks")):
        def made(self, *args, _original=cls.__init__, _key=key, **kwargs):
            _original(self, *args, **kwargs)
            if _key != "caches" or self.enabled:
                seen[_key].append(self)
        monkeypatch.setattr(cls, "__init__", made)
    return seen


@pytest.mark.parametrize("args", [["tip"], ["--since", "base"]], ids=["one revision", "since"])
def test_an_audit_keeps_everything_in_the_sessions_one_cache(strand_repo, tmp_path, monkeypatch, capsys, opened, args):
    repo, _ = strand_repo
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(tmp_path / "one"))
    run_cli(["audit", *args, "--repo", str(repo), "--format", "json"], capsys)
    (cache,), (session,), (walk_,) = opened["caches"], opened["sessions"], opened["walks"]
    assert session.cache is cache and walk_.cache is cache
    assert walk_.context is session.context  # one memo of CI files, on that cache
    assert list((tmp_path / "one").rglob("*.pickle"))


def test_a_warm_one_revision_audit_reads_what_the_first_stored(strand_repo, tmp_path, monkeypatch, capsys, opened):
    repo, _ = strand_repo
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(tmp_path / "warm"))
    command = ["audit", "tip", "--repo", str(repo), "--format", "json"]
    first = run_cli(command, capsys)
    stored = sorted((tmp_path / "warm").rglob("*.pickle"))
    assert {path.parent.parent.name for path in stored} == {"ci-file"}  # a revision's inventory is not kept
    assert run_cli(command, capsys) == first
    assert sorted((tmp_path / "warm").rglob("*.pickle")) == stored  # nothing more written
    warm = opened["caches"][-1]
    assert len(opened["caches"]) == 2 and warm.hits == len(stored)  # every CI file read from the cache
    assert run_cli([*command, "--no-cache"], capsys) == first
