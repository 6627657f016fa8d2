"""`[tool.coverage-diff]` in `pyproject.toml`, or the top level of `.coverage-diff.toml`.

Settings are read from the analysed revision (or the working tree) so a repository
carries its own configuration.  A diff does not let the change under review weaken its
own gate: `for_diff` takes the base revision's settings, which the head may only make
stricter, and every cap stays below a hard ceiling (`CEILINGS`) whoever sets it.  Every key has a default that fits a
vLLM-style repository, so most projects need no configuration at all.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[no-redef]

DEFAULT_SETUP_COMMANDS = (
    # Commands that prepare a job rather than test anything: never subjects.
    "echo", "printf", "true", "false", ":", "mkdir", "rm", "cp", "mv", "ln", "touch", "chmod", "chown",
    "cat", "ls", "pwd", "sleep", "wait", "date", "nvidia-smi", "amd-smi", "rocm-smi", "uv", "pip", "pip3",
    "apt-get", "apt", "yum", "dnf", "conda", "git", "curl", "wget", "tar", "unzip", "sudo", "trap", "kill",
    "pkill", "ulimit", "nproc", "free", "df", "du", "which", "command", "type", "hash", "umask", "tee",
    "grep", "sed", "awk", "head", "tail", "sort", "uniq", "wc", "tr", "cut", "xargs", "find", "basename",
    "dirname", "realpath", "readlink", "env", "printenv", "set", "unset", "shopt", "buildkite-agent",
    "docker", "ccache", "sccache", "lscpu", "hostname", "whoami", "id", "uname", "timeout", "time",
)


# Secrets CI agents commonly carry in their environment (vLLM's agents: a Hugging Face
# token for gated models, registry and package-index tokens).
AGENT_SECRETS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "PYPI_TOKEN", "DOCKERHUB_TOKEN",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CODECOV_TOKEN")


@dataclass(frozen=True)
class Settings:
    buildkite_globs: tuple[str, ...] = (
        ".buildkite/test_areas/**/*.yaml",
        ".buildkite/hardware_tests/**/*.yaml",
        ".buildkite/intel_jobs/**/*.yaml",
        ".buildkite/pipeline.yml",
        ".buildkite/pipeline.yaml",
        ".buildkite/pipelines/**/*.yml",
        ".buildkite/pipelines/**/*.yaml",
    )
    # Pipelines vLLM's amd-ci bootstrap renders through its Jinja template (not the generator).
    buildkite_amd_pipelines: tuple[str, ...] = (".buildkite/test-amd.yaml",)
    # The hardware tag a test-amd.yaml step must list in `mirror_hardwares` (bootstrap's AMD_MIRROR_HW).
    buildkite_amd_mirror_hw: str = "amdproduction"
    # Scripts that take a job's test commands as a string and `eval` it where the interpreter
    # cannot follow (another container started with `docker create`/`start`): the job runs the
    # string instead, at the repository root.  `path` joins all arguments; `path:N` takes the
    # N-th (1-based).
    buildkite_command_wrappers: tuple[str, ...] = (".buildkite/scripts/hardware_ci/run-intel-test.sh",)
    github_globs: tuple[str, ...] = (".github/workflows/*.yml", ".github/workflows/*.yaml")
    gitlab_globs: tuple[str, ...] = (".gitlab-ci.yml",)
    # Path prefixes inside CI containers that stand for the repository root.
    workspace_prefixes: tuple[str, ...] = ("/vllm-workspace",)
    # vLLM's generator default working directory (repository path) for test-area steps.
    default_working_dir: str = "tests"
    setup_commands: tuple[str, ...] = DEFAULT_SETUP_COMMANDS
    extra_setup_commands: tuple[str, ...] = ()
    # Commands that are tests though no runner is recognised in them (`vllm bench`, `./run-suite`):
    # the first words of the command line, the program by its base name.
    test_commands: tuple[str, ...] = ()
    # Scripts no job reaches whose config arrays the audit still checks (globs): test
    # folders, not benchmarks/, examples/ or maintainer tools.
    audit_scripts: tuple[str, ...] = ("tests/**/*", "test/**/*")
    # Variables CI provides at run time that no job sets: unknown, not unset.  Besides the
    # CI's own, the secrets agents are given in their environment (hooks, secret stores),
    # never in the YAML: a script's guard on them (`[ -z "$HF_TOKEN" ] && return`) may go
    # either way.
    ambient: tuple[str, ...] = ("BUILDKITE_BRANCH", "BUILDKITE_COMMIT", "BUILDKITE_BUILD_NUMBER", "GITHUB_SHA", "GITHUB_REF", "CI_COMMIT_SHA", "HOME", "PATH", "USER",
                                *AGENT_SECRETS)
    # Bounds on the state space of the shell interpreter.
    max_paths: int = 256
    max_depth: int = 24
    max_loop: int = 1000
    max_steps: int = 200_000  # per job
    max_total_steps: int = 5_000_000  # per revision: bounds a hostile PR with thousands of jobs
    # Wall-clock seconds one revision's analysis may take (`deadline.py`): the last resort
    # when the counted bounds above were not enough; what is left past it is incomplete.
    max_seconds: int = 600
    max_file_bytes: int = 2_000_000
    ignore: tuple[str, ...] = ()  # finding ids or rule ids to ignore (`rule` or `rule:subject`)
    ignore_paths: tuple[str, ...] = ()  # globs of files never analysed
    # Intended losses of a diff: (glob of a finding id `kind:subject` or a kind, reason).
    accept: tuple[tuple[str, str], ...] = ()
    # When a head revision analysed only in part fails a diff's gate (gate.py): never, downgraded,
    # budget (a loss downgraded by a cut, or a revision-wide budget run out) or cut (any cut part).
    fail_on_incomplete: str = "budget"

    @property
    def roots(self) -> tuple[str, ...]:
        """The paths that stand for the repository root inside a job: the workspace prefixes,
        or the interpreter's own `/repo` (what `pwd` answers) when there are none."""
        return self.workspace_prefixes or ("/repo",)

    @property
    def leaf_setup(self) -> frozenset[str]:
        return frozenset(self.setup_commands) | frozenset(self.extra_setup_commands)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


