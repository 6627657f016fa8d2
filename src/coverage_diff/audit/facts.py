"""Facts about one revision that several audit rules need, computed once per audit run.

`run_audit` builds one `Facts` from the inventory and its open world and hands it to
every rule (`check(inventory, facts)`), as ShellCheck hands its `Parameters` to every
check: the costly ones (every job interpreted with its inherited environment left open)
are computed on first use, once, and no rule keeps anything anywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..model import UNSET, Condition, Finding, Job, Location, Severity
from ..shell import JobOutcome
from .confidence import Cut, find_cuts

if TYPE_CHECKING:
    from ..inventory import Inventory
    from ..world import OpenWorld

UNKNOWN = "<unknown>"


@dataclass(frozen=True)
class Setting:
    """A value a job gives a variable, and where that is written."""

    variable: str
    value: str  # UNKNOWN when not known statically
    job: Job
    location: Location


@dataclass(frozen=True, eq=False)
class Facts:
    """What the rules of one audit run share about `inventory`: each fact is computed the
    first time a rule asks for it, and is the same object for every rule after that."""

    inventory: Inventory
    world: OpenWorld  # the inventory's open world: the one door to open-world outcomes

    @cached_property
    def open_outcomes(self) -> dict[str, JobOutcome]:
        """Each job interpreted with every inherited variable unknown: the runs it could make
        (computed together, on every core; shared with explanations)."""
        jobs = self.inventory.jobs
        return {job.id: outcome for job, outcome in zip(jobs, self.world.outcomes(jobs))}

    @cached_property
    def conditions(self) -> list[Condition]:
        """Every condition evaluated by some job, in the real and in the open world."""
        seen: dict[tuple, Condition] = {}
        for outcome in list(self.inventory.outcomes.values()) + list(self.open_outcomes.values()):
            for c in outcome.conditions:
                seen.setdefault((c.location, c.text, c.outcome), c)
        return list(seen.values())

    @cached_property
    def guards_by_variable(self) -> dict[str, list[Condition]]:
        """Variable -> the distinct conditions (location, text) that read it."""
        found: dict[str, dict[tuple, Condition]] = defaultdict(dict)
        for c in self.conditions:
            for name in c.variables:
                found[name].setdefault((c.location, c.text), c)
        return {name: list(conds.values()) for name, conds in found.items()}

    @cached_property
    def variables_read(self) -> set[str]:
        """Anything a job or script reads from its environment, guard or not."""
        names = set(self.guards_by_variable)
        for outcome in list(self.inventory.outcomes.values()) + list(self.open_outcomes.values()):
            names.update(outcome.reads)
        for definitions in self.inventory.definitions.values():
            names.update(definitions.reads)
        return names

    @cached_property
    def job_settings(self) -> list[Setting]:
        """What jobs themselves set, with the place it is written: step `env`, and prefixes or
        exports on the job's own command lines (not what scripts set internally)."""
        return _job_settings(self.inventory)

    @cached_property
    def cuts(self) -> list[tuple[str, Cut]]:
        """Every place where a job's analysis (real or with the inherited environment open)
        was cut, with what its unanalysed rest may touch (`confidence.py`)."""
        return find_cuts(self.inventory, self.open_outcomes)


def is_set_by_some_job(inventory: Inventory, name: str) -> bool:
    """Whether any job gives `name` a non-empty (or unknown) value anywhere on its path."""
    if name in inventory.settings.ambient:
        return True
    return any(value not in ("", UNSET) for _label, value in inventory.variables_set.get(name, ()))


def chosen_by_job(setting: Setting) -> bool:
    """Whether the job writes the value itself, rather than passing on what the run gives every
    job (a runner's predefined variable, `NAME: ${{ github.ref }}`: the front-ends' "env-from-run")."""
    return setting.variable not in dict(setting.job.attributes).get("env-from-run", "").split()


def _job_settings(inventory: Inventory) -> list[Setting]:
    found: dict[tuple, Setting] = {}
    jobs = inventory.jobs_by_id
    for job in inventory.jobs:
        for name, value in job.env:
            found.setdefault((name, value, job.id), Setting(name, value, job, job.location))
        for name in job.unknown_env:
            found.setdefault((name, UNKNOWN, job.id), Setting(name, UNKNOWN, job, job.location))
    for calls in inventory.script_calls.values():
        for call in calls:
            job = jobs.get(call.job_id)
            if job is None or call.location.path != job.file:
                continue
            for name, value in call.env:
                found.setdefault((name, value, job.id), Setting(name, value, job, call.location))
    for run in inventory.runs:
        job = jobs.get(run.job_id)
        if job is None or run.location.path != job.file:
            continue
        for name, value in run.env:
            found.setdefault((name, value, job.id), Setting(name, value, job, run.location))
    return list(found.values())


# --------------------------------------------------------------------------- findings
def new_finding(rule_id: str, severity: Severity, subject: str, message: str, **fields) -> Finding:
    """An audit finding: `kind` and `rule` both carry the rule id."""
    return Finding(kind=rule_id, rule=rule_id, subject=subject, severity=severity, message=message, **fields)


def unique_locations(*groups) -> tuple[Location, ...]:
    return tuple(dict.fromkeys(loc for group in groups for loc in group if loc is not None and loc.path))
