"""`explain` as text or JSON: present an ExplainResult, compute nothing."""

from __future__ import annotations

from ..explain import ExplainResult, ReachPath, Side, Step, SubjectExplanation
from .escape import one_line, terminal
from .json import config_dict, dumps, location_dict, reason_dict, run_dict

MAX_RUNS_SHOWN = 5
TITLES = {"entry": "config entry", "command": "test command", "guard": "guard", "step": "CI command line"}

EXPLAIN_VERSION = 1  # the explain JSON's own version (the report's is json.SCHEMA_VERSION)


def render(result: ExplainResult, fmt: str = "text") -> str:
    if fmt == "json":
        return dumps(to_dict(result))
    if fmt == "text":
        return text(result)
    raise ValueError(f"explain supports text or json, not {fmt!r}")


# ----------------------------------------------------------------------------- text
def text(result: ExplainResult) -> str:
    against = f" (compared with {terminal(result.base)})" if result.base is not None else ""
    lines = [f"explain {one_line(result.query)!r} at {terminal(result.head)}{against}"]
    if not result.subjects:
        lines.append("Nothing matches: no config entry, test command or guard is named by this query.")
    for subject in result.subjects:
        lines.append("")
        lines += _subject(subject)
    if result.more:
        lines.append("")
        lines.append(f"... and {result.more} more matches not explained; narrow the query or raise --limit.")
    if result.incomplete:
        lines.append("")
        lines.append(f"Analysed only partly ({len(result.incomplete)} places; results there may be incomplete):")
        lines += [f"  {terminal(str(i.location))}: {one_line(i.reason)}" for i in result.incomplete[:10]]
    return "\n".join(lines) + "\n"


def _subject(subject: SubjectExplanation) -> list[str]:
    lines = [f"{TITLES.get(subject.kind, subject.kind)}: {one_line(subject.text)}"]
    if subject.base is not None:
        lines += _side(f"at base ({terminal(subject.base.revision)})", subject.base, subject.kind)
        lines += _side(f"at head ({terminal(subject.head.revision)})", subject.head, subject.kind)
    else:
        lines += _side(f"at {terminal(subject.head.revision)}", subject.head, subject.kind)
    return lines


def _side(title: str, side: Side, kind: str) -> list[str]:
    head = f"  {title}:"
    where = _where(side)
    if side.reached:
        count = len(side.paths)
        verb = "EVALUATED" if kind == "guard" else "RUNS"
        lines = [f"{head} {verb}, reached by {count} path{'s' if count != 1 else ''}{where}"]
        for number, path in enumerate(side.paths, start=1):
            lines += _path(number, path)
    elif kind == "entry" and not side.defined:
        return [f"{head} not defined at this revision"]
    else:
        lines = [f"{head} {'NOT EVALUATED' if kind == 'guard' else 'NOT RUN'}{where}; no path reaches it"]
    if side.blocks:
        lines.append("    it keeps these entries from running: " + "; ".join(one_line(b) for b in side.blocks))
    if side.reason is not None:
        lines += _reason(side)
    return lines


def _where(side: Side) -> str:
    if side.defined:
        places = ", ".join(f"{one_line(e.array)} at {terminal(str(e.location))}" for e in side.defined)
        return f" (defined in {places})"
    if side.locations:
        return f" ({', '.join(terminal(str(loc)) for loc in side.locations)})"
    return ""


def _path(number: int, path: ReachPath) -> list[str]:
    lines = [f"    path {number}:"]
    for index, step in enumerate(path.steps):
        arrow = "      " if index == 0 else "      -> "
        lines.append(arrow + _step(step))
    shown = path.runs[:MAX_RUNS_SHOWN]
    for run in shown:
        lines.append(f"      => run {one_line(' '.join(run.argv))} ({terminal(str(run.location))})")
    if len(path.runs) > len(shown):
        lines.append(f"      => ... and {len(path.runs) - len(shown)} more runs")
    return lines


def _step(step: Step) -> str:
    where = f" ({terminal(str(step.location))})" if step.location is not None and step.kind != "script" else ""
    env = f", sets {one_line(' '.join(f'{k}={v}' for k, v in step.env))}" if step.env else ""
    if step.kind == "guard":
        branch = {True: " is true", False: " is false", None: ""}[step.outcome]
        return f"guard `{one_line(step.text)}`{branch}{where}"
    if step.kind == "job":
        return f"job {one_line(step.text)!r}{where}{env}"
    if step.kind == "command":
        return f"command `{one_line(step.text)}`{where}{env}"
    return f"{step.kind} {one_line(step.text)}{where}{env}"


def _reason(side: Side) -> list[str]:
    reason = side.reason
    lines = []
    for guard in reason.guards:
        need = "true" if guard.required else "false"
        lines.append(f"    blocked by `{one_line(guard.condition.text)}` at {terminal(str(guard.condition.location))} (needs {need})")
        if guard.provided:
            lines.append("      what the jobs reaching the script provide:")
            lines += [f"        {one_line(job)}: {one_line(var)}={one_line(value)}" for job, var, value in guard.provided]
        else:
            lines.append("      no job reaches the script to provide a value")
    for name, wanted, job in reason.near_misses:
        lines.append(f"    near miss: job {one_line(job)!r} sets {one_line(name)}, the guard reads {one_line(wanted)}")
    if reason.text:
        lines.append(f"    why: {one_line(reason.text)}")
    if reason.fix:
        lines.append("    suggested fix (YAML ready to paste):")
        lines += ["      " + terminal(line) for line in reason.fix.splitlines()]
    return lines


# ----------------------------------------------------------------------------- json
def to_dict(result: ExplainResult) -> dict:
    return {
        "version": EXPLAIN_VERSION,
        "command": "explain",
        "query": result.query,
        "head": result.head,
        "base": result.base,
        "subjects": [
            {"kind": s.kind, "subject": s.subject, "text": s.text, "head": side_dict(s.head), "base": side_dict(s.base)}
            for s in result.subjects
        ],
        "more": result.more,
        "diagnostics": [{"path": d.location.path, "line": d.location.line, "severity": d.severity, "message": d.message} for d in result.diagnostics],
        "incomplete": [{"path": i.location.path, "line": i.location.line, "reason": i.reason} for i in result.incomplete],
    }


def side_dict(side: Side | None) -> dict | None:
    if side is None:
        return None
    return {
        "revision": side.revision,
        "reached": side.reached,
        "defined": [config_dict(e) for e in side.defined],
        "locations": [location_dict(loc) for loc in side.locations],
        "paths": [path_dict(p) for p in side.paths],
        "reason": reason_dict(side.reason),
        "blocks": list(side.blocks),
    }


def path_dict(path: ReachPath) -> dict:
    return {
        "job": path.job_id,
        "label": path.job_label,
        "steps": [step_dict(s) for s in path.steps],
        "runs": [run_dict(r) for r in path.runs],
    }


def step_dict(step: Step) -> dict:
    out = {"kind": step.kind, "text": step.text, "path": step.location.path if step.location else None,
           "line": step.location.line if step.location else None, "env": dict(step.env)}
    if step.kind == "guard":
        out["outcome"] = step.outcome
    return out
