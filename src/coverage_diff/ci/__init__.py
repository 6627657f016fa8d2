"""CI front-ends: each turns the YAML of one CI system into `Job`s.

A front-end is a module with two functions:

    owns(snapshot, settings) -> list[str]          # the files it reads
    jobs(snapshot, settings) -> FrontEndResult     # what CI runs, plus diagnostics

Front-ends never interpret shell: a job's commands stay text for `shell/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from ..model import Diagnostic, Incomplete, Job


@dataclass
class FrontEndResult:
    jobs: list[Job] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # files read


def front_ends() -> list[ModuleType]:
    """The registry: one line per CI system."""
    from . import buildkite, github_actions, gitlab

    return [buildkite, github_actions, gitlab]


def collect_jobs(snapshot, settings) -> FrontEndResult:
    total = FrontEndResult()
    for front_end in front_ends():
        result = front_end.jobs(snapshot, settings)
        total.jobs += result.jobs
        total.diagnostics += result.diagnostics
        total.incomplete += result.incomplete
        total.files += result.files
    return total
