"""GitHub Actions front-end: workflows into one `Job` per run step.

Each `run:` step runs in its own shell, so a Job is one (workflow job x matrix
combination x run step); steps of local composite actions and jobs of local
reusable workflows are followed.  `${{ }}` expressions are resolved where their
inputs are static (matrix, env, inputs, literals, `vars` fallbacks); what is
only known at run time stays unknown, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..config import Settings
from ..isolation import contained
from ..model import Command, Diagnostic, Incomplete, Job, Location, Tier
from ..snapshot import Snapshot, normalize
from . import FrontEndResult
from .gha_expressions import (ExpressionError, Scope, Unknown, condition, resolve, substitute, to_string)
from .gha_matrix import MAX_JOBS, MatrixError, expand, flatten
from .gha_triggers import Scenario, best, scenarios, triggers
from .yamlload import Map, YamlError, load_file, type_name

SYSTEM = "github-actions"
MAX_CALL_DEPTH = 10  # GitHub's own limit on nested reusable workflows / actions
NON_SHELLS = ("python", "pwsh", "powershell", "cmd")


def owns(snapshot: Snapshot, settings: Settings) -> list[str]:
    return snapshot.glob(*settings.github_globs)


def jobs(snapshot: Snapshot, settings: Settings) -> FrontEndResult:
    result = FrontEndResult()
    reader = _Reader(snapshot, result, settings.max_file_bytes)
    for path in owns(snapshot, settings):
        result.files.append(path)
        with contained(Location(path), f"workflow {path}") as caught:
            _read_workflow(reader, path)
        result.diagnostics += caught.diagnostics
        result.incomplete += caught.incomplete
    return result


def _read_workflow(reader: "_Reader", path: str) -> None:
    workflow = reader.load(path)
    if workflow is None:
        return
    own = scenarios(workflow)
    if not own:
        return  # only `workflow_call`: runs through its callers
    inputs = _dispatch_inputs(workflow) if all(s.event == "workflow_dispatch" for s in own) else {}
    call = _Call(top=path, file=path, scenarios=tuple(own), inputs=inputs)
    reader.workflow(workflow, call)


@dataclass(frozen=True)
class _Call:
    """How a workflow is being read: directly, or as the callee of another job."""

    top: str  # the workflow that triggers everything (Job.file)
    file: str  # the file being read now
    scenarios: tuple[Scenario, ...]
    inputs: dict = field(default_factory=dict)
    prefix: str = ""  # key prefix of enclosing caller jobs
    label_prefix: str = ""
    matrix: tuple = ()  # caller matrix values
    attributes: tuple = ()
    depth: int = 0


@dataclass
class _Step:
    """Everything a run step needs from its job and enclosing actions."""

    call: _Call
    file: str
    key: str
    label: str
    context: dict
    env: dict  # name -> str | Unknown, in precedence order already applied
    runtime_env: dict  # written to $GITHUB_ENV by earlier steps (shared per job run)
    working_dir: str
    shell: object
    platform: str
    matrix: tuple
    scenarios: tuple[Scenario, ...]
    attributes: tuple
    soft_fail: bool = False
    depth: int = 0


class _Reader:
    def __init__(self, snapshot: Snapshot, result: FrontEndResult, max_bytes: int = 2_000_000):
        self.max_bytes = max_bytes
        self.snapshot = snapshot
        self.result = result
        self._yaml: dict[str, object] = {}

    # -- input -----------------------------------------------------------------
    def load(self, path: str):
        if path in self._yaml:
            return self._yaml[path]
        data = None
        try:
            data = load_file(self.snapshot, path, self.max_bytes, core_schema=True)
        except YamlError as exc:
            self.result.diagnostics.append(exc.diagnostic)
            self.incomplete(path, exc.diagnostic.location.line, "YAML could not be read; its jobs are not analysed")
        except KeyError:
            self.error(path, 0, "file not found")
        if data is not None and not isinstance(data, dict):
            self.error(path, getattr(data, "line", 1), f"a workflow must be a mapping, not {type_name(data)}")
            data = None
        self._yaml[path] = data
        return data

    def lines(self, path: str) -> list[str]:
        return self.snapshot.text(path).split("\n")

    def error(self, path: str, line: int, message: str) -> None:
        self.result.diagnostics.append(Diagnostic(Location(path, line), message))

    def incomplete(self, path: str, line: int, reason: str) -> None:
        self.result.incomplete.append(Incomplete(Location(path, line), reason))

    def resolve(self, value, context: dict, path: str, line: int):
        """`resolve` with a bad expression turned into a diagnostic (and an unknown value)."""
        try:
            return resolve(value, context)
        except ExpressionError as exc:
            self.error(path, line, str(exc))
            return Unknown(f"invalid expression at {path}:{line}")

    def condition(self, value, context: dict, path: str, line: int):
        try:
            return condition(value, context)
        except ExpressionError as exc:
            self.error(path, line, str(exc))
            return Unknown("invalid expression")

    # -- workflows and jobs ----------------------------------------------------------
    def workflow(self, workflow: dict, call: _Call) -> None:
        jobs_map = workflow.get("jobs")
        if not isinstance(jobs_map, dict):
            line = workflow.line_of("jobs") if isinstance(workflow, Map) else 1
            self.error(call.file, line, f"`jobs` must be a mapping, not {type_name(jobs_map)}")
            return
        base = self.context(call, env={})
        workflow_env = self.env_block(workflow, base, call.file)
        for job_id, job in jobs_map.items():
            line = jobs_map.line_of(job_id) if isinstance(jobs_map, Map) else 0
            if not isinstance(job, dict):
                self.error(call.file, line, f"job {job_id!r} must be a mapping, not {type_name(job)}")
                continue
            self.job(str(job_id), job, line, workflow, workflow_env, call)

    def context(self, call: _Call, env: dict, matrix=None, scenario: Scenario | None = None) -> dict:
        github = {"workspace": ".", "repository_owner_id": Unknown("github.repository_owner_id")}
        if scenario is not None:
            github["event_name"] = scenario.event
            if scenario.ref:
                github["ref"] = scenario.ref
                github["ref_name"] = scenario.ref.rsplit("/", 1)[-1]
        return {
            "github": Scope("github", github),
            "inputs": dict(call.inputs),
            "vars": Scope("vars", has_default=True),
            "secrets": Scope("secrets"),
            "needs": Scope("needs"),
            "steps": Scope("steps"),
            "runner": Scope("runner"),
            "job": Scope("job"),
            "strategy": Scope("strategy"),
            "matrix": matrix if matrix is not None else {},
            "env": env,
        }

    def job(self, job_id: str, job: dict, line: int, workflow: dict, workflow_env: dict, call: _Call) -> None:
        runnable, attributes = self.filter_if(job, call.scenarios, call, lambda s: self.context(call, {}, None, s))
        if not runnable:
            return
        call = replace(call, scenarios=runnable, attributes=call.attributes + attributes)
        combos = self.combinations(job, call)
        if combos is None:  # only known at run time: keep the job, matrix unknown
            combos, unknown_matrix = [None], True
        else:
            unknown_matrix = False
        for combo in combos:
            matrix_ctx = Scope("matrix") if unknown_matrix else (combo or {})
            matrix_values = call.matrix + (flatten(combo) if combo else ())
            extra = (("matrix", "unknown until run time"),) if unknown_matrix else ()
            uses = job.get("uses")
            if isinstance(uses, str):
                self.reusable(job_id, job, uses, call, matrix_ctx, matrix_values)
                continue
            self.job_steps(job_id, job, line, workflow, workflow_env, replace(call, attributes=call.attributes + extra),
                           matrix_ctx, matrix_values)

    def filter_if(self, node: dict, candidates, call: _Call, context_of) -> tuple[tuple[Scenario, ...], tuple]:
        """The scenarios under which `node`'s `if:` may hold, and the assumption made."""
        if "if" not in node:
            return tuple(candidates), ()
        line = node.line_of("if") if isinstance(node, Map) else 0
        kept, unknown = [], None
        for scenario in candidates:
            outcome = self.condition(node["if"], context_of(scenario), call.file, line)
            if isinstance(outcome, Unknown):
                unknown = outcome
                kept.append(scenario)
            elif outcome:
                kept.append(scenario)
        attributes = ()
        if unknown is not None:
            attributes = (("if", f"{node['if']} (assumed true: {unknown.origin} is known only at run time)"),)
        return tuple(kept), attributes

    def combinations(self, job: dict, call: _Call) -> list[dict] | None:
        strategy = job.get("strategy")
        if strategy is None:
            return [{}]
        line = job.line_of("strategy") if isinstance(job, Map) else 0
        context = self.context(call, {})
        strategy = self.resolve(strategy, context, call.file, line)
        if not isinstance(strategy, dict) or "matrix" not in strategy:
            if isinstance(strategy, Unknown):
                self.incomplete(call.file, line, f"strategy depends on {strategy.origin}, known only at run time")
                return None
            if not isinstance(strategy, dict):
                self.error(call.file, line, f"`strategy` must be a mapping, not {type_name(strategy)}")
            return [{}]
        matrix = strategy["matrix"]
        line = _line(job["strategy"], "matrix", line)
        unknown = _first_unknown(matrix)
        if unknown is not None:
            self.incomplete(call.file, line, f"matrix depends on {unknown.origin}, known only at run time")
            return None
        if not isinstance(matrix, dict):
            self.error(call.file, line, f"`strategy.matrix` must be a mapping, not {type_name(matrix)}")
            return [{}]
        try:
            combos = expand(matrix)
        except MatrixError as exc:
            raw = job["strategy"].get("matrix") if isinstance(job["strategy"], dict) else None
            key_line = raw.line_of(exc.key) if isinstance(raw, Map) and exc.key in raw else line
            self.error(call.file, key_line, str(exc))
            return []
        if len(combos) > MAX_JOBS:
            self.error(call.file, line, f"matrix makes {len(combos)} jobs; GitHub refuses more than {MAX_JOBS}")
        if not combos:
            self.error(call.file, line, "matrix makes no jobs (every combination is excluded)")
        return combos

    def env_block(self, node: dict, context: dict, path: str) -> dict:
        """`env:` of a workflow, job or step: name -> text or Unknown."""
        if "env" not in node:
            return {}
        line = node.line_of("env") if isinstance(node, Map) else 0
        env = node["env"]
        if isinstance(env, str):
            env = self.resolve(env, context, path, line)
            if isinstance(env, Unknown):
                self.incomplete(path, line, f"env is {env.origin}, known only at run time")
                return {}
        if not isinstance(env, dict):
            self.error(path, line, f"`env` must be a mapping, not {type_name(env)}")
            return {}
        out = {}
        for name, value in env.items():
            value_line = env.line_of(name) if isinstance(env, Map) else line
            if isinstance(value, (dict, list)):
                self.error(path, value_line, f"env {name} must be a string, not {type_name(value)}")
                continue
            value = self.resolve(value, context, path, value_line) if isinstance(value, str) else value
            out[str(name)] = value if isinstance(value, Unknown) else to_string(value)
        return out

    # -- reusable workflows ------------------------------------------------------------
    def reusable(self, job_id: str, job: dict, uses: str, call: _Call, matrix_ctx, matrix_values: tuple) -> None:
        line = job.line_of("uses") if isinstance(job, Map) else 0
        if not uses.startswith("./"):
            self.incomplete(call.file, line, f"reusable workflow {uses} lives outside the repository: not analysed")
            return
        callee = normalize(uses.split("@", 1)[0])
        if call.depth >= MAX_CALL_DEPTH:
            self.error(call.file, line, f"reusable workflows nest deeper than {MAX_CALL_DEPTH} levels")
            return
        if not self.snapshot.exists(callee):
            self.error(call.file, line, f"reusable workflow {callee} not found")
            return
        workflow = self.load(callee)
        if workflow is None:
            return
        with_values = job.get("with") or {}
        if not isinstance(with_values, dict):
            self.error(call.file, job.line_of("with") if isinstance(job, Map) else line,
                       f"`with` must be a mapping, not {type_name(with_values)}")
            with_values = {}
        groups = self.inputs_per_event(with_values, call, matrix_ctx, line)
        for given, group in groups:
            context = self.context(call, {}, matrix_ctx, group[0] if group else None)
            name = self.resolve(job.get("name", job_id), context, call.file, line)
            label = to_string(name) if not isinstance(name, Unknown) else job_id
            # Events that pass different inputs make different callee jobs: the event names tell them apart.
            events = (("event", ",".join(dict.fromkeys(s.event for s in group))),) if len(groups) > 1 else ()
            self.workflow(workflow, replace(
                call, file=callee, inputs=_call_inputs(workflow, given), scenarios=tuple(group),
                prefix=f"{call.prefix}{job_id}/", label_prefix=f"{call.label_prefix}{label} / ",
                matrix=matrix_values + events, attributes=call.attributes + (("workflow", callee),), depth=call.depth + 1))

    def inputs_per_event(self, with_values: dict, call: _Call, matrix_ctx, line: int) -> list[tuple[dict, list]]:
        """`with:` evaluated under each scenario of the caller, scenarios grouped by the inputs they give."""
        groups: dict[str, tuple[dict, list]] = {}
        for scenario in call.scenarios or (None,):
            context = self.context(call, {}, matrix_ctx, scenario)
            given = {str(k): self.resolve(v, context, call.file, _line(with_values, k, line)) for k, v in with_values.items()}
            key = repr(sorted((k, _frozen(v)) for k, v in given.items()))
            groups.setdefault(key, (given, []))[1].extend([scenario] if scenario is not None else [])
        return list(groups.values())

    # -- steps -----------------------------------------------------------------------
    def job_steps(self, job_id, job, line, workflow, workflow_env, call: _Call, matrix_ctx, matrix_values) -> None:
        context = self.context(call, dict(workflow_env), matrix_ctx, call.scenarios[0])
        job_env = self.env_block(job, context, call.file)
        env = {**workflow_env, **job_env}
        name = self.resolve(job.get("name", job_id), context, call.file, line)
        defaults = _defaults_run(workflow) | _defaults_run(job)
        platform = self.platform(job, context, call.file)
        steps = job.get("steps")
        if not isinstance(steps, list):
            if "steps" in job or "uses" not in job:
                self.error(call.file, job.line_of("steps") if isinstance(job, Map) and "steps" in job else line,
                           f"job {job_id!r}: `steps` must be a list, not {type_name(steps)}")
            return
        soft = self.resolve(job.get("continue-on-error", False), context, call.file, line)
        base = _Step(
            call=call, file=call.file, key=f"{call.prefix}{job_id}",
            label=call.label_prefix + (to_string(name) if not isinstance(name, Unknown) else job_id),
            context=context, env=env, runtime_env={}, working_dir=self.working_dir(defaults.get("working-directory"), context, call.file, line),
            shell=defaults.get("shell"), platform=platform, matrix=matrix_values, scenarios=call.scenarios,
            attributes=call.attributes, soft_fail=soft is True or soft == "true", depth=call.depth)
        self.steps(steps, base)

    def platform(self, job: dict, context: dict, path: str) -> str:
        runs_on = job.get("runs-on")
        if runs_on is None:
            return ""
        value = self.resolve(runs_on, context, path, job.line_of("runs-on") if isinstance(job, Map) else 0)
        if isinstance(value, Unknown):
            return f"<{value.origin}>"
        if isinstance(value, dict):
            parts = [f"group={to_string(value['group'])}"] if "group" in value else []
            labels = value.get("labels", [])
            value = parts + (labels if isinstance(labels, list) else [labels])
        if isinstance(value, list):
            return ",".join(to_string(v) for v in value if not isinstance(v, Unknown))
        return to_string(value)

    def working_dir(self, value, context: dict, path: str, line: int) -> str:
        if value is None:
            return ""
        value = self.resolve(value, context, path, line)
        if isinstance(value, Unknown):
            self.incomplete(path, line, f"working directory depends on {value.origin}: using the repository root")
            return ""
        text = to_string(value)
        for prefix in ("$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}"):
            text = text.removeprefix(prefix)
        return normalize(text.lstrip("/")) if not text.startswith("~") else normalize(text)

    def steps(self, steps: list, parent: _Step) -> None:
        for index, step in enumerate(steps):
            line = steps.line_at(index) if hasattr(steps, "line_at") else 0
            if not isinstance(step, dict):
                self.error(parent.file, line, f"step {index} must be a mapping, not {type_name(step)}")
                continue
            self.step(index, step, line, parent)

    def step(self, index: int, step: dict, line: int, parent: _Step) -> None:
        context = {**parent.context, "env": {**parent.env, **parent.runtime_env}}
        call = replace(parent.call, file=parent.file)
        runnable, assumed = self.filter_if(step, parent.scenarios, call,
                                           lambda s: {**context, "github": self.context(call, {}, None, s)["github"]})
        if not runnable:
            return
        step_env = self.env_block(step, context, parent.file)
        env = {**parent.env, **parent.runtime_env, **step_env}
        context = {**context, "env": env}
        step_id = step.get("id")
        key = f"{parent.key}/{step_id if isinstance(step_id, str) and step_id else index}"
        soft = self.resolve(step.get("continue-on-error", False), context, parent.file, line)
        here = replace(parent, key=key, context=context, scenarios=runnable, attributes=parent.attributes + assumed,
                       soft_fail=parent.soft_fail or soft is True or soft == "true")
        if "working-directory" in step:
            here.working_dir = self.working_dir(step["working-directory"], context, parent.file, _line(step, "working-directory", line))
        if "run" in step:
            self.run_step(step, line, here, env)
        elif isinstance(step.get("uses"), str) and step["uses"].startswith("./"):
            self.local_action(step, line, here, env)

    def run_step(self, step: dict, line: int, here: _Step, env: dict) -> None:
        run_line = _line(step, "run", line)
        script = step["run"]
        if not isinstance(script, str):
            self.error(here.file, run_line, f"`run` must be a string, not {type_name(step['run'])}")
            return
        shell = step.get("shell", here.shell)
        errexit = self.errexit(shell, here, run_line)
        if errexit is None:
            return
        unknown_names: list[str] = []
        commands = self.commands(script, here, run_line, unknown_names)
        self.record_github_env(script, here)
        name = self.resolve(step.get("name"), here.context, here.file, line) if "name" in step else None
        first = next((ln.strip() for ln in script.split("\n") if ln.strip()), "")
        step_label = to_string(name) if name is not None and not isinstance(name, Unknown) else first[:80]
        known = tuple((k, v) for k, v in env.items() if not isinstance(v, Unknown))
        unknown = tuple(k for k, v in env.items() if isinstance(v, Unknown)) + tuple(unknown_names)
        tier = best(s.tier for s in here.scenarios) or Tier.OPTIONAL
        paths = tuple(p for s in here.scenarios if s.tier == tier for p in s.paths)
        self.result.jobs.append(Job(
            system=SYSTEM, file=here.call.top, key=here.key, label=f"{here.label} / {step_label}",
            location=Location(here.file, run_line), commands=commands, env=known,
            unknown_env=tuple(dict.fromkeys(unknown)), working_dir=here.working_dir, tier=tier, matrix=here.matrix,
            platform=here.platform, soft_fail=here.soft_fail, errexit=errexit,
            source_file_dependencies=tuple(dict.fromkeys(paths)),
            attributes=here.attributes + (("events", ",".join(dict.fromkeys(s.event for s in here.scenarios))),)))

    def errexit(self, shell, here: _Step, line: int) -> bool | None:
        """Whether the shell stops at the first failing command; None = not a POSIX shell."""
        if shell is not None:
            shell = self.resolve(shell, here.context, here.file, line)
        if shell is None:
            if "windows" in here.platform.lower():
                self.incomplete(here.file, line, "runs under pwsh (the Windows default shell): not analysed")
                return None
            return True  # `bash -e {0}`
        text = to_string(shell) if not isinstance(shell, Unknown) else ""
        words = text.split()
        program = words[0].rsplit("/", 1)[-1] if words else ""
        if program not in ("bash", "sh", "zsh", "dash", "ksh"):
            self.incomplete(here.file, line, f"runs under {text or 'an unknown shell'!r}, not a POSIX shell: not analysed")
            return None
        if len(words) == 1:
            return True  # `bash` = `bash --noprofile --norc -eo pipefail {0}`, `sh` = `sh -e {0}`
        flags = [w for w in words[1:] if w.startswith("-") and not w.startswith("--")]
        return any("e" in f[1:] for f in flags) or "errexit" in words

    def commands(self, script: str, here: _Step, run_line: int, unknown_names: list[str]) -> tuple[Command, ...]:
        file_lines = self.lines(here.file)
        first_line, per_line = _block_lines(file_lines, run_line)
        value_lines = script.split("\n")
        numbers = ([first_line + i for i in range(len(value_lines))] if per_line
                   else _source_lines(value_lines, file_lines, first_line, run_line))

        def placeholder(expression: str) -> str:
            name = "GHA_" + re.sub(r"\W+", "_", expression.strip()).strip("_").upper()[:60]
            unknown_names.append(name)
            return "${" + name + "}"

        out = []
        for raw, line in zip(value_lines, numbers):
            if not raw.strip():
                continue
            try:
                text = substitute(raw, here.context, placeholder)
            except ExpressionError as exc:
                self.error(here.file, line, str(exc))
                text = raw
            out.append(Command(text, Location(here.file, line)))
        return tuple(out)

    def record_github_env(self, script: str, here: _Step) -> None:
        """`echo "NAME=value" >> $GITHUB_ENV` sets NAME for the job's later steps."""
        for match in _GITHUB_ENV_WRITE.finditer(script):
            name, value = match.group("name"), match.group("value")
            here.runtime_env[name] = Unknown(f"$GITHUB_ENV {name}") if re.search(r"[$`]", value) else value

    # -- local composite actions ----------------------------------------------------------
    def local_action(self, step: dict, line: int, here: _Step, env: dict) -> None:
        uses_line = _line(step, "uses", line)
        directory = normalize(step["uses"].split("@", 1)[0])
        path = next((f"{directory}/{n}" for n in ("action.yml", "action.yaml") if self.snapshot.exists(f"{directory}/{n}")), None)
        if path is None:
            self.error(here.file, uses_line, f"local action {step['uses']} not found (no action.yml in {directory})")
            return
        if here.depth >= MAX_CALL_DEPTH:
            self.error(here.file, uses_line, f"local actions nest deeper than {MAX_CALL_DEPTH} levels")
            return
        action = self.load(path)
        if action is None:
            return
        runs = action.get("runs")
        if not isinstance(runs, dict) or runs.get("using") != "composite":
            using = runs.get("using") if isinstance(runs, dict) else None
            self.incomplete(path, _line(action, "runs", 1), f"action {directory} runs {using or 'no'} code, not shell steps: not analysed")
            return
        given = step.get("with") or {}
        if not isinstance(given, dict):
            self.error(here.file, _line(step, "with", line), f"`with` must be a mapping, not {type_name(given)}")
            given = {}
        given = {str(k): self.resolve(v, here.context, here.file, _line(given, k, line)) for k, v in given.items()}
        inputs = _action_inputs(action, given)
        steps = runs.get("steps")
        if not isinstance(steps, list):
            self.error(path, _line(runs, "steps", 1), f"composite action `runs.steps` must be a list, not {type_name(steps)}")
            return
        context = {**here.context, "inputs": inputs}
        inner = replace(here, file=path, context=context, env=env, depth=here.depth + 1,
                        attributes=here.attributes + (("action", directory),))
        self.steps(steps, inner)


