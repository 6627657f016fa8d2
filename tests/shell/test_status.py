"""Exit statuses no one knows, and values bash sets itself (issue 14): `while tool` / `until
tool`, fallbacks that only set a variable, `$0` of `bash -c` with an unknown first word, OSTYPE
and the other variables bash sets, and a subshell closed right before `done`.

Every case runs under real bash with stub runners, several times: the stubs succeed, fail, or
fail after some calls (harness `statuses`).  Under each, no definite prediction may be one
bash contradicts and no run bash makes may be left out; the specific assertions say which runs
must be certain and which only possible.  Definite runs rest on external commands succeeding
(as everywhere: `pip install x` under `set -e`), except a loop's own condition, which must end
it some time: a schedule where a command the job needs never succeeds is outside that."""

from __future__ import annotations

import itertools

import pytest

from coverage_diff.config import Settings

from .harness import assert_agrees_with_bash, assert_sound, run_under_bash
from .helpers import argvs, interpret, job

TREE = {"tests/test_a.py": "", "ci/ok.sh": "pytest from-script\n"}
# Status schedules for one program: always succeeds, fails at once, fails on its 2nd or 4th call,
# fails twice and then succeeds.
SCHEDULES = ("0", "1", "0 1", "0 0 0 1", "1 1 0")


def sound(script: str, statuses: dict[str, str] | None = None, errexit: bool = True):
    files = {"ci/s.sh": script, **TREE}
    return assert_sound(job("bash -e ci/s.sh" if errexit else "bash ci/s.sh"), files, statuses=statuses).comparison.outcome


def possible(outcome, argv: str) -> bool:
    return any(" ".join(r.argv) == argv and r.assumptions for r in outcome.runs)


def certain(outcome, argv: str) -> bool:
    return any(" ".join(r.argv) == argv and not r.assumptions for r in outcome.runs)


# -- while / until on an external command ------------------------------------------------------
WHILE = """while pytest probe; do
  pytest body
  n=$((n + 1))
done
pytest after "${n:-0}"
"""
UNTIL = """until curl -sf http://localhost:8000/health; do
  sleep 1
  tries=$((tries + 1))
  pytest waiting
done
pytest after "${tries:-0}"
"""


@pytest.mark.parametrize("schedule", [s for s in SCHEDULES if s.split()[-1] == "1"])
def test_while_on_a_tool_runs_its_body_as_possible(schedule):
    out = sound(WHILE, {"pytest": schedule})
    assert certain(out, "pytest probe") and possible(out, "pytest body")
    after = [r for r in out.runs if r.argv[:2] == ("pytest", "after")]
    assert after and all(not r.assumptions for r in after)  # the loop ends: what follows is certain
    assert all(not r.argv[2].isdigit() for r in after)  # how often it ran is not known


@pytest.mark.parametrize("schedule", [s for s in SCHEDULES if s.split()[-1] == "0"])
def test_until_a_server_answers(schedule):
    out = sound(UNTIL, {"curl": schedule})
    assert possible(out, "pytest waiting")
    assert any(r.argv[:2] == ("pytest", "after") and not r.assumptions for r in out.runs)


def test_until_with_a_counter_and_a_give_up_branch():
    script = """n=0
until pip download x; do
  n=$((n + 1))
  if [ "$n" -ge 3 ]; then pytest gave-up; exit 1; fi
done
pytest got-it
"""
    for schedule in ("0", "1 0", "1 1 0"):
        out = sound(script, {"pip": schedule})
        assert certain(out, "pytest got-it") and possible(out, "pytest gave-up")
    # pip never succeeding is outside what definite runs rest on (an external command's success,
    # as after any command under `set -e`): bash then gives up, and that run was kept possible
    # (run directly, not as a comparison: it is no prediction the suite's measure counts)
    logged, status, _, _ = run_under_bash(job("bash -e ci/s.sh"), {"ci/s.sh": script, **TREE}, Settings(), {"pytest"},
                                          statuses={"pip": "1"})
    assert [argv for argv, _, _ in logged] == [("pytest", "gave-up")] and status == 1
    assert possible(out, "pytest gave-up")


def test_a_while_on_a_builtin_stays_exact():
    out = assert_agrees_with_bash(job("bash -e ci/s.sh"), {"ci/s.sh": """i=0
while [ "$i" -lt 3 ]; do pytest "pass-$i"; i=$((i + 1)); done
while true; do pytest once; break; done
until [ "$i" -eq 0 ]; do i=$((i - 1)); done
pytest "end-$i"
"""}).outcome
    assert argvs(out) == ["pytest pass-0", "pytest pass-1", "pytest pass-2", "pytest once", "pytest end-0"]


