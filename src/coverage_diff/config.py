"""`[tool.coverage-diff]` in `pyproject.toml`, or the top level of `.coverage-diff.toml`.

Settings are read from the analysed revision's head (or the working tree) so a
repository carries its own configuration.  Every key has a default that fits a
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
    github_globs: tuple[str, ...] = (".github/workflows/*.yml", ".github/workflows/*.yaml")
    gitlab_globs: tuple[str, ...] = (".gitlab-ci.yml",)
    # Path prefixes inside CI containers that stand for the repository root.
    workspace_prefixes: tuple[str, ...] = ("/vllm-workspace",)
    # vLLM's generator default working directory (repository path) for test-area steps.
    default_working_dir: str = "tests"
    setup_commands: tuple[str, ...] = DEFAULT_SETUP_COMMANDS
    extra_setup_commands: tuple[str, ...] = ()
    # Variables CI provides at run time that no job sets: unknown, not unset.
    ambient: tuple[str, ...] = ("BUILDKITE_BRANCH", "BUILDKITE_COMMIT", "BUILDKITE_BUILD_NUMBER", "GITHUB_SHA", "GITHUB_REF", "CI_COMMIT_SHA", "HOME", "PATH", "USER")
    # Bounds on the state space of the shell interpreter.
    max_paths: int = 256
    max_depth: int = 24
    max_loop: int = 1000
    max_steps: int = 200_000  # per job
    max_total_steps: int = 5_000_000  # per revision: bounds a hostile PR with thousands of jobs
    max_file_bytes: int = 2_000_000
    ignore: tuple[str, ...] = ()  # finding ids or rule ids to ignore (`rule` or `rule:subject`)
    ignore_paths: tuple[str, ...] = ()  # globs of files never analysed
    # Intended losses of a diff: (glob of a finding id `kind:subject` or a kind, reason).
    accept: tuple[tuple[str, str], ...] = ()

    @property
    def leaf_setup(self) -> frozenset[str]:
        return frozenset(self.setup_commands) | frozenset(self.extra_setup_commands)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


class ConfigError(Exception):
    pass


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
        changes[key] = value
    return Settings(**changes)


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
    """Settings stored in a snapshot (pyproject.toml first, then .coverage-diff.toml)."""
    if snapshot.exists(".coverage-diff.toml"):
        return parse_settings(snapshot.text(".coverage-diff.toml"), ".coverage-diff.toml", table=False)
    if snapshot.exists("pyproject.toml"):
        return parse_settings(snapshot.text("pyproject.toml"), "pyproject.toml")
    return Settings()

