"""The shell keeps nothing between calls: what interpretations share (parsed trees, script
scans, the glob index) is the `ShellCaches` of the `Context` the engine hands down, and it
is shared exactly as far as the engine shares that context."""

from __future__ import annotations

import pytest

from coverage_diff.config import Settings
from coverage_diff.context import Context
from coverage_diff.engine import parallel
from coverage_diff.engine.build import build_inventory
from coverage_diff.engine.session import Session
from coverage_diff.shell import parse
from coverage_diff.snapshot import Snapshot
from coverage_diff.world import open_world

PIPELINE = """\
steps:
  - label: "sweep"
    key: sweep
    commands:
      - bash ci/sweep.sh tests/*.py
  - label: "unit"
    command: pytest tests/test_unit.py
"""
SWEEP = """\
configs=("TP=1" "TP=2")
if [[ -n "${WIDE:-}" ]]; then configs+=("TP=8"); fi
for cfg in "${configs[@]}"; do
  env $cfg pytest "$@"
done
"""
FILES = {
    ".buildkite/pipeline.yml": PIPELINE,
    "ci/sweep.sh": SWEEP,
    "tests/test_model.py": "",
    "tests/test_unit.py": "",
}


@pytest.fixture
def parsed(monkeypatch):
    """Every text the shell parses."""
    seen: list[str] = []
    real = parse.parse_text
    monkeypatch.setattr(parse, "parse_text", lambda text: (seen.append(text), real(text))[1])
    monkeypatch.setenv(parallel.ENV_VAR, "1")  # a child's parsing would not be seen here
    return seen


def runs(inventory):
    return {job_id: outcome.runs for job_id, outcome in inventory.outcomes.items()}


def test_builds_given_one_context_parse_each_text_once(parsed):
    shared = Context()
    first = build_inventory(Snapshot.from_files("a", FILES), Settings(), context=shared)
    count = len(parsed)
    assert count and shared.shell.trees and shared.shell.scans and len(shared.shell.children) == 1
    second = build_inventory(Snapshot.from_files("b", FILES), Settings(), context=shared)
    assert len(parsed) == count  # the second revision's scripts and commands: all parsed already
    alone = build_inventory(Snapshot.from_files("c", FILES), Settings())  # a context of its own
    assert len(parsed) == 2 * count
    assert runs(first) == runs(second) == runs(alone)
    assert [r.argv for r in first.outcomes["buildkite:.buildkite/pipeline.yml:sweep"].runs] == [
        ("pytest", "tests/test_model.py", "tests/test_unit.py")] * 2  # TP=1, TP=2 (globbed through the caches' index)


def test_a_session_hands_its_context_to_every_interpretation(parsed, tmp_path):
    import subprocess

    for path, text in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True)
    session = Session(tmp_path, workers=1)
    try:
        inventory = session.inventory("HEAD")
        assert session.memo.context is session.context
        count = len(parsed)
        open_world(inventory).outcomes(inventory.jobs)  # the open world: the same scripts, not parsed again
        assert len(parsed) == count and session.context.shell.scans
    finally:
        session.close()
