"""diff.match_jobs: a base job's counterpart at head, worked out only for the jobs asked about."""

from types import SimpleNamespace

from coverage_diff.diff import match_jobs
from coverage_diff.model import Command, Job, Location


def _job(key: str, label: str, command: str, file: str = "a.yml") -> Job:
    return Job("buildkite", file, key, label, Location(file, 1), (Command(command, Location(file, 2)),))


def test_same_key_else_same_label_else_same_commands():
    base_jobs = [_job("k1", "one", "pytest a"), _job("k2", "two", "pytest b"), _job("k3", "three", "bash x.sh"),
                 _job("k4", "four", "echo gone")]
    head_jobs = [_job("k1", "renamed", "pytest a2"), _job("k1", "copy", "pytest a", file="b.yml"),
                 _job("k2b", "two", "pytest b"), _job("k3b", "moved", "bash   x.sh", file="c.yml")]
    base = SimpleNamespace(jobs_by_id={job.id: job for job in base_jobs})
    matched = match_jobs(base, SimpleNamespace(jobs=head_jobs))
    assert matched[base_jobs[0].id] is head_jobs[0]  # the first head job with the key
    assert matched.get(base_jobs[1].id) is head_jobs[2]  # by label
    assert matched[base_jobs[2].id] is head_jobs[3]  # by commands, whitespace aside
    assert base_jobs[3].id not in matched and matched.get(base_jobs[3].id, "none") == "none"
    assert "buildkite:a.yml:unknown" not in matched
    assert len(matched._indexes) == 3  # the label and command indexes were needed


def test_a_job_matched_by_key_builds_no_other_index():
    job = _job("k1", "one", "pytest a")
    matched = match_jobs(SimpleNamespace(jobs_by_id={job.id: job}), SimpleNamespace(jobs=[job]))
    assert matched[job.id] is job
    assert len(matched._indexes) == 1
