"""Generated vLLM-shaped repositories for the benchmarks.

The tree follows vLLM's generated-pipeline layout: `.buildkite/ci_config.yaml`
names `.buildkite/test_areas`, each test-area file holds a group of steps, and
half of the steps call a sweep script with env prefixes.  A sweep script has
config arrays chosen by an `if/elif` chain on env-var guards, a backend chain,
and a loop that hands each entry to the area's runner script, which calls
pytest.  The other steps call pytest directly.

History is written with one `git fast-import` (hundreds of commits in well
under a second of git time); each commit makes one or two small edits of the
kinds real PRs make: a timeout, a new or removed entry, an entry moved to
another array, a renamed guard, a new step, a test file touched.

    python benchmarks/generate.py .bench/vllm --scale 1 --commits 300

Tags: `base` is the first commit, `head` the last, `prev` the one before `head`.
The layout is pure data (`Tree`), so tests can ask it how many runs CI makes.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

GUARD_POOL = (
    "DP_EP", "HYBRID_SSM", "SW_ATTN", "SPEC_DECODE", "MULTIMODAL", "LORA", "QUANT_FP8", "PIPELINE_PP",
    "EXPERT_PARALLEL", "PREFIX_CACHING", "CHUNKED_PREFILL", "ASYNC_SCHED",
)
BACKENDS = (("ROCM_ATTN", "ROCM_ATTN"), ("FLASHINFER", "FLASHINFER"))
MODELS = ("Qwen/Qwen3-0.6B", "google/gemma-3-4b-it", "deepseek-ai/deepseek-vl2-tiny", "ibm-granite/granite-4.0-h-tiny", "meta-llama/Llama-3.2-1B")
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class Shape:
    """How big a generated repository is.  `scale` multiplies areas and sweeps."""

    areas: int = 60
    steps_per_area: int = 10
    sweeps_per_area: int = 2
    arrays: int = 4
    entries: int = 8
    tests_per_area: int = 4
    commits: int = 300

    def scaled(self, factor: int) -> "Shape":
        return Shape(self.areas * factor, self.steps_per_area, self.sweeps_per_area, self.arrays, self.entries, self.tests_per_area, self.commits)


# ----------------------------------------------------------------------------- the tree as data
@dataclass
class Sweep:
    path: str  # repository path
    runner: str  # repository path of the script each entry is handed to
    guards: list[str]  # guards[i] selects arrays[i + 1]; arrays[0] is the `else`
    arrays: list[list[str]]
    names: list[str]  # array names


@dataclass
class Step:
    label: str
    key: str
    commands: list[str]
    timeout: int
    sweep: int | None = None  # index into Tree.sweeps when the step calls one
    prefix: tuple[tuple[str, str], ...] = ()  # env prefix on the sweep call


@dataclass
class Area:
    name: str
    steps: list[Step]
    tests: list[str]  # repository paths of its test files


@dataclass
class Tree:
    areas: list[Area] = field(default_factory=list)
    sweeps: list[Sweep] = field(default_factory=list)
    filler: dict[str, str] = field(default_factory=dict)  # files CI never reads
    test_revisions: dict[str, int] = field(default_factory=dict)  # how often a test file was edited

    # -- what CI runs, by the generator's own account --------------------------
    def expected_runs(self) -> int:
        """Leaf test invocations: one per direct pytest step, and for a sweep step
        the import check plus one per entry of the array its prefix selects."""
        total = 0
        for area in self.areas:
            for step in area.steps:
                if step.sweep is None:
                    total += 1
                else:
                    total += 1 + len(self.selected(step))
        return total

    def selected(self, step: Step) -> list[str]:
        sweep = self.sweeps[step.sweep]
        set_names = {name for name, value in step.prefix if value}
        for index, guard in enumerate(sweep.guards):
            if guard in set_names:
                return sweep.arrays[index + 1]
        return sweep.arrays[0]

    # -- rendering -------------------------------------------------------------
    def files(self) -> dict[str, str]:
        out = {".buildkite/ci_config.yaml": CI_CONFIG, "requirements/test.txt": "pytest\nlm-eval\n"}
        for area in self.areas:
            out[f".buildkite/test_areas/{area.name}.yaml"] = render_area(area, self)
            out[f"tests/{area.name}/run_accuracy_test.sh"] = render_runner(area)
            out[f"tests/{area.name}/test_accuracy.py"] = render_test(f"tests/{area.name}/test_accuracy.py", 0)  # what the runner runs
            for test in area.tests:
                out[test] = render_test(test, self.test_revisions.get(test, 0))
        for sweep in self.sweeps:
            out[sweep.path] = render_sweep(sweep)
        out.update(self.filler)
        return out


CI_CONFIG = """\
# Pipeline generator configuration (shape of vLLM's ci_config.yaml).
name: vllm_ci
job_dirs:
  - .buildkite/test_areas
