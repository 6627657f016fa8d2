"""unset-switch: a variable a guard reads, that gates entries or runs, and that no job sets."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Iterable

from ...model import Condition, Finding, Guard, Reason, Severity
from ...reasons import explain_missing, near_misses
from ...world import closed_outcomes, unmet
from ..confidence import rests_on, through
from ..facts import Facts, is_set_by_some_job, new_finding, unique_locations

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "unset-switch"
SEVERITY = Severity.WARNING
DESCRIPTION = """\
A guard reads an environment variable that decides whether some config entries
or test commands run, and no CI job ever sets that variable.

The branch behind such a guard is dead in CI: everything only it reaches is
never tested (see `unreachable-config` for the entries themselves).  A guard
that only changes arguments of runs that happen anyway (for instance a backend
flag) is not reported: it loses a variant, not a test.

Fix: set the variable in a step that runs the script (often a copy of an
existing step with `VAR=1` prefixed to its command), or remove the dead branch.
"""


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    guards = facts.guards_by_variable
    unset = {name for name in guards if not is_set_by_some_job(inventory, name)}
    if not unset:
        return
    # A variable gates a subject when every open-world path to it needs a guard on the
    # variable that no job satisfies: a guard on one path only (a backend flag) does not.
    needed: dict[str, set[str]] = {}
    conds: dict[str, dict[tuple, tuple[Condition, bool]]] = defaultdict(dict)
    scripts: dict[str, str] = {}
    reached = inventory.runs_by_subject
    for job_id, opened in facts.open_outcomes.items():
        closed = closed_outcomes(inventory.outcomes.get(job_id))
        for run in opened.runs:
            if run.subject in reached:
                continue  # it runs anyway: the guard only picks a variant
            names = set()
            for assumption in unmet(run.assumptions, closed):
                cond = assumption.condition
                for name in set(cond.variables) & unset:
                    names.add(name)
                    conds[name].setdefault((cond.location, cond.text), (cond, cond.outcome))
            needed[run.subject] = needed[run.subject] & names if run.subject in needed else names
            scripts.setdefault(run.subject, run.entry.location.path if run.entry is not None else run.location.path)
    gated: dict[str, dict[str, str]] = defaultdict(dict)  # variable -> subject -> script it is in
    for subject, names in needed.items():
        for name in names:
            gated[name][subject] = scripts[subject]
    blockers = {name: {k: v for k, v in conds[name].items()} for name in gated}
    for name in sorted(gated):
        yield _finding(inventory, facts, name, gated[name], list(blockers[name].values()))


def _finding(inventory: Inventory, facts: Facts, name: str, subjects: dict[str, str], conds: list[tuple[Condition, bool]]) -> Finding:
    conds.sort(key=lambda pair: (pair[0].location.path, pair[0].location.line))
    where = ", ".join(f"`{c.text}` ({c.location})" for c, _ in conds[:3])
    count = len(subjects)
    shown = "; ".join(f"`{s}`" for s in sorted(subjects)[:3]) + (f" and {count - 3} more" if count > 3 else "")
    text = f"{name} is read by {where}, which gates {count} subject(s) no job runs ({shown}), but no job sets {name}."
    first = sorted(subjects)[0]
    fix = explain_missing(inventory, first, scripts=[subjects[first]]).fix
    reason = Reason(
        text=text,
        variables=(name,),
        guards=tuple(Guard(c, needed) for c, needed in conds),
        near_misses=near_misses(inventory, (name,)),
        fix=fix,
    )
    # "No job sets it" and "no job runs them": a cut that may set it or run their scripts.
    cut = through(facts, sets=(name,), scripts=set(subjects.values()))
    return rests_on(new_finding(
        ID,
        SEVERITY,
        name,
        f"{name} gates {count} subject(s) that no job runs, and no job sets it.",
        reason=reason,
        locations=unique_locations([c.location for c, _ in conds]),
        details=(("gates", str(count)),),
    ), cut)
