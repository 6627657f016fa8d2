"""Shell words as the analysis meets them in argv and command text: `NAME=value` assignments."""

from __future__ import annotations

import re

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def is_assignment(word: str) -> bool:
    """`NAME=value` (a prefix assignment, or an argument of `env`)."""
    return _ASSIGNMENT.match(word) is not None


def without_leading_assignments(words: list[str]) -> list[str]:
    """The words after the leading `NAME=value` ones: the command itself."""
    k = 0
    while k < len(words) and is_assignment(words[k]):
        k += 1
    return list(words[k:])
