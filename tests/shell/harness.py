"""The differential harness: a job run under real bash, its test runners replaced
by logging shims, against what the interpreter predicts.

Test code only: this is the one place fixture scripts are executed.

    assert_agrees_with_bash(job, snapshot_files, settings)

materialises the files in a temporary directory (workspace prefixes such as
`/vllm-workspace` are rewritten to it), runs the job's commands in ONE bash
(`bash -e -c` when `job.errexit`) from `working_dir`, with every runner name
(pytest, python, torchrun, ... and every leaf the interpreter predicts) a shim
first on PATH that logs argv, cwd and environment and exits 0, then compares the
multiset of logged runs with the predicted ones: argv (repository paths made
root-relative on both sides), cwd, and env on the variables the prediction lists.

A comparison is `comparable` when the prediction is definite: nothing incomplete, no run
resting on an assumption, no run with a word or prefix whose value is unknown.  A comparable
prediction bash contradicts is definite but wrong, which must never happen; the rest are
honest unknowns.
"""

from __future__ import annotations

import atexit
import os
import posixpath
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from coverage_diff.config import Settings
from coverage_diff.model import Job
from coverage_diff.shell import JobOutcome, canonical_word
from coverage_diff.shell.interp import Interpreter
from coverage_diff.snapshot import Snapshot

RUNNERS = ("pytest", "python", "python3", "torchrun", "lm_eval", "vllm", "accelerate", "deepspeed", "coverage")
# Setup commands that must not touch the machine during a differential run.
SILENCED = ("pip", "pip3", "uv", "apt-get", "apt", "yum", "dnf", "conda", "git", "curl", "wget", "docker", "sudo",
            "nvidia-smi", "amd-smi", "rocm-smi", "buildkite-agent", "ccache", "sccache", "sleep", "kill", "pkill")
LOG_VAR = "__COVERAGE_DIFF_SHIM_LOG"

RunKey = tuple[tuple[str, ...], str, tuple[tuple[str, str], ...]]


@dataclass
class Comparison:
    predicted: Counter
    logged: Counter
    outcome: JobOutcome
    comparable: bool  # every predicted run certain and known, nothing given up
    bash_status: int
    stderr: str

    @property
    def agrees(self) -> bool:
        return self.predicted == self.logged

    def explain(self) -> str:
        missing = self.logged - self.predicted
        extra = self.predicted - self.logged
        lines = [f"bash exit status {self.bash_status}"]
        lines += [f"  bash ran, interpreter missed: {k}" for k in missing.elements()]
        lines += [f"  interpreter predicted, bash did not run: {k}" for k in extra.elements()]
        if self.outcome.incomplete:
            lines.append(f"  incomplete: {self.outcome.incomplete}")
        if self.stderr.strip():
            lines.append("  stderr: " + self.stderr.strip()[-1500:])
        return "\n".join(lines)


