"""A CI system is one module that is a `FrontEnd` (ci/frontend.py) plus one line in
`ci.front_ends()`: the inventory, the suggested fix, the history walk's file test and the
text report all read it through the registry."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

from coverage_diff import ci
from coverage_diff.ci import FrontEnd, FrontEndResult
from coverage_diff.config import Settings
from coverage_diff.diff import diff
from coverage_diff.history import touches
from coverage_diff.engine.build import build_inventory
from coverage_diff.engine.memo import AnswerMemo
from coverage_diff.model import Command, Job, Location
from coverage_diff.report import renderer
from coverage_diff.snapshot import Snapshot

PROTOCOL = ("globs", "owns", "jobs", "fix_step")


@pytest.mark.parametrize("front_end", ci.front_ends(), ids=lambda f: f.SYSTEM)
def test_every_registered_module_is_a_front_end(front_end):
    for name in ("SYSTEM", "NAME", "DIRECTORIES"):
        assert isinstance(getattr(front_end, name), str if name != "DIRECTORIES" else tuple), name
    assert isinstance(front_end.WORKSPACE_FILLED, bool) and isinstance(front_end.FILTERS_BY_PATH, bool)
    for name in PROTOCOL:
        wanted = list(inspect.signature(getattr(FrontEnd, name)).parameters)[1:]  # without self
        assert list(inspect.signature(getattr(front_end, name)).parameters) == wanted, name
    assert ci.front_end(front_end.SYSTEM) is front_end
    assert len({f.SYSTEM for f in ci.front_ends()}) == len(ci.front_ends())


# One small file per registered system, each with one job running `pytest tests`.
ONE_JOB = {
    "buildkite": {".buildkite/pipeline.yml": "steps:\n  - label: test\n    command: pytest tests\n"},
    "github-actions": {".github/workflows/ci.yml": ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                                                    "    steps:\n      - run: pytest tests\n")},
    "gitlab": {".gitlab-ci.yml": "test:\n  script:\n    - pytest tests\n"},
}


@pytest.mark.parametrize("front_end", ci.front_ends(), ids=lambda f: f.SYSTEM)
def test_every_job_of_a_front_end_says_whether_its_workspace_may_be_filled(front_end):
    """The interpreter reads the fact on the job (`Job.workspace_filled`), not the registry."""
    found = front_end.jobs(Snapshot.from_files("t", ONE_JOB[front_end.SYSTEM]), Settings())
    assert [job.commands[-1].text for job in found.jobs] == ["pytest tests"]
    assert [job.workspace_filled for job in found.jobs] == [front_end.WORKSPACE_FILLED]
    assert found.jobs[0].without_metadata().workspace_filled is front_end.WORKSPACE_FILLED


def drone() -> ModuleType:
    """A made-up CI system: `.drone.yml` lists one command per line, `#` lines are comments."""
    module = ModuleType("drone")
    module.SYSTEM, module.NAME, module.DIRECTORIES = "drone", "Drone", (".drone/",)
    module.WORKSPACE_FILLED = module.FILTERS_BY_PATH = False  # a step starts from the checkout, on every change
    module.globs = lambda settings: (".drone.yml",)
    module.owns = lambda snapshot, settings: [p for p in snapshot.glob(".drone.yml")]

    def jobs(snapshot, settings, context=None):
        result = FrontEndResult()
        for path in module.owns(snapshot, settings):
            result.files.append(path)
            lines = snapshot.read(path).decode().splitlines()
            commands = tuple(Command(text, Location(path, i)) for i, text in enumerate(lines, 1) if not text.startswith("#"))
            result.jobs.append(Job(system="drone", file=path, key="test", label="Test", location=Location(path, 1),
                                   commands=commands))
        return result

    module.jobs = jobs
    module.fix_step = lambda job, command, values, calling: f"# drone step for {job.label}\n{command}"
    return module


SWEEP = """#!/bin/bash
configs=("MODE=fast")
if [[ -n "${SLOW:-}" ]]; then configs+=("MODE=slow"); fi
for cfg in "${configs[@]}"; do
  env $cfg pytest tests/test_a.py
done
"""


def test_a_new_ci_system_is_one_module_and_one_registry_line(monkeypatch):
    module = drone()
    registered = ci.front_ends()
    monkeypatch.setattr(ci, "front_ends", lambda: registered + [module])
    files = {".drone.yml": "# the suite\nSLOW=1 bash ci/sweep.sh\n", "ci/sweep.sh": SWEEP, "tests/test_a.py": ""}
    base = build_inventory(Snapshot.from_files("base", files), Settings(), parts=AnswerMemo())
    assert [job.system for job in base.jobs] == ["drone"]
    assert sorted(base.runs_by_subject) == ["MODE=fast", "MODE=slow"]
    head_files = dict(files, **{".drone.yml": "bash ci/sweep.sh\n"})
    head = build_inventory(Snapshot.from_files("head", head_files), Settings(), parts=AnswerMemo())
    (loss,) = [f for f in diff(base, head).findings if f.kind == "silently-dropped"]
    assert loss.subject == "MODE=slow"
    assert loss.reason.fix == "# drone step for Test\nSLOW=1 bash ci/sweep.sh"  # its own way of writing a step
    assert touches(head, (".drone/extra.yml",)) and touches(head, (".drone.yml",))
    assert not touches(head, ("docs/index.md",))
    linked = Snapshot.from_files("linked", {"ci/sweep.sh": SWEEP})
    empty = renderer("text")(diff(build_inventory(linked, Settings(), parts=AnswerMemo()),
                                  build_inventory(linked, Settings(), parts=AnswerMemo())))
    assert "Found no CI files (Buildkite, GitHub Actions, GitLab CI, Drone) at either revision" in empty
