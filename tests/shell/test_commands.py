"""Commands and conditions the interpreter must model as bash does, or leave honestly
unknown (issue 14): builtins reached indirectly, file tests on paths the repository does
not hold, quoted parts in case patterns and `=~`, `cmd || fallback`, xargs / find -exec,
`sh -c` / `sh -s`, `cd` / `source` into what a job makes as it runs.

Every case runs under real bash with stub runners (harness.assert_sound): no definite
prediction bash contradicts, no run bash makes left out.  Unknowns are allowed only where
the tool cannot know (a file made at run time, an external command's exit status), and the
specific assertions say which runs must be kept as possible."""

from __future__ import annotations

import itertools

import pytest

from .harness import assert_agrees_with_bash, assert_sound
from .helpers import argvs, interpret, job

TREE = {"tests/test_a.py": "", "tests/test_b.py": "", "ci/inner.sh": 'pytest inner "$0" "$1" "$#"\n',
        "ci/lib.sh": "LIB=loaded\n", "ci/run.sh": "pytest from-script\n"}


def sound(script: str, env: dict[str, str] | None = None, extra: dict[str, str] | None = None, errexit: bool = True):
    files = {"ci/s.sh": script, **TREE, **(extra or {})}
    return assert_sound(job("bash ci/s.sh" if not errexit else "bash -e ci/s.sh", env=env or {}), files)


def exact(script: str, env: dict[str, str] | None = None, extra: dict[str, str] | None = None):
    files = {"ci/s.sh": script, **TREE, **(extra or {})}
    return assert_agrees_with_bash(job("bash -e ci/s.sh", env=env or {}), files).outcome


def possible(outcome, argv: str) -> bool:
    return any(" ".join(r.argv) == argv and r.assumptions for r in outcome.runs)


def certain(outcome, argv: str) -> bool:
    return any(" ".join(r.argv) == argv and not r.assumptions for r in outcome.runs)


# -- builtins reached through command, builtin, a prefix assignment or a variable -----------------
def test_builtins_reached_indirectly_are_never_runs():
    out = exact("""command echo hi
builtin echo there
command export A=1
builtin export B=2
FOO=1 export C=3
X=1 true
Y=2 :
cmd=export
$cmd D=4
decl=declare
"$decl" E=5
f() { command local L=6; pytest "local:$L"; }
f
command cd tests
builtin cd ..
pytest "$A$B$C$D$E" "${FOO:-none}" "${X:-none}" "${Y:-none}" "$PWD"
""")
    assert argvs(out) == ["pytest local:6", "pytest 12345 none none none ."]


def test_builtin_of_a_program_fails_and_command_skips_functions():
    out = exact("""pytest() { echo "function"; }
command pytest through-command
builtin pytest via-builtin || echo "not a builtin"
builtin cat /dev/null || true
jobs
disown 2>/dev/null || true
command unset A
B=1
command unset B
pytest "B=${B:-unset}"
""")
    assert argvs(out) == ["pytest through-command"]


# -- file tests on paths outside the repository or made at run time ----------------------------
FILE_TEST_SCRIPT = """if [ -f tests/missing.py ]; then pytest missing; fi
if [ -e /dev/kfd ]; then pytest rocm; else pytest cuda; fi
[ -d /opt/rocm ] && pytest rocm-dir
if [ -f "$X" ]; then pytest f-unset; fi
if [ -x /usr/bin/no-such-tool -o -s /tmp/none ]; then pytest xs; fi
[[ -L /tmp/link ]] || pytest not-link
if [ -r build/out.txt ]; then pytest built; fi
if test -f tests/test_a.py -a ! -d tests/test_a.py; then pytest in-repo; fi
pytest end
"""


def test_file_tests_outside_the_repository_are_unknown_not_malformed():
    found = sound(FILE_TEST_SCRIPT)
    out = found.comparison.outcome
    assert not any("malformed" in i.reason for i in out.incomplete)
    assert possible(out, "pytest rocm") and possible(out, "pytest cuda")  # both branches kept
    assert possible(out, "pytest rocm-dir") and possible(out, "pytest built")
    assert not any(r.argv == ("pytest", "f-unset") for r in out.runs)  # X unset: [ -f "" ] is false
    # Its directory is in the repository and no program has run yet that could have made it.
    assert not any(r.argv == ("pytest", "missing") for r in out.runs)
    assert any(r.argv == ("pytest", "in-repo") for r in out.runs)


