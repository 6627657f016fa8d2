"""Script calls shared across the jobs of an open world (`shell/callmemo.py`): a replayed
call adds exactly what interpreting it adds, and a call whose state differs in what the
script looks at is interpreted again.  Every test compares each job's outcome through one
shared memo with its outcome interpreted alone (which tests/shell's bash-differential
tests pin), and checks that sharing happened where it can."""

from __future__ import annotations

from coverage_diff.ci import collect_jobs
from coverage_diff.config import Settings
from coverage_diff.engine.memo import AskedSnapshot
from coverage_diff.shell import CallMemo, interpret_job
from coverage_diff.snapshot import Snapshot


def pipeline(*commands: str) -> str:
    steps = "".join(f"  - label: job{i}\n    command: {command!r}\n" for i, command in enumerate(commands))
    return "steps:\n" + steps


def shared(files: dict[str, str], cheap: int = 0) -> tuple[list, CallMemo]:
    """Each job's outcome through one memo, checked against its outcome alone.  The
    scripts here take a few steps each: they are recorded as costlier ones are (`cheap`)."""
    snapshot = Snapshot.from_files("r", files)
    settings = Settings()
    jobs = collect_jobs(snapshot, settings).jobs
    memo = CallMemo(notebook=AskedSnapshot, cheap=cheap)
    outcomes = []
    for job in jobs:
        found = interpret_job(job, snapshot, settings, open_world=True, call_memo=memo)
        assert found == interpret_job(job, snapshot, settings, open_world=True), job.label
        outcomes.append(found)
    return outcomes, memo


def envs(outcome) -> list[tuple]:
    return [(run.argv[-1], run.env) for run in outcome.runs]


# An outer script that runs the inner one per config: the jobs differ in a prefix the
# outer one reads, as vLLM's PD sweep jobs do.
SWEEP = """\
sizes=("SIZE=1" "SIZE=2")
if [[ -n "${FAST:-}" ]]; then args="--fast"; else args=""; fi
for s in "${sizes[@]}"; do
  env $s bash ci/run.sh $args
done
"""


def test_calls_of_jobs_that_differ_in_a_name_the_callee_never_reads_are_replayed():
    run = 'pytest tests/test_a.py --size "$SIZE" "$@"\n'
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "OTHER=1 bash ci/sweep.sh"),
                             "ci/sweep.sh": SWEEP, "ci/run.sh": run})
    assert memo.replayed >= 4  # every call of run.sh in the second job (two configs, two paths)
    assert len(outcomes[0].runs) == len(outcomes[1].runs) == 4


def test_a_variable_assigned_before_it_is_read_depends_on_its_export_flag_only():
    # `MODE=""` keeps the caller's export flag: where MODE came from (a prefix here, the
    # open world's environment there) does not count, whether it is exported does.
    run = ('MODE=""\nif [[ "${1:-}" == --fast ]]; then MODE=fast; fi\npython tests/check.py\n'
           "bash -c 'pytest tests/test_a.py --mode \"$MODE\"'\n")
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "MODE=x bash ci/sweep.sh",
                                                                 "bash ci/unexported.sh"),
                             "ci/sweep.sh": 'if [[ -n "${MODE:-}" ]]; then :; fi\n: "${MODE:-}"\n' + SWEEP,
                             "ci/run.sh": run, "ci/unexported.sh": "MODE=1\nunset MODE\nbash ci/sweep.sh\n"})
    assert memo.replayed >= 1
    # with MODE exported, leaf.sh sees the value run.sh gave it; unset, it may see anything
    assert ("--mode", ()) not in envs(outcomes[0])
    known = {run.argv[-1] for o in outcomes for run in o.runs if run.argv[0] == "pytest"}
    assert "fast" in known


def test_a_variable_read_on_some_paths_only_is_compared_where_it_was_read():
    # LEVEL is unset in the first job (the environment may hold it) and set by the CI file's
    # prefix in the second (free in the open world): the calls with SIZE=1 never read it
    # and are shared, those with SIZE=2 read it and are not.
    run = 'if [[ "$SIZE" == 2 ]]; then\n  if [[ "${LEVEL:-}" == high ]]; then pytest tests/test_high.py; fi\nfi\npytest tests/test_a.py\n'
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "LEVEL=high bash ci/sweep.sh"),
                             "ci/sweep.sh": SWEEP, "ci/run.sh": run})
    assert memo.replayed == 2  # SIZE=1 on both paths of FAST
    assert "LEVEL" in outcomes[0].reads and "LEVEL" not in outcomes[1].reads


