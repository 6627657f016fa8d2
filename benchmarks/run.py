"""Benchmarks on generated repositories, each figure also a ratio to the floor.

    python benchmarks/run.py                 # both trees, 5 repeats, median
    python benchmarks/run.py --scales 1 --repeat 3

For each tree (vLLM-scale, and 4x) it times, as separate processes:

* floor      - list both trees, read every blob through one `git cat-file --batch`
* cold diff  - `coverage-diff base..head` with an empty cache directory
* warm diff  - the same with the cache a previous run left
* inventory  - `coverage-diff inventory head`, cold and warm
* audit      - `coverage-diff audit --since base` (300 commits), first and second run,
               when the CLI has it
* audit head - `coverage-diff audit head`, one revision's rules, cold (what vLLM's nightly
               audit of main does)
* peak memory of the cold diff (ru_maxrss of the child, through wait4)

Cold and warm runs must report identical findings; the script fails if not.
Results go to stdout (a markdown table) and `.bench/results.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (a sibling script, not a package)


@dataclass
class Sample:
    seconds: float
    peak_kb: int
    stdout: bytes = b""
    cpu: float = 0.0  # user + system seconds of the child and what it waited for


@dataclass
class Figure:
    name: str
    seconds: list[float]
    peak_kb: int
    cpu: list[float] = field(default_factory=list)  # on a shared machine the figure to compare

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu) if self.cpu else 0.0


def figure(name: str, samples: list[Sample]) -> Figure:
    print(f"  {name:24} {statistics.median(s.seconds for s in samples):8.3f} s wall "
          f"{statistics.median(s.cpu for s in samples):8.3f} s CPU", file=sys.stderr)
    return Figure(name, [s.seconds for s in samples], max(s.peak_kb for s in samples), [s.cpu for s in samples])


@dataclass
class TreeResult:
    name: str
    scale: int
    files: int
    runs: int
    figures: dict[str, Figure] = field(default_factory=dict)

    def ratio(self, name: str) -> float:
        return self.figures[name].median / self.figures["floor"].median


# ----------------------------------------------------------------------------- processes
def measure(argv: list[str], env: dict[str, str] | None = None, ok_codes=(0, 1)) -> Sample:
    """Wall time and peak RSS of one run.  The child is reaped with wait4, whose
    rusage covers that child and the processes it waited for (git), so the peak
    is the largest process of its tree."""
    stdout = tempfile.TemporaryFile()
    stderr = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout.seek(0)
    stderr.seek(0)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{stderr.read().decode(errors='replace')[-3000:]}")
    return Sample(seconds, usage.ru_maxrss, stdout.read(), usage.ru_utime + usage.ru_stime)


def source_fingerprint() -> str:
    """The cache is keyed by a hash of the tool's source: edits during a run make warm runs cold."""
    return subprocess.run([sys.executable, "-c", "from coverage_diff.engine.cache import tool_fingerprint as f; print(f())"],
                          capture_output=True, text=True).stdout.strip()


def tool() -> list[str]:
    script = Path(sys.executable).parent / "coverage-diff"
    return [str(script)] if script.exists() else [sys.executable, "-m", "coverage_diff.cli"]


