"""unreachable-config: a config entry defined in a script that no job reaches."""

from __future__ import annotations

from typing import Iterable

from ...model import Finding, Severity
from ...reasons import explain_missing, jobs_reaching
from ..facts import new_finding, unique_locations

ID = "unreachable-config"
SEVERITY = Severity.ERROR
DESCRIPTION = """\
A config entry is defined in a sweep script, but no CI job reaches it.

Sweep scripts pick one config array by environment-variable guards
(`if [[ -n "${SW_ATTN:-}" ]]; then configs=("${sw_attn_configs[@]}")`).  When no
job sets the variable a guard needs, the entries behind it are never tested,
and nothing fails: the test simply stops existing.  This is how vLLM's gemma-3
PD test went silent after it moved from `tp_configs` into `sw_attn_configs`.

The finding names the guards that block every path to the entry, the variables
they read, the values the jobs reaching the script provide, and a step to add.

Severity: an error when a guard blocks the entry, or when the entry belongs to
a test (a script under a `tests/` directory, a config-list file) that no job
runs.  Entries of a tool or benchmark script no job runs, and values a script
CI runs hands only to setup commands (files to download, messages), are
informational: they are not test configurations CI could be missing.

Fix: add (or change) a CI step so that it sets the variable the guard reads,
for example `SW_ATTN=1 bash .../config_sweep_accuracy_test.sh`; or delete the
entry if it is meant to be gone; or suppress it with
`# coverage-diff: ignore[unreachable-config] <why>` above the entry.
"""


def _severity(inventory, scripts: list[str], first, reason) -> tuple[Severity, str]:
    """An error when a guard blocks the entry, or when it belongs to a test (a script under a
    test directory, a config-list file) that no job runs.  Otherwise the array is not a test
    config CI could miss: a tool or benchmark script no job runs, or values a reached script
    hands only to setup commands (files it downloads, messages): informational."""
    if reason.guards:
        return SEVERITY, ""
    reached = bool(jobs_reaching(inventory, scripts))
    test = first.array == first.location.path or any(_under_tests(p) for p in scripts)
    if not reached and test:
        return SEVERITY, ""
    if reached:
        return Severity.INFO, " as a test (its values reach no test command)"
    return Severity.INFO, " (a script outside the test tree that no CI job runs)"


def _under_tests(path: str) -> bool:
    return any(part in ("tests", "test") for part in path.split("/")[:-1])


def check(inventory) -> Iterable[Finding]:
    by_identity: dict[str, list] = {}
    for entry in inventory.unreached_entries():
        by_identity.setdefault(entry.identity, []).append(entry)
    for identity, definitions in by_identity.items():
        scripts = sorted({e.location.path for e in definitions})
        reason = explain_missing(inventory, identity, scripts=scripts)
        first = definitions[0]
        guards = [g.condition.location for g in reason.guards]
        severity, note = _severity(inventory, scripts, first, reason)
        yield new_finding(
            ID,
            severity,
            identity,
            f"config `{identity}` ({first.array} in {first.location.path}) is defined but no job runs it{note}.",
            config=first,
            reason=reason,
            locations=unique_locations([e.location for e in definitions], guards),
        )