def test_file_test_on_an_unknown_variable_keeps_both_branches():
    out = interpret(TREE, 'if [ -f "$X" ]; then pytest yes; else pytest no; fi', open_world=True, env={"X": "a"})
    assert possible(out, "pytest yes") and possible(out, "pytest no")
    assert not out.incomplete


# -- quoted parts in case patterns and =~ ---------------------------------------------------------
def test_case_patterns_with_quoted_parts():
    out = exact("""for m in Qwen/Qwen3-Embedding-8B llama-embed "Qwen x*Embedding"; do
  case $m in
    *"Qwen"*"Embedding"*) pytest "emb:$m" ;;
    "llama"*|x"a b"*) pytest "llama:$m" ;;
    *) pytest "other:$m" ;;
  esac
done
""")
    assert argvs(out) == ["pytest emb:Qwen/Qwen3-Embedding-8B", "pytest llama:llama-embed", "pytest emb:Qwen x*Embedding"]


def test_paths_out_of_a_case_on_an_unknown_value_go_on_as_one():
    """Every arm continues alike: after the `case` one path goes on, with the assumptions made
    before it, so a loop does not multiply the paths by the arms at every pass (issue 20)."""
    arms = "".join(f"    v{i}) pytest arm_{i} ;;\n" for i in range(40))
    out = sound(f'for i in 1 2 3; do\n  case "$(cat arm.txt)" in\n{arms}    *) pytest no_arm ;;\n  esac\n'
                '  pytest "after_$i"\ndone\npytest done\n', errexit=False).comparison.outcome
    assert certain(out, "pytest after_1") and certain(out, "pytest after_3") and certain(out, "pytest done")
    assert len([r for r in out.runs if r.argv == ("pytest", "arm_7")]) == 3  # once a pass, not 41 ** pass
    assert possible(out, "pytest arm_7") and possible(out, "pytest no_arm")


def test_a_case_arm_that_leaves_keeps_what_follows_possible():
    out = sound('case "$(cat arm.txt)" in\n  stop) exit 0 ;;\n  go) pytest go ;;\nesac\npytest after\n', errexit=False).comparison.outcome
    assert possible(out, "pytest after") and not certain(out, "pytest after")


def test_regex_with_quoted_parts_and_bash_rematch():
    out = exact("""x=lit42
if [[ $x =~ "lit"([0-9]+) ]]; then pytest "${BASH_REMATCH[0]}" "${BASH_REMATCH[1]}"; fi
[[ axb =~ "a.b" ]] || pytest quoted-dot-literal
[[ a.b =~ a\\.b ]] && pytest escaped-dot
re='^(v)([0-9]+)\\.([0-9]+)$'
[[ v12.3 =~ $re ]] && pytest "${#BASH_REMATCH[@]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
[[ nomatch =~ ^z ]] || pytest "after-failed:${#BASH_REMATCH[@]}"
first='a[]]'
[[ "a]" =~ $first ]] && pytest bracket-first
[[ $'a\\nb' =~ a.b ]] && pytest dot-newline
""")
    assert argvs(out) == ["pytest lit42 42", "pytest quoted-dot-literal", "pytest escaped-dot", "pytest 4 12 3",
                          "pytest after-failed:0", "pytest bracket-first", "pytest dot-newline"]


def test_regex_with_catastrophic_backtracking_is_linear():
    value = "a" * 35 + "b"
    out = exact(f"""x={value}
if [[ $x =~ ^(a+)+$ ]]; then pytest yes; else pytest no; fi
[[ {"a" * 40} =~ ^(a|aa)+$ ]] && pytest many
""")
    assert argvs(out) == ["pytest no", "pytest many"]


def test_regex_glibc_reads_differently_is_unknown_not_guessed():
    found = sound(r"""[[ '<ab' =~ \<ab ]] && pytest escaped-is-literal
anchor='\<ab'
backref='(a)\1'
[[ ab =~ $anchor ]] && pytest word-anchor
[[ aa =~ $backref ]] && pytest backref
[[ "a{" =~ a{ ]] && pytest brace
pytest end
""")
    out = found.comparison.outcome
    assert possible(out, "pytest word-anchor") and possible(out, "pytest backref") and possible(out, "pytest brace")
    assert certain(out, "pytest escaped-is-literal") and possible(out, "pytest end")