"""


def build_tree(shape: Shape, rng: random.Random) -> Tree:
    tree = Tree()
    for a in range(shape.areas):
        name = f"area_{a:03d}"
        first_sweep = len(tree.sweeps)
        for s in range(shape.sweeps_per_area):
            tree.sweeps.append(new_sweep(name, first_sweep + s, shape, rng))
        tests = [f"tests/{name}/test_{t}.py" for t in range(shape.tests_per_area)]
        steps = []
        calls = [0] * shape.sweeps_per_area
        for k in range(shape.steps_per_area):
            if k % 2 == 0:
                s = (k // 2) % shape.sweeps_per_area
                steps.append(sweep_step(tree.sweeps[first_sweep + s], first_sweep + s, name, k, calls[s], rng))
                calls[s] += 1
            else:
                steps.append(direct_step(name, k, rng.choice(tests)))
        tree.areas.append(Area(name, steps, tests))
        tree.filler[f"vllm/{name}/__init__.py"] = f'"""Model code exercised by {name}."""\n' + FILLER_BODY
    return tree


def new_sweep(area: str, index: int, shape: Shape, rng: random.Random) -> Sweep:
    guards = rng.sample(GUARD_POOL, shape.arrays - 1)
    names = ["tp_configs"] + [f"{g.lower()}_configs" for g in guards]
    arrays = [[new_entry(index, i, j, rng) for j in range(shape.entries)] for i in range(shape.arrays)]
    return Sweep(f"tests/{area}/sweep_{index}.sh", f"tests/{area}/run_accuracy_test.sh", guards, arrays, names)


_serial = iter(range(10**9))


def new_entry(sweep: int, array: int, slot: int, rng: random.Random) -> str:
    model = rng.choice(MODELS).replace("/", f"/s{sweep}a{array}e{slot}n{next(_serial)}-")
    util = rng.choice(("0.6", "0.7", "0.8"))
    tp = rng.choice(("PREFILLER_TP_SIZE=1 DECODER_TP_SIZE=2", "PREFILLER_TP_SIZE=2 DECODER_TP_SIZE=2", "PREFILLER_TP_SIZE=2 DECODER_TP_SIZE=1"))
    return f"GPU_MEMORY_UTILIZATION={util} MODEL_NAMES={model} {tp}"


def sweep_step(sweep: Sweep, sweep_index: int, area: str, k: int, calls: int, rng: random.Random) -> Step:
    """The `calls`-th step calling `sweep`: the first runs the default array, later
    ones set a guard.  The last guard is left unset by every step, as real
    repositories leave a dead array or two."""
    choices = [()] + [((guard, ("1", "True")[i % 2]),) for i, guard in enumerate(sweep.guards[:-1])]
    prefix = choices[calls % len(choices)]
    if rng.random() < 0.3:
        prefix += (rng.choice(BACKENDS)[0], "1"),
    return Step(f"{area} sweep {k} ({len(prefix)} flags)", f"{area.replace('_', '-')}-sweep-{k}", [], rng.choice((20, 30, 45)), sweep_index, prefix)


def direct_step(area: str, k: int, test: str) -> Step:
    relative = test.removeprefix("tests/")
    return Step(f"{area} direct {k}", f"{area.replace('_', '-')}-direct-{k}", [f"pytest -v -s {relative}"], 20)


# ----------------------------------------------------------------------------- rendering
def render_area(area: Area, tree: Tree) -> str:
    lines = [f"group: {area.name.replace('_', ' ').title()}", "depends_on:", "  - image-build", "steps:"]
    for step in area.steps:
        lines += [f"- label: {step.label}", f"  key: {step.key}", f"  timeout_in_minutes: {step.timeout}", "  num_devices: 2"]
        lines += ["  source_file_dependencies:", f"    - vllm/{area.name}/", f"    - tests/{area.name}/", "  commands:"]
        for command in step_commands(step, tree):
            lines.append(f"    - {command}")
    return "\n".join(lines) + "\n"


def step_commands(step: Step, tree: Tree) -> list[str]:
    if step.sweep is None:
        return step.commands
    prefix = "".join(f"{name}={value} " for name, value in step.prefix)
    sweep = tree.sweeps[step.sweep].path.removeprefix("tests/")
    return ["uv pip install --system -r /vllm-workspace/requirements/test.txt", f"{prefix}bash {sweep}"]


def render_sweep(sweep: Sweep) -> str:
    area = sweep.path.split("/")[1]
    out = [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        "",
        "# Sweeps the accuracy test over model / parallelism configurations.",
        f'SCRIPT="{sweep.runner.removeprefix("tests/")}"',
        "",
        f"python3 -m pytest -s -x {area}/test_0.py::test_imports",
        "",
    ]
    for name, entries in zip(sweep.names, sweep.arrays):
        out.append(f"{name}=(")
        out += [f'  "{entry}"' + ("  # long context" if i == 3 else "") for i, entry in enumerate(entries)]
        out.append(")")
    out += ["", "# The first variable that is set picks the sweep."]
    for index, guard in enumerate(sweep.guards):
        keyword = "if" if index == 0 else "elif"
        out += [f'{keyword} [[ -n "${{{guard}:-}}" ]]; then', f'  configs=("${{{sweep.names[index + 1]}[@]}}")']
    out += ["else", f'  configs=("${{{sweep.names[0]}[@]}}")', "fi", ""]
    out += SWEEP_TAIL
    return "\n".join(out) + "\n"


SWEEP_TAIL = """\
run_tests() {
  local label=$1
  local extra_args=$2
  echo "=== ${label} ==="
  for cfg in "${configs[@]}"; do
    local -a cfg_parts extra_args_parts
    read -r -a cfg_parts <<< "$cfg"
    read -r -a extra_args_parts <<< "$extra_args"
    env "${cfg_parts[@]}" bash "${SCRIPT}" "${extra_args_parts[@]}"
  done
}

