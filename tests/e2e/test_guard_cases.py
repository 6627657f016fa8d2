"""Guard semantics end to end (issue 3's cases): what a diff reports and which variable explains it."""

import history

from coverage_diff.engine.session import diff_range

SWEEP = """#!/bin/bash
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)
source "$SCRIPT_DIR/configs.sh"
{early_exit}
if [[ "${{USE_FP8:-0}}" == "1" ]]; then
  configs=("${{fp8_configs[@]}}")
else
  configs=("${{base_configs[@]}}")
fi
for cfg in "${{configs[@]}}"; do
  read -r -a parts <<< "$cfg"
  env "${{parts[@]}}" pytest tests/test_model.py
done
"""
CONFIGS = """base_configs=(
  "MODEL=llama TP=1"
  "MODEL=qwen TP=2"
)
fp8_configs=(
  "MODEL=llama TP=1 DTYPE=fp8"
)
"""
PIPELINE = """steps:
  - label: default sweep
    command: bash ci/sweep.sh
  - label: fp8 sweep
    command: {prefix} bash ci/sweep.sh
"""


def make(tmp_path, base: dict, head: dict):
    repo = history.init_repo(tmp_path / "repo")
    files = {"ci/sweep.sh": SWEEP.format(early_exit=""), "ci/configs.sh": CONFIGS, "tests/test_model.py": "",
             ".buildkite/pipeline.yml": PIPELINE.format(prefix="USE_FP8=1")}
    files.update(base)
    history.write_tree(repo, files)
    history.commit_all(repo, "base", tag="base")
    history.write_tree(repo, head)
    history.commit_all(repo, "head", tag="head")
    return diff_range(repo, "base..head")


def losses(report):
    return [f for f in report.findings if f.kind in ("silently-dropped", "narrowed", "removed")]


def test_true_is_not_1_for_an_equality_guard(tmp_path):
    report = make(tmp_path, {}, {".buildkite/pipeline.yml": PIPELINE.format(prefix="USE_FP8=True")})
    (lost,) = losses(report)
    assert lost.subject == "DTYPE=fp8 MODEL=llama TP=1"
    assert lost.kind == "silently-dropped"
    assert lost.reason.variables == ("USE_FP8",)
    assert ("fp8 sweep", "USE_FP8", "True") in lost.reason.guards[0].provided
    assert "USE_FP8=1 bash ci/sweep.sh" in lost.reason.fix


def test_early_exit_on_an_unset_variable_drops_everything_after_it(tmp_path):
    exit_guard = 'if [[ -z "${RUN_SLOW:-}" ]]; then exit 0; fi'
    report = make(tmp_path, {}, {"ci/sweep.sh": SWEEP.format(early_exit=exit_guard)})
    lost = losses(report)
    assert sorted(f.subject for f in lost) == ["DTYPE=fp8 MODEL=llama TP=1", "MODEL=llama TP=1", "MODEL=qwen TP=2"]
    for finding in lost:
        assert finding.kind == "silently-dropped"
        assert "RUN_SLOW" in finding.reason.variables
        assert finding.reason.guards[0].condition.location.path == "ci/sweep.sh"
        assert finding.reason.guards[0].condition.location.line == 5


def test_entry_in_a_sourced_file_moved_behind_a_new_guard(tmp_path):
    head_configs = CONFIGS.replace('  "MODEL=qwen TP=2"\n', "") + 'if [[ -n "${LARGE:-}" ]]; then\n  base_configs+=("MODEL=qwen TP=2")\nfi\n'
    report = make(tmp_path, {}, {"ci/configs.sh": head_configs})
    (lost,) = losses(report)
    assert lost.subject == "MODEL=qwen TP=2"
    assert lost.kind == "silently-dropped"
    assert lost.reason.variables == ("LARGE",)
    assert lost.config.location.path == "ci/configs.sh"


def test_renamed_switch_is_named_as_a_near_miss(tmp_path):
    report = make(tmp_path, {}, {".buildkite/pipeline.yml": PIPELINE.format(prefix="USE_FP_8=1")})
    (lost,) = losses(report)
    assert lost.reason.variables == ("USE_FP8",)
    assert ("USE_FP_8", "USE_FP8", "fp8 sweep") in lost.reason.near_misses
    assert "USE_FP_8" in lost.reason.text
    assert lost.reason.fix.splitlines()[0] == "# or rename USE_FP_8 to USE_FP8 in 'fp8 sweep'"