# -- cmd || fallback ------------------------------------------------------------------------------
def test_fallback_of_an_external_command_is_possible():
    found = sound("""pytest first || pytest fallback
if pytest probe; then pytest then-branch; else pytest else-branch; fi
if ! pytest negated; then pytest when-failed; fi
! pytest negated-list && pytest when-list-failed
git diff --quiet || pytest changed
bash ci/run.sh || pytest script-failed
pip install x || { echo failed; exit 1; }
pytest after
""")
    out = found.comparison.outcome
    for fallback in ("fallback", "else-branch", "changed", "script-failed", "when-failed", "when-list-failed"):
        assert possible(out, f"pytest {fallback}"), fallback
    for run in ("first", "probe", "then-branch", "negated", "negated-list", "after"):
        assert certain(out, f"pytest {run}"), run


def test_fallback_paths_merge_back():
    script = "".join(f"pytest a{i} || pytest b{i}\n" for i in range(30)) + "pytest end\n"
    out = interpret({"ci/s.sh": script}, "bash -e ci/s.sh")
    assert len(out.runs) == 61 and certain(out, "pytest end")


def test_set_e_still_ends_the_job_on_a_failing_fallback():
    out = exact("set -e\nfalse || pytest known-fallback\nfalse || false\npytest never\n")
    assert argvs(out) == ["pytest known-fallback"]


# -- xargs and find -exec ------------------------------------------------------------------------
def test_find_piped_to_xargs_runs_the_command_on_unknown_files():
    found = sound("""find . -name 'test_*.py' | xargs pytest -v
find tests -name '*.py' -print0 | xargs -0 -r pytest -x
find . -name 'test_*.py' -exec pytest {} +
find tests -type f -exec pytest -q {} \\;
find tests -name '*.zz' -execdir pytest {} \\;
pytest end
""")
    out = found.comparison.outcome
    assert any(r.argv[:2] == ("pytest", "-v") for r in out.runs)
    assert any(r.argv[:2] == ("pytest", "-x") for r in out.runs)
    assert any(r.argv == ("pytest", "<files found by find>") for r in out.runs)
    assert certain(out, "pytest end")


def test_xargs_on_known_input():
    out = exact("""echo a b | xargs pytest -k
printf 'x\\ny\\n' | xargs -I % pytest item-%
printf 'p q r\\n' | xargs -n 2 pytest
printf 'one\\0two words\\0' | xargs -0 pytest
printf '' | xargs -r pytest never
printf 'k\\n' | xargs -I{} bash -c 'pytest "in-bash:$1"' _ {}
xargs pytest from-file < ci/list.txt
""", extra={"ci/list.txt": "l1 l2\nl3\n"})
    assert argvs(out) == ["pytest -k a b", "pytest item-x", "pytest item-y", "pytest p q", "pytest r",
                          "pytest one two words", "pytest in-bash:k", "pytest from-file l1 l2 l3"]


# -- sh -c / bash -c / sh -s ------------------------------------------------------------------------
def test_command_strings_are_scripts():
    out = exact("""sh -ec 'pytest one; pytest "$0" "$1"' zero first
bash -c "pytest two"
bash -xc 'pytest three "$#"' a b c
bash -o pipefail -c 'pytest four'
bash -euc 'pytest five'
bash -s < ci/inner.sh
bash -s x y < ci/inner.sh
sh -s -- -y <<'EOF'
pytest "here:$1"
EOF
bash <<< 'pytest herestring'
""")
    assert argvs(out) == ["pytest one", "pytest zero first", "pytest two", "pytest three 2", "pytest four", "pytest five",
                          "pytest inner bash  0", "pytest inner bash x 2", "pytest here:-y", "pytest herestring"]


def test_script_from_the_network_is_incomplete_and_the_job_goes_on():
    found = sound("curl -LsSf https://example.invalid/install.sh | sh -s -- -y\nwget -qO- x | bash\npytest after\n")
    out = found.comparison.outcome
    assert certain(out, "pytest after")
    assert sum("read from stdin" in i.reason for i in out.incomplete) == 2


def test_login_shell_command_string_is_interpreted():
    out = interpret(TREE, "bash -lc 'pytest login'")  # bash -l reads /etc/profile: not run under the harness
    assert argvs(out) == ["pytest login"]


# -- cd, pushd, source into what the job makes ----------------------------------------------------
def test_cd_and_source_into_run_time_paths_keep_the_job_going():
    found = sound("""mkdir -p build
cd build
pytest in-made-dir
cd ..
cmake -B build2 >/dev/null 2>&1 || true
cd build2
pytest in-build2
cd /repo
pushd out/bin
pytest pushed
popd
python -m venv .venv
source .venv/bin/activate
pytest after-venv
. /opt/env/setup.sh
pytest after-setup
""", extra={})
    out = found.comparison.outcome
    assert certain(out, "pytest in-made-dir")
    for run in ("in-build2", "pushed", "after-venv", "after-setup"):
        assert possible(out, f"pytest {run}"), run
    assert any("made at run time" in i.reason for i in out.incomplete)