def _shim(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


# The exit status of a shim: 0, unless the run's status file names the program with a list of
# statuses, one per call (the last one repeats): `pytest 0 0 1` succeeds twice, then fails.
STATUS = f"""__s=0
if [ -f "${LOG_VAR}.status" ]; then
  while read -r __n __rest; do
    [ "$__n" = "${{0##*/}}" ] || continue
    __c="${LOG_VAR}.count.$__n"; __k=$(cat "$__c" 2>/dev/null || echo 0); echo $((__k + 1)) > "$__c"
    read -r -a __all <<< "$__rest"
    __s=${{__all[$(( __k < ${{#__all[@]}} ? __k : ${{#__all[@]}} - 1 ))]}}
  done < "${LOG_VAR}.status"
fi
exit "$__s"
"""
LOGGING_SHIM = f"""{{ printf '%s\\0' CALL "${{0##*/}}" "$PWD" "$#" "$@"; env -0; printf 'END\\0'; }} >> "${LOG_VAR}"
""" + STATUS


def run_under_bash(job: Job, files: dict[str, str], settings: Settings, runner_names, *, timeout: float = 30,
                   statuses: dict[str, str] | None = None) -> tuple[list, int, str, Path]:
    """Run the job for real; return [(argv, cwd, env)] logged by the shims.  `statuses`: program
    name -> its exit statuses, one per call, the last repeating (`"0 1"`: succeeds, then fails)."""
    tmp = Path(tempfile.mkdtemp(prefix="cdiff-bash-", dir=_FAST_TMP))
    try:
        return _run(job, files, settings, runner_names, tmp, timeout, statuses or {})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# A memory-backed temp dir when there is one: creating and removing trees is the cost.
_FAST_TMP = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_SHIM_DIR: Path | None = None
_SHIM_LOCK = threading.Lock()


def _shims(runner_names) -> Path:
    """One shim directory per process, shared by every run (the log path is per run)."""
    global _SHIM_DIR
    with _SHIM_LOCK:
        if _SHIM_DIR is None:
            _SHIM_DIR = Path(tempfile.mkdtemp(prefix="cdiff-shims-"))
            atexit.register(shutil.rmtree, _SHIM_DIR, True)
            for name in SILENCED:
                _shim(_SHIM_DIR / name, STATUS)
            _shim(_SHIM_DIR / "sh", 'exec bash "$@"\n')
        for name in (set(runner_names) | set(RUNNERS)) - set(SILENCED):
            if name and "/" not in name and not (_SHIM_DIR / name).exists():
                _shim(_SHIM_DIR / name, LOGGING_SHIM)
    return _SHIM_DIR


def _run(job, files, settings, runner_names, tmp: Path, timeout: float, statuses: dict[str, str]):
    repo = tmp / "repo"
    home = tmp / "home"
    for d in (repo, home):
        d.mkdir()
    shims = _shims(set(runner_names) | set(statuses))
    prefixes = [p.rstrip("/") for p in settings.workspace_prefixes]

    def localise(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, str(repo))
        return text

    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(localise(text))
        target.chmod(0o755)
    log = tmp / "runs.log"
    log.touch()
    if statuses:
        Path(f"{log}.status").write_text("".join(f"{name} {codes}\n" for name, codes in statuses.items()))
    cwd = repo / job.working_dir
    cwd.mkdir(parents=True, exist_ok=True)
    env = {"PATH": f"{shims}:/usr/bin:/bin", "HOME": str(home), LOG_VAR: str(log), "LC_ALL": "C"}
    env.update({k: localise(v) for k, v in job.env})
    script = "\n".join(localise(c.text) for c in job.commands)
    argv = ["bash", "-e", "-c", script] if job.errexit else ["bash", "-c", script]
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return _parse_log(log.read_bytes(), repo, prefixes), proc.returncode, proc.stderr, repo


def _parse_log(data: bytes, repo: Path, prefixes: list[str]) -> list[tuple[tuple[str, ...], str, dict[str, str]]]:
    parts = data.decode("utf-8", "replace").split("\0")
    root = prefixes[0] if prefixes else "/repo"
    runs = []
    i = 0

    def unlocalise(text: str) -> str:
        return text.replace(str(repo), root)

    while i < len(parts) and parts[i] == "CALL":
        name, cwd, count = parts[i + 1], parts[i + 2], int(parts[i + 3])
        args = parts[i + 4 : i + 4 + count]
        i += 4 + count
        env = {}
        while parts[i] != "END":
            key, _, value = parts[i].partition("=")
            env[key] = unlocalise(value)
            i += 1
        i += 1
        cwd_rel = posixpath.relpath(cwd, str(repo)) if cwd == str(repo) or cwd.startswith(str(repo) + "/") else cwd
        runs.append(((name, *(unlocalise(a) for a in args)), "" if cwd_rel == "." else cwd_rel, env))
    return runs


class _Watched(Interpreter):
    """The interpreter, noting whether a run it records has a value it does not know."""

    unknown_values = False

    def record_run(self, st, words, prefixes, node):
        if any(not w.known for w in words) or any(not v.known for _, v in prefixes):
            self.unknown_values = True
        super().record_run(st, words, prefixes, node)


def compare_with_bash(job: Job, snapshot_files: dict[str, str], settings: Settings | None = None,
                      statuses: dict[str, str] | None = None) -> Comparison:
    settings = settings or Settings()
    snapshot = Snapshot.from_files("harness", snapshot_files)
    bare = job.without_metadata()  # as `interpret_job` does
    interp = _Watched(snapshot, settings, job_id=bare.id, platform=bare.platform)
    outcome = interp.run_job(bare)
    names = {posixpath.basename(r.argv[0]) for r in outcome.runs if r.argv}
    logged_raw, status, stderr, _ = run_under_bash(job, snapshot_files, settings, names, statuses=statuses)
    predicted = Counter((r.argv, r.cwd, r.env) for r in outcome.runs)
    env_names: dict[tuple, set[str]] = {}
    for r in outcome.runs:
        env_names.setdefault((r.argv, r.cwd), set()).update(k for k, _ in r.env)
    logged = Counter()
    for argv, cwd, env in logged_raw:
        argv = tuple(canonical_word(w, cwd, snapshot, settings) for w in argv)
        wanted = env_names.get((argv, cwd), set())
        logged[(argv, cwd, tuple(sorted((k, v) for k, v in env.items() if k in wanted)))] += 1
    comparable = not outcome.incomplete and not interp.unknown_values and all(not r.assumptions for r in outcome.runs)
    result = Comparison(predicted, logged, outcome, comparable, status, stderr)
    tally = os.environ.get(TALLY_VAR)
    if tally:  # the suite-wide soundness figure: one line per comparison
        wrong, unknowns = soundness(result)
        with open(tally, "a") as f:
            first = wrong[0].replace("\t", " ").replace("\n", " ") if wrong else ""
            f.write(f"{len(wrong)}\t{unknowns + int(interp.unknown_values)}\t{len(outcome.incomplete)}\t{first}\n")
    return result


def assert_agrees_with_bash(job: Job, snapshot_files: dict[str, str], settings: Settings | None = None) -> Comparison:
    """The interpreter's runs for `job` equal what bash runs (as a multiset)."""
    result = compare_with_bash(job, snapshot_files, settings)
    assert result.comparable, f"not every value is known statically, cannot compare:\n{result.explain()}"
    assert result.agrees, f"interpreter and bash disagree for {job.id}:\n{result.explain()}"
    return result


def bash_available() -> bool:
    return shutil.which("bash") is not None and os.name == "posix"


# -- soundness: what the interpreter may leave unknown, never state wrongly ------------------
UNKNOWN_MARKS = ("$", "<", "`")  # how an unknown word is shown (`$X`, `<output>`, `$(cmd)`)


@dataclass
class Soundness:
    """A run of the job under bash set against the prediction, where the prediction may say
    "unknown": a run kept as possible (with an assumption), or a word not known statically.

    `wrong` lists the definite predictions bash contradicts (a certain run bash did not make)
    and the runs bash made that the interpreter dropped (no predicted run covers them).
    `unknowns` counts the honest unknowns: possible runs, runs with unknown words, notes."""

    wrong: list[str]
    unknowns: int
    comparison: Comparison

    def explain(self) -> str:
        return "\n".join(["wrong: " + w for w in self.wrong] + [self.comparison.explain()])


def _covers(pattern: tuple[str, ...], argv: tuple[str, ...]) -> bool:
    """A predicted argv covers a logged one: known words equal, an unknown word any 0+ words."""
    if not pattern:
        return not argv
    head, rest = pattern[0], pattern[1:]
    if any(m in head for m in UNKNOWN_MARKS):
        return any(_covers(rest, argv[i:]) for i in range(len(argv) + 1)) or (bool(argv) and head == argv[0] and _covers(rest, argv[1:]))
    return bool(argv) and head == argv[0] and _covers(rest, argv[1:])


def check_sound(job: Job, snapshot_files: dict[str, str], settings: Settings | None = None,
                statuses: dict[str, str] | None = None) -> Soundness:
    result = compare_with_bash(job, snapshot_files, settings or Settings(), statuses)
    wrong, unknowns = soundness(result)
    return Soundness(wrong, unknowns, result)


# Set to a file name, every comparison under bash appends "wrong<TAB>unknowns<TAB>incomplete notes<TAB>first
# wrong" to it
# (`COVERAGE_DIFF_SOUNDNESS_TALLY=/tmp/t pytest tests/shell tests/e2e`: the suite-wide figure).
TALLY_VAR = "COVERAGE_DIFF_SOUNDNESS_TALLY"


def soundness(result: Comparison) -> tuple[list[str], int]:
    """(definite predictions bash contradicts and runs it made that were dropped, honest unknowns)."""
    runs = result.outcome.runs
    wrong: list[str] = []
    definite = Counter()
    possible = []
    for r in runs:
        vague = bool(r.assumptions) or "?" in r.cwd or any(any(m in w for m in UNKNOWN_MARKS) for w in r.argv)
        if vague:
            possible.append(r)
        else:
            definite[(r.argv, r.cwd, r.env)] += 1
    for key, count in definite.items():
        if result.logged[key] < count:
            wrong.append(f"predicted for certain, bash ran it {result.logged[key]} of {count} times: {key}")
    spare = result.logged - definite
    for (argv, cwd, env), count in spare.items():
        if not any(_covers(r.argv, argv) and (r.cwd == cwd or "?" in r.cwd) for r in possible):
            wrong.append(f"bash ran it, the interpreter dropped it: {(argv, cwd)}")
    unknowns = len(possible) + len(result.outcome.incomplete)
    return wrong, unknowns


def assert_sound(job: Job, snapshot_files: dict[str, str], settings: Settings | None = None,
                 statuses: dict[str, str] | None = None) -> Soundness:
    """No definite prediction bash contradicts, no run bash makes left out (with `statuses`:
    when the programs it names exit with those statuses)."""
    found = check_sound(job, snapshot_files, settings, statuses)
    assert not found.wrong, f"interpreter contradicts bash for {job.id}:\n{found.explain()}"
    return found