class ConfigError(Exception):
    pass


# Hard ceilings on the caps, whoever sets them: a settings file cannot buy unbounded
# time or memory.  (max-file-bytes stays below snapshot.MAX_BLOB, the most of one
# object ever read.)
CEILINGS = {
    "max_paths": 4096,
    "max_depth": 48,
    "max_loop": 100_000,
    "max_steps": 1_000_000,
    "max_total_steps": 10_000_000,
    "max_seconds": 1800,
    "max_file_bytes": 16_000_000,
}
# `fail-on-incomplete`, from the most lenient to the strictest (gate.py).
INCOMPLETE_LEVELS = ("never", "downgraded", "budget", "cut")


def stricter(a: str, b: str) -> str:
    return max(a, b, key=INCOMPLETE_LEVELS.index)


# Lists a pull request may shorten but never lengthen: each entry it adds would hide
# something from the gate (an ignored finding, a skipped file, a test command taken for
# setup, a variable CI supposedly sets, an accepted loss).
SHRINK_ONLY = ("ignore", "ignore_paths", "setup_commands", "extra_setup_commands", "ambient", "accept")


def clamped(settings: Settings) -> Settings:
    """`settings` with every cap at most its ceiling."""
    over = {name: ceiling for name, ceiling in CEILINGS.items() if getattr(settings, name) > ceiling}
    return settings.replace(**over) if over else settings


def for_diff(base: Settings, head: Settings) -> Settings:
    """The settings both sides of a diff are analysed with, when each revision carries
    its own: what the base revision (already accepted) says, which the head (the change
    under review, possibly hostile) may only make stricter.

    - caps: the head may raise them (more precision), up to CEILINGS; never lower them;
    - SHRINK_ONLY lists: the entries both revisions have;
    - everything else (which files are CI files, workspace prefixes...): the base's.
      A pull request that changes them is analysed as the repository stands; the change
      takes effect once merged."""
    changes = {}
    for field in dataclasses.fields(Settings):
        name = field.name
        ours, theirs = getattr(base, name), getattr(head, name)
        if name in CEILINGS:
            changes[name] = min(max(ours, theirs), CEILINGS[name])
        elif name == "fail_on_incomplete":  # the head may make the gate stricter, never more lenient
            changes[name] = stricter(ours, theirs)
        elif name in SHRINK_ONLY:
            changes[name] = tuple(item for item in ours if item in theirs)
        else:
            changes[name] = ours
    return Settings(**changes)