def test_a_known_value_set_along_the_chain_keeps_its_place_in_every_run_env():
    # run.sh never reads TAG, but a run lists the known values set by prefixes on its way.
    run = "pytest tests/test_a.py\n"
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/plain.sh", "bash ci/tagged.sh"),
                             "ci/sweep.sh": SWEEP, "ci/run.sh": run,
                             "ci/plain.sh": "bash ci/sweep.sh\n", "ci/tagged.sh": "TAG=v1 bash ci/sweep.sh\n"})
    assert all(dict(r.env).get("TAG") == "v1" for r in outcomes[1].runs)
    assert all("TAG" not in dict(r.env) for r in outcomes[0].runs)


def test_a_value_the_callee_reads_is_compared_even_where_no_run_env_shows_it():
    # X's value is not known in either job (so no run lists it), but run.sh passes it on.
    run = 'pytest tests/test_a.py --x "$X"\n'
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/a.sh", "bash ci/b.sh"),
                             "ci/run.sh": run, "ci/a.sh": "X=$(date) bash ci/run.sh\n",
                             "ci/b.sh": "X=$(hostname) bash ci/run.sh\n"})
    assert outcomes[0].runs[0].argv != outcomes[1].runs[0].argv


def test_reads_of_the_environment_are_counted_from_the_replaying_callers_variables():
    # FLAG is the job's env in the first job (run.sh's read of it is a read of the
    # environment) and the CI file's prefix in the second (not one): the same call.
    run = 'pytest tests/test_a.py --flag "$FLAG"\n'
    files = {".buildkite/pipeline.yml": "steps:\n  - label: env\n    env: {FLAG: x}\n    command: bash ci/run.sh\n"
                                        "  - label: prefix\n    command: FLAG=x bash ci/run.sh\n",
             "ci/run.sh": run}
    outcomes, memo = shared(files)
    assert memo.replayed == 1
    assert "FLAG" in outcomes[0].reads and "FLAG" not in outcomes[1].reads


def test_a_call_that_shows_every_exported_variable_needs_them_all_equal():
    # run.sh calls another script: the call records every exported variable it sees.
    run = "bash ci/leaf.sh\n"
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "EXTRA=1 bash ci/sweep.sh"),
                             "ci/sweep.sh": SWEEP, "ci/run.sh": run, "ci/leaf.sh": "pytest tests/test_a.py\n"})
    calls = [c for c in outcomes[1].scripts if c.path == "ci/leaf.sh"]
    assert calls and all("EXTRA" in c.unknown for c in calls)
    assert all("EXTRA" not in c.unknown for c in outcomes[0].scripts)


def test_a_loop_that_compares_passes_with_the_callers_value_is_not_shared_across_values():
    # A pass that leaves the loop head as it found it makes no progress: whether `N=3`
    # changes anything depends on the caller's N, which run.sh never reads.
    run = "while pgrep server; do N=3; pytest tests/test_a.py; done\npython tests/check.py\n"
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/three.sh", "bash ci/one.sh"),
                             "ci/run.sh": run, "ci/three.sh": "export N=3\nbash ci/run.sh\n",
                             "ci/one.sh": "export N=1\nbash ci/run.sh\n"})
    assert len(outcomes[0].runs) != len(outcomes[1].runs) or outcomes[0].incomplete != outcomes[1].incomplete


def test_each_run_env_is_made_again_for_a_caller_whose_chain_differs():
    # The second job's prefix puts MODE on the chain: run.sh's own MODE="" (exported, as
    # the caller's was) is then listed by every run, not only after run.sh reads it.
    run = 'MODE=""\npython tests/first.py\nif [[ -z "$MODE" ]]; then pytest tests/test_a.py; fi\n'
    outcomes, memo = shared({".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "MODE=x bash ci/sweep.sh"),
                             "ci/sweep.sh": 'if [[ -n "${MODE:-}" ]]; then :; fi\n' + SWEEP, "ci/run.sh": run})
    assert memo.replayed >= 4
    first = [dict(r.env) for o in outcomes for r in o.runs if r.argv[-1] == "tests/first.py"]
    assert any("MODE" not in env for env in first) and any(env.get("MODE") == "" for env in first)


def test_paths_that_differ_in_what_they_read_are_not_shared_with_a_caller_that_read_it_before():
    # The arms of a `case` go on as one only if they read the same exported names: where
    # the caller read V already, the arm that reads it again and the others are one.
    run = 'case "$(hostname)" in\n  gpu*) echo "$V" > /tmp/log ;;\n  *) echo none > /tmp/log ;;\nesac\npytest tests/test_a.py\n'
    files = {".buildkite/pipeline.yml": "steps:\n  - label: unset\n    command: bash ci/outer.sh\n"
                                        "  - label: env\n    env: {V: x}\n    command: bash ci/outer.sh\n",
             "ci/outer.sh": 'if [[ -n "${V:-}" ]]; then bash ci/run.sh; fi\n', "ci/run.sh": run}
    outcomes, memo = shared(files)
    assert len(outcomes[0].runs) != len(outcomes[1].runs)


