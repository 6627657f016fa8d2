"""path-filter-gap: a Buildkite step's source_file_dependencies miss a file it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ...model import Finding, Job, Location, Severity
from ...snapshot import normalize
from ...ci import front_end
from ..facts import Facts, new_finding

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "path-filter-gap"
SEVERITY = Severity.WARNING
DESCRIPTION = """\
A Buildkite step runs a repository script or reads a config file that its
`source_file_dependencies` do not cover, so a pull request that edits only that
file does not trigger the step: the change merges untested.

Coverage follows vLLM's pipeline generator: an entry covers a path when it is
the path or a path-component prefix of it (`tests/v1/` covers
`tests/v1/a/run.sh`, `tests/v1/ru` does not cover `tests/v1/run.sh`), and `!`
entries exclude.  The files considered are the scripts the step's commands
enter (followed through nested calls) and config files (`.yaml`, `.json`,
`.txt`, `.toml`, ...) named in the arguments of the test commands it runs.

A file matched by the pipeline's `run_all_patterns` (and none of its
`run_all_exclude_patterns`) is not a gap: editing it runs every step.  Which
changes start a step is its CI system's to say (`FrontEnd.path_filter`); a
system without step filters has no gap.

Fix: add the file, or a directory containing it, to the step's
`source_file_dependencies`.
"""

CONFIG_SUFFIXES = (".sh", ".bash", ".yaml", ".yml", ".json", ".txt", ".toml", ".cfg", ".ini", ".conf")


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    reported: set[tuple[str, str, str]] = set()
    for job in inventory.jobs:
        starts = front_end(job.system).path_filter(job)
        if starts is None:
            continue
        deps = job.source_file_dependencies
        for path, where in sorted(_files_run(inventory, job).items()):
            if starts(path) or (job.file, job.key, path) in reported:
                continue
            reported.add((job.file, job.key, path))
            yield new_finding(
                ID,
                SEVERITY,
                f"{job.file}:{job.key}:{path}",
                f"step {job.label!r} ({job.file}) runs {path} (at {where}), but its source_file_dependencies "
                f"({', '.join(deps)}) do not cover it: editing it alone does not trigger the step.",
                locations=(job.location, where),
                details=(("job", job.label), ("file", path)),
            )


def _files_run(inventory: Inventory, job: Job) -> dict[str, Location]:
    """Repository path -> where the step uses it: scripts it enters and config files its runs name."""
    outcome = inventory.outcomes.get(job.id)
    if outcome is None:
        return {}
    found: dict[str, Location] = {}
    for call in outcome.scripts:
        found.setdefault(normalize(call.path), call.location)
    for run in outcome.runs:
        for word in run.argv[1:]:
            for candidate in (word, word.partition("=")[2]):
                path = normalize(candidate) if candidate else ""
                if path.endswith(CONFIG_SUFFIXES) and inventory.snapshot.exists(path):
                    found.setdefault(path, run.location)
    return found
