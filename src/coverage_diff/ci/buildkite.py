"""Buildkite: vLLM's generated "test area" files and plain Buildkite pipelines.

Two dialects share this module because they share Buildkite's runtime (one
`sh -e` shell per job, `$$` escapes, upload-time interpolation), but they read
YAML differently:

* vLLM test-area files (under the `job_dirs` of `.buildkite/ci_config*.yaml`):
  `group`, `depends_on`, `steps`; the generator's key whitelist (unknown keys are
  dropped silently, so a step written with `command:` runs no test), its
  file-level defaults, `parallelism`, and `mirror.amd` variants.
* Plain pipelines: `steps` with command/group/wait/block/trigger steps,
  pipeline- and step-level `env`, `matrix` (list or `setup` + `adjustments`),
  the docker plugin's `environment`.
"""

from __future__ import annotations

import itertools
import math
import re
import shlex

import yaml
from dataclasses import dataclass, replace
from typing import Callable

from ..context import Context
from ..isolation import contained
from ..model import Command, Diagnostic, Incomplete, Job, Location, Tier
from ..snapshot import Snapshot, normalize
from ..words import without_leading_assignments
from . import budget
from .frontend import FrontEndResult, variant_key, variant_name
from .buildkite_tiers import Filters, tier_of
from .buildkite_upload import Upload, uploads
from . import vllm_generator
from .vllm_generator import PipelineConfig
from .gha_triggers import RANK, best
from .yamlload import Map, Seq, YamlError, load, type_name

SYSTEM = "buildkite"
NAME = "Buildkite"
DIRECTORIES = (".buildkite/",)
WORKSPACE_FILLED = False  # a step starts from the checkout alone

# vLLM's generator (pydantic `Step`): every other key is silently ignored.
VLLM_STEP_KEYS = frozenset(
    "label group key depends_on commands working_dir device agent_tags num_devices num_nodes "
    "source_file_dependencies soft_fail parallelism concurrency concurrency_group timeout_in_minutes "
    "mount_buildkite_agent env retry optional no_plugin no_gpu dind mirror".split()
)
VLLM_MIRROR_KEYS = frozenset(
    "device commands working_dir num_devices num_gpus env depends_on source_file_dependencies optional "
    "soft_fail dind no_plugin no_gpu num_nodes timeout_in_minutes concurrency concurrency_group agent_tags label".split()
)
# Tokens the generator substitutes itself when the pipeline name is `vllm_ci`.
VLLM_INJECTED = frozenset(
    "REGISTRY REPO BUILDKITE_COMMIT BRANCH CACHE_FROM CACHE_TO IMAGE_TAG IMAGE_TAG_LATEST IMAGE_TAG_TORCH_NIGHTLY".split()
)
NON_COMMAND_STEPS = ("wait", "block", "input", "trigger")
MAX_MATRIX_COMBINATIONS = 1024  # like parallelism: beyond this no pipeline is real


# --------------------------------------------------------------------------- discovery
@dataclass
class _Files:
    """Which reader reads which file."""

    vllm: dict[str, PipelineConfig | None]  # job-dir file -> the generator config that reads it
    amd: list[str]  # amd-ci Jinja pipelines (`test-amd.yaml`)
    plain: list[str]
    diagnostics: list[Diagnostic]


def _configs(snapshot: Snapshot) -> tuple[list[PipelineConfig], list[Diagnostic]]:
    configs: list[PipelineConfig] = []
    diagnostics: list[Diagnostic] = []
    for path in sorted(snapshot.glob(".buildkite/ci_config*.yaml")):
        try:
            data = load(snapshot.text(path), path)
        except YamlError as exc:
            diagnostics.append(exc.diagnostic)
            continue
        config, problem = vllm_generator.read_config(data, path)
        if config is None:
            line = getattr(data, "line", 1) or 1
            diagnostics.append(Diagnostic(Location(path, line), (
                f"vLLM's pipeline generator would reject this config ({problem}): a bootstrap that runs it uploads "
                "nothing; its job dirs are not read as this pipeline"), "warning"))
            continue
        for job_dir in config.job_dirs:
            if not snapshot.is_dir(job_dir):
                diagnostics.append(Diagnostic(Location(path, data.line_of("job_dirs") if isinstance(data, Map) else 1),
                                              f"job dir {job_dir} does not exist: vLLM's pipeline generator stops, none of {path}'s steps run"))
        configs.append(config)
    return configs, diagnostics


def _classify(snapshot: Snapshot, settings) -> _Files:
    configs, diagnostics = _configs(snapshot)
    vllm: dict[str, PipelineConfig | None] = {}
    for config in configs:  # a file in several configs' dirs is read with the first (ci_config.yaml first)
        for path in snapshot.glob(*(f"{d}/**/*.yaml" for d in config.job_dirs)):
            vllm.setdefault(path, config)
    candidates = set(snapshot.glob(*settings.buildkite_globs))
    if not configs:  # no generator config: test_areas-style dirs still use its dialect
        vllm.update({p: None for p in sorted(candidates) if "/test_areas/" in p or "/hardware_tests/" in p or "/intel_jobs/" in p})
    amd = sorted(set(snapshot.glob(*settings.buildkite_amd_pipelines)) - set(vllm))
    plain = candidates - set(vllm) - set(amd) - {p for p in candidates if p.split("/")[-1].startswith("ci_config")}
    return _Files(dict(sorted(vllm.items())), amd, sorted(plain), diagnostics)


def globs(settings) -> tuple[str, ...]:
    return settings.buildkite_globs


def owns(snapshot: Snapshot, settings) -> list[str]:
    files = _classify(snapshot, settings)
    return list(files.vllm) + files.amd + files.plain