def test_loops_on_tools_in_a_row_do_not_multiply_paths():
    script = "".join(f"until curl -sf http://h/{i}; do sleep 1; k{i}=$((k{i} + 1)); done\n" for i in range(40))
    out = interpret({"ci/s.sh": script + "pytest end\n"}, "bash -e ci/s.sh")
    assert [" ".join(r.argv) for r in out.runs] == ["pytest end"] and not out.runs[0].assumptions
    assert not any(i.cut for i in out.incomplete)


# -- fallbacks that only set a variable -----------------------------------------------------------
FALLBACK = """pip install extra || NO_EXTRA=1
if [ -n "${NO_EXTRA:-}" ]; then pytest without-extra; else pytest with-extra; fi
pytest always
"""


@pytest.mark.parametrize("schedule", ("0", "1"))
def test_a_fallback_that_sets_a_variable_is_followed(schedule):
    out = sound(FALLBACK, {"pip": schedule})
    assert possible(out, "pytest without-extra") and possible(out, "pytest with-extra")
    assert certain(out, "pytest always")


SWEEP = """SUCCESS=0
for model in m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14 m15 m16 m17 m18 m19 m20; do
  LOCAL=0
  pytest -k "$model" || LOCAL=$?
  if [[ $LOCAL == 0 ]]; then echo "passed $model"; else echo "failed $model"; fi
  SUCCESS=$((SUCCESS + LOCAL))
done
if [ "$SUCCESS" -eq 0 ]; then pytest all-passed; else pytest some-failed; fi
"""


@pytest.mark.parametrize("schedule", ("0", "1", "0 0 0 1 0"))
def test_a_per_model_status_keeps_one_path_per_pass(schedule):
    out = sound(SWEEP, {"pytest": schedule}, errexit=False)
    for i in range(1, 21):
        assert certain(out, f"pytest -k m{i}")  # every model runs, whatever the others did
    assert possible(out, "pytest all-passed") and possible(out, "pytest some-failed")
    assert not any(i.cut for i in out.incomplete)  # no path cap: the paths join after each pass


# -- what bash sets itself, and $0 ------------------------------------------------------------------
def test_variables_bash_sets_are_unknown_not_unset():
    out = sound("""pytest "$OSTYPE" "$HOSTNAME" "$BASH_VERSION" "${MACHTYPE:-none}"
if [[ "$OSTYPE" == darwin* ]]; then pytest mac; else pytest not-mac; fi
if [ -n "${HOSTNAME:-}" ]; then pytest has-host; fi
OSTYPE=custom
pytest "os:$OSTYPE"
""")
    first = out.runs[0]
    assert first.argv[0] == "pytest" and first.argv[1] != "" and "none" not in first.argv
    assert possible(out, "pytest mac") and possible(out, "pytest not-mac") and possible(out, "pytest has-host")
    assert certain(out, "pytest os:custom")


def test_dollar_zero_of_bash_c():
    out = sound("""bash -c 'pytest "zero:$0" "one:$1"' "$(hostname)" arg
bash -c 'pytest "zero:$0"' named
bash -c 'pytest "zero:$0"'
""")
    assert certain(out, "pytest zero:named") and certain(out, "pytest zero:bash")
    # (the harness's `sh` is bash itself, so `sh -c` is checked here without it)
    assert argvs(interpret({"ci/s.sh": "sh -c 'pytest \"zero:$0\"'\n"}, "bash ci/s.sh")) == ["pytest zero:sh"]
    unknown_zero = [r for r in out.runs if r.argv[1].startswith("zero:") and len(r.argv) == 3]
    assert unknown_zero and unknown_zero[0].argv[1] != "zero:bash"


# -- `do ( .. ) done`: a subshell closed right before the keyword --------------------------------
@pytest.mark.parametrize("body,closer", list(itertools.product(
    ("(cd tests && pytest \"$i\")", "{ pytest \"$i\"; }", "echo a | (pytest \"$i\")", "(pytest a) && (pytest \"$i\")"),
    (" ", "  ", "\t"))))
def test_a_group_closed_right_before_done_parses(body, closer):
    script = f"for i in x y; do {body}{closer}done\nif true; then (pytest then){closer}else (pytest else){closer}fi\npytest end\n"
    out = assert_agrees_with_bash(job("bash -e ci/s.sh"), {"ci/s.sh": script, **TREE}).outcome
    assert not out.incomplete and not out.diagnostics and argvs(out)[-1] == "pytest end"


def test_a_repair_never_touches_text_inside_quotes():
    script = 'pytest ") done" \'} fi\'\nfor i in a; do (pytest "$i") done\n'
    out = assert_agrees_with_bash(job("bash -e ci/s.sh"), {"ci/s.sh": script}).outcome
    assert argvs(out) == ["pytest ) done } fi", "pytest a"]
