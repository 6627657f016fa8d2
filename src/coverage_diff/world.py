"""The open world: what a job or a script could run with its inputs free.

A job interpreted with every inherited variable unknown (`open_world=True`) shows every
path its scripts could take, each run with the conditions it needed.  Explanations
(`reasons`, `diff`, `graph`, `explain`) and the audit rules ask for those outcomes only
through `OpenWorld`, which `open_world(inventory)` returns: one per inventory, each
outcome computed once (the engine's `SharedWorld`, `engine/world.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from .engine.world import world_of
from .model import Assumption, Job
from .shell import JobOutcome

if TYPE_CHECKING:
    from .inventory import Inventory


class OpenWorld(Protocol):
    """What a revision's jobs and scripts could run with their inputs free."""

    def outcome(self, job: Job) -> JobOutcome:
        """The job interpreted with every inherited variable (and its own env and prefixes) unknown."""

    def outcomes(self, jobs: Sequence[Job]) -> list[JobOutcome]:
        """`outcome` of each job, the missing ones computed together on every core."""

    def script_outcome(self, path: str, cwd: str) -> JobOutcome:
        """A script run on its own from `cwd`, with every variable unknown."""


def open_world(inventory: Inventory) -> OpenWorld:
    """The inventory's open world (made on first use, kept while the inventory lives)."""
    return world_of(inventory)


def closed_outcomes(outcome: JobOutcome | None) -> dict:
    """(location, text) -> the outcomes a condition really had in a job (its closed-world
    outcome, as the inventory holds it)."""
    seen: dict = {}
    for c in outcome.conditions if outcome else ():
        seen.setdefault((c.location, c.text), set()).add(c.outcome)
    return seen


def unmet(assumptions: tuple[Assumption, ...], closed: dict) -> tuple[Assumption, ...]:
    """The assumptions of an open-world run that the job's real environment does not
    satisfy (`closed`: its `closed_outcomes`)."""
    out = []
    for a in assumptions:
        got = closed.get((a.condition.location, a.condition.text))
        if got is None or a.condition.outcome not in got:
            out.append(a)
    return tuple(dict.fromkeys(out))
