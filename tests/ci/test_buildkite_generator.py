"""vLLM's pipeline generator as coverage-diff models it: tiers, coercions, rejections,
token injection and upload-time variables, mirrors, the AMD pipeline, unread pipelines.

Every fixture is written here; the expected values are what the generator
(vllm-project/ci-infra `buildkite/pipeline_generator`) does with the same input,
checked by hand against its code and by tools/compare_vllm_generator.py on vLLM.
"""

import json
from importlib import resources
from dataclasses import replace

from coverage_diff.ci import buildkite
from coverage_diff.config import Settings
from coverage_diff.model import Tier
from coverage_diff.snapshot import Snapshot

CONFIG = """\
name: vllm_ci
job_dirs:
  - .buildkite/areas
  - .buildkite/images
run_all_patterns: ["core/", "build.txt"]
run_all_exclude_patterns: ["core/cpu/"]
registries: reg.example
repositories:
  main: post-repo
  premerge: pre-repo
"""


def read(files: dict[str, str]):
    tree = {".buildkite/ci_config.yaml": CONFIG, ".buildkite/images/empty.yaml": "steps: []\n", **files}
    return buildkite.jobs(Snapshot.from_files("t", tree), Settings())


def area(steps: str, header: str = "group: G\ndepends_on: [image-build]\n") -> dict[str, str]:
    return {".buildkite/areas/one.yaml": header + "steps:\n" + steps}


def by_key(result) -> dict:
    return {(j.key, dict(j.matrix).get("BUILDKITE_BRANCH")): j for j in result.jobs}


def test_tiers_follow_the_generators_run_decision():
    result = read({
        **area("- label: Paths\n  source_file_dependencies: [pkg/]\n  commands: [pytest a]\n"
               "- label: Opt\n  optional: true\n  source_file_dependencies: [pkg/]\n  commands: [pytest b]\n"),
        ".buildkite/images/build.yaml": "steps:\n- label: Img\n  key: image-build-x\n  commands: [make image]\n"
                                        "- label: Orphan\n  commands: [pytest c]\n",
    })
    jobs = {j.label: j for j in result.jobs}
    assert jobs["Paths"].tier is Tier.PATH_FILTERED
    assert jobs["Opt"].tier is Tier.NIGHTLY  # optional: blocked unless the nightly build
    assert jobs["Img"].tier is Tier.EVERY_PR  # image-build* always runs
    assert jobs["Orphan"].tier is Tier.RUN_ALL  # no dependency (no file-level depends_on): only when all runs
    attributes = dict(jobs["Paths"].attributes)
    assert attributes["pipeline"] == ".buildkite/ci_config.yaml"
    assert ("run_all_pattern", "core/") in jobs["Paths"].attributes
    assert ("run_all_exclude_pattern", "core/cpu/") in jobs["Paths"].attributes


def test_values_the_generator_coerces_are_read_as_it_reads_them():
    result = read(area(
        "- label: Coerced\n  optional: 'true'\n  parallelism: '3'\n  source_file_dependencies: [x]\n  commands: [pytest a]\n"
        "- label: Nodes\n  num_nodes: '2'\n  num_devices: 2\n  source_file_dependencies: [x]\n"
        "  commands: [\"run-nodes.sh 'node zero' 'node one'\"]\n"
        "- label: Soft\n  optional: 'no'\n  soft_fail: 'yes'\n  source_file_dependencies: [x]\n  commands: [pytest c]\n"))
    coerced = [j for j in result.jobs if j.label == "Coerced"]
    assert len(coerced) == 3 and coerced[0].tier is Tier.NIGHTLY
    (nodes,) = [j for j in result.jobs if j.label == "Nodes"]
    assert nodes.working_dir == "" and "'node zero'" in nodes.commands[0].text  # no cd, no quote rewrite
    (off,) = [j for j in result.jobs if j.label == "Soft"]
    assert off.tier is Tier.PATH_FILTERED and off.soft_fail is True
    assert result.diagnostics == []


