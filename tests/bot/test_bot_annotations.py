"""`--format github`: workflow-command annotations, escaped and capped."""

from __future__ import annotations

import dataclasses
import re

import bot_reports as fx
from coverage_diff.model import Diagnostic, Location, Report
from coverage_diff.report import github

COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def unescape(value: str) -> str:
    """The runner's decoding (actions/toolkit command.ts, reversed)."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(code, char)
    return value


def parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    commands = []
    for line in text.splitlines():
        match = COMMAND.match(line)
        if match:
            level, props, message = match.groups()
            pairs = dict(p.split("=", 1) for p in props.split(","))
            commands.append((level, {k: unescape(v) for k, v in pairs.items()}, unescape(message)))
    return commands


def test_loss_is_annotated_on_the_blocking_guard():
    [(level, props, message)] = parse(github.render(fx.gemma_report()))
    assert level == "error"
    assert props["file"] == fx.SWEEP and props["line"] == "44"
    assert props["title"].startswith("coverage-diff silently-dropped: DECODER_TP_SIZE=2 MODEL_NAMES=google/gemma-3-4b-it")
    assert 'Blocked by [[ -n "${SW_ATTN:-}" ]]' in message
    assert message.endswith(fx.FIX.rstrip())  # the fix arrives intact, newlines and all


def test_without_a_guard_the_config_entry_line_is_used():
    finding = fx.dropped()
    finding = dataclasses.replace(finding, reason=dataclasses.replace(finding.reason, guards=()))
    [(_, props, _)] = parse(github.render(Report(command="diff", findings=(finding,))))
    assert (props["file"], props["line"]) == (fx.SWEEP, "31")


def test_hostile_text_cannot_forge_commands_or_break_properties():
    report = fx.hostile_report()
    text = github.render(report)
    assert "\x1b" not in text and "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error ")
    [(_, props, message)] = parse(text)
    assert set(props) == {"file", "line", "title"}
    assert "@org/team" in props["title"] and "| pipe new line" in props["title"]
    assert "pipe\nnew line" in message


def test_percent_colon_and_comma_round_trip():
    finding = dataclasses.replace(fx.dropped(text="A=100% B=x,y:z"), subject="A=100% B=x,y:z")
    [(_, props, _)] = parse(github.render(Report(command="diff", findings=(finding,))))
    assert props["title"] == "coverage-diff silently-dropped: A=100% B=x,y:z"


def test_annotations_are_capped_with_an_overflow_notice_and_a_full_log():
    many = tuple(fx.dropped(text=f"M=model-{i}") for i in range(25))
    text = github.render(Report(command="diff", findings=many))
    commands = parse(text)
    assert len(commands) == github.MAX_PER_LEVEL
    assert all(level == "error" for level, _, _ in commands)
    assert "16 more error findings are not shown as annotations" in commands[-1][2]
    plain = [line for line in text.splitlines() if not line.startswith("::")]
    assert len(plain) == 16 and all(line.startswith("coverage-diff error at ") for line in plain)
    shown = {p["title"].split(": ", 1)[1] for _, p, _ in commands[:-1]}
    logged = {re.search(r"silently-dropped: (M=model-\d+):", line).group(1) for line in plain}
    assert len(shown | logged) == 25  # every finding appears once, annotated or logged


def test_moves_are_not_annotated_and_input_problems_are():
    report = Report(command="diff", findings=(fx.moved(), fx.added()),
                    diagnostics=(Diagnostic(Location(".buildkite/x.yaml", 3), "mapping values are not allowed"),))
    assert parse(github.render(report)) == [
        ("warning", {"file": ".buildkite/x.yaml", "line": "3", "title": "coverage-diff input problem"},
         "mapping values are not allowed")]
    assert github.render(fx.clean_report()) == ""