def test_sourcing_a_missing_repository_file_is_still_missing():
    out = interpret(TREE, "source ci/gone.sh\npytest after")
    assert [p for _, p in out.missing_scripts] == ["ci/gone.sh"]


# -- generated variants -----------------------------------------------------------------------------
WAYS = ("command {b}", "builtin {b}", "PFX=1 {b}", "h={b}; $h", 'h={b}; "$h"', "command -p {b}")
BUILTIN_USES = (("export", "V=x"), ("declare", "V=x"), ("readonly", "V=x"), ("typeset", "V=x"), ("echo", "hi"),
                ("true", ""), (":", "V=ignored"), ("cd", "tests"), ("set", "-- p q"), ("eval", "V=x"), ("shopt", "-s nullglob"),
                ("unset", "V"), ("printf", "-v V %s x"), ("read", "V <<< 'x'"), ("test", "-n x"), ("[", "1 = 1 ]"))


@pytest.mark.parametrize("way,use", list(itertools.product(WAYS, BUILTIN_USES)),
                         ids=lambda v: v if isinstance(v, str) else v[0])
def test_variant_builtin_reached_indirectly(way, use):
    name, rest = use
    line = way.format(b=name) + (" " + rest if rest else "")
    out = exact(f'V=start\n{line}\npytest "V=$V" "${{PFX:-none}}" "$PWD" "$#" "$@"\n')
    assert len(out.runs) == 1 and out.runs[0].argv[0] == "pytest"


FILE_OPS = ("-e", "-f", "-d", "-r", "-s", "-x", "-L", "-h", "-w", "-a")
PATHS = ("tests/test_a.py", "tests", "tests/none.py", "build/x", "/dev/null", "/no/such", "''", '"$UNSET"', "ci/inner.sh")
FORMS = ("[ {op} {p} ]", "[[ {op} {p} ]]", "test {op} {p}", "[ ! {op} {p} ]", "[ {op} {p} -o -n '' ]", "[ -z x -a {op} {p} ]")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("op", FILE_OPS)
def test_variant_file_tests(form, op):
    lines = [f"if {form.format(op=op, p=p)}; then pytest yes-{i}; else pytest no-{i}; fi" for i, p in enumerate(PATHS)
             if not (op == "-a" and form.startswith("[["))]
    found = sound("\n".join(lines) + "\n", errexit=False)
    assert not any("malformed" in i.reason for i in found.comparison.outcome.incomplete)


CASE_PATTERNS = ('*"Qwen"*', '"Q"*"n"*', 'Q"w"e*', '*"."*', '"*"*', "'Q'?en*", '*"e"[nm]*', '"x"|*"3"*')
CASE_SUBJECTS = ("Qwen3", "Q.wen", "*en", "xQwen", "Qen", "Qwenx3")


@pytest.mark.parametrize("pattern", CASE_PATTERNS)
def test_variant_case_quoted_patterns(pattern):
    lines = [f'case "{s}" in {pattern}) pytest "hit:{s}";; *) pytest "miss:{s}";; esac' for s in CASE_SUBJECTS]
    exact("\n".join(lines) + "\n")


REGEXES = ('"a"[0-9]+', '^"a.b"$', '"("a', 'x*"y"+', '^([a-z]+)-"v"([0-9])$', '"["a', '[[:digit:]]{2}', '(ab|a)(c|bcd)(d*)',
           "'a+'b", '^(a+)+$', '\\.', '[^]x]+', '"\\d"', 'a\\d')
REGEX_SUBJECTS = ("a12", "a.b", "axb", "(a", "xxyy", "abc-v7", "[a", "99", "abcd", "a+b", "aaaa", "d", "a\\d", "ad")


@pytest.mark.parametrize("regex", REGEXES)
def test_variant_regex_quoted_parts(regex):
    lines = [f'if [[ "{s}" =~ {regex} ]]; then pytest "hit:{s}" "${{BASH_REMATCH[@]}}"; else pytest "miss:{s}"; fi'
             for s in REGEX_SUBJECTS]
    exact("\n".join(lines) + "\n")


LEFTS = ("pytest L", "bash ci/run.sh", "git diff --quiet", "false", "true", "[ -d /opt/none ]")
RIGHTS = ("pytest R", "{ pytest R; exit 1; }", "R=1", "true")


