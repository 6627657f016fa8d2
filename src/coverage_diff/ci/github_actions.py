"""GitHub Actions front-end: workflows into one `Job` per run step.

Each `run:` step runs in its own shell, so a Job is one (workflow job x matrix
combination x run step); steps of local composite actions and jobs of local
reusable workflows are followed.  `${{ }}` expressions are resolved where their
inputs are static (matrix, env, inputs, literals, `vars` fallbacks); what is
only known at run time stays unknown, never guessed.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field, replace

from ..config import Settings
from ..context import Context
from ..isolation import contained
from ..model import Command, Diagnostic, Incomplete, Job, Location, Tier
from ..snapshot import Snapshot, normalize
from . import budget
from .frontend import FrontEndResult, variant_name
from .gha_expressions import ExpressionError, Scope, Unknown, condition, evaluate, resolve, segments, to_string
from .gha_matrix import MAX_JOBS, MatrixError, expand, flatten
from .scalar_lines import command, fallback, locate
from .gha_triggers import Scenario, best, scenarios, triggers
from .yamlload import Map, YamlError, load_file, type_name

SYSTEM = "github-actions"
NAME = "GitHub Actions"
DIRECTORIES = (".github/",)
WORKSPACE_FILLED = True  # earlier steps (actions, downloads, builds) may have written files
MAX_CALL_DEPTH = 10  # GitHub's own limit on nested reusable workflows / actions
NON_SHELLS = ("python", "pwsh", "powershell", "cmd")
POSIX_SHELLS = ("bash", "sh", "zsh", "dash", "ksh")
# Default variables of every step's shell whose values depend on the run: unknown, never unset (a script
# under `set -u` reading one goes on).  `GITHUB_WORKSPACE` is the checkout: the interpreter's repository
# root.  The runner's other paths (`RUNNER_TEMP`, the files behind `$GITHUB_OUTPUT`...) are in RUNNER_ENV.
RUNNER_ENV = tuple((
    "GITHUB_ACTOR", "GITHUB_BASE_REF", "GITHUB_EVENT_NAME", "GITHUB_HEAD_REF", "GITHUB_JOB", "GITHUB_REF_NAME",
    "GITHUB_REF_TYPE", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_OWNER", "GITHUB_RUN_ATTEMPT", "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER", "GITHUB_SERVER_URL", "GITHUB_API_URL", "GITHUB_WORKFLOW", "RUNNER_ARCH", "RUNNER_NAME",
    "RUNNER_OS", "CI", "GITHUB_ACTIONS", "GITHUB_ACTION", "GITHUB_REF", "GITHUB_SHA", "GITHUB_TRIGGERING_ACTOR",
    "RUNNER_TEMP", "RUNNER_TOOL_CACHE", "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY",
    "GITHUB_EVENT_PATH"))
# Outside reusable workflows known to run one input as a bash script (`set -eou pipefail`) in the
# repository's checkout: PyTorch's job templates, which PyTorch-ecosystem projects call with `script:`.
SCRIPT_WRAPPERS = {f"pytorch/test-infra/.github/workflows/{name}.yml": "script"
                   for name in ("linux_job", "linux_job_v2", "linux_job_v3", "macos_job")}
# What those templates give the script's environment: the artifact, docs and test-result directories
# (paths on the runner or in the container: unknown here), the pull request's number, and each secret
# named in `secrets-env` as SECRET_<NAME> (upper case, `-` as `_`, other characters dropped).
WRAPPER_ENV = ("RUNNER_ARTIFACT_DIR", "RUNNER_DOCS_DIR", "RUNNER_TEST_RESULTS_DIR", "PR_NUMBER")


def _wrapper_secrets(value) -> tuple[str, ...]:
    """The variables `secrets-env: "A b-c"` exports to a job template's script: SECRET_A, SECRET_B_C."""
    if not isinstance(value, str):
        return ()
    return tuple(re.sub(r"[^A-Za-z0-9_]", "", f"SECRET_{name.upper()}".replace("-", "_")) for name in value.split())


def globs(settings: Settings) -> tuple[str, ...]:
    return settings.github_globs


