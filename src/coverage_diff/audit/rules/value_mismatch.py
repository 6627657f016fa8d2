"""value-mismatch: a job sets a variable to a value no guard on it accepts."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Iterable

from dataclasses import replace

from ...model import Condition, Finding, Guard, Reason, Severity
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
        if not guards or any(accepts(g.text, name, value) is not False for g in guards):
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
            # environment" in `variables`: the text says which guards read it.
            if name in c.variables or re.search(rf"\$\{{?{re.escape(name)}\b", c.text):
                found.setdefault((c.location, c.text), c)
    return sorted(found.values(), key=lambda c: (c.location.path, c.location.line))


# --------------------------------------------------------------------------- a tiny guard evaluator
_TEST = re.compile(r"^\s*(?:if|elif|while|until)?\s*!?\s*(\[\[|\[|test\b)(.*?)(\]\]|\])?\s*;?\s*(?:then|do)?\s*$", re.S)
_BINARY = ("==", "=", "!=", "=~", "-eq", "-ne", "-gt", "-lt", "-ge", "-le")


def accepts(text: str, name: str, value: str) -> bool | None:
    """Whether setting `name=value` changes the guard's outcome from leaving `name` unset.
    None when the guard is not a simple test of `name` alone."""
    with_value, unset = outcome(text, name, value), outcome(text, name, None)
    if with_value is None or unset is None:
        return None
    return with_value != unset


def outcome(text: str, name: str, value: str | None) -> bool | None:
    match = _TEST.match(text)
    if match is None:
        return _case_arm(text, name, value)
    double = match.group(1) == "[["
    words = _words(match.group(2))
    if words is None or any(w[0] in ("&&", "||", "-a", "-o", "(", ")") for w in words):
        return None
    if words and words[0][0] == "!":
        words = words[1:]
    values = [_expand(raw, name, value) for raw, _ in words]
    if any(v is None for v in values):
        return None
    if len(words) == 1:
        return values[0] != ""
    if len(words) == 2 and words[0][0] in ("-n", "-z"):
        return (values[1] != "") == (words[0][0] == "-n")
    if len(words) == 3 and words[1][0] in _BINARY:
        return _compare(values[0], words[1][0], values[2], quoted=words[2][1], double=double)
    return None


def _compare(left: str, op: str, right: str, *, quoted: bool, double: bool) -> bool | None:
    if op in ("==", "=", "!="):
        same = fnmatch.fnmatchcase(left, right) if double and not quoted else left == right
        return same if op != "!=" else not same
    if op == "=~":
        try:
            return re.search(right, left) is not None
        except re.error:
            return None
    a, b = _integer(left, double), _integer(right, double)
    if a is None or b is None:
        return False  # `[ x -eq 1 ]` is an error: the test fails
    return {"-eq": a == b, "-ne": a != b, "-gt": a > b, "-lt": a < b, "-ge": a >= b, "-le": a <= b}[op]


def _integer(text: str, double: bool) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if double and (text == "" or re.fullmatch(r"[A-Za-z_]\w*", text)):
        return 0  # `[[ ]]` evaluates a word as a variable name: an unset one is 0
    return None


_CASE = re.compile(r"^\s*case\s+(\S+)\s+in\s+\(?\s*(.+?)\s*\)\s*$|^\s*\(?\s*([^()]+?)\s*\)\s*$", re.S)


def _case_arm(text: str, name: str, value: str | None) -> bool | None:
    """`case "$X" in 1|true)` (or just the arm `1|true)`): whether the value matches the arm."""
    match = _CASE.match(text)
    if match is None:
        return None
    word = match.group(1) or f'"${name}"'
    subject = _expand(word, name, value)
    patterns = (match.group(2) or match.group(3)).split("|")
    if subject is None:
        return None
    return any(fnmatch.fnmatchcase(subject, p.strip().strip("\"'")) for p in patterns)


def _words(text: str) -> list[tuple[str, bool]] | None:
    """Whitespace-separated words with quotes kept, and whether each is (partly) quoted."""
    words, current, quoted, quote = [], "", False, ""
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote, quoted = ch, True
            current += ch
        elif ch.isspace():
            if current:
                words.append((current, quoted))
            current, quoted = "", False
        else:
            current += ch
    if quote:
        return None
    if current:
        words.append((current, quoted))
    return words


_EXPANSION = re.compile(r"\$\{([A-Za-z_]\w*)(?:(:?[-+=])([^}]*))?\}|\$([A-Za-z_]\w*)|\$\{?([0-9@*#?$!-])")


def _expand(raw: str, name: str, value: str | None) -> str | None:
    """A word with `$name` expansions applied and quotes removed; None if it reads another variable."""
    if "$(" in raw or "`" in raw:
        return None
    other = False

    def replace(m: re.Match) -> str:
        nonlocal other
        var = m.group(1) or m.group(4)  # None for `$1`, `${2}`, `$@`...: a function's or script's argument
        if var != name:
            other = True
            return ""
        op, word = m.group(2), m.group(3) or ""
        if op is None:
            return value or ""
        if op in (":-", ":="):
            return value if value else word
        if op in ("-", "="):
            return value if value is not None else word
        if op == ":+":
            return word if value else ""
        return word if value is not None else ""  # "+"

    expanded = _EXPANSION.sub(replace, raw)
    if other:
        return None
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1]
    return expanded.replace('"', "").replace("'", "")
