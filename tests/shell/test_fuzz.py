"""The generated differential suite: 500 random sweep scripts must agree with bash."""

from __future__ import annotations

import pytest

from .fuzz import fuzz

CHUNK = 50


@pytest.mark.parametrize("start", range(0, 500, CHUNK))
def test_generated_scripts_agree_with_bash(start):
    agreed, incomparable, failures = fuzz(start, CHUNK)
    detail = "\n\n".join(case.describe() + "\n" + result.explain() for case, result in failures[:2])
    assert not failures, f"{len(failures)} disagreements:\n{detail}"
    assert incomparable <= CHUNK // 10, "the generator only writes scripts whose values are all known"
    assert agreed + incomparable == CHUNK
