"""SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDE viewers).

One run; the driver lists a reporting descriptor per rule (audit rules from the
registry, diff kinds from `kinds.py`) with its description as help text;
each finding is a result at its file:line regions, with a partial fingerprint
from its line-independent id so that code scanning tracks it across edits.
"""

from __future__ import annotations

import hashlib

from .. import DOCS_URL, HOMEPAGE, __version__
from ..kinds import KINDS
from ..model import Finding, Location, Report, Severity
from .json import dumps

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(report: Report, *, repo_url: str | None = None, **_options) -> str:
    return dumps(to_sarif(report, repo_url=repo_url))


def to_sarif(report: Report, repo_url: str | None = None) -> dict:
    rule_ids = _rule_ids(report)
    run = {
        "tool": {"driver": {
            "name": "coverage-diff",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": HOMEPAGE,
            "rules": [descriptor(rule_id) for rule_id in rule_ids],
        }},
        "automationDetails": {"id": f"coverage-diff/{report.command}/"},
        "results": [result(f, rule_ids.index(f.rule or f.kind)) for f in report.findings],
        "columnKind": "unicodeCodePoints",
    }
    if report.diagnostics:
        run["invocations"] = [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [_notification(d) for d in report.diagnostics],
        }]
    if repo_url:
        run["versionControlProvenance"] = [{"repositoryUri": repo_url}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule_ids(report: Report) -> list[str]:
    """Every audit rule for an audit (so code scanning can close fixed alerts), plus
    the kinds the findings use."""
    ids: list[str] = []
    if report.command == "audit":
        from ..audit import RULES

        ids += [module.ID for module in RULES]
    for f in report.findings:
        if (f.rule or f.kind) not in ids:
            ids.append(f.rule or f.kind)
    return ids


def descriptor(rule_id: str) -> dict:
    severity, text = _metadata(rule_id)
    short = text.strip().split("\n\n")[0].replace("\n", " ")
    return {
        "id": rule_id,
        "name": KINDS[rule_id].sarif_name if rule_id in KINDS else "Audit" + "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": short},
        "fullDescription": {"text": " ".join(text.split())},
        "help": {"text": text.strip(), "markdown": text.strip()},
        "helpUri": f"{DOCS_URL}/{'bot.md' if rule_id in KINDS else 'audit.md'}",
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"tags": ["ci", "test-coverage"]},
    }


def _metadata(rule_id: str) -> tuple[Severity, str]:
    from ..audit import RULES

    for module in RULES:
        if module.ID == rule_id:
            return module.SEVERITY, module.DESCRIPTION
    if rule_id in KINDS:
        return KINDS[rule_id].severity, KINDS[rule_id].description
    return Severity.WARNING, f"coverage-diff finding `{rule_id}`."


def result(f: Finding, rule_index: int) -> dict:
    out = {
        "ruleId": f.rule or f.kind,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": _message(f)},
        "partialFingerprints": {"coverageDiffId/v1": hashlib.sha256(f.id.encode()).hexdigest()},
        "properties": {"subject": f.subject, **{k: v for k, v in f.details}},
    }
    if f.acknowledged is not None:  # an intended loss: reported, and suppressed with its reason
        out["suppressions"] = [{"kind": "inSource" if f.acknowledged.location else "external",
                                "status": "accepted", "justification": f.acknowledged.reason}]
    elif f.accepted_once_merged is not None:  # the change's own comment: under review until merged
        out["suppressions"] = [{"kind": "inSource", "status": "underReview", "justification": f.accepted_once_merged.reason}]
    every = all_places(f)
    locations = every[:MAX_LOCATIONS]
    if len(every) > MAX_LOCATIONS:  # the places its runs came from, past the ones listed
        out["message"]["text"] += f" (and {len(every) - MAX_LOCATIONS} more places it ran at, not listed)"
    if locations:
        out["locations"] = [physical(locations[0])]
        if len(locations) > 1:
            out["relatedLocations"] = [dict(physical(loc), id=i) for i, loc in enumerate(locations[1:], start=1)]
    return out


def _message(f: Finding) -> str:
    text = f.message or f.subject or f.rule or f.kind
    if f.reason and f.reason.text and f.reason.text not in text:
        text += " " + f.reason.text
    if f.reason and f.reason.fix:
        text += "\n\nSuggested fix:\n" + f.reason.fix
    return text


def places(f: Finding) -> list[Location]:
    """The place to fix first (the blocking guard), then the entry and the others; a
    finding with none of these (a removed test command) is placed where it ran, or at
    its job's CI file: code scanning rejects a result without a location."""
    return all_places(f)[:MAX_LOCATIONS]


def all_places(f: Finding) -> list[Location]:
    ordered = [g.condition.location for g in (f.reason.guards if f.reason else ())]
    ordered += [f.config.location] if f.config else []
    ordered += list(f.locations)
    if not any(loc.path for loc in ordered):
        ordered += [run.location for run in f.head_runs + f.base_runs]
        ordered += [job_file for run in f.head_runs + f.base_runs if (job_file := _job_file(run.job_id))]
    return [loc for loc in dict.fromkeys(ordered) if loc.path]


MAX_LOCATIONS = 10  # GitHub keeps the first location and up to a few related ones; more is noise


def _job_file(job_id: str) -> Location | None:
    """The CI file in a job id (`system:file:key ...`)."""
    parts = job_id.split(":", 2)
    return Location(parts[1]) if len(parts) == 3 and parts[1] else None


def physical(loc: Location) -> dict:
    physical_location: dict = {"artifactLocation": {"uri": _uri(loc.path), "uriBaseId": "%SRCROOT%"}}
    if loc.line > 0:
        region: dict = {"startLine": loc.line}
        if loc.column > 0:
            region["startColumn"] = loc.column
        physical_location["region"] = region
    return {"physicalLocation": physical_location}


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.lstrip("/"), safe="/")


def _notification(diagnostic) -> dict:
    out = {"message": {"text": diagnostic.message}, "level": "error" if diagnostic.severity == "error" else "warning"}
    if diagnostic.location.path:
        out["locations"] = [physical(diagnostic.location)]
    return out
