"""Word expansion under bash and under the interpreter (issue 14): one hand-written case per
construct, and seeded generators of variants of each.

Every script runs as `bash ci/s.sh` in a repository holding `TREE`.  `check(script)` compares;
a comparison either agrees, or is honestly unknown (the interpreter said `incomplete` or made
an assumption), or states a run bash would not make (definite but wrong), which must never be.
"""

from __future__ import annotations

import random

from .harness import Comparison, compare_with_bash
from .helpers import job

TREE = {"tests/test_a.py": "", "tests/test_b.py": "", "tests/unit/test_c.py": ""}

# Each construct, written from scratch; each agrees with bash, every value known.
CASES = {
    "brace lists and sequences": """
pytest {a,b} test_{x,y}.py pre{1..3}post {a..e} {01..10} {1..10..2} {a,{b,c}d}e
pytest {5..1} {e..a} {-1..2} {1..2..0} a{b,c}{d,e} {a..z..5} {05..1} x{,y} {1..3}{a,b}
""",
    "braces that do not expand": r"""
x=v
pytest {a} ${x} '{a,b}' "{c,d}" \{a,b\} {} {a,b {1..a} {1..$x} "${x}"{} a{1..3"}"
v={p,q}; pytest "$v"
[[ a{1,2} == "a{1,2}" ]] && pytest test-literal
case a{1,2} in "a{1,2}") pytest case-literal ;; esac
""",
    "braces around expansions and quotes": """
x=v; y="s p"
pytest {$x,w} {"$y",z} {'q r',t}- pre{$x,$y}post "a"{1,2}'b' {a,b}{1,2}"-$x"
""",
    "braces in loops and arrays": """
for f in tests/{test_a,unit/test_c}.py; do pytest "$f"; done
arr=(x{1..3} "q{1,2}" {m,n}_{0..1}); pytest "${#arr[@]}" "${arr[@]}"
for i in {1..3}; do pytest "i$i"; done
""",
    "positional offsets": """
set -- a b c d e
pytest "${@:2}" "${*:2}" "${@:2:2}" "${@:0:2}" ${@: -2} "${@:1:1}" "${@:9}" "${@: -9}" "${@:5:1}"
f() { pytest "${@:1:1}" "${@:2}" "${#@}"; }
f one two three
""",
    "array slices": """
a=(p q r s t)
pytest "${a[@]:1:2}" "${a[@]:3}" "${a[*]:1}" "${a[@]: -2:1}" "${a[@]:0:0}" end
s=([0]=x [3]=y [7]=z)
pytest "${s[@]:1}" "${s[@]:3:1}" "${s[@]: -1}" "${s[@]: -9}" "${#s[@]}"
x=abcdef
pytest "${x:1:3}" "${x: -2}" "${x: -9}" "${x:2:-1}" "${x:10}" "${x: -4:2}"
""",
    "non-blank IFS": """
GPUS="0,1,,2"; LIST=a,b
IFS=,; for g in $GPUS; do pytest "g$g"; done
for l in $LIST; do pytest "l$l"; done
set -- $GPUS; pytest "$#"
arr=($GPUS); pytest "${#arr[@]}" "${arr[*]}"
IFS=' ,'; x=" a , b,,c ,"; pytest $x
IFS=; pytest $GPUS
unset IFS; pytest $GPUS
""",
    "IFS for read and local IFS": """
IFS=: read -r a b <<< "x:y:z"
pytest "$a" "$b"
IFS=, read -r a b <<< "1,2,"
pytest "[$a]" "[$b]"
split() { local IFS=,; set -- $1; pytest "$#" "$@"; }
split "a,b,c"
v="a b"; pytest $v
each() { local IFS=:; for p in $PARTS; do pytest "p$p"; done; }
PARTS=x:y:z
each
while IFS=: read -r k val; do pytest "$k" "$val"; done <<< "key:v1:v2"
IFS=';' read -r -a MODELS <<< "m1;m2;;m3"
pytest "${#MODELS[@]}" "${MODELS[@]}"
""",
    "quotes inside a default or alternate word": """
x=; y="1 2"
pytest ${x:-"a b"} ${x:-a b} "${x:-"q r"}" ${x:-"a b"c d} ${x:-'e f'} "${x:-'g h'}"
pytest ${y:+--flag "$y"} ${y:+--flag $y} ${y:+"--f $y"} "${y:+--flag "$y"}" ${y:+ } ${x:+never} end
pytest ${x-unset} ${nope-"not set"} "${nope:-}" ${nope:-} ${x:-a\\ b}
""",
    "whole-array operators": """
a=(x "y z"); b=()
pytest "${a[@]+"${a[@]}"}" "${b[@]+"${b[@]}"}" "${a[@]+${a[@]}}" "${b[@]:-empty}" end
files=(a.py b.py)
pytest "${files[@]/#/tests/}" ${files[@]%.py} "${files[@]^^}" "${!files[@]}" "${#files[@]}" "${files[@]/%/::x}"
pytest "${b[@]/#/t/}" "${files[@]/a/A}" "${files[*]#?}" "${files[@],,}" "${files[@]^}"
""",
    "arithmetic in here-documents and defaults": """
n=3
cat <<EOF | while read -r l; do pytest "$l"; done
v$((n+1)) w$(( n * 2 ))
EOF
pytest ${x:-$((n*2))} "${x:-$((n+10))}"
""",
    "here-document layouts": """
while read -r a b; do pytest "$a" "$b"; done <<-EOF
	x 1
	y 2
	EOF
cat <<'RAW' | while read -r l; do pytest "raw:$l"; done
$HOME `x` \\n
RAW
cat <<"Q" | while read -r l; do pytest "q:$l"; done
$HOME
Q
cat <<X && pytest after
body
X
false <<X || pytest fallback && pytest chained
body
X
pytest end
""",
    "assignments on a line of their own": """
x=1 arr=(a b)
pytest "$x" "${arr[@]}"
x=2 arr=() # note
pytest "$x" "${#arr[@]}"
""",
    "local -a does not inherit": """
arr=(g1 g2)
f() { local -a arr; arr+=(l); pytest "${arr[@]}"; }
f
g() { declare -a arr; arr+=(m); pytest "${arr[@]}"; }
g
h() { local x=1; local x; pytest "x=$x"; }
h
pytest "${arr[@]}"
""",
    "associative keys lose their quotes": """
declare -A M
M['llama']=1; M["qwen"]=2; M[plain]=3; k=qwen
for key in "${!M[@]}"; do pytest "k=$key" "${M[$key]}"; done
pytest "${M[llama]}" "${M['qwen']}" "${M["plain"]}" "${M[$k]}" "${M["$k"]}"
declare -A N=(['a b']=1 ["c"]=2)
pytest "${N['a b']}" "${N[c]}" "${#N[@]}"
""",
    "read without -r": r"""
read a b <<< 'x\ y z\\w'
pytest "$a" "$b"
read -r c d <<< 'x\ y z'
pytest "$c" "$d"
printf 'a\\b c\n' | while read x; do pytest "$x"; done
printf 'l1 \\\nl2\n' | while read x; do pytest "$x"; done
read -r REPLY <<< "  trimmed  "; pytest "[$REPLY]"
read <<< "  kept  "; pytest "[$REPLY]"
""",
    "read -a": """
read -a arr <<< "p q  r"
pytest "${#arr[@]}" "${arr[@]}"
IFS=, read -a arr2 <<< "p,q,,r"
pytest "${#arr2[@]}" "${arr2[@]}"
read -ra arr3 -d '' <<< "one two"
pytest "${arr3[@]}"
read -a arr4 <<< 'x\\ y z'
pytest "${#arr4[@]}" "${arr4[@]}"
""",
}

