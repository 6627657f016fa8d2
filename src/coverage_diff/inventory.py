"""One revision's coverage: every job, every run it makes, every config entry
defined anywhere, and which of them some job reaches."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from .config import Settings
from .engine import store
from .model import UNKNOWN_VALUE, UNSET, ConfigEntry, Diagnostic, Incomplete, Job, Location, Run
from .shell import JobOutcome, ScriptCall, ScriptDefinitions
from .snapshot import Snapshot
from .subjects import is_test

SCRIPT_SUFFIXES = (".sh", ".bash")


@dataclass(frozen=True, eq=False)
class Inventory:
    """A value: frozen, compared by identity.  Its indexes (`runs`, `entries`...) are
    computed on first use from its fields; what the engine keeps about it for speed is
    kept apart (`engine/store.py`)."""

    snapshot: Snapshot
    settings: Settings
    jobs: list[Job]
    outcomes: dict[str, JobOutcome]
    definitions: dict[str, ScriptDefinitions]
    ci_files: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)

    # -- runs ----------------------------------------------------------------
    @cached_property
    def runs(self) -> list[Run]:
        return [run for job in self.jobs for run in self.outcomes[job.id].runs]

    @cached_property
    def runs_by_subject(self) -> dict[str, list[Run]]:
        """The test runs (`subjects.is_test`) by subject; setup commands are left out."""
        return group_by_subject(self.runs, self.settings)

    @cached_property
    def guard_branches(self) -> set[tuple[str, str, bool]]:
        """(file, condition text, outcome) of every guard branch some run went through."""
        return guard_branches(self.runs)

    @cached_property
    def jobs_by_id(self) -> dict[str, Job]:
        return {job.id: job for job in self.jobs}

    # -- scripts ---------------------------------------------------------------
    @cached_property
    def script_calls(self) -> dict[str, list[ScriptCall]]:
        """Repository script -> every call of it made by some job."""
        calls: dict[str, list[ScriptCall]] = defaultdict(list)
        for outcome in self.outcomes.values():
            for call in outcome.scripts:
                calls[call.path].append(call)
        return dict(calls)

    def jobs_reaching(self, scripts: list[str]) -> list[Job]:
        """The jobs that call one of the scripts, in the inventory's order."""
        ids = {call.job_id for path in scripts for call in self.script_calls.get(path, [])}
        return [job for job in self.jobs if job.id in ids]

    def provided_values(self, variables, scripts: list[str]) -> tuple[tuple[str, str, str], ...]:
        """(job label, variable, value) for every job that calls one of the scripts: the
        value in the call's environment, else UNKNOWN_VALUE or UNSET."""
        rows = []
        for path in scripts:
            for call in self.script_calls.get(path, []):
                job = self.jobs_by_id.get(call.job_id)
                env = dict(call.env)
                for name in variables:
                    value = env.get(name, UNKNOWN_VALUE if name in call.unknown else UNSET)
                    rows.append((job.label if job else call.job_id, name, value))
        return tuple(dict.fromkeys(rows))

    # -- config entries ----------------------------------------------------------
    @cached_property
    def entries(self) -> dict[str, list[ConfigEntry]]:
        """Entry identity -> its definitions (one identity may be defined twice)."""
        found: dict[str, list[ConfigEntry]] = {}
        for definitions in self.definitions.values():
            for identity, entries in definitions.by_identity.items():
                found.setdefault(identity, []).extend(entries)
        return found

    def array_members(self, path: str, array: str) -> list[ConfigEntry]:
        """The entries of one config array as written in `path`, in order (its neighbours
        tell an entry edited in place from one removed)."""
        return self.arrays.get((path, array), [])

    @cached_property
    def arrays(self) -> dict[tuple[str, str], list[ConfigEntry]]:
        """(path, array) -> its entries as written there, in order."""
        found: dict[tuple[str, str], dict[ConfigEntry, None]] = defaultdict(dict)
        for definitions in self.definitions.values():
            for entry in definitions.entries:
                found[(entry.location.path, entry.array)][entry] = None
        return {key: sorted(members, key=lambda e: (e.location.line, e.location.column)) for key, members in found.items()}

    @cached_property
    def reached(self) -> set[str]:
        return {e.identity for run in self.runs for e in (run.entries or ([run.entry] if run.entry else []))}

    def unreached_entries(self) -> list[ConfigEntry]:
        return sorted(
            (e for identity, defs in self.entries.items() if identity not in self.reached for e in defs),
            key=lambda e: (e.location.path, e.location.line),
        )

    @cached_property
    def commands_at(self) -> dict[tuple[str, int], set[str]]:
        """(path, line) -> the command texts written there (scripts and CI files), normalised."""
        found: dict[tuple[str, int], set[str]] = defaultdict(set)
        for d in self.definitions.values():
            for text, loc in d.commands:
                found[(loc.path, loc.line)].add(" ".join(text.split()))
        for job in self.jobs:
            for c in job.commands:
                found[(c.location.path, c.location.line)].add(" ".join(c.text.split()))
        return dict(found)

    @cached_property
    def defined_commands(self) -> set[str]:
        return {text for texts in self.commands_at.values() for text in texts}

    def is_defined(self, subject: str, runs: list[Run], before: "Inventory | None" = None) -> bool:
        """Whether a subject still exists in this revision's files, whichever file defined it
        before: its config entry, or the command as written where it ran in `before` (a leaf
        whose text is unchanged but whose arguments come out differently is still defined),
        unless a repository file it ran at `before` (its test file) is gone."""
        if subject in self.entries:
            return True
        if any(run.entry is not None for run in runs):
            return False
        if before is not None and any(_input_deleted(run, before, self) for run in runs):
            return False
        written = set()
        for run in runs:
            loc = run.location
            written |= (before.commands_at if before else self.commands_at).get((loc.path, loc.line), set())
        if written & self.defined_commands:
            return True
        if before is not None and any(_line_still_written(run, before, self) for run in runs):
            return True
        return any(_command_still_written(run, self) for run in runs)

    # -- variables -----------------------------------------------------------------
    @cached_property
    def variables_set(self) -> dict[str, list[tuple[str, str]]]:
        """Variable -> (job label, value) for every value a job gives it: job env and
        everything visible at the scripts the job calls."""
        found: dict[str, dict[tuple[str, str], None]] = defaultdict(dict)
        for job in self.jobs:
            for name, value in job.env:
                found[name][(job.label, value)] = None
            for name in job.unknown_env:
                found[name][(job.label, UNKNOWN_VALUE)] = None
        for calls in self.script_calls.values():
            for call in calls:
                label = self.jobs_by_id[call.job_id].label if call.job_id in self.jobs_by_id else call.job_id
                for name, value in call.env:
                    found[name][(label, value)] = None
        return {name: list(values) for name, values in found.items()}


