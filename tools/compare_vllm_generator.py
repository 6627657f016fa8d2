#!/usr/bin/env python3
"""Compare coverage-diff's reading of vLLM's Buildkite tree with vLLM's own pipeline generator.

The generator (vllm-project/ci-infra, `buildkite/pipeline_generator`) is the oracle:
for each scenario below it is run offline on a scratch copy of the vLLM revision's
`.buildkite/` tree, its pipeline is read back, and every command step is compared
with `coverage-diff inventory --format json` of the same revision: key, commands
(after the generator's rewrites and Buildkite's upload interpolation), env, working
directory, parallelism, soft_fail, and whether the step runs automatically in that
scenario (the tier).

Usage (not part of `make test`: the generator is fetched by hand):

    python3 -m venv /work/real/gen-venv
    /work/real/gen-venv/bin/pip install CI_INFRA/buildkite/pipeline_generator
    python tools/compare_vllm_generator.py --generator CI_INFRA --python /work/real/gen-venv/bin/python \\
        --vllm /path/to/vllm/git --rev 827a2af80

The generator never reaches the network: its PR-label lookup and ECR login are
replaced by stubs, and sockets refuse to connect.  Exit status 0 when every scenario
agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Scenario:
    name: str
    config: str  # ci_config file, relative to the tree
    branch: str  # BUILDKITE_BRANCH
    changed: tuple[str, ...]  # files the change touches
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[str, ...] = ()
    commit: bool = False  # main: the change is the last commit (HEAD~1 diff)

    @property
    def pull_request(self) -> str:
        return "false" if self.branch == "main" else "12345"


SCENARIOS = (
    Scenario("nightly", ".buildkite/ci_config.yaml", "main", ("zz_unrelated/file.txt",), (("NIGHTLY", "1"),), commit=True),
    Scenario("run-all", ".buildkite/ci_config.yaml", "feature", ("zz_unrelated/file.txt",), (("RUN_ALL", "1"),)),
    Scenario("run-all-label", ".buildkite/ci_config.yaml", "feature", ("zz_unrelated/file.txt",),
             labels=("ready-run-all-tests",)),
    Scenario("pr-one-directory", ".buildkite/ci_config.yaml", "feature", ("vllm/distributed/parallel_state.py",)),
    Scenario("pr-test-area-file", ".buildkite/ci_config.yaml", "feature", ("@test-area",)),
    Scenario("pr-csrc", ".buildkite/ci_config.yaml", "feature", ("csrc/ops.h",)),
    Scenario("pr-rocm-base", ".buildkite/ci_config.yaml", "feature", ("docker/Dockerfile.rocm_base",)),
    Scenario("main-push", ".buildkite/ci_config.yaml", "main", ("vllm/distributed/parallel_state.py",), commit=True),
    Scenario("intel", ".buildkite/ci_config_intel.yaml", "feature", ("vllm/platforms/xpu.py",)),
)

# The AMD pipeline: ci-infra's bootstrap-amd.sh renders test-amd.yaml through test-template-amd.j2
# (minijinja); here jinja2 in the generator's venv, with minijinja's `split` and `items` filters.
@dataclass(frozen=True)
class AmdScenario:
    name: str
    branch: str
    changed: tuple[str, ...]
    run_all: str = "0"
    nightly: str = "0"


AMD_SCENARIOS = (
    AmdScenario("amd-pr-one-directory", "feature", ("vllm/distributed/parallel_state.py",)),
    AmdScenario("amd-pr-kernels", "feature", ("vllm/attention/a.py", "tests/kernels/x.py")),
    AmdScenario("amd-run-all", "feature", ("zz_unrelated/file.txt",), run_all="1"),
    AmdScenario("amd-nightly", "main", ("zz_unrelated/file.txt",), nightly="1"),
)

AMD_RENDERER = r'''
import json, sys
import jinja2, yaml
template_path, data_path, variables = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
env = jinja2.Environment(undefined=jinja2.Undefined, extensions=["jinja2.ext.do"])
env.filters["split"] = lambda value, sep=None: str(value).split(sep)
env.filters["items"] = lambda value: list(value.items())
context = dict(yaml.safe_load(open(data_path)) or {})
context.update(variables)
text = env.from_string(open(template_path).read()).render(**context)
sys.stdout.write("\n".join(line for line in text.splitlines() if line.strip()) + "\n")
'''


def run_amd_template(scenario: AmdScenario, generator: Path, python: str, tree: Path) -> dict:
    template = (generator / "buildkite" / "test-template-amd.j2") if (generator / "buildkite").is_dir() else generator.parent / "test-template-amd.j2"
    variables = {"branch": scenario.branch, "list_file_diff": "\n".join(scenario.changed), "run_all": scenario.run_all,
                 "nightly": scenario.nightly, "torch_nightly": "0", "mirror_hw": "amdproduction", "fail_fast": "false",
                 "rocm_base_refresh_skip": "0", "rocm_base_refresh_force": "0"}
    proc = subprocess.run([python, "-c", AMD_RENDERER, str(template), str(tree / ".buildkite/test-amd.yaml"), json.dumps(variables)],
                          text=True, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"template failed for {scenario.name}:\n{proc.stderr[-3000:]}")
    return yaml.safe_load(proc.stdout)


AMD_PREFIX = re.compile(r'''^\(command rocm-smi \|\| true\) && echo (["'])ROCm debug agent.*?\1 && cd (\S+) && ''')


def amd_template_steps(pipeline: dict, branch: str) -> dict[str, "GenStep"]:
    """The rendered AMD pipeline's command steps by label (they have no key)."""
    steps = {}
    flat = []
    for group in pipeline if isinstance(pipeline, list) else pipeline.get("steps", []):
        flat += group.get("steps", [group]) if isinstance(group, dict) else []
    for step in flat:
        if "block" in step or "label" not in step or step.get("key", "").endswith("-amd"):
            continue
        env = {k: upload(str(v), branch) for k, v in (step.get("env") or {}).items()}
        chain = env.get("VLLM_TEST_COMMANDS")
        if chain is not None:
            match = AMD_PREFIX.match(chain)
            wd = match.group(2) if match else ""
            commands = [chain[match.end():] if match else chain]
            env = {}
        else:
            commands, wd = [upload(str(step.get("command") or ""), branch)], "/vllm-workspace/tests"
        deps = step.get("depends_on")
        deps = [deps] if isinstance(deps, str) else deps or []
        steps[step["label"]] = GenStep(key=step["label"], label=step["label"], auto=not any(d.startswith("block-") for d in deps),
                                       commands=commands, working_dir=_repo_path(wd), env=env,
                                       parallelism=int(step.get("parallelism") or 1), soft_fail=bool(step.get("soft_fail")))
    return steps


