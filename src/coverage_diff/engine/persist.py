"""What of an inventory the persistent cache stores, and how it comes back.

An inventory is stored without its snapshot (a commit's files are read from git again
when loaded): its fields, its indexes (computed before storing, so loading costs
nothing), and what the engine keeps about it that reusing its outcomes needs (the
interpreter's outcomes of jobs a config list split; the answers they rest on, when a
session stored them).
"""

from __future__ import annotations

from ..inventory import Inventory
from ..snapshot import Snapshot
from . import store
from .memo import INTERPRETED, JOB_ANSWERS


INDEXES = ("runs", "runs_by_subject", "jobs_by_id", "script_calls", "entries", "reached", "variables_set")
STORED = ((INTERPRETED, "_interpreted"), (JOB_ANSWERS, "_job_answers"))  # (name in the engine's store, key in the state)


def freeze(inventory: Inventory) -> dict:
    """An inventory's state without its snapshot (rebuilt from git when loaded): its fields,
    its indexes (computed now: loading then costs nothing) and what reusing its outcomes
    needs (the interpreter's outcomes of split jobs; the answers they rest on, if any)."""
    for name in INDEXES:
        getattr(inventory, name)
    state = {k: v for k, v in inventory.__dict__.items() if k != "snapshot"}
    for name, key in STORED:
        kept = store.get(inventory, name)
        if kept is not None:
            state[key] = kept
    return state


def thaw(state: dict, snapshot: Snapshot) -> Inventory:
    state = dict(state)
    kept = [(name, state.pop(key, None)) for name, key in STORED]
    inventory = Inventory.__new__(Inventory)
    inventory.__dict__.update(state, snapshot=snapshot)
    for name, value in kept:
        if value is not None:
            store.put(inventory, name, value)
    return inventory
