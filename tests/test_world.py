"""The open world (`world.py`): jobs equal in everything the open world reads share one
interpretation, and the outcome each of them gets is exactly the interpreter's."""

from __future__ import annotations

import pytest

from coverage_diff.engine import world as world_module
from coverage_diff.engine import parallel
from coverage_diff.config import Settings
from coverage_diff.engine.build import build_inventory
from coverage_diff.engine.memo import JobMemo
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot
from coverage_diff.engine.world import Rebase, equip, share_key
from coverage_diff.world import open_world

# The same steps written twice, in two files and at other lines, under other keys, labels,
# platforms and env values (the open world frees the values): only the names count.
FIRST = """\
steps:
  - label: "pd accuracy"
    key: pd
    agents: {queue: gpu_4}
    env:
      BACKEND: flash
    commands:
      - bash ci/install.sh
      - MODE=tp bash ci/sweep.sh
  - label: "inline sweep"
    key: inline
    command: |
      cfgs=("N=1" "N=2")
      if [[ -n "$${WIDE:-}" ]]; then cfgs+=("N=8"); fi
      for c in "${cfgs[@]}"; do env $$c pytest tests/test_inline.py; done
      bash ci/gone.sh
  - label: "other names"
    key: other
    command: MODE=tp OTHER=1 bash ci/sweep.sh
"""
SECOND = """\
# A mirror of some of pipeline.yml's steps, further down its file.

steps:
  - label: "unrelated"
    command: pytest tests/test_unit.py
  - label: "pd accuracy (mirror)"
    key: pd-mirror
    agents: {queue: mi300_4}
    env:
      BACKEND: triton
    commands:
      - bash ci/install.sh
      - MODE=tp bash ci/sweep.sh
  - label: "inline sweep (mirror)"
    key: inline-mirror
    soft_fail: true
    command: |
      cfgs=("N=1" "N=2")
      if [[ -n "$${WIDE:-}" ]]; then cfgs+=("N=8"); fi
      for c in "${cfgs[@]}"; do env $$c pytest tests/test_inline.py; done
      bash ci/gone.sh
"""
SWEEP = """\
tp=("TP=1" "TP=2")
dp=("DP=1")
if [[ "${MODE:-}" == dp ]]; then configs=("${dp[@]}"); else configs=("${tp[@]}"); fi
if [[ -n "${BACKEND:-}" ]]; then extra="--backend $BACKEND"; else extra=""; fi
for cfg in "${configs[@]}"; do
  env $cfg pytest tests/test_model.py $extra
done
"""
FILES = {
    ".buildkite/pipeline.yml": FIRST,
    ".buildkite/pipelines/mirror.yml": SECOND,
    "ci/install.sh": "pip install -r requirements.txt\n",
    "ci/sweep.sh": SWEEP,
    "tests/test_model.py": "",
    "tests/test_inline.py": "",
    "tests/test_unit.py": "",
}


@pytest.fixture
def inventory():
    return build_inventory(Snapshot.from_files("r", FILES), Settings())


@pytest.fixture
def interpreted(monkeypatch):
    """The jobs the world hands to the interpreter."""
    seen = []

    def counting(job, snapshot, settings, *, open_world=False, context=None, call_memo=None):
        seen.append(job.key)
        return interpret_job(job, snapshot, settings, open_world=open_world, context=context, call_memo=call_memo)

    monkeypatch.setattr(world_module, "interpret_job", counting)
    monkeypatch.setenv(parallel.ENV_VAR, "1")  # children's calls would not be seen here
    return seen


def job(inventory, key):
    return next(j for j in inventory.jobs if j.key == key)


def test_equal_jobs_share_one_interpretation_and_get_the_interpreters_outcome(inventory, interpreted):
    outcomes = open_world(inventory).outcomes(inventory.jobs)
    assert sorted(interpreted) == sorted(j.key for j in inventory.jobs if not j.key.endswith("-mirror"))
    for found, j in zip(outcomes, inventory.jobs):
        assert found == interpret_job(j, inventory.snapshot, inventory.settings, open_world=True), j.key


def test_a_shared_outcome_is_the_other_jobs_own(inventory):
    world = open_world(inventory)
    mirror = world.outcome(job(inventory, "inline-mirror"))
    original = world.outcome(job(inventory, "inline"))
    assert {run.job_id for run in mirror.runs} == {job(inventory, "inline-mirror").id}
    # the inline array, guard and missing script are written in the mirror's file, at its lines
    assert {e.location.path for run in mirror.runs for e in run.entries} == {".buildkite/pipelines/mirror.yml"}
    assert {c.location.path for c in mirror.conditions} == {".buildkite/pipelines/mirror.yml"}
    assert [where.path for where, _ in mirror.missing_scripts] == [".buildkite/pipelines/mirror.yml"]
    assert mirror.missing_scripts[0][0].line - original.missing_scripts[0][0].line == 17 - 12  # where the commands start
    # each guard frame's recorded condition moves with it (frames compare without it)
    guards = [f for run in mirror.runs for f in run.path if f.kind == "guard"]
    assert guards and all(f.condition.location == f.location and f.location.path.endswith("mirror.yml") for f in guards)
    sweep = world.outcome(job(inventory, "pd-mirror"))
    assert {run.platform for run in sweep.runs} == {job(inventory, "pd-mirror").platform}
    assert sweep.runs[0].path[0].text == "pd accuracy (mirror)"


def test_jobs_that_read_other_names_are_interpreted_each(inventory):
    pd, other = job(inventory, "pd"), job(inventory, "other")
    assert share_key(pd) != share_key(other)
    assert share_key(job(inventory, "pd")) == share_key(job(inventory, "pd-mirror"))  # BACKEND's value is free


def test_the_first_of_equal_jobs_asked_for_alone_serves_the_next(inventory, interpreted):
    world = open_world(inventory)
    mirror = job(inventory, "pd-mirror")
    assert world.outcome(mirror) == interpret_job(mirror, inventory.snapshot, inventory.settings, open_world=True)
    world.outcome(job(inventory, "pd"))
    assert interpreted == ["pd-mirror"]


def test_sharing_through_a_sessions_memo(inventory):
    memo = JobMemo()
    equip(inventory, memo)
    outcomes = open_world(inventory).outcomes(inventory.jobs)
    assert memo.computed == len(inventory.jobs) - 2  # the two mirrors are rebased
    for found, j in zip(outcomes, inventory.jobs):
        assert found == interpret_job(j, inventory.snapshot, inventory.settings, open_world=True), j.key


def test_commands_whose_rows_overlap_are_not_rebased(inventory):
    from dataclasses import replace

    from coverage_diff.model import Command, Location

    pd = job(inventory, "pd")
    one_line = replace(pd, commands=(Command("bash ci/install.sh", Location(pd.file, 8)),
                                     Command("MODE=tp bash ci/sweep.sh", Location(pd.file, 8))))
    assert Rebase.between(one_line, job(inventory, "pd-mirror")) is None
    assert Rebase.between(pd, job(inventory, "pd-mirror")) is not None
