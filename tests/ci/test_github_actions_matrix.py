"""Matrix expansion against every example of GitHub's matrix documentation
("Running variations of jobs in a workflow"): our own workflows, the documented
combinations as expected values."""

import pytest

from coverage_diff.ci import github_actions
from coverage_diff.ci.gha_matrix import MatrixError, expand
from coverage_diff.config import Settings
from coverage_diff.snapshot import Snapshot
from placing import own_unknown


def combos(yaml_matrix: str) -> list[dict]:
    from coverage_diff.ci.yamlload import load

    return expand(load(yaml_matrix, "m.yml"))


def test_single_dimension_three_jobs():
    assert combos("version: [10, 12, 14]") == [{"version": 10}, {"version": 12}, {"version": 14}]


def test_multi_dimension_in_documented_order():
    # The first variable is the outermost loop.
    assert combos("version: [10, 12, 14]\nos: [ubuntu-latest, windows-latest]") == [
        {"version": 10, "os": "ubuntu-latest"}, {"version": 10, "os": "windows-latest"},
        {"version": 12, "os": "ubuntu-latest"}, {"version": 12, "os": "windows-latest"},
        {"version": 14, "os": "ubuntu-latest"}, {"version": 14, "os": "windows-latest"},
    ]
    assert len(combos("os: [ubuntu-22.04, ubuntu-20.04]\nversion: [10, 12, 14]")) == 6


def test_object_values_make_four_jobs():
    result = combos("os: [ubuntu-latest, macos-latest]\nnode:\n  - version: 14\n  - version: 20\n    env: NODE_OPTIONS=--openssl-legacy-provider")
    assert len(result) == 4
    assert result[1] == {"os": "ubuntu-latest", "node": {"version": 20, "env": "NODE_OPTIONS=--openssl-legacy-provider"}}


def test_include_fruit_animal_example():
    result = combos("""
fruit: [apple, pear]
animal: [cat, dog]
include:
  - color: green
  - color: pink
    animal: cat
  - fruit: apple
    shape: circle
  - fruit: banana
  - fruit: banana
    animal: cat
""")
    assert result == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_include_perl_example_seven_jobs():
    result = combos("""
os: [ubuntu-latest]
perl: ['5.16', '5.20', '5.26', '5.30', latest]
include:
  - os: macos-latest
    perl: '5.26'
  - os: macos-latest
    perl: latest
""")
    assert len(result) == 7
    assert [c for c in result if c["os"] == "macos-latest"] == [{"os": "macos-latest", "perl": "5.26"}, {"os": "macos-latest", "perl": "latest"}]


def test_expanding_configurations_adds_npm_to_one_job():
    result = combos("""
os: [windows-latest, ubuntu-latest]
node: [12, 14, 16]
include:
  - os: windows-latest
    node: 16
    npm: 6
""")
    assert len(result) == 6
    assert [c for c in result if "npm" in c] == [{"os": "windows-latest", "node": 16, "npm": 6}]


def test_adding_configurations_makes_ten_jobs():
    result = combos("""
os: [macos-latest, windows-latest, ubuntu-latest]
version: [12, 14, 16]
include:
  - os: windows-latest
    version: 17
""")
    assert len(result) == 10
    assert result[-1] == {"os": "windows-latest", "version": 17}


def test_include_only_matrix_runs_each_entry():
    result = combos("""
include:
  - site: "production"
    datacenter: "site-a"
  - site: "staging"
    datacenter: "site-b"
""")
    assert result == [{"site": "production", "datacenter": "site-a"}, {"site": "staging", "datacenter": "site-b"}]


def test_exclude_partial_match_leaves_nine_jobs():
    result = combos("""
os: [macos-latest, windows-latest]
version: [12, 14, 16]
environment: [staging, production]
exclude:
  - os: macos-latest
    version: 12
    environment: production
  - os: windows-latest
    version: 16
""")
    assert len(result) == 9
    assert {"os": "macos-latest", "version": 12, "environment": "production"} not in result
    assert not [c for c in result if c["os"] == "windows-latest" and c["version"] == 16]


def test_include_runs_after_exclude_and_can_add_back():
    result = combos("a: [1, 2]\nexclude:\n  - a: 2\ninclude:\n  - a: 2\n    extra: x")
    assert result == [{"a": 1}, {"a": 2, "extra": "x"}]


def test_fail_fast_example_four_jobs():
    result = combos("version: [6, 7, 8]\nexperimental: [false]\ninclude:\n  - version: 9\n    experimental: true")
    assert result == [{"version": 6, "experimental": False}, {"version": 7, "experimental": False},
                      {"version": 8, "experimental": False}, {"version": 9, "experimental": True}]


def test_empty_vector_is_an_error():
    with pytest.raises(MatrixError) as info:
        combos("os: []")
    assert info.value.key == "os"


def workflow_jobs(text: str):
    snapshot = Snapshot.from_files("t", {".github/workflows/w.yml": text})
    return github_actions.jobs(snapshot, Settings())


def test_matrix_from_json_literal_expands():
    result = workflow_jobs("""
on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    strategy:
      matrix: ${{ fromJSON('{"color":["green","blue"]}') }}
    steps:
      - run: echo ${{ matrix.color }}
""")
    assert [j.matrix for j in result.jobs] == [(("color", "green"),), (("color", "blue"),)]
    assert [j.commands[0].text for j in result.jobs] == ["echo green", "echo blue"]


@pytest.mark.parametrize("expression", [
    "${{ fromJSON(needs.define-matrix.outputs.colors) }}",
    "${{ github.event.client_payload.versions }}",
])
def test_matrix_known_only_at_run_time_is_incomplete_not_empty(expression):
    result = workflow_jobs(f"""
on: [push, repository_dispatch]
jobs:
  t:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        color: {expression}
    steps:
      - env:
          COLOR: ${{{{ matrix.color }}}}
        run: bash test.sh
""")
    assert len(result.jobs) == 1  # the job still runs, one job standing for the unknown dimension's values
    assert own_unknown(result.jobs[0]) == ("COLOR",)
    assert [k for k, _ in result.jobs[0].matrix] == ["color"] and result.jobs[0].matrix[0][1].startswith("<")
    assert len(result.incomplete) == 1 and result.incomplete[0].location.line == 8


def test_exclude_in_a_workflow_drops_those_jobs():
    result = workflow_jobs("""
on: pull_request
jobs:
  t:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [linux, mac]
        suite: [core, distributed]
        exclude:
          - os: mac
            suite: distributed
    steps:
      - run: make test
""")
    assert [dict(j.matrix) for j in result.jobs] == [
        {"os": "linux", "suite": "core"}, {"os": "linux", "suite": "distributed"}, {"os": "mac", "suite": "core"}]
    assert [j.platform for j in result.jobs] == ["linux", "linux", "mac"]
