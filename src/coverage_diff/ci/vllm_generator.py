"""What vLLM's pipeline generator (vllm-project/ci-infra `buildkite/pipeline_generator`)
does with a test-area step before Buildkite sees it.

* `PipelineConfig`: one `.buildkite/ci_config*.yaml` (its job dirs, the registry and
  repositories the `vllm_ci` pipeline injects, `run_all_patterns`).
* `validate`: the generator's pydantic `Step` model in lax mode: the coercions it
  makes (`optional: "true"`, `parallelism: "3"`, `num_nodes: "2"`) and the values it
  rejects (`soft_fail: [..]`, `commands: "..."`, an integer in `env`).  A rejected
  step makes the generator raise: no pipeline is uploaded.
* `inject`: the `$TOKEN` substitution of the `vllm_ci` pipeline, per branch sample.
* `tier`: when a step runs (`_step_should_run`): image builds always; nightly
  builds run everything, optional steps included; `RUN_ALL`, the run-all label and
  a `run_all_patterns` hit run every non-optional step; otherwise a dependency match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Tier
from .yamlload import Map, type_name

# The two builds an upload-time variable is sampled in: a push to main and a pull request.
BRANCH_SAMPLES = ("main", "feature")
PR_NUMBER = "12345"
ALWAYS_RUN_KEYS = frozenset({"ensure-ci-base-amd", "refresh-rocm-base-amd"})
ROCM_BASE_DOCKERFILE = "docker/Dockerfile.rocm_base"
AMD_NATIVE_RUNTIME = ".buildkite/scripts/hardware_ci/run-amd-test.sh"
ECR = "936637512419.dkr.ecr.us-east-1.amazonaws.com"


@dataclass(frozen=True)
class PipelineConfig:
    path: str
    name: str
    job_dirs: tuple[str, ...]
    registries: str = ""
    repositories: tuple[tuple[str, str], ...] = ()
    run_all_patterns: tuple[str, ...] = ()
    run_all_exclude_patterns: tuple[str, ...] = ()

    @property
    def injects(self) -> bool:
        return self.name == "vllm_ci"

    def variables(self, branch: str) -> dict[str, str]:
        """`_get_variables_to_inject` for a build of `branch` (no cache images known yet)."""
        if not self.injects:
            return {}
        repos = dict(self.repositories)
        main = branch == "main"
        repo = repos.get("main" if main else "premerge", "")
        image = f"{self.registries}/{repo}:$BUILDKITE_COMMIT"
        values = {
            "REGISTRY": self.registries,
            "REPO": repo,
            "BUILDKITE_COMMIT": "$$BUILDKITE_COMMIT",
            "BRANCH": branch,
            "CACHE_FROM": f"{ECR}/vllm-ci-postmerge-cache:latest",
            "CACHE_TO": f"{ECR}/vllm-ci-postmerge-cache:latest" if main else f"{ECR}/vllm-ci-test-cache:pr-{PR_NUMBER}",
            "IMAGE_TAG": image,
            "IMAGE_TAG_TORCH_NIGHTLY": f"{image}-torch-nightly",
        }
        if main:
            values["IMAGE_TAG_LATEST"] = f"{self.registries}/{repos.get('main', '')}:latest"
        return values

    def runs_all(self, path: str) -> bool:
        """A change to `path` alone makes the generator run every non-optional step."""
        return any(_re_match(p, path) for p in self.run_all_patterns) and not any(
            _re_match(p, path) for p in self.run_all_exclude_patterns)


def dependency_covers(dependencies, path: str) -> bool:
    """Whether a change to `path` matches a step's `source_file_dependencies` as the generator
    matches them: a path-component prefix match on some entry and on no `!` entry."""
    includes = [d for d in dependencies if not d.startswith("!")]
    excludes = [d[1:] for d in dependencies if d.startswith("!")]
    return any(_prefix_match(d, path) for d in includes) and not any(_prefix_match(d, path) for d in excludes)


def _prefix_match(dependency: str, path: str) -> bool:
    dep = dependency.strip().rstrip("/")
    return bool(dep) and (path == dep or path.startswith(dep + "/"))


def _re_match(pattern: str, path: str) -> bool:
    try:
        return re.match(pattern, path) is not None
    except re.error:
        return False


def read_config(data, path: str) -> tuple[PipelineConfig | None, str | None]:
    """The config, or the generator's complaint about it."""
    if not isinstance(data, dict):
        return None, f"a pipeline config must be a mapping, found {type_name(data)}"
    for key in ("name", "job_dirs"):  # (`registries`, `repositories` too, but nothing here needs them)
        if not data.get(key):
            return None, f"`{key}` is required by vLLM's pipeline generator"
    job_dirs = data["job_dirs"]
    if not isinstance(job_dirs, list) or not all(isinstance(d, str) for d in job_dirs):
        return None, "`job_dirs` must be a list of directories"
    repos = data.get("repositories")
    return PipelineConfig(
        path=path,
        name=str(data["name"]),
        job_dirs=tuple(d.strip("/").removeprefix("./") for d in job_dirs),
        registries=str(data.get("registries") or ""),
        repositories=tuple((str(k), str(v)) for k, v in repos.items()) if isinstance(repos, dict) else (),
        run_all_patterns=_strings(data.get("run_all_patterns")),
        run_all_exclude_patterns=_strings(data.get("run_all_exclude_patterns")),
    ), None


def _strings(value) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


