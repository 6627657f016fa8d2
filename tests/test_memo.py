"""Reused job outcomes must equal fresh ones: a job is reused only when it is equal
and every file it consulted answers the same in the new snapshot."""

from __future__ import annotations

from coverage_diff.engine.cache import Cache
from coverage_diff.config import Settings
from coverage_diff.engine.build import build_inventory
from coverage_diff.engine.memo import JobMemo
from coverage_diff.snapshot import Snapshot
from coverage_diff.engine.world import equip
from coverage_diff.world import open_world

PIPELINE = """\
steps:
  - label: sweep
    command: bash ci/sweep.sh
    env:
      FAST: "1"
  - label: unit
    command: pytest tests/test_unit.py
"""
SWEEP = """\
fast=("A=1 B=2" "A=2 B=2")
slow=("A=3 B=9")
if [[ -n "${FAST:-}" ]]; then configs=("${fast[@]}"); else configs=("${slow[@]}"); fi
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest tests/test_model.py
done
"""
FILES = {
    ".buildkite/pipeline.yml": PIPELINE,
    "ci/sweep.sh": SWEEP,
    "tests/test_unit.py": "",
    "tests/test_model.py": "",
}


def inventories(files_by_revision: list[dict[str, str]], memo: JobMemo):
    settings = Settings()
    out = []
    for index, files in enumerate(files_by_revision):
        snapshot = Snapshot.from_files(f"r{index}", files)
        out.append(build_inventory(snapshot, settings, interpret=memo.closed))
    return out


def fresh(files: dict[str, str]):
    return build_inventory(Snapshot.from_files("fresh", files), Settings())


def runs(inventory):
    return [(r.subject, r.argv, r.env, r.location) for r in inventory.runs]


def test_unchanged_jobs_are_reused_and_equal():
    memo = JobMemo()
    first, second = inventories([FILES, {**FILES, "README.md": "unrelated"}], memo)
    assert memo.reused == 2 and memo.computed == 2
    assert runs(second) == runs(first) == runs(fresh(FILES))
    assert len(second.runs) == 3


def test_a_changed_script_is_interpreted_again():
    memo = JobMemo()
    edited = {**FILES, "ci/sweep.sh": SWEEP.replace('"A=2 B=2"', '"A=2 B=2" "A=7 B=7"')}
    _, second = inventories([FILES, edited], memo)
    assert memo.reused == 1  # the unit job only
    assert runs(second) == runs(fresh(edited))
    assert len(second.runs) == 4


def test_a_deleted_file_named_by_a_run_is_not_reused():
    """The interpreter asked whether tests/test_unit.py exists: the answer changed."""
    memo = JobMemo()
    gone = {k: v for k, v in FILES.items() if k != "tests/test_unit.py"}
    _, second = inventories([FILES, gone], memo)
    assert memo.reused == 1  # the sweep job only
    assert runs(second) == runs(fresh(gone))


def test_outcomes_survive_a_new_process_through_the_cache(tmp_path):
    first = JobMemo(Cache(tmp_path))
    inventories([FILES], first)
    second = JobMemo(Cache(tmp_path))
    (inventory,) = inventories([FILES], second)
    assert second.reused == 2 and second.computed == 0
    assert runs(inventory) == runs(fresh(FILES))


def test_open_world_outcomes_are_kept_apart_from_closed_ones():
    memo = JobMemo()
    (inventory,) = inventories([FILES], memo)
    equip(inventory, memo)
    sweep = next(job for job in inventory.jobs if "sweep" in job.label)
    opened = open_world(inventory).outcome(sweep)
    assert len(opened.runs) == 3  # both arrays: FAST unknown
    assert len(inventory.outcomes[sweep.id].runs) == 2


def test_answer_memo_reuses_until_a_consulted_answer_changes():
    from coverage_diff.engine.memo import AnswerMemo

    memo = AnswerMemo()
    calls = []

    def compute(snapshot):
        calls.append(snapshot.name)
        return (snapshot.glob("ci/*.sh"), snapshot.text("ci/sweep.sh"))

    def snap(name, files):
        return Snapshot.from_files(name, files)

    first = memo.remember(("k",), snap("a", FILES), compute)
    assert memo.remember(("k",), snap("b", {**FILES, "tests/test_unit.py": "x = 1"}), compute) == first
    edited = memo.remember(("k",), snap("c", {**FILES, "ci/sweep.sh": "echo"}), compute)
    listed = memo.remember(("k",), snap("d", {**FILES, "ci/other.sh": ""}), compute)
    assert calls == ["a", "c", "d"]  # unrelated content: reused; read file or listing changed: computed
    assert edited[1] == "echo" and listed[0] == ["ci/other.sh", "ci/sweep.sh"]


def test_ci_metadata_does_not_make_a_job_run_differently():
    """A timeout or soft-fail change keeps the outcome; a relabelled step is reported under
    its new label, so it is interpreted again."""
    memo = JobMemo()
    timed = {**FILES, ".buildkite/pipeline.yml": PIPELINE + "    timeout_in_minutes: 20\n    soft_fail: true\n"}  # lines below the command
    first, second = inventories([FILES, timed], memo)
    unit = next(job for job in second.jobs if job.label == "unit")
    assert dict(unit.attributes) == {"timeout_in_minutes": "20"} and unit.soft_fail
    assert memo.reused == 2 and memo.computed == 2
    assert runs(second) == runs(fresh(timed))
    relabelled = {**FILES, ".buildkite/pipeline.yml": PIPELINE.replace("label: unit", "label: unit tests")}
    memo = JobMemo()
    inventories([FILES, relabelled], memo)
    assert memo.reused == 1  # the sweep job only


def test_the_interpreter_sees_only_what_decides_the_runs():
    from dataclasses import fields, replace

    from coverage_diff.model import BEHAVIOUR_FIELDS, Job, Tier

    (inventory,) = inventories([FILES], JobMemo())
    job = next(job for job in inventory.jobs if job.label == "sweep")
    meta = replace(job, tier=Tier.NIGHTLY, soft_fail=True, attributes=(("timeout_in_minutes", "5"),),
                   source_file_dependencies=("x",), ignored_keys=(("foo", job.location),))
    assert meta.behaviour == job.behaviour and meta.without_metadata() == job.without_metadata()
    assert set(BEHAVIOUR_FIELDS) | {"tier", "soft_fail", "attributes", "source_file_dependencies", "ignored_keys"} == {f.name for f in fields(Job)}
    assert replace(job, env=(("FAST", "0"),)).behaviour != job.behaviour
