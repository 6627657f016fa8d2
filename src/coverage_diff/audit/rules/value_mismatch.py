"""value-mismatch: a job sets a variable to a value no guard on it accepts."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Iterable

from dataclasses import replace

from ...model import Comparison, Condition, Finding, Guard, Reason, Severity, Word
from ...reasons import required_value
from ..confidence import rests_on, through
from ..facts import UNKNOWN, Facts, chosen_by_job, new_finding, unique_locations

if TYPE_CHECKING:
    from ...inventory import Inventory

ID = "value-mismatch"
SEVERITY = Severity.WARNING
DESCRIPTION = """\
A job sets a variable to a value that no guard reading it tells apart from
leaving it unset: `X=True` where every guard asks `[[ "$X" == 1 ]]`, or
`BACKEND=flashinfer` where the script matches `FLASHINFER`.

The step looks like it selects a configuration, but the script takes its
default branch, so the configuration is never tested.  Guards that test for a
non-empty value (`[[ -n "$X" ]]`, `[[ $X ]]`) accept any value and are never
reported; guards too complex to evaluate statically are assumed to accept.
A value that spells "off" (`false`, `0`, `no`, `off`...) taken as off is what
it says, and a value the job copies from the run (`REF: ${{ github.ref }}`,
known per event but chosen by none) selects nothing: neither is reported.

