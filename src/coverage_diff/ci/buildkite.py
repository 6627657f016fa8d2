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
from dataclasses import dataclass, replace

from ..isolation import contained
from ..model import Command, Diagnostic, Incomplete, Job, Location, Tier
from ..snapshot import Snapshot, normalize
from . import FrontEndResult, file_memo
from .buildkite_tiers import Filters, tier_of
from .buildkite_upload import Upload, uploads
from .gha_triggers import RANK, best
from .yamlload import Map, Seq, YamlError, load, type_name

SYSTEM = "buildkite"

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
def _vllm_job_dirs(snapshot: Snapshot) -> tuple[list[str], list[Diagnostic]]:
    dirs: list[str] = []
    diagnostics: list[Diagnostic] = []
    for path in snapshot.glob(".buildkite/ci_config*.yaml"):
        try:
            data = load(snapshot.text(path), path)
        except YamlError as exc:
            diagnostics.append(exc.diagnostic)
            continue
        job_dirs = data.get("job_dirs") if isinstance(data, dict) else None
        if isinstance(job_dirs, list):
            dirs += [normalize(str(d)) for d in job_dirs if isinstance(d, str)]
    return sorted(set(dirs)), diagnostics


def _classify(snapshot: Snapshot, settings) -> tuple[list[str], list[str], list[Diagnostic]]:
    """(vLLM test-area files, plain pipeline files, diagnostics)."""
    job_dirs, diagnostics = _vllm_job_dirs(snapshot)
    vllm = set(snapshot.glob(*(f"{d}/**/*.yaml" for d in job_dirs))) if job_dirs else set()
    candidates = set(snapshot.glob(*settings.buildkite_globs))
    if not job_dirs:  # no generator config: test_areas-style dirs still use its dialect
        vllm |= {p for p in candidates if "/test_areas/" in p or "/hardware_tests/" in p or "/intel_jobs/" in p}
    plain = candidates - vllm - {p for p in candidates if p.split("/")[-1].startswith("ci_config")}
    return sorted(vllm), sorted(plain), diagnostics


def owns(snapshot: Snapshot, settings) -> list[str]:
    vllm, plain, _ = _classify(snapshot, settings)
    return vllm + plain


def jobs(snapshot: Snapshot, settings) -> FrontEndResult:
    vllm, plain, diagnostics = _classify(snapshot, settings)
    result = FrontEndResult(diagnostics=list(diagnostics), files=vllm + plain)
    for path in vllm:
        _read_file(snapshot, path, settings, result, _vllm_file)
    _plain_pipelines(snapshot, plain, settings, result)
    return result


def _read_file(snapshot, path, settings, result: FrontEndResult, reader) -> None:
    """One file's jobs and diagnostics, remembered by blob (`file_memo`): a history walk
    reads the same unchanged test-area files at every commit, and a PR's next push too."""
    entry = snapshot.entry(path)
    cacheable = reader in (_vllm_file, _plain_file) and entry is not None and entry.blob  # not closures
    key = (entry.blob, path, reader.__name__, settings) if cacheable else None
    own = file_memo.MEMO.get(key) if key is not None else None
    if own is None:
        own = FrontEndResult()
        with contained(Location(path), f"pipeline file {path}") as caught:
            _read_file_uncached(snapshot, path, settings, own, reader)
        if caught.failed:
            own = FrontEndResult(diagnostics=caught.diagnostics, incomplete=caught.incomplete)
        elif key is not None:
            file_memo.MEMO.put(key, own)
    result.jobs += own.jobs
    result.diagnostics += own.diagnostics
    result.incomplete += own.incomplete


def _read_file_uncached(snapshot, path, settings, result: FrontEndResult, reader) -> None:
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
    reader(data, path, settings, result)


