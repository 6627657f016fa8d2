"""The hostile corpus (issue 7), run through the real CLI on real git repositories.

For every case: its diagnostics name file:line, its `incomplete` entries say
where precision was given up, the gemma-3 silent drop elsewhere in the tree is
still reported, and readable parts of the broken input are still analysed.
"""

from __future__ import annotations

import pytest
from hostile_cases import CASES, SWEEP, Case, Expect
from hostile_kit import build_repo, run_cli, run_cli_isolated


def analyse(case: Case, tmp_path, fmt: str):
    repo = build_repo(tmp_path / "repo", case.layers())
    args = ["base..head", "--repo", str(repo), "--format", fmt]
    return run_cli_isolated(args) if case.heavy else run_cli(args)


def _describe(items: list[dict], key: str) -> str:
    return "\n".join(f"  {i['path']}:{i['line']}: {i[key]}" for i in items) or "  (none)"


def assert_expected(expected: tuple[Expect, ...], found: list[dict], key: str, what: str) -> None:
    for e in expected:
        assert any(e.matches(item, key) for item in found), f"no {what} {e} among:\n{_describe(found, key)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_case(case: Case, tmp_path):
    result = analyse(case, tmp_path, "json")
    assert result.code == (1 if case.dropped else 0), result.stderr
    report = result.report
    assert_expected(case.diagnostics, report["diagnostics"], "message", "diagnostic")
    assert_expected(case.incomplete, report["incomplete"], "reason", "incomplete entry")
    if case.whole:
        assert not report["diagnostics"] and not report["incomplete"], (report["diagnostics"], report["incomplete"])
    for item in report["diagnostics"] + report["incomplete"]:
        assert item["line"] >= 1, f"a diagnostic or incomplete entry without a line: {item}"

    findings = report["findings"]
    dropped = {f["subject"]: f for f in findings if f["kind"] == "silently-dropped"}
    for subject in case.dropped:
        assert subject in dropped, f"{subject} no longer reported; findings: {[(f['kind'], f['subject']) for f in findings]}"
        reason = dropped[subject]["reason"]
        assert "SW_ATTN" in reason["variables"]
        assert f"{SWEEP}:{case.guard_line}" in reason["text"]
    added = " ".join(f["subject"] for f in findings if f["kind"] == "added")
    for words in case.added:
        assert words in added, f"{words} not analysed; added subjects: {added}"
    for text in case.absent:
        assert text not in result.stdout


@pytest.mark.parametrize("case", [c for c in CASES if (c.diagnostics or c.incomplete) and not c.heavy], ids=lambda c: c.name)
def test_hostile_case_text_output(case: Case, tmp_path):
    """The text report lists each diagnostic by file:line and says what was analysed only partly."""
    result = analyse(case, tmp_path, "text")
    assert "\x1b" not in result.stdout
    for e in case.diagnostics:
        where = f"{e.path}:{e.line}" if e.line else e.path
        assert where in result.stdout.replace("\\n", "\n") or where.replace("\n", " ") in result.stdout
    if case.incomplete:
        assert "Analysed only partly" in result.stdout
