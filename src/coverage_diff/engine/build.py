"""Building one revision's inventory: the CI front-ends' jobs, each job interpreted
within the revision's step and time budgets (through a hook that may reuse outcomes:
`memo.ClosedHook`, the history walk's), config lists applied, every script's
definitions read (many at once on every core) and the tree's checks.  The front-ends
and the interpreter get the revision's `context.Context` (its deadline, the session's
stores) as an argument: nothing of a build is kept in a module."""

from __future__ import annotations

from dataclasses import replace

from .. import deadline, gate
from ..ci import FrontEndResult, collect_jobs
from ..ci.config_lists import apply as apply_config_lists, list_option
from ..config import Settings
from ..context import Context
from ..inventory import SCRIPT_SUFFIXES, Inventory, location_sort_key
from ..model import Diagnostic, Incomplete, Job
from ..shell import JobOutcome, ScriptDefinitions, interpret_job, script_definitions
from ..snapshot import Snapshot, match_glob
from ..treecheck import check_tree
from . import parallel, store
from .memo import INTERPRETED, AnswerMemo
from .store import PerObject


def build_inventory(snapshot: Snapshot, settings: Settings, front: FrontEndResult | None = None, interpret=None,
                    parts: AnswerMemo | None = None, context: Context | None = None) -> Inventory:
    """`interpret(job, snapshot, settings, context=) -> JobOutcome` defaults to the shell
    interpreter; history walks pass one that reuses outcomes of unchanged jobs.  `parts`
    keeps the front-ends' output and script definitions (default: a memo for this call
    alone).  `context`: the session's stores and its watch over deadlines (default: a fresh
    one); the revision's wall-clock budget runs on it while the inventory is built."""
    context = (context or Context()).revision(settings.max_seconds)
    try:
        return _build_inventory(snapshot, settings, front, interpret, parts or AnswerMemo(), context)
    finally:
        context.watch.stop()


def _build_inventory(snapshot: Snapshot, settings: Settings, front: FrontEndResult | None, interpret,
                     parts: AnswerMemo, context: Context) -> Inventory:
    front = front or parts.remember(("front-ends", settings), snapshot, lambda asked: collect_jobs(asked, settings, context))
    jobs = _unique([job for job in front.jobs if not _ignored(job.file, settings)])
    interpreted = _interpret_all(jobs, snapshot, settings, interpret or interpret_job, context)
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

    def definitions_of(path: str, asked: Snapshot) -> ScriptDefinitions:
        return script_definitions(path, asked, settings, context=context)

    if isinstance(parts, AnswerMemo):  # scanning a whole tree's scripts: worth the other cores
        found = parts.remember_many(keys, snapshot, lambda i, asked: definitions_of(paths[i], asked), min_batch=parallel.MIN_JOBS)
    else:
        found = [parts.remember(key, snapshot, lambda asked, path=path: definitions_of(path, asked)) for key, path in zip(keys, paths)]
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
    diagnostics += _out_of_time(incomplete, context)
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
    store.put(inventory, INTERPRETED, {job_id: o for job_id, o in interpreted.items() if outcomes[job_id] is not o})
    return inventory


def _interpret_all(jobs: list[Job], snapshot: Snapshot, settings: Settings, interpret, context: Context) -> dict[str, JobOutcome]:
    """Every job's outcome, within one step budget for the whole revision.  A hook with
    a `prefetch(jobs, snapshot, settings)` computes on every core first what it lacks
    (each job with the whole per-job budget: what the loop below then asks for, unless
    the revision's budget runs short, when the loop computes the rest itself)."""
    prefetch = getattr(interpret, "prefetch", None)
    if prefetch is not None:
        prefetch(jobs, snapshot, settings, context=context)
    outcomes: dict[str, JobOutcome] = {}
    left = settings.max_total_steps
    for job in jobs:
        if left <= 0:
            reason = f"{gate.TOTAL_STEPS} (max-total-steps = {settings.max_total_steps}) used up: job {job.label!r} not analysed"
            outcomes[job.id] = JobOutcome((), (), (), (), (Incomplete(job.location, reason, cut=True),), (), ())
            continue
        budget = settings if left >= settings.max_steps else settings.replace(max_steps=left)
        outcome = interpret(job, snapshot, budget, context=context)
        left -= max(outcome.steps, 1)
        outcomes[job.id] = outcome
    return outcomes


def _out_of_time(incomplete: list[Incomplete], context: Context) -> list[Diagnostic]:
    """One diagnostic for a revision whose wall-clock budget ran out, where it did."""
    cut = [item for item in incomplete if item.reason.startswith(deadline.REASON)]
    if not cut:
        return []
    first = min(cut, key=lambda item: location_sort_key(item.location))
    return [Diagnostic(first.location, f"the analysis of this revision took longer than max-seconds = {context.deadline.seconds}: "
                       f"{len(cut)} CI file(s), job(s) or interpretation(s) were cut there and are listed as incomplete")]


def _apply_config_lists(outcomes: dict[str, JobOutcome], snapshot: Snapshot):
    """`config_lists.apply` on the outcomes with a run that names a list (the others it
    leaves as they are), known per outcome object."""
    naming = {job_id: o for job_id, o in outcomes.items() if _names_list(o)}
    split, lists = apply_config_lists(naming, snapshot)
    return ({**outcomes, **split} if split is not naming else outcomes), lists


_names_list = PerObject(lambda outcome: any(list_option(run.argv) for run in outcome.runs))


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