def test_a_file_the_generator_rejects_is_an_error_and_its_jobs_do_not_run():
    for bad, what in (("  soft_fail: [1, 2]\n", "`soft_fail` must be a bool"),
                      ("  commands: pytest x\n", "`commands` must be a list of strings, found a string"),
                      ("  env: {N: 3}\n", "`N` must be a string, found a number"),
                      ("  parallelism: 2.5\n", "`parallelism` must be an integer"),
                      ("  num_nodes: 2\n", "'num_devices' must be defined")):
        files = area("- label: Fine\n  source_file_dependencies: [x]\n  commands: [pytest a]\n"
                     "- label: Bad\n  source_file_dependencies: [x]\n" + bad)
        files[".buildkite/areas/other.yaml"] = "steps:\n- label: Other\n  source_file_dependencies: [y]\n  commands: [pytest o]\n"
        result = read(files)
        assert [j.label for j in result.jobs] == ["Other"], bad
        (diagnostic,) = [d for d in result.diagnostics if d.location.path.endswith("one.yaml")]
        assert diagnostic.severity == "error" and what in diagnostic.message, diagnostic.message
        assert diagnostic.location.line == 9  # the offending key
        assert "no step of .buildkite/ci_config.yaml runs" in diagnostic.message


def test_injected_tokens_and_the_branch_are_sampled_as_main_and_as_a_pull_request():
    result = read({".buildkite/images/build.yaml": (
        "steps:\n- label: Img\n  key: image-build\n  commands:\n"
        "  - 'if [[ \"$BUILDKITE_BRANCH\" == main ]]; then push $REGISTRY/$REPO:$BUILDKITE_COMMIT $IMAGE_TAG_LATEST; else push $IMAGE_TAG; fi'\n"
        "- label: Plain\n  key: image-build-cpu\n  env: {ESC: '$$HOME', DEF: '${NOPE:-fallback}', GONE: '$NOPE'}\n"
        "  commands: [build $REGISTRY $$LOCAL $BUILDKITE_BUILD_NUMBER]\n")})
    jobs = by_key(result)
    main, pr = jobs[("image-build", "main")], jobs[("image-build", "feature")]
    assert main.commands[0].text == (
        'if [[ "main" == main ]]; then push reg.example/post-repo:$BUILDKITE_COMMIT reg.example/post-repo:latest; '
        "else push reg.example/post-repo:$BUILDKITE_COMMIT; fi")
    assert pr.commands[0].text == (
        'if [[ "feature" == main ]]; then push reg.example/pre-repo:$BUILDKITE_COMMIT ; '
        "else push reg.example/pre-repo:$BUILDKITE_COMMIT; fi")  # no :latest outside main
    plain = jobs[("image-build-cpu", None)]  # reads no branch: one job
    assert plain.commands[0].text == "build reg.example $LOCAL $BUILDKITE_BUILD_NUMBER"
    assert dict(plain.env) == {"ESC": "$HOME", "DEF": "fallback", "GONE": ""}


def test_mirror_values_are_raw_and_its_own_optional_false_wins():
    result = read(area(
        "- label: K\n  optional: true\n  source_file_dependencies: [pkg/]\n  commands: [pytest a]\n"
        "  mirror:\n    amd:\n      device: mi300_1\n      optional: false\n      source_file_dependencies: [amd/]\n"
        "      commands: [pytest amd]\n"))
    jobs = {j.key: j for j in result.jobs}
    assert jobs["k"].tier is Tier.NIGHTLY
    mirror = jobs["amd-k"]
    assert mirror.tier is Tier.PATH_FILTERED
    assert mirror.working_dir == "tests"  # own commands without own working_dir: the step's default
    assert mirror.source_file_dependencies == ("amd/", "pkg/", ".buildkite/areas/one.yaml")
    assert ("forced-by-change", "docker/Dockerfile.rocm_base") in mirror.attributes


