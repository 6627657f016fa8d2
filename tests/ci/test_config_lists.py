"""lm-eval config lists: each line of a `--config-list-file` list is a config entry its run reaches."""

import history as fixture_history  # fixtures/history.py
from coverage_diff.engine.session import diff_range
from coverage_diff.ci import config_lists
from coverage_diff.config import Settings
from coverage_diff.engine.build import build_inventory
from coverage_diff.model import Run
from coverage_diff.snapshot import Snapshot

HARNESS = ".buildkite/lm-eval-harness"
FILES = {
    ".buildkite/ci_config.yaml": "name: vllm_ci\njob_dirs:\n  - .buildkite/test_areas\n",
    ".buildkite/test_areas/lm_eval.yaml": """group: LM Eval
depends_on:
  - image-build
steps:
  - label: LM Eval Small Models
    working_dir: "/vllm-workspace/.buildkite/lm-eval-harness"
    source_file_dependencies: [csrc/]
    commands:
      - pytest -s -v test_lm_eval_correctness.py --config-list-file=configs/models-small.txt --tp-size=1
  - label: GSM8K
    source_file_dependencies: [vllm/]
    commands:
      - pytest -s -v evals/gsm8k/test_gsm8k_correctness.py --config-list-file configs/models-small.txt
""",
    f"{HARNESS}/test_lm_eval_correctness.py": "def test_lm_eval(config_filename): pass\n",
    f"{HARNESS}/configs/models-small.txt": "# small models\nQwen-small.yaml\n\nLlama-small.yaml\nMissing.yaml\n",
    f"{HARNESS}/configs/models-large.txt": "Big.yaml\n",
    f"{HARNESS}/configs/Qwen-small.yaml": "model_name: Qwen/small\n",
    f"{HARNESS}/configs/Llama-small.yaml": "model_name: meta/llama-small\n",
    f"{HARNESS}/configs/Big.yaml": "model_name: big\n",
    "tests/evals/gsm8k/test_gsm8k_correctness.py": "def test_gsm8k(config_filename): pass\n",
    "tests/evals/gsm8k/configs/models-small.txt": "Qwen3-0.6B.yaml\n",
    "tests/evals/gsm8k/configs/Qwen3-0.6B.yaml": "model_name: Qwen/Qwen3-0.6B\n",
    "requirements/common.txt": "torch\nnumpy\n",
}


def test_list_lines_are_entries_and_runs_split_per_listed_config():
    inventory = build_inventory(Snapshot.from_files("t", FILES), Settings())
    by_subject = {run.subject: run for run in inventory.runs}
    assert set(by_subject) == {"Qwen-small.yaml", "Llama-small.yaml", "Qwen3-0.6B.yaml"}
    llama = by_subject["Llama-small.yaml"]
    assert str(llama.entry.location) == f"{HARNESS}/configs/models-small.txt:4"
    assert llama.entry.array == f"{HARNESS}/configs/models-small.txt"
    assert by_subject["Qwen3-0.6B.yaml"].entry.array == "tests/evals/gsm8k/configs/models-small.txt"  # test dir first
    assert set(inventory.entries) == {"Qwen-small.yaml", "Llama-small.yaml", "Missing.yaml", "Big.yaml", "Qwen3-0.6B.yaml"}
    unreached = [str(e.location) for e in inventory.unreached_entries()]
    assert unreached == [f"{HARNESS}/configs/models-large.txt:1", f"{HARNESS}/configs/models-small.txt:5"]


def test_option_forms_and_list_detection():
    assert config_lists.list_option(("pytest", "--config-list-file=a.txt")) == "a.txt"
    assert config_lists.list_option(("pytest", "--config-list-file", "b.txt")) == "b.txt"
    assert config_lists.list_option(("pytest", "-k", "x")) is None
    snapshot = Snapshot.from_files("t", FILES)
    assert config_lists.list_files(snapshot) == [f"{HARNESS}/configs/models-large.txt", f"{HARNESS}/configs/models-small.txt",
                                                 "tests/evals/gsm8k/configs/models-small.txt"]
    run = Run("j", ("pytest", "t.py", "--config-list-file=configs/models-small.txt"), (), None, HARNESS)
    assert config_lists.resolve_list("configs/models-small.txt", run, snapshot) == f"{HARNESS}/configs/models-small.txt"
    assert config_lists.resolve_list("configs/none.txt", run, snapshot) is None


