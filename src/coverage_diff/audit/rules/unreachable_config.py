"""unreachable-config: a config entry defined in a script that no job reaches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ...model import Finding, Severity
from ...reasons import caller_cwd, explain_missing
from ...snapshot import match_glob
from ...subjects import is_test_command
from ..confidence import rests_on, through
from ..facts import Facts, new_finding, unique_locations

if TYPE_CHECKING:
    from ...inventory import Inventory

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

Only arrays whose elements flow into a test run count (a loop over file names
that feeds `curl` is no test configuration), and only scripts some job reaches,
unless `audit-scripts` (globs) opts others in: benchmarks, examples and
maintainer tools are outside CI's reach by default.

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


def _severity(inventory: Inventory, scripts: list[str], first, reason) -> tuple[Severity, str]:
    """An error when a guard blocks the entry, or when it belongs to a test (a script under a
    test directory, a config-list file) that no job runs.  Otherwise the array is not a test
    config CI could miss: a tool or benchmark script no job runs, or values a reached script
    hands only to setup commands (files it downloads, messages): informational."""
    if reason.guards:
        return SEVERITY, ""
    reached = bool(inventory.jobs_reaching(scripts))
    test = first.array == first.location.path or any(_under_tests(p) for p in scripts)
    if not reached and test:
        return SEVERITY, ""
    if reached:
        return Severity.INFO, " as a test (its values reach no test command)"
    return Severity.INFO, " (a script outside the test tree that no CI job runs)"


def _under_tests(path: str) -> bool:
    return any(part in ("tests", "test") for part in path.split("/")[:-1])


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    by_identity: dict[str, list] = {}
    arrays = test_arrays(facts)
    for entry in inventory.unreached_entries():
        if (entry.location.path, entry.array) in arrays or entry.array == entry.location.path:  # a config list's lines
            by_identity.setdefault(entry.identity, []).append(entry)
    for identity, definitions in by_identity.items():
        scripts = sorted({e.location.path for e in definitions})
        reason = explain_missing(inventory, identity, scripts=scripts)
        first = definitions[0]
        guards = [g.condition.location for g in reason.guards]
        severity, note = _severity(inventory, scripts, first, reason)
        # A guard that blocks it rests on "no job sets its variables": a cut that may set one.
        # Otherwise on "no job reaches it": a cut in its script, or one that may run the script.
        cut = through(facts, sets=reason.variables) if reason.guards else through(facts, scripts=scripts)
        yield rests_on(new_finding(
            ID,
            severity,
            identity,
            f"config `{identity}` ({first.array} in {first.location.path}) is defined but no job runs it{note}.",
            config=first,
            reason=reason,
            locations=unique_locations([e.location for e in definitions], guards),
        ), cut)


def test_arrays(facts: Facts) -> set[tuple[str, str]]:
    """(file, array) of the config arrays whose elements flow into a test command: in some
    job's run, real or with every inherited variable open.  An array that feeds only other
    programs (file names for `curl`, binaries to sign or package, a runtime list of failures)
    is no test configuration, even though those runs are subjects of a diff.  Scripts no job
    reaches (benchmarks, examples, maintainer tools) count only where the settings opt in
    (`audit-scripts`, by default `tests/**/*` and `test/**/*`): each is then run on its own with every variable open."""

    inventory, opened = facts.inventory, facts.open_outcomes.values()
    settings = inventory.settings
    runs = list(inventory.runs) + [run for outcome in opened for run in outcome.runs]
    reached = {call.path for outcome in opened for call in outcome.scripts}
    for path in sorted(inventory.definitions):
        if path not in reached and path not in inventory.script_calls and any(match_glob(path, g) for g in settings.audit_scripts):
            runs += facts.world.script_outcome(path, caller_cwd(inventory, path)).runs
    return {(e.location.path, e.array) for run in runs if is_test_command(run, settings) for e in run.entries or ()}
