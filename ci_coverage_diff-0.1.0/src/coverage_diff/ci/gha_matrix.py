"""`strategy.matrix` expansion, as GitHub documents it.

1. The cartesian product of the list-valued keys, first key outermost.
2. Each `exclude` entry removes every combination it matches; a partial entry
   (fewer keys than the matrix) matches on the keys it names.
3. Each `include` entry, in order, is merged into every combination whose
   *original* values it does not overwrite (values added by earlier includes
   may be overwritten); an entry merged nowhere becomes a combination of its own.
"""

from __future__ import annotations

import itertools
import math

MAX_JOBS = 256  # GitHub refuses a matrix producing more jobs than this
MAX_COMBINATIONS = 65_536  # product size expanded at most (exclusions are applied after)


class MatrixError(Exception):
    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key  # the matrix key the problem is about, for the line number


def expand(matrix: dict) -> list[dict]:
    """The combinations of an already-resolved matrix mapping, in GitHub's order."""
    vectors = [(key, values) for key, values in matrix.items() if key not in ("include", "exclude")]
    for key, values in vectors:
        if not isinstance(values, list):
            raise MatrixError(f"matrix key {key!r} must be a list of values", key)
        if not values:
            raise MatrixError(f"matrix key {key!r} has no values", key)
    size = math.prod(len(values) for _, values in vectors)
    if size > MAX_COMBINATIONS:  # exclusions could never bring this under MAX_JOBS cheaply: refuse before expanding
        raise MatrixError(f"matrix makes {size} combinations before exclusions; GitHub refuses more than {MAX_JOBS} jobs")
    originals = _product(vectors)
    originals = [c for c in originals if not any(_matches(c, e) for e in _entries(matrix, "exclude"))]
    combined = [dict(c) for c in originals]
    added: list[dict] = []
    for entry in _entries(matrix, "include"):
        merged = False
        for original, current in zip(originals, combined):
            if all(key not in original or _equal(original[key], value) for key, value in entry.items()):
                current.update(entry)
                merged = True
        if not merged:
            added.append(dict(entry))
    return combined + added


def _product(vectors: list[tuple[str, list]]) -> list[dict]:
    if not vectors:
        return []  # no vectors: only `include` entries make combinations
    keys = [key for key, _ in vectors]
    return [dict(zip(keys, values)) for values in itertools.product(*(v for _, v in vectors))]


def _entries(matrix: dict, name: str) -> list[dict]:
    entries = matrix.get(name) or []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise MatrixError(f"matrix {name} must be a list of mappings", name)
    return entries


def _matches(combination: dict, exclude: dict) -> bool:
    return all(key in combination and _equal_partial(combination[key], value) for key, value in exclude.items())


def _equal_partial(actual, wanted) -> bool:
    if isinstance(actual, dict) and isinstance(wanted, dict):
        return all(k in actual and _equal_partial(actual[k], v) for k, v in wanted.items())
    return _equal(actual, wanted)


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def flatten(combination: dict) -> tuple[tuple[str, str], ...]:
    """A combination as `Job.matrix` (object values become dotted keys)."""
    out: list[tuple[str, str]] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            out.append((prefix, _text(value) if not isinstance(value, list) else ",".join(map(_text, value))))

    for key, value in combination.items():
        walk(str(key), value)
    return tuple(out)


def _text(value) -> str:
    from .gha_expressions import Unknown, to_string

    return f"<{value.origin}>" if isinstance(value, Unknown) else to_string(value)
