"""The Buildkite front-end: vLLM test-area files and plain pipelines -> Jobs."""

from coverage_diff.ci import buildkite
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot

CI_CONFIG = ("name: vllm_ci\njob_dirs:\n  - .buildkite/test_areas\nregistries: registry.example\n"
             "repositories:\n  main: post\n  premerge: pre\n")


def jobs_of(files: dict[str, str]):
    result = buildkite.jobs(Snapshot.from_files("t", files), Settings())
    return result.jobs, result.diagnostics


def area(body: str, depends: str = "depends_on:\n  - image-build\n") -> dict[str, str]:
    return {".buildkite/ci_config.yaml": CI_CONFIG, ".buildkite/test_areas/a.yaml": f"group: A\n{depends}steps:\n{body}"}


def test_vllm_file_defaults_apply_only_with_file_depends_on():
    step = "- label: T\n  source_file_dependencies: [vllm/x]\n  commands: [pytest t.py]\n"
    (with_defaults,), _ = jobs_of(area(step))
    assert with_defaults.working_dir == "tests"
    assert with_defaults.source_file_dependencies == ("vllm/x", ".buildkite/test_areas/a.yaml")
    (without,), _ = jobs_of(area(step, depends="depends_on: []\n"))
    assert without.working_dir == ""
    assert without.source_file_dependencies == ("vllm/x",)


def test_vllm_key_derived_from_label_and_workspace_prefix_mapped():
    step = "- label: 'Kernels: MoE (2 GPUs)'\n  working_dir: /vllm-workspace/.buildkite/lm-eval\n  commands: [pytest]\n"
    (job,), _ = jobs_of(area(step))
    assert job.key == "kernels--moe-2-gpus"
    assert job.working_dir == ".buildkite/lm-eval"


def test_vllm_singular_command_is_ignored_and_recorded():
    step = "- label: T\n  command: pytest t.py\n  autorun_on_main: true\n"
    (job,), _ = jobs_of(area(step))
    assert job.commands == ()
    assert [k for k, _ in job.ignored_keys] == ["command", "autorun_on_main"]
    assert job.ignored_keys[0][1].line == 6


def test_vllm_quotes_and_dollars_are_rewritten_like_the_generator():
    step = "- label: T\n  commands:\n    - pytest -k 'not slow' --shard=$$BUILDKITE_PARALLEL_JOB $UNSET_AT_UPLOAD $REGISTRY\n"
    (job,), _ = jobs_of(area(step))
    assert job.commands[0].text == 'pytest -k "not slow" --shard=$BUILDKITE_PARALLEL_JOB  registry.example'
    assert job.commands[0].location.line == 7


def test_vllm_parallelism_makes_shards_and_mirror_makes_amd_variant():
    step = (
        "- label: K\n  key: k\n  parallelism: 2\n  env: {A: '1'}\n  commands: [pytest a, pytest b]\n"
        "  mirror:\n    amd:\n      device: mi325_1\n      parallelism: 9\n      env: {B: '2'}\n"
    )
    jobs, _ = jobs_of(area(step))
    assert [j.key for j in jobs] == ["k", "k", "amd-k", "amd-k"]
    assert [dict(j.env).get("BUILDKITE_PARALLEL_JOB") for j in jobs] == ["0", "1", "0", "1"]
    amd = jobs[2]
    assert amd.platform == "amd_mi325_1" and dict(amd.env)["B"] == "2" and dict(amd.env)["A"] == "1"
    assert amd.commands[0].text == "pytest a && pytest b"
    assert ("mirror.amd.parallelism" in [k for k, _ in amd.ignored_keys])


def test_vllm_optional_steps_run_nightly_and_steps_without_dependencies_in_run_all_builds():
    jobs, _ = jobs_of(area("- label: O\n  optional: true\n  source_file_dependencies: [x]\n  commands: [a]\n"))
    assert jobs[0].tier is Tier.NIGHTLY  # blocked on PRs, run by the scheduled nightly build
    jobs, _ = jobs_of(area("- label: N\n  commands: [a]\n", depends="depends_on: []\n"))
    assert jobs[0].tier is Tier.RUN_ALL  # an empty dependency list never matches: only when everything runs
    jobs, _ = jobs_of(area("- label: P\n  source_file_dependencies: [x]\n  commands: [a]\n"))
    assert jobs[0].tier is Tier.PATH_FILTERED