def amd_predicted(inventory: dict) -> dict[str, "CdStep"]:
    out: dict[str, CdStep] = {}
    for job in inventory["jobs"]:
        if job["system"] != "buildkite" or not job["path"].endswith("test-amd.yaml"):
            continue
        if job.get("matrix", {}).get("BUILDKITE_PARALLEL_JOB", "0") != "0":
            out[job["label"]].parallelism += 1
            continue
        env = {k: v for k, v in job["env"].items() if not k.startswith("BUILDKITE_PARALLEL_JOB")}
        out[job["label"]] = CdStep(job["label"], job["label"], job["tier"], [" && ".join(job["commands"])], job["working_dir"], env, 1,
                                   job["soft_fail"], job["source_file_dependencies"], {k: v for k, v in job.get("attributes", [])})
    return out


def amd_auto(step: "CdStep", scenario: AmdScenario) -> bool:
    """The template's decision from coverage-diff's tier and dependencies (raw string prefixes)."""
    if step.tier == "every-pr":
        return True
    if step.tier == "nightly":
        return scenario.nightly == "1"
    if step.tier == "main":
        return scenario.nightly == "1" or scenario.branch == "main"
    if scenario.run_all == "1" or scenario.nightly == "1":
        return True
    native = ".buildkite/scripts/hardware_ci/run-amd-test.sh"
    return any(f.startswith(d) or (d == native and f == d) for d in step.deps for f in scenario.changed if d != native) or \
        (native in step.deps and native in scenario.changed)