label="default backend"
cmdline_args=""
if [[ -n "${ROCM_ATTN:-}" ]]; then
  label="ROCM_ATTN backend"
  cmdline_args=" --attention-backend ROCM_ATTN "
elif [[ -n "${FLASHINFER:-}" ]]; then
  label="FLASHINFER backend"
  cmdline_args=" --attention-backend FLASHINFER "
fi

if [[ -n "${CROSS_LAYERS_BLOCKS:-}" ]]; then
  label+=" + cross-layer blocks"
  cmdline_args+=" --enable-cross-layers "
fi

run_tests "${label}" "${cmdline_args}"
""".splitlines()


def render_runner(area: Area) -> str:
    return f"""\
#!/usr/bin/env bash
# Runs the accuracy test for each model in MODEL_NAMES with the given sizes.
set -euo pipefail

MODEL_NAMES=${{MODEL_NAMES:-"Qwen/Qwen3-0.6B"}}
PREFILLER_TP_SIZE=${{PREFILLER_TP_SIZE:-1}}
DECODER_TP_SIZE=${{DECODER_TP_SIZE:-1}}

for model in $MODEL_NAMES; do
  TEST_MODEL=$model python3 -m pytest -s -x {area.name}/test_accuracy.py \\
    --prefiller-tp "$PREFILLER_TP_SIZE" --decoder-tp "$DECODER_TP_SIZE" "$@"
