"""Facts about one inventory that several audit rules need.

Some of them cost an interpretation of every job with the inherited environment
left open (`open_world=True`), so they are computed once per inventory and kept
on it: rules stay plain functions of the inventory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Condition, Finding, Job, Location, Severity
from ..shell import JobOutcome
from ..world import open_world

if TYPE_CHECKING:
    from ..inventory import Inventory

UNSET = "<unset>"
UNKNOWN = "<unknown>"


@dataclass(frozen=True)
class Setting:
    """A value a job gives a variable, and where that is written."""

    variable: str
    value: str  # UNKNOWN when not known statically
    job: Job
    location: Location


def memo(inventory, name: str, compute):
    """Compute a fact once per inventory (the inventory is not hashable)."""
    store = inventory.__dict__.setdefault("_audit_facts", {})
    if name not in store:
        store[name] = compute()
    return store[name]


def open_outcomes(inventory: Inventory) -> dict[str, JobOutcome]:
    """Each job interpreted with every inherited variable unknown: the runs it could make
    (computed together, on every core; shared with explanations)."""

    def compute():
        return {job.id: outcome for job, outcome in zip(inventory.jobs, open_world(inventory).outcomes(inventory.jobs))}

    return memo(inventory, "open_outcomes", compute)


def conditions(inventory) -> list[Condition]:
    """Every condition evaluated by some job, in the real and in the open world."""

    def compute():
        seen: dict[tuple, Condition] = {}
        for outcome in list(inventory.outcomes.values()) + list(open_outcomes(inventory).values()):
            for c in outcome.conditions:
                seen.setdefault((c.location, c.text, c.outcome), c)
        return list(seen.values())

    return memo(inventory, "conditions", compute)


def guards_by_variable(inventory) -> dict[str, list[Condition]]:
    """Variable -> the distinct conditions (location, text) that read it."""

    def compute():
        found: dict[str, dict[tuple, Condition]] = defaultdict(dict)
        for c in conditions(inventory):
            for name in c.variables:
                found[name].setdefault((c.location, c.text), c)
        return {name: list(conds.values()) for name, conds in found.items()}

    return memo(inventory, "guards_by_variable", compute)


def variables_read(inventory) -> set[str]:
    """Anything a job or script reads from its environment, guard or not."""

    def compute():
        names = set(guards_by_variable(inventory))
        for outcome in list(inventory.outcomes.values()) + list(open_outcomes(inventory).values()):
            names.update(outcome.reads)
        for definitions in inventory.definitions.values():
            names.update(definitions.reads)
        return names

    return memo(inventory, "variables_read", compute)


def is_set_by_some_job(inventory, name: str) -> bool:
    """Whether any job gives `name` a non-empty (or unknown) value anywhere on its path."""
    if name in inventory.settings.ambient:
        return True
    return any(value not in ("", UNSET) for _label, value in inventory.variables_set.get(name, ()))


def chosen_by_job(setting: Setting) -> bool:
    """Whether the job writes the value itself, rather than passing on what the run gives every
    job (a runner's predefined variable, `NAME: ${{ github.ref }}`: the front-ends' "env-from-run")."""
    return setting.variable not in dict(setting.job.attributes).get("env-from-run", "").split()


def job_settings(inventory) -> list[Setting]:
    """What jobs themselves set, with the place it is written: step `env`, and prefixes or
    exports on the job's own command lines (not what scripts set internally)."""

    def compute():
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

    return memo(inventory, "job_settings", compute)


# --------------------------------------------------------------------------- paths
def dependency_covers(dependencies, path: str) -> bool:
    """vLLM's generator rule: a path-component prefix match on some entry and on no `!` entry."""
    includes = [d for d in dependencies if not d.startswith("!")]
    excludes = [d[1:] for d in dependencies if d.startswith("!")]
    return any(_prefix_match(d, path) for d in includes) and not any(_prefix_match(d, path) for d in excludes)


def _prefix_match(dependency: str, path: str) -> bool:
    dep = dependency.strip().rstrip("/")
    return bool(dep) and (path == dep or path.startswith(dep + "/"))


# --------------------------------------------------------------------------- findings
def new_finding(rule_id: str, severity: Severity, subject: str, message: str, **fields) -> Finding:
    """An audit finding: `kind` and `rule` both carry the rule id."""
    return Finding(kind=rule_id, rule=rule_id, subject=subject, severity=severity, message=message, **fields)


def unique_locations(*groups) -> tuple[Location, ...]:
    return tuple(dict.fromkeys(loc for group in groups for loc in group if loc is not None and loc.path))
