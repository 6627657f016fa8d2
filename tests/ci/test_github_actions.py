"""GitHub Actions front-end: jobs, env, shells, tiers, reusable workflows, composite actions."""

from pathlib import Path

import pytest

from coverage_diff.ci import github_actions
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot
from placing import own_unknown
from placing import placed

DATA = Path(__file__).parent / "data"


def tree(name: str) -> Snapshot:
    root = DATA / name
    return Snapshot.from_files(name, {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()})


def run(files: dict[str, str]):
    return github_actions.jobs(Snapshot.from_files("t", files), Settings())


def one(text: str, path: str = ".github/workflows/w.yml"):
    result = run({path: text})
    return result


# -- PyTorch-style reusable workflow ------------------------------------------------

def test_pytorch_reusable_workflow_expands_the_json_test_matrix():
    result = github_actions.jobs(tree("gha_pytorch"), Settings())
    assert result.diagnostics == []
    assert [dict(j.env)["TEST_CONFIG"] for j in result.jobs] == ["default", "default", "distributed"]
    job = result.jobs[2]
    assert job.file == ".github/workflows/pull.yml"  # the workflow that triggers it
    assert job.key == "linux-jammy-py3_10-gcc11-test/test/test"
    assert job.label == "linux-jammy-py3.10-gcc11 / test / Test"
    assert job.location.path == ".github/workflows/_linux-test.yml" and job.location.line == 43
    assert [placed(c) for c in job.commands] == [[("set -x", 44), ("bash .ci/pytorch/test.sh", 45)]]  # one script
    env = dict(job.env)
    assert env["BUILD_ENVIRONMENT"] == "linux-jammy-py3.10-gcc11"
    assert env["DOCKER_IMAGE"] == "pytorch-linux-jammy-py3.10-gcc11"  # the callee's default
    assert env["SHARD_NUMBER"] == "1" and env["NUM_TEST_SHARDS"] == "1"
    assert "CALLER_ONLY" not in env  # a caller's workflow env is not inherited
    assert own_unknown(job) == ("GIT_DEFAULT_BRANCH",)
    assert job.platform == "linux.g4dn.12xlarge.nvidia.gpu"
    assert dict(job.matrix)["config"] == "distributed"
    assert job.tier == Tier.EVERY_PR
    assert ("workflow", ".github/workflows/_linux-test.yml") in job.attributes


def test_callee_with_only_workflow_call_makes_no_jobs_of_its_own():
    snapshot = tree("gha_pytorch")
    files = {p: snapshot.text(p) for p in snapshot.files if "pull.yml" not in p}
    assert github_actions.jobs(Snapshot.from_files("t", files), Settings()).jobs == []


def test_dropping_the_distributed_entry_drops_its_job():
    snapshot = tree("gha_pytorch")
    files = {p: snapshot.text(p) for p in snapshot.files}
    pull = files[".github/workflows/pull.yml"]
    files[".github/workflows/pull.yml"] = "\n".join(l for l in pull.split("\n") if '"distributed"' not in l).replace(
        '"linux.2xlarge" },\n        ]', '"linux.2xlarge" }\n        ]')
    files[".github/workflows/pull.yml"] = files[".github/workflows/pull.yml"].replace(
        '"shard": 2, "num_shards": 2, "runner": "linux.2xlarge" },', '"shard": 2, "num_shards": 2, "runner": "linux.2xlarge" }')
    result = github_actions.jobs(Snapshot.from_files("t", files), Settings())
    assert result.diagnostics == []
    assert [dict(j.env)["TEST_CONFIG"] for j in result.jobs] == ["default", "default"]


# -- llama.cpp-style job ----------------------------------------------------------------

def test_llama_cpp_job_passes_the_prefix_assignment_through():
    result = github_actions.jobs(tree("gha_llama"), Settings())
    (job,) = result.jobs
    assert job.key == "ggml-ci-x64-nvidia-cuda/ggml-ci"
    assert [c.text for c in job.commands] == ["nvidia-smi\nGG_BUILD_CUDA=1 bash ./ci/run.sh ./tmp/results ./tmp/mnt\n"]
    assert job.platform == "self-hosted,Linux,X64,NVIDIA"
    # pull_request with `paths:` is the most frequent trigger; push to master is rarer
    assert job.tier == Tier.PATH_FILTERED
    assert "**/*.cu" in job.source_file_dependencies
    assert job.errexit is True