done
"""


def render_test(path: str, revision: int) -> str:
    name = path.rsplit("/", 1)[-1].removesuffix(".py")
    body = "".join(f"\n\ndef {name}_case_{i}():\n    assert sum(range({i + 2})) == {sum(range(i + 2))}\n" for i in range(12))
    return f'"""Tests generated for the benchmarks (revision {revision})."""\n\n\ndef test_imports():\n    import json  # noqa: F401\n' + body


FILLER_BODY = "".join(f"\n\ndef layer_{i}(x):\n    return x * {i} + {i * i}\n" for i in range(30))


# ----------------------------------------------------------------------------- history
def edit(tree: Tree, shape: Shape, rng: random.Random) -> str:
    """One small, realistic change; returns the commit message."""
    kind = rng.choices(
        ("timeout", "add-entry", "remove-entry", "move-entry", "rename-guard", "prefix", "add-step", "test-file", "relabel"),
        weights=(20, 15, 8, 10, 3, 6, 6, 25, 7),
    )[0]
    area = rng.choice(tree.areas)
    sweep = rng.choice(tree.sweeps)
    if kind == "timeout":
        step = rng.choice(area.steps)
        step.timeout = rng.choice((15, 20, 30, 45, 60))
        return f"ci: {step.key} timeout {step.timeout}m"
    if kind == "add-entry":
        array = rng.randrange(shape.arrays)
        sweep.arrays[array].append(new_entry(tree.sweeps.index(sweep), array, len(sweep.arrays[array]), rng))
        return f"tests: new config in {sweep.names[array]} of {sweep.path}"
    if kind == "remove-entry":
        array = max(range(shape.arrays), key=lambda i: len(sweep.arrays[i]))
        sweep.arrays[array].pop(rng.randrange(len(sweep.arrays[array])))
        return f"tests: drop a config from {sweep.names[array]} of {sweep.path}"
    if kind == "move-entry":
        src, dst = rng.sample(range(shape.arrays), 2)
        if sweep.arrays[src]:
            sweep.arrays[dst].append(sweep.arrays[src].pop(rng.randrange(len(sweep.arrays[src]))))
        return f"tests: move a config from {sweep.names[src]} to {sweep.names[dst]} in {sweep.path}"
    if kind == "rename-guard":
        index = rng.randrange(len(sweep.guards))
        unused = [g for g in GUARD_POOL if g not in sweep.guards]
        sweep.guards[index] = rng.choice(unused)
        return f"tests: {sweep.path} selects on {sweep.guards[index]}"
    if kind == "prefix":
        step = rng.choice([s for s in area.steps if s.sweep is not None])
        guards = tree.sweeps[step.sweep].guards
        step.prefix = ((rng.choice(guards[:-1]), "1"),) if rng.random() < 0.7 else ()
        flags = " ".join(f"{n}={v}" for n, v in step.prefix) or "no flags"
        return f"ci: {step.key} runs with {flags}"
    if kind == "add-step":
        k = len(area.steps)
        area.steps.append(direct_step(area.name, k, rng.choice(area.tests)))
        return f"ci: new step {area.steps[-1].key}"
    if kind == "relabel":
        step = rng.choice(area.steps)
        step.label = step.label.split(" [")[0] + f" [{rng.choice(('H100', 'L4', 'A100'))}]"
        return f"ci: relabel {step.key}"
    test = rng.choice(area.tests)
    tree.test_revisions[test] = tree.test_revisions.get(test, 0) + 1
    return f"tests: touch {test}"


def fast_import_stream(tree: Tree, shape: Shape, rng: random.Random) -> bytes:
    """The whole history as one fast-import stream (commit marks 1..N)."""
    out = bytearray()
    previous: dict[str, str] = {}
    for number in range(1, shape.commits + 1):
        message = "initial vLLM-shaped tree" if number == 1 else edit(tree, shape, rng)
        files = tree.files()
        stamp = EPOCH + number * 3600
        out += b"commit refs/heads/main\nmark :%d\n" % number
        out += b"author Bench <bench@example.invalid> %d +0000\ncommitter Bench <bench@example.invalid> %d +0000\n" % (stamp, stamp)
        out += _data(message.encode())
        if number > 1:
            out += b"from :%d\n" % (number - 1)
        for path in sorted(files):
            if previous.get(path) != files[path]:
                mode = b"100755" if path.endswith(".sh") else b"100644"
                out += b"M %s inline %s\n" % (mode, path.encode()) + _data(files[path].encode())
        for path in sorted(set(previous) - set(files)):
            out += b"D %s\n" % path.encode()
        previous = files
    for tag, mark in (("base", 1), ("prev", shape.commits - 1), ("head", shape.commits)):
        out += b"reset refs/tags/%s\nfrom :%d\n\n" % (tag.encode(), max(mark, 1))
    return bytes(out)


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def build(dest: Path, shape: Shape = Shape(), seed: int = 0) -> Tree:
    """Write a repository with `shape.commits` commits to `dest`; returns the head tree."""
    rng = random.Random(seed)
    global _serial
    _serial = iter(range(10**9))  # entry names depend on the seed only
    tree = build_tree(shape, rng)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    run = lambda *args, **kw: subprocess.run(["git", "-C", str(dest), *args], check=True, capture_output=True, env=env, **kw)  # noqa: E731
    run("init", "-q", "-b", "main")
    run("fast-import", "--quiet", input=fast_import_stream(tree, shape, rng))
    run("checkout", "-q", "-f", "main")
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--scale", type=int, default=1, help="multiply areas and sweeps (4 = the large tree)")
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    shape = Shape(commits=args.commits).scaled(args.scale)
    tree = build(args.dest, shape, args.seed)
    print(f"{args.dest}: {len(tree.files())} files, {shape.commits} commits, {tree.expected_runs()} runs at head")
    return 0


if __name__ == "__main__":
    sys.exit(main())
