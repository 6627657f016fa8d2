"""One revision's coverage: every job, every run it makes, every config entry
defined anywhere, and which of them some job reaches."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property

from . import deadline, gate, parallel
from .ci import FrontEndResult, collect_jobs
from .ci.config_lists import apply as apply_config_lists, list_option
from .config import Settings
from .model import ConfigEntry, Diagnostic, Incomplete, Job, Location, Run
from .shell import JobOutcome, ScriptCall, ScriptDefinitions, interpret_job, script_definitions
from .memo import SHARED, AnswerMemo
from .snapshot import Snapshot, match_glob
from .subjects import is_test
from .treecheck import check_tree

SCRIPT_SUFFIXES = (".sh", ".bash")


DERIVED = "_derived:"  # the prefix of the values `Inventory.derived` keeps


@dataclass
class Inventory:
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
    def guard_branches(self) -> set[tuple[str, str]]:
        """(file, `condition → outcome`) of every guard branch some run went through."""
        from .reasons import guard_branches

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

    # -- config entries ----------------------------------------------------------
    @cached_property
    def entries(self) -> dict[str, list[ConfigEntry]]:
        """Entry identity -> its definitions (one identity may be defined twice)."""
        found: dict[str, list[ConfigEntry]] = {}
        for definitions in self.definitions.values():
            for identity, entries in _entries_by_identity(definitions).items():
                found.setdefault(identity, []).extend(entries)
        return found

    def derived(self, name: str, compute):
        """`compute(self)`, kept with this inventory: an index another module builds from a
        finished inventory and asks many times during one diff. Kept under one prefix
        (`DERIVED`), so a history walk's frozen inventories leave them out."""
        key = DERIVED + name
        found = self.__dict__.get(key)
        if found is None:
            found = self.__dict__[key] = compute(self)
        return found

    def array_members(self, path: str, array: str) -> list[ConfigEntry]:
        """The entries of one config array as written in `path`, in order (its neighbours
        tell an entry edited in place from one removed)."""
        arrays = self.__dict__.get("_arrays")
        if arrays is None:
            found: dict[tuple[str, str], dict[ConfigEntry, None]] = defaultdict(dict)
            for definitions in self.definitions.values():
                for entry in definitions.entries:
                    found[(entry.location.path, entry.array)][entry] = None
            arrays = self.__dict__["_arrays"] = {key: sorted(members, key=lambda e: (e.location.line, e.location.column))
                                                 for key, members in found.items()}
        return arrays.get((path, array), [])

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

    # -- graph ---------------------------------------------------------------------
    @cached_property
    def graph(self):
        """The coverage graph (networkx.DiGraph) of this revision, see graph.py."""
        from .graph import build_graph

        return build_graph(self)

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
                found[name][(job.label, "<unknown>")] = None
        for calls in self.script_calls.values():
            for call in calls:
                label = self.jobs_by_id[call.job_id].label if call.job_id in self.jobs_by_id else call.job_id
                for name, value in call.env:
                    found[name][(label, value)] = None
        return {name: list(values) for name, values in found.items()}


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
    """A file's lines, whitespace collapsed, kept per blob."""
    blob = snapshot.entry(path).blob
    found = _LINES.get(blob)
    if found is None:
        if len(_LINES) >= 256:
            _LINES.clear()
        found = _LINES[blob] = [" ".join(line.split()) for line in snapshot.text(path).splitlines()]
    return found


_LINES: dict[str, list[str]] = {}


def _command_still_written(run: Run, inventory: Inventory) -> bool:
    path = run.location.path
    if not inventory.snapshot.exists(path):
        return False
    leaf = next((f for f in reversed(run.path) if f.kind == "leaf"), None)
    text = " ".join((leaf.text if leaf else " ".join(run.argv)).split())
    return text in inventory.defined_commands