# --------------------------------------------------------------------------- the generator, offline
RUNNER = r'''
import json, os, socket, sys
gen_dir, config, out, labels = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

def _offline(*args, **kwargs):
    raise OSError("compare_vllm_generator: network access is disabled")

socket.socket.connect = _offline
socket.create_connection = _offline
socket.getaddrinfo = _offline
sys.path.insert(0, gen_dir)
import global_config, buildkite_step
from utils_lib import git_utils, docker_utils

def pr_labels(pull_request, repo_name):
    return list(labels) if pull_request and pull_request != "false" else []

def ecr_cache():  # the login and `docker manifest` probes, as if no cache image exists yet
    cfg = global_config.get_global_config()
    test, post = ("936637512419.dkr.ecr.us-east-1.amazonaws.com/vllm-ci-test-cache",
                  "936637512419.dkr.ecr.us-east-1.amazonaws.com/vllm-ci-postmerge-cache")
    if cfg["pull_request"] and cfg["pull_request"] != "false":
        return post + ":latest", test + ":pr-" + cfg["pull_request"]
    return post + ":latest", post + ":latest"

git_utils.get_pr_labels = global_config.get_pr_labels = pr_labels
docker_utils.get_ecr_cache_registry = buildkite_step.get_ecr_cache_registry = ecr_cache
import pipeline_generator
pipeline_generator.PipelineGenerator(config, out).generate()
'''


def _git(cwd: Path, *args: str, capture: bool = False) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], check=True, text=True,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    return result.stdout if capture else ""


def _scratch_tree(vllm: Path, rev: str, where: Path) -> Path:
    """The revision's `.buildkite/` as a one-commit git repository (the generator reads only that
    and `git diff`)."""
    tree = where / "tree"
    tree.mkdir()
    # (a partial clone may miss blobs elsewhere in the tree; git says so on stderr and still writes these)
    archive = subprocess.run(["git", "-C", str(vllm), "archive", rev, ".buildkite"], check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    _git(tree, "init", "-q", "-b", "main")
    _git(tree, "-c", "user.email=c@d", "-c", "user.name=compare", "add", ".")
    _git(tree, "-c", "user.email=c@d", "-c", "user.name=compare", "commit", "-q", "-m", "base")
    return tree


def _test_area_file(tree: Path) -> str:
    return sorted(str(p.relative_to(tree)) for p in (tree / ".buildkite/test_areas").glob("*.yaml"))[0]


def run_generator(scenario: Scenario, generator: Path, python: str, tree: Path, work: Path) -> dict | None:
    """The generator's pipeline for a scenario (None when it generates none)."""
    base = _git(tree, "rev-parse", "HEAD", capture=True).strip()
    _git(tree, "reset", "-q", "--hard", base)
    _git(tree, "clean", "-q", "-fdx")
    for name in scenario.changed:
        path = tree / (_test_area_file(tree) if name == "@test-area" else name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write("\n# touched by compare_vllm_generator\n")
    if scenario.commit:
        _git(tree, "-c", "user.email=c@d", "-c", "user.name=compare", "add", ".")
        _git(tree, "-c", "user.email=c@d", "-c", "user.name=compare", "commit", "-q", "-m", "change")
    out = work / f"{scenario.name}.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUILDKITE", "NIGHTLY", "RUN_ALL", "TORCH_NIGHTLY", "NOAUTO",
                                                                      "VLLM_CI_", "CONTINUE_ON_FAILURE", "SKIP_TIMEOUT", "DOCS_ONLY"))}
    env.update(BUILDKITE_BRANCH=scenario.branch, BUILDKITE_COMMIT="0123456789abcdef0123456789abcdef01234567",
               BUILDKITE_PULL_REQUEST=scenario.pull_request, MERGE_BASE_COMMIT=base, **dict(scenario.env))
    gen_dir = generator / "buildkite" / "pipeline_generator" if (generator / "buildkite").is_dir() else generator
    proc = subprocess.run([python, "-c", RUNNER, str(gen_dir), scenario.config, str(out), json.dumps(scenario.labels)],
                          cwd=tree, env=env, text=True, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"generator failed for {scenario.name}:\n{proc.stderr[-3000:]}")
    if not out.exists():
        return None
    return yaml.safe_load(out.read_text())


