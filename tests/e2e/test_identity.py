"""Identity that survives edits (issue 17): an entry or a command edited in place is
`changed`, a test split into shards that still cover it is `moved`, a job deleted
while its test stays written is `silently-dropped`, and setup is never a subject.
Each case is a small repository written here from scratch."""

import history

from coverage_diff.engine.session import diff_range

SWEEP = """#!/bin/bash
set -euo pipefail
configs=(
  "MODEL=llama TP=1 EXTRA=--enforce-eager"  # first
  "MODEL=qwen TP=2 EXTRA=--enforce-eager"
  "MODEL=mistral TP=4"
)
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest tests/test_model.py
done
"""
PIPELINE = """steps:
  - label: sweep
    command: bash ci/sweep.sh
"""


def make(tmp_path, base: dict, head: dict):
    repo = history.init_repo(tmp_path / "repo")
    history.write_tree(repo, base)
    history.commit_all(repo, "base", tag="base")
    history.write_tree(repo, head)
    history.commit_all(repo, "head", tag="head")
    return diff_range(repo, "base..head")


def kinds(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in report.findings:
        found.setdefault(f.kind, []).append(f.subject)
    return found


def test_entries_edited_in_place_are_changed_with_a_word_diff(tmp_path):
    base = {"ci/sweep.sh": SWEEP, ".buildkite/pipeline.yml": PIPELINE, "tests/test_model.py": ""}
    report = make(tmp_path, base, {"ci/sweep.sh": SWEEP.replace(" EXTRA=--enforce-eager", "")})
    assert set(kinds(report)) == {"changed"}, kinds(report)
    changed = {f.subject: f for f in report.findings}
    first = changed["EXTRA=--enforce-eager MODEL=llama TP=1"]
    assert "-EXTRA=--enforce-eager" in first.message and "`MODEL=llama TP=1`" in first.message
    assert first.config.text == "MODEL=llama TP=1" and first.config.location.line == 4
    assert dict(first.details)["now"] == "MODEL=llama TP=1"


def test_an_edited_entry_moved_behind_a_guard_is_silently_dropped(tmp_path):
    guarded = SWEEP.replace('  "MODEL=mistral TP=4"\n)', ')\nbig=(\n  "MODEL=mistral TP=8"\n)\nif [[ -n "${BIG:-}" ]]; then configs=("${big[@]}"); fi')
    base = {"ci/sweep.sh": SWEEP, ".buildkite/pipeline.yml": PIPELINE, "tests/test_model.py": ""}
    report = make(tmp_path, base, {"ci/sweep.sh": guarded})
    (lost,) = [f for f in report.findings if f.kind in ("silently-dropped", "removed", "narrowed")]
    assert lost.kind == "removed", lost  # TP=4 -> TP=8 in another array: not the same place


def test_a_command_that_gains_a_test_file_is_changed(tmp_path):
    pipeline = "steps:\n  - label: unit\n    command: pytest -v tests/test_a.py\n"
    base = {".buildkite/pipeline.yml": pipeline, "tests/test_a.py": "", "tests/test_b.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": pipeline.replace("tests/test_a.py", "tests/test_a.py tests/test_b.py")})
    assert kinds(report) == {"changed": ["pytest -v tests/test_a.py"]}
    (f,) = report.findings
    assert "+tests/test_b.py" in f.message


def test_a_version_bump_in_an_argument_is_changed_not_dropped(tmp_path):
    script = "#!/bin/bash\nVERSION=1.5.5\npytest tests/test_zstd.py --zstd-version \"$VERSION\" --cache /mnt/cache\n"
    pipeline = "steps:\n  - label: zstd\n    command: bash ci/run.sh\n"
    base = {".buildkite/pipeline.yml": pipeline, "ci/run.sh": script, "tests/test_zstd.py": ""}
    report = make(tmp_path, base, {"ci/run.sh": script.replace("1.5.5", "1.5.6").replace("/mnt/cache", "~/mnt/cache")})
    assert set(kinds(report)) == {"changed"}, kinds(report)


SPLIT_BASE = """steps:
  - label: models
    command: pytest -v tests/models
"""
SPLIT_HALVES = """steps:
  - label: models (part 1)
    command: pytest -v tests/models -k "llama or qwen"
  - label: models (part 2)
    command: pytest -v tests/models -k "not (llama or qwen)"
"""


def test_a_test_split_into_k_halves_that_cover_it_is_moved(tmp_path):
    base = {".buildkite/pipeline.yml": SPLIT_BASE, "tests/models/test_x.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": SPLIT_HALVES})
    assert kinds(report) == {"moved": ["pytest -v tests/models"]}, kinds(report)
    (f,) = report.findings
    assert "2 shard(s)" in f.message and len(f.head_runs) == 2


