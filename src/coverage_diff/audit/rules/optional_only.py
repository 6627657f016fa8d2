"""optional-only: a subject reached only by optional, manual or nightly jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ...model import RANK, TIER_TEXT, Finding, Severity, Tier
from ..confidence import rests_on, through
from ..facts import Facts, new_finding, unique_locations

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "optional-only"
SEVERITY = Severity.INFO
DESCRIPTION = """\
A test configuration (or test command) is run only by jobs that do not run
automatically on pull requests or on the default branch: optional steps that
wait behind a manual block (vLLM's nightly build still runs them), steps whose
dependency list can never match (they run only when the whole suite is asked
for: `RUN_ALL`, the run-all label, a change to a core build file, and nightly),
or nightly/scheduled jobs.  The message names the most frequent build that runs
it; "never automatically" only when a person must start it.

This is informational: it may be intended (expensive hardware, slow sweeps),
but a regression in such a configuration is found a day late at best, and only
if someone reads the nightly results.

Fix, when it is not intended: drop `optional: true`, give the step
`source_file_dependencies` that match the code it tests, or add an automatic
step that runs the configuration.
"""


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    jobs = inventory.jobs_by_id
    automatic = {job.id for job in inventory.jobs if job.tier.automatic}
    for subject in sorted(inventory.runs_by_subject):
        runs = inventory.runs_by_subject[subject]
        owners = {run.job_id: jobs[run.job_id] for run in runs if run.job_id in jobs}
        if not owners or any(job.tier.automatic for job in owners.values()):
            continue
        tiers = sorted({job.tier.value for job in owners.values()})
        best = min((job.tier for job in owners.values()), key=RANK.index)
        when = "never automatically" if best is Tier.OPTIONAL else f"{TIER_TEXT[best]}, never on an ordinary pull request"
        labels = sorted({job.label for job in owners.values()})
        entry = next((run.entry for run in runs if run.entry is not None), None)
        # "Only these jobs run it": an automatic job cut short may run its script past the cut.
        scripts = {run.entry.location.path if run.entry else run.location.path for run in runs}
        yield rests_on(new_finding(
            ID,
            SEVERITY,
            subject,
            f"`{subject}` runs only in {', '.join(repr(label) for label in labels[:3])}"
            f"{f' and {len(labels) - 3} more' if len(labels) > 3 else ''} ({'/'.join(tiers)}): {when}.",
            config=entry,
            locations=unique_locations([entry.location if entry else runs[0].location], [job.location for job in owners.values()]),
            details=(("tiers", ",".join(tiers)),),
        ), through(facts, scripts=scripts, jobs=automatic))
