"""Why a subject does not run at a revision, and what would make it run.

The shell interpreter is asked a "what if" question: it re-runs the jobs that
reach the subject's script with every inherited variable unknown
(`open_world=True`), so each run that does reach the subject records the
conditions it needed.  The conditions whose needed outcome differs from what
the job really gets are the blocking guards; their variables, the values the
jobs provide, near-miss names the jobs set instead, and a suggested step follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import takewhile

from typing import TYPE_CHECKING

from .ci import front_end
from .model import UNSET, Assumption, Comparison, Condition, Guard, Job, Reason, Run
from .world import closed_outcomes, open_world, unmet
from .words import is_assignment, without_leading_assignments

if TYPE_CHECKING:
    from .inventory import Inventory



@dataclass(frozen=True)
class Witness:
    """A way to reach the subject: the job, the run, and the guards it needs."""

    job: Job | None
    run: Run
    blocking: tuple[Assumption, ...]


def explain_missing(inventory: Inventory, subject: str, *, scripts: list[str], jobs: list[Job] | None = None, before: list[Run] = ()) -> Reason:
    """Reason for a subject that no job (or none of `jobs`) runs at this revision."""
    candidates = jobs if jobs is not None else inventory.jobs_reaching(scripts)
    witness = best_witness(inventory, subject, candidates, scripts)
    if witness is None:
        return _unexplained(inventory, subject, scripts, candidates, before)
    guards = tuple(
        Guard(a.condition, a.condition.outcome, inventory.provided_values(a.condition.variables, scripts))
        for a in witness.blocking
    )
    variables = tuple(dict.fromkeys(v for a in witness.blocking for v in a.condition.variables))
    near = near_misses(inventory, variables)
    return Reason(
        text=_reason_text(inventory, witness, guards, scripts, near),
        variables=variables,
        guards=guards,
        near_misses=near,
        fix=_rename_hints(near) + suggest_fix(witness, inventory),
    )


def best_witness(inventory: Inventory, subject: str, jobs: list[Job], scripts: list[str]) -> Witness | None:
    witnesses = []
    world = open_world(inventory)
    for job, opened in zip(jobs, world.outcomes(jobs)):
        closed = closed_outcomes(inventory.outcomes.get(job.id))
        for run in opened.runs:
            if run.subject == subject:
                witnesses.append(Witness(job, run, unmet(run.assumptions, closed)))
    if not witnesses:  # no job reaches the script: ask the script itself
        for path in scripts:
            if not inventory.snapshot.exists(path) or not _is_script(inventory.snapshot, path):
                continue  # a config list or data file is never run by itself
            cwd = caller_cwd(inventory, path)
            opened = world.script_outcome(path, cwd)
            for run in opened.runs:
                if run.subject == subject:
                    witnesses.append(Witness(None, run, tuple(a for a in run.assumptions if a.condition.outcome or a.condition.variables)))
    if not witnesses:
        return None
    return min(witnesses, key=lambda w: (len(w.blocking), not _aims_at(w), _specificity(w), len(w.run.assumptions), w.job.id if w.job else ""))


def _aims_at(witness: Witness) -> bool:
    """Whether the job already sets a variable of a blocking guard (to a wrong value):
    the fix is then to correct that job, not to copy another."""
    wanted = {v for a in witness.blocking for v in a.condition.variables}
    names = {n for n, _ in witness.job.env} if witness.job else set()
    for frame in witness.run.path:
        if frame.kind == "command":
            names |= {w.split("=", 1)[0] for w in frame.text.split() if is_assignment(w)}
    return bool(wanted & names)


def _specificity(witness: Witness) -> int:
    """How many variables the job sets itself: the plainest job makes the clearest fix."""
    env = len(witness.job.env) if witness.job else 0
    for frame in witness.run.path:
        if frame.kind == "command":
            return env + sum(1 for w in frame.text.split() if is_assignment(w))
    return env


def caller_cwd(inventory: Inventory, path: str) -> str:
    """Where a script is normally run from: the cwd of an existing call, else its repo's `tests/`
    when the path lives there (vLLM), else the root."""
    if inventory.script_calls.get(path):  # keyed by the called path: no scan of every call
        return ""
    prefix = inventory.settings.default_working_dir.rstrip("/") + "/"
    return inventory.settings.default_working_dir if path.startswith(prefix) else ""


def near_misses(inventory: Inventory, variables) -> tuple[tuple[str, str, str], ...]:
    """Names jobs set that look like a mistyped guard variable."""
    rows = []
    for wanted in variables:
        for name, values in inventory.variables_set.items():
            if name != wanted and is_near_miss(name, wanted):
                for label, _value in values:
                    rows.append((name, wanted, label))
    return tuple(dict.fromkeys(rows))


def is_near_miss(a: str, b: str) -> bool:
    if a.lower() == b.lower() or a.replace("_", "").lower() == b.replace("_", "").lower():
        return True
    if min(len(a), len(b)) < 4:
        return False
    return edit_distance(a.upper(), b.upper(), limit=2) <= (1 if min(len(a), len(b)) < 6 else 2)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# --------------------------------------------------------------------------- fixes
def required_value(condition: Condition, variable: str) -> str | None:
    """A value of `variable` that gives the condition its needed outcome (None: unset), read from
    what the interpreter recorded it compares (`Condition.compares`); a condition it could not
    read as one test (`a && b`, a command) needs the variable set."""
    compared = condition.compares
    want = condition.outcome != (compared is not None and compared.negated)
    if compared is None:
        return "1" if want else None
    op = compared.operator
    if op == "case":  # `case "$X" in a|b*)`: the first alternative, without glob characters
        return _literal(compared.operand) if want else f"not-{_literal(compared.operand)}"
    if op == "-z":
        return "1" if not want else None
    if op not in _COMPARING:
        return "1" if want else None
    literal = _literal(_nameable(compared))
    if op in ("==", "=", "-eq", "=~"):
        return literal if want else f"not-{literal}"
    return literal if not want else f"not-{literal}"


_COMPARING = frozenset({"==", "=", "!=", "-eq", "-ne", "=~"})


def _nameable(compared: Comparison) -> str:
    """The part of the other side a fix can name: its literal text before any expansion (the
    text as written when the interpreter could not read it as pieces), up to a blank or a `)`."""
    if compared.right is not None:
        text = "".join(p.text for p in takewhile(lambda p: not p.variable, compared.right))
    else:
        text = compared.operand.lstrip("\"").lstrip("'")
    return text[:next((i for i, c in enumerate(text) if c in " )]\"'"), len(text))]


def _literal(pattern: str) -> str:
    """A word a glob or regex pattern matches (its literal part)."""
    return "".join(c for c in pattern if c not in "*?^$\\[]") or "1"


def suggest_fix(witness: Witness, inventory: Inventory) -> str:
    assignments = []
    for a in witness.blocking:
        for variable in a.condition.variables:
            value = required_value(a.condition, variable)
            if value is not None and not any(x.startswith(variable + "=") for x in assignments):
                assignments.append(f"{variable}={value}")
    command = _calling_command(witness)
    if not command:
        return ""
    prefix = " ".join(assignments)
    new_command = f"{prefix} {command}".strip()
    job = witness.job
    if job is None:
        return f"Add a CI step that runs `{new_command}`."
    return _wrong_value_hints(witness, assignments) + render_step(job, new_command, assignments, calling=command)


def _rename_hints(near) -> str:
    """`# or rename ...` for each job that sets a near-miss name of a guard variable."""
    return "".join(f"# or rename {name} to {wanted} in {label!r}\n" for name, wanted, label in near)


def _wrong_value_hints(witness: Witness, assignments: list[str]) -> str:
    """`# or change ...` when the job already sets a needed variable, to another value."""
    job = witness.job
    command = next((f for f in witness.run.path if f.kind == "command"), None)
    prefixes = dict(w.split("=", 1) for w in (command.text.split() if command else []) if is_assignment(w))
    hints = []
    for name, value in (a.split("=", 1) for a in assignments):
        if name in prefixes and prefixes[name] != value:
            hints.append(f"# or change {name}={prefixes[name]} to {name}={value} in the command at {command.location}")
        elif name in dict(job.env) and dict(job.env)[name] != value:
            hints.append(f"# or set {name} to {json.dumps(value)} instead of {json.dumps(dict(job.env)[name])} in the env of {job.label!r} ({job.file})")
    return "".join(h + "\n" for h in hints)


def _calling_command(witness: Witness) -> str:
    """The job command line that starts the path to the run, without its own prefixes."""
    for frame in witness.run.path:
        if frame.kind == "command":
            return _without_assignments(frame.text)
    return ""


def render_step(job: Job, command: str, assignments: list[str], calling: str = "") -> str:
    """The smallest CI change that runs the subject: a copy of the job with the variables set,
    as its CI system writes a step (or, when a variable comes from the job's matrix, the value
    to add to that matrix)."""
    values = dict(a.split("=", 1) for a in assignments)
    return _matrix_hint(job, values) + front_end(job.system).fix_step(job, command, values, calling)


def _matrix_hint(job: Job, values: dict[str, str]) -> str:
    """`# or add ...` when a needed variable is fed by the job's matrix."""
    env = dict(job.env)
    hints = []
    for name, value in values.items():
        for key, current in job.matrix:
            if key == name or (env.get(name) == current and current):
                hints.append(f"# or add {value!r} to the matrix values of `{key or 'matrix'}` of {job.label!r} in {job.file}")
                break
    return "\n".join(hints) + ("\n" if hints else "")


