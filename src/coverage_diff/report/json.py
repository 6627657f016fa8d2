"""JSON output: the contract other tools rely on, published as a JSON Schema
(`coverage_diff/schema/report-v2.json`; README.md, JSON).

`{"version", "command", "base", "head", "summary", "stats", "findings": [...],
"diagnostics": [...], "incomplete": [...]}`; each finding has `kind` (diff) or `rule` (audit),
`subject`, `config` ({text, path, line, array} or null), `reason` ({text, variables, guards,
near_misses, fix} or null) and `acknowledged` ({reason, path, line} or null); a loss that an
`accept` comment of the change itself would acknowledge once merged has `accepted_once_merged`
(the same shape) and still counts.  `summary`
holds counts a consumer may rely on; `stats` the analysis's own counters, which may
change in any release.

A finding lists at most MAX_RUNS of its runs per side, one of each job first, and says how
many it leaves out (`base_runs_omitted`, `head_runs_omitted`); a run lists at most
MAX_ASSUMPTIONS assumptions (`assumptions_omitted`).  An unknown `case` subject in a loop
gives an added subject thousands of runs with hundreds of assumptions each: listed whole,
30 arms made a 34 MB report and 600 arms one of 2 GB, 12 GB to build.
"""

from __future__ import annotations

import io
import json

from ..model import Acknowledgement, ConfigEntry, Finding, Location, Reason, Report, Run

SCHEMA_VERSION = 2
SCHEMA_ID = f"urn:coverage-diff:schema:report:{SCHEMA_VERSION}"  # the schema's `$id`
# The counters of how the analysis went (sizes, cache use): `stats`, outside the contract.
MAX_RUNS = 20  # runs listed per finding and side
MAX_ASSUMPTIONS = 50  # assumptions listed per run
STATS = frozenset({"base_runs", "head_runs", "base_jobs", "head_jobs", "inventories_built", "job_outcomes_reused",
                   "cache_hits", "cache_misses"})


def render(report: Report, **_options) -> str:
    return dumps(to_dict(report))


def dumps(data) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=False)` and a newline, written piece by
    piece into one buffer.  (`json.dumps` with an indent first lists every piece: for the
    inventory of a large repository, millions of small strings, the peak of the command.)"""
    out = io.StringIO()
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")
    return out.getvalue()


def to_dict(report: Report) -> dict:
    return {
        "version": SCHEMA_VERSION,
        "command": report.command,
        "base": report.base,
        "head": report.head,
        "summary": {name: n for name, n in report.summary if name not in STATS} | {"downgraded": report.downgraded},
        "stats": {name: n for name, n in report.summary if name in STATS},
        "findings": [finding_dict(f) for f in report.findings],
        "groups": groups(report),
        "diagnostics": [{"path": d.location.path, "line": d.location.line, "severity": d.severity, "message": d.message} for d in report.diagnostics],
        "incomplete": [{"path": i.location.path, "line": i.location.line, "reason": i.reason} for i in report.incomplete],
        "fails_incomplete": report.fails_incomplete or None,
    }


def groups(report: Report) -> list[dict]:
    """The losses by root cause: one removed matrix value, deleted job or unset switch is
    one group, with its subjects and one fix."""
    found: dict[str, dict] = {}
    for f in report.findings:
        cause = dict(f.details).get("cause")
        if not cause:
            continue
        group = found.setdefault(cause, {"cause": cause, "severity": f.severity.value, "kinds": [], "findings": [],
                                         "fix": (f.reason.fix if f.reason else "") or None})
        group["kinds"] = sorted(set(group["kinds"]) | {f.kind})
        group["findings"].append(f.id)
    return list(found.values())


def finding_dict(f: Finding) -> dict:
    out = {"id": f.id}
    if f.rule:
        out["rule"] = f.rule
    else:
        out["kind"] = f.kind
    out.update(
        subject=f.subject,
        severity=f.severity.value,
        message=f.message,
        config=config_dict(f.config),
        reason=reason_dict(f.reason),
        locations=[location_dict(loc) for loc in f.locations],
        base_runs=[run_dict(r) for r in listed_runs(f.base_runs)],
        head_runs=[run_dict(r) for r in listed_runs(f.head_runs)],
        acknowledged=acknowledgement_dict(f.acknowledged),
    )
    for side, runs in (("base_runs", f.base_runs), ("head_runs", f.head_runs)):
        if len(runs) > MAX_RUNS:
            out[f"{side}_omitted"] = len(runs) - MAX_RUNS
    if f.accepted_once_merged is not None:
        out["accepted_once_merged"] = acknowledgement_dict(f.accepted_once_merged)
    out.update(dict(f.details))
    return out


def acknowledgement_dict(ack: Acknowledgement | None) -> dict | None:
    """An intended loss: the reason and where it is written (path null: the settings)."""
    if ack is None:
        return None
    return {"reason": ack.reason, "path": ack.location.path if ack.location else None,
            "line": ack.location.line if ack.location else None}


def location_dict(loc: Location) -> dict:
    return {"path": loc.path, "line": loc.line}


def config_dict(entry: ConfigEntry | None) -> dict | None:
    if entry is None:
        return None
    return {"text": entry.text, "path": entry.location.path, "line": entry.location.line, "array": entry.array}


def reason_dict(reason: Reason | None) -> dict | None:
    if reason is None:
        return None
    return {
        "text": reason.text,
        "variables": list(reason.variables),
        "guards": [
            {
                "path": g.condition.location.path,
                "line": g.condition.location.line,
                "condition": g.condition.text,
                "variables": list(g.condition.variables),
                "required": g.required,
                "provided": [{"job": job, "variable": var, "value": value} for job, var, value in g.provided],
            }
            for g in reason.guards
        ],
        "near_misses": [{"set": name, "read": wanted, "job": job} for name, wanted, job in reason.near_misses],
        "fix": reason.fix or None,
    }


def listed_runs(runs: tuple[Run, ...] | list[Run]) -> list[Run]:
    """At most MAX_RUNS of `runs`, in their order: the first run of each job, then the
    others, so every job shows while there are no more jobs than that."""
    if len(runs) <= MAX_RUNS:
        return list(runs)
    chosen: dict[int, None] = {}
    seen: set[str] = set()
    for i, run in enumerate(runs):
        if run.job_id not in seen:
            seen.add(run.job_id)
            chosen[i] = None
            if len(chosen) == MAX_RUNS:
                break
    for i in range(len(runs)):
        if len(chosen) == MAX_RUNS:
            break
        chosen.setdefault(i, None)
    return [runs[i] for i in sorted(chosen)]


def run_dict(run: Run) -> dict:
    out = {
        "job": run.job_id,
        "argv": list(run.argv),
        "env": dict(run.env),
        "cwd": run.cwd,
        "path": run.location.path,
        "line": run.location.line,
        "platform": run.platform,
        "conditional": run.conditional,
        "assumptions": [a.condition.text + (" (" + a.detail + ")" if a.detail else "") for a in run.assumptions[:MAX_ASSUMPTIONS]],
    }
    if len(run.assumptions) > MAX_ASSUMPTIONS:
        out["assumptions_omitted"] = len(run.assumptions) - MAX_ASSUMPTIONS
    return out
