"""Suppressions: inline comments in the analysed files and the settings' `ignore` list.

    # coverage-diff: ignore[unreachable-config] runs by hand before each release
    # coverage-diff: ignore[unset-switch,value-mismatch] reason...
    # coverage-diff: ignore  (every rule)

A comment suppresses a finding when it sits on one of the finding's lines (its
config entry, its locations) or on the line just above.  `[tool.coverage-diff]`
`ignore = ["path-filter-gap", "unreachable-config:*gemma*"]` drops a whole rule
or the findings whose id (`rule:subject`) matches a glob.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .model import Finding, Location

_COMMENTS = {verb: re.compile(rf"#\s*coverage-diff:\s*{verb}(?:\[([^\]]*)\])?(.*)$") for verb in ("ignore", "accept")}


@dataclass(frozen=True)
class Suppression:
    location: Location
    rules: tuple[str, ...]  # empty: every rule
    reason: str

    def covers(self, rule: str) -> bool:
        return not self.rules or rule in self.rules or "*" in self.rules


def parse_line(line: str, verb: str = "ignore") -> tuple[tuple[str, ...], str] | None:
    """(rules, reason) of an ignore (or `accept`, acknowledge.py) comment on the line, or None."""
    match = _COMMENTS[verb].search(line)
    if match is None:
        return None
    rules = tuple(r.strip() for r in (match.group(1) or "").split(",") if r.strip())
    return rules, match.group(2).strip()


def inline(snapshot, path: str, verb: str = "ignore") -> dict[int, Suppression]:
    """Line number -> the ignore (or `verb`) comment written on it, for one file of the snapshot."""
    if not snapshot.exists(path):
        return {}
    found = {}
    for number, line in enumerate(snapshot.text(path).splitlines(), start=1):
        if "coverage-diff" in line:
            parsed = parse_line(line, verb)
            if parsed is not None:
                found[number] = Suppression(Location(path, number), *parsed)
    return found


def finding_lines(finding: Finding) -> list[Location]:
    locations = list(finding.locations)
    if finding.config is not None:
        locations.insert(0, finding.config.location)
    return [loc for loc in locations if loc.path and loc.line]


def suppressed_inline(finding: Finding, snapshot, cache: dict, verb: str = "ignore",
                      lines: list[Location] | None = None) -> Suppression | None:
    """The comment on one of the finding's lines (or just above one) that covers its rule."""
    rule = finding.rule or finding.kind
    for loc in finding_lines(finding) if lines is None else lines:
        if loc.path not in cache:
            cache[loc.path] = inline(snapshot, loc.path, verb)
        comments = cache[loc.path]
        for line in (loc.line, loc.line - 1):
            comment = comments.get(line)
            if comment is not None and comment.covers(rule):
                return comment
    return None


def ignored_by_settings(finding: Finding, patterns) -> bool:
    rule = finding.rule or finding.kind
    return any(p == rule or fnmatch.fnmatchcase(finding.id, p) for p in patterns)


def apply(findings: list[Finding], snapshot, settings) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed)."""
    kept, dropped = [], []
    cache: dict = {}
    for finding in findings:
        if ignored_by_settings(finding, settings.ignore) or suppressed_inline(finding, snapshot, cache):
            dropped.append(finding)
        else:
            kept.append(finding)
    return kept, dropped
