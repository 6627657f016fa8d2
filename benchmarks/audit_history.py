"""Benchmark: `audit --since` over a generated 300-commit history, cold cache then warm.

    python benchmarks/audit_history.py [--commits 300] [--areas 6] [--keep DIR]
    python benchmarks/audit_history.py --repo .bench/vllm-x1 [--since base]

Builds a vLLM-shaped repository with `benchmarks/generate.py` (or uses `--repo`),
runs the history audit twice with a fresh persistent cache (the second run must
read it), checks that both runs report identical findings, and prints the times
(wall and CPU) and the ratio.  Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed_audit(repo: Path, cache_dir: Path, since: str):
    from coverage_diff.engine.session import Session
    from coverage_diff.engine.cache import Cache
    from coverage_diff.history import audit_history
    from coverage_diff.report import renderer

    start, cpu = time.perf_counter(), time.process_time()
    session = Session(repo)
    try:
        report = audit_history(session, since, "HEAD", cache=Cache(cache_dir))
    finally:
        session.close()
    elapsed = time.perf_counter() - start
    findings = json.loads(renderer("json")(report))["findings"]
    return elapsed, findings, {**dict(report.summary), "cpu": time.process_time() - cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--areas", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--repo", type=Path, help="walk this existing repository instead of generating one")
    parser.add_argument("--since", default="base", help="first revision (excluded) of the walk")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cd-bench-"))
    repo = args.repo or args.keep or work / "repo"
    if args.repo is None:
        generate = _generator()
        generate.build(repo, generate.Shape(areas=args.areas, commits=args.commits), seed=args.seed)
    cache_dir = work / "cache"
    cold, first, summary_cold = timed_audit(repo, cache_dir, args.since)
    warm, second, summary_warm = timed_audit(repo, cache_dir, args.since)
    identical = first == second
    print(f"history: {summary_cold['commits']} commits; {len(first)} losses attributed")
    print(f"cold cache: {cold:.2f} s, {summary_cold['cpu']:.2f} s CPU ({summary_cold['inventories_built']} inventories built,"
          f" {summary_cold['job_outcomes_reused']} job outcomes reused)")
    print(f"warm cache: {warm:.2f} s, {summary_warm['cpu']:.2f} s CPU ({summary_warm['inventories_built']} inventories built,"
          f" {summary_warm['cache_hits']} hits)")
    print(f"speedup: {cold / warm:.1f}x; identical findings: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
