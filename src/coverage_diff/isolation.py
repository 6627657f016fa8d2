"""One file or one job that the analysis fails on costs that file or job, never the run.

`contained(location, what)` is a context manager around the analysis of one piece of a
revision: an exception inside it (a defect of ours, or an input we did not foresee)
becomes a `Diagnostic` at the piece's file:line and an `Incomplete` entry, both kept
in `caught`, and the caller goes on with the rest.  Interrupts, exits and memory
exhaustion of the whole process are not contained: they stop the run.
"""

from __future__ import annotations

import sys
import threading
import types
from contextlib import contextmanager
from dataclasses import dataclass, field

from .model import Diagnostic, Incomplete, Location


class Spent(Exception):
    """A piece's own budget ended it (a CI file fanning out too far, `ci/budget.py`): bad
    input, said as such; what the piece made before is sound and kept."""


class OutOfTime(Spent):
    """The revision's wall-clock budget ran out before this piece was read."""

    def __init__(self, reason: str) -> None:
        Exception.__init__(self, reason)


def describe(exc: BaseException) -> str:
    """`TypeName: first line of the message` (at most 200 characters)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass
class Contained:
    """What `contained` caught: empty when the piece was analysed whole."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    exhausted: bool = False  # a budget ended the piece: what it made before is sound and kept

    @property
    def failed(self) -> bool:
        return bool(self.diagnostics)


@contextmanager
def contained(location: Location, what: str):
    caught = Contained()
    try:
        yield caught
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except OutOfTime as exc:  # the revision's wall-clock budget: one diagnostic for the revision (inventory.py)
        caught.exhausted = True
        caught.incomplete.append(Incomplete(Location(location.path, location.line or 1), f"{exc}: {what}", cut=True))
    except Spent as exc:  # a file that fans out too far: bad input, said as such
        reason = f"{what} {exc}"
        at = Location(location.path, location.line or 1)
        caught.exhausted = True
        caught.diagnostics.append(Diagnostic(at, reason))
        caught.incomplete.append(Incomplete(at, reason))
    except RecursionError:  # nested past what `nested` allows: bad input, said as such
        reason = (f"{what} nests constructs too deeply to analyse (thousands of `$(`, `${{`, brackets or compound "
                  "commands inside one another); it is left out of the analysis")
        caught.diagnostics.append(Diagnostic(location, reason))
        caught.incomplete.append(Incomplete(location, reason, cut=True))
    except Exception as exc:  # noqa: BLE001 - the point: one piece fails, the rest goes on
        reason = f"internal error while analysing {what} ({describe(exc)}); it is left out of the analysis"
        caught.diagnostics.append(Diagnostic(location, reason))
        caught.incomplete.append(Incomplete(location, reason, cut=True))


DEEP_LIMIT = 20_000  # Python frames: about 2,400 nested `$(` or 3,800 nested `${y:-`
DEEP_STACK = 64 << 20  # bytes of C stack for them (16 MiB was enough in measurements)


def _call(compute):
    return compute()


ROOMY_SLOTS = 1 << 19  # unused stack slots (8 bytes each) of `roomy`'s frame


def _roomy_caller():
    """`_call` with a frame of ROOMY_SLOTS unused stack slots.  CPython (3.11 and later) keeps
    Python frames in chunks of 16 KiB, maps a fresh chunk whenever the frames outgrow the last
    one and unmaps it when they shrink back.  The interpreter of bash scripts recurses deeply,
    up and down all the time, so on vLLM that cost 1.7 million page faults (10 s of system
    time in a 50 s audit).  A chunk is sized to the frame that opens it, rounded up to a power
    of two: this frame, a little over ROOMY_SLOTS, gets a chunk of twice that, and the frames
    of the analysis under it live in the other half (4 MiB, some 20,000 frames) without
    mapping a chunk of their own.  Only the pages frames touch are ever faulted in."""
    code = _call.__code__
    return types.FunctionType(code.replace(co_stacksize=code.co_stacksize + ROOMY_SLOTS), _call.__globals__, "roomy")


roomy = _roomy_caller()


def nested(compute):
    """`compute()`, and once more where input nested past Python's default recursion limit
    can be analysed: a job with 120 nested `$(` needs about 1,000 frames.  The second try
    runs on a thread with a DEEP_STACK stack and a recursion limit of DEEP_LIMIT (this
    thread waits for it); a RecursionError there goes to the caller, for whom the input is
    nested too deeply (`contained` says so).  Only input that needs it pays for the thread."""
    try:
        return roomy(compute)
    except RecursionError:
        pass
    done: list = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            done.append(roomy(compute))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as it is
            failed.append(exc)

    limit = sys.getrecursionlimit()
    size = threading.stack_size(DEEP_STACK)
    try:
        sys.setrecursionlimit(max(limit, DEEP_LIMIT))
        thread = threading.Thread(target=work, name="coverage-diff deep input", daemon=True)
        thread.start()
        threading.stack_size(size)
        thread.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if failed:
        raise failed[0]
    return done[0]
