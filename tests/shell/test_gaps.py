"""The interpreter's last gaps (issue 3), each checked against bash where values are known:
globs against repository files, `while` on unknown and known input, arrays of scalar
config variables, commands inside `docker exec/run ... bash -c`, namerefs and `${x@Q}`."""

from __future__ import annotations

from .harness import assert_agrees_with_bash
from .helpers import argvs, interpret, job

TREE = {"tests/test_a.py": "", "tests/test_b.py": "", "tests/.hidden.py": "", "tests/unit/test_c.py": "",
        "tests/unit/deep/test_d.py": "", "tests/notes.txt": ""}


def agree(script: str, env: dict[str, str] | None = None, extra: dict[str, str] | None = None, command: str = "bash ci/s.sh"):
    files = {"ci/s.sh": script, **TREE, **(extra or {})}
    return assert_agrees_with_bash(job(command, env=env or {}), files).outcome


# -- globs -----------------------------------------------------------------------------------
def test_unquoted_globs_expand_against_repository_files():
    script = r"""for f in tests/test_*.py; do pytest "$f"; done
pytest tests/*.py ./tests/t*_[ab].py tests/*/ tests/*/*.py
pytest tests/\*.py "tests/*.py" tests/*.zz
cd tests
pytest *.py ../tests/unit/*.py .* /vllm-workspace/tests/*.txt
arr=(unit/*)
pytest "${arr[@]}"
"""
    out = agree(script)
    assert argvs(out)[:3] == ["pytest tests/test_a.py", "pytest tests/test_b.py", "pytest tests/test_a.py tests/test_b.py "
                              "tests/test_a.py tests/test_b.py tests/unit tests/unit/test_c.py"]
    assert argvs(out)[3] == "pytest tests/*.py tests/*.py tests/*.zz"  # escaped, quoted, no match: as written


def test_glob_options_nullglob_dotglob_globstar_noglob_failglob():
    script = """cd tests
shopt -s nullglob
pytest none*.zz end
shopt -s dotglob
pytest *
shopt -u nullglob dotglob
set -f
pytest *.py
set +f
shopt -s globstar
pytest **/*.py
shopt -s failglob
pytest *.qq
for x in *.qq; do pytest "$x"; done
pytest after
"""
    out = agree(script)
    assert "pytest end" in argvs(out) and "pytest *.py" in argvs(out) and argvs(out)[-1] == "pytest after"
    assert not any("qq" in a for a in argvs(out))


def test_glob_options_do_not_reach_child_scripts():
    out = agree("shopt -s nullglob\nbash ci/child.sh\n", extra={"ci/child.sh": "pytest tests/*.zz\n"})
    assert argvs(out) == ["pytest tests/*.zz"]


def test_glob_outside_the_repository_is_left_as_written_with_a_note():
    out = interpret({"ci/s.sh": "pytest /opt/models/*.bin\n"}, "bash ci/s.sh")
    assert argvs(out) == ["pytest /opt/models/*.bin"]
    assert any("outside the repository" in i.reason for i in out.incomplete)


# -- while loops ------------------------------------------------------------------------------
def test_while_read_over_known_input_iterates_every_line():
    script = """n=0
while read -r model tp; do n=$((n + 1)); pytest "--model=$model" "--tp=${tp:-1}"; done < ci/models.txt
while IFS=, read -r a b; do pytest "$a" "$b"; done <<< "x,y"
while read -r line; do pytest "here:$line"; done <<EOF
one
two words
EOF
cat ci/models.txt | while read -r m _; do pytest "piped:$m"; done
pytest "count=$n"
"""
    out = agree(script, extra={"ci/models.txt": "llama 2\nqwen\n"})
    assert argvs(out) == ["pytest --model=llama --tp=2", "pytest --model=qwen --tp=1", "pytest x y", "pytest here:one",
                          "pytest here:two words", "pytest piped:llama", "pytest piped:qwen", "pytest count=2"]