@pytest.mark.parametrize("errexit", (True, False))
@pytest.mark.parametrize("left,right", list(itertools.product(LEFTS, RIGHTS)))
def test_variant_fallbacks(left, right, errexit):
    found = sound(f'{left} || {right}\npytest "after:${{R:-0}}"\nif {left}; then pytest then; else pytest else; fi\n',
                  errexit=errexit)
    out = found.comparison.outcome
    ends = left == "false" and "exit" in right  # a known failure, then exit: nothing after
    assert any(r.argv[0] == "pytest" and r.argv[1].startswith("after") for r in out.runs) != ends


XARGS_INPUTS = ("echo a b c", "printf 'a\\nb\\n'", "printf ''", "cat ci/list.txt", "find tests -name '*.py'", "ls tests")
XARGS_FORMS = ("xargs pytest", "xargs -n1 pytest", "xargs -r pytest", "xargs -I{} pytest -k {}", "xargs -i pytest {}x",
               "xargs -L 1 pytest", "xargs -- pytest --", "xargs bash -c 'pytest \"$@\"' _")


@pytest.mark.parametrize("form", XARGS_FORMS)
@pytest.mark.parametrize("source", XARGS_INPUTS)
def test_variant_xargs(source, form):
    found = sound(f"{source} | {form}\npytest end\n", extra={"ci/list.txt": "l1\nl2 l3\n"})
    assert certain(found.comparison.outcome, "pytest end")


SHELL_FLAGS = ("-c", "-ec", "-ce", "-xc", "-euc", "-o pipefail -c", "+e -c", "-e -c", "--norc -c", "-c --")


@pytest.mark.parametrize("shell", ("bash", "sh"))
@pytest.mark.parametrize("flags", SHELL_FLAGS)
def test_variant_command_strings(shell, flags):
    out = exact(f"""{shell} {flags} 'pytest "$0" "$#" "$@"; false; pytest after-false' zero one two || true
{shell} {flags} "pytest plain"
pytest end
""")
    assert out.runs[0].argv[:3] == ("pytest", "zero", "2")


# -- lines that stop every run (issue 20) ------------------------------------------------------------
def test_set_n_runs_nothing_after_it():
    out = sound("pytest before\nset -n\npytest never\nset +n\npytest never-again\n").comparison.outcome
    assert argvs(out) == ["pytest before"] and not out.runs[0].assumptions
    assert any("set -n" in i.reason for i in out.incomplete)


def test_kill_of_the_shell_itself_ends_the_job():
    out = assert_sound(job("bash ci/s.sh\npytest job-goes-on"),
                       {**TREE, "ci/s.sh": "pytest a\nkill -0 $$\npytest b\nkill -9 $$\npytest never\n"}).comparison.outcome
    assert argvs(out) == ["pytest a", "pytest b"]  # the script is killed, the job (errexit) with it


def test_unset_path_and_a_path_without_system_directories():
    out = exact("""name=PATH
pytest before
( unset PATH; pytest no-path ) || true
f() { unset "$name"; pytest in-f; }
( f ) || true
pytest after
unset "$name"
pytest never
""")
    assert argvs(out) == ["pytest before", "pytest after"]
    found = sound("(PATH=/nonexistent; pytest odd-path) || true\npytest after\n")
    assert possible(found.comparison.outcome, "pytest odd-path") and certain(found.comparison.outcome, "pytest after")


def test_hash_p_binds_a_name_to_another_program():
    out = exact("pytest before\nhash -p /bin/true pytest\npytest hashed\nhash -r\npytest rehashed\n"
                "(hash -p /bin/true pytest) && pytest subshell-did-not-bind\n")
    assert argvs(out) == ["pytest before", "pytest rehashed", "pytest subshell-did-not-bind"]


def test_aliases_with_expand_aliases():
    out = exact("""alias pytest=true
pytest not-expanded-yet
shopt -s expand_aliases
alias env=true
env pytest hidden
unalias pytest
alias pt='pytest -q'
pt aliased
"pt" quoted-is-not-an-alias || true
alias twice='pytest one; pytest two'
twice x
unalias -a
pt gone || true
bash -c 'shopt -s expand_aliases; pt child' || true
""")
    assert argvs(out)[:4] == ["pytest not-expanded-yet", "pytest -q aliased", "pt quoted-is-not-an-alias", "pytest one"]
    assert argvs(out)[4:] == ["pytest two x", "pt gone", "pt child"]
