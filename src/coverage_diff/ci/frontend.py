"""What a CI front-end is (`FrontEnd`), what it returns, and what its fix steps share.

The registry of front-ends is `ci/__init__.py`; the front-end modules import this
module, never the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Protocol

from ..context import Context
from ..model import Diagnostic, Incomplete, Job


@dataclass
class FrontEndResult:
    jobs: list[Job] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # files read


class FrontEnd(Protocol):
    """One CI system (a module: these are its constants and functions)."""

    SYSTEM: str  # `Job.system` of its jobs, and the first part of their ids
    NAME: str  # how its users call it
    DIRECTORIES: tuple[str, ...]  # path prefixes of its files: a commit that changes one may change its jobs
    # Whether its jobs may start with files in the workspace the checkout does not have (the
    # interpreter then takes a missing file to be possibly there): a GitHub Actions step runs after
    # the job's earlier steps (actions, downloads, builds); a GitLab job receives earlier stages'
    # artifacts and its caches.
    WORKSPACE_FILLED: bool

    def globs(self, settings) -> tuple[str, ...]:
        """The settings' globs of the files it starts from."""

    def owns(self, snapshot, settings) -> list[str]:
        """The files it reads."""

    def jobs(self, snapshot, settings, context: Context | None = None) -> FrontEndResult:
        """What CI runs, plus diagnostics.  `context`: what the engine hands it (the revision's
        deadline, checked before each file; a memo of files' results); None: a fresh one."""

    def path_filter(self, job: Job) -> Callable[[str], bool] | None:
        """Whether a change to one file alone starts `job`, as a test of the file's path, when
        its system's step filters decide that (Buildkite's `source_file_dependencies`, and
        vLLM's run-all patterns): the path-filter-gap audit asks it of every job.  None when
        they do not: a workflow's `paths:` on GitHub say which pushes and pull requests start
        it, a question the audit does not ask of them."""

    def fix_step(self, job: Job, command: str, values: dict[str, str], calling: str) -> str:
        """A step of this system, written as its file would have it, that runs `command` with the
        variables `values` set: the suggested fix when `job` misses a subject (`calling` is the
        job's command that starts the way to it, "" when unknown)."""


# --------------------------------------------------------------------------- for fix steps
def variant_name(values: dict[str, str]) -> str:
    """`A=1 B=x`: what a fix step's label or key adds to its job's."""
    return " ".join(f"{name}={value}" for name, value in values.items()) or "variant"


def variant_key(key: str, values: dict[str, str]) -> str:
    """The job's key with the variant appended, in the characters keys allow: `test-sw-attn-1`."""
    return f"{key}-{re.sub(r'[^a-z0-9]+', '-', variant_name(values).lower()).strip('-')}"