def test_amd_device_steps_and_wrong_gpu_counts():
    ok = read(area("- label: M\n  device: mi355_1\n  dind: false\n  source_file_dependencies: [x]\n  commands: [a, b]\n"))
    (job,) = ok.jobs
    assert job.label == "AMD: M (mi355_1)" and job.commands[0].text == "a && b"
    assert job.source_file_dependencies[-1] == ".buildkite/scripts/hardware_ci/run-amd-test.sh"
    bad = read(area("- label: M\n  device: mi300_4\n  num_devices: 2\n  source_file_dependencies: [x]\n  commands: [a]\n"))
    assert bad.jobs == [] and "provides 4 GPUs" in bad.diagnostics[0].message


AMD_PIPELINE = """\
steps:
- label: Kernels
  agent_pool: mi300_1
  mirror_hardwares: [amdexperimental, amdproduction]
  source_file_dependencies: [csrc/]
  working_dir: "/vllm-workspace/tests"
  env: {IGNORED: "1"}
  commands:
    - pytest -v kernels/a
    - pytest -v kernels/b
- label: Always
  agent_pool: mi250_1
  mirror_hardwares: [amdproduction]
  command: pytest always
- label: Nightly only
  agent_pool: mi250_1
  optional: true
  mirror_hardwares: [amdproduction]
  commands: [pytest late]
- label: Experimental
  agent_pool: mi250_1
  mirror_hardwares: [amdexperimental]
  commands: [pytest never]
- label: Host
  agent_pool: mi250_1
  no_plugin: true
  mirror_hardwares: [amdproduction]
  env: {USED: "1"}
  commands: [run-host.sh]
"""


def test_the_amd_pipeline_is_read_as_its_jinja_template_renders_it():
    result = buildkite.jobs(Snapshot.from_files("t", {".buildkite/test-amd.yaml": AMD_PIPELINE}), Settings())
    jobs = {j.label: j for j in result.jobs}
    assert set(jobs) == {"mi300_1: Kernels", "mi250_1: Always", "mi250_1: Nightly only", "mi250_1: Host"}
    kernels = jobs["mi300_1: Kernels"]
    assert kernels.key == "mi300_1-kernels" and kernels.commands[0].text == "pytest -v kernels/a && pytest -v kernels/b"
    assert kernels.working_dir == "tests" and kernels.env == () and kernels.soft_fail is True
    assert kernels.tier is Tier.PATH_FILTERED
    assert jobs["mi250_1: Always"].tier is Tier.EVERY_PR  # an empty dependency list always runs here
    assert jobs["mi250_1: Nightly only"].tier is Tier.NIGHTLY
    assert dict(jobs["mi250_1: Host"].env) == {"USED": "1"}  # env reaches only no_plugin steps


def test_a_pipeline_file_nothing_reads_gets_a_note():
    result = read({**area("- label: A\n  source_file_dependencies: [x]\n  commands: [a]\n"),
                   ".buildkite/extra/pipeline-other.yaml": "steps:\n  - command: make nightly\n",
                   ".buildkite/configs/model.yaml": "model: x\nsteps_per_epoch: 3\n"})
    notes = [d for d in result.diagnostics if d.severity == "info"]
    assert [d.location.path for d in notes] == [".buildkite/extra/pipeline-other.yaml"]
    assert any(i.location.path == ".buildkite/extra/pipeline-other.yaml" for i in result.incomplete)


def test_the_unread_pipeline_note_has_a_severity_the_json_schema_allows():
    # `--format json` prints each diagnostic's severity as is; report-v2.json allows three.
    schema = json.loads(resources.files("coverage_diff").joinpath("schema/report-v2.json").read_text())
    allowed = schema["properties"]["diagnostics"]["items"]["properties"]["severity"]["enum"]
    result = read({".buildkite/nightly/weekly.yml": "steps:\n  - label: W\n    command: ./weekly.sh\n"})
    unread = [d for d in result.diagnostics if d.location.path == ".buildkite/nightly/weekly.yml"]
    assert len(unread) == 1
    assert unread[0].severity in allowed


