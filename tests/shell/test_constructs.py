"""One construct at a time, each checked against real bash where values are known."""

from __future__ import annotations

import pytest

from coverage_diff.config import Settings

from .harness import assert_agrees_with_bash
from .helpers import argvs, interpret, job


def agree(script: str, env: dict[str, str] | None = None, extra: dict[str, str] | None = None, errexit: bool = True):
    files = {"ci/s.sh": script, "tests/test_a.py": "", "tests/unit/test_b.py": "", **(extra or {})}
    result = assert_agrees_with_bash(job("bash ci/s.sh", env=env or {}, errexit=errexit), files)
    return result.outcome


CASES = {
    "parameter expansions": """
X=abc.tar.gz; P=/a/b/c.py
pytest "${X%.gz}" "${X%%.*}" "${X#*.}" "${X##*.}" "${P/b/B}" "${P//\\//_}" "${X^^}" "${X,,}" "${X:1:3}" "${#X}"
pytest "${UNSET:-d}" "${UNSET-d}" "${EMPTY:-e}" "${EMPTY-e}" "${X:+alt}" "${UNSET:+alt}" "${NEW:=set}" "$NEW"
""",
    "array elements set to the empty string are set": """
a=(x y z); a[1]=""; declare -A m=([k]=v); m[k]=""; b=""
pytest "${a[1]-d1}" "${a[1]:-d2}" "${b-d3}" "${m[k]-d4}" "${a[5]-d5}" "${a[-9]-d6}" "${a[1]+set}" "${#a[@]}"
""",
    "arrays": """
a=(one "two words" three); a+=(four); a[7]=seven
pytest "${a[@]}" "${#a[@]}" "${a[1]}" "${a[-1]}" "${!a[@]}"
pytest ${a[@]} "${a[*]}" "${a[@]:1:2}"
declare -A m=([x]=1 [y]=2); m[z]=3
for k in x y z; do pytest "$k=${m[$k]}"; done
""",
    "arithmetic": """
i=3; j=$((i * 2 + 1)); ((i++)); let k=i+j
pytest $j $i $k $((j % 4)) $(( (i << 2) | 1 )) $((10 / 3)) $((-7 / 2)) $((2 ** 10)) $(( i > 2 ? 100 : 200 ))
for ((n = 0; n < 3; n++)); do pytest "n$n"; done
""",
    "case with fall-through": """
for v in a b c zz; do
  case "$v" in
    a|b) pytest "ab-$v" ;&
    c) pytest "c-$v" ;;&
    [a-c]) pytest "class-$v" ;;
    *) pytest "other-$v" ;;
  esac
done
""",
    "tests and lists": """
X=True; N=5
[[ -d tests/nope ]] || pytest dir-missing
[[ -f tests/test_a.py ]] && pytest file-exists
[[ "${X:-0}" == "1" ]] && pytest x-is-1
[[ $X == T* ]] && pytest glob-match
[[ $X == "T*" ]] || pytest quoted-literal
[[ -n $X && ! -z $N ]] && pytest and-not
[[ $N -gt 3 && $N -le 5 ]] && pytest numeric
[[ abc =~ ^a(b)c$ ]] && pytest "rematch-${BASH_REMATCH[1]}"
[ "$X" = True ] && pytest single-bracket
test "$N" -eq 5 -a -n "$X" && pytest test-a
true && false || pytest or-after-and
! false && pytest negated
""",
    "while and until": """
i=0
while [[ $i -lt 3 ]]; do pytest "w$i"; i=$((i + 1)); done
until [[ $i -eq 0 ]]; do i=$((i - 1)); [[ $i -eq 1 ]] && continue; pytest "u$i"; done
for x in a b c d; do [[ $x == c ]] && break; pytest "f$x"; done
""",
    "functions": """
run() { local name=$1; shift; pytest "$name" "$@"; return 3; }
outer() { run "$@" || pytest "returned-$?"; }
name=global
outer inner --flag
pytest "$name"
""",
    "read and here-docs": """
while read -r model tp; do
  pytest --model "$model" --tp "$tp"
done <<EOF
llama 2
qwen 4
EOF
IFS=, read -r -a parts <<< "a,b,,c"
pytest "${#parts[@]}" "${parts[@]}"
mapfile -t lines <<< "$(printf '%s\\n' x y)"
pytest "${lines[@]}"
cat <<'RAW' | while read -r line; do pytest "$line"; done
$NOT_EXPANDED
RAW
""",
    "word splitting": """
FLAGS="-v  -s --tb=short"
pytest $FLAGS "$FLAGS"
IFS=: ; P="a:b::c"; pytest $P; unset IFS
E=""; pytest $E x "$E"
""",
    "set -e stops the script": """
set -e
pytest before
false
pytest never
""",
    "exit in a function and subshell": """
( pytest sub; exit 0 ); pytest after-subshell
stop() { pytest stopping; exit 0; }
stop
pytest never
""",
    "cd and relative paths": """
cd tests
pytest test_a.py unit/test_b.py ../tests/test_a.py
pushd unit >/dev/null; pytest test_b.py; popd >/dev/null
pytest "$(pwd)/test_a.py"
""",
    "command substitution idioms": """
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
pytest "$ROOT/tests/test_a.py" "$(basename "$0" .sh)" "$(echo hi there)"
""",
}