def test_while_read_on_unknown_input_forgets_what_the_body_wrote():
    script = """n=0
ok=no
while read -r line; do n=$((n + 1)); ok=yes; pytest "line"; done < /tmp/list.txt
if [[ $n -eq 0 ]]; then exit 0; fi
pytest "after" "$ok"
"""
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh")
    assert "pytest line" in argvs(out)
    after = [r for r in out.runs if r.argv[:2] == ("pytest", "after")]
    assert after and all(r.assumptions for r in after)  # conditional on how many lines there are, never certain
    assert all(not r.argv[2].startswith(("yes", "no")) for r in after)  # `ok` is unknown after the loop
    assert any("unknown after it" in i.reason and i.location.line == 3 for i in out.incomplete)


def test_polling_loop_with_an_unknown_break_is_followed_once():
    script = """tries=0
while true; do
  tries=$((tries + 1))
  if grep -q ready /tmp/state; then break; fi
  sleep 1
done
pytest "after-$tries"
"""
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh")
    assert len(out.runs) <= 2 and all(r.assumptions for r in out.runs)
    assert all(r.argv[1] != "after-1" for r in out.runs)  # tries is unknown, not exactly 1
    known = agree("i=0\nwhile true; do i=$((i+1)); [[ $i -ge 3 ]] && break; done\nuntil [[ $i -eq 0 ]]; do i=$((i-1)); "
                  "pytest \"$i\"; done\n")
    assert argvs(known) == ["pytest 2", "pytest 1", "pytest 0"]


def test_known_while_loop_with_an_unrelated_fork_stays_exact():
    script = 'i=0\nwhile [[ $i -lt 3 ]]; do if [[ -n "$X" ]]; then pytest x; fi; i=$((i+1)); done\npytest "i=$i"\n'
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh", open_world=True)
    assert {r.argv[1] for r in out.runs if r.argv[1].startswith("i=")} == {"i=3"}


# -- config entries held in scalar variables --------------------------------------------------
SPEC_SWEEP = """#!/usr/bin/env bash
set -euo pipefail
SCRIPT="ci/child.sh"
eagle3_config="SD_METHOD=eagle3 MODEL_NAME=llama NUM_SPEC_TOKENS=3"
mtp_config='SD_METHOD=mtp MODEL_NAME=qwen'
not_config="$HOME/x"
configs=(
  "$eagle3_config"
  "${mtp_config}"
)
for cfg in "${configs[@]}"; do
  read -r -a parts <<< "$cfg"
  env "${parts[@]}" bash "${SCRIPT}" "$not_config"
done
"""


def test_array_of_scalar_config_variables_defines_entries_at_their_assignments():
    from coverage_diff.config import Settings
    from coverage_diff.shell import script_definitions
    from coverage_diff.snapshot import Snapshot

    files = {"ci/s.sh": SPEC_SWEEP, "ci/child.sh": 'pytest "$MODEL_NAME" "$SD_METHOD"\n'}
    out = agree(SPEC_SWEEP, extra=files)
    assert argvs(out) == ["pytest llama eagle3", "pytest qwen mtp"]
    assert [(r.entry.location.line, r.entry.array) for r in out.runs] == [(4, "configs"), (5, "configs")]
    defined = script_definitions("ci/s.sh", Snapshot.from_files("t", files), Settings()).entries
    assert [(e.text, e.location.line) for e in defined] == [
        ("SD_METHOD=eagle3 MODEL_NAME=llama NUM_SPEC_TOKENS=3", 4), ("SD_METHOD=mtp MODEL_NAME=qwen", 5)]
    assert {e.identity for e in defined} == {r.entry.identity for r in out.runs}


# -- commands inside containers ---------------------------------------------------------------
# A stand-in for docker in the bash run: it runs the command on the host with only the
# container's environment, from the container's working directory (workspace paths are
# rewritten to the checkout by the harness).
FAKE_DOCKER = r"""#!/bin/bash
verb=$1; shift
envs=(); wd=""
while [[ $# -gt 0 && $1 == -* ]]; do
  case $1 in
    -e|--env) if [[ $2 == *=* ]]; then envs+=("$2"); elif [[ -n ${!2+x} ]]; then envs+=("$2=${!2}"); fi; shift 2 ;;
    -w|--workdir) wd=$2; shift 2 ;;
    --workdir=*) wd=${1#*=}; shift ;;
    --name|-v|--entrypoint|--shm-size) shift 2 ;;
    *) shift ;;
  esac
done
shift
cd "$wd"
exec env -i PATH="$PATH" HOME="$HOME" __COVERAGE_DIFF_SHIM_LOG="$__COVERAGE_DIFF_SHIM_LOG" "${envs[@]}" "$@"
"""

