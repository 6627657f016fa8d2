"""Issue 20: text from the pull request is inert in every output: no GitHub
workflow command (`##[...]` anywhere, `::...` where a line starts), no control,
bidi or zero-width character, valid XML for GraphML and SVG, and no autolink or
math in the comment."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from hostile_cases import CORE_BASE, GEMMA, area, step, sweep
from hostile_kit import build_repo, run_cli

HIDDEN = "\u202e\u2066\u200b\ufeff\u061c\u2028"  # (joiners are how the output breaks `##[`, links and mentions)
LABEL = '"##[add-mask]s3cret ##[error]forged \\u202egnp.exe \\u200bhid\\u200bden https://evil.example $x^2$ www.evil.example"'
ENTRIES = [f"MODEL_NAMES=m{i} NOTE=##[error]e{i}" for i in range(12)]
NEWLINE_FILE = ".buildkite/test_areas/x\n::error::forged-by-name.yaml"


@pytest.fixture(scope="module")
def loud(tmp_path_factory):
    steps = step(LABEL, "pytest loud.py") + step("plain", "bash pd/sweep.sh")
    base = {**CORE_BASE, "tests/pd/sweep.sh": sweep([*ENTRIES, GEMMA], []),
            ".buildkite/test_areas/loud.yaml": area(steps),
            NEWLINE_FILE: area(step("named", "pytest named.py"))}
    head = {"tests/pd/sweep.sh": sweep([], [*ENTRIES, GEMMA]),
            ".buildkite/test_areas/loud.yaml": area(step(LABEL, "pytest loud2.py", "bash pd/sweep.sh")),
            NEWLINE_FILE: area(step("named \u202eevil\u200b", "pytest named2.py"))}
    return build_repo(tmp_path_factory.mktemp("loud") / "repo", [("base", base), ("head", head)])


OWN_COMMAND = re.compile(r"::(error|warning|notice) (file=[^:,\n]*,)?(line=\d+,)?title=[^:\n]*::")


def prose(markdown: str) -> str:
    """Markdown without its code blocks and code spans (where nothing is linked or typeset)."""
    markdown = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1", "", markdown)
    return re.sub(r"(`+).*?\1", "", markdown)


def assert_inert(output: str, *, own_commands: bool = False) -> None:
    for line in output.split("\n"):
        assert "##[" not in line, line
        if line.lstrip().startswith("::"):
            assert own_commands and OWN_COMMAND.match(line), line
    for char in HIDDEN + "\x1b\x07":
        assert char not in output, repr(char)


@pytest.mark.parametrize("fmt", ["text", "github", "markdown", "json", "sarif"])
def test_no_workflow_command_or_hidden_character_reaches_the_log(loud, fmt):
    result = run_cli(["base..head", "--repo", str(loud), "--format", fmt, "--verbose"])
    assert result.code == 1, result.stderr
    assert "m11" in result.stdout and "gemma-3-4b-it" in result.stdout
    if fmt in ("json", "sarif"):
        return  # data formats: the text is carried as data, escaped by JSON
    assert_inert(result.stdout + result.stderr, own_commands=fmt == "github")
    if fmt == "github":
        assert "left out" in result.stdout or "not shown as annotations" in result.stdout  # past ten findings
    if fmt == "markdown":
        text = prose(result.stdout)
        assert "https://evil" not in text and "www.evil" not in text  # no autolink
        assert "$x^2$" not in text and "\\$x^2\\$" in text  # no math


def test_the_comment_dry_run_is_inert_too(loud, monkeypatch):
    for name in ("GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    result = run_cli(["comment", "base..head", "--repo", str(loud), "--dry-run", "--github-repo", "octo/x", "--pr", "1"])
    assert result.code == 0, result.stderr
    assert "gemma-3-4b-it" in result.stdout
    assert_inert(result.stdout + result.stderr)
    assert "https://evil" not in prose(result.stdout) and "$x^2$" not in prose(result.stdout)


@pytest.mark.parametrize("command", [["inventory", "head"], ["explain", "head", "m11"], ["audit", "head"]])
def test_other_text_outputs(loud, command):
    result = run_cli([*command, "--repo", str(loud)])
    assert result.code in (0, 1), result.stderr
    assert_inert(result.stdout + result.stderr)


@pytest.mark.parametrize("fmt", ["dot", "graphml", "svg", "mermaid"])
def test_graphs_are_inert_and_graphml_and_svg_are_valid_xml(loud, fmt):
    if fmt == "svg" and shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    result = run_cli(["graph", "head", "--repo", str(loud), "--format", fmt])
    assert result.code == 0, result.stderr
    assert_inert(result.stdout)
    if fmt in ("graphml", "svg"):
        ET.fromstring(result.stdout.encode())
    assert "m11" in result.stdout or fmt == "svg"