def history(tmp_path, head_files):
    repo = fixture_history.init_repo(tmp_path / "repo")
    fixture_history.write_tree(repo, FILES)
    fixture_history.commit_all(repo, "base", tag="base")
    fixture_history.write_tree(repo, head_files)
    fixture_history.commit_all(repo, "head", tag="head")
    return repo


LOSSES = ("silently-dropped", "removed", "narrowed")


def losses(report):
    return [(f.kind, f.subject) for f in report.findings if f.kind in LOSSES]


def test_removing_a_line_from_a_list_is_a_removed_subject(tmp_path):
    repo = history(tmp_path, {f"{HARNESS}/configs/models-small.txt": "# small models\nQwen-small.yaml\n\nMissing.yaml\n"})
    assert losses(diff_range(repo, "base..head")) == [("removed", "Llama-small.yaml")]


def test_moving_a_model_to_a_list_no_job_passes_is_silently_dropped(tmp_path):
    repo = history(tmp_path, {f"{HARNESS}/configs/models-small.txt": "Qwen-small.yaml\n",
                              f"{HARNESS}/configs/models-large.txt": "Big.yaml\nLlama-small.yaml\n"})
    report = diff_range(repo, "base..head")
    assert losses(report) == [("silently-dropped", "Llama-small.yaml")]
    (finding,) = [f for f in report.findings if f.kind == "silently-dropped"]
    assert finding.config.location.path == f"{HARNESS}/configs/models-large.txt"
    assert finding.reason.text.startswith(f"No job uses {HARNESS}/configs/models-large.txt at this revision")


def test_reordering_a_list_loses_nothing(tmp_path):
    repo = history(tmp_path, {f"{HARNESS}/configs/models-small.txt": "Missing.yaml\nLlama-small.yaml\nQwen-small.yaml\n"})
    assert losses(diff_range(repo, "base..head")) == []


def _two_lists(tmp_path, other_dir: str, head_steps: str):
    """A job per list: `fast.txt` in the harness's configs, `more.txt` in `other_dir`, both
    naming `Shared.yaml` (in their own directory)."""
    step = "  - label: {0}\n    agents: {{queue: gpu}}\n    command: cd {1} && pytest -v test_eval.py --config-list-file={2}\n"
    fast, more = step.format("fast", "ci/evals", "configs/fast.txt"), step.format("more", other_dir, "configs/more.txt")
    files = {".buildkite/pipeline.yml": "steps:\n" + fast + more,
             "ci/evals/test_eval.py": "", "ci/evals/configs/fast.txt": "Shared.yaml\nSmall.yaml\n",
             "ci/evals/configs/Shared.yaml": "model: shared\n", "ci/evals/configs/Small.yaml": "model: small\n",
             f"{other_dir}/test_eval.py": "", f"{other_dir}/configs/more.txt": "Shared.yaml\nLarge.yaml\n",
             f"{other_dir}/configs/Shared.yaml": "model: shared\n", f"{other_dir}/configs/Large.yaml": "model: large\n"}
    repo = fixture_history.init_repo(tmp_path / "repo")
    fixture_history.write_tree(repo, files)
    fixture_history.commit_all(repo, "base", tag="base")
    fixture_history.write_tree(repo, {".buildkite/pipeline.yml": "steps:\n" + (fast if head_steps == "fast" else more)})
    fixture_history.commit_all(repo, "head", tag="head")
    report = diff_range(repo, "base..head")
    return losses(report) + [(f.kind, f.subject) for f in report.findings if f.subject == "Shared.yaml" and f.kind not in LOSSES]


def test_a_config_two_lists_name_still_runs_while_one_list_does(tmp_path):
    """`Shared.yaml` is in both lists of one directory; the job of one list is deleted: the
    other list's job runs that very config on the same queue: the same run, so only `Large.yaml`
    is lost and `Shared.yaml` is only `moved` (the job that runs it is another).
    Lists in two directories name two files called `Shared.yaml`: each is its own subject,
    and the one no job runs any more is lost."""
    assert _two_lists(tmp_path / "same", "ci/evals", "fast") == [("silently-dropped", "Large.yaml"), ("moved", "Shared.yaml")]
    assert _two_lists(tmp_path / "apart", "ci/evals2", "fast") == [("silently-dropped", "Large.yaml"),
                                                                   ("silently-dropped", "Shared.yaml [ci/evals2/configs/more.txt]")]
