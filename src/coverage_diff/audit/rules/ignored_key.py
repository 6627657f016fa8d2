"""ignored-key: a step key the CI system silently drops."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ...model import Finding, Severity
from ..facts import Facts, new_finding

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "ignored-key"
SEVERITY = Severity.WARNING
DESCRIPTION = """\
A step uses a key that the CI system ignores without a word.

vLLM's pipeline generator reads steps with a fixed set of keys and drops every
other one.  A step written with `command:` (singular) instead of `commands:`
runs only the generator's setup lines and no test at all (reported as an
error); `num_gpus`, `autorun_on_main`, `fast_check`, `grade` or
`mirror.amd.parallelism` simply have no effect, so the step does not run where
or when its author thinks.

Fix: use the key the generator reads (`commands`, `num_devices`,
`mirror.amd` without `parallelism`...) or delete the key.
"""

NO_TEST_KEYS = frozenset({"command", "mirror.amd.command"})


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    seen: set[tuple[str, str, str]] = set()
    for job in inventory.jobs:
        for key, location in job.ignored_keys:
            base_key = job.key.removeprefix("amd-") if key.startswith("mirror.") else job.key
            if (job.file, base_key, key) in seen:
                continue  # shards and mirrors repeat the step's keys
            seen.add((job.file, base_key, key))
            runs_nothing = key in NO_TEST_KEYS and not job.commands
            effect = "so the step runs no test at all" if runs_nothing else "so it has no effect"
            hint = " (did you mean `commands:`?)" if key.endswith("command") else ""
            yield new_finding(
                ID,
                Severity.ERROR if runs_nothing else SEVERITY,
                f"{job.file}:{base_key}:{key}",
                f"step {job.label!r} sets `{key}`, which {job.system} ignores, {effect}{hint}.",
                locations=(location,),
                details=(("key", key), ("job", job.label)),
            )
