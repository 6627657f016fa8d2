"""A generated PyTorch-scale GitHub Actions tree, and the cold inventory of it timed.

The tree has the shapes that make large GitHub Actions repositories costly to read, written
here from scratch: per-area workflows whose jobs call PyTorch's outside job template with a
`script:` input over a model x backend matrix, a local reusable workflow fed a JSON flow
list (`fromJSON(inputs.flows)` matrix, typed inputs, per-event callers), plain jobs of
several `run:` steps with backslash continuations and an OS matrix, `needs` outputs and
step `if:`.  Every script job ends in repository scripts: a model dispatcher with a
`case` per model and backend, config arrays, a sourced helper and pytest.  The helper has the
shapes that multiplied paths on ExecuTorch: a `retry` of `"$@" || (reset && "$@") || (...)`, a
macOS-only library clean-up (a loop with `continue`, a polling `while`, locals) and
`[[ "$(uname)" == ... ]] && x` statements.

    python benchmarks/gha_tree.py                    # build under .bench/gha, time 3 cold runs
    python benchmarks/gha_tree.py --areas 10 --repeat 1

Prints the step-jobs made, wall seconds, CPU seconds (user + system of the tool and every
process it waited for: its forked workers and git) and peak RSS of each run, with the
machine's load average before each run (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("resnet", "vit", "llama", "whisper")
BACKENDS = ("portable", "xnnpack", "vulkan")
FLOWS = ("fp32", "int8", "fp16")


def area_workflow(area: str) -> str:
    models = json.dumps(list(MODELS))
    backends = json.dumps(list(BACKENDS))
    flows = json.dumps([{"flow": f, "runner": "linux.2xlarge"} for f in FLOWS])
    return f"""name: {area}
on:
  pull_request:
    paths: ["{area}/**", ".ci/scripts/**"]
  push:
    branches: [main]
    tags: ["ciflow/{area}/*"]
  schedule:
    - cron: "0 3 * * *"
jobs:
  decide:
    runs-on: ubuntu-latest
    outputs:
      suite: ${{{{ github.event_name == 'schedule' && 'full' || 'quick' }}}}
    steps:
      - run: echo "deciding for {area}"
  models:
    needs: decide
    uses: pytorch/test-infra/.github/workflows/linux_job_v2.yml@main
    strategy:
      matrix:
        model: {models}
        backend: {backends}
    with:
      runner: linux.4xlarge
      secrets-env: HUB_TOKEN
      script: |
        set -eux
        BUILD_TOOL=cmake \\
          SUITE=${{{{ needs.decide.outputs.suite }}}} \\
          bash .ci/scripts/test_model.sh "${{{{ matrix.model }}}}" "${{{{ matrix.backend }}}}" {area}
  unit:
    runs-on: ${{{{ matrix.os }}}}
    strategy:
      matrix:
        os: [ubuntu-22.04, macos-14]
    steps:
      - uses: actions/checkout@v4
      - name: Set up
        run: |
          python -m pip install -r requirements-dev.txt
          echo "AREA={area}" >> "$GITHUB_ENV"
      - name: Build
        run: |
          cmake -S . -B cmake-out \\
            -DAREA={area} \\
            -DCMAKE_BUILD_TYPE=Release
          cmake --build cmake-out -j4
      - name: Unit tests
        run: |
          for part in core ops; do
            python -m pytest {area}/tests/test_$part.py -q
          done
      - name: macOS extras
        if: runner.os == 'macOS' || startsWith(matrix.os, 'macos')
        run: bash .ci/scripts/run_extras.sh {area}
  flows:
    uses: ./.github/workflows/_flows.yml
    with:
      area: {area}
      flows: '{flows}'
      nightly: ${{{{ github.event_name == 'schedule' }}}}
"""


FLOWS_WORKFLOW = """name: flows
on:
  workflow_call:
    inputs:
      area: {type: string, required: true}
      flows: {type: string, required: true}
      nightly: {type: boolean, default: false}
jobs:
  test:
    runs-on: ${{ matrix.runner }}
    strategy:
      matrix:
        include: ${{ fromJSON(inputs.flows) }}
    env:
      FLOW: ${{ matrix.flow }}
    steps:
      - uses: actions/checkout@v4
      - name: Flow tests
        env:
          NIGHTLY: ${{ inputs.nightly }}
        run: |
          bash .ci/scripts/test_flow.sh "${{ inputs.area }}" "$FLOW"
      - name: Nightly extras
        if: inputs.nightly
        run: bash .ci/scripts/test_flow.sh "${{ inputs.area }}" "$FLOW" --slow
"""

TEST_MODEL = """#!/bin/bash
set -euo pipefail
MODEL="$1"
BACKEND="$2"
AREA="$3"
TOKEN="$(printf '%s' "${SECRET_HUB_TOKEN}" | tr -d ' ')"
source .ci/scripts/utils.sh
quick_configs=("dtype=fp32 threads=1" "dtype=fp32 threads=4")
full_configs=("dtype=fp32 threads=1" "dtype=fp16 threads=4" "dtype=int8 threads=8")
if [[ "${SUITE:-quick}" == "full" ]]; then
  configs=("${full_configs[@]}")
