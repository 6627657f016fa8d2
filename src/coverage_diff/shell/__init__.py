"""The shell interpreter: what a job's commands and the repository scripts they
reach would run, found without running anything.

    interpret_job(job, snapshot, settings)          -> JobOutcome
    interpret_script(path, snapshot, settings, ...) -> JobOutcome  (a synthetic `bash path args`)
    script_definitions(path, snapshot, settings)    -> ScriptDefinitions

Each takes the `context` (`context.py`) the engine hands it: the caches its interpretation
shares (the engine passes its session's) and, in a build, the revision's wall-clock budget;
without one, nothing is shared with other calls and there is no deadline.
"""

from __future__ import annotations

from ..config import Settings
from ..context import Context
from ..isolation import contained, nested
from ..model import Env, Incomplete, Job, Location
from ..snapshot import Snapshot, normalize
from .callmemo import CallMemo
from .definitions import BUILTINS, SHELLS, config_names, config_scalars, entries_of
from .interp import Interpreter, file_set_scans
from .outcome import JobOutcome, ScriptCall, ScriptDefinitions
from .paths import canonical_word, repo_path

__all__ = [
    "CallMemo", "JobOutcome", "ScriptCall", "ScriptDefinitions", "interpret_job", "interpret_script", "script_definitions",
    "canonical_word", "repo_path",
]


def interpret_job(job: Job, snapshot: Snapshot, settings: Settings, *, open_world: bool = False,
                  context: Context | None = None, call_memo: CallMemo | None = None) -> JobOutcome:
    """What the job runs.  It depends on `job.behaviour` only: the interpreter never sees
    the rest (so a timeout change reuses the outcome, see engine/memo.py and engine/walk.py)."""
    job = job.without_metadata()
    context = context or Context()
    if context.expired():  # the revision's wall-clock budget has run out (`deadline.py`)
        reason = context.deadline.reason(f"job {job.label!r} not analysed")
        return JobOutcome((), (), (), (), (Incomplete(job.location, reason, cut=True),), (), ())
    with contained(job.location, f"job {job.label!r}") as caught:  # (deep input: a fresh interpreter, a deeper stack)
        return nested(lambda: Interpreter(snapshot, settings, open_world=open_world, job_id=job.id, platform=job.platform,
                                          context=context, call_memo=call_memo).run_job(job))
    return _failed(caught)


def interpret_script(path: str, snapshot: Snapshot, settings: Settings, *, env: Env = (), cwd: str = "",
                     job_id: str = "", args: tuple[str, ...] = (), open_world: bool = False,
                     context: Context | None = None) -> JobOutcome:
    with contained(Location(normalize(path)), f"script {path}") as caught:
        return nested(lambda: Interpreter(snapshot, settings, open_world=open_world, job_id=job_id,
                                          context=context).run_script(path, env, cwd, args))
    return _failed(caught)


def _failed(caught) -> JobOutcome:
    """The outcome of a job or script the interpreter failed on: no runs, and why."""
    return JobOutcome((), (), (), (), tuple(caught.incomplete), tuple(caught.diagnostics), ())


def script_definitions(path: str, snapshot: Snapshot, settings: Settings, context: Context | None = None) -> ScriptDefinitions:
    """Config entries, leaf commands and condition variables, read statically from
    a script and the files it sources."""
    path = normalize(path)
    with contained(Location(path), f"script {path}") as caught:
        return nested(lambda: _definitions(path, snapshot, settings, context))
    return ScriptDefinitions((), (), (), tuple(caught.diagnostics))


def _definitions(path: str, snapshot: Snapshot, settings: Settings, context: Context | None) -> ScriptDefinitions:
    interp = Interpreter(snapshot, settings, context=context)
    scans = file_set_scans(interp, path)
    if not scans:
        return ScriptDefinitions((), (), (), tuple(interp.rec.diagnostics) or ((_unreadable(path)),))
    names = config_names(scans)
    scalars = config_scalars(scans, names)
    entries = [e for scan in scans for e in entries_of(scan, names, scalars)]
    functions = set().union(*(scan.functions for scan in scans))
    assigned = set().union(*(scan.assigned for scan in scans))
    commands = []
    for scan in scans:
        for node in scan.commands:
            name_node = node.child_by_field_name("name")
            word = name_node.text.decode("utf-8", "replace") if name_node is not None and name_node.text else ""
            if not word or word in BUILTINS or word in functions or word in SHELLS or word in settings.leaf_setup:
                continue
            if "/" in word or word.endswith((".sh", ".bash")) or "$" in word:
                continue
            text = " ".join((node.text or b"").decode("utf-8", "replace").split())
            commands.append((text, scan.source.location(node)))
    reads = set()
    for scan in scans:
        for node in scan.tested:
            reads |= _referenced(node) - assigned
    diagnostics = [d for scan in scans for d in scan.diagnostics]
    return ScriptDefinitions(tuple(entries), tuple(commands), tuple(sorted(reads)), tuple(diagnostics))


def _referenced(node) -> set[str]:
    names = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        if n.type == "variable_name" and n.parent is not None and n.parent.type in ("simple_expansion", "expansion", "subscript"):
            names.add(n.text.decode())
        stack.extend(n.children)
    return {n for n in names if not n.isdigit()}


def _unreadable(path: str):
    from ..model import Diagnostic

    return Diagnostic(Location(path), "script not found or unreadable")