def _without_assignments(text: str) -> str:
    return " ".join(without_leading_assignments(text.split()))


def _reason_text(inventory: Inventory, witness: Witness, guards, scripts: list[str], near) -> str:
    if not guards:
        who = "no job" if witness.job is None else f"job {witness.job.label!r}"
        return f"{who} reaches it at this revision although nothing guards it; the script that defines it is not run."
    parts = []
    for guard in guards:
        cond = guard.condition
        need = "true" if guard.required else "false"
        setters = {v: [lbl for lbl, val in inventory.variables_set.get(v, []) if val not in ("", UNSET)] for v in cond.variables}
        unset = [v for v, who in setters.items() if not who]
        detail = f"no job sets {', '.join(unset)}" if unset else _provided_text(guard)
        parts.append(f"it runs only when `{cond.text}` ({cond.location}) is {need}, and {detail}")
    text = "; ".join(parts) + "."
    if near:
        text += " " + "; ".join(f"job {label!r} sets {name}, a near miss of {wanted}" for name, wanted, label in near) + "."
    if witness.job is None:
        text = "no job runs its script at this revision; " + text
    return text[0].upper() + text[1:]


def _provided_text(guard: Guard) -> str:
    values = [f"{var}={value} ({label})" for label, var, value in guard.provided]
    if not values:
        return "no job satisfies it"
    return "the jobs reaching it have " + ", ".join(values[:4]) + (f" and {len(values) - 4} more" if len(values) > 4 else "")