def test_a_split_that_leaves_tests_out_is_narrowed(tmp_path):
    base = {".buildkite/pipeline.yml": SPLIT_BASE, "tests/models/test_x.py": ""}
    head = SPLIT_HALVES.replace('"not (llama or qwen)"', '"mistral"')
    report = make(tmp_path, base, {".buildkite/pipeline.yml": head})
    assert kinds(report) == {"narrowed": ["pytest -v tests/models"]}, kinds(report)
    assert "no longer select everything" in report.findings[0].reason.text


def test_shards_by_index_cover_the_run(tmp_path):
    base = {".buildkite/pipeline.yml": SPLIT_BASE, "tests/models/test_x.py": ""}
    head = ("steps:\n  - label: models\n    parallelism: 2\n"
            "    command: pytest -v tests/models --num-shards=2 --shard-id=$$BUILDKITE_PARALLEL_JOB\n")
    report = make(tmp_path, base, {".buildkite/pipeline.yml": head})
    assert set(kinds(report)) == {"moved"}, kinds(report)


RUNNER = """#!/bin/bash
set -e
case "$1" in
  fast) pytest tests/test_fast.py ;;
  slow) pytest tests/test_slow.py ;;
esac
"""


def test_a_deleted_job_whose_test_is_still_written_is_silently_dropped(tmp_path):
    pipeline = "steps:\n  - label: fast\n    command: bash ci/run.sh fast\n  - label: slow\n    command: bash ci/run.sh slow\n"
    base = {".buildkite/pipeline.yml": pipeline, "ci/run.sh": RUNNER, "tests/test_fast.py": "", "tests/test_slow.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": pipeline.split("  - label: slow")[0]})
    assert kinds(report) == {"silently-dropped": ["pytest tests/test_slow.py"]}, kinds(report)
    assert "no longer contains it" not in (report.findings[0].reason.text if report.findings[0].reason else "")


def test_a_deleted_job_and_test_file_is_removed(tmp_path):
    pipeline = "steps:\n  - label: fast\n    command: bash ci/run.sh fast\n  - label: slow\n    command: bash ci/run.sh slow\n"
    base = {".buildkite/pipeline.yml": pipeline, "ci/run.sh": RUNNER, "tests/test_fast.py": "", "tests/test_slow.py": ""}
    head = {".buildkite/pipeline.yml": pipeline.split("  - label: slow")[0], "tests/test_slow.py": None}
    report = make(tmp_path, base, head)
    assert kinds(report) == {"removed": ["pytest tests/test_slow.py"]}, kinds(report)


SERVING = """#!/bin/bash
set -e
exec 9>/tmp/lock
flock 9
aws ecr-public get-login-password --region us-east-1
sha256sum requirements.txt
python3 tests/proxy_server.py --port 8000 &
ps -p $!
jobs -pr
pytest tests/test_serving.py
"""


def test_setup_commands_are_not_subjects(tmp_path):
    pipeline = "steps:\n  - label: serving\n    command: bash ci/serve.sh\n"
    base = {".buildkite/pipeline.yml": pipeline, "ci/serve.sh": SERVING, "tests/test_serving.py": "", "tests/proxy_server.py": "",
            "requirements.txt": ""}
    trimmed = "\n".join(line for line in SERVING.splitlines() if not line.startswith(("flock", "aws", "sha256sum", "python3", "ps", "jobs"))) + "\n"
    report = make(tmp_path, base, {"ci/serve.sh": trimmed})
    assert kinds(report) == {}, kinds(report)


def test_the_vllm_workspace_prefix_stays_in_vllm_style_repositories(tmp_path):
    from coverage_diff.engine.session import Session

    pipeline = "steps:\n  - label: t\n    command: pytest /vllm-workspace/tests/test_a.py\n"
    repo = history.init_repo(tmp_path / "repo")
    history.write_tree(repo, {".buildkite/pipeline.yml": "steps:\n  - label: t\n    command: pytest tests/test_a.py\n", "tests/test_a.py": ""})
    history.commit_all(repo, "plain", tag="plain")
    history.write_tree(repo, {".buildkite/pipeline.yml": pipeline})
    history.commit_all(repo, "vllm", tag="vllm")
    session = Session(repo)
    assert session.settings_for(session.snapshot("plain")).workspace_prefixes == ()
    assert session.settings_for(session.snapshot("vllm")).workspace_prefixes == ("/vllm-workspace",)
    (run,) = session.inventory("vllm").runs
    assert run.argv == ("pytest", "tests/test_a.py")


FLAGGED = """#!/bin/bash
set -euo pipefail
configs=(
  "MODEL=llama TP=1"
  "MODEL=qwen TP=2"
)
extra=()
if [[ "${ENABLE_FOO:-0}" == "1" ]]; then
  extra+=(--enable-foo)
fi
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest tests/test_model.py "${extra[@]}"
done
"""
FLAG_PIPELINE = """steps:
  - label: sweep
    command: bash ci/sweep.sh
  - label: sweep with foo
    command: ENABLE_FOO={value} bash ci/sweep.sh
"""


