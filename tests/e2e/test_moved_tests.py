"""Tests that moved or were reorganised are not `removed` (issue 17): a file git sees
renamed whose command now names the new path, a directory moved whole, a listed config
renamed, a path that never existed fixed.  Each case is a small repository written here."""

import hashlib

from test_identity import kinds, make

DEMO = """import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description="generate a few tokens with a tiny model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="tiny")
    args = parser.parse_args()
    print(args.model, args.seed)


if __name__ == "__main__":
    main()
"""
TESTS = """import pytest


@pytest.mark.parametrize("size", [1, 2, 4])
def test_scheduler_keeps_order(size):
    assert list(range(size)) == sorted(range(size))


def test_scheduler_empty():
    assert sorted([]) == []
"""


def steps(*commands: str, queues=("gpu", "amd")) -> str:
    """One job per command and queue, labelled by both (a job keeps its label when others go)."""
    label = lambda c: hashlib.sha1(c.encode()).hexdigest()[:10]  # noqa: E731
    return "steps:\n" + "".join(f"  - label: {q} {label(c)}\n    agents: {{queue: {q}}}\n    command: {c}\n"
                                for c in commands for q in queues)


def test_a_renamed_example_run_at_its_new_path_is_moved(tmp_path):
    old = ["python3 examples/offline/demo.py --seed 0", "pytest -v tests/core/test_sched.py::test_scheduler_empty"]
    new = ["python3 examples/generate/demo_offline.py --seed 0", "pytest -v tests/v1/core/test_scheduling.py::test_scheduler_empty"]
    base = {".buildkite/pipeline.yml": steps(*old), "examples/offline/demo.py": DEMO, "tests/core/test_sched.py": TESTS}
    head = {".buildkite/pipeline.yml": steps(*new), "examples/offline/demo.py": None, "tests/core/test_sched.py": None,
            "examples/generate/demo_offline.py": DEMO.replace("tiny model", "small model"), "tests/v1/core/test_scheduling.py": TESTS}
    report = make(tmp_path, base, head)
    assert set(kinds(report)) == {"moved"}, kinds(report)
    moved = {f.subject: f for f in report.findings}
    assert "examples/offline/demo.py -> examples/generate/demo_offline.py" in moved[old[0]].message
    assert dict(moved[old[1]].details)["now"] == new[1]
    # run at the new path on one queue only: the other queue's runs are lost
    head[".buildkite/pipeline.yml"] = steps(*new, queues=("gpu",))
    report = make(tmp_path / "one", base, head)
    assert set(kinds(report)["narrowed"]) == set(old), kinds(report)
    assert all("no longer on queue=amd" in f.reason.text for f in report.findings if f.kind == "narrowed")
    # deleted, not renamed: still removed
    head = {".buildkite/pipeline.yml": steps(old[1]), "examples/offline/demo.py": None}
    found = kinds(make(tmp_path / "gone", base, head))
    assert found["removed"] == [old[0]] and "narrowed" not in found, found


def test_a_directory_moved_whole_is_moved(tmp_path):
    files = {f"tests/engine/test_{name}.py": TESTS.replace("scheduler", name) for name in ("queue", "output", "abort")}
    base = {".buildkite/pipeline.yml": steps("pytest -v tests/engine -k 'not abort'"), **files}
    head = {path: None for path in files} | {path.replace("tests/engine/", "tests/v1/engine/"): text for path, text in files.items()}
    head[".buildkite/pipeline.yml"] = steps("pytest -v tests/v1/engine -k 'not abort'")
    report = make(tmp_path, base, head)
    assert kinds(report) == {"moved": ["pytest -v tests/engine -k not abort"]}, kinds(report)
    # one file left behind: the directory did not move as a whole, nothing says its tests run
    head["tests/engine/test_abort.py"], head["tests/v1/engine/test_abort.py"] = files["tests/engine/test_abort.py"], None
    assert "moved" not in kinds(make(tmp_path / "partly", base, head))


