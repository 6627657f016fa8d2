"""A repeated diff or inventory is answered from the output the first run stored
(`engine/stored.py`, `cli.stored_answer`): same stdout, same exit code, same file, without
loading typer; anything it cannot answer goes to the typer commands unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import history
import pytest

from coverage_diff.cli import _plain, _DIFF_OPTIONS, stored_answer

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
import coverage_diff.cli as cli
if sys.argv[1] == "full":
    cli.stored_answer = lambda args: None  # the typer commands, whatever is stored
code = None
try:
    cli.main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nRESULT " + json.dumps({"code": code, "typer": "typer" in sys.modules}) + "\\n")
"""


def run(path: str, args: list[str], cache: Path, cwd: Path | None = None) -> tuple[str, int, bool, str]:
    """(stdout, exit code, whether typer was loaded, stderr) of the CLI in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", PROBE, path, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COVERAGE_DIFF_CACHE_DIR": str(cache)})
    err, _, result = proc.stderr.rpartition("\nRESULT ")
    outcome = json.loads(result)
    return proc.stdout, outcome["code"] or 0, outcome["typer"], err


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return history.build(ROOT / "fixtures" / "vllm_pd_split", tmp_path_factory.mktemp("stored") / "repo")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Shared by the tests that only read stored outputs: the analysis runs once per range."""
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("spec, code", [("base..head", 1), ("base...head", 1), ("head..head", 0)])
@pytest.mark.parametrize("fmt", ["json", "text", "markdown"])
def test_a_stored_diff_prints_what_the_full_command_printed(repo, cache, fmt, spec, code):
    args = [spec, "--repo", str(repo), "--format", fmt]
    full = run("full", args, cache)
    assert full[1] == code and full[2]  # the typer commands ran, and stored the output
    again = run("main", args, cache)
    assert again[:2] == full[:2]
    assert not again[2], "answered from the stored output without typer"
    assert again[3] == full[3] == ""
    if fmt == "json":  # and what was stored is what a run without the cache prints
        assert run("full", [*args, "--no-cache"], cache)[:2] == full[:2]


@pytest.mark.parametrize("fail_on", [None, "error", "warning", "info", "never"])
def test_every_fail_on_level_gets_the_full_commands_exit_code(repo, cache, fail_on):
    """Also the defaults (text, --fail-on error) when no option is given."""
    run("full", ["diff", "base..head", "-C", str(repo), "-v"], cache)  # stores the output with every level's code
    args = ["diff", "base..head", "-C", str(repo), "-v", *([f"--fail-on={fail_on}"] if fail_on else [])]
    fast = run("main", args, cache)
    assert not fast[2]
    assert fast[:2] == run("full", args, cache)[:2]


def test_render_options_are_part_of_the_key(repo, tmp_path):
    run("full", ["base..head", "--repo", str(repo)], tmp_path)
    for other in (["--verbose"], ["--format", "json"], ["--repo-url", "https://example.invalid/r"]):
        args = ["base..head", "--repo", str(repo), *other]
        first = run("main", args, tmp_path)
        assert first[2], f"{other}: nothing stored for it yet, so the typer commands answer"
        assert run("main", args, tmp_path)[:3] == (first[0], first[1], False)


def test_output_file_and_inventory(repo, tmp_path):
    for fmt in ("text", "json"):
        args = ["inventory", "head", "--repo", str(repo), "--format", fmt]
        full = run("full", args, tmp_path)
        fast = run("main", args, tmp_path)
        assert fast[:2] == (full[0], 0) and full[1] == 0 and not fast[2]
    run("full", ["base..head", "-C", str(repo), "-f", "json"], tmp_path)
    written = tmp_path / "report.json"
    fast = run("main", ["base..head", "-C", str(repo), "-f", "json", "-o", str(written)], tmp_path)
    assert fast[:3] == ("", 1, False)
    assert written.read_text() == run("full", ["base..head", "-C", str(repo), "-f", "json"], tmp_path)[0]


def test_the_working_tree_and_errors_are_never_answered_from_the_cache(repo, tmp_path):
    cache = tmp_path / "cache"
    for args in (["base", "-C", str(repo)], ["inventory", ".", "-C", str(repo)], ["nope..head", "-C", str(repo)]):
        full = run("full", args, cache)
        again = run("main", args, cache)
        assert again == full and again[2]
    assert run("main", ["nope..head", "-C", str(repo)], cache)[1:] == (2, True, "coverage-diff: error: unknown revision "
                                                                           f"'nope' in {repo}.\n")


def test_a_new_commit_is_not_answered_with_the_old_output(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    args = ["base..HEAD", "-C", str(clone), "--format", "json"]
    before = run("full", args, tmp_path / "cache")
    step = next(p for p in sorted(clone.rglob("*.yaml")) if ".git" not in p.parts)
    step.write_text(step.read_text() + "\n# edited\n")
    history.git(clone, "commit", "-qam", "edit a CI file")
    after = run("main", args, tmp_path / "cache")
    assert after[2], "a new head tree: computed again"
    assert json.loads(after[0])["head"] == json.loads(before[0])["head"]
    assert after[:2] == run("full", [*args, "--no-cache"], tmp_path / "cache")[:2]


@pytest.mark.parametrize("words", [
    ["base..head", "--help"], ["base..head", "--no-cache"], ["base..head", "-f", "json", "-f", "text"],
    ["base..head", "-vf", "json"], ["base..head", "--format"], ["base..head", "--repo", "--format"],
    ["base..head", "--verbose=1"], ["base..head", "-f=json"], ["base..head", "--", "x"],
])
def test_only_plain_command_lines_are_answered(words):
    assert _plain(words, _DIFF_OPTIONS) is None


def test_plain_command_lines_are_read_as_typer_reads_them():
    assert _plain(["a..b", "-C", "r", "--format=json", "-v", "--fail-on", "never"], _DIFF_OPTIONS) == (
        ["a..b"], {"repo": "r", "format": "json", "verbose": True, "fail_on": "never"})


def test_commands_other_than_diff_and_inventory_are_not_answered(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(tmp_path))
    for args in (["audit", "head", "-C", str(repo)], ["explain", "x"], ["--help"], ["diff"], ["inventory", "a", "b"]):
        assert stored_answer(args) is None
