"""Job and step `if:` per caller and trigger, `needs` (skips and output pass-throughs), and
matrices that are only partly known.  Fixtures written here from scratch."""

from coverage_diff.ci import github_actions
from coverage_diff.ci.gha_expressions import evaluate
from coverage_diff.config import Settings
from coverage_diff.snapshot import Snapshot
from placing import own_unknown

CALLER = """on: [pull_request, push]
jobs:
  quick:
    uses: ./.github/workflows/suite.yml
    with: {gpu: false, flavour: quick}
  full:
    if: github.event_name == 'push'
    uses: ./.github/workflows/suite.yml
    with: {gpu: true, flavour: full}
"""

SUITE = """on:
  workflow_call:
    inputs:
      gpu: {type: boolean, default: false}
      flavour: {type: string}
jobs:
  setup:
    runs-on: ubuntu-latest
    outputs:
      flavour: ${{ inputs.flavour }}
      computed: ${{ steps.pick.outputs.value }}
    steps:
      - run: make setup
  gpu:
    if: inputs.gpu
    needs: setup
    runs-on: gpu
    steps:
      - run: make gpu-${{ needs.setup.outputs.flavour }}
  off:
    if: false
    runs-on: x
    steps:
      - run: make off
  after-off:
    needs: [off]
    runs-on: x
    steps:
      - run: make after-off
  report:
    needs: [off]
    if: always()
    runs-on: x
    steps:
      - run: make report
  cpu:
    needs: setup
    runs-on: x
    steps:
      - if: needs.setup.outputs.flavour == 'full'
        run: make full-only
      - run: make cpu-${{ needs.setup.outputs.computed }}
"""


def jobs(files: dict[str, str]):
    return github_actions.jobs(Snapshot.from_files("t", files), Settings())


def test_job_and_step_conditions_are_evaluated_per_caller_and_event():
    result = jobs({".github/workflows/ci.yml": CALLER, ".github/workflows/suite.yml": SUITE})
    assert result.diagnostics == []
    found = {(j.key.split("/")[0], j.commands[0].text, dict(j.attributes)["events"]) for j in result.jobs}
    assert found == {
        ("quick", "make setup", "pull_request,push"), ("quick", "make report", "pull_request,push"),
        ("quick", "make cpu-${GHA_NEEDS_SETUP_OUTPUTS_COMPUTED}", "pull_request,push"),
        ("full", "make setup", "push"), ("full", "make gpu-full", "push"), ("full", "make report", "push"),
        ("full", "make full-only", "push"), ("full", "make cpu-${GHA_NEEDS_SETUP_OUTPUTS_COMPUTED}", "push"),
    }  # `if: false` and the job needing it never run; `always()` runs anyway; `full` runs on push only


def test_needing_an_unknown_job_is_a_diagnostic():
    workflow = "on: push\njobs:\n  a:\n    needs: [nope]\n    runs-on: x\n    steps:\n      - run: make a\n"
    result = jobs({".github/workflows/w.yml": workflow})
    assert [(d.location.line, "'nope'" in d.message) for d in result.diagnostics] == [(4, True)]


def test_a_job_needing_a_later_job_sees_its_outputs():
    workflow = """on: push
jobs:
  test:
    needs: prepare
    runs-on: x
    steps:
      - run: make ${{ needs.prepare.outputs.target }}
  prepare:
    runs-on: x
    outputs: {target: everything}
    steps:
      - run: make prepare
"""
    result = jobs({".github/workflows/w.yml": workflow})
    assert sorted(j.commands[0].text for j in result.jobs) == ["make everything", "make prepare"]


