"""Independent pieces of analysis on every core, with the same results as one core.

`fork_map(fn, items)` returns `[fn(item) for item in items]`.  When the batch is
big enough and the machine has more than one usable core, it forks: each child
inherits everything the parent knows (snapshot, jobs, parse caches).  The parent and
its children then take items from a shared queue (`_Queue`: a counter in shared
memory, taken under a lock), each the next ones as soon as it is free, so a few costly
items never leave one process working long after the others.  Where the caller gives
no cost, a process takes a run of neighbours, shorter only towards the end:
neighbours share work each process does once for itself (the jobs of one CI file call
the same scripts, parsed and scanned once per process), and the short runs at the end
even out the finish.
A child sends each result back pickled with its position, as soon as it has it
(through an unlinked temporary file, so it never waits for the parent to read).
Nothing is pickled on the way in, so `fn` may be any closure.  What a child changes
besides its results (memos it fills, blobs it reads) stays in the child: `fn` must be
pure in what it returns.

A child that fails in any way (an exception, a signal, unreadable results) is not an
error: the parent computes every item it took and did not deliver.  The outcome and
any exception are exactly those of a serial run: the first item, in the items' order,
whose `fn` raises is the one whose exception comes out, and no child is left behind.

Workers: what the caller passes (the session's `--jobs`), else `COVERAGE_DIFF_JOBS`, else
the usable cores (at most `DEFAULT_MAX`).
Fork is POSIX only; elsewhere everything runs in this process.
"""

from __future__ import annotations

import gc
import mmap
import os
import pickle
import signal
import struct
import sys
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TypeVar

try:
    import fcntl
except ImportError:  # not POSIX: nothing forks
    fcntl = None  # type: ignore[assignment]

ENV_VAR = "COVERAGE_DIFF_JOBS"

T = TypeVar("T")
R = TypeVar("R")

MIN_JOBS = 24  # real (closed-world) job interpretations worth a fork: a few ms each, a fork ~8 ms
DEFAULT_MAX = 8  # processes by default on a big machine: each warms its own caches, batches are a few thousand jobs
RUNS = 8  # without a cost, a process takes runs of 1/(RUNS x processes) of a batch, about RUNS runs each

forks = 0  # children started by this process
_HOME = os.getpid()  # the process that imported this module: every other one is a forked child
_unreaped: set[int] = set()  # children started and not waited for yet


def worker_count(requested: int | None = None) -> int:
    """The processes to use: `requested` (1: never fork), else the environment's, else the
    usable cores; always 1 in a forked child."""
    if requested is not None and requested < 1:
        raise ValueError("the number of workers is at least 1")
    if in_child():
        return 1  # a child never forks again
    if requested is not None:
        return requested
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            pass  # a bad value is the default, not a crash
    return min(usable_cores(), DEFAULT_MAX)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 2, workers: int | None = None,
             cost: Callable[[T], float] | None = None, together: Callable[[T], Hashable] | None = None) -> list[R]:
    """`[fn(item) for item in items]`, on several processes when there are at least
    `min_items` items (below that a fork costs more than it saves); `workers`: see
    `worker_count`.  Items are handed out in their order, in runs of neighbours
    (`_Queue`), unless the caller can foretell what each costs (`cost`): then one at a
    time, the costliest first (equal ones in their order), so that no costly item is
    left to one process at the end while the others wait.
    `together`: items with one key (other than None) are handed out as one, in their
    order, to the process that then does work they share once (the calls an open world's
    jobs share: `engine/world.py`); such a batch costs what its items cost together."""
    items = list(items)
    count = min(worker_count(workers), len(items))
    if count < 2 or len(items) < min_items or not hasattr(os, "fork") or fcntl is None:
        return [fn(item) for item in items]
    queue = _Queue.open(_batches(items, cost, together), count if cost is None else None)
    if queue is None:
        return [fn(item) for item in items]
    started = _fork(fn, items, [queue] * (count - 1))
    children = [child for child in started if child is not None]
    results: dict[int, R] = {}
    try:
        failed = _take(fn, items, queue, results)
        if failed is not None:  # no one takes more; what the others hold is redone below as far as needed
            queue.stop()
            for child in children:
                child.abandon()
        for child in children:
            results.update(child.results())
        _fill(fn, items, results, failed[0] if failed is not None else len(items))
        if failed is not None:
            raise failed[1]
    except BaseException:  # an error of `fn` (as without children) or an interrupt: no child is left behind
        for child in children:
            child.discard()
        raise
    finally:
        queue.close()
    return [results[position] for position in range(len(items))]