CONTAINER_SCRIPT = """set -e
export HOST_ONLY=1
export TOKEN=abc
docker exec -it -w /vllm-workspace/tests -e MODE=fast -e TOKEN cpu-test bash -c "
  set -e
  pytest -v unit/test_c.py --mode \\$MODE \\${HOST_ONLY:-none} \\$TOKEN
  cd unit && pytest test_*.py"
docker run --rm --workdir=/vllm-workspace --env LEVEL=2 --shm-size 4g image:tag sh -c 'pytest tests/test_a.py -l "$LEVEL"'
docker run --rm -w /vllm-workspace/tests image:tag pytest test_b.py
"""


def test_docker_exec_and_run_commands_are_followed_inside_the_container():
    extra = {"ci/fakebin/docker": FAKE_DOCKER}
    out = agree(CONTAINER_SCRIPT, extra=extra, command='PATH="$PWD/ci/fakebin:$PATH" bash ci/s.sh')
    assert argvs(out) == ["pytest -v tests/unit/test_c.py --mode fast none abc", "pytest tests/unit/test_c.py",
                          "pytest tests/test_a.py -l 2", "pytest tests/test_b.py"]
    first = out.runs[0]
    assert first.cwd == "tests" and dict(first.env) == {"MODE": "fast", "TOKEN": "abc"}


def test_docker_exec_into_a_named_container_keeps_its_run_environment_and_exported_functions():
    script = """docker run -itd --entrypoint /bin/bash -e E2E=4 -w /vllm-workspace --name cpu-test-1 img
run_tests() {
  docker exec cpu-test-"$1" bash -c 'pytest tests/test_a.py --threads "$E2E"'
}
export -f run_tests
timeout 1.5h bash -c "run_tests 1"
docker exec other bash -c 'pytest x'
"""
    out = interpret({"ci/s.sh": script, **TREE}, "bash ci/s.sh")
    assert argvs(out) == ["pytest tests/test_a.py --threads 4", "pytest x"]
    assert dict(out.runs[0].env) == {"E2E": "4"}
    assert any("working directory not given" in i.reason and i.location.line == 7 for i in out.incomplete)


AGENT_PASS = """set -e
export SET_HERE=1
unset CLEARED
docker run --rm -w /vllm-workspace -e "MASK=${MASK}" -e "SET_HERE=${SET_HERE}" -e "CLEARED=${CLEARED}" \\
  -e "EMPTY=" img bash -c 'pytest tests/test_a.py'
docker run --rm -w /vllm-workspace -e MASK img bash -c 'pytest tests/test_b.py'
"""


def test_docker_passing_a_variable_nothing_sets_passes_the_agents_unknown_value():
    """`-e "MASK=${MASK}"` of a variable no job or script sets passes what the agent gives
    (a device mask, a token): not known, so not part of the run's environment, as for a bare
    `-e MASK`.  Values the script sets or unsets, or the YAML gives, stay what bash passes."""
    out = agree(AGENT_PASS, extra={"ci/fakebin/docker": FAKE_DOCKER}, command='PATH="$PWD/ci/fakebin:$PATH" bash ci/s.sh')
    assert argvs(out) == ["pytest tests/test_a.py", "pytest tests/test_b.py"]
    assert dict(out.runs[0].env) == {"SET_HERE": "1", "CLEARED": "", "EMPTY": ""} and out.runs[1].env == ()
    out = agree(AGENT_PASS, env={"MASK": "0.1"}, extra={"ci/fakebin/docker": FAKE_DOCKER},
                command='PATH="$PWD/ci/fakebin:$PATH" bash ci/s.sh')
    assert dict(out.runs[0].env)["MASK"] == "0.1" and dict(out.runs[1].env) == {"MASK": "0.1"}
    token = 'docker run --rm -w /vllm-workspace -e "HF_TOKEN=${HF_TOKEN}" img bash -c \'[ -n "$HF_TOKEN" ] && pytest tests/test_a.py\'\n'
    out = interpret({"ci/s.sh": token, **TREE}, "bash ci/s.sh")  # an agent secret: set, to a value not known
    assert argvs(out) == ["pytest tests/test_a.py"] and out.runs[0].conditional and not out.incomplete


