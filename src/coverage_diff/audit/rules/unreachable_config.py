"""unreachable-config: a config entry defined in a script that no job reaches."""

from __future__ import annotations

from typing import Iterable

from ...model import Finding, Severity
from ...reasons import explain_missing
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

Fix: add (or change) a CI step so that it sets the variable the guard reads,
for example `SW_ATTN=1 bash .../config_sweep_accuracy_test.sh`; or delete the
entry if it is meant to be gone; or suppress it with
`# coverage-diff: ignore[unreachable-config] <why>` above the entry.
"""


def check(inventory) -> Iterable[Finding]:
    by_identity: dict[str, list] = {}
    for entry in inventory.unreached_entries():
        by_identity.setdefault(entry.identity, []).append(entry)
    for identity, definitions in by_identity.items():
        scripts = sorted({e.location.path for e in definitions})
        reason = explain_missing(inventory, identity, scripts=scripts)
        first = definitions[0]
        guards = [g.condition.location for g in reason.guards]
        yield new_finding(
            ID,
            SEVERITY,
            identity,
            f"config `{identity}` ({first.array} in {first.location.path}) is defined but no job runs it.",
            config=first,
            reason=reason,
            locations=unique_locations([e.location for e in definitions], guards),
        )
