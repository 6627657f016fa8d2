"""What the engine hands the CI front-ends and the interpreter (`Context`).

Nothing outside `engine/` keeps state of its own between calls: what lives longer than
one call (a CI file's jobs remembered by blob; the revision's wall-clock budget, and the
session's record of whether one passed) is owned by the session or the build that makes
the context, and reaches the front-ends (`FrontEnd.jobs(snapshot, settings, context)`)
and the shell (`interpret_job(..., context=)`) as this one argument.  A caller that gives
none gets a fresh `Context()`: no deadline, nothing kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from .deadline import Deadline, Watch


class FileStore(Protocol):
    """Results kept by key (`engine/file_memo.FileMemo`): `get` gives None when absent."""

    def get(self, key: tuple): ...

    def put(self, key: tuple, value) -> None: ...


@dataclass(frozen=True, eq=False)
class Context:
    deadline: Deadline | None = None  # the revision's wall-clock budget; None outside a build
    watch: Watch = field(default_factory=Watch)  # the session's deadlines (its cache asks whether one passed)
    files: FileStore | None = None  # a CI file's front-end result by blob; None: nothing kept

    def revision(self, seconds: int) -> Context:
        """The same stores, with a revision's budget of `seconds` running from now
        (`watch.stop()` ends it)."""
        return replace(self, deadline=self.watch.start(seconds))

    def expired(self) -> bool:
        return self.deadline is not None and self.deadline.expired()