# --------------------------------------------------------------------------- reading its output
SETUP_PREFIXES = ('echo "--- ', "echo '--- ", "(command nvidia-smi", "(command amd-smi", "export CUDA_ENABLE_COREDUMP_ON_EXCEPTION",
                  'echo "+++ :test_tube: Command', "echo '+++ :test_tube: Command", "CI_INFRA_OTEL_READY=0;",
                  'echo "ROCm debug agent', "if test -f /opt/rocm/lib/librocm-debug-agent")
GENERATED_ENV = frozenset("BUILDKITE_ARTIFACT_UPLOAD_SKIP_SYMLINKS VLLM_TEST_COMMANDS AMD_CI_RUNTIME NATIVE_CI PYTORCH_ROCM_ARCH "
                          "DOCKER_BUILDKIT DOCKER_IMAGE_NAME HF_HOME HF_HUB_DOWNLOAD_TIMEOUT HF_HUB_ETAG_TIMEOUT "
                          "ROCM_BASE_REFRESH_SKIP ROCM_BASE_REFRESH_FORCE".split())
AMD_SETUP = re.compile(r'(?:echo "(?:---|\+\+\+|ROCm debug agent)[^"]*"|\(command amd-smi \|\| true\)|export VLLM_TEST_GROUP_NAME=\S+)(?: && |$)')
AMD_TEST_COMMAND = "bash .buildkite/scripts/hardware_ci/run-amd-test.sh"
# Variables the uploading (bootstrap) job has: Buildkite interpolates them at upload.  coverage-diff
# keeps the non-branch ones as the runtime variable (same value), so do we here.
UPLOAD_KEPT = frozenset("BUILDKITE_COMMIT BUILDKITE_BUILD_ID BUILDKITE_BUILD_NUMBER BUILDKITE_PULL_REQUEST "
                        "BUILDKITE_PULL_REQUEST_BASE_BRANCH BUILDKITE_BUILD_URL BUILDKITE_PIPELINE_SLUG".split())
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def upload(text: str, branch: str) -> str:
    """`buildkite-agent pipeline upload`'s interpolation, with the bootstrap job's environment."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        if name == "BUILDKITE_BRANCH":
            return branch
        if name in UPLOAD_KEPT:
            return match.group(0)
        return match.group(2) or ""

    return _VAR.sub(replace, text)


def _unwrap_otel(command: str) -> str:
    lines = command.split("\n")
    if lines[0].startswith('if [ "$${CI_INFRA_OTEL_READY') and len(lines) >= 5:
        return "\n".join(lines[1:-3])
    return command


@dataclass
class GenStep:
    key: str
    label: str
    auto: bool
    commands: list[str]
    working_dir: str
    env: dict
    parallelism: int
    soft_fail: bool


def generated_steps(pipeline: dict | None, branch: str) -> dict[str, GenStep]:
    steps: dict[str, GenStep] = {}
    blocks: set[str] = set()
    flat = []
    for group in (pipeline or {}).get("steps", []):
        flat += group.get("steps", [group]) if isinstance(group, dict) else []
    blocks = {s["key"] for s in flat if "block" in s}
    for step in flat:
        if "block" in step or step.get("key") == "pre-commit":
            continue
        env = {k: upload(str(v), branch) for k, v in (step.get("env") or {}).items()}
        commands = list(step.get("commands") or [])
        wrapped = commands == [AMD_TEST_COMMAND] and "VLLM_TEST_COMMANDS" in env
        if wrapped:  # AMD: one `&&` chain in VLLM_TEST_COMMANDS; strip the setup links
            chain = AMD_SETUP.sub("", env["VLLM_TEST_COMMANDS"])
            wd = ""
            if chain.startswith("cd "):
                wd, _, chain = chain[3:].partition(" && ")
            commands = [chain]
        else:
            commands = [upload(_unwrap_otel(c), branch) for c in commands]
            wd = commands[0][3:] if commands and commands[0].startswith("cd ") else ""
            commands = [c for c in commands[1 if wd else 0:] if not c.startswith(SETUP_PREFIXES)]
        steps[step["key"]] = GenStep(
            key=step["key"], label=step["label"], auto=not any(d in blocks for d in step.get("depends_on") or []),
            commands=[c for c in commands if c], working_dir=_repo_path(wd), env={k: v for k, v in env.items() if not wrapped or (k not in GENERATED_ENV and not k.startswith("VLLM_CI_"))},
            parallelism=int(step.get("parallelism") or 1), soft_fail=bool(step.get("soft_fail")),
        )
    return steps


def _repo_path(wd: str) -> str:
    wd = wd.strip()
    if wd == "/vllm-workspace" or wd == ".":
        return ""
    return wd.removeprefix("/vllm-workspace/").rstrip("/")


# --------------------------------------------------------------------------- coverage-diff's side
@dataclass
class CdStep:
    key: str
    label: str
    tier: str
    commands: list[str]
    working_dir: str
    env: dict
    parallelism: int
    soft_fail: bool
    deps: list[str]
    attributes: dict = field(default_factory=dict)


def predicted_steps(inventory: dict, config_path: str, tree: Path, branch: str) -> dict[str, CdStep]:
    """coverage-diff's Buildkite jobs read from the config's job dirs, one per generator step
    (shards folded into a parallelism count, the branch sample chosen)."""
    config = yaml.safe_load((tree / config_path).read_text())
    dirs = [d.rstrip("/") + "/" for d in config["job_dirs"]]
    out: dict[str, CdStep] = {}
    for job in inventory["jobs"]:
        if job["system"] != "buildkite" or not any(job["path"].startswith(d) for d in dirs):
            continue
        matrix = job.get("matrix") or {}
        if "BUILDKITE_BRANCH" in matrix and matrix["BUILDKITE_BRANCH"] != ("main" if branch == "main" else "feature"):
            continue
        if matrix.get("BUILDKITE_PARALLEL_JOB", "0") != "0":
            out[job["key"]].parallelism += 1
            continue
        env = {k: v for k, v in job["env"].items() if not k.startswith("BUILDKITE_PARALLEL_JOB")}
        commands = list(job["commands"])
        for name, value in job.get("attributes", []):  # a wrapper call coverage-diff reads through: as written
            if name == "wrapper_call":
                index, _, text = value.partition("\t")
                commands[int(index)] = text
        out[job["key"]] = CdStep(job["key"], job["label"], job["tier"], commands, job["working_dir"], env, 1,
                                 job["soft_fail"], job["source_file_dependencies"],
                                 {k: v for k, v in job.get("attributes", [])})
    return out


def _dep_matches(dep: str, path: str) -> bool:
    dep = dep.rstrip("/")
    return bool(dep) and (path == dep or path.startswith(dep + "/"))


def predicted_auto(step: CdStep, scenario: Scenario, changed: list[str], config: dict) -> bool:
    """Whether the step runs without a person, from coverage-diff's tier and dependencies."""
    env = dict(scenario.env)
    nightly = env.get("NIGHTLY") == "1" or "ready-run-all-tests" in scenario.labels
    run_all = nightly or env.get("RUN_ALL") == "1" or any(
        any(re.match(p, f) for p in config.get("run_all_patterns") or []) and
        not any(re.match(p, f) for p in config.get("run_all_exclude_patterns") or []) for f in changed)
    forced = step.attributes.get("forced-by-change")
    if forced and forced in changed:  # overrides `optional` too
        return True
    if step.tier == "every-pr":
        return True
    if step.tier == "nightly" or (step.tier == "optional" and "optional" not in step.attributes):
        return nightly
    if step.tier == "optional":
        return False
    if nightly or step.tier == "run-all" and run_all:
        return True
    if step.tier == "run-all":
        return False
    includes = [d for d in step.deps if not d.startswith("!")]
    excludes = [d[1:] for d in step.deps if d.startswith("!")]
    hit = any(any(_dep_matches(i, f) for i in includes) and not any(_dep_matches(e, f) for e in excludes) for f in changed)
    return run_all or hit


