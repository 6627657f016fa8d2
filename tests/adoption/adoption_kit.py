"""Shared by the adoption tests: the console command on a fixture repository, its output parsed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PD_SPLIT = ROOT / "fixtures" / "vllm_pd_split"


def run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m coverage_diff ARGS --repo REPO`, as a user would type it."""
    return subprocess.run([sys.executable, "-m", "coverage_diff", *args, "--repo", str(repo)], capture_output=True, text=True)


def parsed(repo: Path, fmt: str, *args: str, code: int | None = 0):
    """The output of a command in a JSON-based format (json, sarif, gitlab), its exit code checked."""
    result = run(repo, *args, "--format", fmt)
    if code is not None:
        assert result.returncode == code, result.stderr
    return json.loads(result.stdout)
