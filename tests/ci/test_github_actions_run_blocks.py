"""A step's `run:` is one script run by its shell, as the runner writes and starts it.

Each fixture is written here from scratch; the interpreter is run on the jobs the
front-end makes, so the runs (argv, env, file:line) are what is asserted."""

import pytest

from coverage_diff.ci import github_actions
from coverage_diff.config import Settings
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot
from placing import placed

SCRIPT = "#!/bin/bash\nset -e\nif [[ -n \"${FAST_MODE:-}\" ]]; then\n  pytest -k fast \"$1\"\nelse\n  pytest \"$1\"\nfi\n"


def analyse(workflow: str, extra: dict | None = None):
    files = {".github/workflows/w.yml": workflow, "ci/check.sh": SCRIPT, **(extra or {})}
    snapshot = Snapshot.from_files("t", files)
    result = github_actions.jobs(snapshot, Settings())
    outcomes = [interpret_job(job, snapshot, Settings()) for job in result.jobs]
    return result, outcomes


def runs(outcome) -> list[tuple[str, tuple, int]]:
    return [(" ".join(r.argv), tuple(r.env), r.location.line) for r in outcome.runs]


CONTINUED = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |
          FAST_MODE=1 \\
            bash ./ci/check.sh \\
              tests/unit
          for suite in api cli; do
            make "check-$suite"
          done
          version=$(
            git describe --tags
          )
          echo "$version" > VERSION
          if [ -f setup.py ]; then
            pip install -e .
          else
            make none
          fi
"""


def test_continuations_loops_and_substitutions_over_several_lines_are_one_script():
    result, (outcome,) = analyse(CONTINUED)
    assert result.diagnostics == [] and outcome.diagnostics == ()
    assert ("pytest -k fast tests/unit", (("FAST_MODE", "1"),), 4) in runs(outcome)  # the prefix reaches the script
    found = {argv for argv, _, _ in runs(outcome)}
    assert {"make check-api", "make check-cli", "make none"} <= found
    assert not found & {"else", "-k fast", "tests/unit", "done", "fi"}  # no fragment is a command
    lines = {argv: line for argv, _, line in runs(outcome)}
    assert lines["make check-api"] == 11 and lines["make none"] == 20


FOLDED = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: >-
          FAST_MODE=1
          bash ./ci/check.sh
          tests/folded
"""


def test_a_folded_block_is_one_command_line_whose_pieces_keep_their_lines():
    result, (outcome,) = analyse(FOLDED)
    assert [placed(c) for c in result.jobs[0].commands] == [
        [("FAST_MODE=1", 7), ("bash ./ci/check.sh", 8), ("tests/folded", 9)]]
    assert runs(outcome) == [("pytest -k fast tests/folded", (("FAST_MODE", "1"),), 4)]


INDENTED = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |2
             echo indented
            make all
      - name: expression rows
        run: |
          make ${{ matrix.missing }} start
          ${{ env.CMDS }}
          make after
    env:
      CMDS: "make one\\nmake two"
"""


def test_indentation_indicators_and_expressions_that_add_rows_keep_lines_exact():
    result, outcomes = analyse(INDENTED)
    first, second = result.jobs
    assert first.commands[0].text == "   echo indented\n  make all\n"  # two past the key's column
    assert placed(first.commands[0]) == [("echo indented", 7), ("make all", 8)]
    lines = {argv: line for argv, _, line in runs(outcomes[1])}
    assert lines == {"make start": 11, "make one": 12, "make two": 12, "make after": 13}


SHELLS = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - {{name: default, run: "false\\nmake after"}}
      - {{name: bash, shell: bash, run: "false\\nmake after"}}
      - {{name: plain bash, shell: "bash {{0}}", run: "false\\nmake after"}}
      - {{name: sh, shell: sh, run: "false\\nmake after"}}
      - {{name: custom, shell: "{custom}", run: "false\\nmake after"}}
"""


@pytest.mark.parametrize("custom, reached", [
    ("bash -x {0}", True),
    ("bash -ex {0}", False),
    ("bash -l -o errexit {0}", False),
    ("C:\\\\msys64\\\\usr\\\\bin\\\\bash.exe -e {0}", False),
    ("xvfb-run -a bash {0}", True),
    ("/bin/sh -e {0}", False),
])
def test_each_shell_stops_at_a_failure_as_its_flags_say(custom, reached):
    result, outcomes = analyse(SHELLS.format(custom=custom))
    assert result.incomplete == [] and result.diagnostics == []
    after = ["make after" in [argv for argv, _, _ in runs(o)] for o in outcomes]
    assert after == [False, False, True, False, reached]  # bash -e, bash -eo pipefail, bash, sh -e, custom