# --------------------------------------------------------------------------- comparing
FIELDS = ("commands", "working_dir", "env", "parallelism", "soft_fail", "auto")


def compare(scenario, generated: dict[str, GenStep], predicted: dict[str, CdStep], changed: list[str], config: dict,
            auto=None) -> dict:
    rows = []
    for key in sorted(set(generated) | set(predicted)):
        gen, cd = generated.get(key), predicted.get(key)
        if gen is None or cd is None:
            rows.append({"key": key, "field": "presence", "generator": gen is not None, "coverage_diff": cd is not None})
            continue
        mine = {"commands": cd.commands, "working_dir": cd.working_dir, "env": cd.env, "parallelism": cd.parallelism,
                "soft_fail": cd.soft_fail, "auto": auto(cd) if auto else predicted_auto(cd, scenario, changed, config)}
        theirs = {"commands": gen.commands, "working_dir": gen.working_dir, "env": gen.env, "parallelism": gen.parallelism,
                  "soft_fail": gen.soft_fail, "auto": gen.auto}
        for name in FIELDS:
            if mine[name] != theirs[name]:
                rows.append({"key": key, "field": name, "generator": theirs[name], "coverage_diff": mine[name]})
    steps = len(set(generated) | set(predicted))
    bad = {r["key"] for r in rows}
    return {"scenario": scenario.name, "steps": steps, "agree": steps - len(bad),
            "auto": sum(1 for g in generated.values() if g.auto), "differences": rows}


