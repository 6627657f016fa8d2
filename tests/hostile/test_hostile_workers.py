"""Issue 20: forked workers die with their parent, whatever kills it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = """
import os, sys, time
from coverage_diff.engine import parallel
pids = sys.argv[1]

def spin(item):
    with open(os.path.join(pids, str(os.getpid())), "w"):
        pass
    while True:  # a worker that would compute forever
        pass

parallel.fork_map(spin, list(range(30)), workers=3)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has stopped computing


def wait_for(predicate, what: str, limit: float = 60.0) -> None:
    """A safety net against a hang, not a speed assertion."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {limit} s")
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path, sig):
    pids = tmp_path / "pids"
    pids.mkdir()
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(pids)])
    try:
        wait_for(lambda: len(list(pids.iterdir())) >= 2, "two workers to start")
        workers = [int(p.name) for p in pids.iterdir() if int(p.name) != parent.pid]
        assert workers and all(alive(pid) for pid in workers)
        parent.send_signal(sig)
        parent.wait()
        wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to die")
    finally:
        parent.kill()
        parent.wait()
        for p in pids.iterdir():
            try:
                os.kill(int(p.name), signal.SIGKILL)
            except OSError:
                pass
