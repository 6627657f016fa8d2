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

PROTOCOL = ("globs", "owns", "jobs", "path_filter", "fix_step")


@pytest.mark.parametrize("front_end", ci.front_ends(), ids=lambda f: f.SYSTEM)
def test_every_registered_module_is_a_front_end(front_end):
    for name in ("SYSTEM", "NAME", "DIRECTORIES"):
        assert isinstance(getattr(front_end, name), str if name != "DIRECTORIES" else tuple), name
    assert isinstance(front_end.WORKSPACE_FILLED, bool)
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
    module.WORKSPACE_FILLED = False  # a step starts from the checkout
    # A job runs on a change to a file under the directories its `# paths:` comment lists.
    module.path_filter = lambda job: (
        (lambda path: any(path.startswith(d) for d in job.source_file_dependencies)) if job.source_file_dependencies else None)
    module.globs = lambda settings: (".drone.yml",)
    module.owns = lambda snapshot, settings: [p for p in snapshot.glob(".drone.yml")]

    def jobs(snapshot, settings, context=None):
        result = FrontEndResult()
        for path in module.owns(snapshot, settings):
            result.files.append(path)
            lines = snapshot.read(path).decode().splitlines()
            commands = tuple(Command(text, Location(path, i)) for i, text in enumerate(lines, 1) if not text.startswith("#"))
            paths = tuple(w for text in lines if text.startswith("# paths:") for w in text.split()[2:])
            result.jobs.append(Job(system="drone", file=path, key="test", label="Test", location=Location(path, 1),
                                   commands=commands, source_file_dependencies=paths))
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


@pytest.fixture
def registered(monkeypatch) -> ModuleType:
    """The made-up system, added to the registry by its one line."""
    module = drone()
    known = ci.front_ends()
    monkeypatch.setattr(ci, "front_ends", lambda: known + [module])
    return module


def inventory_of(files: dict[str, str], name: str = "r"):
    return build_inventory(Snapshot.from_files(name, files), Settings(), parts=AnswerMemo())


def test_a_new_ci_system_is_one_module_and_one_registry_line(registered):
    files = {".drone.yml": "# the suite\nSLOW=1 bash ci/sweep.sh\n", "ci/sweep.sh": SWEEP, "tests/test_a.py": ""}
    base = inventory_of(files, "base")
    assert [job.system for job in base.jobs] == ["drone"]
    assert sorted(base.runs_by_subject) == ["MODE=fast", "MODE=slow"]
    head_files = dict(files, **{".drone.yml": "bash ci/sweep.sh\n"})
    head = inventory_of(head_files, "head")
    (loss,) = [f for f in diff(base, head).findings if f.kind == "silently-dropped"]
    assert loss.subject == "MODE=slow"
    assert loss.reason.fix == "# drone step for Test\nSLOW=1 bash ci/sweep.sh"  # its own way of writing a step
    assert touches(head, (".drone/extra.yml",)) and touches(head, (".drone.yml",))
    assert not touches(head, ("docs/index.md",))
    linked = Snapshot.from_files("linked", {"ci/sweep.sh": SWEEP})
    empty = renderer("text")(diff(build_inventory(linked, Settings(), parts=AnswerMemo()),
                                  build_inventory(linked, Settings(), parts=AnswerMemo())))
    assert "Found no CI files (Buildkite, GitHub Actions, GitLab CI, Drone) at either revision" in empty


def test_the_path_filter_gap_audit_asks_the_jobs_front_end(registered):
    """Which changes start a job is its system's to say (`path_filter`), for a new system too."""
    from coverage_diff.audit import run_audit
    from coverage_diff.world import open_world

    files = {".drone.yml": "# paths: tests/\nbash ci/sweep.sh\n", "ci/sweep.sh": SWEEP, "tests/test_a.py": ""}
    inventory = inventory_of(files)
    (gap,) = run_audit(inventory, open_world(inventory), rules=["path-filter-gap"]).findings
    assert gap.subject == ".drone.yml:test:ci/sweep.sh"
    inventory = inventory_of(dict(files, **{".drone.yml": "# paths: tests/ ci/\nbash ci/sweep.sh\n"}))
    assert run_audit(inventory, open_world(inventory), rules=["path-filter-gap"]).findings == ()
