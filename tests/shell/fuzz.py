"""Differential fuzzing: random sweep scripts under bash and under the interpreter.

    .venv/bin/python tests/shell/fuzz.py --count 2000 [--start 0] [--show-failures 3]

Prints the agreement figure; exits 1 on any disagreement where all values are known.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

try:  # imported by the tests
    from .generator import generate
    from .harness import compare_with_bash
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from shell.generator import generate  # noqa: E402
    from shell.harness import compare_with_bash  # noqa: E402


def check(seed: int):
    case = generate(seed)
    return case, compare_with_bash(case.job, case.files)


def fuzz(start: int, count: int, workers: int = 2):
    """(agreed, not comparable, [(case, comparison) that disagree]) over `count` seeds."""
    agreed, incomparable, failures = 0, 0, []
    with ThreadPoolExecutor(max_workers=workers) as pool:  # bash runs dominate; threads overlap them
        results = list(pool.map(check, range(start, start + count)))
    for case, result in results:
        if not result.comparable:
            incomparable += 1
        elif result.agrees:
            agreed += 1
        else:
            failures.append((case, result))
    return agreed, incomparable, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--show-failures", type=int, default=3)
    args = parser.parse_args(argv)
    began = time.monotonic()
    agreed, incomparable, failures = fuzz(args.start, args.count)
    compared = agreed + len(failures)
    print(f"{args.count} scripts, {compared} with every value known, agreement {agreed}/{compared}"
          f" ({100.0 * agreed / max(compared, 1):.2f}%), {incomparable} not comparable, {time.monotonic() - began:.1f}s")
    for case, result in failures[: args.show_failures]:
        print("=" * 70)
        print(case.describe())
        print(result.explain())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
