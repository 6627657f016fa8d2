"""Constructs the real-script survey (docs/shell-survey.md) showed to matter, each checked against bash."""

from __future__ import annotations

import pytest

from .harness import assert_agrees_with_bash
from .helpers import argvs, interpret, job


def agree(script: str, env: dict[str, str] | None = None, extra: dict[str, str] | None = None, command: str = "bash ci/s.sh"):
    files = {"ci/s.sh": script, "tests/test_a.py": "", "tests/unit/test_b.py": "", **(extra or {})}
    return assert_agrees_with_bash(job(command, env=env or {}), files).outcome


def test_set_u_ends_the_script_at_an_unset_variable():
    script = 'set -u\npytest before "${OK:-d}" "${X-}" "${X:+alt}"\necho "$UNSET_THING"\npytest after\n'
    assert argvs(agree(script)) == ["pytest before d  "]
    assert argvs(agree(script, env={"UNSET_THING": "1"})) == ["pytest before d  ", "pytest after"]


def test_set_u_forms_that_do_not_stop():
    script = """set -uo pipefail
arr=()
pytest "${#arr[@]}" "${arr[@]}" "$#" "$@" "${@}" "${1:-none}"
r=$(echo "$MISSING")  # ends only the substitution
f() { pytest in-f "$1"; }
f x
pytest "${unset_arr[5]:-dflt}"
echo "$1"
pytest never
"""
    assert argvs(agree(script)) == ["pytest 0 0 none", "pytest in-f x", "pytest dflt"]


def test_set_u_in_the_open_world_does_not_decide():
    out = interpret({"ci/s.sh": 'set -u\nif [[ -n "$MAYBE" ]]; then pytest set; fi\npytest end\n'}, "bash ci/s.sh", open_world=True)
    assert sorted(argvs(out)) == ["pytest end", "pytest end", "pytest set"]


def test_set_u_is_not_inherited_by_child_scripts_but_bash_u_sets_it():
    extra = {"ci/child.sh": 'pytest child "$NOPE"\n'}
    assert argvs(agree("set -u\nbash ci/child.sh\n", extra=extra)) == ["pytest child "]
    assert argvs(agree("bash -u ci/child.sh; pytest after\n", extra=extra)) == ["pytest after"]


def test_pipefail_with_set_e():
    script = "set -e\nfalse | cat\npytest runs\nset -o pipefail\nif false | true; then pytest no; else pytest yes; fi\n" \
             "true | false || pytest caught\nfalse | cat\npytest never\n"
    assert argvs(agree(script)) == ["pytest runs", "pytest yes", "pytest caught"]


def test_pipeline_output_reaches_command_substitution():
    script = """A=$(echo hi | cat)
B=$( (echo sub; echo two) )
C=$(printf '%s\\n' x y | while read -r l; do echo "[$l]"; done)
pytest "$A" "$B" "$C"
"""
    assert argvs(agree(script)) == ["pytest hi sub\ntwo [x]\n[y]"]


def test_arithmetic_short_circuits():
    script = """i=0; z=0
j=$(( 0 && i++ )); k=$(( 1 || i++ )); l=$(( z ? 10 / z : i++ )); m=$(( 1 ? 5 : i / z ))
(( 0 && (i = 9) )) || pytest skipped
[[ -n x || $((i++)) -gt 0 ]] && pytest or-skips
pytest "$i" "$j" "$k" "$l" "$m" $(( 0 && 1 / 0 )) $(( 2 || 1, 3 ))
"""
    assert argvs(agree(script)) == ["pytest skipped", "pytest or-skips", "pytest 1 0 1 0 5 0 3"]


def test_sh_script_with_bashisms_is_followed_with_a_caveat():
    extra = {"ci/child.sh": 'arr=(a b)\nfor x in "${arr[@]}"; do pytest "$x"; done\n', "ci/posix.sh": 'pytest "$1"\n'}
    out = interpret({"ci/s.sh": "", **extra}, "sh ci/child.sh", "sh ci/posix.sh one")
    assert argvs(out) == ["pytest a", "pytest b", "pytest one"]
    (caveat,) = out.incomplete
    assert "ci/child.sh is run with sh" in caveat.reason and "arrays" in caveat.reason