def _print(result: dict, show: int) -> None:
    print(f"{result['scenario']:20} {result['agree']}/{result['steps']} steps agree ({result['auto']} run automatically)")
    for row in result["differences"][:show]:
        print(f"    {row['key']}: {row['field']}: generator {json.dumps(row['generator'])[:300]} / coverage-diff {json.dumps(row['coverage_diff'])[:300]}")
    if len(result["differences"]) > show:
        print(f"    ... {len(result['differences']) - show} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generator", required=True, type=Path, help="ci-infra checkout (or its buildkite/pipeline_generator)")
    parser.add_argument("--python", required=True, help="python of a venv where the generator is installed")
    parser.add_argument("--vllm", required=True, type=Path, help="vLLM git repository")
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--coverage-diff", default=str(Path(sys.executable).parent / "coverage-diff"))
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    parser.add_argument("--json", type=Path, help="write every difference here")
    parser.add_argument("--show", type=int, default=5, help="differences printed per scenario")
    args = parser.parse_args(argv)
    inventory = json.loads(subprocess.run([args.coverage_diff, "inventory", args.rev, "--format", "json", "--repo", str(args.vllm)],
                                          check=True, text=True, capture_output=True).stdout)
    results = []
    with tempfile.TemporaryDirectory(prefix="compare-vllm-") as tmp:
        work = Path(tmp)
        tree = _scratch_tree(args.vllm, args.rev, work)
        for scenario in SCENARIOS:
            if args.scenario and scenario.name not in args.scenario:
                continue
            config = yaml.safe_load((tree / scenario.config).read_text())
            changed = [_test_area_file(tree) if c == "@test-area" else c for c in scenario.changed]
            pipeline = run_generator(scenario, args.generator, args.python, tree, work)
            sample = scenario.branch
            result = compare(scenario, generated_steps(pipeline, sample), predicted_steps(inventory, scenario.config, tree, scenario.branch),
                             changed, config)
            results.append(result)
            _print(result, args.show)
        for amd in AMD_SCENARIOS:
            if args.scenario and amd.name not in args.scenario or not (tree / ".buildkite/test-amd.yaml").exists():
                continue
            rendered = run_amd_template(amd, args.generator, args.python, tree)
            result = compare(amd, amd_template_steps(rendered, amd.branch), amd_predicted(inventory), list(amd.changed), {},
                             auto=lambda step, amd=amd: amd_auto(step, amd))
            results.append(result)
            _print(result, args.show)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if all(not r["differences"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