def test_a_renamed_config_in_a_list_is_moved(tmp_path):
    config = "model_name: org/model-a\ntensor_parallel_size: 2\nmetric_threshold: 0.71\nlimit: 250\nnum_fewshot: 5\n"
    step = "steps:\n  - label: eval\n    agents: {queue: h100}\n    command: pytest -v tests/evals/test_eval.py --config-list-file=configs/list.txt\n"
    base = {".buildkite/pipeline.yml": step, "tests/evals/test_eval.py": "def test_eval(config): pass\n",
            "tests/evals/configs/list.txt": "Model-A-TP2.yaml\nModel-B.yaml\n", "tests/evals/configs/Model-A-TP2.yaml": config,
            "tests/evals/configs/Model-B.yaml": config.replace("model-a", "model-b")}
    head = {"tests/evals/configs/Model-A-TP2.yaml": None, "tests/evals/configs/Model-A-EMU-TP2.yaml": config.replace("250", "200"),
            "tests/evals/configs/list.txt": "Model-A-EMU-TP2.yaml\nModel-B.yaml\n"}
    report = make(tmp_path, base, head)
    assert kinds(report) == {"moved": ["Model-A-TP2.yaml"]}, kinds(report)
    assert "Model-A-TP2.yaml -> tests/evals/configs/Model-A-EMU-TP2.yaml" in report.findings[0].message


def test_a_renamed_config_another_list_replaced_by_a_sibling_is_changed(tmp_path):
    """One list follows the rename, the other list (another queue) now names a sibling
    config written for it: the config still runs on both queues, edited on one."""
    config = "model_name: org/model-a\ntensor_parallel_size: 2\nmetric_threshold: 0.71\nlimit: 250\nnum_fewshot: 5\n"
    step = "  - label: eval {0}\n    agents: {{queue: {0}}}\n    command: pytest -v tests/evals/test_eval.py --config-list-file=configs/{0}.txt\n"
    base = {".buildkite/pipeline.yml": "steps:\n" + step.format("h100") + step.format("b200"),
            "tests/evals/test_eval.py": "def test_eval(config): pass\n", "tests/evals/configs/h100.txt": "model-a-bf16.yaml\n",
            "tests/evals/configs/b200.txt": "model-a-bf16.yaml\nmodel-c.yaml\n", "tests/evals/configs/model-a-bf16.yaml": config,
            "tests/evals/configs/model-c.yaml": config.replace("model-a", "model-c")}
    head = {"tests/evals/configs/model-a-bf16.yaml": None,
            "tests/evals/configs/model-a-bf16-cutlass.yaml": config + "backend: cutlass\n",
            "tests/evals/configs/model-a-bf16-trtllm.yaml": "model_name: org/model-a\nbackend: trtllm\n",
            "tests/evals/configs/h100.txt": "model-a-bf16-cutlass.yaml\n", "tests/evals/configs/b200.txt": "model-a-bf16-trtllm.yaml\nmodel-c.yaml\n"}
    report = make(tmp_path, base, head)
    assert kinds(report) == {"changed": ["model-a-bf16.yaml"]}, kinds(report)
    assert "b200.txt:1 -model-a-bf16.yaml +model-a-bf16-trtllm.yaml" in report.findings[0].message
    head["tests/evals/configs/b200.txt"] = "model-d.yaml\nmodel-c.yaml\n"  # another model in its place: not its successor
    head["tests/evals/configs/model-d.yaml"] = "model_name: org/model-d\n"
    lost = kinds(make(tmp_path / "other", base, head))
    assert any("b200" in s for kind in ("narrowed", "removed") for s in lost.get(kind, ())), lost


def test_renames_without_git_are_files_whose_content_moved():
    from coverage_diff.snapshot import Snapshot, renames

    base = Snapshot.from_files("b", {"a/x.py": DEMO, "a/y.py": TESTS, "keep.py": "1\n"})
    head = Snapshot.from_files("h", {"b/x.py": DEMO, "a/y.py": TESTS.replace("empty", "none"), "keep.py": "1\n", "b/z.py": TESTS})
    assert renames(base, head) == {"a/x.py": "b/x.py"}