def _unexplained(inventory: Inventory, subject: str, scripts: list[str], jobs: list[Job], before) -> Reason:
    present = [p for p in scripts if inventory.snapshot.exists(p)]
    if present and not jobs:
        where = ", ".join(present)
        who = sorted({r.job[0] for r in before})
        verb = "runs" if all(_is_script(inventory.snapshot, p) for p in present) else "uses"
        text = f"No job {verb} {where} at this revision" + (f" (before, it ran in: {', '.join(who)})" if who else "") + "."
        return Reason(text=text)
    if not present and scripts:
        return Reason(text=f"{', '.join(scripts)} no longer exists.")
    cuts = cuts_in(inventory, set(scripts) | {j.file for j in jobs}) or cuts_on_the_way(before or [], inventory)
    if cuts:
        return Reason(text=f"No analysed path reaches it at this revision, but the analysis was cut short on the way "
                           f"({cuts[0].location}: {cuts[0].reason}); it may still run.")
    return Reason(text="No path through the scripts reaches it at this revision, even with every environment variable free; it is unreachable as written.")


def cuts_in(inventory: Inventory, files: set[str], locations: frozenset = frozenset()) -> list:
    """The places in `files` (or at `locations`) past which the analysis of this revision did not go."""
    return [i for i in inventory.incomplete if i.cut and (i.location.path in files or i.location in locations)]


def cuts_on_the_way(runs, inventory: Inventory) -> list:
    """Cuts of `inventory`'s analysis in the scripts `runs` (of another revision) went through,
    or at their jobs and commands: where a run that vanished may have been lost to a cap."""
    files = {r.location.path for r in runs} | {f.location.path for r in runs for f in r.path if f.kind == "script"}
    places = frozenset(f.location for r in runs for f in r.path if f.kind in ("job", "command"))
    return cuts_in(inventory, files, places)


def _is_script(snapshot, path: str) -> bool:
    if path.endswith((".sh", ".bash")):
        return True
    try:
        return snapshot.read(path).startswith(b"#!")
    except KeyError:
        return False


def lost_branch(lost: list[Run], head_branches: set[tuple[str, str, bool]], inventory: Inventory, scripts: list[str]) -> Reason | None:
    """Why variants vanished though as many new ones run: a guard branch the lost runs took
    that no job takes at head, while jobs still reach the guard and take its other branch
    (`X=True` given where the script tests `== "1"`).  None when no such branch explains it
    (then the arguments merely changed).  The guard's variables are those its condition
    expands (`Comparison.reads`, as the interpreter read them from the syntax)."""
    for run in lost:
        for frame in run.path:
            cond = frame.condition
            if frame.kind != "guard" or cond is None:
                continue
            path = frame.location.path
            if (path, cond.text, cond.outcome) in head_branches:
                continue
            if (path, cond.text, not cond.outcome) not in head_branches:
                continue  # the guard itself is gone or no job reaches it: not this explanation
            variables = cond.compares.reads if cond.compares is not None else cond.variables
            needed = cond.outcome
            outcome = "true" if needed else "false"
            provided = inventory.provided_values(variables, [path, *scripts])
            given = ", ".join(f"{job} gives {name}={value}" for job, name, value in provided[:4]) or "no job sets " + ", ".join(variables)
            guard = Guard(Condition(frame.location, cond.text, variables, needed), needed, provided)
            return Reason(
                text=(f"These runs took the {outcome} branch of `{cond.text}` ({frame.location}); no job takes it now, "
                      f"though the guard is still there and reached: {given}."),
                variables=variables,
                guards=(guard,),
                near_misses=near_misses(inventory, variables),
            )
    return None
