"""What an analysis hands down to the front-ends and the interpreter: one `Context`.

Nothing below the engine keeps state between calls of its own: a parsed tree, a
script's scan, a snapshot's directory index live in the `ShellCaches` of a context,
and the engine (its session, a history walk, a bare `build_inventory`) decides how
long that lives and who shares it.  A session makes one for the whole command, so
every job of every revision it analyses shares the trees and scans, and a child it
forks inherits them with the rest of its memory.  A context made on the spot
(`Context()`, what the shell's entry points use when given none) shares nothing:
the results are the same, only slower to reach.

This module imports nothing of the package at run time: it sits below `ci/` and
`shell/`, which both read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from tree_sitter import Tree

    from .shell.definitions import FileScan
    from .shell.parse import Source
    from .snapshot import Snapshot


class ShellCaches:
    """What interpretations share while their owner lives.

    - `trees`: parsed trees by blob id (or by a digest of the text), `shell/parse.py`.
      A tree lives as long as these caches: memos keyed by a node's id (`syntax.per_node`,
      `wordplan.word_plan`) hold the node they answer for, so an id never names two nodes.
    - `scans`: each repository script's `FileScan`, `shell/definitions.py`.
    - `children`: each snapshot's directory index for pathname expansion (weakly, by
      snapshot; then by the set of directories made at run time), `shell/globbing.py`."""

    __slots__ = ("trees", "scans", "children")

    def __init__(self) -> None:
        self.trees: dict[str, Tree] = {}
        self.scans: dict[Source, FileScan] = {}
        self.children: WeakKeyDictionary[Snapshot, dict] = WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class Context:
    """What one analysis hands down: the caches its interpretations share."""

    shell: ShellCaches = field(default_factory=ShellCaches)