def test_a_value_the_guard_no_longer_accepts_narrows_every_config(tmp_path):
    base = {"ci/sweep.sh": FLAGGED, ".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="1"), "tests/test_model.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="True")})
    assert kinds(report) == {"narrowed": ["MODEL=llama TP=1", "MODEL=qwen TP=2"]}, kinds(report)
    for f in report.findings:
        (guard,) = f.reason.guards
        assert guard.condition.text == '[[ "${ENABLE_FOO:-0}" == "1" ]]' and guard.condition.location.line == 8
        assert ("sweep with foo", "ENABLE_FOO", "True") in guard.provided
        assert "true branch" in f.reason.text and "ENABLE_FOO=True" in f.reason.text
        assert all("--enable-foo" in r.argv for r in f.base_runs)


def test_a_changed_value_with_no_lost_branch_is_changed(tmp_path):
    base = {"ci/sweep.sh": FLAGGED, ".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="1"), "tests/test_model.py": ""}
    sweep = FLAGGED.replace("pytest tests/test_model.py", "pytest tests/test_model.py --seed 1")
    report = make(tmp_path, base, {"ci/sweep.sh": sweep})
    assert set(kinds(report)) == {"changed"}, kinds(report)


def test_losses_are_grouped_by_root_cause_in_text_and_json(tmp_path):
    import json as jsonlib

    from coverage_diff.report import json as json_report, text as text_report

    base = {"ci/sweep.sh": FLAGGED, ".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="1"), "tests/test_model.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="True")})
    (group,) = jsonlib.loads(json_report.render(report))["groups"]
    assert group["cause"] == 'guard `[[ "${ENABLE_FOO:-0}" == "1" ]]` (ci/sweep.sh:8)'
    assert group["findings"] == ["narrowed:MODEL=llama TP=1", "narrowed:MODEL=qwen TP=2"] and group["kinds"] == ["narrowed"]
    text = text_report.render(report)
    assert "cause: guard" in text and "(2 subjects, one fix)" in text
    assert text.count("why: ") == 1


def test_markdown_and_the_bot_comment_group_losses_by_root_cause(tmp_path):
    from coverage_diff.report import markdown

    base = {"ci/sweep.sh": FLAGGED, ".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="1"), "tests/test_model.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": FLAG_PIPELINE.format(value="True")})
    body = markdown.render(report)
    table = [line for line in body.splitlines() if line.startswith("| ")]
    assert table[1].startswith("| **2 configurations, one cause**: guard `[[ \"${ENABLE_FOO:-0}\" == \"1\" ]]`"), table
    assert [row.rsplit("|", 2)[1].strip() for row in table[2:]] == ["same cause ↑", "same cause ↑"]
    details = body.split("#### Details", 1)[1].split("####", 1)[0]
    assert details.count("**2 configurations, one cause**") == 1 and details.count("- why: ") == 1, details


def test_a_deleted_matrix_value_is_one_group(tmp_path):
    pipeline = """steps:
  - label: "models {{matrix}}"
    key: models
    command: pytest tests/test_{{matrix}}.py tests/test_common.py
    matrix:
      - llama
      - qwen
"""
    base = {".buildkite/pipeline.yml": pipeline, "tests/test_llama.py": "", "tests/test_qwen.py": "", "tests/test_common.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": pipeline.replace("      - qwen\n", "")})
    losses = [f for f in report.findings if f.kind in ("removed", "silently-dropped", "narrowed")]
    assert losses and len({dict(f.details)["cause"] for f in losses}) == 1
    assert "job(s) gone: models qwen" in dict(losses[0].details)["cause"]


ACCURACY = """#!/bin/bash
set -euo pipefail
models=(
  "MODEL=qwen TP=1"
)
for cfg in "${models[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest tests/%s
done
"""


def test_the_same_entry_in_two_scripts_names_the_script_that_stopped(tmp_path):
    pipeline = "steps:\n  - label: accuracy\n    command: bash ci/accuracy.sh\n  - label: edge cases\n    command: bash ci/edge.sh\n"
    base = {".buildkite/pipeline.yml": pipeline, "ci/accuracy.sh": ACCURACY % "test_accuracy.py", "ci/edge.sh": ACCURACY % "test_edge_cases.py",
            "tests/test_accuracy.py": "", "tests/test_edge_cases.py": ""}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": pipeline.split("  - label: edge")[0]})
    (lost,) = report.findings
    assert lost.subject == "MODEL=qwen TP=1 [ci/edge.sh]" and lost.kind == "silently-dropped", lost
    assert "tests/test_edge_cases.py" in lost.message
    assert lost.config.location.path == "ci/edge.sh" and lost.config.location.line == 4
    # Baselines and accept patterns written with the text alone still name it.
    from coverage_diff.baseline import only_new

    assert lost.ids == ("silently-dropped:MODEL=qwen TP=1 [ci/edge.sh]", "silently-dropped:MODEL=qwen TP=1")
    assert not only_new(report, frozenset({"silently-dropped:MODEL=qwen TP=1"})).findings
    # The text in one script only keeps its subject: ids stay as they were.
    single = make(tmp_path / "one", {**base, "ci/accuracy.sh": ACCURACY.replace("qwen", "llama") % "test_accuracy.py"},
                  {".buildkite/pipeline.yml": pipeline.split("  - label: edge")[0]})
    assert [f.subject for f in single.findings] == ["MODEL=qwen TP=1"]