def test_outputs_of_a_reusable_workflow_are_unknown_to_its_callers_never_empty():
    # The callee's `on.workflow_call.outputs` come from its jobs' steps at run time: a caller's
    # `if:` on them keeps the job (as possible), and a command using one holds an unknown part.
    caller = """on: push
jobs:
  decide:
    uses: ./.github/workflows/decide.yml
  gpu:
    needs: decide
    if: needs.decide.outputs.run-gpu == 'true'
    runs-on: x
    steps:
      - run: make gpu-${{ needs.decide.outputs.flavour }}
"""
    callee = """on:
  workflow_call:
    outputs:
      run-gpu: {value: "${{ jobs.pick.outputs.run-gpu }}"}
      flavour: {value: "${{ jobs.pick.outputs.flavour }}"}
jobs:
  pick:
    runs-on: x
    outputs:
      run-gpu: ${{ steps.p.outputs.run-gpu }}
      flavour: fixed
    steps:
      - id: p
        run: echo "run-gpu=true" >> "$GITHUB_OUTPUT"
"""
    result = jobs({".github/workflows/ci.yml": caller, ".github/workflows/decide.yml": callee})
    (gpu,) = [j for j in result.jobs if j.key.startswith("gpu/")]
    assert gpu.commands[0].text == "make gpu-${GHA_NEEDS_DECIDE_OUTPUTS_FLAVOUR}"  # not `make gpu-`
    assert "GHA_NEEDS_DECIDE_OUTPUTS_FLAVOUR" in gpu.unknown_env
    assert "assumed true: needs.decide.outputs.run-gpu is known only at run time" in dict(gpu.attributes)["if"]


PARTIAL = """on: pull_request
jobs:
  shards:
    strategy:
      matrix: ${{ fromJSON(vars.MISSING || '{include:[{config:"default",shard:1,runner:"big"},{config:"slow",shard:2,runner:"big",},]}') }}
    runs-on: ${{ matrix.runner }}
    steps:
      - run: TEST_CONFIG=${{ matrix.config }} SHARD=${{ matrix.shard }} bash ci/test.sh
  partly:
    strategy:
      matrix:
        os: ${{ fromJSON(secrets.OSES) }}
        python: ["3.10", "3.12"]
        include:
          - {python: "3.12", runner: "${{ secrets.RUNNER }}"}
    runs-on: ${{ matrix.runner }}
    steps:
      - run: make test PY=${{ matrix.python }}
"""


def test_a_partly_unknown_matrix_keeps_every_known_field():
    result = jobs({".github/workflows/w.yml": PARTIAL})
    assert result.diagnostics == []
    shards = [j for j in result.jobs if j.key.startswith("shards")]
    assert [j.commands[0].text for j in shards] == ["TEST_CONFIG=default SHARD=1 bash ci/test.sh",
                                                    "TEST_CONFIG=slow SHARD=2 bash ci/test.sh"]
    assert {j.platform for j in shards} == {"big"}
    partly = [j for j in result.jobs if j.key.startswith("partly")]
    assert [j.commands[0].text for j in partly] == ["make test PY=3.10", "make test PY=3.12"]
    assert [dict(j.matrix).get("runner") for j in partly] == [None, "<secrets.RUNNER>"]
    assert [dict(j.matrix)["os"] for j in partly] == ["<secrets.OSES>"] * 2
    assert [i.reason.split(",")[0] for i in result.incomplete] == ["matrix key os depends on secrets.OSES"]


def test_fromjson_reads_json_as_leniently_as_github():
    text = "{ include: [ { config: 'a', n: 1, on: true }, // a comment\n { config: \"b\", n: 2.5, }, ] }"
    assert evaluate("fromJSON(x)", {"x": text}) == {"include": [{"config": "a", "n": 1, "on": True},
                                                                 {"config": "b", "n": 2.5}]}


def test_the_event_name_is_known_in_a_job_only_when_every_event_it_runs_for_agrees():
    step = "    runs-on: x\n    env: {EVENT: '${{ github.event_name }}'}\n    steps:\n      - run: bash ci/x.sh\n"
    both = jobs({".github/workflows/w.yml": "on: [pull_request, push]\njobs:\n  a:\n" + step})
    push_only = jobs({".github/workflows/w.yml": "on: [pull_request, push]\njobs:\n  a:\n    if: github.event_name == 'push'\n" + step})
    assert [(dict(j.env).get("EVENT"), own_unknown(j)) for j in both.jobs] == [(None, ("EVENT",))]
    assert [(dict(j.env).get("EVENT"), own_unknown(j)) for j in push_only.jobs] == [("push", ())]
