"""near-miss-variable: a job sets a variable nothing reads, a near miss of one a guard reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ...model import Finding, Guard, Reason, Severity
from ...reasons import is_near_miss
from ..confidence import rests_on, through
from ..facts import Facts, chosen_by_job, new_finding, unique_locations

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "near-miss-variable"
SEVERITY = Severity.WARNING
DESCRIPTION = """\
A job sets a variable that no script reads, and its name is one or two edits
away from a variable a guard does read (`SW_ATTEN` for `SW_ATTN`,
`FLASH_INFER` for `FLASHINFER`).

The step was almost certainly meant to switch the guard on; as written it runs
the default branch, so the configuration it was added for is never tested.

Fix: spell the variable the way the script reads it.
"""


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    guards = facts.guards_by_variable
    read = facts.variables_read
    seen: set[tuple[str, str]] = set()
    for setting in sorted(facts.job_settings, key=lambda s: (s.variable, s.job.id)):
        name = setting.variable
        if name in read or name in inventory.settings.ambient or not chosen_by_job(setting):
            continue  # (a variable the runner gives every job is no one's typo)
        for wanted in sorted(guards):
            if wanted == name or not is_near_miss(name, wanted) or (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            conds = guards[wanted]
            setters = [s for s in facts.job_settings if s.variable == name]
            labels = sorted({s.job.label for s in setters})
            text = (f"job {labels[0]!r}{f' (and {len(labels) - 1} more)' if len(labels) > 1 else ''} sets {name}, which nothing reads; "
                    f"the guard `{conds[0].text}` ({conds[0].location}) reads {wanted}.")
            yield rests_on(new_finding(
                ID,
                SEVERITY,
                f"{name}->{wanted}",
                f"{name} is set by a job but read by nothing: a near miss of {wanted}, which a guard reads.",
                reason=Reason(
                    text=text,
                    variables=(wanted,),
                    guards=tuple(Guard(c, True) for c in conds),
                    near_misses=tuple((name, wanted, label) for label in labels),
                    fix=f"Rename {name} to {wanted} where it is set ({', '.join(str(s.location) for s in setters[:3])}).",
                ),
                locations=unique_locations([s.location for s in setters], [c.location for c in conds]),
            ), through(facts, reads=(name,)))  # "read by nothing": nothing the analysis saw
