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