def test_an_edited_selection_is_changed_when_wider_and_narrowed_when_narrower(tmp_path):
    pipeline = 'steps:\n  - label: pp\n    command: pytest -v tests/test_pp.py -k "not ray and not jamba"\n'
    base = {".buildkite/pipeline.yml": pipeline, "tests/test_pp.py": "def test_mamba():\n    pass\n"}
    wider = make(tmp_path, base, {".buildkite/pipeline.yml": pipeline.replace(" and not jamba", "")})
    assert set(kinds(wider)) == {"changed"}, kinds(wider)
    narrower = make(tmp_path / "n", base, {".buildkite/pipeline.yml": pipeline.replace("not ray and", "not ray and not mamba and")})
    assert set(kinds(narrower)) == {"narrowed"}, kinds(narrower)
    assert "no longer selects everything" in narrower.findings[0].reason.text


def test_a_split_on_one_platform_while_others_keep_the_whole_run_is_moved(tmp_path):
    pipeline = """steps:
  - label: models
    agents: {queue: gpu}
    command: pytest -v tests/models
  - label: models amd
    agents: {queue: amd}
    command: pytest -v tests/models
"""
    head = pipeline.replace("""  - label: models amd
    agents: {queue: amd}
    command: pytest -v tests/models
""", """  - label: models amd 1
    agents: {queue: amd}
    command: pytest -v tests/models -k "llama"
  - label: models amd 2
    agents: {queue: amd}
    command: pytest -v tests/models -k "not llama"
""")
    report = make(tmp_path, {".buildkite/pipeline.yml": pipeline, "tests/models/test_x.py": ""}, {".buildkite/pipeline.yml": head})
    assert kinds(report) == {"moved": ["pytest -v tests/models"]}, kinds(report)


def test_a_selection_that_leaves_out_only_tests_the_change_adds_is_changed(tmp_path):
    pipeline = 'steps:\n  - label: chat\n    command: pytest -v tests/test_chat.py -k "not slow"\n'
    base = {".buildkite/pipeline.yml": pipeline, "tests/test_chat.py": "def test_slow():\n    pass\ndef test_fast():\n    pass\n"}
    head = {".buildkite/pipeline.yml": pipeline.replace('"not slow"', '"not slow and not test_round_trip"'),
            "tests/test_chat.py": base["tests/test_chat.py"] + "def test_round_trip():\n    pass\n"}
    assert set(kinds(make(tmp_path, base, head))) == {"changed"}
    head["tests/test_chat.py"] = base["tests/test_chat.py"]  # the left-out test existed: a loss
    head[".buildkite/pipeline.yml"] = pipeline.replace('"not slow"', '"not slow and not test_fast"')
    assert set(kinds(make(tmp_path / "loss", base, head))) == {"narrowed"}


RESHARDED = ("steps:\n"
             "  - label: kernels\n    parallelism: {n}\n"
             "    command: pytest -v tests/kernels --shard-id=$$BUILDKITE_PARALLEL_JOB --num-shards=$$BUILDKITE_PARALLEL_JOB_COUNT\n"
             "  - label: kernels again\n    parallelism: 5\n"
             "    command: pytest -v tests/kernels --shard-id=$$BUILDKITE_PARALLEL_JOB --num-shards=$$BUILDKITE_PARALLEL_JOB_COUNT\n")


def test_a_shard_count_changed_to_one_another_job_already_runs_is_no_loss(tmp_path):
    """`parallelism: 4` -> `5` where another job already ran the 5 shards: the 4-shard
    subjects vanish, but the whole set of 5 shards still runs what they ran."""
    files = {"tests/kernels/test_k.py": ""}
    report = make(tmp_path, {".buildkite/pipeline.yml": RESHARDED.format(n=4), **files},
                  {".buildkite/pipeline.yml": RESHARDED.format(n=5), **files})
    found = kinds(report)
    assert "silently-dropped" not in found and "narrowed" not in found and "removed" not in found, found
    assert {s for s in found["moved"] if "num-shards=4" in s} == {
        f"pytest -v tests/kernels --shard-id={k} --num-shards=4" for k in range(4)}


def test_sharding_removed_is_covered_by_the_whole_run(tmp_path):
    base = ("steps:\n  - label: kernels\n    parallelism: 2\n"
            "    command: pytest -v tests/kernels --shard-id=$$BUILDKITE_PARALLEL_JOB --num-shards=$$BUILDKITE_PARALLEL_JOB_COUNT\n"
            "  - label: all kernels\n    command: pytest -v tests/kernels\n")
    head = "steps:\n  - label: all kernels\n    command: pytest -v tests/kernels\n"
    files = {"tests/kernels/test_k.py": ""}
    report = make(tmp_path, {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head, **files})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)



