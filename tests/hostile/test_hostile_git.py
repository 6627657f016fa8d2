"""Hostile repositories and revisions: the CLI stops with exit 2 and a message a
person can act on, or (nothing to analyse) says so and exits 0."""

from __future__ import annotations

import subprocess

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD
from hostile_kit import build_repo, commit_layer, git, run_cli

EXIT_ERROR = 2


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """base, three unrelated commits, head: deep enough that a depth-1 clone lacks base."""
    root = build_repo(tmp_path_factory.mktemp("git") / "repo", [("base", CORE_BASE)])
    for i in range(3):
        commit_layer(root, {f"docs/note{i}.md": f"note {i}\n"}, f"note{i}")
    commit_layer(root, CORE_HEAD, "head")
    return root


@pytest.fixture(scope="module")
def shallow(repo, tmp_path_factory):
    dest = tmp_path_factory.mktemp("shallow") / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(dest)], check=True, capture_output=True)
    return dest


def test_analysis_of_the_full_history_works(repo):
    assert run_cli(["base..head", "--repo", str(repo)]).code == 1  # the gemma-3 drop


@pytest.mark.parametrize("spec", ["no-such-rev..head", "base..no-such-rev", "no-such-rev", "base...no-such-rev"])
def test_revision_that_does_not_exist(repo, spec):
    result = run_cli([spec, "--repo", str(repo)])
    assert result.code == EXIT_ERROR
    assert "unknown revision 'no-such-rev'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_revision_that_names_a_file_not_a_commit(repo):
    result = run_cli(["base..head:tests/pd/sweep.sh", "--repo", str(repo)])
    assert result.code == EXIT_ERROR
    assert "unknown revision" in result.stderr


def test_shallow_clone_missing_the_base_gets_a_deepen_hint(repo, shallow):
    base = git(repo, "rev-parse", "base")
    result = run_cli([f"{base}..HEAD", "--repo", str(shallow)])
    assert result.code == EXIT_ERROR
    assert f"unknown revision '{base}'" in result.stderr
    assert "shallow clone" in result.stderr
    assert "git fetch --deepen" in result.stderr and "--unshallow" in result.stderr


def test_shallow_clone_without_a_merge_base_gets_a_deepen_hint(repo, shallow):
    # The clone's only commit has no parents there, so a side branch has no merge base with it.
    git(shallow, "checkout", "-q", "--orphan", "side")
    git(shallow, "commit", "-q", "--allow-empty", "-m", "side")
    result = run_cli(["main...side", "--repo", str(shallow)])
    assert result.code == EXIT_ERROR
    assert "no merge base" in result.stderr
    assert "git fetch --deepen" in result.stderr and "--unshallow" in result.stderr


def test_repo_option_outside_any_repository(tmp_path):
    result = run_cli(["base..head", "--repo", str(tmp_path)])
    assert result.code == EXIT_ERROR
    assert "not inside a git repository" in result.stderr


def test_invalid_settings_file_is_an_input_error_naming_it(tmp_path):
    root = build_repo(tmp_path / "r", [("base", CORE_BASE), ("head", {**CORE_HEAD, ".coverage-diff.toml": "max-paths = [\n"})])
    result = run_cli(["base..head", "--repo", str(root)])
    assert result.code == EXIT_ERROR
    assert ".coverage-diff.toml: invalid TOML" in result.stderr


def test_caps_must_be_positive_integers(tmp_path):
    root = build_repo(tmp_path / "r", [("base", CORE_BASE), ("head", {**CORE_HEAD, ".coverage-diff.toml": "max-paths = -1\n"})])
    result = run_cli(["base..head", "--repo", str(root)])
    assert result.code == EXIT_ERROR
    assert "max-paths must be a positive integer" in result.stderr


def test_repository_without_ci_files_says_so_and_exits_0(tmp_path):
    root = build_repo(tmp_path / "r", [("base", {"README.md": "hello\n"}), ("head", {"src/app.py": "print(1)\n"})])
    result = run_cli(["base..head", "--repo", str(root)])
    assert result.code == 0, result.stderr
    assert "Found no CI files" in result.stdout
    report = run_cli(["base..head", "--repo", str(root), "--format", "json"]).report
    assert report["findings"] == [] and report["diagnostics"] == []
    assert report["summary"]["head_ci_files"] == 0