def test_sw_atten_typo_near_miss_on_the_vllm_example(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "vllm_pd_split"
    repo = history.build(fixture, tmp_path / "repo")
    area = repo / ".buildkite/test_areas/disaggregated.yaml"
    text = area.read_text()
    step = text[text.index("- label: NixlConnector PD"):text.index("- label: FlashInfer")]
    sw_step = step.replace("NixlConnector PD accuracy", "SW attention PD accuracy").replace("key: nixlconnector", "key: sw-nixlconnector")
    area.write_text(text + sw_step.replace("- bash v1", "- SW_ATTN=1 bash v1"))
    history.commit_all(repo, "add SW_ATTN step", tag="with-sw")
    area.write_text(text + sw_step.replace("- bash v1", "- SW_ATTEN=1 bash v1"))
    history.commit_all(repo, "typo", tag="typo")
    report = diff_range(repo, "with-sw..typo")
    lost = losses(report)
    assert len(lost) == 3  # the whole sliding-window array is stranded again
    for finding in lost:
        assert finding.reason.variables == ("SW_ATTN",)
        assert any(name == "SW_ATTEN" for name, _, _ in finding.reason.near_misses)


def test_a_wrong_value_in_step_env_suggests_changing_it(tmp_path):
    env_pipeline = "steps:\n  - label: fp8 sweep\n    command: bash ci/sweep.sh\n    env:\n      USE_FP8: '{value}'\n"
    report = make(tmp_path, {".buildkite/pipeline.yml": env_pipeline.format(value="1")},
                  {".buildkite/pipeline.yml": env_pipeline.format(value="True")})
    (lost,) = losses(report)
    assert lost.reason.variables == ("USE_FP8",)
    assert lost.reason.fix.splitlines()[0] == "# or set USE_FP8 to \"1\" instead of \"True\" in the env of 'fp8 sweep' (.buildkite/pipeline.yml)"


def test_a_wrong_value_in_a_prefix_suggests_changing_it(tmp_path):
    report = make(tmp_path, {}, {".buildkite/pipeline.yml": PIPELINE.format(prefix="USE_FP8=yes")})
    (lost,) = losses(report)
    assert lost.reason.fix.splitlines()[0] == "# or change USE_FP8=yes to USE_FP8=1 in the command at .buildkite/pipeline.yml:5"


BACKEND_SWEEP = """configs=("MODEL=llama TP=1" "MODEL=qwen TP=2")
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest tests/test_model.py --backend "${BACKEND:-default}"
done
"""
TWO_BACKENDS = """steps:
  - label: flash
    command: BACKEND=flash bash ci/sweep.sh
  - label: {second}
    command: BACKEND={second} bash ci/sweep.sh
"""


def backends(tmp_path, head_pipeline: str):
    repo = history.init_repo(tmp_path / "repo")
    history.write_tree(repo, {"ci/sweep.sh": BACKEND_SWEEP, "tests/test_model.py": "",
                              ".buildkite/pipeline.yml": TWO_BACKENDS.format(second="triton")})
    history.commit_all(repo, "base", tag="base")
    history.write_tree(repo, {".buildkite/pipeline.yml": head_pipeline})
    history.commit_all(repo, "head", tag="head")
    return diff_range(repo, "base..head")


def test_fewer_variants_of_an_entry_is_narrowed_and_other_variants_changed(tmp_path):
    report = backends(tmp_path, TWO_BACKENDS.format(second="triton").split("  - label: triton")[0])
    narrowed = sorted((f for f in report.findings if f.kind == "narrowed"), key=lambda f: f.subject)
    assert [f.subject for f in narrowed] == ["MODEL=llama TP=1", "MODEL=qwen TP=2"]
    assert all("1 of its 2 variants no longer run" in f.message for f in narrowed)
    assert all("triton" in f.reason.text for f in narrowed)  # the job that ran them is gone
    report = backends(tmp_path / "other", TWO_BACKENDS.format(second="rocm"))
    assert losses(report) == []
    assert sorted(f.subject for f in report.findings if f.kind == "changed") == ["MODEL=llama TP=1", "MODEL=qwen TP=2"]
