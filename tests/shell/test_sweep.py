"""The vLLM sweep pattern end to end, checked against real bash."""

from __future__ import annotations

import pytest

from coverage_diff.config import Settings
from coverage_diff.shell import script_definitions
from coverage_diff.snapshot import Snapshot

from .harness import assert_agrees_with_bash
from .helpers import interpret, job

SWEEP = """#!/bin/bash
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tp_configs=(
  "GPU_MEMORY_UTILIZATION=0.6 MODEL_NAMES=Qwen/Qwen3-0.6B"   # small
  "GPU_MEMORY_UTILIZATION=0.8 PREFILLER_TP_SIZE=2 MODEL_NAMES=deepseek"
)
sw_attn_configs=(
  "GPU_MEMORY_UTILIZATION=0.6 MODEL_NAMES=google/gemma-3-4b-it"
)
dp_configs=(
  "DP_EP=1 MODEL_NAMES=deepseek-v2-lite"
)
if [[ -n "${DP_EP:-}" ]]; then
  configs=("${dp_configs[@]}")
elif [[ -n "${SW_ATTN:-}" ]]; then
  configs=("${sw_attn_configs[@]}")
else
  configs=("${tp_configs[@]}")
fi
if [[ -n "${ENABLE_HMA_FLAG:-}" ]]; then
  for i in "${!configs[@]}"; do
    configs[$i]="ENABLE_HMA_FLAG=1 ${configs[$i]}"
  done
fi
extra_args=()
if [[ -n "${ATTENTION_BACKEND:-}" ]]; then
  extra_args+=("--attention-backend" "${ATTENTION_BACKEND}")
elif [[ -n "${FLASHINFER:-}" ]]; then
  extra_args+=("--attention-backend" "FLASHINFER")
fi
if [[ -n "${CROSS_LAYERS_BLOCKS:-}" ]]; then
  extra_args+=("--enable-cross-layers")
fi
run_tests() {
  local label=$1
  local script=$2
  for cfg in "${configs[@]}"; do
    read -r -a cfg_parts <<< "$cfg"
    echo "Running $label with $cfg"
    env "${cfg_parts[@]}" bash "$script" "${extra_args[@]}"
  done
}
run_tests "accuracy" "${SCRIPT_DIR}/run_accuracy_test.sh"
"""

RUNNER = """#!/bin/bash
set -xe
MODEL_NAMES=${MODEL_NAMES:-}
for m in $MODEL_NAMES; do
  python -m pytest -s v1/kv_connector/nixl_integration/test_accuracy.py --model "$m" "$@"
done
"""

FILES = {
    "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh": SWEEP,
    "tests/v1/kv_connector/nixl_integration/run_accuracy_test.sh": RUNNER,
    "tests/v1/kv_connector/nixl_integration/test_accuracy.py": "def test(): pass\n",
}
CALL = "bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"


def run_job(env=None, **kw):
    return interpret(FILES, CALL, env=env or {}, working_dir="tests", **kw)


def test_default_selects_tp_configs_with_provenance():
    out = run_job()
    assert [r.entry.array for r in out.runs] == ["tp_configs", "tp_configs"]
    first = out.runs[0]
    assert first.argv == ("python", "-m", "pytest", "-s", "tests/v1/kv_connector/nixl_integration/test_accuracy.py",
                          "--model", "Qwen/Qwen3-0.6B")
    assert first.entry.location.line == 6
    assert dict(first.env) == {"GPU_MEMORY_UTILIZATION": "0.6", "MODEL_NAMES": "Qwen/Qwen3-0.6B"}
    assert first.cwd == "tests"
    assert first.location.path.endswith("run_accuracy_test.sh") and first.location.line == 5
    assert {"SW_ATTN", "DP_EP", "FLASHINFER"} <= set(out.reads)


def test_sw_attn_selects_gemma_and_records_the_variable():
    out = run_job({"SW_ATTN": "1"})
    assert [r.entry.text for r in out.runs] == ["GPU_MEMORY_UTILIZATION=0.6 MODEL_NAMES=google/gemma-3-4b-it"]
    assert ("SW_ATTN", "1") in out.runs[0].env


def test_hma_rewrite_keeps_the_entry_and_adds_the_flag():
    out = run_job({"ENABLE_HMA_FLAG": "1", "FLASHINFER": "1", "CROSS_LAYERS_BLOCKS": "True"})
    assert all(r.entry.array == "tp_configs" for r in out.runs)
    assert all(("ENABLE_HMA_FLAG", "1") in r.env for r in out.runs)
    assert out.runs[0].argv[-3:] == ("--attention-backend", "FLASHINFER", "--enable-cross-layers")


def test_script_calls_and_definitions():
    out = run_job({"FLASHINFER": "1"})
    paths = [s.path for s in out.scripts]
    assert paths[0] == "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
    assert paths.count("tests/v1/kv_connector/nixl_integration/run_accuracy_test.sh") == 2
    assert ("FLASHINFER", "1") in out.scripts[0].env
    defs = script_definitions(paths[0], Snapshot.from_files("t", FILES), Settings())
    assert [(e.array, e.location.line) for e in defs.entries] == [
        ("tp_configs", 6), ("tp_configs", 7), ("sw_attn_configs", 10), ("dp_configs", 13)]
    assert {"DP_EP", "SW_ATTN", "ENABLE_HMA_FLAG", "FLASHINFER"} <= set(defs.reads)


def test_open_world_names_the_guard_for_gemma():
    out = run_job(open_world=True)
    gemma = [r for r in out.runs if r.entry and "gemma" in r.entry.text]
    assert gemma
    for run in gemma:
        details = [a.detail for a in run.assumptions]
        assert "SW_ATTN is non-empty" in details
        assert "DP_EP is empty" in details
        guard = next(a.condition for a in run.assumptions if a.detail == "SW_ATTN is non-empty")
        assert guard.variables == ("SW_ATTN",) and guard.location.line == 17
        assert guard.text == '[[ -n "${SW_ATTN:-}" ]]'


@pytest.mark.parametrize("env", [{}, {"SW_ATTN": "1"}, {"DP_EP": "1", "ENABLE_HMA_FLAG": "yes"},
                                 {"FLASHINFER": "0", "CROSS_LAYERS_BLOCKS": "True"}, {"ATTENTION_BACKEND": "ROCM_ATTN"}])
def test_agrees_with_bash(env):
    assert_agrees_with_bash(job(CALL, env=env, working_dir="tests"), FILES)


def test_workspace_prefix_paths_agree_with_bash():
    call = "cd /vllm-workspace/tests && SW_ATTN=1 bash /vllm-workspace/tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
    result = assert_agrees_with_bash(job(call), FILES)
    assert sum(result.predicted.values()) == 1