_GITHUB_ENV_WRITE = re.compile(
    r"""echo\s+(?:-e\s+)?["']?(?P<name>[A-Za-z_]\w*)=(?P<value>[^"'\n>]*?)["']?\s*>>\s*["']?\$\{?GITHUB_ENV\}?["']?""")


def _line(node, key, default: int) -> int:
    return node.line_of(key, default) if isinstance(node, Map) else default


def _frozen(value) -> str:
    return f"<unknown {value.origin}>" if isinstance(value, Unknown) else repr(value)


def _first_unknown(value) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _first_unknown(item)
            if found is not None:
                return found
    return None


def _defaults_run(node: dict) -> dict:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return dict(run) if isinstance(run, dict) else {}


def _declared_inputs(section) -> dict:
    inputs = section.get("inputs") if isinstance(section, dict) else None
    return inputs if isinstance(inputs, dict) else {}


def _typed(value, spec):
    kind = spec.get("type") if isinstance(spec, dict) else None
    if isinstance(value, str) and kind == "boolean":
        return value.strip().lower() == "true"
    if isinstance(value, str) and kind == "number":
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except ValueError:
            return value
    return value


def _call_inputs(workflow: dict, given: dict) -> dict:
    """A callee's `inputs`: what the caller passed, else the declared default (caller env is not inherited)."""
    declared = _declared_inputs(triggers(workflow).get("workflow_call"))
    inputs = {}
    for name, spec in declared.items():
        default = spec.get("default") if isinstance(spec, dict) else None
        inputs[str(name)] = _typed(given.get(str(name), default), spec)
    for name, value in given.items():
        inputs.setdefault(name, value)
    return inputs