NOT_BASH = """on: pull_request
jobs:
  linux:
    runs-on: ubuntu-latest
    steps:
      - {shell: pwsh, run: "Write-Host hi"}
      - {shell: powershell, run: "dir"}
      - {shell: cmd, run: "dir"}
      - {shell: python, run: "print(1)"}
      - {shell: "perl {0}", run: "print 1"}
      - {shell: "node", run: "x"}
      - run: make linux
  windows:
    runs-on: windows-latest
    steps:
      - run: Get-ChildItem
      - {shell: bash, run: make windows-bash}
"""


def test_steps_not_run_by_bash_are_incomplete_never_parsed_as_bash():
    result, outcomes = analyse(NOT_BASH)
    assert [(j.key, j.commands[0].text) for j in result.jobs] == [("linux/6", "make linux"), ("windows/1", "make windows-bash")]
    reasons = sorted((i.location.line, i.reason) for i in result.incomplete)
    assert reasons == [
        (6, "runs under pwsh, not bash: not analysed"),
        (7, "runs under powershell, not bash: not analysed"),
        (8, "runs under cmd, not bash: not analysed"),
        (9, "runs under python, not bash: not analysed"),
        (10, "runs under 'perl {0}', not a POSIX shell: not analysed"),
        (16, "runs under pwsh (the Windows default shell), not bash: not analysed"),
    ]
    assert [(d.location.line, d.message) for d in result.diagnostics] == [
        (11, "shell 'node' is neither a built-in shell nor a command with {0}")]


def test_defaults_run_shell_applies_to_every_step():
    workflow = ("on: pull_request\njobs:\n  t:\n    runs-on: ubuntu-latest\n    defaults:\n      run:\n        shell: pwsh\n"
                "    steps:\n      - run: Write-Host a\n      - {shell: bash, run: make b}\n")
    result, _ = analyse(workflow)
    assert [j.commands[0].text for j in result.jobs] == ["make b"]
    assert [i.location.line for i in result.incomplete] == [9]


WRAPPED = """on: pull_request
jobs:
  unit:
    name: unit tests
    uses: pytorch/test-infra/.github/workflows/linux_job_v2.yml@main
    strategy:
      matrix:
        flavour: [fast, full]
    with:
      runner: linux.4xlarge
      script: |
        set -x
        FAST_MODE=${{ matrix.flavour == 'fast' && '1' || '' }} \\
          bash ./ci/check.sh tests/${{ matrix.flavour }}
  elsewhere:
    uses: example/other/.github/workflows/run.yml@v1
    with:
      script: make elsewhere
"""


def test_a_known_outside_job_template_runs_its_script_input_as_the_jobs_bash_script():
    result, outcomes = analyse(WRAPPED)
    assert [(j.key, dict(j.matrix)["flavour"], j.platform, j.location.line) for j in result.jobs] == [
        ("unit", "fast", "linux.4xlarge", 11), ("unit", "full", "linux.4xlarge", 11)]
    assert [placed(c) for c in result.jobs[0].commands] == [
        [("set -x", 12), ("FAST_MODE=1 \\", 13), ("bash ./ci/check.sh tests/fast", 14)]]
    assert [runs(o) for o in outcomes] == [[("pytest -k fast tests/fast", (("FAST_MODE", "1"),), 4)],
                                           [("pytest tests/full", (("FAST_MODE", ""),), 6)]]
    assert [i.reason for i in result.incomplete] == [
        "reusable workflow example/other/.github/workflows/run.yml@v1 lives outside the repository: not analysed"]


TEMPLATE_ENV = """on: pull_request
jobs:
  gpu:
    uses: pytorch/test-infra/.github/workflows/linux_job_v2.yml@main
    secrets: inherit
    with:
      runner: linux.gpu
      secrets-env: hub-token OTHER
      script: bash ./ci/gpu.sh
"""
GPU_SCRIPT = """set -euo pipefail
TOKEN="$(printf '%s' "${SECRET_HUB_TOKEN}" | tr -d ' ')"
export TOKEN
if [[ -n "${SECRET_UNLISTED:-}" ]]; then pytest tests/private; fi
pytest tests/gpu --junitxml="${RUNNER_TEST_RESULTS_DIR}/gpu.xml"
"""


