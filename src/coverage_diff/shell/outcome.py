"""What interpreting a job or a script produces (plain data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..model import Condition, ConfigEntry, Diagnostic, Env, Incomplete, Location, Run


@dataclass(frozen=True)
class ScriptCall:
    """A repository script entered (`bash x.sh`, `./x.sh`, `source x.sh`)."""

    path: str  # repository path of the script
    location: Location  # where the call is written
    env: Env  # known values of the variables visible to it at the call (exported + prefixes)
    unknown: tuple[str, ...]  # names visible but with unknown values
    job_id: str
    sourced: bool


@dataclass(frozen=True)
class JobOutcome:
    runs: tuple[Run, ...]
    scripts: tuple[ScriptCall, ...]
    conditions: tuple[Condition, ...]  # every condition evaluated, with outcome
    reads: tuple[str, ...]  # variables read from the inherited environment (sorted, unique)
    incomplete: tuple[Incomplete, ...]  # where a cap or an unsupported construct cost precision
    diagnostics: tuple[Diagnostic, ...]  # parse errors with file:line
    missing_scripts: tuple[tuple[Location, str], ...]  # repository-looking scripts absent here
    steps: int = 0  # interpreter steps spent (counted against the repository-wide budget)


@dataclass(frozen=True)
class ScriptDefinitions:
    entries: tuple[ConfigEntry, ...]  # elements of config arrays, with file:line and array name
    commands: tuple[tuple[str, Location], ...]  # leaf commands written in the script
    reads: tuple[str, ...]  # environment variables its conditions read
    diagnostics: tuple[Diagnostic, ...]

    @cached_property
    def by_identity(self) -> dict[str, list[ConfigEntry]]:
        """Its entries by identity, in order (computed once per object: a history walk's
        consecutive inventories share most scripts' definitions)."""
        grouped: dict[str, list[ConfigEntry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.identity, []).append(entry)
        return grouped
