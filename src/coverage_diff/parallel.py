"""Independent pieces of analysis on every core, with the same results as one core.

`fork_map(fn, items)` returns `[fn(item) for item in items]`.  When the batch is
big enough and the machine has more than one usable core, it forks: each child
inherits everything the parent knows (snapshot, jobs, parse caches), computes
every k-th item and sends its results back pickled through a pipe, while the
parent computes its own share.  Nothing is pickled on the way in, so `fn` may
be any closure.  What a child changes besides its results (memos it fills,
blobs it reads) stays in the child: `fn` must be pure in what it returns.

A child that fails in any way (an exception, a signal, unreadable results) is
not an error: the parent computes that child's share itself, so the outcome and
any exception are exactly those of a serial run.

Workers: `COVERAGE_DIFF_JOBS` or `--jobs` (`configure`), else the usable cores.
Fork is POSIX only; elsewhere everything runs in this process.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

ENV_VAR = "COVERAGE_DIFF_JOBS"

T = TypeVar("T")
R = TypeVar("R")

_workers: int | None = None  # None: from the environment, else the usable cores
_after_fork_in_child: list[Callable[[], None]] = []
_in_child = False
MIN_JOBS = 24  # real (closed-world) job interpretations worth a fork: a few ms each, a fork ~8 ms
forks = 0  # children started by this process
_unreaped: set[int] = set()  # children started and not waited for yet


def configure(workers: int | None) -> None:
    """Use `workers` processes (1: never fork).  None goes back to the default."""
    global _workers
    if workers is not None and workers < 1:
        raise ValueError("the number of workers is at least 1")
    _workers = workers


def workers() -> int:
    if _in_child:
        return 1  # a child never forks again
    if _workers is not None:
        return _workers
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            pass  # a bad value is the default, not a crash
    return usable_cores()


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def after_fork_in_child(hook: Callable[[], None]) -> None:
    """Run `hook` in each child right after the fork: for state that must not be shared
    with the parent, such as a pipe to a `git cat-file` process."""
    _after_fork_in_child.append(hook)


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 2) -> list[R]:
    """`[fn(item) for item in items]`, on several processes when there are at least
    `min_items` items (below that a fork costs more than it saves)."""
    items = list(items)
    count = min(workers(), len(items))
    if count < 2 or len(items) < min_items or not hasattr(os, "fork"):
        return [fn(item) for item in items]
    children: dict[int, tuple[int, int]] = {}  # share -> (pid, read end of its pipe)
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # the children's collector then leaves the inherited objects (and their pages) alone
    try:
        for share in range(1, count):
            child = _start(fn, items[share::count])
            if child is not None:
                children[share] = child
    finally:
        gc.unfreeze()
    results: list = [None] * len(items)
    try:
        for share in range(count):
            if share not in children:  # this process's share, and that of any fork that failed
                results[share::count] = [fn(item) for item in items[share::count]]
    except BaseException:
        for pid, read_end in children.values():
            _abandon(pid, read_end)
        raise
    for share, (pid, read_end) in children.items():
        got = _collect(pid, read_end)
        if got is None or len(got) != len(items[share::count]):
            got = [fn(item) for item in items[share::count]]  # the child failed: do its share here
        results[share::count] = got
    return results


class Later:
    """`fork_later`'s handle: `result()` is the list `[fn(item) for item in items]`."""

    def __init__(self, fn, items: list, child: tuple[int, int] | None):
        self._fn, self._items, self._child = fn, items, child
        self._result: list | None = None

    def ready(self) -> bool:
        """Whether `result()` would return without waiting for the child (it writes its
        results all at once, when they are all computed)."""
        if self._result is not None or self._child is None:
            return True
        readable, _, _ = select.select([self._child[1]], [], [], 0)
        return bool(readable)

    def cancel(self) -> None:
        """No longer wanted: stop the child (if any) and wait for it."""
        if self._child is not None:
            _abandon(*self._child)
            self._child = None

    def result(self) -> list:
        if self._result is None:
            got = _collect(*self._child) if self._child is not None else None
            self._child = None
            if got is None or len(got) != len(self._items):
                got = [self._fn(item) for item in self._items]  # no child, or it failed: here and now
            self._result = got
        return self._result


def fork_later(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 1) -> Later:
    """`[fn(item) for item in items]` computed by a forked child while this process goes
    on with other work; `.result()` waits for it.  With one worker (or too few items)
    nothing starts now and `.result()` computes the list itself."""
    items = list(items)
    child = None
    if workers() >= 2 and len(items) >= max(min_items, 1) and hasattr(os, "fork"):
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()
        try:
            child = _start(fn, items)
        finally:
            gc.unfreeze()
    return Later(fn, items, child)


def _start(fn, share: list) -> tuple[int, int] | None:
    global forks
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:  # no memory or process slots left: this process does the work
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: compute, send, and leave without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            _become_child()
            data = pickle.dumps([fn(item) for item in share], protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        except BaseException:  # noqa: BLE001 - anything: the parent redoes this share
            pass
        finally:
            os._exit(status)
    forks += 1
    _unreaped.add(pid)
    os.close(write_end)
    return pid, read_end


def children() -> int:
    """Children started and not waited for yet (none once a `fork_map` returns)."""
    return len(_unreaped)


def _become_child() -> None:
    global _in_child
    _in_child = True
    for hook in _after_fork_in_child:
        hook()


def _collect(pid: int, read_end: int) -> list | None:
    """The child's results, or None when it did not deliver all of them."""
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    _unreaped.discard(pid)
    if status != 0 or not data:
        return None
    enabled = gc.isenabled()
    gc.disable()  # many small objects, none of them garbage: the collector would only slow loading
    try:
        got = pickle.loads(data)
    except Exception:  # noqa: BLE001 - truncated or corrupt: redo the share
        return None
    finally:
        if enabled:
            gc.enable()
    return got if isinstance(got, list) else None


def _abandon(pid: int, read_end: int) -> None:
    """Stop a child whose results are no longer wanted (this process is raising)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    os.close(read_end)
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
    _unreaped.discard(pid)
