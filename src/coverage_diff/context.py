"""What an analysis hands down to the front-ends and the interpreter: one `Context`.

Nothing below the engine keeps state between calls of its own.  What lives longer than
one call is owned by the engine (its session, a history walk, a bare `build_inventory`),
which decides how long it lives and who shares it, and reaches the front-ends
(`FrontEnd.jobs(snapshot, settings, context)`) and the shell (`interpret_job(...,
context=)`) as this one argument:

- `shell`: the `ShellCaches` (parsed trees, script scans, a snapshot's directory index).
  A session makes one for the whole command, so every job of every revision it analyses
  shares them, and a child it forks inherits them with the rest of its memory.
- `files`: a CI file's front-end result by blob (the session's `engine/file_memo.FileMemo`).
- `deadline`: the revision's wall-clock budget while `build_inventory` builds it
  (`revision`), None otherwise; `watch`: the session's record of its deadlines, which its
  cache asks before storing (`deadline.Watch`).

A context made on the spot (`Context()`, what the front-ends' and the shell's entry points
use when given none) shares nothing and has no deadline: the results are the same, only
slower to reach.

This module imports nothing of the package at run time but `deadline.py`: it sits below
`ci/` and `shell/`, which both read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Protocol
from weakref import WeakKeyDictionary

from .deadline import Deadline, Watch

if TYPE_CHECKING:
    from tree_sitter import Tree

    from .shell.definitions import FileScan
    from .shell.parse import Source
    from .snapshot import Snapshot


MAX_COMPILED = 4096  # patterns a script compiles are few; a store of every one is not worth its memory


class ShellCaches:
    """What interpretations share while their owner lives.

    - `trees`: parsed trees by blob id (or by a digest of the text), `shell/parse.py`.
      A tree lives as long as these caches: memos keyed by a node's id (`syntax.per_node`,
      `wordplan.word_plan`) hold the node they answer for, so an id never names two nodes.
    - `scans`: each repository script's `FileScan`, `shell/definitions.py`.
    - `children`: each snapshot's directory index for pathname expansion (weakly, by
      snapshot; then by the set of directories made at run time), `shell/globbing.py`.
    - `nodes`: what the functions of a syntax node alone answered (`syntax.per_node`: a
      command's shape, a `case` statement's arms, a word's compiled plan), per function.
    - `compiled`: glob patterns and `=~` regular expressions as compiled, by their text
      (`patterns.compile_pattern`, `ere.compile_ere`)."""

    __slots__ = ("trees", "scans", "children", "nodes", "compiled")

    def __init__(self) -> None:
        self.trees: dict[str, Tree] = {}
        self.scans: dict[Source, FileScan] = {}
        self.children: WeakKeyDictionary[Snapshot, dict] = WeakKeyDictionary()
        self.nodes = NodeMemos()
        self.compiled: dict[tuple, object] = {}

    def compile(self, make: Callable, *args):
        """`make(*args)` (a function of its arguments alone: a pattern's text and options),
        kept in `compiled`; the store starts again once it holds `MAX_COMPILED`."""
        key = (make, args)
        try:
            return self.compiled[key]
        except KeyError:
            if len(self.compiled) >= MAX_COMPILED:
                self.compiled.clear()
            found = self.compiled[key] = make(*args)
            return found


class NodeMemos(dict):
    """Per function of a node alone (`syntax.per_node`): (its answers by node id, the nodes
    it answers for), made on first use."""

    __slots__ = ()

    def __missing__(self, function) -> tuple[dict, dict]:
        pair = self[function] = ({}, {})
        return pair


class FileStore(Protocol):
    """Results kept by key (`engine/file_memo.FileMemo`): `get` gives None when absent."""

    def get(self, key: tuple): ...

    def put(self, key: tuple, value) -> None: ...


@dataclass(frozen=True, eq=False)
class Context:
    """What one analysis hands down: the caches its interpretations share, the memo of CI
    files, and the revision's deadline."""

    shell: ShellCaches = field(default_factory=ShellCaches)
    files: FileStore | None = None  # None: nothing kept
    deadline: Deadline | None = None  # the revision's wall-clock budget; None outside a build
    watch: Watch = field(default_factory=Watch)  # the session's deadlines (its cache asks whether one passed)

    def revision(self, seconds: int) -> Context:
        """The same stores, with a revision's budget of `seconds` running from now
        (`watch.stop()` ends it)."""
        return replace(self, deadline=self.watch.start(seconds))

    def expired(self) -> bool:
        return self.deadline is not None and self.deadline.expired()