# Re-sharding that comes with lost variants of a subject another queue still runs (issue 17:
# the variant on the re-sharded queue is gone, its shards are not a loss).
SHARDED_SWEEP = """#!/bin/bash
set -euo pipefail
configs=(
  "MODEL=llama TP=1"
  "MODEL=qwen TP=2"
)
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" pytest -v tests/test_model.py "$@"
done
"""


def _steps(*steps: str) -> str:
    return "steps:\n" + "".join(steps)


def _step(label: str, queue: str, command: str, parallelism: int = 0) -> str:
    extra = f"    parallelism: {parallelism}\n" if parallelism else ""
    return f"  - label: {label}\n    agents: {{queue: {queue}}}\n{extra}    command: {command}\n"


SHARDS = "--shard-id=$$BUILDKITE_PARALLEL_JOB --num-shards=$$BUILDKITE_PARALLEL_JOB_COUNT"


def test_config_entries_whose_queue_stops_sharding_them_are_not_lost(tmp_path):
    base = {"ci/sweep.sh": SHARDED_SWEEP, "tests/test_model.py": "",
            ".buildkite/pipeline.yml": _steps(_step("sweep", "gpu", "bash ci/sweep.sh"),
                                              _step("sweep amd", "amd", f"bash ci/sweep.sh {SHARDS}", 4))}
    head = {".buildkite/pipeline.yml": _steps(_step("sweep", "gpu", "bash ci/sweep.sh"), _step("sweep amd", "amd", "bash ci/sweep.sh"))}
    report = make(tmp_path, base, head)
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    assert set(kinds(report)["moved"]) == {"MODEL=llama TP=1", "MODEL=qwen TP=2"}
    head[".buildkite/pipeline.yml"] = _steps(_step("sweep", "gpu", "bash ci/sweep.sh"))  # the amd queue dropped: a loss
    assert set(kinds(make(tmp_path / "loss", base, head))) == {"narrowed"}


def test_a_selected_command_resharded_beside_another_shard_set_is_moved(tmp_path):
    """`-k ... parallelism: 2 -> 6` on one queue, while the same queue also runs the
    command without `-k` in 4 shards: the two shard sets are told apart by their selection."""
    k = 'pytest -v tests/test_init.py -k "not small"'
    base = _steps(_step("init", "gpu", f"{k} {SHARDS}", 2), _step("init amd", "amd", f"{k} {SHARDS}", 2),
                  _step("init all amd", "amd", f"pytest -v tests/test_init.py {SHARDS}", 4))
    head = base.replace(f"{k} {SHARDS}\n  - label: init all amd", "x").replace(
        _step("init amd", "amd", f"{k} {SHARDS}", 2), _step("init amd", "amd", f"{k} {SHARDS}", 6))
    report = make(tmp_path, {".buildkite/pipeline.yml": base, "tests/test_init.py": ""}, {".buildkite/pipeline.yml": head})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    assert f"{k.replace(chr(34), '')} --shard-id=1 --num-shards=2" in kinds(report)["moved"]


def test_a_resharded_selection_that_selects_less_is_narrowed(tmp_path):
    k = 'pytest -v tests/k --ignore tests/k/test_a.py'
    base = _steps(_step("k", "gpu", f'{k} -k "x"'), _step("k amd", "amd", f'{k} -k "x" {SHARDS}', 2))
    head = _steps(_step("k", "gpu", f'{k} -k "x"'), _step("k amd", "amd", f'{k} -k "x and y" {SHARDS}', 3))
    report = make(tmp_path, {".buildkite/pipeline.yml": base, "tests/k/test_a.py": "", "tests/k/test_b.py": ""},
                  {".buildkite/pipeline.yml": head})
    assert "narrowed" in kinds(report) and "moved" not in kinds(report), kinds(report)


def test_an_incomplete_shard_set_on_the_queue_is_still_narrowed(tmp_path):
    base = _steps(_step("k gpu", "gpu", "pytest -v tests/k --num-shards=2 --shard-id=0"),
                  _step("k gpu 2", "gpu", "pytest -v tests/k --num-shards=2 --shard-id=1"),
                  _step("k amd", "amd", "pytest -v tests/k --num-shards=2 --shard-id=0"),
                  _step("k amd 2", "amd", "pytest -v tests/k --num-shards=2 --shard-id=1"))
    head = base.replace(_step("k amd 2", "amd", "pytest -v tests/k --num-shards=2 --shard-id=1"),
                        _step("k amd 2", "amd", "pytest -v tests/k --num-shards=3 --shard-id=1"))
    report = make(tmp_path, {".buildkite/pipeline.yml": base, "tests/k/test_k.py": ""}, {".buildkite/pipeline.yml": head})
    assert kinds(report).get("narrowed") == ["pytest -v tests/k --num-shards=2 --shard-id=1"], kinds(report)


