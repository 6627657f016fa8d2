"""Glob patterns against real bash: `[[ value == pattern ]]`, `case` and `${x#pattern}`
answer what bash answers, bracket expressions included (reversed ranges, classes,
`]` first, a `[` never closed), and no pattern raises or backtracks exponentially."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from coverage_diff.shell import patterns

from .harness import assert_agrees_with_bash, bash_available
from .helpers import job

pytestmark = pytest.mark.skipif(not bash_available(), reason="bash is needed to compare with")

# (value, unquoted pattern text)
CASES = [
    ("test_xs", "test_x[shrink-0-xpu]"),
    ("test_x[shrink-0-xpu]", "test_x[shrink-0-xpu]"),
    ("test_xk", "test_x[shrink-0-xpu]"),
    ("test_x-", "test_x[shrink-0-xpu]"),
    (".[opt-einsum]", ".[opt-einsum]"),
    (".o", ".[opt-einsum]"),
    (".n", ".[opt-einsum]"),
    ("b", "[z-a]"), ("z", "[z-a]"), ("-", "[z-a]"),
    ("5", "[4-1]"),
    ("]", "[]]"), ("a", "[]a]"), ("]", "[!]]"), ("x", "[!]]"),
    ("b", "[^a]"), ("a", "[^a]"), ("!", "[!!]"),
    ("-", "[a-]"), ("-", "[-a]"), ("b", "[a-c-e]"), ("d", "[a-c-e]"), ("-", "[a-c-e]"),
    ("x", "[[:alpha:]]"), ("7", "[[:alpha:]]"), ("7", "[[:digit:][:upper:]]"), ("Q", "[[:digit:][:upper:]]"),
    ("a", "[[:nope:]]"), ("_", "[[:word:]]"), (" ", "[[:blank:]]"), ("f", "[[:xdigit:]]"), ("g", "[[:xdigit:]]"),
    ("a", "[[=a=]]"), ("[", "["), ("[a", "[a"), ("ab", "[ab"), ("a]", "a]"),
    ("a*b", r"a\*b"), ("axb", r"a\*b"), ("a?", r"a\?"), ("a[", r"a\["),
    ("abc", "a*c"), ("ac", "a*c"), ("abcd", "a*c"), ("a/b", "a*b"), ("a/b", "a?b"),
    ("Qwen2-Embedding", '*"Qwen"*"Embedding"*'), ("Qwen2-Embedding", '*"Qwen*"*'),
    ("Qwen*x", '*"Qwen*"*'),
    ("llama", "@(llama|qwen)"), ("qwen", "@(llama|qwen)"), ("gemma", "@(llama|qwen)"),
    ("", "*(ab)"), ("abab", "*(ab)"), ("aba", "*(ab)"), ("abab", "+(ab)"), ("", "+(ab)"),
    ("x.py", "!(*.sh)"), ("x.sh", "!(*.sh)"), ("a", "?(a)"), ("", "?(a)"), ("aa", "?(a)"),
    ("model.safetensors", "*.@(bin|safetensors)"), ("test_a_b", "test_+([a-z_])"),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c"),
]


def _bash_matches(cases: list[tuple[str, str]], how: str) -> list[bool]:
    lines = []
    for value, pattern in cases:
        v = shlex.quote(value)
        if how == "[[":
            lines.append(f"if [[ {v} == {pattern} ]]; then echo 1; else echo 0; fi")
        else:
            lines.append(f"case {v} in {pattern}) echo 1;; *) echo 0;; esac")
    script = "shopt -s extglob\n" + "\n".join(lines) + "\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, env={"LC_ALL": "C"})
    return [line == "1" for line in out.stdout.split()]


def _pieces(pattern: str) -> patterns.Pattern:
    """The pattern as the interpreter hands it over: `"..."` parts quoted."""
    out, quoted = [], False
    for k, part in enumerate(pattern.split('"')):
        if part:
            out.append((part, quoted))
        quoted = not quoted
    return tuple(out)


@pytest.mark.parametrize("how", ["[[", "case"])
def test_matches_as_bash_does(how):
    expected = _bash_matches(CASES, how)
    assert len(expected) == len(CASES)
    got = [patterns.matches(v, _pieces(p), extglob=True) for v, p in CASES]
    wrong = [(v, p, e) for (v, p), e, g in zip(CASES, expected, got) if e != g]
    assert not wrong, wrong


def test_strip_and_substitute_as_bash_does():
    value = "tests/models/test_x[shrink-0-xpu].py"
    ops = ["#*/", "##*/", "%.*", "%%[.]*", "#[k-0]*", "/[s-a]/Z", "//[[:digit:]]/N", "/#tests/", "/%.py/.sh",
           "//@(x|0)/_", "##+([a-z])/", "//[/", "/[z]/"]
    script = "shopt -s extglob\nv=" + shlex.quote(value) + "\n" + "\n".join(f'printf "%s\\n" "${{v{op}}}"' for op in ops)
    expected = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, env={"LC_ALL": "C"}).stdout.split("\n")
    got = []
    for op in ops:
        if op.startswith("/"):
            mode = {"/": "all", "#": "prefix", "%": "suffix"}.get(op[1], "first")
            body = op[2:] if mode != "first" else op[1:]
            pat, _, rep = body.partition("/")
            got.append(patterns.substitute(value, ((pat, False),), rep, mode=mode, extglob=True))
        else:
            longest = op[1] == op[0]
            pat = op[2:] if longest else op[1:]
            got.append(patterns.strip(value, ((pat, False),), suffix=op[0] == "%", longest=longest, extglob=True))
    assert got == expected[: len(ops)]


def test_many_stars_answer_at_once():
    value = "a" * 200
    pattern = (("*a" * 60 + "*b", False),)
    assert not patterns.matches(value, pattern)
    assert patterns.strip(value, pattern, suffix=True, longest=True) == value


def test_unquoted_bracket_words_run_as_written():
    """A pytest id or a pip extra with a reversed range matches no file: the word is kept."""
    files = {"tests/test_x.py": "", "setup.py": ""}
    assert_agrees_with_bash(job("pytest tests/test_x.py::test_x[shrink-0-xpu] -v",
                                "pip install .[opt-einsum]", "pytest -k test_[z-a]"), files)