def _batches(items: list, cost, together) -> list[list[int]]:
    """The positions of `items` as `_Queue` hands them out: batches of one, or of all
    the items of a `together` key (where its first item stands), costliest first."""
    batches: list[list[int]] = []
    by_key: dict = {}
    for position, item in enumerate(items):
        key = together(item) if together is not None else None
        if key is None:
            batches.append([position])
        elif key in by_key:
            by_key[key].append(position)
        else:
            by_key[key] = [position]
            batches.append(by_key[key])
    if cost is not None:
        batches.sort(key=lambda batch: -sum(cost(items[i]) for i in batch))
    return batches


def _take(fn, items: list, queue: "_Queue", results: dict) -> tuple[int, Exception] | None:
    """This process's part of a `fork_map`: items from `queue` until none is left, into
    `results`; (position, error) when `fn` raises, which ends it."""
    for position in queue:
        try:
            results[position] = fn(items[position])
        except Exception as error:  # noqa: BLE001 - raised once every item before it is known to succeed
            return position, error
    return None


def _fill(fn, items: list, results: dict, end: int) -> None:
    """The items before `end` that no process delivered (a child failed, or held them when
    this process stopped), computed here in order: the first to raise does, as serially."""
    for position in range(end):
        if position not in results:
            results[position] = fn(items[position])