# --------------------------------------------------------------------------- shared helpers
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def upload_interpolate(text: str, env: dict[str, str], keep: frozenset[str] = frozenset()) -> str:
    """What `buildkite-agent pipeline upload` does to `$` in step attributes:
    `$$` is a literal `$`, `$X`/`${X}`/`${X:-d}` are replaced from the uploader's
    environment (pipeline `env:`), which in CI usually means an empty string."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        if name in keep:
            return match.group(0)
        if name in env:
            return env[name]
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
def _vllm_file(data: Map, path: str, settings, result: FrontEndResult) -> None:
    steps = _top_steps(data, path, result)
    if steps is None:
        return
    file_depends = data.get("depends_on")
    file_defaults = isinstance(file_depends, list) and bool(file_depends)
    for index, step in enumerate(steps):
        line = steps.line_at(index) if isinstance(steps, Seq) else data.line
        if not isinstance(step, dict):
            result.diagnostics.append(Diagnostic(Location(path, line), f"a step must be a mapping, found {type_name(step)}"))
            continue
        _vllm_step(step, path, line, file_defaults, settings, result)


def _vllm_step(step: Map, path: str, line: int, file_defaults: bool, settings, result: FrontEndResult) -> None:
    label = step.get("label")
    if not isinstance(label, str) or not label:
        result.diagnostics.append(Diagnostic(Location(path, line), "step has no `label` (required by vLLM's pipeline generator); skipped"))
        return
    ignored = tuple((k, Location(path, step.line_of(k))) for k in step if k not in VLLM_STEP_KEYS)
    key = str(step.get("key") or _key_from_label(label))
    multi_node = isinstance(step.get("num_nodes"), int) and step["num_nodes"] >= 2
    working_dir = step.get("working_dir")
    if working_dir is None and file_defaults:
        working_dir = "/vllm-workspace/" + settings.default_working_dir
    if multi_node or label.startswith(":docker:"):
        working_dir = None  # no `cd working_dir` is generated for these
    env = _str_map(step.get("env"), path, step.line_of("env"), "env", result)
    deps = [str(d) for d in step.get("source_file_dependencies") or [] if isinstance(d, (str, int))]
    if file_defaults:
        deps.append(path)
    commands = _commands(step.get("commands"), path, step.line_of("commands"), result)
    rewrite_quotes = not multi_node
    tier = Tier.OPTIONAL if step.get("optional") is True or not deps else Tier.PATH_FILTERED
    base = dict(
        system=SYSTEM,
        file=path,
        key=key,
        label=label,
        location=Location(path, line),
        env=tuple(env.items()),
        working_dir=_workspace_path(str(working_dir), settings) if working_dir else "",
        tier=tier,
        platform=_vllm_platform(step.get("device"), step.get("num_devices")),
        soft_fail=_soft_fail(step.get("soft_fail")),
        source_file_dependencies=tuple(deps),
        ignored_keys=ignored,
        attributes=tuple((k, _scalar_text(step[k])) for k in ("timeout_in_minutes", "group") if k in step),
    )
    lines = [_vllm_command(text, rewrite_quotes) for text, _ in commands]
    cmds = tuple(Command(text, Location(path, cmd_line)) for text, (_, cmd_line) in zip(lines, commands))
    shards = _parallelism(step, path, result)
    for job in _shards(Job(commands=cmds, **base), shards):
        result.jobs.append(job)
    mirror = step.get("mirror")
    if isinstance(mirror, dict) and isinstance(mirror.get("amd"), dict):
        amd = _vllm_amd_mirror(step, mirror["amd"], base, commands, cmds, path, settings, result)
        if amd is not None:
            result.jobs += _shards(amd, shards)


def _vllm_command(text: str, rewrite_quotes: bool) -> str:
    if rewrite_quotes:
        text = text.replace("'", '"')  # the generator rewrites every single quote
    return upload_interpolate(text, {}, keep=VLLM_INJECTED)


def _vllm_platform(device, num_devices) -> str:
    count = num_devices if isinstance(num_devices, int) else 1
    return f"{device or 'gpu'}x{count}"


def _vllm_amd_mirror(step, amd: Map, base: dict, commands, cmds, path, settings, result) -> Job | None:
    device = amd.get("device")
    if not isinstance(device, str):
        result.diagnostics.append(Diagnostic(Location(path, amd.line), "mirror.amd needs a `device`; no AMD variant generated"))
        return None
    ignored = tuple((f"mirror.amd.{k}", Location(path, amd.line_of(k))) for k in amd if k not in VLLM_MIRROR_KEYS)
    if "parallelism" in amd:
        ignored += (("mirror.amd.parallelism", Location(path, amd.line_of("parallelism"))),)
    own = _commands(amd.get("commands"), path, amd.line_of("commands"), result) if "commands" in amd else None
    working_dir = base["working_dir"]
    if own is not None and amd.get("working_dir"):
        working_dir = _workspace_path(str(amd["working_dir"]), settings)
    source = own if own is not None else commands
    joined = " && ".join(_vllm_command(text, True) for text, _ in source)  # AMD joins lines with &&
    first_line = source[0][1] if source else amd.line
    env = dict(base["env"]) | _str_map(amd.get("env"), path, amd.line_of("env"), "mirror.amd.env", result)
    deps = tuple(dict.fromkeys(base["source_file_dependencies"] + tuple(str(d) for d in amd.get("source_file_dependencies") or [])))
    optional = amd.get("optional", step.get("optional"))
    fields = dict(base)
    fields.update(
        key=f"amd-{base['key']}",
        label=str(amd.get("label") or f"AMD: {base['label']} ({device})"),
        location=Location(path, amd.line),
        env=tuple(env.items()),
        working_dir=working_dir,
        platform=f"{device}",
        tier=Tier.OPTIONAL if optional is True else base["tier"],
        source_file_dependencies=deps,
        ignored_keys=base["ignored_keys"] + ignored,
        soft_fail=_soft_fail(amd.get("soft_fail", base["soft_fail"])),
    )
    return Job(commands=(Command(joined, Location(path, first_line)),) if joined else (), **fields)


MAX_SHARDS = 1024


def _parallelism(step: Map, path: str, result: FrontEndResult) -> int:
    """A step's `parallelism`, capped (with a diagnostic) so a hostile value stays cheap."""
    value = step.get("parallelism")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 1:
        return 1
    if value > MAX_SHARDS:
        where = Location(path, step.line_of("parallelism"))
        result.diagnostics.append(Diagnostic(where, f"parallelism {value} is more than {MAX_SHARDS}: only the first {MAX_SHARDS} shards are analysed", "warning"))
        result.incomplete.append(Incomplete(where, f"shards {MAX_SHARDS}..{value - 1} not analysed"))
    return value


