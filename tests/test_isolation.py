"""A failure while analysing one job or one CI file costs that piece only: it becomes a
diagnostic at its file:line and an `incomplete` entry, and everything else is still
analysed.  A failure that stops the whole run exits 3 with one line (the traceback with
-v), never 1, the code for "losses found"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import history
import pytest

from coverage_diff import cli
from coverage_diff.engine.session import Session
from coverage_diff.shell.interp import Interpreter

ROOT = Path(__file__).resolve().parents[1]
GEMMA = "GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return history.build(ROOT / "fixtures" / "vllm_pd_split", tmp_path_factory.mktemp("iso") / "repo")


def _failing_on(label_part: str):
    real = Interpreter.run_job

    def run_job(self, job):
        if label_part in job.label:
            raise ValueError("a defect met while interpreting")
        return real(self, job)

    return run_job


def test_a_job_the_interpreter_fails_on_is_a_diagnostic_and_the_rest_is_analysed(repo, monkeypatch):
    session = Session(repo, use_cache=False)
    try:
        whole = session.inventory("head")
        failing = next(job for job in whole.jobs if whole.outcomes[job.id].runs and "CrossLayer" not in job.label)
        monkeypatch.setattr(Interpreter, "run_job", _failing_on(failing.label))
        fresh = Session(repo, use_cache=False)
        try:
            inv = fresh.inventory("head")
        finally:
            fresh.close()
    finally:
        session.close()
    assert not inv.outcomes[failing.id].runs
    here = [d for d in inv.diagnostics if d.location == failing.location]
    assert here and "internal error" in here[0].message and "ValueError" in here[0].message
    # what the failure cut is marked so: a loss through it is not stated as certain
    assert any(i.location == failing.location and i.cut for i in inv.incomplete)
    others = [job for job in inv.jobs if job.id != failing.id]
    assert sum(len(inv.outcomes[j.id].runs) for j in others) == sum(len(whole.outcomes[j.id].runs) for j in others)


def test_a_pipeline_file_a_front_end_fails_on_is_a_diagnostic(repo, monkeypatch):
    from coverage_diff.ci import buildkite

    real = buildkite._read_file_uncached  # (a new session's memo is empty: every file is read)

    def read(snapshot, path, settings, result, reader, *rest):
        if path.endswith("distributed.yaml"):
            raise KeyError("surprise")
        return real(snapshot, path, settings, result, reader, *rest)

    monkeypatch.setattr(buildkite, "_read_file_uncached", read)
    session = Session(repo, use_cache=False)
    try:
        inv = session.inventory("base")
    finally:
        session.close()
    failed = [d for d in inv.diagnostics if d.location.path.endswith("distributed.yaml")]
    assert failed and "KeyError" in failed[0].message
    assert inv.jobs and all(not j.file.endswith("distributed.yaml") for j in inv.jobs)


def test_an_internal_error_exits_3_with_one_line(repo, monkeypatch, capsys):
    monkeypatch.setattr(Session, "diff", lambda self, spec: 1 / 0)
    with pytest.raises(SystemExit) as stop:
        cli.main(["base..head", "--repo", str(repo), "--no-cache"])
    assert stop.value.code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as stop:
        cli.main(["base..head", "--repo", str(repo), "--no-cache", "-v"])
    assert stop.value.code == 3
    assert "Traceback" in capsys.readouterr().err


def test_the_gemma_loss_is_reported_while_another_job_fails(repo, tmp_path):
    """End to end in a fresh process: a job that the interpreter cannot analyse (here made
    to fail through a sitecustomize hook) leaves the seed loss reported, exit 1."""
    hook = tmp_path / "sitecustomize.py"
    hook.write_text(
        "from coverage_diff.shell import interp\n"
        "real = interp.Interpreter.run_job\n"
        "def run_job(self, job):\n"
        "    if 'Comm Ops' in job.label:\n"
        "        raise RuntimeError('boom')\n"
        "    return real(self, job)\n"
        "interp.Interpreter.run_job = run_job\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "base..head", "--repo", str(repo),
                             "--no-cache", "--format", "json"], capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [f["subject"] for f in report["findings"] if f["kind"] == "silently-dropped"] == [GEMMA]
    assert any("Comm Ops" in d["message"] and "RuntimeError: boom" in d["message"] for d in report["diagnostics"])


def _oscillate(depth: int, times: int) -> int:
    """Recurse `depth` frames deep and back, `times` times: the shape of the bash interpreter."""
    def down(n: int) -> int:
        return n if n == 0 else down(n - 1) + 1
    return sum(down(depth) for _ in range(times))


@pytest.mark.skipif(sys.platform != "linux" or sys.version_info < (3, 11), reason="frame chunks: CPython 3.11+ on Linux")
def test_frames_under_roomy_never_map_chunks_of_their_own():
    import resource

    from coverage_diff.isolation import roomy

    def faults(run) -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        run()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    def swing() -> int:
        return _oscillate(400, 3_000)  # 400 frames span several 16 KiB chunks

    assert roomy(swing) == swing() == 400 * 3_000
    bare = faults(swing)
    assert bare > 3_000  # each swing maps and unmaps the chunks past the first: faulted in afresh
    assert faults(lambda: roomy(swing)) < bare // 20


def test_roomy_passes_on_what_it_calls_raises():
    from coverage_diff.isolation import roomy

    def fail():
        raise LookupError("kept")

    with pytest.raises(LookupError, match="kept"):
        roomy(fail)