def test_a_command_with_an_option_sharded_on_one_queue_is_moved(tmp_path):
    """The same directory run with and without `--ignore`; the `--ignore` one is sharded
    on the amd queue: its shards cover it.  Without them, the run without `--ignore` runs
    all it ran (it leaves out less)."""
    ign = "pytest -v tests/mm --ignore tests/mm/test_schema.py"
    base = _steps(_step("mm", "cpu", ign), _step("mm amd", "amd", ign), _step("mm all", "amd", "pytest -v tests/mm"))
    head = base.replace(_step("mm amd", "amd", ign), _step("mm amd", "amd", f"{ign} {SHARDS}", 4))
    files = {"tests/mm/test_schema.py": "", "tests/mm/test_p.py": ""}
    report = make(tmp_path, {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    head = base.replace(_step("mm amd", "amd", ign), "")  # only the one without --ignore left on amd: it runs
    assert "narrowed" not in kinds(make(tmp_path / "b", {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head}))


def test_a_job_moved_to_another_queue_and_split_across_two_is_not_a_loss(tmp_path):
    """One job moved from queue l4 to h200 and sharded there, another split by a `-k`
    complement into an l4 half and a sharded h200 half; the same commands still run on amd."""
    q = "pytest -v tests/quant"
    h = "pytest -v tests/gen -m hybrid"
    base = _steps(_step("quant", "l4", q), _step("quant amd", "amd", q),
                  _step("hybrid", "l4", f"{h} {SHARDS}", 2), _step("hybrid amd", "amd", f"{h} {SHARDS}", 2))
    head = _steps(_step("quant", "h200", f"{q} {SHARDS}", 3), _step("quant amd", "amd", q),
                  _step("hybrid", "h200", f'{h} -k "not tiny" {SHARDS}', 2), _step("hybrid tiny", "l4", f'{h} -k tiny'),
                  _step("hybrid amd", "amd", f"{h} {SHARDS}", 2))
    files = {"tests/quant/test_q.py": "", "tests/gen/test_g.py": ""}
    report = make(tmp_path, {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)


ACCEPT = """#!/bin/bash
set -euo pipefail
MODEL="${MODEL:-small}"
python3 -m pytest -x tests/test_accept.py --model "$MODEL"
"""
SWEEP_WRAPPER = """#!/bin/bash
set -uo pipefail
SCRIPT=ci/accept.sh
configs=(
  "MODEL=small STEPS=1"
  "MODEL=large STEPS=3"
)
failed=0
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  if ! env "${parts[@]}" bash "$SCRIPT"; then
    failed=1
  fi
done
exit "$failed"
"""


def test_a_command_now_run_once_per_config_by_a_sweep_wrapper_is_changed(tmp_path):
    """A job that ran a test script directly now runs a wrapper that runs the same script
    once per config (`env "${parts[@]}" bash "$SCRIPT"` in a loop, under `if !`): the
    command still runs where it ran, with each config's values."""
    base = {"ci/accept.sh": ACCEPT, "tests/test_accept.py": "",
            ".buildkite/pipeline.yml": _steps(_step("accept", "gpu", "bash ci/accept.sh"), _step("accept amd", "amd", "bash ci/accept.sh"))}
    head = {"ci/sweep.sh": SWEEP_WRAPPER,
            ".buildkite/pipeline.yml": _steps(_step("accept", "gpu", "bash ci/sweep.sh"), _step("accept amd", "amd", "bash ci/accept.sh"))}
    report = make(tmp_path, base, head)
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    (changed,) = [f for f in report.findings if f.kind == "changed"]
    assert "once per config entry (1 of `configs` (ci/sweep.sh))" in changed.message  # the MODEL=small one
    head[".buildkite/pipeline.yml"] = _steps(_step("accept amd", "amd", "bash ci/accept.sh"))  # the gpu job deleted: a loss
    assert "narrowed" in kinds(make(tmp_path / "loss", base, head))


def test_an_argument_added_or_removed_in_one_job_is_changed(tmp_path):
    """One queue's job gives the same example an extra argument (and another drops one):
    the command still runs in that job, edited; not `narrowed` "unreachable as written"."""
    base = _steps(_step("chat", "gpu", "python3 examples/chat.py"), _step("chat amd", "amd", "python3 examples/chat.py"),
                  _step("gen", "gpu", "python3 examples/gen.py --backend triton"), _step("gen amd", "amd", "python3 examples/gen.py --backend triton"))
    head = (base.replace(_step("chat amd", "amd", "python3 examples/chat.py"), _step("chat amd", "amd", "python3 examples/chat.py --backend triton"))
                .replace(_step("gen amd", "amd", "python3 examples/gen.py --backend triton"), _step("gen amd", "amd", "python3 examples/gen.py")))
    files = {"examples/chat.py": "", "examples/gen.py": ""}
    report = make(tmp_path, {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    changed = {f.subject: f for f in report.findings if f.kind == "changed"}
    assert "+--backend triton" in changed["python3 examples/chat.py"].message
    assert "--backend triton" in changed["python3 examples/gen.py --backend triton"].message
    head = base.replace(_step("chat amd", "amd", "python3 examples/chat.py"), _step("chat amd", "amd", "python3 examples/gen.py"))
    assert "narrowed" in kinds(make(tmp_path / "loss", {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head}))


def test_a_guard_on_an_agent_secret_keeps_the_runs_possible(tmp_path):
    """`HF_TOKEN` comes from the agent's environment, never from the YAML: a guard that
    skips the model tests without it may go either way, so nothing is lost."""
    script = "#!/bin/bash\nset -e\nrun_all() {\n  pytest -x tests/test_kernels.py\n{guard}  pytest -x tests/test_models.py\n}\nrun_all\n"
    guard = '  if [ -z "$HF_TOKEN" ]; then\n    echo "no token: skipping model tests"\n    return\n  fi\n'
    base = {"ci/arm.sh": script.replace("{guard}", ""), "tests/test_kernels.py": "", "tests/test_models.py": "",
            ".buildkite/pipeline.yml": _steps(_step("arm", "arm", "bash ci/arm.sh"))}
    report = make(tmp_path, base, {"ci/arm.sh": script.replace("{guard}", guard)})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    mine = guard.replace("HF_TOKEN", "MY_FLAG")  # a variable no job sets and no agent provides: unset, the tests are lost
    assert {"narrowed", "silently-dropped"} & set(kinds(make(tmp_path / "unset", base, {"ci/arm.sh": script.replace("{guard}", mine)})))


def test_the_why_of_a_queue_retired_names_the_deleted_job_and_queue(tmp_path):
    """The same job mirrored on three queues, one queue's copy deleted: the why names that
    job and queue (not the copy on another queue that "reaches it although nothing guards
    it"), and says where it still runs."""
    mirror = lambda q: _step(f"{q} core", q, "pytest -v tests/core")  # noqa: E731
    edited = _step("unit", "gpu", "pytest -v tests/unit")
    base = _steps(mirror("mi250"), mirror("mi300"), mirror("mi355"), edited, _step("unit amd", "amd", "pytest -v tests/unit"))
    head = _steps(mirror("mi300"), mirror("mi355"), _step("unit", "gpu", "pytest -v tests/other"), _step("unit amd", "amd", "pytest -v tests/unit"))
    files = {"tests/core/test_c.py": "", "tests/unit/test_u.py": "", "tests/other/test_o.py": ""}
    report = make(tmp_path, {".buildkite/pipeline.yml": base, **files}, {".buildkite/pipeline.yml": head})
    lost = {f.subject: f for f in report.findings if f.kind == "narrowed"}
    core = lost["pytest -v tests/core"].reason.text
    assert "mi250 core" in core and "queue=mi250" in core and "still runs on queue=mi300, queue=mi355" in core, core
    assert "nothing guards it" not in core
    unit = lost["pytest -v tests/unit"].reason.text
    assert unit.startswith("the commands of its job 'unit' (.buildkite/pipeline.yml) were edited"), unit


VLLM_CONFIG = "name: vllm_ci\njob_dirs:\n  - .buildkite/areas\n"
MIRRORED_AREA = """group: Spec
depends_on: [image-build]
steps:
- label: Spec decode
  source_file_dependencies: [vllm/]
  commands:
    - pytest -v -s tests/test_spec.py
"""
AMD_SAME_RUN = """steps:
- label: Spec decode
  agent_pool: mi325_1
  mirror_hardwares: [amdproduction]
  source_file_dependencies: [vllm/]
  working_dir: "/vllm-workspace/tests"
  commands:
    - pytest -v -s tests/test_spec.py
"""


def test_a_mirror_dropped_while_the_amd_pipeline_runs_it_on_the_same_queue_is_no_loss(tmp_path):
    # `mirror.amd.device: mi325_1` and test-amd.yaml's `agent_pool: mi325_1` both run on the
    # queue `amd_mi325_1`: the same run there is one variant, whichever file schedules it.
    mirror = "  mirror:\n    amd:\n      device: mi325_1\n"
    base = {".buildkite/ci_config.yaml": VLLM_CONFIG, ".buildkite/areas/spec.yaml": MIRRORED_AREA + mirror,
            ".buildkite/test-amd.yaml": AMD_SAME_RUN, "tests/test_spec.py": "def test_a():\n    pass\n"}
    report = make(tmp_path, base, {".buildkite/areas/spec.yaml": MIRRORED_AREA})
    losses = [f for f in report.findings if f.kind in ("narrowed", "silently-dropped", "removed")]
    assert losses == [], losses
    # Without the AMD pipeline's job the mirror's run is lost for real.
    report = make(tmp_path / "alone", {**base, ".buildkite/test-amd.yaml": "steps: []\n"}, {".buildkite/areas/spec.yaml": MIRRORED_AREA})
    assert [f.kind for f in report.findings if f.kind in ("narrowed", "silently-dropped", "removed")] == ["narrowed"]


def test_a_mirror_moved_onto_machines_the_amd_pipeline_already_covers_narrows_with_that_cause(tmp_path):
    # The mirror leaves mi325_1 for mi300_1, where test-amd.yaml already runs the same test:
    # nothing runs it on mi325_1 any more, and the move gains no new run.
    base = {".buildkite/ci_config.yaml": VLLM_CONFIG,
            ".buildkite/areas/spec.yaml": MIRRORED_AREA + "  mirror:\n    amd:\n      device: mi325_1\n",
            ".buildkite/test-amd.yaml": AMD_SAME_RUN.replace("mi325_1", "mi300_1"),
            "tests/test_spec.py": "def test_a():\n    pass\n"}
    report = make(tmp_path, base, {".buildkite/areas/spec.yaml": MIRRORED_AREA + "  mirror:\n    amd:\n      device: mi300_1\n"})
    (lost,) = [f for f in report.findings if f.kind in ("narrowed", "silently-dropped", "removed")]
    assert lost.kind == "narrowed"
    assert "now runs on amd_mi300_1 instead of amd_mi325_1" in lost.reason.text
    assert dict(lost.details)["cause"] == "job(s) moved to machines that already ran them: amd_mi325_1 -> amd_mi300_1"


def test_a_test_directory_moved_with_its_command_updated_is_changed(tmp_path):
    """`git mv tests/rpc tests/serve/rpc` and the job's command follows it: an edit, not a
    dropped test (the old path no longer exists, the new command names where it went)."""
    base = _steps(_step("rpc", "gpu", "pytest -v tests/rpc"), _step("rpc amd", "amd", "pytest -v tests/rpc"))
    head = base.replace("tests/rpc", "tests/serve/rpc")
    report = make(tmp_path, {".buildkite/pipeline.yml": base, "tests/rpc/test_r.py": ""},
                  {".buildkite/pipeline.yml": head, "tests/rpc/test_r.py": None, "tests/serve/rpc/test_r.py": ""})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)


def test_disjoint_marker_groups_do_not_cover_each_other(tmp_path):
    """`-m 'split(group=0) and not core'` replaced on its queue by `-m core` runs and another
    group: `split(group=0)` is its own term, and the group-0 runs are lost there."""
    g0 = "pytest -v tests/gen/test_common.py -m 'split(group=0) and not core'"
    base = _steps(_step("gen", "gpu", g0), _step("gen amd", "amd", g0),
                  _step("gen amd 1", "amd", "pytest -v tests/gen/test_common.py -m 'split(group=1) and not core'"))
    head = base.replace(_step("gen amd", "amd", g0), _step("gen amd", "amd", "pytest -v tests/gen/test_common.py -m core"))
    report = make(tmp_path, {".buildkite/pipeline.yml": base, "tests/gen/test_common.py": ""}, {".buildkite/pipeline.yml": head})
    assert "narrowed" in kinds(report) and "moved" not in kinds(report), kinds(report)


LEGACY_XPU = """#!/bin/bash
set -ex
docker run --entrypoint="" -w /vllm-workspace -e "HF_TOKEN=${HF_TOKEN}" -e "MASK=${MASK}" img bash -c '
  set -e
  pytest -v tests/test_xpu.py
  python3 examples/gen.py --model tiny'
"""
NEW_XPU = """#!/bin/bash
docker run -w /vllm-workspace -e HF_TOKEN -e MASK img bash -c "$1"
"""


def test_a_variable_passed_through_as_name_or_as_its_own_value_is_one_variant(tmp_path):
    """A legacy job passed the agent's device mask as `-e "MASK=${MASK}"`, the job that
    stays passes it as `-e MASK`: both give the container what the agent has, so deleting
    the legacy job loses nothing.  A job that sets the mask itself is another variant."""
    files = {"ci/legacy.sh": LEGACY_XPU, "ci/xpu.sh": NEW_XPU, "tests/test_xpu.py": "", "examples/gen.py": ""}
    new = _step("xpu", "xpu", "bash ci/xpu.sh 'pytest -v tests/test_xpu.py && python3 examples/gen.py --model tiny'")
    base = {**files, ".buildkite/pipeline.yml": _steps(_step("legacy", "xpu", "bash ci/legacy.sh"), new)}
    report = make(tmp_path, base, {".buildkite/pipeline.yml": _steps(new)})
    assert not [f for f in report.findings if f.severity.value in ("error", "warning")], kinds(report)
    pinned = _step("legacy", "xpu", "bash ci/legacy.sh").replace("    command:", "    env: {MASK: '0'}\n    command:")
    base[".buildkite/pipeline.yml"] = _steps(pinned, new)  # the YAML sets MASK: that variant is lost
    assert set(kinds(make(tmp_path / "set", base, {".buildkite/pipeline.yml": _steps(new)}))) == {"narrowed"}