# --------------------------------------------------------------------------- pydantic `Step`, lax mode
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
BOOL = "bool"
INT = "int"
STRICT_INT = "strict int"
STR = "str"
STR_LIST = "list of strings"
STR_DICT = "mapping of strings"
DICT = "mapping"
MIRROR = "mapping of mappings"
FIELDS = {
    "label": (STR, False), "group": (STR, False), "working_dir": (STR, True), "key": (STR, True),
    "depends_on": (STR_LIST, True), "commands": (STR_LIST, True), "device": (STR, True),
    "agent_tags": (STR_DICT, True), "num_devices": (INT, True), "num_nodes": (INT, True),
    "source_file_dependencies": (STR_LIST, True), "soft_fail": (BOOL, True), "parallelism": (INT, True),
    "concurrency": (STRICT_INT, True), "concurrency_group": (STR, True), "timeout_in_minutes": (INT, True),
    "mount_buildkite_agent": (BOOL, True), "env": (STR_DICT, True), "retry": (DICT, True),
    "optional": (BOOL, True), "no_plugin": (BOOL, True), "no_gpu": (BOOL, True), "dind": (BOOL, False),
    "mirror": (MIRROR, True),
}


class Rejected(Exception):
    """The generator's model refuses the step: (key, message)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def coerce(kind: str, value, optional: bool):
    """The value pydantic stores, or raise ValueError with what it expected."""
    if value is None:
        if optional:
            return None
        raise ValueError(f"must be {_article(kind)}, found empty")
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, float) and value in (0.0, 1.0):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    elif kind in (INT, STRICT_INT):
        if kind == STRICT_INT:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        elif isinstance(value, bool):
            return int(value)
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
    elif kind == STR:
        if isinstance(value, str):
            return value
    elif kind == STR_LIST:
        if isinstance(value, list):
            bad = next((i for i, v in enumerate(value) if not isinstance(v, str)), None)
            if bad is None:
                return list(value)
            raise ValueError(f"item {bad} must be a string, found {type_name(value[bad])}")
    elif kind == STR_DICT:
        if isinstance(value, dict):
            bad = next((k for k, v in value.items() if not isinstance(v, str) or not isinstance(k, str)), None)
            if bad is None:
                return dict(value)
            raise ValueError(f"`{bad}` must be a string, found {type_name(value[bad])} (the generator does not convert it)")
    elif kind == DICT:
        if isinstance(value, dict):
            return value
    elif kind == MIRROR:
        if isinstance(value, dict):
            bad = next((k for k, v in value.items() if not isinstance(v, dict)), None)
            if bad is None:
                return value
            raise ValueError(f"`{bad}` must be a mapping, found {type_name(value[bad])}")
    raise ValueError(f"must be {_article(kind)}, found {type_name(value)}")


def _article(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind.replace("strict int", "integer (no conversion)").replace("int", "integer")


def validate(step: Map) -> dict:
    """The step's fields as the generator holds them (defaults included); `Rejected` when its
    model refuses them."""
    if "label" not in step:
        raise Rejected("label", "`label` is required")
    values = {"group": "", "soft_fail": False, "mount_buildkite_agent": False, "optional": False,
              "no_plugin": False, "no_gpu": False, "dind": True}
    for key, (kind, optional) in FIELDS.items():
        if key in step:
            try:
                values[key] = coerce(kind, step[key], optional)
            except ValueError as exc:
                raise Rejected(key, f"`{key}` {exc}") from None
    if values.get("concurrency") is not None and values["concurrency"] <= 0:
        raise Rejected("concurrency", "`concurrency` must be greater than 0")
    if values.get("num_nodes") and not values.get("num_devices"):
        raise Rejected("num_nodes", "'num_devices' must be defined if 'num_nodes' is defined")
    if (values.get("concurrency") is None) != (values.get("concurrency_group") is None):
        raise Rejected("concurrency", "'concurrency' and 'concurrency_group' must be defined together")
    return values


# --------------------------------------------------------------------------- tiers
def tier(key: str, optional, deps: list[str]) -> Tier:
    """`_step_should_run` as a tier: when the step runs without a person unblocking it."""
    if key.startswith("image-build") or key in ALWAYS_RUN_KEYS:
        return Tier.EVERY_PR
    if optional:
        return Tier.NIGHTLY  # blocked, except in the scheduled nightly build (and the run-all label)
    if not any(not d.startswith("!") for d in deps):
        return Tier.RUN_ALL  # no dependency can match: blocked unless the whole suite runs
    return Tier.PATH_FILTERED


_TOKEN = re.compile(r"\$([A-Z_]+)\b")


def inject(text: str, variables: dict[str, str]) -> str:
    """The generator's `re.sub(re.escape("$NAME") + r"\\b", value)` for each token, in its order."""
    for name, value in variables.items():
        if value:
            text = re.sub(re.escape("$" + name) + r"\b", lambda _m, v=value: v, text)
    return text


def branch_dependent(texts, config: PipelineConfig | None) -> bool:
    """Whether what Buildkite runs differs between a main build and a PR build."""
    names = {"BUILDKITE_BRANCH"}
    if config is not None and config.injects:
        names |= {"REPO", "BRANCH", "IMAGE_TAG", "IMAGE_TAG_LATEST", "CACHE_TO", "IMAGE_TAG_TORCH_NIGHTLY"}
    return any(m.group(1) in names for text in texts for m in re.finditer(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