# -- namerefs and transformations -------------------------------------------------------------
def test_namerefs_in_array_helper_functions():
    script = """append_configs() {
  local -n out=$1
  shift
  out+=("$@")
}
split_into() {
  local -n parts_ref=$2
  read -r -a parts_ref <<< "$1"
  parts_ref[0]="first=${parts_ref[0]}"
}
configs=("MODEL=a TP=1")
append_configs configs "MODEL=b TP=2" "MODEL=c"
for cfg in "${configs[@]}"; do
  split_into "$cfg" parts
  pytest "${#parts[@]}" "${parts[@]}"
done
declare -n alias=configs
alias[0]=changed
unset alias[1]
pytest "${configs[@]}" "${#alias[@]}"
out=global
pytest "$out"
unset -n alias
pytest "${alias:-no-alias}" "${#configs[@]}"
"""
    assert argvs(agree(script)) == ["pytest 2 first=MODEL=a TP=1", "pytest 2 first=MODEL=b TP=2", "pytest 1 first=MODEL=c",
                                    "pytest changed MODEL=c 2", "pytest global", "pytest no-alias 2"]


def test_at_transformations_of_known_values():
    script = r"""x="it's a"; e=""; t=$'tab\there'; w='a\tb'; arr=(a "b c")
unset missing
pytest ${x@Q} "${e@Q}" "${t@Q}" "${w@E}" "${x@U}" "${x@L}" "${x@u}" "${x@A}" "[${missing@Q}]"
pytest "${arr[@]@Q}" "${arr[*]@U}"
eval "pytest ${x@Q}"
"""
    out = agree(script)
    assert argvs(out)[0].startswith("pytest 'it'\\''s a' '' $'tab\\there' a\tb IT'S A")
    assert argvs(out)[2] == "pytest it's a"


# -- guard frames -----------------------------------------------------------------------------
def test_runs_carry_the_guards_on_the_environment_they_passed():
    from coverage_diff.graph import run_frames, split_guard

    script = """pytest before
if [[ -n "${SW_ATTN:-}" ]]; then configs=(a); elif [[ "${MODE:-}" == fast ]]; then configs=(b); else configs=(c); fi
check() { [[ -z "${SKIP:-}" ]] || exit 0; }
check
for c in "${configs[@]}" x y; do
  [[ -n "${LOOPED:-}" ]] && continue
  pytest "$c"
done
"""
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh", env={"MODE": "fast"})
    guards = {r.argv[1]: [f.text for f in r.path if f.kind == "guard"] for r in out.runs}
    assert guards["before"] == []  # no guard yet: nothing is inferred from later conditions
    assert guards["b"] == ['[[ -n "${SW_ATTN:-}" ]] → false', '[[ "${MODE:-}" == fast ]] → true',
                           '[[ -z "${SKIP:-}" ]] → true', '[[ -n "${LOOPED:-}" ]] → false']
    assert guards["y"] == guards["b"]  # a loop passing the same guard again does not lengthen the path
    steps = run_frames(out.runs[1], {}, exact=True)
    assert [(f.location.line, split_guard(f.text)) for f in steps if f.kind == "guard"][:2] == [
        (2, ('[[ -n "${SW_ATTN:-}" ]]', False)), (2, ('[[ "${MODE:-}" == fast ]]', True))]
    assert [f for f in run_frames(out.runs[0], {}, exact=True) if f.kind == "guard"] == []


def test_blanks_between_two_expansions_in_a_string_are_kept():
    """tree-sitter starts ` $N` at the blank in `"$C $N"`; run-cpu-test.sh's
    `bash -c "cpu_tests $CORE_RANGE $NUMA_NODE"` lost its second argument."""
    script = 'C=2; N=1\npytest "$C $N" "$C  ${N}" "$C\t$(echo x) $((1 + 2))"\nbash -c "pytest $C $N"\n'
    assert argvs(agree(script)) == ["pytest 2 1 2  1 2\tx 3", "pytest 2 1"]