class _Queue:
    """The positions of one `fork_map` not handed out yet, shared by its processes: a
    counter in an anonymous shared mapping, read and advanced under a POSIX record lock
    on a temporary file.  Such a lock belongs to a process, so it keeps the parent and
    its children apart, and the kernel releases it when its holder dies (a child killed
    while taking leaves no one waiting).  The lock only saves work: an item handed out
    twice is computed twice with the same result, and one that no one delivers is
    computed by the parent at the end.

    Without `processes`, a take is one batch.  With them, a take is a run of `1/(RUNS x
    processes)` of all the batches, so each process meets few of the neighbourhoods, and
    never more than half an equal share of what is left, so the runs shrink towards the
    end (to single batches) and the processes finish together.  (Runs shrinking from the
    start, as in guided self-scheduling, are more of them; a first run of a quarter of
    vLLM's real-world jobs held two thirds of their cost, and one process did it alone.)"""

    def __init__(self, order: Sequence[list[int]], processes: int | None, counter: mmap.mmap, lock):
        self.order, self.processes, self.counter, self.lock = order, processes, counter, lock

    @classmethod
    def open(cls, order: Sequence[list[int]], processes: int | None = None) -> "_Queue | None":
        """`order`: the batches of positions, in the order they are handed out;
        `processes`: how many take runs of neighbours from it (None: one batch at a time)."""
        try:
            lock = tempfile.TemporaryFile()
        except OSError:
            return None
        try:
            return cls(order, processes, mmap.mmap(-1, 8), lock)
        except OSError:
            lock.close()
            return None

    def __iter__(self) -> Iterator[int]:
        while True:
            taken = self._advance(None)
            if taken is None or taken[0] == taken[1]:
                return
            for batch in self.order[taken[0]:taken[1]]:
                yield from batch

    def _run(self, left: int) -> int:
        """How many batches a take hands out when `left` are left."""
        if self.processes is None:
            return 1
        return max(1, min(len(self.order) // (RUNS * self.processes), left // (2 * self.processes)))

    def stop(self) -> None:
        """Hand out nothing more."""
        self._advance(len(self.order))

    def _advance(self, by: int | None) -> tuple[int, int] | None:
        """The batches [start, end) taken by advancing the counter `by` (None: a take's
        length) from `start`, or None: the lock failed, this process takes no more."""
        try:
            fcntl.lockf(self.lock, fcntl.LOCK_EX)
        except OSError:
            return None
        try:
            (start,) = struct.unpack_from("<q", self.counter)
            left = len(self.order) - start
            end = start + min(left, by if by is not None else self._run(left))
            struct.pack_into("<q", self.counter, 0, end)
            return start, end
        finally:
            try:
                fcntl.lockf(self.lock, fcntl.LOCK_UN)
            except OSError:
                pass  # released when this process's last descriptor of it closes, or it exits

    def close(self) -> None:
        self.counter.close()
        self.lock.close()


class Later:
    """`fork_later`'s handle: `result()` is the list `[fn(item) for item in items]`."""

    def __init__(self, fn, items: list, child: "_Child | None"):
        self._fn, self._items, self._child = fn, items, child
        self._result: list | None = None

    def ready(self) -> bool:
        """Whether `result()` would return without waiting for the child."""
        return self._result is not None or self._child is None or self._child.finished()

    def cancel(self) -> None:
        """No longer wanted: stop the child (if any) and wait for it."""
        if self._child is not None:
            self._child.discard()
            self._child = None

    def result(self) -> list:
        if self._result is None:
            results = self._child.results() if self._child is not None else {}
            self._child = None
            _fill(self._fn, self._items, results, len(self._items))  # no child, or what it did not deliver
            self._result = [results[position] for position in range(len(self._items))]
        return self._result


def fork_later(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 1, workers: int | None = None) -> Later:
    """`[fn(item) for item in items]` computed by a forked child while this process goes
    on with other work; `.result()` waits for it.  With one worker (or too few items)
    nothing starts now and `.result()` computes the list itself."""
    items = list(items)
    child = None
    if worker_count(workers) >= 2 and len(items) >= max(min_items, 1) and hasattr(os, "fork"):
        (child,) = _fork(fn, items, [range(len(items))])
    return Later(fn, items, child)


def children() -> int:
    """Children started and not waited for yet (none once a `fork_map` returns)."""
    return len(_unreaped)


_RECORD = struct.Struct("<QQ")  # a result's position and the length of its pickle


class _Child:
    """A forked process computing `fn` over the positions it takes.  It writes each
    result, with its position, into an unlinked temporary file as soon as it has it
    (a write of its own, so a result written is kept whatever happens to the child
    next), and never holds more than one (its peak memory is what it inherited plus
    one result), and never waits for this process to read a pipe."""

    def __init__(self, pid: int, out):
        self.pid, self.out = pid, out
        self.status: int | None = None  # the wait status, once it has exited

    def finished(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._exited(status)
        return self.status is not None

    def results(self) -> dict:
        """Position -> result, of every result it delivered whole (waiting for it to exit)."""
        if self.status is None:
            self._exited(os.waitpid(self.pid, 0)[1])
        if self.out.closed:
            return {}
        got: dict = {}
        enabled = gc.isenabled()
        gc.disable()  # many small objects, none of them garbage: the collector would only slow loading
        try:
            self.out.seek(0)
            while True:
                head = self.out.read(_RECORD.size)
                if len(head) < _RECORD.size:
                    break
                position, size = _RECORD.unpack(head)
                data = self.out.read(size)
                if len(data) < size:
                    break  # cut short: the child died writing it
                got[position] = pickle.loads(data)
        except Exception:  # noqa: BLE001 - unreadable: what is missing is computed by the parent
            pass
        finally:
            if enabled:
                gc.enable()
            self.out.close()
        return got

    def abandon(self) -> None:
        """Stop it (its results are wanted no more than it delivered) and wait for it."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self._exited(os.waitpid(self.pid, 0)[1])
            except OSError:
                self.status = -1

    def discard(self) -> None:
        """Stop it, and forget what it delivered."""
        self.abandon()
        self.out.close()

    def _exited(self, status: int) -> None:
        self.status = status
        _unreaped.discard(self.pid)


def _fork(fn, items: list, takes: list[Iterable[int]]) -> list[_Child | None]:
    """A child per element of `takes`, computing `fn` over the items at the positions it
    yields (None where the fork failed)."""
    sys.stdout.flush()  # or the children would write again what is buffered
    sys.stderr.flush()
    gc.freeze()  # the children's collector then leaves the inherited objects (and their pages) alone
    try:
        return [_start(fn, items, positions) for positions in takes]
    finally:
        gc.unfreeze()


def _start(fn, items: list, positions: Iterable[int]) -> _Child | None:
    global forks
    try:
        out = tempfile.TemporaryFile()
    except OSError:
        return None
    parent = os.getpid()
    _prctl()
    try:
        pid = os.fork()
    except OSError:  # no memory or process slots left: this process does the work
        out.close()
        return None
    if pid == 0:  # the child: compute, write, and leave without running the parent's cleanup
        status = 1
        try:
            _die_with(parent)
            for position in positions:
                data = pickle.dumps(fn(items[position]), protocol=pickle.HIGHEST_PROTOCOL)
                _write(out.fileno(), _RECORD.pack(position, len(data)) + data)
            status = 0
        except BaseException:  # noqa: BLE001 - anything: the parent computes what this one did not deliver
            pass
        finally:
            os._exit(status)
    forks += 1
    _unreaped.add(pid)
    return _Child(pid, out)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def in_child() -> bool:
    """Whether this process is a child `fork_map` or `fork_later` started."""
    return os.getpid() != _HOME


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (SIGKILL, SIGTERM, a crash):
    a worker never goes on computing for nobody.  Linux only (prctl through ctypes);
    elsewhere a dead parent is still noticed below, when it died before this line."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died between the fork and the prctl
        os._exit(1)


_PRCTL: list = []


def _prctl():
    """libc's prctl, looked up once (in the parent, before forking), or None."""
    if not _PRCTL:
        try:
            import ctypes

            _PRCTL.append(ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None)
        except (OSError, AttributeError, ImportError):
            _PRCTL.append(None)
    return _PRCTL[0]
