"""What an audit finding rests on (issue 14, item 4).

A rule's evidence is mostly an absence: no job reaches this entry, no job sets
that variable, no guard accepts this value, nothing reads that name.  Where the
interpreter cut a job short (a step or path cap, a loop cap, a part it could not
read, a sourced file or a piped script it did not follow, a job whose analysis
failed), the part it did not analyse may hold what is said to be absent.  Such
a finding keeps its place in the report, says what it rests on (`confidence:
incomplete` and the place that was cut), is never an error, and never calls its
subject unreachable as written.

"The part not analysed" is over-approximated from the text, never from a guess
about what the code would do: the rest of the file where the cut happened, the
files that called it in the cut job (up to the job's own command lines), and,
transitively, every repository script whose name those texts mention.  A
finding's evidence passes through the cut when that region can reach one of its
scripts or mentions one of its variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..model import Finding, Incomplete, Job, Severity
from ..shell import JobOutcome

if TYPE_CHECKING:
    from ..inventory import Inventory
    from .facts import Facts

CONFIDENCE = "incomplete"
MAX_REGION_FILES = 400  # a region that mentions more scripts than this reaches all of them


@dataclass(frozen=True)
class Cut:
    """A place one job's analysis did not go past, and what its unanalysed rest may touch."""

    incomplete: Incomplete
    scripts: frozenset[str]  # repository scripts the rest may run (every one when `everything`)
    text: str  # the texts of the region, for variable names
    everything: bool = False

    def reaches(self, script: str) -> bool:
        return self.everything or script in self.scripts

    def reads(self, name: str) -> bool:
        """Whether the region may read `name` (`$NAME`, `${NAME...}`, `[[ -v NAME ]]`)."""
        return self.everything or re.search(rf"\$\{{?!?{re.escape(name)}(?!\w)|-v\s+{re.escape(name)}(?!\w)", self.text) is not None

    def sets(self, name: str) -> bool:
        """Whether the region may give `name` a value: `NAME=`, `NAME+=`, `${NAME:=..}`, or a
        builtin that names it (`export`, `declare`, `local`, `read`, `for NAME in`...)."""
        n = re.escape(name)
        return self.everything or re.search(
            rf"(?<![\w$]){n}\+?=|\$\{{{n}:?=|\b(?:export|declare|typeset|local|readonly|read|for|getopts|printf\s+-v)\b[^\n;|&]*(?<![\w$]){n}(?!\w)",
            self.text) is not None


def find_cuts(inventory: Inventory, opened: dict[str, JobOutcome]) -> list[tuple[str, Cut]]:
    """Every place where a job's analysis (real, or open: `opened`) was cut, with its region."""
    found: dict[tuple, Cut] = {}
    names = _script_names(inventory)
    for job in inventory.jobs:
        for outcome in (inventory.outcomes.get(job.id), opened.get(job.id)):
            for place in outcome.incomplete if outcome else ():
                if place.cut and (place, job.id) not in found:
                    found[(place, job.id)] = _region(inventory, place, job, names)
    return [(job_id, cut) for (_place, job_id), cut in found.items()]


def _region(inventory: Inventory, place: Incomplete, job: Job, names: dict[str, frozenset[str]]) -> Cut:
    files = _callers(inventory, place.location.path, job)
    texts = [_file_text(inventory, path, job) for path in sorted(files)]
    scripts: set[str] = set()
    pending = list(texts)
    while pending:
        text = pending.pop()
        for name, paths in names.items():
            if name in text:
                for path in paths - scripts:
                    scripts.add(path)
                    body = _file_text(inventory, path, job)
                    texts.append(body)
                    pending.append(body)
        if len(scripts) > MAX_REGION_FILES:
            return Cut(place, frozenset(scripts), "", everything=True)
    return Cut(place, frozenset(scripts | (files & set(inventory.definitions))), "\n".join(texts))


def _callers(inventory: Inventory, path: str, job: Job) -> set[str]:
    """`path` and the files that called into it in `job`, up to the job's own file."""
    found, pending = {path}, [path]
    while pending:
        current = pending.pop()
        for call in inventory.script_calls.get(current, ()):
            if call.job_id == job.id and call.location.path not in found:
                found.add(call.location.path)
                pending.append(call.location.path)
    found.add(job.file)
    return found


def _file_text(inventory: Inventory, path: str, job: Job) -> str:
    """A script's text; for the job's own CI file, only the job's command lines."""
    if path == job.file:
        return "\n".join(c.text for c in job.commands)
    try:
        return inventory.snapshot.text(path)
    except (KeyError, OSError, UnicodeDecodeError):
        return ""


def _script_names(inventory: Inventory) -> dict[str, frozenset[str]]:
    """Base name -> the analysed scripts that have it (a call is written by name or by path)."""
    found: dict[str, set[str]] = {}
    for path in inventory.definitions:
        found.setdefault(path.rsplit("/", 1)[-1], set()).add(path)
    return {name: frozenset(paths) for name, paths in found.items()}


def through(facts: Facts, *, scripts=(), reads=(), sets=(), jobs=None) -> list[Incomplete]:
    """The cut places the evidence passes through: a cut inside one of `scripts`, or one whose
    unanalysed rest may run one of `scripts`, read one of `reads` or set one of `sets`; only
    the cuts of `jobs` (ids) when given."""
    scripts = set(scripts)
    found = []
    for job_id, cut in facts.cuts:
        if jobs is not None and job_id not in jobs:
            continue
        if (cut.incomplete.location.path in scripts or any(cut.reaches(s) for s in scripts)
                or any(cut.reads(v) for v in reads) or any(cut.sets(v) for v in sets)):
            found.append(cut.incomplete)
    return list(dict.fromkeys(found))


ABSOLUTE = ("unreachable as written", "even with every environment variable free")


def rests_on(finding: Finding, places: list[Incomplete]) -> Finding:
    """`finding` marked as resting on analysis that was cut at `places` (unchanged when none):
    `confidence: incomplete` and the first place in its details, an error becomes a warning,
    and a reason that claimed the subject unreachable as written says it may still run."""
    if not places:
        return finding
    first = places[0]
    where = f"{first.location}: {first.reason}" + (f" (and {len(places) - 1} more)" if len(places) > 1 else "")
    reason = finding.reason
    if reason is not None and any(phrase in reason.text for phrase in ABSOLUTE):
        reason = replace(reason, text=f"No analysed path reaches it at this revision, but the analysis was cut short "
                                      f"on the way ({first.location}: {first.reason}); it may still run.")
    return replace(
        finding,
        severity=Severity.WARNING if finding.severity is Severity.ERROR else finding.severity,
        reason=reason,
        details=tuple(finding.details) + (("confidence", CONFIDENCE), ("incomplete", where)),
    )