GETOPTS = """while getopts "c:t:v" OPT; do
  case ${OPT} in
    c ) CONFIG="$OPTARG" ;;
    t ) TP="$OPTARG" ;;
    v ) V=1 ;;
    \\? ) pytest bad-option; exit 1 ;;
  esac
done
shift $((OPTIND - 1))
pytest "${CONFIG:-none}" "${TP:-none}" "${V:-0}" "$@"
"""


@pytest.mark.parametrize("args", ["", "-c cfg.txt -t 2 rest", "-vt4 -ccfg -- -x", "-v -q", "-c", "plain -v"])
def test_getopts_follows_known_arguments(args):
    out = agree(GETOPTS, command=f"bash ci/s.sh {args}".strip())
    assert not out.incomplete and all(not r.assumptions for r in out.runs)


def test_getopts_silent_mode_and_read_of_a_repository_file():
    script = """while getopts ":c:" o; do case $o in c) CONFIG=$OPTARG ;; :) pytest missing "$OPTARG" ;; *) pytest unknown "$OPTARG" ;; esac; done
IFS=$'\\n' read -d '' -r -a MODELS < "${CONFIG:-ci/models.txt}"
for m in "${MODELS[@]}"; do pytest "--model=$m"; done
"""
    extra = {"ci/models.txt": "small.yaml\nlarge.yaml\n"}
    out = agree(script, extra=extra, command="bash ci/s.sh -x -c ci/models.txt")
    assert argvs(out) == ["pytest unknown x", "pytest --model=small.yaml", "pytest --model=large.yaml"]
    assert argvs(agree(script, extra=extra, command="bash ci/s.sh -c"))[0] == "pytest missing c"


def test_printf_v_assigns():
    out = agree("printf -v X '%s-%d' abc 5\nprintf -v 'Y' '%05d' 42\nprintf -- '%s\\n' skip\npytest \"$X\" \"$Y\"\n")
    assert argvs(out) == ["pytest abc-5 00042"] and not out.incomplete


def test_empty_backticks_parse_as_an_empty_substitution():
    script = 'usage() {\n    echo``\n    echo "usage: $0"\n}\npytest "a``b" x``\n'
    out = agree(script)
    assert argvs(out) == ["pytest ab x"] and not out.diagnostics


def test_c_for_on_an_unknown_bound_forgets_what_it_built():
    """spec_decode_acceptance_test.sh counts GPUs with an unknown loop bound, then exits when too few:
    the runs after it depend on the count; they must not be certainly dropped."""
    script = 'num=$(nproc)\nALL=()\nfor (( g=0; g<num; g++ )); do ALL+=($g); done\n' \
             'if [[ ${#ALL[@]} -lt 2 ]]; then exit 1; fi\npytest "gpus=${#ALL[@]}"\n'
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh")
    assert argvs(out) and all(r.assumptions for r in out.runs)
    assert any("unknown after it" in i.reason and i.location.line == 3 for i in out.incomplete)
    known = agree('num=3\nALL=()\nfor (( g=0; g<num; g++ )); do ALL+=($g); done\npytest "${ALL[@]}" "$g"\n')
    assert argvs(known) == ["pytest 0 1 2 3"]


def test_empty_quoted_argument_is_an_argument():
    """tp_config_sweep_accuracy_test.sh calls `run_tests "default backend" ""` under set -u: `$2` must be set."""
    script = 'set -u\nrun_tests() { local label=$1; local extra=$2; pytest "$label" ${extra} "$#"; }\n' \
             'run_tests "default backend" ""\npytest "" a""b "$@" ""\n'
    assert argvs(agree(script)) == ["pytest default backend 2", "pytest  ab "]