def test_a_command_whose_test_path_never_existed_ran_nothing(tmp_path):
    """A path fixed to the real file (and a shard option left empty): the old command
    stopped before running a test, so removing it loses nothing.  A file that existed is
    a loss as before; a path under a directory the repository lacks may be made at run time."""
    files = {"tests/compile/test_fusion.py": TESTS, "tests/models/test_gen.py": TESTS, "examples/basic/chat.py": DEMO}
    old = ["pytest -v tests/compile/distributed/test_fusion.py::test_scheduler_empty", "python3 examples/offline/basic/chat.py",
           "pytest -v tests/models --num-shards= --shard-id="]
    new = ["pytest -v tests/compile/test_fusion.py::test_scheduler_empty", "python3 examples/basic/chat.py", "pytest -v tests/models"]
    base = {".buildkite/pipeline.yml": steps(*old, *new[1:]), **files}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": steps(*new)})
    assert not [f for f in report.findings if f.severity.value != "info"], kinds(report)
    ran = {f.subject: f.message for f in report.findings if f.kind == "changed"}
    assert set(ran) == set(old[:2]), kinds(report)  # the pytest path fix is an edit in place too
    assert "examples/offline/basic/chat.py does not exist there" in ran[old[1]]
    report = make(tmp_path / "dropped", base, {".buildkite/pipeline.yml": steps(*new[1:])})
    assert {f.subject for f in report.findings if f.kind == "changed"} == set(old[:2]), kinds(report)
    from coverage_diff.config import Settings
    from coverage_diff.model import Run
    from coverage_diff.snapshot import Snapshot
    from coverage_diff.subjects import ran_nothing

    snapshot = Snapshot.from_files("t", files)
    empty = Run("j", tuple(old[2].split()), (), None, "")
    assert "`--num-shards=` is not a number" in ran_nothing(empty, snapshot, Settings())
    assert ran_nothing(Run("j", ("pytest", "-k", "x.py", "tests/models"), (), None, ""), snapshot, Settings()) is None
    report = make(tmp_path / "real", base, {".buildkite/pipeline.yml": steps(*old, *new[2:])})  # a file that existed: lost
    assert kinds(report)["removed"] == ["python3 examples/basic/chat.py"]
    made = {".buildkite/pipeline.yml": steps("pytest -v build/gen/test_made.py", "pytest -v tests/models")}
    report = make(tmp_path / "made", {**base, **made}, {".buildkite/pipeline.yml": steps("pytest -v tests/models")})
    assert kinds(report)["removed"] == ["pytest -v build/gen/test_made.py"]


SAMPLER = TESTS + """

def test_sampler_topk():
    assert max([3, 1, 2]) == 3


def test_sampler_topp():
    assert min([3, 1, 2]) == 1
"""


def test_the_same_tests_selected_another_way_are_not_removed(tmp_path):
    """Files now run through their directory; `path::test[ID]` now `path::test -k ID`; a
    file whose deselects were dropped, its tests listed one by one; a directory two
    commands split between their `--ignore`s.  Each still selects what it did, where it
    ran.  A selection that leaves a test out stays a loss."""
    files = {"tests/sample/test_logits.py": TESTS, "tests/sample/test_sampler.py": SAMPLER, "tests/engine/test_a.py": TESTS,
             "tests/engine/test_b.py": TESTS, "tests/engine/test_c.py": TESTS}
    old = ["pytest -v tests/sample/test_logits.py", "pytest -v tests/sample/test_sampler.py",
           "pytest -v tests/sample/test_logits.py::test_scheduler_keeps_order[2]",
           "pytest -v tests/sample/test_sampler.py --deselect tests/sample/test_sampler.py::test_sampler_topk",
           "pytest -v tests/engine"]
    new = ["pytest -v tests/sample", "pytest -v tests/sample/test_logits.py::test_scheduler_keeps_order -k 2",
           *(f"pytest -v tests/sample/test_sampler.py::{name}" for name in ("test_scheduler_keeps_order", "test_scheduler_empty",
                                                                        "test_sampler_topp")),
           "pytest -v tests/engine --ignore tests/engine/test_a.py", "pytest -v tests/engine --ignore=tests/engine/test_b.py"]
    base = {".buildkite/pipeline.yml": steps(*old), **files}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": steps(*new)})
    assert not [f for f in report.findings if f.severity.value != "info"], kinds(report)
    assert set(kinds(report)["moved"]) == set(old), kinds(report)
    narrower = list(new)
    narrower[0] = "pytest -v tests/sample -k 'not topk'"  # test_sampler_topk is left out now
    report = make(tmp_path / "less", base, {".buildkite/pipeline.yml": steps(*narrower)})
    # test_logits.py may hold a test named after topk (a parameter id): not claimed to be selected
    assert set(kinds(report).get("removed", [])) == {old[0], old[1]}, kinds(report)
    narrower[2] = "pytest -v tests/sample/test_sampler.py::test_sampler_topk"  # keeps_order of test_sampler.py: by none
    report = make(tmp_path / "less2", base, {".buildkite/pipeline.yml": steps(*narrower)})
    assert old[3] in kinds(report).get("removed", []), kinds(report)
