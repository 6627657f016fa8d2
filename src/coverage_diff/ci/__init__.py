"""CI front-ends: each turns the YAML of one CI system into `Job`s.

A front-end is a module that is a `FrontEnd`: its system's name, the directories
its files live in, the files it reads, its jobs, and how a suggested fix is
written as one of its steps.  `front_ends()` is the registry: a new CI system is
one module and one line there.

Front-ends never interpret shell: a job's commands stay text for `shell/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

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

    def globs(self, settings) -> tuple[str, ...]:
        """The settings' globs of the files it starts from."""

    def owns(self, snapshot, settings) -> list[str]:
        """The files it reads."""

    def jobs(self, snapshot, settings) -> FrontEndResult:
        """What CI runs, plus diagnostics."""

    def fix_step(self, job: Job, command: str, values: dict[str, str], calling: str) -> str:
        """A step of this system, written as its file would have it, that runs `command` with the
        variables `values` set: the suggested fix when `job` misses a subject (`calling` is the
        job's command that starts the way to it, "" when unknown)."""


def front_ends() -> list[FrontEnd]:
    """The registry: one line per CI system."""
    from . import buildkite, github_actions, gitlab

    return [buildkite, github_actions, gitlab]


def front_end(system: str) -> FrontEnd:
    """The front-end whose jobs have `Job.system == system`."""
    for candidate in front_ends():
        if candidate.SYSTEM == system:
            return candidate
    raise ValueError(f"no front-end for the CI system {system!r}")


def ci_names() -> str:
    """The CI systems read, for a reader: `Buildkite, GitHub Actions, GitLab CI`."""
    return ", ".join(front_end.NAME for front_end in front_ends())


def ci_globs(settings) -> tuple[str, ...]:
    """Every front-end's globs of the files it starts from."""
    return tuple(glob for front_end in front_ends() for glob in front_end.globs(settings))


def ci_directories() -> tuple[str, ...]:
    """Every front-end's directories."""
    return tuple(prefix for front_end in front_ends() for prefix in front_end.DIRECTORIES)


def collect_jobs(snapshot, settings) -> FrontEndResult:
    total = FrontEndResult()
    for front_end in front_ends():
        result = front_end.jobs(snapshot, settings)
        total.jobs += result.jobs
        total.diagnostics += result.diagnostics
        total.incomplete += result.incomplete
        total.files += result.files
    return total


# --------------------------------------------------------------------------- for fix steps
def variant_name(values: dict[str, str]) -> str:
    """`A=1 B=x`: what a fix step's label or key adds to its job's."""
    return " ".join(f"{name}={value}" for name, value in values.items()) or "variant"


def variant_key(key: str, values: dict[str, str]) -> str:
    """The job's key with the variant appended, in the characters keys allow: `test-sw-attn-1`."""
    return f"{key}-{re.sub(r'[^a-z0-9]+', '-', variant_name(values).lower()).strip('-')}"
