"""The gate for a head revision analysed only in part (`fail-on-incomplete`).

A loss whose runs went through a place where the head's analysis was cut (a cap, the
wall-clock budget, text the parser could not read) is a warning with `confidence:
incomplete`, since the cut may be what hid its runs.  A pull request built to be slow or
oversized could use that to soften its own loss into a warning.  So a diff fails the gate
when the head was cut where it matters, at one of these levels (from the base's settings
or `--config`, which the head may only make stricter; `--fail-on-incomplete` overrides):

- `never`: cut parts never fail the gate by themselves (a downgraded loss is a warning);
- `downgraded`: a loss downgraded because the head's analysis was cut on its way fails;
- `budget` (the default): that, or the head revision ran out of a revision-wide budget
  (`max-seconds`, `max-total-steps`, a CI file's fan-out budget), whatever it found;
- `cut`: any part of the head revision's analysis cut short fails.
"""

from __future__ import annotations

from .config import INCOMPLETE_LEVELS as LEVELS
from .deadline import REASON as OUT_OF_TIME
from .model import Incomplete, Report

TOTAL_STEPS = "total step budget"  # how the revision's step budget's incomplete entries start (inventory.py)
FAN_OUT = "fans out to more than"  # in a CI file's fan-out entry (ci/budget.py; a stored report loads no front-end)


def budget_of(item: Incomplete) -> str:
    """The revision-wide budget an incomplete entry says ran out, or ""."""
    if item.reason.startswith(OUT_OF_TIME):
        return "max-seconds"
    if item.reason.startswith(TOTAL_STEPS):
        return "max-total-steps"
    if FAN_OUT in item.reason:
        return "fan-out"
    return ""


def head_cuts(incomplete) -> tuple[Incomplete, ...]:
    """The entries of a head revision that left part of it unanalysed: cuts and budgets."""
    return tuple(item for item in incomplete if item.cut or budget_of(item))


def failure(report: Report, level: str) -> str:
    """Why `report` fails the gate at `level` because its head was analysed only in part; ""
    when it does not."""
    if level == "never":
        return ""
    from .acknowledge import gating
    from .kinds import LOSS_KINDS

    setting = f"fail-on-incomplete = {level}"
    downgraded = [f for f in gating(report.findings)
                  if f.kind in LOSS_KINDS and not f.rule and dict(f.details).get("confidence") == "incomplete"]
    if downgraded:
        return (f"{len(downgraded)} loss{'es' if len(downgraded) != 1 else ''} downgraded to a warning because the head's "
                f"analysis was cut on {'their' if len(downgraded) != 1 else 'its'} way counts as an error ({setting})")
    cuts = report.head_cut
    budgets = sorted({b for b in map(budget_of, cuts) if b})
    if level in ("budget", "cut") and budgets:
        first = next(item for item in cuts if budget_of(item))
        return (f"the head revision ran out of its {' and '.join(budgets)} budget (first at {first.location}): "
                f"what was left unanalysed may hide losses ({setting})")
    if level == "cut" and cuts:
        return (f"the head revision's analysis was cut short at {len(cuts)} place{'s' if len(cuts) != 1 else ''} "
                f"(first at {cuts[0].location}: {cuts[0].reason}) ({setting})")
    return ""
