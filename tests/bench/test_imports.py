"""Lazy imports: `--help` and a diff answered from the cache do not load the
interpreter, the YAML loader, tree-sitter, networkx or httpx; a diff whose output
is stored does not even load typer, pydantic or the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import history
import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("yaml", "tree_sitter", "networkx", "httpx", "coverage_diff.shell", "coverage_diff.ci", "coverage_diff.inventory")

PROBE = """
import json, sys
from coverage_diff.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("MODULES " + json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("yaml", "tree_sitter", "networkx", "httpx", "coverage_diff", "typer", "pydantic"))) + "\\n")
"""


def loaded(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
    line = next(line for line in proc.stderr.splitlines() if line.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES "))), proc.stdout


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}


def test_help_loads_no_analysis_module():
    modules, out = loaded(["--help"])
    assert "BASE..HEAD" in out or "Usage" in out
    assert heavy(modules) == set()


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return history.build(ROOT / "fixtures" / "vllm_pd_split", tmp_path_factory.mktemp("lazy") / "repo")


def test_a_cached_diff_loads_no_analysis_module(repo, tmp_path):
    env = {"COVERAGE_DIFF_CACHE_DIR": str(tmp_path / "cache")}
    args = ["base..head", "--repo", str(repo), "--format", "json", "--fail-on", "never"]
    first_modules, first = loaded(args, env)
    assert {"yaml", "coverage_diff.shell"} <= first_modules  # the first run did the work
    second_modules, second = loaded(args, env)
    assert second == first
    assert heavy(second_modules) == set()
    assert not {"typer", "pydantic", "coverage_diff.model", "coverage_diff.engine.session"} & second_modules  # the stored output
    other_format = [*args[:4], "text", *args[5:]]  # the report is stored, this output is not yet
    third_modules, third = loaded(other_format, env)
    assert third.startswith("coverage-diff base..head") and "typer" in third_modules
    assert heavy(third_modules) == set()


def test_no_cache_neither_reads_nor_writes(repo, tmp_path):
    cache = tmp_path / "cache"
    args = ["base..head", "--repo", str(repo), "--format", "json", "--fail-on", "never", "--no-cache"]
    modules, out = loaded(args, {"COVERAGE_DIFF_CACHE_DIR": str(cache)})
    assert json.loads(out)["findings"]
    assert not cache.exists()
    assert "coverage_diff.shell" in modules