def _diff(base_files: dict[str, str], head_files: dict[str, str]):
    from coverage_diff.diff import diff
    from coverage_diff.engine.build import build_inventory

    def inventory(name, files):
        tree = {".buildkite/ci_config.yaml": CONFIG, ".buildkite/images/empty.yaml": "steps: []\n", **files}
        return build_inventory(Snapshot.from_files(name, tree), Settings())

    return diff(inventory("base", base_files), inventory("head", head_files))


def test_a_move_from_every_pull_request_to_nightly_is_a_tier_change_not_a_drop():
    every_pr = area("- label: T\n  source_file_dependencies: [pkg/]\n  commands: [pytest -v tests/test_t.py]\n")
    nightly = area("- label: T\n  optional: true\n  source_file_dependencies: [pkg/]\n  commands: [pytest -v tests/test_t.py]\n")
    report = _diff(every_pr, nightly)
    (finding,) = report.findings
    assert finding.kind == "tier-changed" and finding.severity.value == "warning"
    assert "it now runs only in the scheduled nightly build (before: runs on pull requests that touch its paths)" in finding.message
    assert _diff(nightly, every_pr).findings == ()  # more often: nothing to warn about
    gone = _diff(every_pr, area("- label: U\n  source_file_dependencies: [pkg/]\n  commands: [make lint]\n"))
    assert [f.kind for f in gone.findings if f.subject == "pytest -v tests/test_t.py"] == ["removed"]  # in no tier at all


def test_run_all_patterns_are_regexes_matched_at_the_start():
    (job,) = read(area("- label: T\n  source_file_dependencies: [pkg/]\n  commands: [pytest a]\n")).jobs
    starts = buildkite.path_filter(job)  # what the step's dependencies cover, or a run-all pattern
    assert starts("pkg/a.py") and not starts("pkgs/a.py")
    assert starts("core/ops.h") and starts("build.txt.bak")  # re.match: a prefix
    assert not starts("core/cpu/x.cc")  # excluded
    assert not starts("src/core/ops.h")
    assert buildkite.path_filter(replace(job, source_file_dependencies=())) is None  # none: every change runs it


def test_a_command_string_handed_to_an_eval_wrapper_is_followed_or_reported():
    wrapper = ".buildkite/scripts/hardware_ci/run-intel-test.sh"
    result = read({
        **area("- label: Wrapped\n  no_plugin: true\n  source_file_dependencies: [x]\n  commands:\n"
               "  - >-\n    bash " + wrapper + "\n    'cd tests &&\n    pytest -v unit/test_a.py -k \"not slow\"'\n"
               "- label: Unknown\n  no_plugin: true\n  source_file_dependencies: [x]\n  commands: [bash " + wrapper + "]\n",
               header=""),
    })
    jobs = {j.label: j for j in result.jobs}
    # the generator's ' -> " rewrite leaves one word: the string run-intel-test.sh evaluates
    assert jobs["Wrapped"].commands[0].text == "cd tests && pytest -v unit/test_a.py -k not slow"
    assert dict(jobs["Wrapped"].attributes)["wrapper_call"].startswith("0\tbash " + wrapper + ' "cd tests')
    assert jobs["Unknown"].commands[0].text == "bash " + wrapper
    (gap,) = result.incomplete
    assert gap.location.line == 13 and "not followed" in gap.reason


def test_amd_pipeline_commands_pass_through_a_double_quoted_yaml_value():
    pipeline = ("steps:\n- label: Find\n  agent_pool: mi250_1\n  mirror_hardwares: [amdproduction]\n"
                "  commands: ['find t -name \"test_*.py\" -exec pytest {} \\\\;']\n"
                "- label: Bad\n  agent_pool: mi250_1\n  mirror_hardwares: [amdproduction]\n  commands: ['grep \\d x']\n")
    result = buildkite.jobs(Snapshot.from_files("t", {".buildkite/test-amd.yaml": pipeline}), Settings())
    jobs = {j.label: j for j in result.jobs}
    assert jobs["mi250_1: Find"].commands[0].text == 'find t -name "test_*.py" -exec pytest {} \\;'  # `\\` became `\`
    (bad,) = result.diagnostics
    assert bad.location.line == 9 and "does not parse" in bad.message
