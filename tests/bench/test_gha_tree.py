"""The generated PyTorch-scale GitHub Actions tree is what its docstring says (no timing)."""

from __future__ import annotations

import bench

from coverage_diff.ci import github_actions
from coverage_diff.config import Settings
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot

gha_tree = bench.load("gha_tree")


def test_twenty_areas_make_six_hundred_step_jobs_whose_scripts_reach_pytest():
    snapshot = Snapshot.from_files("t", gha_tree.files(20))
    result = github_actions.jobs(snapshot, Settings())
    assert result.diagnostics == [] and len(result.jobs) == 600
    per_area = [j for j in result.jobs if j.file == ".github/workflows/area00.yml"]
    # decide 1, template 4x3, unit 2 OS x 4 steps (the macOS step's `runner.os` is unknown: kept on both), flow
    # tests 3 flows x 2 input groups (nightly or not), nightly extras 3
    assert len(per_area) == 1 + 12 + 8 + 6 + 3
    template = next(j for j in per_area if j.key == "models" and dict(j.matrix) == {"model": "llama", "backend": "vulkan"})
    runs = [" ".join(r.argv) for r in interpret_job(template, snapshot, Settings()).runs]
    assert "python -m pytest area00/tests/test_models.py -k llama" in runs  # the script went on past SECRET_HUB_TOKEN


def test_the_helpers_retry_and_clean_up_do_not_multiply_paths():
    """The retry helper and the macOS clean-up (ExecuTorch's shapes, written here from scratch) are
    followed whole: no path cap, no step limit, and the runs stay in the hundreds (before paths that
    go on alike were joined after any statement, one such job made 52,173 runs and hit both)."""
    snapshot = Snapshot.from_files("t", gha_tree.files(1))
    jobs = github_actions.jobs(snapshot, Settings()).jobs
    template = next(j for j in jobs if j.key == "models" and dict(j.matrix) == {"model": "llama", "backend": "vulkan"})
    outcome = interpret_job(template, snapshot, Settings())
    runs = [" ".join(r.argv) for r in outcome.runs]
    assert not any(i.cut for i in outcome.incomplete)
    assert "buck2 kill" in runs and "install_name_tool -add_rpath @loader_path" in " ".join(runs)
    assert runs.count("python -m pytest area00/tests/test_models.py -k llama") >= 2  # one per config
    assert len(runs) < 1000
