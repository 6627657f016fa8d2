"""The measure issue 14 asks for, over the whole differential suite: how many comparisons are
definite but wrong (the interpreter states runs bash contradicts; must be 0) and how many are
honest unknowns (it says `incomplete`, assumes, or leaves a value unknown).

    .venv/bin/python tests/shell/measure.py [--variants 200] [--fuzz 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

try:  # imported by the tests
    from .expansions import CASES, GENERATORS, UNKNOWN_CASES, check, variant, verdict
    from .generator import generate
    from .harness import compare_with_bash
    from .helpers import job
    from .test_constructs import CASES as CONSTRUCTS
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from shell.expansions import CASES, GENERATORS, UNKNOWN_CASES, check, variant, verdict  # noqa: E402
    from shell.generator import generate  # noqa: E402
    from shell.harness import compare_with_bash  # noqa: E402
    from shell.helpers import job  # noqa: E402
    from shell.test_constructs import CASES as CONSTRUCTS  # noqa: E402


def construct(script: str):
    files = {"ci/s.sh": script, "tests/test_a.py": "", "tests/unit/test_b.py": ""}
    return compare_with_bash(job("bash ci/s.sh"), files)


def fuzzed(seed: int):
    case = generate(seed)
    return compare_with_bash(case.job, case.files)


def groups(variants: int, fuzz: int) -> dict[str, list]:
    """Each group of the suite as [(label, thunk)]."""
    out = {
        "constructs (test_constructs)": [(k, lambda s=s: construct(s)) for k, s in CONSTRUCTS.items()],
        "expansion cases": [(k, lambda s=s: check(s)) for k, s in CASES.items()],
        "expansion unknowns": [(k, lambda s=s: check(s)) for k, (s, _) in UNKNOWN_CASES.items()],
        "generated sweeps (fuzz)": [(f"seed {i}", lambda i=i: fuzzed(i)) for i in range(fuzz)],
    }
    for kind in GENERATORS:
        out[f"generated {kind}"] = [(f"{kind} {i}", lambda k=kind, i=i: check(variant(k, i))) for i in range(variants)]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=200, help="seeds per expansion generator")
    parser.add_argument("--fuzz", type=int, default=500, help="seeds of the sweep generator")
    args = parser.parse_args(argv)
    began = time.monotonic()
    total: Counter = Counter()
    wrong: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, items in groups(args.variants, args.fuzz).items():
            results = list(pool.map(lambda item: (item[0], item[1]()), items))
            counts = Counter(verdict(r) for _, r in results)
            wrong += [f"{name}: {label}\n{r.explain()}" for label, r in results if verdict(r) == "wrong"]
            total += counts
            print(f"{name:32} {len(results):5}  agrees {counts['agrees']:5}  unknown {counts['unknown']:4}  wrong {counts['wrong']}")
    print(f"{'whole suite':32} {sum(total.values()):5}  agrees {total['agrees']:5}  unknown {total['unknown']:4}"
          f"  wrong {total['wrong']}   ({time.monotonic() - began:.0f}s)")
    for w in wrong[:5]:
        print("=" * 70)
        print(w)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
