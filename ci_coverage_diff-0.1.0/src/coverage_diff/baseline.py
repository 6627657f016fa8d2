"""Baselines: accept today's findings so that only new ones fail the nightly job.

A baseline file is JSON: `{"version": 1, "findings": [{"id", "rule", "subject"}]}`.
Finding ids are `rule:subject`, where the subject is a config entry's content, a
variable, a path or a step key: never a line number, so edits that only move
lines keep a baselined finding baselined.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .model import Report

VERSION = 1


class BaselineError(Exception):
    pass


def write(report: Report, path: Path) -> None:
    entries = sorted({f.id: {"id": f.id, "rule": f.rule or f.kind, "subject": f.subject} for f in report.findings}.values(), key=lambda e: e["id"])
    path.write_text(json.dumps({"version": VERSION, "tool": "coverage-diff", "findings": entries}, indent=2, ensure_ascii=False) + "\n")


def read(path: Path) -> frozenset[str]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a coverage-diff baseline (expected an object with a `findings` list)")
    ids = []
    for item in data["findings"]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.append(item["id"])
        elif isinstance(item, str):
            ids.append(item)
    return frozenset(ids)


def only_new(report: Report, known: frozenset[str]) -> Report:
    """The report without the findings the baseline already knows."""
    new = tuple(f for f in report.findings if not known.intersection(f.ids))
    summary = tuple(report.summary) + (("baselined", len(report.findings) - len(new)),)
    return replace(report, findings=new, summary=summary)
