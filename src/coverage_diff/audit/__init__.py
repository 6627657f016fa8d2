"""The audit: rules over one revision's inventory, for the nightly job.

Each rule is a small module in `audit/rules/` with `ID`, `SEVERITY`,
`DESCRIPTION` (the risk and the fix, for docs and SARIF) and
`check(inventory, facts) -> Iterable[Finding]`: `facts` (`audit/facts.py`) holds what
several rules need, built once per run.  Adding a rule is one module plus one line in
`RULES`.
"""

from __future__ import annotations

from collections import Counter
from types import ModuleType
from typing import TYPE_CHECKING

from ..model import Finding, Report
from .facts import Facts
from .rules import (
    ignored_key,
    missing_script,
    near_miss_variable,
    optional_only,
    path_filter_gap,
    unreachable_config,
    unset_switch,
    value_mismatch,
)

RULES: list[ModuleType] = [
    unreachable_config,
    unset_switch,
    near_miss_variable,
    missing_script,
    path_filter_gap,
    value_mismatch,
    optional_only,
    ignored_key,
]


def rule(rule_id: str) -> ModuleType:
    for module in RULES:
        if module.ID == rule_id:
            return module
    raise KeyError(f"unknown rule {rule_id!r}; rules: {', '.join(m.ID for m in RULES)}")


def run_audit(inventory: Inventory, world: OpenWorld, settings: Settings | None = None, *,
              rules: list[str] | None = None, suppress: bool = True) -> Report:
    """Every finding of the selected rules (default: all) at the inventory's revision,
    minus inline `# coverage-diff: ignore[...]` comments and the settings' `ignore` list.
    `world` is the inventory's open world (`world.open_world`)."""
    from .. import suppress as suppressions

    settings = settings or inventory.settings
    selected = [rule(r) for r in rules] if rules else RULES
    facts = Facts(inventory, world)
    findings: list[Finding] = []
    for module in selected:
        findings += module.check(inventory, facts)
    suppressed: list[Finding] = []
    if suppress:
        findings, suppressed = suppressions.apply(findings, inventory.snapshot, settings)
    findings.sort(key=sort_key)
    counts = Counter(f.rule for f in findings)
    return Report(
        command="audit",
        head=inventory.snapshot.name,
        findings=tuple(findings),
        diagnostics=tuple(inventory.diagnostics),
        incomplete=tuple(inventory.incomplete),
        summary=tuple((m.ID, counts.get(m.ID, 0)) for m in selected)
        + (("suppressed", len(suppressed)), ("jobs", len(inventory.jobs)), ("runs", len(inventory.runs))),
    )


def sort_key(finding: Finding) -> tuple:
    return (-finding.severity.rank, finding.rule or finding.kind, finding.subject)


def audit_command_report(session, revision: str = "HEAD", *, since: str | None = None, until: str = "HEAD",
                         rules: list[str] | None = None, progress=None) -> Report:
    """What `coverage-diff audit` reports: the rules at one revision, or with `since`, every
    loss introduced along first-parent history.  Inventories of commits come from the
    session's cache (`Session.cache`, off with `--no-cache`) when it has them ("" = the
    working tree, never stored)."""
    from ..engine.walk import HistoryWalk
    from ..history import audit_history
    from ..snapshot import resolve
    from ..world import open_world

    if since is not None:
        return audit_history(session, since, until, progress=progress)
    if revision == "":
        inventory = session.inventory("")
        return run_audit(inventory, open_world(inventory), rules=rules)
    commit = resolve(session.repo, revision)
    from ..snapshot import git

    tree = git(session.repo, "rev-parse", f"{commit}^{{tree}}").decode().strip()
    walk = HistoryWalk(session.repo, session.reader, session.cache, session.settings, session.workers, session.context)
    inventory = walk.inventory(commit, tree, revision)
    return run_audit(inventory, open_world(inventory), rules=rules)