def _shards(job: Job, count: int) -> list[Job]:
    """One job per Buildkite parallel shard, with the index variables Buildkite sets."""
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


def _plain_pipelines(snapshot: Snapshot, roots: list[str], settings, result: FrontEndResult) -> None:
    """Plain pipelines and every repository file their steps upload (dynamic pipelines).
    An uploaded file's steps run only when the uploading step does: their tier is
    never more frequent than the uploader's."""
    read: dict[str, _Pipeline] = {}
    pending = list(roots)
    while pending:
        path = pending.pop(0)
        if path in read:
            continue
        read[path] = _read_pipeline(snapshot, path, settings, result)
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
        for job in _as_uploaded(snapshot, pipeline, uploader, settings):
            if uploader is not None:
                job = replace(job, tier=_worst(job.tier, cap),
                              attributes=job.attributes + (("uploaded-by", f"{uploader[1].location} {uploader[0].key}"),))
            result.jobs.append(job)
    result.files += [p for p in read if p not in result.files]


def _as_uploaded(snapshot: Snapshot, pipeline: "_Pipeline", uploader, settings) -> list[Job]:
    """A file's jobs as its uploader's `pipeline upload` makes them: `$VAR` is interpolated
    from the uploading step's environment (read again only when that changes anything)."""
    if uploader is None or (uploader[1].interpolate and not uploader[0].env):
        return pipeline.jobs
    agent_env = dict(uploader[0].env) if uploader[1].interpolate else None
    again = FrontEndResult()  # diagnostics were reported by the first reading
    _read_file(snapshot, pipeline.path, settings, again,
               lambda data, path, settings, result: _plain_file(data, path, settings, result, agent_env))
    return again.jobs


def _read_pipeline(snapshot: Snapshot, path: str, settings, result: FrontEndResult) -> _Pipeline:
    own = FrontEndResult()
    _read_file(snapshot, path, settings, own, _plain_file)
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


def _plain_file(data: Map, path: str, settings, result: FrontEndResult, agent_env: dict | None = _AGENT_ENV) -> None:
    """`agent_env`: the environment `pipeline upload` interpolates `$VAR` from (the
    uploading step's); None for `--no-interpolation`."""
    steps = _top_steps(data, path, result)
    if steps is None:
        return
    env = _str_map(data.get("env"), path, data.line_of("env"), "env", result)
    _plain_steps(steps, path, env, "", Filters(), settings, result, agent_env)


def _plain_steps(steps: list, path: str, env: dict, group: str, filters: Filters, settings, result: FrontEndResult,
                 agent_env: dict | None = _AGENT_ENV) -> None:
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
                _plain_steps(nested, path, env, str(step.get("group") or ""), filters.add(step), settings, result, agent_env)
            else:
                result.diagnostics.append(Diagnostic(Location(path, step.line_of("steps")), f"group `steps` must be a list, found {type_name(nested)}"))
            continue
        for combo in _matrix(step, path, result):
            job = _plain_step(step, path, line, env, group, combo, filters.add(step), result, agent_env)
            if job is not None:
                result.jobs += _shards(job, _parallelism(step, path, result))


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