# Constructs the interpreter cannot follow: each must be said (incomplete), never guessed.
UNKNOWN_CASES = {
    "IFS not known": ("IFS=$(cat /nonexistent 2>/dev/null || echo ,)\nx=a,b\npytest $x\n", "IFS not known"),
    "brace expansion in a declaration": ("export E={p,q}\npytest \"$E\"\n", "brace expansion in export"),
    "here-document marker followed by `;`": (
        "while read -r a; do pytest \"$a\"; done <<A; pytest mid\none\nA\npytest end\n", "here-document marker"),
}


def check(script: str, env: dict[str, str] | None = None) -> Comparison:
    files = {**TREE, "ci/s.sh": script}
    return compare_with_bash(job("bash ci/s.sh", env=env or {}), files)


def verdict(result: Comparison) -> str:
    """"agrees", "unknown" (honestly) or "wrong" (a definite prediction bash contradicts)."""
    if not result.comparable:
        return "unknown"
    return "agrees" if result.agrees else "wrong"


# -- generated variants ------------------------------------------------------------------------
BRACE_TOKENS = ("{", "}", ",", "..", "a", "b", "1", "3", "01", "-2", "e", "..2", '"x,y"', "'{'", "\\,", "$v", "${v}")


def brace_script(r: random.Random) -> str:
    words = ["w" + "".join(r.choice(BRACE_TOKENS) for _ in range(r.randint(1, 7))) for _ in range(6)]
    return "v=V\n" + "".join(f"pytest {w} end\n" for w in words)