# -- composite actions -------------------------------------------------------------------

def test_composite_action_steps_get_inputs_and_the_callers_env():
    result = github_actions.jobs(tree("gha_composite"), Settings())
    assert [dict(j.env)["SUITE"] for j in result.jobs] == ["core", "slow"]
    job = result.jobs[0]
    assert job.key == "suites/1/0"
    assert job.location.path == ".github/actions/setup-and-test/action.yml" and job.location.line == 16
    assert [placed(c) for c in job.commands] == [[("bash ci/dispatch.sh --verbose", 17)]]
    assert dict(job.env)["LEVEL"] == "job" and dict(job.env)["FROM_CALLER"] == "yes"
    assert [i.reason for i in result.incomplete] == ["runs under python, not bash: not analysed"] * 2


def test_missing_local_action_is_a_diagnostic():
    result = one("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/nope\n      - run: make\n")
    assert [(d.location.line, "not found" in d.message) for d in result.diagnostics] == [(6, True)]
    assert [j.commands[0].text for j in result.jobs] == ["make"]


# -- env, shells, working directories ------------------------------------------------------

ENV_WORKFLOW = """
on: pull_request
env:
  A: workflow
  B: workflow
defaults:
  run:
    working-directory: ./src
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      B: job
      C: job
      T: ${{ secrets.TOKEN }}
    steps:
      - run: echo "SUITE=core" >> "$GITHUB_ENV"
      - env:
          C: step
          D: ${{ env.B }}-derived
          N: 3
        run: pytest
      - working-directory: tests/unit
        run: pytest .
"""


def test_env_precedence_workflow_job_step_and_github_env():
    result = one(ENV_WORKFLOW)
    first, second, third = result.jobs
    assert dict(second.env) == {"A": "workflow", "B": "job", "C": "step", "SUITE": "core", "D": "job-derived", "N": "3",
                                "GITHUB_WORKSPACE": "/vllm-workspace"}  # the checkout: the interpreter's root
    assert own_unknown(second) == ("T",)
    assert "SUITE" not in dict(first.env)  # only later steps see $GITHUB_ENV writes
    assert (second.working_dir, third.working_dir) == ("src", "tests/unit")


@pytest.mark.parametrize("shell, errexit", [
    (None, True), ("bash", True), ("sh", True), ("bash {0}", False), ("bash -eo pipefail {0}", True),
    ("bash -x {0}", False), ("/bin/bash --noprofile --norc -e {0}", True),
])
def test_shells_and_errexit(shell, errexit):
    step = f"      - shell: {shell}\n        run: make\n" if shell else "      - run: make\n"
    (job,) = one("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" + step).jobs
    assert job.errexit is errexit


@pytest.mark.parametrize("where", ["step", "defaults", "windows"])
def test_non_posix_shells_make_no_job_but_an_incomplete(where):
    steps = {"step": "    steps:\n      - shell: pwsh\n        run: Get-ChildItem\n",
             "defaults": "    defaults:\n      run:\n        shell: python\n    steps:\n      - run: print(1)\n",
             "windows": "    steps:\n      - run: dir\n"}[where]
    runner = "windows-latest" if where == "windows" else "ubuntu-latest"
    result = one(f"on: push\njobs:\n  a:\n    runs-on: {runner}\n" + steps)
    assert result.jobs == [] and len(result.incomplete) == 1


# -- triggers and if: ---------------------------------------------------------------------------

@pytest.mark.parametrize("on, tier", [
    ("pull_request", Tier.EVERY_PR),
    ("[push, pull_request]", Tier.EVERY_PR),
    ("\n  pull_request:\n    paths: ['src/**']", Tier.PATH_FILTERED),
    ("\n  pull_request_target:\n    paths-ignore: ['docs/**']", Tier.PATH_FILTERED),
    ("\n  push:\n    branches: [main]", Tier.MAIN),
    ("\n  push:\n    tags: ['v*']", Tier.OPTIONAL),
    ("\n  schedule:\n    - cron: '0 3 * * *'", Tier.NIGHTLY),
    ("workflow_dispatch", Tier.OPTIONAL),
    ("\n  schedule:\n    - cron: '0 3 * * *'\n  workflow_dispatch:", Tier.NIGHTLY),
])
def test_trigger_tiers(on, tier):
    (job,) = one(f"on: {on}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n").jobs
    assert job.tier == tier