# A script that loops long enough to cost more than the memo's default `cheap` steps.
LONG = f"for i in {' '.join(map(str, range(CallMemo().cheap)))}; do : \"$i\"; done\n"


def test_a_script_whose_first_call_was_cheap_is_interpreted_at_its_other_calls():
    # Recording a call of a few steps costs more than interpreting it again: after run.sh's
    # first call (recorded, a few steps) no other call is recorded or replayed.
    files = {".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "OTHER=1 bash ci/sweep.sh"),
             "ci/sweep.sh": SWEEP, "ci/run.sh": 'pytest tests/test_a.py --size "$SIZE" "$@"\n'}
    outcomes, memo = shared(files, cheap=CallMemo().cheap)
    assert memo.recorded == 2 and memo.replayed == 0  # sweep.sh (costly: it calls run.sh four times), run.sh once
    assert len(outcomes[0].runs) == len(outcomes[1].runs) == 4


def test_a_script_that_costs_more_than_cheap_is_shared():
    files = {".buildkite/pipeline.yml": pipeline("bash ci/sweep.sh", "OTHER=1 bash ci/sweep.sh"),
             "ci/sweep.sh": SWEEP, "ci/run.sh": LONG + 'pytest tests/test_a.py --size "$SIZE" "$@"\n'}
    outcomes, memo = shared(files, cheap=CallMemo().cheap)
    assert memo.replayed >= 4


def test_a_cheap_script_that_turns_costly_is_recorded_again():
    # run.sh's first call takes the short way (recorded: nothing was known of run.sh) and
    # the second the long way (interpreted, as the script looked cheap): that tells the memo
    # that the script is worth recording again.  The third call is recorded, the fourth replays it.
    run = 'if [[ "${1:-}" == long ]]; then\n' + LONG + 'fi\npytest tests/test_a.py --size "$SIZE"\n'
    files = {".buildkite/pipeline.yml": pipeline("bash ci/run.sh short", "bash ci/run.sh long", "bash ci/run.sh long",
                                                 "X=1 bash ci/run.sh long"),
             "ci/run.sh": run}
    outcomes, memo = shared(files, cheap=CallMemo().cheap)
    assert memo.recorded == 2 and memo.replayed == 1


def test_a_tracked_variable_notes_each_part_at_its_first_read_and_a_nested_recording_notes_its_own():
    from coverage_diff.shell.callmemo import Watch, plain, tracked
    from coverage_diff.shell.state import Var
    from coverage_diff.shell.values import Val

    class Counting(Watch):
        __slots__ = ("looks",)

        def look(self, name, part):
            self.looks.append((name, part))
            super().look(name, part)

    var = Var({0: Val("1")}, exported=True)
    outer = Counting({"X": var})
    outer.looks = []
    mine = tracked(var, "X", outer)
    assert mine.exported and mine.exported and mine.items == {0: Val("1")}
    assert outer.looks == [("X", "exported"), ("X", "items")]
    # a call recorded inside: its variable starts from the outer one's parts, read by neither so far
    inner = Counting({"X": plain(mine)})
    inner.looks = []
    nested = tracked(mine, "X", inner)
    assert nested.exported and not nested.assoc
    assert inner.looks == [("X", "exported"), ("X", "assoc")]
    assert outer.looks == [("X", "exported"), ("X", "items")]
    assert plain(nested) == var


def test_what_no_caller_replayed_is_dropped_once_a_call_misses_it():
    # run.sh reads V: the second job's call does not fit the first one's recording, and no
    # call has replayed it, so the key is recorded no more and the recording is dropped
    # (the third job, equal to the first, interprets its call); a recording that was
    # replayed stays (in "aaba", the second call replays the first, the third is recorded too
    # and the fourth replays the first).
    run = LONG + 'pytest tests/test_a.py --v "$V"\n'
    dropped, memo = shared({".buildkite/pipeline.yml": pipeline(*(f"V={v}; export V; bash ci/run.sh" for v in "aba")),
                            "ci/run.sh": run}, cheap=CallMemo().cheap)
    assert (memo.recorded, memo.replayed, memo.count) == (1, 0, 0)
    kept, memo = shared({".buildkite/pipeline.yml": pipeline(*(f"V={v}; export V; bash ci/run.sh" for v in "aaba")),
                         "ci/run.sh": run}, cheap=CallMemo().cheap)
    assert (memo.recorded, memo.replayed, memo.count) == (2, 2, 2)
    assert [o.runs[-1].argv[-1] for o in dropped] == ["a", "b", "a"]