def jobs(snapshot: Snapshot, settings, context: Context | None = None) -> FrontEndResult:
    files = _classify(snapshot, settings)
    result = FrontEndResult(diagnostics=list(files.diagnostics), files=list(files.vllm) + files.amd + files.plain)
    for path, config in files.vllm.items():
        _read_file(snapshot, path, settings, result, _vllm_file, context, config)
    for path in files.amd:
        _read_file(snapshot, path, settings, result, _amd_ci_file, context)
    _plain_pipelines(snapshot, files.plain, settings, result, context)
    _unread_pipelines(snapshot, set(result.files), result)
    return result


def _unread_pipelines(snapshot: Snapshot, read: set[str], result: FrontEndResult) -> None:
    """A `.buildkite` YAML with a `steps` list that nothing reads: say so, so a pipeline
    nobody models cannot go unseen."""
    for path in snapshot.glob(".buildkite/**/*.yaml", ".buildkite/**/*.yml"):
        if path in read or path.split("/")[-1].startswith("ci_config"):
            continue
        text = snapshot.text(path)
        if not re.search(r"(?m)^steps\s*:", text):
            continue
        result.diagnostics.append(Diagnostic(Location(path, 1), (
            "looks like a Buildkite pipeline (top-level `steps`), but no pipeline coverage-diff reads includes or "
            "uploads it: its jobs are not analysed (add it to `buildkite-globs` if a Buildkite pipeline runs it)"), "info"))
        result.incomplete.append(Incomplete(Location(path, 1), "pipeline file not read"))


def _read_file(snapshot, path, settings, result: FrontEndResult, reader, context: Context | None, config=None) -> None:
    """One file's jobs and diagnostics, remembered by blob (the context's `files`, the session's
    `engine/file_memo.FileMemo`): a history walk reads the same unchanged test-area files at every
    commit, and a PR's next push too."""
    entry = snapshot.entry(path)
    memo = context.files if context is not None else None
    cacheable = reader in (_vllm_file, _plain_file, _amd_ci_file) and entry is not None and entry.blob  # not closures
    key = (entry.blob, path, reader.__name__, settings, config) if cacheable and memo is not None else None
    own = memo.get(key) if key is not None else None
    if own is None:
        own = FrontEndResult()
        with contained(Location(path), f"pipeline file {path}") as caught:
            allowance = budget.start(context)
            _read_file_uncached(snapshot, path, settings, own, reader, allowance, config)
        if caught.exhausted:  # the steps made before the budget ran out are kept
            own.diagnostics += caught.diagnostics
            own.incomplete += caught.incomplete
        elif caught.failed:
            own = FrontEndResult(diagnostics=caught.diagnostics, incomplete=caught.incomplete)
        if key is not None and not caught.failed:
            memo.put(key, own)
    result.jobs += own.jobs
    result.diagnostics += own.diagnostics
    result.incomplete += own.incomplete


def _read_file_uncached(snapshot, path, settings, result: FrontEndResult, reader, allowance: budget.Allowance,
                        config=None) -> None:
    if len(snapshot.read(path)) > settings.max_file_bytes:
        result.diagnostics.append(Diagnostic(Location(path, 1), f"file larger than {settings.max_file_bytes} bytes; skipped"))
        result.incomplete.append(Incomplete(Location(path, 1), "file too large to analyse"))
        return
    try:
        data = load(snapshot.text(path), path)
    except YamlError as exc:
        result.diagnostics.append(exc.diagnostic)
        result.incomplete.append(Incomplete(exc.diagnostic.location, "YAML could not be parsed; its steps are not analysed"))
        return
    if data is None:
        return
    if not isinstance(data, dict):
        result.diagnostics.append(Diagnostic(Location(path, getattr(data, "line", 1)), f"expected a mapping at the top level, found {type_name(data)}"))
        return
    if config is not None:
        reader(data, path, settings, result, allowance, config)
    else:
        reader(data, path, settings, result, allowance)


