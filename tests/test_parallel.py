"""Several processes give what one gives: `parallel.fork_map` / `fork_later` themselves,
the blob reader of a forked child, and whole diffs and history audits compared byte
for byte with a single-process run."""

from __future__ import annotations

import json
import os
import signal
import time

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
def meeting(place, count: int, fn):
    """`fn`, each process's first call of it waiting until `count` processes have made one
    (so every worker surely takes part, however fast the others are)."""
    place.mkdir(exist_ok=True)
    joined = []

    def met(item):
        if not joined:
            joined.append((place / str(os.getpid())).touch())
            wait_for(lambda: len(list(place.iterdir())) >= count)
        return fn(item)

    return met


def wait_for(condition, seconds: float = 120) -> None:
    """Until `condition()`; a test that would wait longer fails instead of hanging."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "waited two minutes for another process"
        time.sleep(0.002)


def test_results_keep_the_order_of_the_items_and_come_from_several_processes(tmp_path):
    before = parallel.forks
    got = parallel.fork_map(meeting(tmp_path / "met", 3, lambda n: (n * n, os.getpid())), range(10), workers=3)
    assert [value for value, _ in got] == [n * n for n in range(10)]
    assert len({pid for _, pid in got}) == 3
    assert parallel.forks == before + 2  # this process takes items itself
    assert no_children_left()


def test_one_worker_or_a_small_batch_never_forks():
    before = parallel.forks
    assert parallel.fork_map(lambda n: os.getpid(), range(5), workers=1) == [os.getpid()] * 5
    assert parallel.fork_map(lambda n: os.getpid(), range(5), min_items=6, workers=2) == [os.getpid()] * 5
    assert parallel.forks == before


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("foretold", [True, False])
def test_a_costly_item_leaves_the_rest_to_the_other_processes(tmp_path, workers, foretold):
    """Items are taken as processes come free: the process that took the first one (which
    lasts until every item outside its take is done) takes no other, wherever the rest
    of the items are.  With fixed shares it would hold some of them and wait forever.
    Said to be the costliest, it is taken alone; without a cost, with the run of its
    neighbours that the first take is (item 0 alone, as when every item is taken one at a
    time, would leave its neighbours to the others, and the run to several processes)."""
    done = tmp_path / "done"
    done.mkdir()
    run = 1 if foretold else 200 // (workers * parallel.RUNS)
    assert run > 1 or foretold

    def slow_first(n):
        if n == 0:
            wait_for(lambda: len(list(done.iterdir())) == 200 - run)
        elif n >= run:
            (done / str(n)).touch()
        return n, os.getpid()

    got = parallel.fork_map(slow_first, range(200), workers=workers, cost=(lambda n: n == 0) if foretold else None)
    assert [n for n, _ in got] == list(range(200))
    assert [n for n, (_, pid) in enumerate(got) if pid == got[0][1]] == list(range(run))
    assert no_children_left()


def test_without_a_cost_takes_are_runs_of_neighbours_shorter_towards_the_end():
    """Each take is the next `1/(RUNS x processes)` of the batches, and at most half an
    equal share of what is left, so 100 batches at two processes go out in under 30
    takes, not 100: runs of one length while much is left, then shorter ones down to
    single batches; with a cost, one batch per take."""
    order = [[2 * n, 2 * n + 1] for n in range(100)]  # batches of two positions
    queue = parallel._Queue.open(order, 2)
    takes = []
    while (taken := queue._advance(None))[0] < len(order):
        takes.append(taken)
    assert list(queue) == []  # nothing left to hand out
    queue.close()
    assert [start for start, _ in takes] == [0] + [end for _, end in takes[:-1]] and takes[-1][1] == 100
    lengths = [end - start for start, end in takes]
    assert lengths[:8] == [100 // (2 * parallel.RUNS)] * 8 and lengths == sorted(lengths, reverse=True)
    assert lengths[-4:] == [1] * 4 and len(lengths) < 30
    queue = parallel._Queue.open(order, 2)
    assert list(queue) == list(range(200))  # a process alone takes every position, in order
    queue.close()
    queue = parallel._Queue.open(order, None)
    assert [queue._advance(None) for _ in range(3)] == [(0, 1), (1, 2), (2, 3)]
    queue.close()


def noting(taken, fn):
    """`fn`, each call first noting its item in a file of the process that takes it."""
    taken.mkdir()

    def note(n):
        with open(taken / str(os.getpid()), "a") as log:
            log.write(f"{n}\n")
        return fn(n)

    return note


def taken_by_process(taken) -> list[list[int]]:
    return [[int(n) for n in log.read_text().split()] for log in taken.iterdir()]


def test_the_costliest_items_are_handed_out_first(tmp_path):
    costs = [5, 4, 1, 9, 3, 2, 0, 9, 0, 1, 4, 7]
    order = [3, 7, 11, 0, 1, 10, 4, 5, 2, 9, 6, 8]  # by cost, the equal ones in their order
    note = noting(tmp_path / "taken", lambda n: -n)
    got = parallel.fork_map(meeting(tmp_path / "met", 2, note), range(12), workers=2, cost=costs.__getitem__)
    assert got == [-n for n in range(12)]
    logs = taken_by_process(tmp_path / "taken")
    assert len(logs) == 2 and sorted(n for log in logs for n in log) == list(range(12))
    for log in logs:  # each process took its items in that order
        assert log == sorted(log, key=order.index)


@pytest.mark.parametrize("foretold", [True, False])
def test_items_of_one_key_go_to_one_process_in_their_order(tmp_path, foretold):
    kin = {1: "a", 4: "a", 9: "a", 2: "b", 6: "b", 10: "b", 11: "b"}  # the rest: None, handed out alone
    costs = [1] * 12
    costs[1] = 50  # batch "a" costs 52, so it goes out first; "b" (4) after the single 5
    costs[5] = 5
    note = noting(tmp_path / "taken", lambda n: n * n)
    got = parallel.fork_map(meeting(tmp_path / "met", 2, note), range(12), workers=2,
                            cost=costs.__getitem__ if foretold else None, together=kin.get)
    assert got == [n * n for n in range(12)]
    logs = taken_by_process(tmp_path / "taken")
    assert len(logs) == 2 and sorted(n for log in logs for n in log) == list(range(12))
    for key in ("a", "b"):
        members = [n for n, k in kin.items() if k == key]
        holder = [log for log in logs if members[0] in log]
        assert len(holder) == 1  # one process did all of them, one after the other, in their order
        at = holder[0].index(members[0])
        assert holder[0][at:at + len(members)] == members
    assert parallel._batches(list(range(12)), costs.__getitem__, kin.get)[:3] == [[1, 4, 9], [5], [2, 6, 10, 11]]


def test_a_child_that_raises_or_dies_has_its_items_done_here():
    def flaky(n):
        if parallel.in_child():
            if n == 1:
                raise RuntimeError("only in the child")
            os._exit(3)  # a crash without a word
        return n + 100

    assert parallel.fork_map(flaky, [0, 1, 2, 3], workers=2) == [100, 101, 102, 103]
    assert no_children_left()


def test_a_child_killed_midway_keeps_what_it_delivered_and_the_rest_is_done_here(tmp_path):
    """The child computes one item, then is killed by a signal while computing its second:
    the first comes from it; the second, the rest of the run it took and anything left
    come from this process."""
    started = tmp_path / "started"
    started.mkdir()
    mine = []  # the items this process (parent or child) has started

    def work(n):
        mine.append(n)
        if parallel.in_child():
            (started / str(n)).touch()
            if len(mine) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        elif len(mine) == 1:
            wait_for(lambda: len(list(started.iterdir())) == 2)  # the child has taken two items
        return n * 10, os.getpid()

    got = parallel.fork_map(work, range(40), workers=2)
    assert [value for value, _ in got] == [n * 10 for n in range(40)]
    first, second = sorted(int(path.name) for path in started.iterdir())
    assert got[first][1] != os.getpid()  # delivered before the signal
    assert [n for n, (_, pid) in enumerate(got) if pid != os.getpid()] == [first]
    assert got[second][1] == os.getpid()  # taken by the child, never delivered
    assert no_children_left()


def test_an_error_of_the_computation_itself_is_raised_as_without_workers():
    def broken(n):
        if n == 2:
            raise ValueError("bad item 2")
        return n

    with pytest.raises(ValueError, match="bad item 2"):
        parallel.fork_map(broken, [0, 1, 2, 3], workers=2)
    assert no_children_left()


@pytest.mark.parametrize("cost", [None, float])
def test_the_error_raised_is_that_of_the_first_failing_item_as_in_one_process(cost):
    """Items 5 and 17 fail (17 first, when the last items are said to cost most, and in
    whichever process meets it): the error is item 5's, as a loop over the items gives."""

    def broken(n):
        if n in (5, 17):
            raise ValueError(f"bad item {n}")
        return n

    with pytest.raises(ValueError, match="bad item 5"):
        parallel.fork_map(broken, range(24), workers=2, cost=cost)
    with pytest.raises(ValueError, match="bad item 5"):
        parallel.fork_map(broken, range(24), workers=3, cost=cost)
    assert no_children_left()


def test_an_interrupt_stops_the_children_at_once(tmp_path):
    """An interrupt here does not wait for a child busy with a long item: it is killed."""
    busy = tmp_path / "busy"

    def work(n):
        if parallel.in_child():
            (tmp_path / "pid").write_text(str(os.getpid()))
            (tmp_path / "pid").rename(busy)
            time.sleep(600)
        wait_for(busy.exists)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        parallel.fork_map(work, range(4), workers=2)
    assert no_children_left()
    with pytest.raises(ProcessLookupError):
        os.kill(int(busy.read_text()), 0)  # gone, and waited for


def test_a_child_never_forks_again(tmp_path):
    nested = parallel.fork_map(meeting(tmp_path / "met", 2, lambda n: (parallel.in_child(), parallel.fork_map(lambda m: os.getpid(), range(4), workers=2))),
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
    got = parallel.fork_map(meeting(tmp_path / "met", 2, lambda path: (snapshot.text(path), parallel.in_child())), paths,
                            workers=2)
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