def guard_branches(runs) -> set[tuple[str, str, bool]]:
    """(file, condition text, outcome) of every guard branch the runs went through (the
    condition the interpreter recorded on each guard frame)."""
    return {(f.location.path, f.condition.text, f.condition.outcome)
            for run in runs for f in run.path if f.kind == "guard" and f.condition is not None}


def group_by_subject(runs, settings: Settings) -> dict[str, list[Run]]:
    grouped: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        if is_test(run, settings):
            grouped[run.subject].append(run)
    return dict(grouped)


def _input_deleted(run: Run, before: Inventory, now: Inventory) -> bool:
    """A repository file the run named at `before` (`tests/x.py`, `tests/x.py::test_y`) is gone."""
    for word in run.argv[1:]:
        path = word.split("::", 1)[0]
        if "/" in path and not path.startswith(("/", "-", "$")) and before.snapshot.exists(path) and not now.snapshot.exists(path):
            return True
    return False


def _line_still_written(run: Run, before: Inventory, now: Inventory) -> bool:
    """The line where the run's command was written at `before` is still, word for word, in
    that file (a job that ran it was deleted, the script that holds it was not)."""
    path, line = run.location.path, run.location.line
    if not line or not before.snapshot.exists(path) or not now.snapshot.exists(path):
        return False
    text = _lines(before.snapshot, path)
    if line > len(text) or not text[line - 1]:
        return False
    written = text[line - 1]
    # The files it tests must be written there too: a generic `pytest "$@"` defines no test.
    named = [posixpath.basename(w.split("::", 1)[0]) for w in run.argv[1:] if "/" in w and not w.startswith("-")]
    return written in set(_lines(now.snapshot, path)) and all(name in written for name in named)


def _lines(snapshot: Snapshot, path: str) -> list[str]:
    """A file's lines, whitespace collapsed, kept while the snapshot lives."""
    return store.derived(snapshot, f"lines:{path}", lambda s: [" ".join(line.split()) for line in s.text(path).splitlines()])


def _command_still_written(run: Run, inventory: Inventory) -> bool:
    path = run.location.path
    if not inventory.snapshot.exists(path):
        return False
    leaf = next((f for f in reversed(run.path) if f.kind == "leaf"), None)
    text = " ".join((leaf.text if leaf else " ".join(run.argv)).split())
    return text in inventory.defined_commands


def location_sort_key(location: Location) -> tuple:
    return (location.path, location.line, location.column)
