"""missing-script: a job or script invokes a repository script that does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ...model import Finding, Severity
from ..facts import Facts, new_finding

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "missing-script"
SEVERITY = Severity.ERROR
DESCRIPTION = """\
A job, or a script a job runs, calls a script by a repository path that does
not exist at this revision (`bash tests/foo/run_sweep.sh` after the file was
moved or renamed).

In CI the command fails, or, under `|| true`, a soft-fail step or a wrapper
that ignores exit codes, it fails silently and the tests it would have run are
gone.  Paths are resolved the way CI resolves them: relative to the step's
working directory (vLLM: `/vllm-workspace/tests`), or to the caller's cwd for
nested calls.

Fix: point the call at the script's new path, or restore the script.
"""


def _path_like(path: str) -> bool:
    """An option (`sh -s -- -y`) or an inline program text is never a repository script, and a
    virtual environment's `bin/activate` is made when the job runs (`uv venv`, `python -m venv`)."""
    return (bool(path) and not path.rsplit("/", 1)[-1].startswith("-") and not any(c in path for c in " \t\n")
            and not path.endswith("/bin/activate"))


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    calls: dict[str, list] = {}
    for job in inventory.jobs:
        outcome = inventory.outcomes.get(job.id)
        for location, path in outcome.missing_scripts if outcome else ():
            if _path_like(path):
                calls.setdefault(path, []).append((location, job))
    for path in sorted(calls):
        places = list(dict.fromkeys(loc for loc, _ in calls[path]))
        labels = sorted({job.label for _, job in calls[path]})
        shown = ", ".join(repr(label) for label in labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        yield new_finding(
            ID,
            SEVERITY,
            path,
            f"{path} is called at {places[0]} (by {shown}) but does not exist at this revision.",
            locations=tuple(places),
            details=(("jobs", ", ".join(labels)),),
        )
