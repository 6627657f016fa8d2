"""The open world: what a job or a script could run with its inputs free.

A job interpreted with every inherited variable unknown (`open_world=True`) shows every
path its scripts could take, each run with the conditions it needed.  Explanations
(`reasons`, `diff`, `graph`, `explain`) and the audit rules ask for those outcomes only
through `OpenWorld`, which `open_world(inventory)` returns: one per inventory, each
outcome computed once (the engine's `SharedWorld`, `engine/world.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from .engine import store
from .engine.world import SharedWorld
from .model import Job
from .shell import JobOutcome

if TYPE_CHECKING:
    from .engine.memo import JobMemo
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
    return store.derived(inventory, "open-world", _new_world)


def _new_world(inventory: Inventory) -> SharedWorld:
    return SharedWorld(inventory.snapshot, inventory.settings)


def use_memo(inventory: Inventory, memo: JobMemo) -> None:
    """Compute the inventory's open worlds through a session's `JobMemo` (shared with the
    other revisions of a diff, and kept in the persistent cache)."""
    world = open_world(inventory)
    assert isinstance(world, SharedWorld)
    world.memo = memo
