"""Several processes give what one gives: `parallel.fork_map` / `fork_later` themselves,
the blob reader of a forked child, and whole diffs and history audits compared byte
for byte with a single-process run."""

from __future__ import annotations

import json
import os

import bench
import pytest

from coverage_diff.engine import parallel
from coverage_diff.engine.session import Session
from coverage_diff.history import audit_history
from coverage_diff.report import renderer
from coverage_diff.snapshot import BlobReader, Snapshot


def no_children_left() -> bool:
    return parallel.children() == 0


# -- fork_map -------------------------------------------------------------------
def test_results_keep_the_order_of_the_items_and_come_from_several_processes():
    before = parallel.forks
    got = parallel.fork_map(lambda n: (n * n, os.getpid()), range(10), workers=3)
    assert [value for value, _ in got] == [n * n for n in range(10)]
    assert len({pid for _, pid in got}) == 3
    assert parallel.forks == before + 2  # this process takes a share itself
    assert no_children_left()


def test_one_worker_or_a_small_batch_never_forks():
    before = parallel.forks
    assert parallel.fork_map(lambda n: os.getpid(), range(5), workers=1) == [os.getpid()] * 5
    assert parallel.fork_map(lambda n: os.getpid(), range(5), min_items=6, workers=2) == [os.getpid()] * 5
    assert parallel.forks == before


def test_a_child_that_raises_or_dies_has_its_share_done_here():
    def flaky(n):
        if parallel.in_child():
            if n == 1:
                raise RuntimeError("only in the child")
            os._exit(3)  # a crash without a word
        return n + 100

    assert parallel.fork_map(flaky, [0, 1, 2, 3], workers=2) == [100, 101, 102, 103]
    assert no_children_left()


def test_an_error_of_the_computation_itself_is_raised_as_without_workers():
    def broken(n):
        if n == 2:
            raise ValueError("bad item 2")
        return n

    with pytest.raises(ValueError, match="bad item 2"):
        parallel.fork_map(broken, [0, 1, 2, 3], workers=2)
    assert no_children_left()


def test_a_child_never_forks_again():
    nested = parallel.fork_map(lambda n: (parallel.in_child(), parallel.fork_map(lambda m: os.getpid(), range(4), workers=2)),
                               range(2), workers=2)
    in_child = [pids for child, pids in nested if child]
    assert len(in_child) == 1 and len(set(in_child[0])) == 1  # the child's inner map ran in the child alone


def test_fork_later_runs_meanwhile_and_without_workers_when_asked():
    later = parallel.fork_later(lambda n: (n, os.getpid()), [1, 2, 3], workers=2)
    got = later.result()
    assert [n for n, _ in got] == [1, 2, 3] and {pid for _, pid in got} != {os.getpid()}
    assert later.ready() and later.result() is got
    calls = []
    later = parallel.fork_later(lambda n: calls.append(n) or n, [4, 5], workers=1)
    assert later.ready() and calls == []  # nothing started: computed when asked for
    assert later.result() == [4, 5] and calls == [4, 5]
    assert no_children_left()


def test_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.ENV_VAR, "3")
    assert parallel.worker_count() == 3
    monkeypatch.setenv(parallel.ENV_VAR, "many")
    assert parallel.worker_count() == min(parallel.usable_cores(), parallel.DEFAULT_MAX)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 64)
    assert parallel.worker_count() == parallel.DEFAULT_MAX  # unless asked for more
    monkeypatch.setenv(parallel.ENV_VAR, "16")
    assert parallel.worker_count() == 16
    assert parallel.worker_count(1) == 1  # the session's --jobs wins
    with pytest.raises(ValueError):
        parallel.worker_count(0)


# -- the blob reader across a fork ----------------------------------------------------
def test_a_child_reads_blobs_through_its_own_git_process(tmp_path):
    import history as fixture_history

    repo = fixture_history.init_repo(tmp_path / "repo")
    contents = {f"f{i}.txt": f"content {i}\n" * (i + 1) for i in range(12)}
    fixture_history.write_tree(repo, contents)
    fixture_history.commit_all(repo, "files", "2026-01-01T00:00:00Z")
    reader = BlobReader(repo)
    snapshot = Snapshot.at(repo, "HEAD", reader)
    assert snapshot.text("f0.txt") == contents["f0.txt"]  # the parent's process is running now
    paths = sorted(contents)
    got = parallel.fork_map(lambda path: (snapshot.text(path), parallel.in_child()), paths, workers=2)
    assert [text for text, _ in got] == [contents[p] for p in paths]
    assert any(in_child for _, in_child in got)
    reader._cache.clear()
    assert [snapshot.text(p) for p in paths] == [contents[p] for p in paths]  # the parent's pipe is intact
    reader.close()


# -- whole analyses ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    generate = bench.load("generate")
    shape = generate.Shape(areas=3, steps_per_area=6, sweeps_per_area=2, arrays=4, entries=3, tests_per_area=2, commits=40)
    repo = tmp_path_factory.mktemp("parallel") / "repo"
    generate.build(repo, shape, seed=11)
    return repo


def _both_ways(monkeypatch, run):
    """`run(workers)`'s JSON with one process, then with two forking at every chance.  The
    session's count reaches every fork: with one worker, nothing forks at all."""
    monkeypatch.setattr(parallel, "MIN_JOBS", 1)
    before = parallel.forks
    alone = run(1)
    assert parallel.forks == before
    shared = run(2)
    return alone, shared, parallel.forks - before


def test_a_diff_is_the_same_on_two_processes(generated, monkeypatch):
    def run(workers):
        session = Session(generated, workers=workers)
        try:
            return renderer("json")(session.diff("base..head"))
        finally:
            session.close()

    alone, shared, forks = _both_ways(monkeypatch, run)
    assert json.loads(alone)["findings"], "the generated history loses something"
    assert any(f["kind"] == "silently-dropped" for f in json.loads(alone)["findings"])
    assert forks >= 2  # both inventories' jobs and the explanations' open worlds
    assert shared == alone


def test_a_history_audit_is_the_same_on_two_processes(generated, monkeypatch):
    def run(workers):
        session = Session(generated, workers=workers)
        try:
            return renderer("json")(audit_history(session, "base", "head"))
        finally:
            session.close()

    alone, shared, forks = _both_ways(monkeypatch, run)
    assert len(json.loads(alone)["findings"]) >= 2
    assert forks >= 2  # the first commit's jobs, and open worlds explained while walking
    assert shared == alone
    assert no_children_left()


@pytest.mark.parametrize("size,count", [(1, 2), (7, 2), (600, 2), (2400, 2), (63, 3), (5, 8)])
def test_shares_deal_runs_of_neighbours_covering_every_item_once(size, count):
    shares = parallel._shares(size, count)
    assert sorted(i for share in shares for i in share) == list(range(size))
    if size >= count * 8:
        sizes = [len(share) for share in shares]
        assert max(sizes) - min(sizes) <= size // (count * 8) + 1  # about even
        runs = sum(1 for share in shares for a, b in zip(share, share[1:]) if b != a + 1) + count
        assert runs <= count * 17  # neighbours stay together: between eight and sixteen runs each
