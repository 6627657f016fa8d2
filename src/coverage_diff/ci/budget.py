"""How much one CI file may make the front-ends do.

A file's jobs multiply: a matrix times `parallelism`, reusable workflows calling
each other five wide and ten deep, composite actions inside composite actions,
GitLab `extends` and `!reference` chains that fan out at every level.  Each is
bounded on its own, but their product is not, so every front-end charges one unit
per job, step or expansion it makes (`charge`), and a file (with what it includes,
extends or calls) gets at most MAX_UNITS of them (`start`, before each file).  Past
that, `Exhausted` ends the file's analysis; `isolation.contained` turns it into a
diagnostic and an `incomplete` entry at the file, and the other files go on.
"""

from __future__ import annotations

MAX_UNITS = 20_000  # jobs, steps and expansions one CI file may cost


class Exhausted(Exception):
    """A CI file fans out to more work than MAX_UNITS."""

    def __init__(self) -> None:
        super().__init__(f"fans out to more than {MAX_UNITS} jobs, steps or expansions (matrix x parallelism, "
                         "reusable workflows, composite actions, extends or !reference): not analysed")


_left = [MAX_UNITS]


def start() -> None:
    """A new CI file: the full allowance again."""
    _left[0] = MAX_UNITS


def charge(units: int = 1) -> None:
    _left[0] -= units
    if _left[0] < 0:
        raise Exhausted()
