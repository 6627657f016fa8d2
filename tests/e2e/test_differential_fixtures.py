"""Ground truth for the interpreter: every job of every bundled fixture, run under real
bash with logging shims, makes exactly the runs the interpreter predicts."""

from pathlib import Path

import history
import pytest

from coverage_diff.ci import collect_jobs
from coverage_diff.config import Settings
from coverage_diff.snapshot import Snapshot
from shell.harness import assert_agrees_with_bash, bash_available

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def fixture_jobs():
    for fixture in sorted(p for p in FIXTURES.iterdir() if (p / "base").is_dir()):
        for layer, files in history.trees(fixture):
            snapshot = Snapshot.from_files(layer, files)
            for job in collect_jobs(snapshot, Settings()).jobs:
                yield pytest.param(job, files, id=f"{fixture.name}/{layer}/{job.key}")


@pytest.mark.skipif(not bash_available(), reason="needs bash")
@pytest.mark.parametrize("job, files", list(fixture_jobs()))
def test_fixture_job_agrees_with_bash(job, files):
    result = assert_agrees_with_bash(job, files, Settings())
    assert result.bash_status == 0, result.explain()