def build_inventory(snapshot: Snapshot, settings: Settings, front: FrontEndResult | None = None, interpret=None,
                    parts: AnswerMemo | None = None) -> Inventory:
    """`interpret(job, snapshot, settings) -> JobOutcome` defaults to the shell interpreter;
    history walks pass one that reuses outcomes of unchanged jobs.  `parts` keeps the
    front-ends' output and script definitions (default: one memo for the process)."""
    deadline.start(settings.max_seconds)
    try:
        return _build_inventory(snapshot, settings, front, interpret, parts or SHARED)
    finally:
        deadline.stop()


def _build_inventory(snapshot: Snapshot, settings: Settings, front: FrontEndResult | None, interpret,
                     parts: AnswerMemo) -> Inventory:
    front = front or parts.remember(("front-ends", settings), snapshot, lambda asked: collect_jobs(asked, settings))
    jobs = _unique([job for job in front.jobs if not _ignored(job.file, settings)])
    interpreted = _interpret_all(jobs, snapshot, settings, interpret or interpret_job)
    outcomes, config_lists = _apply_config_lists(interpreted, snapshot)  # one run per config a `--config-list-file` names
    diagnostics = list(front.diagnostics)
    incomplete = list(front.incomplete)
    for outcome in outcomes.values():
        diagnostics += outcome.diagnostics
        incomplete += outcome.incomplete
    scripts = {p for p in snapshot.files if p.endswith(SCRIPT_SUFFIXES) and snapshot.exists(p) and not _ignored(p, settings)}
    scripts |= {call.path for o in outcomes.values() for call in o.scripts}
    paths = [path for path in sorted(scripts) if snapshot.exists(path)]
    keys = [("definitions", path, settings) for path in paths]
    if isinstance(parts, AnswerMemo):  # scanning a whole tree's scripts: worth the other cores
        found = parts.remember_many(keys, snapshot, lambda i, asked: script_definitions(paths[i], asked, settings),
                                    min_batch=parallel.MIN_JOBS)
    else:
        found = [parts.remember(key, snapshot, lambda asked, path=path: script_definitions(path, asked, settings))
                 for key, path in zip(keys, paths)]
    definitions = dict(zip(paths, found))
    for path in paths:
        diagnostics += definitions[path].diagnostics
    for path, listed in config_lists.items():  # each line of a config list is an entry
        definitions.setdefault(path, ScriptDefinitions(tuple(listed), (), (), ()))
    missing = [m for o in outcomes.values() for m in o.missing_scripts]
    texts = [p for p in front.files if snapshot.exists(p)] + list(definitions)
    tree_diagnostics, tree_incomplete = check_tree(snapshot, settings, texts, missing)
    diagnostics += tree_diagnostics
    incomplete += tree_incomplete
    diagnostics += _out_of_time(incomplete)
    inventory = Inventory(
        snapshot=snapshot,
        settings=settings,
        jobs=jobs,
        outcomes=outcomes,
        definitions=definitions,
        ci_files=front.files,
        diagnostics=_dedupe(diagnostics),
        incomplete=_dedupe(incomplete),
    )
    inventory.__dict__[INTERPRETED] = {job_id: o for job_id, o in interpreted.items() if outcomes[job_id] is not o}
    return inventory


INTERPRETED = "_interpreted"  # job id -> the interpreter's outcome, for the jobs whose runs a config list split


def interpreted_outcome(inventory: Inventory, job_id: str) -> JobOutcome:
    """A job's outcome as the interpreter gave it, before a config list split its runs:
    what another revision reusing the outcome must start from (splitting a split outcome
    again multiplies its runs by the list's length at every revision)."""
    return inventory.__dict__.get(INTERPRETED, {}).get(job_id) or inventory.outcomes[job_id]


