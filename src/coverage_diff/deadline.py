"""The wall-clock budget of one revision's analysis (`max-seconds`).

Every other bound counts work (steps, paths, fan-out units), so results never depend on
the machine.  This one is the last resort against input none of them foresaw: when a
revision's analysis has taken `max-seconds`, what is left of it is not analysed.  The
front-ends read no further CI file, no further job is interpreted and the job being
interpreted stops; each becomes an `incomplete` entry, and the revision gets one
diagnostic.  Because what such a run reports depends on the machine, nothing a session
makes after its first deadline passed is stored in the persistent cache (`Watch.tripped`).
The budget covers building the revision's inventory (`engine/build.build_inventory` starts
it on the session's `Watch` and hands it on in the build's `context.Context`); explaining a
diff's losses afterwards is bounded by steps alone.

`clock` is the one place time is read: tests replace it with a counter, so no test
depends on wall time.
"""

from __future__ import annotations

import time

clock = time.monotonic  # seconds; replaced by tests
REASON = "wall-clock budget"  # every incomplete entry the budget makes starts with it


class Deadline:
    """When the revision being analysed must stop."""

    def __init__(self, seconds: int, watch: Watch | None = None):
        self.seconds = seconds
        self.at = clock() + seconds
        self.passed = False
        self.watch = watch  # told when it passes

    def expired(self) -> bool:
        if not self.passed and clock() > self.at:
            self.passed = True
            if self.watch is not None:
                self.watch.passed = True
        return self.passed

    def reason(self, what: str) -> str:
        return f"{REASON} of the revision (max-seconds = {self.seconds}) used up: {what}"


class Watch:
    """The deadlines of one session, one revision at a time: the one running, and whether
    any passed (then the session's cache stores nothing more)."""

    def __init__(self) -> None:
        self.running: Deadline | None = None
        self.passed = False

    def start(self, seconds: int) -> Deadline:
        """A revision's analysis begins: its budget runs from now."""
        self.running = Deadline(seconds, self)
        return self.running

    def stop(self) -> None:
        """The revision's analysis is over: no budget until the next `start`.  (Looked at once
        more first: a child forked for part of the work may have seen it pass.)"""
        if self.running is not None:
            self.running.expired()
        self.running = None

    def tripped(self) -> bool:
        """Whether a deadline of this session passed (or, seen from the parent, in a child it forked:
        the clock is shared, so the parent finds the same deadline passed when it next looks)."""
        if self.running is not None:
            self.running.expired()
        return self.passed