else
  configs=("${quick_configs[@]}")
fi
case "$BACKEND" in
  portable) flags="--portable" ;;
  xnnpack) flags="--delegate xnnpack" ;;
  vulkan)
    if [[ -n "${VULKAN_SDK:-}" ]]; then flags="--delegate vulkan"; else flags="--delegate vulkan --swiftshader"; fi
    ;;
  *) echo "unknown backend $BACKEND"; exit 1 ;;
esac
case "$MODEL" in
  llama|whisper) export_args="--max-seq-len 128" ;;
  *) export_args="" ;;
esac
retry build_runner "$BUILD_TOOL"
tidy_libs
for cfg in "${configs[@]}"; do
  retry env $cfg python -m "$AREA.export" --model "$MODEL" $export_args $flags
  [[ "$(uname)" == "Darwin" ]] && echo "on macOS: $cfg"
  env $cfg python -m pytest "$AREA/tests/test_models.py" -k "$MODEL"
done
"""

UTILS = """reset_build() {
  buck2 kill && buck2 clean
  rm -rf "$HOME/.buck/cache"
}

retry() {
  "$@" || (sleep 30 && reset_build && "$@") || (sleep 60 && reset_build && "$@")
}

# Drop duplicate rpaths from the libraries a wheel installed (macOS only)
tidy_libs() {
  if [[ "$(uname)" != "Darwin" ]]; then
    return
  fi
  local lib_dir
  lib_dir="$(python -c 'import sys; print(sys.prefix)')/lib"
  local lib
  for lib in libcore.dylib libops.dylib libio.dylib; do
    local lib_path="$lib_dir/$lib"
    if [[ ! -f "$lib_path" ]]; then
      continue
    fi
    local dropped=0
    while install_name_tool -delete_rpath @loader_path "$lib_path" 2>/dev/null; do
      dropped=1
    done
    if [[ "$dropped" == "1" ]]; then
      install_name_tool -add_rpath @loader_path "$lib_path" || true
    fi
  done
}

build_runner() {
  local tool="$1"
  if [[ "$tool" == "cmake" ]]; then
    cmake -S . -B cmake-out -DEXECUTOR_RUNNER=ON
    cmake --build cmake-out -j"$(nproc)"
  elif [[ "$tool" == "buck2" ]]; then
    buck2 build //runner:runner
  else
    echo "unknown build tool $tool" >&2
    return 1
  fi
}
"""

TEST_FLOW = """#!/bin/bash
set -eu
AREA="$1"
FLOW="$2"
shift 2
for suite in models operators; do
  python -m pytest "$AREA/tests/test_$suite.py" --flow "$FLOW" "$@"
done
"""

EXTRAS = """#!/bin/bash
set -e
if [[ "$(uname)" == "Darwin" ]]; then
  python -m pytest "$1/tests/test_core.py" -k mps
fi
"""


def files(areas: int) -> dict[str, str]:
    out = {".github/workflows/_flows.yml": FLOWS_WORKFLOW, ".ci/scripts/test_model.sh": TEST_MODEL,
           ".ci/scripts/utils.sh": UTILS, ".ci/scripts/test_flow.sh": TEST_FLOW, ".ci/scripts/run_extras.sh": EXTRAS,
           "requirements-dev.txt": "pytest\n"}
    for i in range(areas):
        area = f"area{i:02d}"
        out[f".github/workflows/{area}.yml"] = area_workflow(area)
        for name in ("test_core.py", "test_ops.py", "test_models.py", "test_operators.py"):
            out[f"{area}/tests/{name}"] = f"def test_{area}():\n    assert True\n"
        out[f"{area}/export.py"] = "print('export')\n"
    return out


def build(dest: Path, areas: int) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for path, text in files(areas).items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", "-C", str(dest), *args], check=True, env=env)


def tool() -> list[str]:
    script = Path(sys.executable).parent / "coverage-diff"
    return [str(script)] if script.exists() else [sys.executable, "-m", "coverage_diff.cli"]


def cold_inventory(repo: Path) -> dict:
    """One cold `inventory --format json`: wall, CPU of the process tree, peak RSS, jobs."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen([*tool(), "inventory", "HEAD", "--repo", str(repo), "--no-cache", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit("coverage-diff inventory failed")
    report = json.loads(out)
    return {"jobs": len(report.get("jobs", [])), "wall": round(wall, 2), "cpu": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_mb": usage.ru_maxrss // 1024, "load": round(load, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--areas", type=int, default=20, help="area workflows (20 make 600 step-jobs)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dest", type=Path, default=HERE.parent / ".bench" / "gha")
    args = parser.parse_args(argv)
    build(args.dest, args.areas)
    for _ in range(args.repeat):
        print(json.dumps(cold_inventory(args.dest)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
