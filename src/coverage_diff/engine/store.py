"""What the engine keeps about a finished inventory, outside it.

An `Inventory` is a value: frozen, and nothing hangs on it.  Yet a diff asks the same
indexes of one inventory many times (shards by program, selections by test file), a
history walk hands each commit's inventory what the next one reuses (what every job
read, the parts kept, the subjects' jobs), and explanations share one open world per
inventory.  Those are kept here, by the inventory's identity and under a name, for as
long as the inventory lives (weak references: when it goes, they go), and never stored
with it (`freeze` says what is).
"""

from __future__ import annotations

from typing import Callable, TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")
O = TypeVar("O")

_KEPT: WeakKeyDictionary[object, dict[str, object]] = WeakKeyDictionary()


def derived(owner: O, name: str, compute: Callable[[O], T]) -> T:
    """`compute(owner)`, once while `owner` lives: an index built from a finished inventory."""
    kept = _KEPT.get(owner)
    if kept is None:
        kept = _KEPT[owner] = {}
    if name not in kept:
        kept[name] = compute(owner)
    return kept[name]  # type: ignore[return-value]


def put(owner: object, name: str, value: T) -> T:
    """Keep `value` under `name` with `owner`."""
    kept = _KEPT.get(owner)
    if kept is None:
        kept = _KEPT[owner] = {}
    kept[name] = value
    return value


def get(owner: object, name: str, default=None):
    """What `owner` has under `name`, else `default`."""
    kept = _KEPT.get(owner)
    return default if kept is None else kept.get(name, default)


class PerObject:
    """`compute(obj)` kept per object (by identity) while it is alive and among the last
    few thousand asked about: a history walk shares almost all outcomes and script
    definitions between consecutive commits, and recomputing what is derived from each
    at every commit cost more than the rest of an unchanged commit's inventory."""

    KEPT = 1 << 12  # a few commits' worth of objects, not a whole history walk

    def __init__(self, compute):
        self.compute = compute
        self.kept: dict[int, tuple[object, object]] = {}  # id -> (the object, its value)

    def __call__(self, obj):
        kept = self.kept.get(id(obj))
        if kept is not None and kept[0] is obj:
            return kept[1]
        value = self.compute(obj)
        if len(self.kept) >= self.KEPT:
            self.kept.clear()
        self.kept[id(obj)] = (obj, value)
        return value