# --------------------------------------------------------------------------- shared helpers
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def upload_interpolate(text: str, env: dict[str, str], keep: frozenset[str] = frozenset()) -> str:
    """What `buildkite-agent pipeline upload` does to `$` in step attributes:
    `$$` is a literal `$`, `$X`/`${X}`/`${X:-d}` are replaced from the uploader's
    environment (pipeline `env:`), which in CI usually means an empty string.  The
    uploading job's `BUILDKITE_*` variables are never empty: they stay references,
    which the job's shell sees with the same value (ambient)."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        if name in keep:
            return match.group(0)
        if name in env:
            return env[name]
        if name.startswith("BUILDKITE_"):  # the uploading job's own build variables: the same at run time
            return match.group(0)
        default = match.group(2)
        return default if default is not None else ""

    return _VAR.sub(replace, text)


def _str_map(value, path: str, line: int, what: str, result: FrontEndResult) -> dict[str, str]:
    """`env:` as a mapping (or Buildkite's list of `NAME=value`)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): _scalar_text(v) for k, v in value.items()}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        pairs = {}
        for item in value:
            name, eq, val = item.partition("=")
            if eq:
                pairs[name] = val
        return pairs
    result.diagnostics.append(Diagnostic(Location(path, line), f"{what} must be a mapping, found {type_name(value)}"))
    return {}


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _commands(value, path: str, line: int, result: FrontEndResult, line_of=None) -> list[tuple[str, int]]:
    """`command`/`commands` as (text, line) pairs; a string may hold several lines."""
    if value is None:
        return []
    items: list[tuple[object, int]]
    if isinstance(value, str):
        items = [(value, line)]
    elif isinstance(value, list):
        items = [(v, value.line_at(i) if isinstance(value, Seq) else line) for i, v in enumerate(value)]
    else:
        result.diagnostics.append(Diagnostic(Location(path, line), f"commands must be a string or a list of strings, found {type_name(value)}"))
        return []
    out = []
    for item, item_line in items:
        if isinstance(item, list):  # YAML anchors sometimes nest lists
            out += _commands(item, path, item_line, result)
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            out.append((str(item), item_line))
        else:
            result.diagnostics.append(Diagnostic(Location(path, item_line), f"a command must be a string, found {type_name(item)}"))
    return out


def _workspace_path(path: str, settings) -> str:
    """`/vllm-workspace/tests` -> `tests`; relative paths stay relative to the root."""
    for prefix in settings.workspace_prefixes:
        prefix = prefix.rstrip("/")
        if path == prefix or path.startswith(prefix + "/"):
            return normalize(path[len(prefix) :])
    if path.startswith("/"):
        return normalize(path)  # an absolute path outside the workspace: best effort
    return normalize(path)


def _key_from_label(label: str) -> str:
    key = label.lower()
    for ch in " ,+:./":
        key = key.replace(ch, "-")
    return "".join(ch for ch in key if ch not in "()%")


def _top_steps(data: Map, path: str, result: FrontEndResult) -> list | None:
    """A file's top-level `steps`, or None (with a diagnostic when it is not a list)."""
    steps = data.get("steps")
    if steps is None or isinstance(steps, list):
        return steps
    where = Location(path, data.line_of("steps"))
    result.diagnostics.append(Diagnostic(where, f"`steps` must be a list, found {type_name(steps)}"))
    result.incomplete.append(Incomplete(where, "steps not analysed"))
    return None


# --------------------------------------------------------------------------- vLLM dialect
def _vllm_file(data: Map, path: str, settings, result: FrontEndResult, allowance: budget.Allowance,
               config: PipelineConfig | None = None) -> None:
    """One job-dir file as vLLM's pipeline generator reads it (`step.read_steps_from_job_dir`)."""
    steps = data.get("steps")
    if steps is not None and not isinstance(steps, list):
        _rejected(path, data.line_of("steps"), f"`steps` must be a list, found {type_name(steps)}", config, result)
        return
    file_depends = data.get("depends_on")
    file_defaults = bool(file_depends)
    group = data.get("group")
    validated = []
    for index, step in enumerate(steps or []):
        line = steps.line_at(index) if isinstance(steps, Seq) else data.line
        if not isinstance(step, dict):
            _rejected(path, line, f"a step must be a mapping, found {type_name(step)}", config, result)
            return
        try:
            values = vllm_generator.validate(step)
            if isinstance(step.get("mirror"), dict) and isinstance(step["mirror"].get("amd"), dict):
                _check_amd(step["mirror"]["amd"], values)
            elif _amd_gpus(values.get("device")) is not None:
                _check_amd(values, values)
        except vllm_generator.Rejected as exc:
            key_line = step.line_of(exc.key) if exc.key in step else line
            if exc.key == "mirror" and isinstance(step.get("mirror"), dict):
                key_line = step["mirror"].line_of("amd") if isinstance(step["mirror"], Map) else key_line
            _rejected(path, key_line, f"step {step.get('label')!r}: {exc}", config, result)
            return
        if group:
            values["group"] = group
        validated.append((step, values, line))
    for step, values, line in validated:
        _vllm_step(step, values, path, line, file_defaults, settings, result, allowance, config)


def _rejected(path: str, line: int, problem: str, config: PipelineConfig | None, result: FrontEndResult) -> None:
    """The generator raises on this file: nothing of its pipeline is uploaded."""
    pipeline = config.path if config else "the pipeline"
    result.diagnostics.append(Diagnostic(Location(path, line), (
        f"vLLM's pipeline generator rejects this file ({problem}): it raises before uploading, so no step of "
        f"{pipeline} runs; this file's steps are counted as not running")))


_AMD_DEVICE = re.compile(r"mi(250|300|325|355)_([1248])")


def _amd_gpus(device) -> int | None:
    match = _AMD_DEVICE.fullmatch(device) if isinstance(device, str) else None
    return int(match.group(2)) if match else None


def _check_amd(amd, values: dict) -> None:
    """`mirror.amd` (or a step on an AMD device) as the generator checks it while building the
    step: a known `mi*_N` device whose GPU count agrees with `num_devices`."""
    mirror = amd is not values
    if "device" not in amd:
        raise vllm_generator.Rejected("mirror", "`mirror.amd` has no `device`")
    device = amd["device"]
    gpus = _amd_gpus(device)
    if gpus is None:
        raise vllm_generator.Rejected("mirror" if mirror else "device", f"invalid AMD device {device!r}")
    no_gpu = amd.get("no_gpu", values.get("no_gpu") or False) if mirror else values.get("no_gpu")
    counts = (amd.get("num_devices"), amd.get("num_gpus"), values.get("num_devices")) if mirror else (values.get("num_devices"),)
    count = next((v for v in counts if v is not None), None)
    if not no_gpu and count is not None and count != gpus:
        raise vllm_generator.Rejected("mirror" if mirror else "num_devices",
                                      f"AMD device {device} provides {gpus} GPUs, but num_devices={count}")


def _vllm_step(step: Map, values: dict, path: str, line: int, file_defaults: bool, settings, result: FrontEndResult,
               allowance: budget.Allowance, config: PipelineConfig | None) -> None:
    label = values["label"]
    ignored = tuple((k, Location(path, step.line_of(k))) for k in step if k not in VLLM_STEP_KEYS)
    key = values.get("key") or _key_from_label(label)
    num_nodes = values.get("num_nodes")
    multi_node = bool(num_nodes and num_nodes >= 2)
    working_dir = values.get("working_dir")
    if not working_dir and file_defaults:
        working_dir = "/vllm-workspace/" + settings.default_working_dir
    values["working_dir"] = working_dir  # what a mirror with its own commands inherits
    if multi_node or label.startswith(":docker:"):
        working_dir = None  # no `cd working_dir` is generated for these
    deps = list(values.get("source_file_dependencies") or [])
    if file_defaults:
        deps.append(path)
    amd_device = _amd_gpus(values.get("device")) is not None
    if amd_device and not values["dind"]:
        deps.append(vllm_generator.AMD_NATIVE_RUNTIME)  # checked before run_all, after `optional`
    raw = values.get("commands") or []
    lines = [step["commands"].line_at(i) if isinstance(step.get("commands"), Seq) else step.line_of("commands") for i in range(len(raw))]
    env = values.get("env") or {}
    if key == "refresh-rocm-base-amd":  # the generator binds the bootstrap's refresh controls (default off)
        env = {**env, "ROCM_BASE_REFRESH_SKIP": "0", "ROCM_BASE_REFRESH_FORCE": "0"}
    base = dict(
        system=SYSTEM,
        file=path,
        key=key,
        label=f"AMD: {label} ({values['device']})" if amd_device else label,
        location=Location(path, line),
        working_dir=_workspace_path(str(working_dir), settings) if working_dir else "",
        tier=vllm_generator.tier(key, values["optional"], deps),
        platform=_vllm_platform(values.get("device"), values.get("num_devices")),
        soft_fail=bool(values["soft_fail"]),
        source_file_dependencies=tuple(deps),
        ignored_keys=ignored,
        attributes=_vllm_attributes(step, values, config),
    )
    shards = _parallelism(step, path, result, values.get("parallelism") or 0)
    texts = list(raw) + list(env.values())
    samples = _branch_samples(texts, config)
    for branch in samples:
        rewrite = not num_nodes  # the generator's `'` -> `"` unless num_nodes is set at all
        cmds = [_vllm_command(text, rewrite, config, branch) for text in raw]
        job_env = {k: _upload(v, branch) for k, v in env.items()}
        wrapped: tuple = ()
        if amd_device:  # AMD path: one `&&` chain handed to run-amd-test.sh
            commands = (Command(" && ".join(cmds), Location(path, lines[0])),) if cmds else ()
        else:
            inner = [_unwrapped(text, Location(path, at), settings, result if branch == samples[0] else None)
                     for text, at in zip(cmds, lines)]
            wrapped = tuple(("wrapper_call", f"{i}\t{cmds[i]}") for i in range(len(cmds)) if inner[i] != cmds[i])
            commands = tuple(Command(text, Location(path, at)) for text, at in zip(inner, lines))
        fields = dict(base, env=tuple(job_env.items()), matrix=_branch_matrix(branch, texts, config))
        if wrapped:
            fields["attributes"] = base["attributes"] + wrapped
        result.jobs += _shards(Job(commands=commands, **fields), shards, allowance)
        mirror = values.get("mirror") or {}
        if isinstance(mirror.get("amd"), dict) and not amd_device:
            amd = _vllm_amd_mirror(step, mirror["amd"], values, fields, raw, lines, path, settings, config, branch)
            result.jobs += _shards(amd, shards, allowance)


def _unwrapped(text: str, where: Location, settings, result: FrontEndResult | None) -> str:
    """A call of a configured wrapper script (`bash run-intel-test.sh "<commands>"`) as the
    commands it evaluates; reported incomplete when the string is not known."""
    if not settings.buildkite_command_wrappers or ".sh" not in text:
        return text
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        return text
    start = 1 if words[:1] in (["bash"], ["sh"]) else 0
    if len(words) <= start:
        return text
    script = normalize(words[start])
    for spec in settings.buildkite_command_wrappers:
        wrapper, _, index = spec.partition(":")
        if script != normalize(wrapper):
            continue
        args = words[start + 1:]
        operators = [w for w in args if w and all(c in ";&|<>()" for c in w)]
        if index:
            chosen = args[int(index) - 1: int(index)] if index.isdigit() else []
        else:
            chosen = [" ".join(a for a in args if a != "--dry-run")] if args and not operators else []
        if operators or not chosen or not chosen[0].strip():
            if result is not None:
                result.incomplete.append(Incomplete(where, f"{wrapper} evaluates a command string that is not written "
                                                           "in the step (or the call is not a simple command): not followed"))
            return text
        return chosen[0]
    return text


def _vllm_attributes(step: Map, values: dict, config: PipelineConfig | None) -> tuple:
    attrs = tuple((k, _scalar_text(values[k])) for k in ("timeout_in_minutes", "group") if values.get(k) not in (None, ""))
    if config is not None:
        attrs += (("pipeline", config.path),)
        attrs += tuple(("run_all_pattern", p) for p in config.run_all_patterns)
        attrs += tuple(("run_all_exclude_pattern", p) for p in config.run_all_exclude_patterns)
    if values["optional"]:
        attrs += (("optional", "true"),)
    return attrs


def _branch_samples(texts, config) -> tuple[str, ...]:
    """The builds whose upload differs: main and a PR branch when the step reads the branch."""
    if vllm_generator.branch_dependent(texts, config):
        return vllm_generator.BRANCH_SAMPLES
    return (vllm_generator.BRANCH_SAMPLES[1],)


def _branch_matrix(branch: str, texts, config) -> tuple:
    return (("BUILDKITE_BRANCH", branch),) if vllm_generator.branch_dependent(texts, config) else ()


def _upload(text: str, branch: str) -> str:
    """Buildkite's upload interpolation with the bootstrap job's environment in a `branch` build."""
    pull_request = "false" if branch == "main" else vllm_generator.PR_NUMBER
    return upload_interpolate(text, {"BUILDKITE_BRANCH": branch, "BUILDKITE_PULL_REQUEST": pull_request})


def _vllm_command(text: str, rewrite_quotes: bool, config: PipelineConfig | None = None, branch: str = "feature") -> str:
    if rewrite_quotes:
        text = text.replace("'", '"')  # the generator rewrites every single quote
    if config is not None:
        text = vllm_generator.inject(text, config.variables(branch))
    return _upload(text, branch)


def _vllm_platform(device, num_devices) -> str:
    if _amd_gpus(device) is not None:
        return amd_queue(device)
    count = num_devices if isinstance(num_devices, int) else 1
    return f"{device or 'gpu'}x{count}"


def amd_queue(pool: str) -> str:
    """The agent queue of an AMD device or pool (`mi325_1` -> `amd_mi325_1`), the same for a
    test area's `mirror.amd` and for test-amd.yaml's `agent_pool`, so the same run on the same
    machines is one variant whichever file schedules it."""
    return f"amd_{pool}"


def _vllm_amd_mirror(step: Map, amd: Map, values: dict, base: dict, raw: list, lines: list, path: str, settings,
                     config: PipelineConfig | None, branch: str) -> Job:
    """The `amd-<key>` copy (`convert_group_step_to_buildkite_step`): `mirror.amd` values are
    read raw, without the model's coercions."""
    device = str(amd["device"])
    ignored = tuple((f"mirror.amd.{k}", Location(path, amd.line_of(k))) for k in amd if k not in VLLM_MIRROR_KEYS)
    if "parallelism" in amd:
        ignored += (("mirror.amd.parallelism", Location(path, amd.line_of("parallelism"))),)
    custom = amd.get("commands")
    source, source_lines, working_dir = raw, lines, base["working_dir"]
    if custom:
        source = [str(c) for c in custom] if isinstance(custom, list) else [str(custom)]
        source_lines = [amd["commands"].line_at(i) if isinstance(custom, Seq) else amd.line_of("commands") for i in range(len(source))]
        wd = amd.get("working_dir", values.get("working_dir"))
        working_dir = _workspace_path(str(wd), settings) if wd else ""
    rewrite = not values.get("num_nodes")
    joined = " && ".join(_vllm_command(text, rewrite, config, branch) for text in source)
    own_env = amd.get("env") if isinstance(amd.get("env"), dict) else {}
    env = dict(base["env"]) | {str(k): _upload(_scalar_text(v), branch) for k, v in own_env.items()}
    own_deps = amd.get("source_file_dependencies") or []
    deps = list(dict.fromkeys([str(d) for d in own_deps if d is not None] + list(base["source_file_dependencies"])))
    if not amd.get("dind", True):
        deps.append(vllm_generator.AMD_NATIVE_RUNTIME)
    optional = amd.get("optional", values["optional"])  # raw: any truthy value blocks
    attributes = tuple(a for a in base["attributes"] if a[0] != "optional") + (
        ("forced-by-change", vllm_generator.ROCM_BASE_DOCKERFILE),) + ((("optional", "true"),) if optional else ())
    fields = dict(base)
    fields.update(
        key=f"amd-{base['key']}",
        label=str(amd.get("label") or f"AMD: {values['label']} ({device})"),
        location=Location(path, amd.line),
        env=tuple(env.items()),
        working_dir=working_dir,
        platform=amd_queue(device),
        tier=vllm_generator.tier("", optional, deps),
        source_file_dependencies=tuple(deps),
        ignored_keys=base["ignored_keys"] + ignored,
        soft_fail=bool(amd.get("soft_fail", values["soft_fail"])),
        attributes=attributes,
    )
    first = source_lines[0] if source_lines else amd.line
    return Job(commands=(Command(joined, Location(path, first)),) if joined else (), **fields)


def _double_quoted(text: str, where: Location, result: FrontEndResult) -> str:
    """What a command becomes when the AMD template writes it into `VLLM_TEST_COMMANDS: "..."`
    with only `"` escaped: YAML's escapes apply (two backslashes become one, a line break folds to
    a space)."""
    if "\\" not in text and "\n" not in text:
        return text
    try:
        value = yaml.safe_load('"' + text.replace('"', '\\"') + '"')
    except yaml.YAMLError:
        result.diagnostics.append(Diagnostic(where, "the AMD template pastes this command into a double-quoted YAML "
                                                    "value where its backslashes are not valid escapes: the rendered pipeline does not parse"))
        return text
    return value if isinstance(value, str) else text


def path_filter(job: Job) -> Callable[[str], bool] | None:
    """A step with `source_file_dependencies` runs on a change to a file they cover (the
    generator's match: `vllm_generator.dependency_covers`), or to one that makes the generator
    run every step of its pipeline (the `run_all_patterns` recorded in the job's attributes);
    a step without them runs on every change."""
    dependencies = job.source_file_dependencies
    if not dependencies:
        return None
    patterns = {key: tuple(v for k, v in job.attributes if k == key) for key in ("run_all_pattern", "run_all_exclude_pattern")}
    pipeline = PipelineConfig("", "", (), run_all_patterns=patterns["run_all_pattern"],
                              run_all_exclude_patterns=patterns["run_all_exclude_pattern"])
    return lambda path: vllm_generator.dependency_covers(dependencies, path) or pipeline.runs_all(path)


# --------------------------------------------------------------------------- amd-ci (test-amd.yaml)
def _amd_ci_file(data: Map, path: str, settings, result: FrontEndResult, allowance: budget.Allowance) -> None:
    """vLLM's AMD pipeline as ci-infra's `bootstrap-amd.sh` renders it through
    `test-template-amd.j2`: a step runs only if `mirror_hardwares` lists the production
    tag; its `command`/`commands` become one `&&` chain after `cd <working_dir>` in
    run-amd-test.sh; every step is soft-fail; `env` reaches only `no_plugin` steps."""
    steps = _top_steps(data, path, result)
    for index, step in enumerate(steps or []):
        line = steps.line_at(index) if isinstance(steps, Seq) else data.line
        if not isinstance(step, dict):
            result.diagnostics.append(Diagnostic(Location(path, line), f"a step must be a mapping, found {type_name(step)}"))
            continue
        hardware = step.get("mirror_hardwares")
        if not isinstance(hardware, list) or settings.buildkite_amd_mirror_hw not in hardware:
            continue
        label = _scalar_text(step.get("label"))
        pool = _scalar_text(step.get("agent_pool"))
        slug = (f"{pool}-" if pool else "") + label.replace(" ", "-").lower()
        for a, b in (("(", ""), (")", ""), ("%", ""), (",", "-"), ("+", "-")):
            slug = slug.replace(a, b)
        raw = step.get("command") or step.get("commands")
        commands = _commands(raw, path, step.line_of("command" if "command" in step else "commands"), result)
        working_dir = _scalar_text(step.get("working_dir")) or "/vllm-workspace/tests"
        num_nodes = step.get("num_nodes") if isinstance(step.get("num_nodes"), int) else 1
        texts = [_upload(t, "feature") for t, _ in commands]
        if not step.get("no_plugin"):  # the chain is pasted into a double-quoted YAML value
            texts = [_double_quoted(t, Location(path, at), result) for t, (_, at) in zip(texts, commands)]
        if num_nodes >= 2:  # one command per node; node 0's exit status is the step's
            cmds = tuple(Command(t, Location(path, at)) for t, (_, at) in zip(texts, commands))
        else:
            cmds = (Command(" && ".join(texts), Location(path, commands[0][1])),) if commands else ()
        deps = tuple(str(d) for d in step.get("source_file_dependencies") or [] if isinstance(d, (str, int)))
        if step.get("dind") is False:
            deps += (vllm_generator.AMD_NATIVE_RUNTIME,)
        optional = bool(step.get("optional"))
        if optional:
            tier = Tier.MAIN if step.get("autorun_on_main") is True else Tier.NIGHTLY
        else:
            tier = Tier.PATH_FILTERED if deps else Tier.EVERY_PR  # an empty list always runs here
        env = _str_map(step.get("env"), path, step.line_of("env"), "env", result) if step.get("no_plugin") else {}
        job = Job(
            system=SYSTEM, file=path, key=slug, label=f"{pool}: {label}", location=Location(path, line), commands=cmds,
            env=tuple((k, _upload(v, "feature")) for k, v in env.items()), working_dir=_workspace_path(working_dir, settings),
            tier=tier, platform=amd_queue(pool), soft_fail=True, source_file_dependencies=deps,
            attributes=(("pipeline", "amd-ci"), ("dependency_match", "string prefix"))
            + ((("optional", "true"),) if optional else ()),
        )
        result.jobs += _shards(job, _parallelism(step, path, result), allowance)


MAX_SHARDS = 1024


def _parallelism(step: Map, path: str, result: FrontEndResult, value=None) -> int:
    """A step's `parallelism` (`value`: as the generator coerced it), capped with a diagnostic so
    a hostile value stays cheap."""
    value = step.get("parallelism") if value is None else value
    if not isinstance(value, int) or isinstance(value, bool) or value <= 1:
        return 1
    if value > MAX_SHARDS:
        where = Location(path, step.line_of("parallelism"))
        result.diagnostics.append(Diagnostic(where, f"parallelism {value} is more than {MAX_SHARDS}: only the first {MAX_SHARDS} shards are analysed", "warning"))
        result.incomplete.append(Incomplete(where, f"shards {MAX_SHARDS}..{value - 1} not analysed"))
    return value


def _shards(job: Job, count: int, allowance: budget.Allowance) -> list[Job]:
    """One job per Buildkite parallel shard, with the index variables Buildkite sets."""
    allowance.charge(max(1, min(count, MAX_SHARDS)))
    if count <= 1:
        return [job]
    return [
        replace(
            job,
            env=job.env + (("BUILDKITE_PARALLEL_JOB", str(i)), ("BUILDKITE_PARALLEL_JOB_COUNT", str(count))),
            matrix=job.matrix + (("BUILDKITE_PARALLEL_JOB", str(i)),),
        )
        for i in range(min(count, MAX_SHARDS))
    ]


# --------------------------------------------------------------------------- plain pipelines
@dataclass
class _Pipeline:
    """One plain pipeline file as read, with the uploads its steps make."""

    path: str
    jobs: list[Job]
    edges: list[tuple[Job, str, Upload]]  # (uploading job, uploaded file, the upload command)


def _plain_pipelines(snapshot: Snapshot, roots: list[str], settings, result: FrontEndResult, context: Context | None) -> None:
    """Plain pipelines and every repository file their steps upload (dynamic pipelines).
    An uploaded file's steps run only when the uploading step does: their tier is
    never more frequent than the uploader's."""
    read: dict[str, _Pipeline] = {}
    pending = list(roots)
    while pending:
        path = pending.pop(0)
        if path in read:
            continue
        read[path] = _read_pipeline(snapshot, path, settings, result, context)
        pending += [target for _, target, _ in read[path].edges if target not in read]
    uploaded = {target for p in read.values() for _, target, _ in p.edges if target != p.path}
    starts = [p for p in roots if p not in uploaded] or roots[:1]
    caps = _upload_caps(read, starts)
    for path in list(roots) + list(read):
        if path not in caps:  # reachable only through a cycle: read it as its own root
            caps.update(_upload_caps(read, [path], caps))
    _report_cycles(read, starts, result)
    for pipeline in read.values():
        cap, uploader = caps[pipeline.path]
        for job in _as_uploaded(snapshot, pipeline, uploader, settings, context):
            if uploader is not None:
                job = replace(job, tier=_worst(job.tier, cap),
                              attributes=job.attributes + (("uploaded-by", f"{uploader[1].location} {uploader[0].key}"),))
            result.jobs.append(job)
    result.files += [p for p in read if p not in result.files]


def _as_uploaded(snapshot: Snapshot, pipeline: "_Pipeline", uploader, settings, context: Context | None) -> list[Job]:
    """A file's jobs as its uploader's `pipeline upload` makes them: `$VAR` is interpolated
    from the uploading step's environment (read again only when that changes anything)."""
    if uploader is None or (uploader[1].interpolate and not uploader[0].env):
        return pipeline.jobs
    agent_env = dict(uploader[0].env) if uploader[1].interpolate else None
    again = FrontEndResult()  # diagnostics were reported by the first reading
    _read_file(snapshot, pipeline.path, settings, again,
               lambda data, path, settings, result, allowance: _plain_file(data, path, settings, result, allowance, agent_env),
               context)
    return again.jobs


def _read_pipeline(snapshot: Snapshot, path: str, settings, result: FrontEndResult, context: Context | None) -> _Pipeline:
    own = FrontEndResult()
    _read_file(snapshot, path, settings, own, _plain_file, context)
    result.diagnostics += own.diagnostics
    result.incomplete += own.incomplete
    edges = []
    for job in own.jobs:
        for upload in uploads(job, snapshot):
            if upload.generated:
                result.incomplete.append(Incomplete(upload.location, f"step {job.label!r} uploads a generated pipeline ({upload.problem}): its steps are not analysed"))
            elif upload.problem:
                result.diagnostics.append(Diagnostic(upload.location, f"step {job.label!r}: {upload.problem}"))
            edges += [(job, target, upload) for target in upload.targets]
    return _Pipeline(path, own.jobs, edges)


def _upload_caps(read: dict[str, "_Pipeline"], starts: list[str], known: dict | None = None) -> dict:
    """File -> (tier cap, uploading job) by a fixpoint over the upload edges."""
    caps: dict[str, tuple[Tier, tuple | None]] = {p: (Tier.EVERY_PR, None) for p in starts}
    changed = True
    while changed:
        changed = False
        for source, (cap, _) in list(caps.items()):
            for job, target, where in read[source].edges:
                if target == source or (known and target in known):
                    continue
                tier = _worst(cap, job.tier)
                current = caps.get(target)
                if current is None or (best([current[0], tier]) == tier and tier != current[0]):
                    caps[target] = (tier, (job, where))
                    changed = True
    return caps


def _report_cycles(read: dict[str, "_Pipeline"], starts: list[str], result: FrontEndResult) -> None:
    done: set[str] = set()

    def visit(path: str, chain: tuple[str, ...]) -> None:
        for _, target, where in read[path].edges:
            if target in chain:
                cycle = " -> ".join(chain[chain.index(target):] + (target,))
                result.diagnostics.append(Diagnostic(where.location, f"pipeline upload cycle: {cycle} (each upload adds the steps again)", "warning"))
            elif target in read and target not in done:
                visit(target, chain + (target,))
        done.add(path)

    for start in starts:
        if start not in done:
            visit(start, (start,))


def _worst(a: Tier, b: Tier) -> Tier:
    """The less frequent of two tiers: a step runs only when both allow it."""
    return max(a, b, key=RANK.index)


_AGENT_ENV: dict[str, str] = {}  # nothing known about the uploading agent's environment


def _plain_file(data: Map, path: str, settings, result: FrontEndResult, allowance: budget.Allowance,
                agent_env: dict | None = _AGENT_ENV) -> None:
    """`agent_env`: the environment `pipeline upload` interpolates `$VAR` from (the
    uploading step's); None for `--no-interpolation`."""
    steps = _top_steps(data, path, result)
    if steps is None:
        return
    env = _str_map(data.get("env"), path, data.line_of("env"), "env", result)
    _plain_steps(steps, path, env, "", Filters(), settings, result, allowance, agent_env)


def _plain_steps(steps: list, path: str, env: dict, group: str, filters: Filters, settings, result: FrontEndResult,
                 allowance: budget.Allowance, agent_env: dict | None = _AGENT_ENV) -> None:
    for index, step in enumerate(steps):
        line = steps.line_at(index) if isinstance(steps, Seq) else 0
        if isinstance(step, str) and step in NON_COMMAND_STEPS:
            continue
        if not isinstance(step, dict):
            result.diagnostics.append(Diagnostic(Location(path, line), f"a step must be a mapping, found {type_name(step)}"))
            continue
        if any(k in step for k in NON_COMMAND_STEPS) or _skipped(step):
            continue
        if "group" in step and "steps" in step:
            nested = step["steps"]
            if isinstance(nested, list):
                _plain_steps(nested, path, env, str(step.get("group") or ""), filters.add(step), settings, result, allowance,
                             agent_env)
            else:
                result.diagnostics.append(Diagnostic(Location(path, step.line_of("steps")), f"group `steps` must be a list, found {type_name(nested)}"))
            continue
        for combo in _matrix(step, path, result):
            job = _plain_step(step, path, line, env, group, combo, filters.add(step), result, agent_env)
            if job is not None:
                result.jobs += _shards(job, _parallelism(step, path, result), allowance)


def _skipped(step: Map) -> bool:
    """`skip: true` or `skip: "reason"`: Buildkite shows the step and never runs it."""
    skip = step.get("skip")
    return skip is True or (isinstance(skip, str) and skip.strip().lower() not in ("", "false"))


def _soft_fail(value) -> bool:
    """`soft_fail: true` or a list of exit statuses that do not fail the build."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    if isinstance(value, list):
        return bool(value)
    return value is True


def _plain_step(step: Map, path, line, pipeline_env: dict, group: str, combo: dict, filters: Filters, result,
                agent_env: dict | None = _AGENT_ENV) -> Job | None:
    raw = step.get("commands", step.get("command"))
    where = step.line_of("commands") if "commands" in step else step.line_of("command")
    if raw is None and "plugins" not in step:
        return None
    step_env = _str_map(step.get("env"), path, step.line_of("env"), "env", result)
    env = {**pipeline_env, **{k: _interp_matrix(v, combo) for k, v in step_env.items()}}
    env.update(_docker_environment(step.get("plugins"), combo))
    label = _interp_matrix(str(step.get("label") or step.get("name") or ""), combo)
    commands = []
    for text, cmd_line in _commands(raw, path, where, result):
        text = _interp_matrix(text, combo)
        if agent_env is not None:
            text = upload_interpolate(text, {**agent_env, **pipeline_env})
        commands.append(Command(text, Location(path, cmd_line)))
    key = str(step.get("key") or step.get("id") or _key_from_label(label or (commands[0].text if commands else f"step-{line}")))
    agents = step.get("agents")
    platform = ",".join(f"{k}={v}" for k, v in agents.items()) if isinstance(agents, dict) else ""
    tier, tier_notes = tier_of(filters)
    return Job(
        system=SYSTEM,
        file=path,
        key=key,
        label=label or (commands[0].text.splitlines()[0] if commands else key),
        location=Location(path, line),
        commands=tuple(commands),
        env=tuple(env.items()),
        tier=tier,
        matrix=tuple(combo.items()),
        platform=_interp_matrix(platform, combo),
        soft_fail=_soft_fail(step.get("soft_fail")),
        attributes=tuple((k, _scalar_text(step[k])) for k in ("timeout_in_minutes",) if k in step)
        + ((("group", group),) if group else ()) + tier_notes,
    )


def _docker_environment(plugins, combo: dict) -> dict[str, str]:
    """The docker / docker-compose plugin's `environment: [NAME=value, NAME]`."""
    env: dict[str, str] = {}
    items = plugins if isinstance(plugins, list) else [plugins] if isinstance(plugins, dict) else []
    for plugin in items:
        if not isinstance(plugin, dict):
            continue
        for name, config in plugin.items():
            if "docker" not in str(name) or not isinstance(config, dict):
                continue
            for entry in config.get("environment") or []:
                if isinstance(entry, str) and "=" in entry:
                    k, _, v = entry.partition("=")
                    env[k] = _interp_matrix(v, combo)
    return env


_MATRIX_REF = re.compile(r"\{\{\s*matrix(?:\.([A-Za-z0-9_-]+))?\s*\}\}")


def _interp_matrix(text: str, combo: dict) -> str:
    if not combo:
        return text

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return str(combo.get("", next(iter(combo.values()))))
        return str(combo.get(name, match.group(0)))

    return _MATRIX_REF.sub(replace, text)


def _matrix(step: Map, path: str, result: FrontEndResult) -> list[dict]:
    """Combinations of a Buildkite build matrix (`[{}]` when there is none)."""
    matrix = step.get("matrix")
    if matrix is None:
        return [{}]
    if isinstance(matrix, list):  # one-dimensional: {{matrix}}
        return [{"": _scalar_text(v)} for v in matrix]
    if not isinstance(matrix, dict) or not isinstance(matrix.get("setup"), (dict, list)):
        result.diagnostics.append(Diagnostic(Location(path, step.line_of("matrix")), "matrix must be a list or have a `setup`"))
        return [{}]
    setup = matrix["setup"]
    if isinstance(setup, list):
        combos = [{"": _scalar_text(v)} for v in setup]
    else:
        dims = {str(k): [_scalar_text(v) for v in (vals if isinstance(vals, list) else [vals])] for k, vals in setup.items()}
        size = math.prod(len(values) for values in dims.values())
        if size > MAX_MATRIX_COMBINATIONS:  # never materialise a product nobody could run
            where = Location(path, step.line_of("matrix"))
            result.diagnostics.append(Diagnostic(where, f"matrix makes {size} combinations; only the first {MAX_MATRIX_COMBINATIONS} are analysed"))
            result.incomplete.append(Incomplete(where, f"matrix truncated to {MAX_MATRIX_COMBINATIONS} of {size} combinations"))
        combos = [dict(zip(dims, values)) for values in itertools.islice(itertools.product(*dims.values()), MAX_MATRIX_COMBINATIONS)]
    for adjustment in matrix.get("adjustments") or []:
        if not isinstance(adjustment, dict):
            continue
        with_ = adjustment.get("with")
        target = {str(k): _scalar_text(v) for k, v in with_.items()} if isinstance(with_, dict) else {"": _scalar_text(with_)}
        skip = adjustment.get("skip")
        matching = [c for c in combos if c == target]
        if skip not in (None, False):
            combos = [c for c in combos if c != target]
        elif not matching:
            combos.append(target)  # an adjustment naming a new combination adds it
    return combos


# --------------------------------------------------------------------------- fix steps
SETUP_PROGRAMS = ("uv", "pip", "pip3", "apt-get", "export")


def fix_step(job: Job, command: str, values: dict[str, str], calling: str = "") -> str:
    """A copy of the step with the variables set: its device, timeout, dependencies and the
    commands that prepare the one that reaches the subject."""
    lines = [f"- label: {job.label} ({variant_name(values)})", f"  key: {variant_key(job.key, values)}"]
    deps = [d for d in job.source_file_dependencies if d != job.file]
    for name, value in job.attributes:
        if name == "timeout_in_minutes":
            lines.append(f"  timeout_in_minutes: {value}")
    if job.platform and not job.platform.startswith(("gpux1", "amd_")):  # an AMD queue is a mirror's
        device, _, count = job.platform.partition("x")
        if device != "gpu":
            lines.append(f"  device: {device}")
        if count and count != "1":
            lines.append(f"  num_devices: {count}")
    if deps:
        lines.append("  source_file_dependencies:")
        lines += [f"    - {d}" for d in deps]
    lines.append("  commands:")
    lines += [f"    - {text}" for text in _preparation(job, calling)]
    lines.append(f"    - {command}")
    return "\n".join(lines)


def _preparation(job: Job, calling: str) -> list[str]:
    """The job's commands before the one that starts the path to the run (installs, exports):
    the new step needs them too.  Without that command known, the recognised setup commands."""
    before = []
    for c in job.commands:
        if calling and " ".join(without_leading_assignments(c.text.split())) == calling:
            return before
        before.append(c.text)
    return [c.text for c in job.commands if c.text.split()[:1] and c.text.split()[0] in SETUP_PROGRAMS]