def test_job_and_step_if_are_evaluated_per_event():
    result = one("""
on: [pull_request, schedule]
jobs:
  nightly:
    if: github.event_name == 'schedule'
    runs-on: x
    steps:
      - run: make nightly
  never:
    if: ${{ false }}
    runs-on: x
    steps:
      - run: make never
  pr:
    runs-on: x
    steps:
      - if: failure()
        run: make report
      - if: github.ref == 'refs/heads/main'
        run: make maybe
""")
    assert [(j.key, j.tier) for j in result.jobs] == [("nightly/0", Tier.NIGHTLY), ("pr/1", Tier.EVERY_PR)]
    assert any(k == "if" and "github.ref" in v for k, v in result.jobs[1].attributes)


def test_workflow_dispatch_input_defaults_feed_expressions():
    (job,) = one("""
on:
  workflow_dispatch:
    inputs:
      suite:
        default: distributed
      debug:
        type: boolean
        default: false
jobs:
  a:
    runs-on: x
    steps:
      - if: ${{ !inputs.debug }}
        env:
          SUITE: ${{ inputs.suite }}
        run: make
""").jobs
    assert dict(job.env)["SUITE"] == "distributed"


def test_unknown_expressions_in_run_become_unknown_variables():
    (job,) = one("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: ./deploy ${{ secrets.KEY }} ${{ github.sha }}\n").jobs
    assert job.commands[0].text == "./deploy ${GHA_SECRETS_KEY} ${GHA_GITHUB_SHA}"
    assert own_unknown(job) == ("GHA_SECRETS_KEY", "GHA_GITHUB_SHA")


def test_run_lines_keep_their_file_lines():
    (job,) = one("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - name: multi\n        run: |\n          one\n\n          two\n").jobs
    assert [placed(c) for c in job.commands] == [[("one", 8), ("two", 10)]]
    assert job.location.line == 7 and job.label == "a / multi"


# -- broken input -----------------------------------------------------------------------------------

def test_broken_inputs_give_diagnostics_and_the_rest_still_runs():
    result = run({
        ".github/workflows/bad.yml": "on: push\njobs:\n  a: [1, 2]\n  b:\n    runs-on: x\n    steps:\n      run: make\n"
                                     "  c:\n    runs-on: x\n    env: [A]\n    steps:\n      - run: 42\n      - run: ok ${{ matrix.( }}\n"
                                     "      - run: fine\n",
        ".github/workflows/invalid.yml": "on: push\njobs: [\n",
        ".github/workflows/good.yml": "on: push\njobs:\n  g:\n    runs-on: x\n    steps:\n      - run: make good\n",
    })
    found = sorted((d.location.path.rsplit("/", 1)[-1], d.location.line) for d in result.diagnostics)
    assert found == [("bad.yml", 3), ("bad.yml", 6), ("bad.yml", 10), ("bad.yml", 12), ("bad.yml", 13), ("invalid.yml", 3)]
    assert sorted(j.commands[0].text for j in result.jobs) == ["fine", "make good", "ok ${{ matrix.( }}"]


def test_missing_reusable_workflow_and_remote_ones():
    result = one("on: push\njobs:\n  a:\n    uses: ./.github/workflows/nope.yml\n  b:\n    uses: octo/repo/.github/workflows/x.yml@v1\n")
    assert [d.location.line for d in result.diagnostics] == [4]
    assert [i.location.line for i in result.incomplete] == [6]


def test_owns_lists_workflow_files():
    snapshot = Snapshot.from_files("t", {".github/workflows/a.yml": "", ".github/workflows/b.yaml": "", ".github/other.yml": ""})
    assert github_actions.owns(snapshot, Settings()) == [".github/workflows/a.yml", ".github/workflows/b.yaml"]
