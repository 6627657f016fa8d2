"""Benchmark: the shell interpreter alone, in one process, on a generated tree.

    python benchmarks/interp_bench.py [--repo .bench/vllm-x1] [--rev head] [--open 30] [--repeat 3]

Collects the jobs of `rev` (not timed), then interprets every job in the closed
world and the first `--open` jobs that call a sweep script in the open world
(as explanations do), each with no memo, and prints the process CPU time of
each pass. The first pass includes parsing each script once (tree-sitter trees
are kept per blob in the session's context, as a command keeps them), later passes do not.

It also prints a digest of every outcome (runs, conditions, reads, incompletes,
script calls), so two versions of the interpreter can be checked to compute the
same thing: the digest must not change when only speed does.
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path


def digest(outcomes) -> str:
    h = hashlib.sha256()
    for outcome in outcomes:
        for part in (outcome.runs, outcome.scripts, outcome.conditions, outcome.reads, outcome.incomplete,
                     outcome.diagnostics, outcome.missing_scripts, outcome.steps):
            h.update(repr(part).encode())
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(".bench/vllm-x1"))
    parser.add_argument("--rev", default="head")
    parser.add_argument("--open", type=int, default=30, help="sweep jobs interpreted in the open world")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the last pass here")
    args = parser.parse_args(argv)

    from coverage_diff.engine.session import Session
    from coverage_diff.ci import collect_jobs
    from coverage_diff.shell import interpret_job

    session = Session(args.repo)
    try:
        snapshot = session.snapshot(args.rev)
        settings = session.settings_for(snapshot)
        jobs = collect_jobs(snapshot, settings).jobs
        sweeps = [job for job in jobs if any(".sh" in c.text for c in job.commands)][: args.open]

        def one_pass():
            start = time.process_time()
            closed = [interpret_job(job, snapshot, settings, context=session.context) for job in jobs]
            middle = time.process_time()
            opened = [interpret_job(job, snapshot, settings, open_world=True, context=session.context) for job in sweeps]
            return closed, opened, middle - start, time.process_time() - middle

        print(f"{len(jobs)} jobs closed, {len(sweeps)} open")
        for i in range(args.repeat):
            profiler = None
            if args.profile and i == args.repeat - 1:
                import cProfile

                profiler = cProfile.Profile(time.process_time)  # CPU time: the machine may be shared
                profiler.enable()
            closed, opened, cpu_closed, cpu_open = one_pass()
            cpu = cpu_closed + cpu_open
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(str(args.profile))
            runs = sum(len(o.runs) for o in closed), sum(len(o.runs) for o in opened)
            print(f"pass {i + 1}: {cpu:.3f} s CPU (closed {cpu_closed:.3f}, open {cpu_open:.3f})  runs closed/open {runs[0]}/{runs[1]}  "
                  f"digest closed {digest(closed)} open {digest(opened)}")
    finally:
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