def _dispatch_inputs(workflow: dict) -> dict:
    declared = _declared_inputs(triggers(workflow).get("workflow_dispatch"))
    return {str(n): _typed(s.get("default"), s) if isinstance(s, dict) else None for n, s in declared.items()}


def _action_inputs(action: dict, given: dict) -> dict:
    declared = _declared_inputs(action)
    inputs = {str(n): to_string(s.get("default")) if isinstance(s, dict) and "default" in s else "" for n, s in declared.items()}
    inputs.update({k: v if isinstance(v, Unknown) else to_string(v) for k, v in given.items()})
    return inputs


def _block_lines(lines: list[str], key_line: int) -> tuple[int, bool]:
    """Where a `run:` value's first line is written, and whether its lines map
    one-to-one onto file lines (a literal `|` block does; folded text does not)."""
    text = lines[key_line - 1] if 0 < key_line <= len(lines) else ""
    match = re.search(r"\brun\s*:\s*(.*)$", text)
    rest = match.group(1).strip() if match else ""
    if rest.startswith("|"):
        return key_line + 1, True
    if rest.startswith(">") or not rest or rest.startswith("#"):
        following = next((i for i in range(key_line + 1, len(lines) + 1) if lines[i - 1].strip()), key_line)
        return following, False
    return key_line, not rest.startswith(("'", '"'))


def _source_lines(value_lines: list[str], file_lines: list[str], first: int, key_line: int) -> list[int]:
    """File lines where each line of a folded (`>`) or quoted multi-line value starts.
    Folding joins source lines, so a value line is found as the next source line
    that begins it; a line not found keeps the previous line's number."""
    out: list[int] = []
    cursor = first
    for value_line in value_lines:
        wanted = " ".join(value_line.split())
        found = None
        for number in range(cursor, min(len(file_lines), cursor + 500) + 1):
            source = file_lines[number - 1]
            if number == key_line:
                source = re.sub(r"^.*?\brun\s*:\s*", "", source)
            source = " ".join(source.strip().lstrip("'\"").rstrip("'\"").split())
            if wanted and source and wanted.startswith(source[:60]):
                found = number
                break
        out.append(found or (out[-1] if out else first))
        cursor = found + 1 if found else cursor
    return out
