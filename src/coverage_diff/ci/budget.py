"""How much one CI file may make the front-ends do.

A file's jobs multiply: a matrix times `parallelism`, reusable workflows calling
each other five wide and ten deep, composite actions inside composite actions,
GitLab `extends` and `!reference` chains that fan out at every level.  Each is
bounded on its own, but their product is not, so every front-end charges one unit
per job, step or expansion it makes (`Allowance.charge`), and a file (with what it
includes, extends or calls) gets at most MAX_UNITS of them (`start`, before each file,
gives the file its own `Allowance`).  Past
that, `Exhausted` ends the file's analysis; `isolation.contained` turns it into a
diagnostic and an `incomplete` entry at the file, the jobs the file made before it are
kept, and the other files go on.  Once the revision's wall-clock budget has run out
(the context's `deadline`), `start` refuses the next file (`OutOfTime`).
"""

from __future__ import annotations

from ..context import Context
from ..gate import FAN_OUT
from ..isolation import OutOfTime, Spent

MAX_UNITS = 20_000  # jobs, steps and expansions one CI file may cost


class Exhausted(Spent):
    """A CI file fans out to more work than MAX_UNITS."""

    def __init__(self) -> None:
        super().__init__(f"{FAN_OUT} {MAX_UNITS} jobs, steps or expansions (matrix x parallelism, "
                         "reusable workflows, composite actions, extends or !reference): the jobs it made before "
                         "are analysed, the rest of it is not")


class Allowance:
    """What one CI file may still cost."""

    def __init__(self) -> None:
        self.left = MAX_UNITS

    def charge(self, units: int = 1) -> None:
        self.left -= units
        if self.left < 0:
            raise Exhausted()


def start(context: Context | None = None) -> Allowance:
    """A new CI file: the full allowance again (none once the revision is out of time)."""
    if context is not None and context.expired():
        raise OutOfTime(context.deadline.reason("not read"))
    return Allowance()
