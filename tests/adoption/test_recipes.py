"""The recipes of docs/ci-recipes.md: the pre-commit hook runs what it says, and the GitLab and
Buildkite examples are CI files coverage-diff itself reads without a complaint."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import history
import yaml

ROOT = Path(__file__).resolve().parents[2]
RECIPES = (ROOT / "docs" / "ci-recipes.md").read_text()


def blocks(first_line: str) -> list[str]:
    return [b for b in re.findall(r"```yaml\n(.*?)```", RECIPES, re.S) if b.startswith(first_line)]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_pre_commit_hook_definition():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "coverage-diff" and hook["language"] == "python"
    assert hook["stages"] == ["pre-push"] and hook["pass_filenames"] is False and hook["always_run"] is True
    assert hook["entry"] in (ROOT / "pyproject.toml").read_text()  # the console script the package installs
    documented = yaml.safe_load(blocks("# .pre-commit-config.yaml")[0])
    assert documented["repos"][0]["hooks"][0]["id"] == hook["id"]


def test_pre_commit_hook_compares_the_default_branch_with_head(tmp_path):
    """What pre-commit runs at pre-push: the entry and args, no file names, in the repository."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    repo = history.build(ROOT / "fixtures" / "vllm_pd_split", tmp_path / "repo")
    git(repo, "checkout", "-q", "-B", "feature", "head")
    git(repo, "branch", "-f", "main", "base")
    command = [sys.executable, "-m", "coverage_diff", *hook["args"]]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "coverage-diff merge-base(main, HEAD)..HEAD" in result.stdout and "gemma-3-4b-it" in result.stdout
    git(repo, "checkout", "-q", "-B", "clean", "base")
    assert subprocess.run(command, cwd=repo, capture_output=True, text=True).returncode == 0


def test_documented_ci_files_are_read_cleanly(tmp_path):
    """The GitLab and plain Buildkite examples, committed to a repository, give coverage-diff jobs
    and no diagnostics (the commands are parsed, never run)."""
    files = {".gitlab-ci.yml": yaml.safe_load("\n".join(blocks("# .gitlab-ci.yml"))) and "\n".join(blocks("# .gitlab-ci.yml")),
             ".buildkite/pipeline.yml": blocks("# .buildkite/pipeline.yml")[0]}
    assert len(blocks("# .gitlab-ci.yml")) == 2
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "ci")
    result = subprocess.run([sys.executable, "-m", "coverage_diff", "inventory", "--repo", str(repo), "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    assert inventory["diagnostics"] == []
    labels = {job["label"] if isinstance(job, dict) else job for job in inventory["jobs"]}
    assert {"coverage-diff", "coverage-diff-note"} <= {str(label) for label in labels} | {l.split(" ")[0] for l in map(str, labels)}
