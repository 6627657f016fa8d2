"""Paths that go on alike are one (issue 15's performance): after any statement that forked them,
not only after `if`/`case`.  `a || (fallback) || (fallback)`, `[[ .. ]] && x` on a value not
known statically, a function whose paths differ only in its locals, a loop whose passes differ
only in what the next pass overwrites.

Every case runs under real bash with stub runners (some under several exit-status schedules, see
`harness.run_under_bash`): no definite prediction may be one bash contradicts and no run bash
makes may be left out.  The specific assertions say which runs must be certain, which only
possible, and that the number of paths stays flat (the run records grow with the calls, not
with 2 to the power of the calls).  Cases where the paths really differ afterwards keep them."""

from __future__ import annotations

import pytest

from .harness import assert_sound

TREE = {"tests/test_a.py": ""}


def sound(script: str, statuses: dict[str, str] | None = None):
    files = {"ci/s.sh": script, **TREE}
    return assert_sound(_job(), files, statuses=statuses).comparison.outcome


def _job():
    from .helpers import job

    return job("bash -e ci/s.sh")


def runs_of(outcome, argv: str) -> list:
    return [r for r in outcome.runs if " ".join(r.argv) == argv]


def certain(outcome, argv: str) -> bool:
    return any(not r.assumptions for r in runs_of(outcome, argv))


def possible(outcome, argv: str) -> bool:
    found = runs_of(outcome, argv)
    return bool(found) and all(r.assumptions for r in found)


def capped(outcome) -> bool:
    return any(i.cut for i in outcome.incomplete)


# -- a retry helper: the command, then twice a reset and the command again ---------------------------
RETRY = """reset_tool() {
  toolctl kill && toolctl clean
  rm -rf "$HOME/.cache/toolctl"
}
retry() {
  "$@" || (sleep 0 && reset_tool && "$@") || (sleep 0 && reset_tool && "$@")
}
for target in t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12; do
  retry pytest "tests/$target"
done
pytest after
"""


# pytest always succeeds; fails once then succeeds; fails twice on the third call; mixed
@pytest.mark.parametrize("schedule", ("0", "1 0", "0 0 1 1 0", "0 1 0 1 1 0 0"))
def test_a_retry_helper_keeps_one_path_per_call(schedule):
    out = sound(RETRY, {"pytest": schedule})
    for i in range(1, 13):
        assert certain(out, f"pytest tests/t{i}")  # the first attempt always runs
        assert len(runs_of(out, f"pytest tests/t{i}")) == 3  # and twice more as a fallback
    assert possible(out, "toolctl kill") and possible(out, "toolctl clean")
    assert certain(out, "pytest after")
    assert len(out.runs) == 12 * 7 + 1 and not capped(out)


# -- `[[ .. ]] && x` on a value not known statically, in a loop ------------------------------------------
AND_IN_A_LOOP = """for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
  [[ "$(uname)" == Darwin ]] && pytest "mac-$i"
  pytest "step-$i"
done
pytest after
"""


def test_an_and_on_an_unknown_value_joins_after_the_next_statement():
    out = sound(AND_IN_A_LOOP)
    for i in range(1, 15):
        assert possible(out, f"pytest mac-{i}")
        assert runs_of(out, f"pytest step-{i}")
    assert certain(out, "pytest after")
    # two paths for one statement, then one again: 14 passes make 3 records each, not 2**14 paths
    assert len(out.runs) == 14 * 3 + 1 and not capped(out)


# -- a fallback that differs only in a function's locals ------------------------------------------------------
LOCAL_FALLBACK = """install() {
  local tries=0
  pip install "pkg-$1" || { tries=1; pytest "fallback-$1"; }
}
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  install "$i"
  pytest "after-$i"
done
"""


@pytest.mark.parametrize("schedule", ("0", "1", "0 1 1 0"))
def test_paths_that_differ_only_in_locals_are_one_after_the_call(schedule):
    out = sound(LOCAL_FALLBACK, {"pip": schedule})
    for i in range(1, 13):
        assert possible(out, f"pytest fallback-{i}")
        assert certain(out, f"pytest after-{i}") and len(runs_of(out, f"pytest after-{i}")) == 1
    assert not capped(out)


# -- a loop with `continue` and a polling `while`, inside a function with locals ----------------------------
TIDY = """tidy() {
  if [[ "$(uname)" != Linux ]]; then
    return
  fi
  local lib
  for lib in a b c d e; do
    local path="/opt/vendor/lib/$lib.so"
    if [[ ! -f "$path" ]]; then
      continue
    fi
    local removed=0
    while pip uninstall -y "$lib"; do
      removed=1
    done
    if [[ "$removed" == 1 ]]; then
      pytest "relink-$lib"
    fi
  done
}
tidy
pytest one
tidy
pytest two
"""


def test_a_function_whose_paths_differ_only_inside_it_leaves_one_path():
    out = sound(TIDY, {"pip": "1"})
    assert possible(out, "pytest relink-a")
    assert certain(out, "pytest one") and len(runs_of(out, "pytest one")) == 1
    assert certain(out, "pytest two") and len(runs_of(out, "pytest two")) == 1


# -- paths that really differ afterwards stay apart ------------------------------------------------------
def test_paths_with_different_values_stay_apart():
    out = sound("""[[ "$(uname)" == Darwin ]] && MODE=mac || MODE=linux
pytest "run-$MODE"
pytest always
""")
    assert possible(out, "pytest run-mac") and possible(out, "pytest run-linux")
    assert not certain(out, "pytest run-linux")  # bash runs it here, but only because uname says Linux


def test_a_fallback_that_leaves_a_value_behind_stays_apart():
    script = """MODE=fast
pip install accel || { pytest fallback; MODE=slow; }
pytest "run-$MODE"
"""
    out = sound(script, {"pip": "0"})
    assert certain(out, "pytest run-fast") and possible(out, "pytest run-slow") and possible(out, "pytest fallback")


def test_three_outcomes_of_two_conditions_become_one_path():
    out = sound("""[[ "$(uname)" == Darwin ]] && [[ "$(uname -m)" == arm64 ]] && pytest apple-silicon
pytest next
pytest after
""")
    assert possible(out, "pytest apple-silicon")
    # `next` is recorded once per path (the status still tells them apart), `after` once, certain:
    # the paths cover Darwin-and-arm64, Darwin-and-not, and not Darwin
    assert len(runs_of(out, "pytest next")) == 3
    assert certain(out, "pytest after") and len(runs_of(out, "pytest after")) == 1


# -- a child script took a directory to exist on one of its paths -------------------------------------
def test_a_directory_one_path_of_a_child_took_to_exist_is_not_made_for_the_parent():
    """Both paths of the child end with status 0 and become one for the parent; the directory
    its `-d` took to exist on one of them must not be made on the joined path, or the parent's
    own test of it would be decided true where bash (no such directory) takes the other branch."""
    files = {
        "ci/s.sh": "touch marker\nbash ci/probe.sh\n"
                   "if [ -d gen/out ]; then pytest tests/with_gen; else pytest tests/without_gen; fi\n",
        "ci/probe.sh": "if [ -d gen/out ]; then echo found; fi\n",
        **TREE,
    }
    outcome = assert_sound(_job(), files).comparison.outcome
    assert possible(outcome, "pytest tests/without_gen")
    assert possible(outcome, "pytest tests/with_gen")
