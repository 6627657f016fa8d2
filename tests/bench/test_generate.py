"""The benchmark generator builds a repository the pipeline understands.

Behaviour only (no timing): a small generated history has the tags the
benchmarks use, and the pipeline finds exactly the runs the generator's own
model says CI makes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import bench
import pytest

generate = bench.load("generate")
floor = bench.load("floor")

SMALL = generate.Shape(areas=2, steps_per_area=4, sweeps_per_area=2, arrays=3, entries=2, tests_per_area=2, commits=6)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    repo = tmp_path_factory.mktemp("bench") / "repo"
    tree = generate.build(repo, SMALL, seed=3)
    return repo, tree


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_history_has_the_commits_and_tags(small):
    repo, _ = small
    assert git(repo, "rev-list", "--count", "head") == str(SMALL.commits)
    assert git(repo, "rev-list", "--count", "base") == "1"
    assert git(repo, "rev-parse", "prev^{commit}") == git(repo, "rev-parse", "head~1")
    assert git(repo, "status", "--porcelain") == ""  # the work tree is checked out at head


def test_same_seed_same_history(tmp_path):
    first = generate.build(tmp_path / "a", SMALL, seed=11)
    second = generate.build(tmp_path / "b", SMALL, seed=11)
    assert first.files() == second.files()
    assert git(tmp_path / "a", "rev-parse", "head^{tree}") == git(tmp_path / "b", "rev-parse", "head^{tree}")


def test_the_shape_is_what_was_asked(small):
    _, tree = small
    files = tree.files()
    assert len([p for p in files if p.startswith(".buildkite/test_areas/")]) == SMALL.areas
    assert len(tree.sweeps) == SMALL.areas * SMALL.sweeps_per_area
    assert all(len(s.arrays) == SMALL.arrays for s in tree.sweeps)
    sweep_steps = [s for a in tree.areas for s in a.steps if s.sweep is not None]
    assert len(sweep_steps) == SMALL.areas * SMALL.steps_per_area // 2
    # Prefixes pick the default or an early guard's array, never the last one.
    assert all(tree.selected(s) is not tree.sweeps[s.sweep].arrays[-1] for s in sweep_steps)


def test_pipeline_finds_the_generated_runs(small):
    from coverage_diff.engine.session import Session

    repo, tree = small
    session = Session(repo)
    try:
        inventory = session.inventory("head")
        assert len(inventory.runs) == tree.expected_runs()
        assert len(inventory.jobs) == sum(len(a.steps) for a in tree.areas)
        reached = {e.identity for e in inventory.unreached_entries()}
        dead = {e for s in tree.sweeps for e in s.arrays[-1]}  # no step sets the last guard
        assert {" ".join(sorted(e.split())) for e in dead} <= reached
        report = session.diff("base..head")
        assert dict(report.summary)["head_runs"] == tree.expected_runs()
    finally:
        session.close()


def test_floor_reads_every_blob_of_both_trees(small):
    repo, _ = small
    blobs = set(floor.tree_blobs(str(repo), "base")) | set(floor.tree_blobs(str(repo), "head"))
    count, size = floor.read_all(str(repo), sorted(blobs))
    assert count == len(blobs) > 0
    assert size > 0
