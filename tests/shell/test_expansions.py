"""Word expansion against real bash (issue 14): brace expansion, `${@:N}` and array slices,
IFS splitting, quotes in `${x:-word}`, whole-array operators, `$((..))` where tree-sitter reads
`$( (..) )`, here-document layouts, `local -a`, associative keys, `read` without `-r`."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from coverage_diff.shell import braces

from .expansions import (BRACE_TOKENS, CASES, GENERATORS, UNKNOWN_CASES, brace_words_predicted, brace_words_under_bash,
                         check, variant, verdict)
from .helpers import argvs, interpret


@pytest.mark.parametrize("name", list(CASES))
def test_construct_agrees_with_bash(name):
    result = check(CASES[name])
    assert result.comparable, f"not every value is known statically:\n{result.explain()}"
    assert result.agrees, f"interpreter and bash disagree:\n{result.explain()}"


@pytest.mark.parametrize("name", list(UNKNOWN_CASES))
def test_what_cannot_be_followed_is_said(name):
    script, reason = UNKNOWN_CASES[name]
    result = check(script)
    assert verdict(result) == "unknown"
    assert any(reason in i.reason for i in result.outcome.incomplete), result.explain()


# Seeds per kind, and the share of them every value of which must be known (the generators
# for braces and operands write adversarial words: many are honestly unknown).
VARIANTS = {"braces": (60, 0.4), "ifs": (60, 1.0), "slices": (60, 0.9), "operands": (60, 0.5), "read": (60, 1.0)}


@pytest.mark.parametrize("kind", list(VARIANTS))
def test_generated_variants_never_state_a_run_bash_does_not_make(kind):
    count, known_share = VARIANTS[kind]
    scripts = [variant(kind, seed) for seed in range(count)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(check, scripts))
    verdicts = [verdict(r) for r in results]
    wrong = [f"{s}\n{r.explain()}" for s, r, v in zip(scripts, results, verdicts) if v == "wrong"]
    assert not wrong, f"{len(wrong)} definite but wrong:\n" + "\n\n".join(wrong[:2])
    assert verdicts.count("agrees") >= known_share * count, f"only {verdicts.count('agrees')} of {count} known"


def test_brace_expansion_of_random_words_is_bash_s():
    r = random.Random(14)
    words = ["".join(r.choice(BRACE_TOKENS) for _ in range(r.randint(1, 9))) for _ in range(1500)]
    expanded = [braces.expand(w) for w in words]
    kept = [(w, e) for w, e in zip(words, expanded) if e is not None]
    assert len(kept) > 1400
    bash = brace_words_under_bash([w for w, _ in kept])
    ours = brace_words_predicted([e for _, e in kept])
    bad = [(w, b, o) for (w, _), b, o in zip(kept, bash, ours) if b != o]
    assert not bad, bad[:5]


def test_brace_expansion_gives_up_past_its_cap():
    assert braces.expand("{1..100000}") is None
    assert braces.expand("{a,b}{1..3}") == ["a1", "a2", "a3", "b1", "b2", "b3"]
    out = interpret({"ci/s.sh": "pytest x{1..100000}\n"}, "bash ci/s.sh")
    assert any("brace expansion" in i.reason for i in out.incomplete)


def test_brace_words_keep_their_line():
    out = interpret({"ci/s.sh": "true\n\npytest {a,b}$(false)\n"}, "bash ci/s.sh")
    assert argvs(out) == ["pytest a b"] and out.runs[0].location.line == 3


def test_what_tree_sitter_misreads_is_never_stated_as_certain():
    """`<<A; cmd` (a here-document marker followed by `;`) and `export E={p,q}`: bash's runs are
    all among the predicted ones, and no predicted run is stated as certain (each carries an
    assumption or shows its unknown word)."""
    from .harness import soundness

    for script in ('while read -r a; do pytest "$a"; done <<A; pytest mid\none\nA\npytest end\n',
                   'export E={p,q}\npytest "$E"\nf() { local L={a,b}; pytest "$L"; }\nf\n'):
        result = check(script)
        wrong, unknowns = soundness(result)
        assert not wrong and unknowns, (script, wrong)