def owns(snapshot: Snapshot, settings: Settings) -> list[str]:
    return snapshot.glob(*settings.github_globs)


def jobs(snapshot: Snapshot, settings: Settings, context: Context | None = None) -> FrontEndResult:
    result = FrontEndResult()
    reader = _Reader(snapshot, result, settings.max_file_bytes)
    reader.workspace = settings.roots[0]
    for path in owns(snapshot, settings):
        result.files.append(path)
        with contained(Location(path), f"workflow {path}") as caught:
            reader.allowance = budget.start(context)
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
    needs: dict = field(default_factory=dict)  # job id -> {"outputs": ..., "result": ...} of jobs already read


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
        self.workspace = "/repo"  # GITHUB_WORKSPACE: where the interpreter has the repository
        self._yaml: dict[str, object] = {}
        self.allowance = budget.Allowance()  # the file being read's (`jobs` gives each its own)

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
        runs_in: dict[str, tuple[Scenario, ...]] = {}  # job id -> the scenarios it runs in
        needs: dict[str, dict] = {}
        for job_id in _needs_first(jobs_map):
            job = jobs_map[job_id]
            line = jobs_map.line_of(job_id) if isinstance(jobs_map, Map) else 0
            if not isinstance(job, dict):
                self.error(call.file, line, f"job {job_id!r} must be a mapping, not {type_name(job)}")
                runs_in[job_id] = ()
                continue
            scenarios = call.scenarios
            if not _checks_status(job.get("if")):  # a job whose needed job is skipped is skipped too
                for needed in _needs_of(job):
                    if needed not in jobs_map:
                        self.error(call.file, _line(job, "needs", line), f"job {job_id!r} needs {needed!r}, which is not a job of this workflow")
                    scenarios = tuple(s for s in scenarios if s in runs_in.get(needed, scenarios))
            inner = replace(call, scenarios=scenarios, needs=dict(needs))
            runnable, attributes = self.filter_if(job, scenarios, inner, lambda s, c=inner: self.context(c, {}, None, s))
            runs_in[str(job_id)] = runnable
            needs[str(job_id)] = {"outputs": self.job_outputs(job_id, job, inner, line), "result": Unknown(f"needs.{job_id}.result")}
            if runnable:
                self.job(str(job_id), job, line, workflow, workflow_env,
                         replace(inner, scenarios=runnable, attributes=call.attributes + attributes))

    def job_outputs(self, job_id, job: dict, call: _Call, line: int) -> dict:
        """A job's `outputs:` as far as they are known before it runs (an input passed through,
        a literal); what a step computes stays unknown."""
        if "uses" in job:  # a reusable workflow's outputs come from its own jobs at run time
            return Scope(f"needs.{job_id}.outputs")
        outputs = job.get("outputs")
        if not isinstance(outputs, dict):
            return {}  # an output the job does not declare is empty
        matrix = Scope("matrix") if "strategy" in job else {}
        context = self.context(call, {}, matrix, call.scenarios)
        known = {}
        for name, value in outputs.items():
            try:
                known[str(name)] = resolve(value, context)
            except ExpressionError as exc:
                self.error(call.file, _line(outputs, name, line), str(exc))
                known[str(name)] = Unknown(f"outputs.{name}")
        return known

    def context(self, call: _Call, env: dict, matrix=None, scenario: Scenario | tuple | None = None) -> dict:
        """Expression contexts; `scenario` (or several, of which what they all share) fixes the event and ref."""
        github = {"workspace": ".", "repository_owner_id": Unknown("github.repository_owner_id")}
        chosen = scenario if isinstance(scenario, tuple) else (scenario,) if scenario is not None else ()
        if chosen and len({s.event for s in chosen}) == 1:
            github["event_name"] = chosen[0].event
        if chosen and len({s.ref for s in chosen}) == 1 and chosen[0].ref:
            github["ref"] = chosen[0].ref
            github["ref_name"] = chosen[0].ref.rsplit("/", 1)[-1]
        return {
            "github": Scope("github", github),
            "inputs": dict(call.inputs),
            "vars": Scope("vars", has_default=True),
            "secrets": Scope("secrets"),
            "needs": Scope("needs", call.needs),
            "steps": Scope("steps"),
            "runner": Scope("runner"),
            "job": Scope("job"),
            "strategy": Scope("strategy"),
            "matrix": matrix if matrix is not None else {},
            "env": env,
        }

    def job(self, job_id: str, job: dict, line: int, workflow: dict, workflow_env: dict, call: _Call) -> None:
        """One job of a workflow, read for the scenarios in which its `if:` and `needs` let it run."""
        combos = self.combinations(job, call)
        if combos is None:  # only known at run time: keep the job, matrix unknown
            combos, unknown_matrix = [None], True
        else:
            unknown_matrix = False
        for combo in combos:
            self.allowance.charge()
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
        whole = matrix if isinstance(matrix, Unknown) else next(
            (matrix[k] for k in ("include", "exclude") if isinstance(matrix, dict) and isinstance(matrix.get(k), Unknown)), None)
        if whole is not None:
            self.incomplete(call.file, line, f"matrix depends on {whole.origin}, known only at run time")
            return None
        if isinstance(matrix, dict):  # an unknown dimension is one unknown value; unknown fields stay unknown values
            for key, values in list(matrix.items()):
                if isinstance(values, Unknown):
                    self.incomplete(call.file, _line(job["strategy"].get("matrix"), key, line),
                                    f"matrix key {key} depends on {values.origin}, known only at run time: one job stands for its values")
                    matrix = {**matrix, key: [values]}
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
            given = self.resolve(value, context, path, value_line) if isinstance(value, str) else value
            out[str(name)] = given if isinstance(given, Unknown) else \
                (_FromRun if isinstance(value, str) and _RUN_CONTEXT.fullmatch(value) else str)(to_string(given))
        return out

    # -- reusable workflows ------------------------------------------------------------
    def reusable(self, job_id: str, job: dict, uses: str, call: _Call, matrix_ctx, matrix_values: tuple) -> None:
        line = job.line_of("uses") if isinstance(job, Map) else 0
        if not uses.startswith("./"):
            wrapper = SCRIPT_WRAPPERS.get(uses.split("@", 1)[0])
            given = job.get("with")
            if wrapper is not None and isinstance(given, dict) and isinstance(given.get(wrapper), str):
                self.wrapped_script(job_id, job, given, wrapper, call, matrix_ctx, matrix_values)
                return
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

    def wrapped_script(self, job_id: str, job: dict, given: dict, key: str, call: _Call, matrix_ctx, matrix_values) -> None:
        """A job of a known outside workflow that runs its `key` input as a bash script in the
        repository checkout (`SCRIPT_WRAPPERS`): that script is the job's one command."""
        context = self.context(call, {}, matrix_ctx, call.scenarios)
        line = _line(given, key, _line(job, "with", 0))
        name = self.resolve(job.get("name", job_id), context, call.file, line)
        runner = self.resolve(given.get("runner", ""), context, call.file, _line(given, "runner", line))
        here = _Step(
            call=call, file=call.file, key=f"{call.prefix}{job_id}",
            label=call.label_prefix + (to_string(name) if not isinstance(name, Unknown) else job_id),
            context=context, env={}, runtime_env={}, working_dir="", shell=None,
            platform=f"<{runner.origin}>" if isinstance(runner, Unknown) else to_string(runner), matrix=matrix_values,
            scenarios=call.scenarios, attributes=call.attributes + (("workflow", job["uses"]),), depth=call.depth)
        secrets = self.resolve(given.get("secrets-env", ""), context, call.file, _line(given, "secrets-env", line))
        env = {name: Unknown(f"the job template's {name}") for name in WRAPPER_ENV + _wrapper_secrets(secrets)}
        self.script_job(given[key], key, line, here, env, True, key)

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
        context = self.context(call, dict(workflow_env), matrix_ctx, call.scenarios)
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
        self.allowance.charge()
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
        errexit = self.errexit(shell, here, _line(step, "shell", run_line) if "shell" in step else run_line)
        if errexit is None:
            return
        self.record_github_env(script, here)
        name = self.resolve(step.get("name"), here.context, here.file, line) if "name" in step else None
        self.script_job(script, "run", run_line, here, env, errexit, name)

    def script_job(self, script: str, key: str, line: int, here: _Step, env: dict, errexit: bool, name) -> None:
        """The Job of one script written under `key:` at `line` (a `run:` step, a wrapper's script input)."""
        unknown_names: list[str] = []
        commands = self.commands(script, here, line, unknown_names, key)
        first = next((ln.strip() for ln in script.split("\n") if ln.strip() and not ln.strip().startswith("#")), "")
        step_label = to_string(name) if name is not None and not isinstance(name, Unknown) else first[:80]
        workspace = () if "GITHUB_WORKSPACE" in env else (("GITHUB_WORKSPACE", self.workspace),)
        known = tuple((k, str(v)) for k, v in env.items() if not isinstance(v, Unknown)) + workspace
        unknown = tuple(k for k, v in env.items() if isinstance(v, Unknown)) + tuple(unknown_names)
        defaults = tuple(k for k in RUNNER_ENV if k not in env)  # the runner's defaults: set, value unknown
        unknown += defaults
        from_run = " ".join((*(k for k, v in env.items() if isinstance(v, _FromRun)), *defaults, *(k for k, _ in workspace)))
        tier = best(s.tier for s in here.scenarios) or Tier.OPTIONAL
        paths = tuple(p for s in here.scenarios if s.tier == tier for p in s.paths)
        self.result.jobs.append(Job(
            system=SYSTEM, file=here.call.top, key=here.key, label=f"{here.label} / {step_label}",
            location=Location(here.file, line), commands=commands, env=known,
            unknown_env=tuple(dict.fromkeys(unknown)), working_dir=here.working_dir, tier=tier, matrix=here.matrix,
            platform=here.platform, soft_fail=here.soft_fail, errexit=errexit,
            source_file_dependencies=tuple(dict.fromkeys(paths)),
            attributes=here.attributes + (("events", ",".join(dict.fromkeys(s.event for s in here.scenarios))),)
            + ((("env-from-run", from_run),) if from_run else ()), workspace_filled=WORKSPACE_FILLED))

    def errexit(self, shell, here: _Step, line: int) -> bool | None:
        """Whether the step's script stops at its first failing command, as the runner starts
        it (`bash -e {0}` by default, `bash --noprofile --norc -eo pipefail {0}` for `bash`,
        `sh -e {0}`, or a custom command with `{0}`); None (with an `incomplete` entry) when
        the script is not run by a POSIX shell."""
        if shell is not None:
            shell = self.resolve(shell, here.context, here.file, line)
        windows = _on_windows(here.platform)
        if shell is None or shell == "":
            if windows:
                self.incomplete(here.file, line, "runs under pwsh (the Windows default shell), not bash: not analysed")
                return None
            return True
        if isinstance(shell, Unknown):
            self.incomplete(here.file, line, f"shell depends on {shell.origin}, known only at run time: not analysed")
            return None
        text = to_string(shell).strip()
        if text in ("bash", "sh"):
            return True
        if text in NON_SHELLS:
            self.incomplete(here.file, line, f"runs under {text}, not bash: not analysed")
            return None
        if "{0}" not in text:
            self.error(here.file, line, f"shell {text!r} is neither a built-in shell nor a command with {{0}}")
            return None
        words = text.split()
        index = next((i for i, w in enumerate(words) if _program(w) in POSIX_SHELLS), None)
        if index is None or "{0}" not in " ".join(words[index + 1:]):
            self.incomplete(here.file, line, f"runs under {text!r}, not a POSIX shell: not analysed")
            return None
        errexit = False
        flags = words[index + 1 : words.index("{0}")] if "{0}" in words else words[index + 1:]
        for position, word in enumerate(flags):
            if word.startswith("--"):
                continue
            if word.startswith(("-", "+")) and "e" in word[1:]:
                errexit = word[0] == "-"
            elif word in ("-o", "+o") and flags[position + 1 : position + 2] == ["errexit"]:
                errexit = word == "-o"
        return errexit

    def commands(self, script: str, here: _Step, run_line: int, unknown_names: list[str], key: str = "run") -> tuple[Command, ...]:
        """The `run:` text as the one script the runner writes to a file: expressions
        substituted, every row located at the file line it is written on."""
        if not script.strip():
            return ()
        lines = self.lines(here.file)
        offsets = locate(lines, run_line, key, script) or fallback(lines, run_line, script)

        def placeholder(expression: str) -> str:
            name = "GHA_" + re.sub(r"\W+", "_", expression.strip()).strip("_").upper()[:60]
            unknown_names.append(name)
            return "${" + name + "}"

        try:
            pieces = segments(script)
        except ExpressionError as exc:
            self.error(here.file, run_line, str(exc))
            pieces = [(False, script)]
        text, moved, source, target = [], [], 0, 0  # moved: (source offset, text offset, is expression)
        for is_expr, part in pieces:
            raw = "${{" + part + "}}" if is_expr else part
            value = part
            if is_expr:
                try:
                    result = evaluate(part, here.context)
                    value = placeholder(part) if isinstance(result, Unknown) else to_string(result)
                except ExpressionError as exc:
                    self.error(here.file, _offset_line(offsets, source), str(exc))
                    value = raw
            moved.append((source, target, is_expr))
            text.append(value)
            source += len(raw)
            target += len(value)
        mapped = []
        for offset, line in offsets:
            index = bisect.bisect_right(moved, (offset, 1 << 62, True)) - 1
            start, out, is_expr = moved[index] if index >= 0 else (0, 0, False)
            mapped.append((out if is_expr else out + offset - start, line))
        return (command(here.file, "".join(text), tuple(mapped)),)

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