def test_a_job_templates_script_sees_the_secrets_it_names_and_the_templates_directories():
    # Under `set -u` an unset SECRET_HUB_TOKEN would stop the script before its test: the template
    # exports every secret named in `secrets-env`, and its result directories, with values unknown here.
    result, (outcome,) = analyse(TEMPLATE_ENV, {"ci/gpu.sh": GPU_SCRIPT})
    (job,) = result.jobs
    assert {"SECRET_HUB_TOKEN", "SECRET_OTHER", "RUNNER_TEST_RESULTS_DIR"} <= set(job.unknown_env)
    assert "SECRET_UNLISTED" not in job.unknown_env
    assert [" ".join(r.argv[:2]) for r in outcome.runs if r.argv[0] == "pytest"] == ["pytest tests/gpu"]


RUNNER_PATHS = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - shell: bash
        run: |
          set -u
          echo "started=1" >> "$GITHUB_OUTPUT"
          bash "${GITHUB_WORKSPACE}/ci/check.sh" tests/unit
          docker run --rm -e FAST_MODE=1 -v "${GITHUB_WORKSPACE}:/work/src" -w /work/src/ci "$IMAGE" \\
            bash -c 'bash ./check.sh tests/in-container'
"""


def test_the_runners_paths_are_set_and_a_mounted_checkout_is_the_repository_in_a_container():
    # Under `set -u` an unset GITHUB_WORKSPACE or GITHUB_OUTPUT would end the step at once.
    result, (outcome,) = analyse(RUNNER_PATHS.replace("$IMAGE", "ubuntu:24.04"))
    assert "GITHUB_OUTPUT" in result.jobs[0].unknown_env
    assert "GITHUB_WORKSPACE" in dict(result.jobs[0].attributes)["env-from-run"]
    assert [" ".join(r.argv) for r in outcome.runs] == ["pytest tests/unit", "pytest -k fast tests/in-container"]


MOUNTS = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |
          docker run --rm -v "${GITHUB_WORKSPACE}:/src" -v "$HOME/.cache:/root/.cache" -w /tmp "$IMAGE" \\
            bash -c 'bash /src/ci/check.sh /src/tests/unit && pytest /root/.cache/tests/x'
          docker run --rm --volume="${GITHUB_WORKSPACE}:/work/repo:ro" "$IMAGE" bash /work/repo/ci/check.sh tests/b
          pytest /src/tests/outside
"""


def test_every_mount_of_the_checkout_is_the_repository_inside_the_container():
    # Not only the `-w` directory: any path under a mount point of the workspace is a repository path
    # (the script is followed, not missing); other mounts and paths outside the container stay as written.
    result, (outcome,) = analyse(MOUNTS.replace("$IMAGE", "ubuntu:24.04"), {"tests/unit/test_a.py": "", "tests/outside/test_b.py": ""})
    assert [" ".join(r.argv) for r in outcome.runs] == [
        "pytest tests/unit", "pytest /root/.cache/tests/x", "pytest tests/b", "pytest /src/tests/outside"]
    assert not outcome.missing_scripts


RUNTIME_DIRS = """on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |
          bash ./ci/make-scratch.sh
          python3 -m venv ./scratch/mnt/venv
          source ./scratch/mnt/venv/bin/activate
          bash ./scratch/mnt/generated.sh
          python3 -m venv .env
          . .env/bin/activate
          bash ./ci/gone.sh
"""


def test_scripts_under_a_directory_made_at_run_time_are_not_missing_repository_scripts():
    _, (outcome,) = analyse(RUNTIME_DIRS, {"ci/make-scratch.sh": "mkdir -p ci/scratch-data scratch/mnt\n",
                                           "scratch/README": "a repository directory\n"})
    assert [path for _, path in outcome.missing_scripts] == ["ci/gone.sh"]  # ci/ is a repository directory, .env/ not
    assert {i.location.line for i in outcome.incomplete if "made at run time" in i.reason} == {9, 10, 12}


def test_the_runners_default_variables_are_set_to_values_known_only_at_run_time():
    workflow = ('on: pull_request\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n'
                '      - run: if [ "$RUNNER_OS" = macOS ]; then make mac; else make other; fi\n')
    _, (outcome,) = analyse(workflow)
    assert sorted(argv for argv, _, _ in runs(outcome)) == ["make mac", "make other"]