def ifs_script(r: random.Random) -> str:
    ifs = r.choice([",", ":", " ,", ",\\t", ";:", "", " ", ", "])
    value = "".join(r.choice(["a", "b", ",", ":", " ", ";", "  ", ",,", "c d"]) for _ in range(r.randint(0, 8)))
    use = r.choice([
        'pytest $x end',
        'for g in $x; do pytest "g$g"; done',
        'arr=($x); pytest "${#arr[@]}" "${arr[@]}"',
        'read -r p q s <<< "$x"; pytest "[$p]" "[$q]" "[$s]"',
        'read -ra parts <<< "$x"; pytest "${#parts[@]}" "${parts[@]}"',
        'set -- $x; pytest "$#" "$*"',
        'f() { local IFS="$1"; set -- $2; pytest "$#" "$@"; }; f "$IFS" "$x"',
    ])
    assign = f"x={value}" if value and all(c not in value for c in " ;") else f"x='{value}'"
    return f"IFS=$'{ifs}'\n{assign}\n{use}\n"


def slice_script(r: random.Random) -> str:
    def off() -> str:
        n = r.randint(-7, 7)
        return f" {n}" if n < 0 else str(n)

    length = lambda: str(r.randint(0, 6))  # noqa: E731
    forms = [f'"${{@:{off()}}}"', f'"${{@:{off()}:{length()}}}"', f'"${{*:{off()}}}"', f'"${{a[@]:{off()}:{length()}}}"',
             f'"${{a[@]:{off()}}}"', f'"${{s[@]:{off()}}}"', f'"${{x:{off()}:{length()}}}"', f'"${{x:{off()}}}"']
    return ("set -- a b c d e\na=(p q r s)\ns=([1]=m [4]=n [6]=o)\nx=abcdef\n"
            + "".join(f"pytest {r.choice(forms)} {r.choice(forms)} end\n" for _ in range(4)))


def operand_script(r: random.Random) -> str:
    pieces = ("a b", '"c d"', "'e f'", "$y", '"$y"', "\\ ", "${arr[@]}", '"${arr[@]}"', "g", "-")

    def word() -> str:
        op = r.choice([":-", "-", ":+", "+"])
        name = r.choice(["x", "e", "u", "y", "arr[@]", "none[@]"])
        inner = "".join(r.choice(pieces) for _ in range(r.randint(0, 3)))
        w = f"${{{name}{op}{inner}}}"
        return f'"{w}"' if r.random() < 0.5 else w

    return ('x=set; e=; y="1 2"; arr=(p "q r"); none=()\n'
            + "".join(f"pytest {word()} {word()} end\n" for _ in range(4)))


def read_script(r: random.Random) -> str:
    pieces = ("a", "b c", "\\ ", "\\\\", "\\t", "d\\", " ", ":", "x\\:y")
    lines = ["".join(r.choice(pieces) for _ in range(r.randint(1, 5))) for _ in range(3)]
    names = r.choice(["p", "p q", "p q s"])
    ifs = r.choice(["", "IFS=: "])
    body = "\n".join(lines)
    shown = " ".join(f'"[${n}]"' for n in names.split())
    return (f"while {ifs}read {names}; do pytest {shown} end; done <<'EOF'\n"
            f"{body}\nEOF\n")


GENERATORS = {"braces": brace_script, "ifs": ifs_script, "slices": slice_script, "operands": operand_script,
              "read": read_script}


def variant(kind: str, seed: int) -> str:
    return GENERATORS[kind](random.Random(f"{kind}-{seed}"))


def brace_words_under_bash(words: list[str]) -> list[list[str]]:
    """What bash makes of each word (as printf's arguments; `v` is set, globbing is off)."""
    import subprocess

    script = "v=V\nset -f\n" + "".join(f"printf '%s\\0' {w}; printf '\\1\\n'\n" for w in words)
    out = subprocess.run(["bash"], input=script, capture_output=True, text=True, check=True).stdout
    return [chunk.split("\0")[:-1] for chunk in out.split("\x01\n")[:-1]]


def brace_words_predicted(expanded: list[list[str]]) -> list[list[str]]:
    """The words `braces.expand` made, with quotes removed by bash itself (brace expansion off)."""
    import subprocess

    script = "v=V\nset -f\nset +B\n" + "".join(f"printf '%s\\0' {' '.join(e)}; printf '\\1\\n'\n" for e in expanded)
    out = subprocess.run(["bash"], input=script, capture_output=True, text=True, check=True).stdout
    return [chunk.split("\0")[:-1] for chunk in out.split("\x01\n")[:-1]]