def _interpret_all(jobs: list[Job], snapshot: Snapshot, settings: Settings, interpret) -> dict[str, JobOutcome]:
    """Every job's outcome, within one step budget for the whole revision.  A hook with
    a `prefetch(jobs, snapshot, settings)` computes on every core first what it lacks
    (each job with the whole per-job budget: what the loop below then asks for, unless
    the revision's budget runs short, when the loop computes the rest itself)."""
    prefetch = getattr(interpret, "prefetch", None)
    if prefetch is not None:
        prefetch(jobs, snapshot, settings)
    outcomes: dict[str, JobOutcome] = {}
    left = settings.max_total_steps
    for job in jobs:
        if left <= 0:
            reason = f"{gate.TOTAL_STEPS} (max-total-steps = {settings.max_total_steps}) used up: job {job.label!r} not analysed"
            outcomes[job.id] = JobOutcome((), (), (), (), (Incomplete(job.location, reason, cut=True),), (), ())
            continue
        budget = settings if left >= settings.max_steps else settings.replace(max_steps=left)
        outcome = interpret(job, snapshot, budget)
        left -= max(outcome.steps, 1)
        outcomes[job.id] = outcome
    return outcomes


def _out_of_time(incomplete: list[Incomplete]) -> list[Diagnostic]:
    """One diagnostic for a revision whose wall-clock budget ran out, where it did."""
    cut = [item for item in incomplete if item.reason.startswith(deadline.REASON)]
    if not cut:
        return []
    first = min(cut, key=lambda item: location_sort_key(item.location))
    return [Diagnostic(first.location, f"the analysis of this revision took longer than max-seconds = {deadline.current().seconds}: "
                       f"{len(cut)} CI file(s), job(s) or interpretation(s) were cut there and are listed as incomplete")]


class PerObject:
    """`compute(obj)` kept per object (by identity) while it is alive and among the last
    few thousand asked about: a history walk shares almost all outcomes and script
    definitions between consecutive commits, and recomputing what is derived from each
    at every commit cost more than the rest of an unchanged commit's inventory."""

    KEPT = 1 << 12  # a few commits' worth of objects, not a whole history walk

    def __init__(self, compute):
        self.compute = compute
        self.kept: dict[int, tuple[object, object]] = {}  # id -> (the object, its value)

    def __call__(self, obj):
        kept = self.kept.get(id(obj))
        if kept is not None and kept[0] is obj:
            return kept[1]
        value = self.compute(obj)
        if len(self.kept) >= self.KEPT:
            self.kept.clear()
        self.kept[id(obj)] = (obj, value)
        return value


def _apply_config_lists(outcomes: dict[str, JobOutcome], snapshot: Snapshot):
    """`config_lists.apply` on the outcomes with a run that names a list (the others it
    leaves as they are), known per outcome object."""
    naming = {job_id: o for job_id, o in outcomes.items() if _names_list(o)}
    split, lists = apply_config_lists(naming, snapshot)
    return ({**outcomes, **split} if split is not naming else outcomes), lists


_names_list = PerObject(lambda outcome: any(list_option(run.argv) for run in outcome.runs))


def _group_entries(definitions: ScriptDefinitions) -> dict[str, list[ConfigEntry]]:
    grouped: dict[str, list[ConfigEntry]] = {}
    for entry in definitions.entries:
        grouped.setdefault(entry.identity, []).append(entry)
    return grouped


_entries_by_identity = PerObject(_group_entries)  # a script's entries by identity, in order


def _unique(jobs: list[Job]) -> list[Job]:
    """Jobs with the same id (a duplicated key) keep the first; later ones get a suffix."""
    seen: dict[str, int] = {}
    out = []
    for job in jobs:
        count = seen.get(job.id, 0)
        seen[job.id] = count + 1
        out.append(job if count == 0 else replace(job, key=f"{job.key}#{count + 1}"))
    return out


def _ignored(path: str, settings: Settings) -> bool:
    return any(match_glob(path, pattern) for pattern in settings.ignore_paths)


def _dedupe(items: list) -> list:
    return list(dict.fromkeys(items))


def location_sort_key(location: Location) -> tuple:
    return (location.path, location.line, location.column)
