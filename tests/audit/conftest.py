"""Small git repositories for the audit tests, built from text."""

from __future__ import annotations

from pathlib import Path

import history as fixture_history  # fixtures/history.py (tests/conftest.py puts it on sys.path)
import pytest

from coverage_diff.engine.session import Session
from coverage_diff.audit import run_audit
from coverage_diff.world import open_world

ROOT = Path(__file__).resolve().parents[2]
PD_SPLIT = ROOT / "fixtures" / "vllm_pd_split"
CI_CONFIG = "name: vllm_ci\njob_dirs:\n  - .buildkite/test_areas\n"

SWEEP = """\
#!/usr/bin/env bash
set -euo pipefail
default_configs=(
  "MODEL=alpha TP=1"
  "MODEL=beta TP=2"
)
special_configs=(
  "MODEL=gamma TP=1"
)
if [[ -n "${SPECIAL:-}" ]]; then
  configs=("${special_configs[@]}")
else
  configs=("${default_configs[@]}")
fi
backend=""
if [[ -n "${ROCM:-}" ]]; then
  backend="--backend rocm"
fi
for cfg in "${configs[@]}"; do
  env $cfg pytest -v sweep/test_model.py $backend
done
"""


def area(steps: str, group: str = "Sweep") -> str:
    """A vLLM test-area file (file-level depends_on, so the generator's defaults apply)."""
    return f"group: {group}\ndepends_on:\n  - image-build\nsteps:\n{steps}"


def step(label: str, command: str, deps: str = "tests/sweep/", extra: str = "") -> str:
    dep_lines = "".join(f"    - \"{d}\"\n" for d in deps.split()) if deps else ""  # quoted: `!x` is a YAML tag
    source = f"  source_file_dependencies:\n{dep_lines}" if dep_lines else ""
    return f"- label: {label}\n{extra}{source}  commands:\n    - {command}\n"


def repo_files(steps: str, sweep: str = SWEEP, extra: dict | None = None) -> dict[str, str]:
    files = {
        ".buildkite/ci_config.yaml": CI_CONFIG,
        ".buildkite/test_areas/sweep.yaml": area(steps),
        "tests/sweep/run_sweep.sh": sweep,
        "tests/sweep/test_model.py": "# placeholder\n",
    }
    files.update(extra or {})
    return files


def make_repo(tmp_path: Path, files: dict[str, str], name: str = "repo") -> Path:
    repo = fixture_history.init_repo(tmp_path / name)
    fixture_history.write_tree(repo, files)
    fixture_history.commit_all(repo, "initial")
    return repo


def audit_repo(repo: Path, rev: str = "HEAD", rules=None):
    session = Session(repo)
    try:
        inventory = session.inventory(rev)
        return run_audit(inventory, open_world(inventory), rules=rules)
    finally:
        session.close()


def by_rule(report, rule: str) -> dict:
    return {f.subject: f for f in report.findings if f.rule == rule}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test gets its own persistent cache directory."""
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def pd_repo(tmp_path_factory) -> Path:
    return fixture_history.build(PD_SPLIT, tmp_path_factory.mktemp("pd") / "repo")