@pytest.mark.parametrize("name", list(CASES))
def test_construct_agrees_with_bash(name):
    out = agree(CASES[name])
    assert out.runs, "every case runs something"


def test_x_true_is_not_one():
    out = agree('if [[ "${X:-0}" == "1" ]]; then pytest slow; fi; pytest always', env={"X": "True"})
    assert argvs(out) == ["pytest always"]
    cond = next(c for c in out.conditions if "X" in c.variables)
    assert cond.outcome is False and cond.text == '[[ "${X:-0}" == "1" ]]'


def test_early_exit_on_run_slow_drops_everything_after():
    script = 'if [[ -z "${RUN_SLOW:-}" ]]; then\n  exit 0\nfi\nfor c in a b; do pytest "$c"; done\n'
    assert agree(script).runs == ()
    assert argvs(agree(script, env={"RUN_SLOW": "1"})) == ["pytest a", "pytest b"]
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh", open_world=True)
    assert len(out.runs) == 2
    for run in out.runs:
        (assumption,) = run.assumptions
        assert assumption.detail == "RUN_SLOW is non-empty"
        assert assumption.condition.variables == ("RUN_SLOW",) and assumption.condition.location.line == 1


def test_entries_sourced_through_script_dir_idiom():
    files = {
        "ci/sweep.sh": 'SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)\nsource "${SCRIPT_DIR}/defs.sh"\n'
                       'if [[ -n "${EXTRA:-}" ]]; then configs+=("${extra_configs[@]}"); fi\n'
                       'for c in "${configs[@]}"; do read -r -a kv <<< "$c"; env "${kv[@]}" pytest tests/test_a.py; done\n',
        "ci/defs.sh": 'configs=(\n  "MODEL=a TP=1"\n)\nextra_configs=(\n  "MODEL=b TP=2"\n)\n',
        "tests/test_a.py": "",
    }
    out = assert_agrees_with_bash(job("bash ci/sweep.sh", env={"EXTRA": "1"}), files).outcome
    assert [(r.entry.location.path, r.entry.location.line, r.entry.array) for r in out.runs] == [
        ("ci/defs.sh", 2, "configs"), ("ci/defs.sh", 5, "extra_configs")]
    assert any(s.sourced and s.path == "ci/defs.sh" for s in out.scripts)
    blocked = interpret(files, "bash ci/sweep.sh", open_world=True)
    b = next(r for r in blocked.runs if r.entry.text == "MODEL=b TP=2")
    assert [a.detail for a in b.assumptions] == ["EXTRA is non-empty"]


def test_unknown_command_substitution_is_unknown_and_forks():
    out = interpret({"ci/s.sh": 'V=$(python -c "print(1)")\nif [[ "$V" == 1 ]]; then pytest one; fi\n'}, "bash ci/s.sh")
    assert argvs(out)[0].startswith("python -c")
    one = [r for r in out.runs if r.argv == ("pytest", "one")]
    assert one and one[0].assumptions


def test_closed_world_unset_vs_ambient():
    script = 'if [[ -n "${BUILDKITE_BRANCH:-}" ]]; then pytest branch; fi\nif [[ -n "${NOBODY:-}" ]]; then pytest never; fi\n'
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh")
    assert argvs(out) == ["pytest branch"]
    assert out.runs[0].assumptions[0].detail == "BUILDKITE_BRANCH is non-empty"