def test_wrong_types_give_diagnostics_with_lines_and_other_files_still_read():
    files = {
        ".buildkite/ci_config.yaml": CI_CONFIG,
        ".buildkite/test_areas/bad.yaml": "steps:\n  label: oops\n",
        ".buildkite/test_areas/bad2.yaml": "steps:\n- label: T\n  commands: 42\n  env: [1, 2]\n",
        ".buildkite/test_areas/broken.yaml": "steps: [\n",
        ".buildkite/test_areas/good.yaml": "steps:\n- label: G\n  commands: [pytest g]\n",
    }
    jobs, diagnostics = jobs_of(files)
    assert [j.label for j in jobs] == ["G"]  # the generator raises on the others: none of their steps run
    messages = {(d.location.path.split("/")[-1], d.location.line): d.message for d in diagnostics}
    assert "`steps` must be a list" in messages[("bad.yaml", 1)]
    assert "`commands` must be a list of strings, found a number" in messages[("bad2.yaml", 3)]
    assert any(k[0] == "broken.yaml" and "invalid YAML" in m for k, m in messages.items())


PLAIN = """
env:
  GLOBAL: g
steps:
  - label: "Unit {{matrix.os}} {{matrix.py}}"
    key: unit
    command: "PY={{matrix.py}} bash ci/test.sh"
    env:
      TARGET: "{{matrix.os}}"
    matrix:
      setup:
        os: [linux, mac]
        py: ["3.10", "3.11"]
      adjustments:
        - with: {os: mac, py: "3.10"}
          skip: true
        - with: {os: win, py: "3.11"}
    plugins:
      - docker#v5.0.0:
          image: python
          environment:
            - SUITE={{matrix.os}}
            - HF_TOKEN
  - wait
  - group: Nightly
    steps:
      - label: one-d {{matrix}}
        commands:
          - echo $GLOBAL $$LOCAL
          - pytest -k {{matrix}}
        matrix: [fast, slow]
  - block: Release
"""


def test_plain_pipeline_matrix_adjustments_groups_and_docker_environment():
    jobs, diagnostics = jobs_of({".buildkite/pipeline.yml": PLAIN})
    assert diagnostics == []
    unit = [j for j in jobs if j.key == "unit"]
    assert [dict(j.matrix) for j in unit] == [
        {"os": "linux", "py": "3.10"}, {"os": "linux", "py": "3.11"}, {"os": "mac", "py": "3.11"}, {"os": "win", "py": "3.11"}]
    first = unit[0]
    assert first.label == "Unit linux 3.10"
    assert first.commands[0].text == "PY=3.10 bash ci/test.sh"
    env = dict(first.env)
    assert env["GLOBAL"] == "g" and env["TARGET"] == "linux" and env["SUITE"] == "linux"
    one_d = [j for j in jobs if j.label.startswith("one-d")]
    assert [j.label for j in one_d] == ["one-d fast", "one-d slow"]
    assert one_d[1].commands[0].text == "echo g $LOCAL"  # upload-time interpolation
    assert one_d[1].commands[1].text == "pytest -k slow"
    assert ("group", "Nightly") in one_d[0].attributes


def test_a_file_read_again_gives_the_same_jobs_and_an_edit_is_seen():
    files = area("- label: T\n  source_file_dependencies: [x]\n  commands: [pytest a.py]\n")
    first, _ = jobs_of(files)
    again, _ = jobs_of(files)
    assert first == again
    files[".buildkite/test_areas/a.yaml"] = files[".buildkite/test_areas/a.yaml"].replace("a.py", "b.py")
    (edited,), _ = jobs_of(files)
    assert edited.commands[0].text == "pytest b.py"
