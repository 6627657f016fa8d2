"""CI front-ends: each turns the YAML of one CI system into `Job`s.

A front-end is a module that is a `FrontEnd` (`ci/frontend.py`): its system's
name, the directories its files live in, the files it reads, its jobs, and how a
suggested fix is written as one of its steps.  `front_ends()` is the registry: a
new CI system is one module and one line there.

Front-ends never interpret shell: a job's commands stay text for `shell/`.
"""

from __future__ import annotations

from ..context import Context
from .frontend import FrontEnd, FrontEndResult

__all__ = ["FrontEnd", "FrontEndResult", "ci_directories", "ci_globs", "ci_names", "collect_jobs", "front_end", "front_ends"]


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
    return ", ".join(module.NAME for module in front_ends())


def ci_globs(settings) -> tuple[str, ...]:
    """Every front-end's globs of the files it starts from."""
    return tuple(glob for module in front_ends() for glob in module.globs(settings))


def ci_directories() -> tuple[str, ...]:
    """Every front-end's directories."""
    return tuple(prefix for module in front_ends() for prefix in module.DIRECTORIES)


def collect_jobs(snapshot, settings, context: Context | None = None) -> FrontEndResult:
    """Every front-end's jobs, with what the engine hands them (`context.Context`: the
    revision's deadline, the session's memo of CI files)."""
    total = FrontEndResult()
    for module in front_ends():
        result = module.jobs(snapshot, settings, context)
        total.jobs += result.jobs
        total.diagnostics += result.diagnostics
        total.incomplete += result.incomplete
        total.files += result.files
    return total