def supports(*args: str) -> str:
    """The help text of a subcommand ('' when the CLI lacks it)."""
    proc = subprocess.run([*tool(), *args, "--help"], capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else ""


# ----------------------------------------------------------------------------- trees
def ensure_tree(dest: Path, shape: generate.Shape, seed: int) -> generate.Tree:
    """Build the repository unless one from the same generator, shape and seed is there."""
    stamp = hashlib.sha1(f"{Path(generate.__file__).read_bytes()!r}{shape}{seed}".encode()).hexdigest()
    marker = dest / ".git" / "bench-stamp"
    if marker.exists() and marker.read_text() == stamp:
        return rebuild_model(shape, seed)
    tree = generate.build(dest, shape, seed)
    marker.write_text(stamp)
    return tree


def rebuild_model(shape: generate.Shape, seed: int) -> generate.Tree:
    """The head tree as data, without writing a repository."""
    import random

    rng = random.Random(seed)
    generate._serial = iter(range(10**9))
    tree = generate.build_tree(shape, rng)
    generate.fast_import_stream(tree, shape, rng)  # replays the edits
    return tree


# ----------------------------------------------------------------------------- one tree
def bench_tree(name: str, repo: Path, scale: int, tree: generate.Tree, repeat: int, audit_help: str, no_cache: bool) -> TreeResult:
    result = TreeResult(name, scale, len(tree.files()), tree.expected_runs())
    floor = [sys.executable, str(HERE / "floor.py"), str(repo), "base", "head"]
    diffs = {label: diff_argv(spec, repo) for label, spec in DIFFS}
    inventory = [*tool(), "inventory", "head", "--repo", str(repo), "--format", "json"]
    audit = [*tool(), "audit", "--since", "base", "--until", "head", "--repo", str(repo), "--format", "json", "--fail-on", "never"]
    audit_head = [*tool(), "audit", "head", "--repo", str(repo), "--format", "json", "--fail-on", "never"]
    cold_flag = ["--no-cache"] if no_cache else []

    result.figures["floor"] = run_many("floor", floor, repeat).figure
    for label, diff in diffs.items():
        cold = run_many(f"{label} cold", diff, repeat, fresh_cache=True, extra=cold_flag)
        warm, warm_out = run_warm(f"{label} warm", diff, repeat)
        check_identical(cold.outputs, warm_out, f"{name} {label}")
        result.figures[f"{label} cold"] = cold.figure
        result.figures[f"{label} warm"] = warm
    result.figures["diff prev..head after previous push"] = run_primed(
        "next push", diffs["diff prev..head"], diff_argv("prev~1..prev", repo), repeat)
    result.figures["inventory (cold)"] = run_many("inventory", inventory, repeat, fresh_cache=True, extra=cold_flag).figure
    result.figures["inventory (warm)"] = run_warm("inventory", inventory, repeat)[0]
    if "--since" in audit_help:
        first = run_many("audit first", audit, max(1, repeat // 2), fresh_cache=True)
        second, second_out = run_warm("audit second", audit, max(1, repeat // 2))
        check_identical(first.outputs, second_out, f"{name} audit")
        result.figures["audit --since (first)"] = first.figure
        result.figures["audit --since (second)"] = second
    if audit_help:
        single = run_many("audit head", audit_head, max(1, repeat // 2), fresh_cache=True, extra=cold_flag)
        result.figures["audit head (cold)"] = single.figure
    return result


def diff_argv(spec: str, repo: Path) -> list[str]:
    return [*tool(), "diff", spec, "--repo", str(repo), "--format", "json", "--fail-on", "never"]


DIFFS = (("diff base..head", "base..head"), ("diff prev..head", "prev..head"))  # 300 commits apart; one PR-sized commit


@dataclass
class Many:
    figure: Figure
    outputs: list[bytes]


def run_many(name: str, argv: list[str], repeat: int, fresh_cache: bool = False, extra: list[str] = ()) -> Many:
    samples = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="cd-cache-") as cache:
            env = {"COVERAGE_DIFF_CACHE_DIR": cache} if fresh_cache else {}
            samples.append(measure([*argv, *extra], env))
    return Many(figure(name, samples), [s.stdout for s in samples])


def run_warm(name: str, argv: list[str], repeat: int) -> tuple[Figure, list[bytes]]:
    """One run fills a cache directory; the timed runs reuse it."""
    with tempfile.TemporaryDirectory(prefix="cd-cache-") as cache:
        env = {"COVERAGE_DIFF_CACHE_DIR": cache}
        measure(argv, env)
        samples = [measure(argv, env) for _ in range(repeat)]
    return figure(name, samples), [s.stdout for s in samples]


def run_primed(name: str, argv: list[str], prime: list[str], repeat: int) -> Figure:
    """The PR bot's usual case: the cache holds what the previous push computed."""
    samples = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="cd-cache-") as cache:
            env = {"COVERAGE_DIFF_CACHE_DIR": cache}
            measure(prime, env)
            samples.append(measure(argv, env))
    return figure(name, samples)


def check_identical(cold: list[bytes], warm: list[bytes], what: str) -> None:
    """Findings must not depend on the cache (nor on the run)."""
    reference = findings_of(cold[0])
    for out in cold[1:] + warm:
        if findings_of(out) != reference:
            raise SystemExit(f"{what}: findings differ between cold and warm runs "
                             "(if the package source changed during the run, run again on a quiet tree)")


def findings_of(out: bytes) -> list:
    data = json.loads(out)
    return data.get("findings", data) if isinstance(data, dict) else data


# ----------------------------------------------------------------------------- report
def _tree(results: list[TreeResult], scale: int) -> TreeResult:
    return next(r for r in results if r.scale == scale)


def _median(results, scale: int, figure: str) -> float:
    return _tree(results, scale).figures[figure].median


TARGETS = (
    ("cold diff base..head <= 5x floor (vLLM-scale)", lambda r: _tree(r, 1).ratio("diff base..head cold"), 5.0),
    ("cold diff prev..head <= 5x floor (vLLM-scale)", lambda r: _tree(r, 1).ratio("diff prev..head cold"), 5.0),
    ("warm diff base..head <= 3x floor (vLLM-scale)", lambda r: _tree(r, 1).ratio("diff base..head warm"), 3.0),
    ("warm diff prev..head <= 3x floor (vLLM-scale)", lambda r: _tree(r, 1).ratio("diff prev..head warm"), 3.0),
    ("audit --since first <= 10 s (vLLM-scale)", lambda r: _median(r, 1, "audit --since (first)"), 10.0),
    ("audit --since second <= 2 s (vLLM-scale)", lambda r: _median(r, 1, "audit --since (second)"), 2.0),
    ("audit head (one revision) <= 15 s (vLLM-scale)", lambda r: _median(r, 1, "audit head (cold)"), 15.0),
    ("4x tree cold diff base..head <= 4.5x vLLM-scale", lambda r: _median(r, 4, "diff base..head cold") / _median(r, 1, "diff base..head cold"), 4.5),
    ("4x tree cold inventory <= 4.5x vLLM-scale", lambda r: _median(r, 4, "inventory (cold)") / _median(r, 1, "inventory (cold)"), 4.5),
    ("peak memory <= 300 MB (4x tree)", lambda r: max(f.peak_kb for f in _tree(r, 4).figures.values()) / 1024, 300.0),
)


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())  # other work on the machine skews absolute times
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(), "git": git, "system": platform.platform(), "load": load}


def render(results: list[TreeResult], info: dict[str, str], repeat: int) -> str:
    lines = [f"Machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, {info['git']}; "
             f"load average {info['load']} at the end; median of {repeat} runs.", ""]
    lines += ["| tree | figure | median s | x floor | CPU s | peak MB |", "|---|---|---:|---:|---:|---:|"]
    for tree in results:
        for name, fig in tree.figures.items():
            lines.append(f"| {tree.name} ({tree.files} files, {tree.runs} runs) | {name} | {fig.median:.3f} | {tree.ratio(name):.1f} "
                         f"| {fig.median_cpu:.3f} | {fig.peak_kb / 1024:.0f} |")
    lines += ["", "| target | measured | limit | met |", "|---|---:|---:|---|"]
    for label, value, limit in TARGETS:
        try:
            measured = value(results)
        except (StopIteration, KeyError):
            lines.append(f"| {label} | n/a | {limit:g} | not measured |")
            continue
        lines.append(f"| {label} | {measured:.2f} | {limit:g} | {'yes' if measured <= limit else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,4", help="comma-separated tree scales (1 = vLLM-scale)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--audit-scales", default="1", help="scales whose 300-commit audit is timed (slow)")
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=ROOT / ".bench")
    args = parser.parse_args(argv)

    code = source_fingerprint()
    audit_help = supports("audit")
    no_cache = "--no-cache" in supports("diff")
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        name = "vLLM-scale" if scale == 1 else f"{scale}x"
        repo = args.dir / f"vllm-x{scale}"
        print(f"{name}: building {repo}", file=sys.stderr)
        tree = ensure_tree(repo, generate.Shape(commits=args.commits).scaled(scale), args.seed)
        audit = audit_help if str(scale) in args.audit_scales.split(",") else ""
        results.append(bench_tree(name, repo, scale, tree, args.repeat, audit, no_cache))
    info = machine()
    if source_fingerprint() != code:
        print("warning: the package source changed during the run; warm figures may have missed the cache", file=sys.stderr)
    text = render(results, info, args.repeat)
    print(text)
    (args.dir / "results.json").write_text(json.dumps({"machine": info, "repeat": args.repeat, "trees": [
        {**{k: v for k, v in asdict(t).items() if k != "figures"}, "figures": {n: {"seconds": f.seconds, "median": f.median, "cpu": f.cpu, "median_cpu": f.median_cpu, "ratio": t.ratio(n), "peak_kb": f.peak_kb} for n, f in t.figures.items()}}
        for t in results
    ]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
