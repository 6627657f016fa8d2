"""Independent pieces of analysis on every core, with the same results as one core.

`fork_map(fn, items)` returns `[fn(item) for item in items]`.  When the batch is
big enough and the machine has more than one usable core, it forks: each child
inherits everything the parent knows (snapshot, jobs, parse caches), computes
its share of the items (runs of neighbours, `_shares`) and sends its results back pickled (through an unlinked temporary
file, one result at a time), while the parent computes its own share.  Nothing is pickled on the way in, so `fn` may
be any closure.  What a child changes besides its results (memos it fills,
blobs it reads) stays in the child: `fn` must be pure in what it returns.

A child that fails in any way (an exception, a signal, unreadable results) is
not an error: the parent computes that child's share itself, so the outcome and
any exception are exactly those of a serial run.

Workers: what the caller passes (the session's `--jobs`), else `COVERAGE_DIFF_JOBS`, else
the usable cores (at most `DEFAULT_MAX`).
Fork is POSIX only; elsewhere everything runs in this process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import TypeVar

ENV_VAR = "COVERAGE_DIFF_JOBS"

T = TypeVar("T")
R = TypeVar("R")

MIN_JOBS = 24  # real (closed-world) job interpretations worth a fork: a few ms each, a fork ~8 ms
DEFAULT_MAX = 8  # processes by default on a big machine: each warms its own caches, batches are a few thousand jobs

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


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 2, workers: int | None = None) -> list[R]:
    """`[fn(item) for item in items]`, on several processes when there are at least
    `min_items` items (below that a fork costs more than it saves); `workers`: see
    `worker_count`."""
    items = list(items)
    count = min(worker_count(workers), len(items))
    if count < 2 or len(items) < min_items or not hasattr(os, "fork"):
        return [fn(item) for item in items]
    shares = _shares(len(items), count)
    started = _fork(fn, [[items[i] for i in positions] for positions in shares[1:]])
    children = {share: child for share, child in enumerate(started, 1) if child is not None}
    results: list = [None] * len(items)

    def here(share: int) -> None:
        for i in shares[share]:
            results[i] = fn(items[i])

    try:
        for share in range(count):
            if share not in children:  # this process's share, and that of any fork that failed
                here(share)
        for share, child in children.items():
            got = child.results()
            if got is None:
                here(share)  # the child failed: its share is done here
            else:
                for i, value in zip(shares[share], got):
                    results[i] = value
    except BaseException:  # an error of `fn` (as without children) or an interrupt: no child is left behind
        for child in children.values():
            child.abandon()
        raise
    return results


def _shares(size: int, count: int) -> list[list[int]]:
    """The positions each process computes: runs of neighbouring items dealt in turn,
    about eight runs per process.  Neighbours tend to share work that each process does
    once for itself (the jobs of one CI file call the same scripts, which are parsed
    once per process), and dealing several runs evens out the costs."""
    run = max(1, size // (count * 8))
    shares: list[list[int]] = [[] for _ in range(count)]
    for start in range(0, size, run):
        shares[(start // run) % count].extend(range(start, min(start + run, size)))
    return shares


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
            self._child.abandon()
            self._child = None

    def result(self) -> list:
        if self._result is None:
            got = self._child.results() if self._child is not None else None
            self._child = None
            self._result = got if got is not None else [self._fn(item) for item in self._items]  # no child, or it failed
        return self._result


def fork_later(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 1, workers: int | None = None) -> Later:
    """`[fn(item) for item in items]` computed by a forked child while this process goes
    on with other work; `.result()` waits for it.  With one worker (or too few items)
    nothing starts now and `.result()` computes the list itself."""
    items = list(items)
    child = None
    if worker_count(workers) >= 2 and len(items) >= max(min_items, 1) and hasattr(os, "fork"):
        (child,) = _fork(fn, [items])
    return Later(fn, items, child)


def children() -> int:
    """Children started and not waited for yet (none once a `fork_map` returns)."""
    return len(_unreaped)


class _Child:
    """A forked process computing `fn` over its share.  It pickles each result into an
    unlinked temporary file as soon as it has it, so it never holds more than one (its
    peak memory is what it inherited plus one result), and never waits for this process
    to read a pipe."""

    def __init__(self, pid: int, out, count: int):
        self.pid, self.out, self.count = pid, out, count
        self.status: int | None = None  # the wait status, once it has exited

    def finished(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._exited(status)
        return self.status is not None

    def results(self) -> list | None:
        """Its results, waiting for it; None when it did not deliver all of them."""
        if self.status is None:
            self._exited(os.waitpid(self.pid, 0)[1])
        try:
            if self.status != 0:
                return None
            self.out.seek(0)
            enabled = gc.isenabled()
            gc.disable()  # many small objects, none of them garbage: the collector would only slow loading
            try:
                return [pickle.load(self.out) for _ in range(self.count)]
            except Exception:  # noqa: BLE001 - truncated or corrupt: the share is redone
                return None
            finally:
                if enabled:
                    gc.enable()
        finally:
            self.out.close()

    def abandon(self) -> None:
        """Stop it (its results are no longer wanted) and wait for it."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self._exited(os.waitpid(self.pid, 0)[1])
            except OSError:
                self.status = -1
        self.out.close()

    def _exited(self, status: int) -> None:
        self.status = status
        _unreaped.discard(self.pid)


def _fork(fn, shares: list[list]) -> list[_Child | None]:
    """A child per share computing `fn` over it (None where the fork failed)."""
    sys.stdout.flush()  # or the children would write again what is buffered
    sys.stderr.flush()
    gc.freeze()  # the children's collector then leaves the inherited objects (and their pages) alone
    try:
        return [_start(fn, share) for share in shares]
    finally:
        gc.unfreeze()


def _start(fn, share: list) -> _Child | None:
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
            for item in share:
                out.write(pickle.dumps(fn(item), protocol=pickle.HIGHEST_PROTOCOL))
            out.flush()
            status = 0
        except BaseException:  # noqa: BLE001 - anything: the parent redoes this share
            pass
        finally:
            os._exit(status)
    forks += 1
    _unreaped.add(pid)
    return _Child(pid, out, len(share))


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