def parse_settings(text: str, source: str, table: bool = True) -> Settings:
    """Settings from TOML text; `table` selects `[tool.coverage-diff]` (pyproject)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    if table:
        data = data.get("tool", {}).get("coverage-diff", {})
    return settings_from_mapping(data, source)


def settings_from_mapping(data: dict, source: str) -> Settings:
    known = {f.name: f for f in dataclasses.fields(Settings)}
    changes = {}
    for raw_key, value in data.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            raise ConfigError(f"{source}: unknown setting {raw_key!r} (known: {', '.join(sorted(k.replace('_', '-') for k in known))})")
        default = getattr(Settings(), key)
        if key == "accept":
            value = _accept_entries(value, source)
        elif isinstance(default, tuple):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{source}: {raw_key} must be a list of strings")
            value = tuple(value)
        elif isinstance(default, int) and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise ConfigError(f"{source}: {raw_key} must be a positive integer")
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"{source}: {raw_key} must be a string")
        elif key == "fail_on_incomplete" and value not in INCOMPLETE_LEVELS:
            raise ConfigError(f"{source}: {raw_key} must be one of {', '.join(INCOMPLETE_LEVELS)}")
        changes[key] = value
    return clamped(Settings(**changes))


def _accept_entries(value, source: str) -> tuple[tuple[str, str], ...]:
    """`accept = ["silently-dropped:*gemma-3*", {finding = "removed:*", reason = "..."}]`."""
    entries = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.strip():
            entries.append((item.strip(), "accepted in the settings"))
        elif (isinstance(item, dict) and set(item) <= {"finding", "reason"} and isinstance(item.get("finding"), str)
              and item["finding"].strip() and isinstance(item.get("reason", ""), str)):
            entries.append((item["finding"].strip(), item.get("reason", "").strip() or "accepted in the settings"))
        else:
            raise ConfigError(f"{source}: accept entries are finding globs or {{finding = \"...\", reason = \"...\"}} tables")
    return tuple(entries)


def read_settings_file(path) -> Settings:
    """`--config FILE`: a `.coverage-diff.toml` (top level) or a `pyproject.toml` ([tool.coverage-diff])."""
    from pathlib import Path

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the settings: {exc}") from None
    return parse_settings(text, str(path), table=path.name == "pyproject.toml")


def load_settings(snapshot) -> Settings:
    """Settings stored in a snapshot (pyproject.toml first, then .coverage-diff.toml).
    The container prefix `/vllm-workspace` stands for the root only in vLLM-style
    repositories unless the settings name prefixes themselves."""
    if snapshot.exists(".coverage-diff.toml"):
        text, source, table = snapshot.text(".coverage-diff.toml"), ".coverage-diff.toml", False
    elif snapshot.exists("pyproject.toml"):
        text, source, table = snapshot.text("pyproject.toml"), "pyproject.toml", True
    else:
        text, source, table = "", "", False
    settings = parse_settings(text, source, table=table)
    if settings.workspace_prefixes == Settings.workspace_prefixes and not vllm_style(snapshot) and not _names(text, "workspace-prefixes"):
        settings = settings.replace(workspace_prefixes=())
    return settings


VLLM_MARKERS = (".buildkite/ci_config.yaml", ".buildkite/test_areas")


def vllm_style(snapshot) -> bool:
    """A repository whose Buildkite steps run in vLLM's container (its generator's layout,
    or a pipeline that names the container's workspace)."""
    if any(snapshot.exists(p) or snapshot.is_dir(p) for p in VLLM_MARKERS):
        return True
    pipelines = [p for p in snapshot.files if p.startswith(".buildkite/") and p.endswith((".yml", ".yaml"))][:64]
    return any("/vllm-workspace" in snapshot.text(p) for p in pipelines if snapshot.exists(p))


def _names(text: str, key: str) -> bool:
    return any(line.strip().startswith((key, key.replace("-", "_"))) for line in text.splitlines())