# `NAME: ${{ github.ref }}`: a value the run gives (the event, the ref...), which the job passes on
# without choosing it.  Known per scenario, but never a setting written to select a configuration
# (`Job.attributes` "env-from-run" lists such variables, for the value-mismatch rule).
_RUN_CONTEXT = re.compile(r"\s*\$\{\{\s*(github|runner|job|strategy)\.[\w.-]+\s*\}\}\s*")


class _FromRun(str):
    """An env value copied from the run's context (`_RUN_CONTEXT`)."""


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


def _offset_line(offsets, offset: int) -> int:
    index = bisect.bisect_right(offsets, (offset, 1 << 62)) - 1
    return offsets[max(index, 0)][1]


def _program(word: str) -> str:
    """`/usr/bin/bash`, `C:\\msys64\\usr\\bin\\bash.exe` -> `bash`."""
    name = re.split(r"[\\/]", word)[-1].lower()
    return name[:-4] if name.endswith(".exe") else name


def _on_windows(platform: str) -> bool:
    return "windows" in platform.lower()


def _needs_of(job: dict) -> list[str]:
    needs = job.get("needs")
    return [needs] if isinstance(needs, str) else [str(n) for n in needs] if isinstance(needs, list) else []


def _needs_first(jobs_map: dict) -> list[str]:
    """Job ids in file order, except that a job comes after the jobs it needs."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(job_id) -> None:
        if job_id in order or job_id in visiting or job_id not in jobs_map:
            return
        visiting.add(job_id)
        job = jobs_map[job_id]
        for needed in _needs_of(job) if isinstance(job, dict) else []:
            visit(needed)
        order.append(job_id)

    for job_id in jobs_map:
        visit(job_id)
    return order


def _checks_status(condition) -> bool:
    """An `if:` with a status function runs even when a needed job did not (`always()`, `failure()`...)."""
    return isinstance(condition, str) and re.search(r"\b(always|failure|cancelled)\s*\(", condition) is not None


def path_filter(job: Job) -> None:
    """No step filter: a workflow's `paths:` (kept as `source_file_dependencies`) say which
    pushes and pull requests start it, a question the path-filter-gap audit does not ask."""
    return None


def fix_step(job: Job, command: str, values: dict[str, str], calling: str = "") -> str:
    """A run step with the variables in its `env`, named after the job's."""
    bare = " ".join(w for w in command.split() if w.split("=", 1)[0] not in values)
    env = "".join(f"\n    {name}: {json.dumps(value)}" for name, value in values.items())
    return f"- name: {json.dumps(job.label + ' (' + variant_name(values) + ')')}\n  run: {json.dumps(bare)}" + (f"\n  env:{env}" if env else "")