def test_export_carries_across_commands_and_unrelated_exports_do_not_change_runs():
    files = {"ci/s.sh": 'if [[ -n "${A:-}" ]]; then pytest "$A"; fi\n'}
    base = interpret(files, "export A=1", "bash ci/s.sh")
    noisy = interpret(files, "export A=1", "export FOO=2", "bash ci/s.sh")
    assert argvs(base) == ["pytest 1"] and base.runs[0].env == (("A", "1"),)
    assert [r.variant for r in base.runs] == [r.variant for r in noisy.runs]


def agree_files(files, *commands, env=None):
    return assert_agrees_with_bash(job(*commands, env=env or {}), files).outcome


def test_non_exported_variable_is_not_seen_by_child_script():
    files = {"ci/s.sh": 'pytest "${A:-unset}"\n'}
    assert argvs(agree_files(files, "A=1", "bash ci/s.sh")) == ["pytest unset"]
    assert argvs(agree_files(files, "A=1 bash ci/s.sh")) == ["pytest 1"]


def test_missing_script_is_reported():
    out = interpret({"ci/other.sh": "true\n"}, "bash ci/gone.sh")
    assert out.missing_scripts and out.missing_scripts[0][1] == "ci/gone.sh"
    # Under a top-level directory without any repository file, a path is made by the job itself.
    out = interpret({}, "bash build/generated.sh")
    assert not out.missing_scripts and "made at run time" in out.incomplete[0].reason


def test_a_script_under_directories_made_at_run_time_names_the_nearest():
    out = interpret({"ci/s.sh": "true\n"}, "mkdir -p out/a/b out/c", "bash out/a/b/gen.sh")
    assert [i.reason for i in out.incomplete] == ["out/a/b/gen.sh is not in the repository: it lies under out/a/b, made at run time"]


def test_unparsable_text_is_incomplete_and_the_job_goes_on():
    """tree-sitter-bash's ERROR regions are not diagnostics (it rejects some text bash
    reads), but an incomplete part at its line; the rest of the job is interpreted."""
    out = interpret({"ci/s.sh": "pytest before\nif [[ ; then\nfi fi )\n"}, "bash ci/s.sh", "pytest after")
    assert not out.diagnostics
    assert any(i.location.path == "ci/s.sh" and "could not parse" in i.reason for i in out.incomplete)
    assert "pytest after" in argvs(out)


def test_text_bash_reads_is_never_a_diagnostic():
    """A `;` inside a quoted default value: bash reads it; tree-sitter-bash does not."""
    script = 'ARCH="${ARCH:-gfx90a;gfx942}"\nrun() {\n  pytest "$1"\n}\nrun a.py\n'
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh")
    assert not out.diagnostics


def test_an_unterminated_quote_is_a_diagnostic():
    out = interpret({"ci/s.sh": "pytest before\npytest 'never closed\n"}, "bash ci/s.sh")
    assert [(d.location.path, "unterminated ' quote" in d.message) for d in out.diagnostics] == [("ci/s.sh", True)]


def test_loop_cap_gives_incomplete_not_a_hang():
    script = "i=0\nwhile true; do pytest $i; i=$((i + 1)); done\n"
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh", settings=Settings(max_loop=10))
    assert len(out.runs) == 10
    assert any("loop" in i.reason and i.location.path == "ci/s.sh" for i in out.incomplete)


def test_loop_without_progress_is_cut_at_once():
    out = interpret({"ci/s.sh": "while true; do pytest x; done\npytest after\n"}, "bash ci/s.sh")
    assert argvs(out) == ["pytest x"]
    assert any("no progress" in i.reason for i in out.incomplete)


def test_recursion_cap():
    out = interpret({"ci/s.sh": "f() { pytest x; f; }\nf\n"}, "bash ci/s.sh", settings=Settings(max_depth=5))
    assert 1 <= len(out.runs) <= 6
    assert any("depth" in i.reason for i in out.incomplete)


def test_path_cap():
    script = "".join(f'if [[ -n "${{V{i}:-}}" ]]; then :; fi\n' for i in range(12)) + "pytest end\n"
    out = interpret({"ci/s.sh": script}, "bash ci/s.sh", open_world=True, settings=Settings(max_paths=16))
    assert 1 <= len(out.runs) <= 16
    assert any("paths" in i.reason for i in out.incomplete)