Fix: set the value the guard compares with (shown in the finding), or make the
guard accept the value.
"""


def check(inventory: Inventory, facts: Facts) -> Iterable[Finding]:
    reported: set[tuple[str, str]] = set()
    opened = facts.open_outcomes
    for setting in sorted(facts.job_settings, key=lambda s: (s.variable, s.value, s.job.id)):
        name, value = setting.variable, setting.value
        if value in ("", UNKNOWN) or (name, value) in reported or _not_a_choice(setting):
            continue
        guards = _guards(name, [inventory.outcomes.get(setting.job.id), opened.get(setting.job.id)])
        if not guards or any(accepts(g, name, value) is not False for g in guards):
            continue
        reported.add((name, value))
        where = ", ".join(f"`{g.text}` ({g.location})" for g in guards[:3])
        text = f"job {setting.job.label!r} sets {name}={value}, but no guard reading {name} accepts that value: {where}."
        # The guards are those the job's analysis met: one past a cut of it may accept the value.
        cut = through(facts, reads=(name,), jobs={setting.job.id})
        yield rests_on(new_finding(
            ID,
            SEVERITY,
            f"{name}={value}",
            f"{name}={value} (set by {setting.job.label!r}) is a value no guard on {name} accepts.",
            reason=Reason(text=text, variables=(name,), guards=tuple(Guard(g, True) for g in guards), fix=_fix(name, guards)),
            locations=unique_locations([setting.location], [g.location for g in guards]),
            details=(("job", setting.job.label),),
        ), cut)


OFF = frozenset({"false", "0", "no", "off", "n", "none", "disabled", "disable"})


def _not_a_choice(setting) -> bool:
    """An "off" value (the guards taking it as off is what it means), or a value the job copies
    from the run's context rather than chooses (GitHub Actions' `env-from-run` attribute)."""
    return setting.value.strip().lower() in OFF or not chosen_by_job(setting)


def _fix(name: str, guards: list[Condition]) -> str:
    wanted = required_value(replace(guards[0], outcome=True), name)
    return f"Set {name}={wanted}, the value `{guards[0].text}` compares with." if wanted else ""


def _guards(name: str, outcomes) -> list[Condition]:
    found: dict[tuple, Condition] = {}
    for outcome in outcomes:
        for c in outcome.conditions if outcome else ():
            # A value the job gives the variable may not count as "read from the
            # environment" in `variables`: the words the condition expands say which guards read it.
            if name in c.variables or (c.compares is not None and name in c.compares.reads):
                found.setdefault((c.location, c.text), c)
    return sorted(found.values(), key=lambda c: (c.location.path, c.location.line))


# --------------------------------------------------------------------------- a tiny guard evaluator
_BINARY = frozenset({"==", "=", "!=", "=~", "-eq", "-ne", "-gt", "-lt", "-ge", "-le"})


def accepts(condition: Condition, name: str, value: str) -> bool | None:
    """Whether setting `name=value` changes the guard's outcome from leaving `name` unset.
    None when the guard is not a simple test of `name` alone.  A `!` turns both outcomes
    alike, so it is left out."""
    compared = condition.compares
    if compared is None:
        return None
    with_value, unset = outcome(compared, name, value), outcome(compared, name, None)
    if with_value is None or unset is None:
        return None
    return with_value != unset


def outcome(compared: Comparison, name: str, value: str | None) -> bool | None:
    """The test's outcome (without its `!`) with `name` set to `value` (None: unset), from the
    words the interpreter recorded; None when it reads anything else or is not one test."""
    op = compared.operator
    subject = _expand(compared.left, name, value)
    if subject is None:
        return None
    if op == "case":
        alternatives = [_pattern(word, name, value) for word in compared.alternatives]
        if not alternatives or any(p is None for p in alternatives):
            return None
        return any(fnmatch.fnmatchcase(subject, p) for p in alternatives)
    if op in ("-n", "-z"):
        return (subject != "") == (op == "-n")
    if op not in _BINARY:
        return None
    if op in ("==", "=", "!=") and compared.extended:
        pattern = _pattern(compared.right, name, value)
        if pattern is None:
            return None
        same = fnmatch.fnmatchcase(subject, pattern)
        return same if op != "!=" else not same
    other = _expand(compared.right, name, value)
    if other is None:
        return None
    if op in ("==", "=", "!="):
        return (subject == other) == (op != "!=")
    if op == "=~":
        try:
            return re.search(_regex(compared.right, name, value), subject) is not None
        except re.error:
            return None
    a, b = _integer(subject, compared.extended), _integer(other, compared.extended)
    if a is None or b is None:
        return False  # `[ x -eq 1 ]` is an error: the test fails
    return {"-eq": a == b, "-ne": a != b, "-gt": a > b, "-lt": a < b, "-ge": a >= b, "-le": a <= b}[op]


def _integer(text: str, double: bool) -> int | None:
    text = text.strip()
    digits = text[1:] if text[:1] in ("+", "-") else text
    if digits.isascii() and digits.isdigit():
        return int(text)
    if double and (text == "" or (text.isascii() and text.isidentifier())):
        return 0  # `[[ ]]` evaluates a word as a variable name: an unset one is 0
    return None


def _values(word: Word, name: str, value: str | None) -> list[tuple[str, bool]] | None:
    """The word's pieces as (text, quoted) with `$name` expanded; None if it reads another
    variable (or an argument) or is not made of pieces the structure knows."""
    if word is None:
        return None
    out = []
    for piece in word:
        if not piece.variable:
            out.append((piece.text, piece.quoted))
            continue
        if piece.variable != name:
            return None
        op, default = piece.operator, piece.text
        if op == "":
            text = value or ""
        elif op in (":-", ":="):
            text = value if value else default
        elif op in ("-", "="):
            text = value if value is not None else default
        elif op == ":+":
            text = default if value else ""
        else:  # "+"
            text = default if value is not None else ""
        out.append((text, piece.quoted))
    return out


def _expand(word: Word, name: str, value: str | None) -> str | None:
    values = _values(word, name, value)
    return None if values is None else "".join(text for text, _ in values)


def _pattern(word: Word, name: str, value: str | None) -> str | None:
    """The word as an fnmatch pattern: quoted text matches itself; None for an extended glob."""
    values = _values(word, name, value)
    if values is None or any("(" in text for text, quoted in values if not quoted):
        return None
    return "".join("".join(f"[{c}]" if c in "*?[" else c for c in text) if quoted else text for text, quoted in values)


def _regex(word: Word, name: str, value: str | None) -> str:
    """The word as a regular expression (it reads no other variable): quoted text matches itself."""
    return "".join(re.escape(text) if quoted else text for text, quoted in _values(word, name, value))
