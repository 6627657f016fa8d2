"""GitLab CI front-end: `.gitlab-ci.yml` (and its local includes) into Jobs.

One Job per job x `parallel` combination.  `include: local`, `default`,
`extends`, `!reference`, variables (global < job < matrix < rule) and `rules` /
`only` / `except` are resolved here.  Rules are evaluated once per *scenario*
(a merge-request pipeline, a push to a branch, a push to the default branch,
a schedule, a manual run): the job keeps the most frequent scenario it runs in.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field, replace

from ..config import Settings
from ..context import Context
from ..isolation import contained
from ..model import Command, Diagnostic, Incomplete, Job, Location, Tier
from ..snapshot import Snapshot, normalize
from . import budget
from .frontend import FrontEndResult, variant_key
from .gha_triggers import RANK, best
from .gitlab_rules import UNKNOWN, RuleError, evaluate
from .scalar_lines import command, fallback, locate
from .yamlload import Map, Seq, YamlError, load_file, type_name

SYSTEM = "gitlab"
NAME = "GitLab CI"
DIRECTORIES = (".gitlab/", ".gitlab-ci")
WORKSPACE_FILLED = True  # earlier stages' artifacts and the job's caches arrive before its script
RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
            "before_script", "after_script", "types", "spec"}
DEFAULT_KEYS = ("image", "services", "before_script", "after_script", "tags", "cache", "artifacts", "retry",
                "timeout", "interruptible", "hooks", "id_tokens")
DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]
MAX_EXTENDS = 11
MAX_INCLUDES = 150
MAX_MATRIX_JOBS = 200
MAX_CHILD_DEPTH = 2  # GitLab nests child pipelines at most two levels below the parent


@dataclass(frozen=True)
class Scenario:
    name: str
    tier: Tier
    variables: tuple[tuple[str, str | None], ...]  # None = known to be unset


_BRANCH = (("CI_DEFAULT_BRANCH", "main"), ("CI_COMMIT_TAG", None), ("CI_MERGE_REQUEST_IID", None))
SCENARIOS = (
    Scenario("merge_request_event", Tier.EVERY_PR, (
        ("CI_PIPELINE_SOURCE", "merge_request_event"), ("CI_MERGE_REQUEST_IID", "1"), ("CI_COMMIT_BRANCH", None),
        ("CI_COMMIT_REF_NAME", "feature"), ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature"),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"), ("CI_DEFAULT_BRANCH", "main"), ("CI_COMMIT_TAG", None))),
    Scenario("push", Tier.EVERY_PR, _BRANCH + (
        ("CI_PIPELINE_SOURCE", "push"), ("CI_COMMIT_BRANCH", "feature"), ("CI_COMMIT_REF_NAME", "feature"))),
    Scenario("push-default-branch", Tier.MAIN, _BRANCH + (
        ("CI_PIPELINE_SOURCE", "push"), ("CI_COMMIT_BRANCH", "main"), ("CI_COMMIT_REF_NAME", "main"))),
    Scenario("schedule", Tier.NIGHTLY, _BRANCH + (
        ("CI_PIPELINE_SOURCE", "schedule"), ("CI_COMMIT_BRANCH", "main"), ("CI_COMMIT_REF_NAME", "main"))),
    Scenario("web", Tier.OPTIONAL, _BRANCH + (
        ("CI_PIPELINE_SOURCE", "web"), ("CI_COMMIT_BRANCH", "main"), ("CI_COMMIT_REF_NAME", "main"))),
    # A release: the push of a tag (no branch); jobs that only run then wait for a release, like manual ones.
    Scenario("tag", Tier.OPTIONAL, (
        ("CI_DEFAULT_BRANCH", "main"), ("CI_MERGE_REQUEST_IID", None), ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", None), ("CI_COMMIT_TAG", "v1.0.0"), ("CI_COMMIT_REF_NAME", "v1.0.0"))),
)
# Predefined variables every job's shell has; their values depend on the pipeline (`CI_COMMIT_TAG` only in
# tag pipelines...), so they are unknown, never unset. `CI_PROJECT_DIR` is the checkout: the interpreter's
# repository root (set in `variant`).
RUNNER_VARIABLES = tuple((
    "CI_API_V4_URL", "CI_COMMIT_BEFORE_SHA", "CI_COMMIT_BRANCH", "CI_COMMIT_MESSAGE", "CI_COMMIT_REF_NAME",
    "CI_COMMIT_REF_SLUG", "CI_COMMIT_SHA", "CI_COMMIT_SHORT_SHA", "CI_COMMIT_TAG", "CI_COMMIT_TITLE",
    "CI_CONCURRENT_ID", "CI_DEFAULT_BRANCH", "CI_JOB_ID", "CI_JOB_NAME", "CI_JOB_STAGE", "CI_JOB_TOKEN",
    "CI_JOB_URL", "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_PIPELINE_ID", "CI_PIPELINE_IID", "CI_PIPELINE_SOURCE",
    "CI_PIPELINE_URL", "CI_PROJECT_ID", "CI_PROJECT_NAME", "CI_PROJECT_NAMESPACE", "CI_PROJECT_PATH",
    "CI_PROJECT_URL", "CI_REGISTRY", "CI_REGISTRY_IMAGE", "CI_REGISTRY_PASSWORD", "CI_REGISTRY_USER",
    "CI_RUNNER_ID", "CI_RUNNER_TAGS", "CI_SERVER_FQDN", "CI_SERVER_HOST", "CI_SERVER_URL", "GITLAB_USER_EMAIL",
    "GITLAB_USER_LOGIN", "CI_BUILDS_DIR"))


@dataclass(frozen=True)
class _Child:
    """A child pipeline being read: what its trigger job hands down."""

    passed: dict = field(default_factory=dict)  # trigger variables: they beat the child's own
    prefix: str = ""  # key prefix: the trigger job(s)
    chain: tuple[str, ...] = ()  # the files of the parent pipelines (cycles)


_ONLY_REFS = {  # `only:`/`except:` keywords and the scenarios they match
    "merge_requests": {"merge_request_event"},
    "branches": {"push", "push-default-branch", "schedule", "web"},  # not "tag"
    "pushes": {"push", "push-default-branch", "tag"},
    "schedules": {"schedule"},
    "web": {"web"},
    "tags": {"tag"}, "api": set(), "triggers": set(), "pipelines": set(), "external": set(), "chat": set(),
    "external_pull_requests": set(),
}


def globs(settings: Settings) -> tuple[str, ...]:
    return settings.gitlab_globs


def owns(snapshot: Snapshot, settings: Settings) -> list[str]:
    result = FrontEndResult()
    for path in snapshot.glob(*settings.gitlab_globs):
        _Reader(snapshot, settings, result).config(path)
    return list(dict.fromkeys(result.files))


def jobs(snapshot: Snapshot, settings: Settings, context: Context | None = None) -> FrontEndResult:
    result = FrontEndResult()
    for path in snapshot.glob(*settings.gitlab_globs):
        reader = _Reader(snapshot, settings, result)
        before, problems = len(result.jobs), len(result.diagnostics) + len(result.incomplete)
        config = None
        with contained(Location(path), f"pipeline file {path}") as caught:
            reader.allowance = budget.start(context)
            config = reader.config(path)
            if config is not None:
                reader.pipeline(config, path)
        result.diagnostics += caught.diagnostics
        result.incomplete += caught.incomplete
        if len(result.jobs) == before:
            reader.no_jobs(config, path, len(result.diagnostics) + len(result.incomplete) - problems)
    result.files = list(dict.fromkeys(result.files))
    return result


def _tag(value, path: str):
    """Remember the file of every mapping and list (for locations after merging)."""
    if isinstance(value, (Map, Seq)):
        value.path = path
        for child in value.values() if isinstance(value, dict) else value:
            _tag(child, path)
    return value


def _path_of(value, default: str) -> str:
    return getattr(value, "path", default)


def deep_merge(base, over):
    """GitLab's merge for `extends` and `include`: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    merged = Map()
    merged.line = getattr(over, "line", 0)
    merged.key_lines = {**getattr(base, "key_lines", {}), **getattr(over, "key_lines", {})}
    merged.path = getattr(over, "path", getattr(base, "path", ""))
    merged.sources = {**getattr(base, "sources", {}), **getattr(over, "sources", {})}
    for key, value in base.items():
        merged[key] = value
        merged.sources.setdefault(key, getattr(base, "path", ""))
    for key, value in over.items():
        merged[key] = deep_merge(base[key], value) if key in base else value
        merged.sources[key] = getattr(over, "sources", {}).get(key) or getattr(over, "path", "")
    return merged


class _Reader:
    def __init__(self, snapshot: Snapshot, settings: Settings, result: FrontEndResult):
        self.snapshot, self.settings, self.result = snapshot, settings, result
        self._lines: dict[str, list[str]] = {}
        self._includes = 0
        self.base_scenarios: tuple[Scenario, ...] = SCENARIOS  # a child pipeline has its own
        self.restricted: dict[str, frozenset[str]] = {}  # job -> scenarios of the conditional include defining it
        self.external: list[str] = []  # includes from outside the repository: their keys are unknown
        self.allowance = budget.Allowance()  # the file being read's (`jobs` gives each its own)

    def error(self, path: str, line: int, message: str, blind: bool = False) -> None:
        diagnostic = Diagnostic(Location(path, line), message, blind=blind)
        if diagnostic not in self.result.diagnostics:  # rules are evaluated once per scenario
            self.result.diagnostics.append(diagnostic)

    def incomplete(self, path: str, line: int, reason: str) -> None:
        self.result.incomplete.append(Incomplete(Location(path, line), reason))

    def no_jobs(self, config, path: str, problems: int) -> None:
        """A pipeline the analysis makes nothing of is a problem to show, never a clean result."""
        defined = [n for n in (config or {}) if isinstance(n, str) and n not in RESERVED and not n.startswith(".")]
        if config is not None and not defined and not self.external:
            return  # a file without jobs (templates only) makes no pipeline of its own
        why = []
        if config is None:
            why.append("the file could not be read")
        if problems:
            why.append(f"{problems} problem(s) or incomplete part(s) reported while reading it")
        if self.external:
            why.append("jobs may come from includes outside the repository: " + ", ".join(self.external[:3]))
        if defined and not why:
            why.append("no job runs in any pipeline analysed (merge request, push, default-branch push, schedule, web)")
        self.error(path, 1, f"the pipeline of {path} analyses to no jobs: " + "; ".join(why), blind=True)

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            self._lines[path] = self.snapshot.text(path).split("\n") if self.snapshot.exists(path) else []
        return self._lines[path]

    # -- files and includes ------------------------------------------------------------
    def config(self, path: str, chain: tuple[str, ...] = (), allowed: frozenset[str] | None = None):
        self.result.files.append(path)
        try:
            data = load_file(self.snapshot, path, self.settings.max_file_bytes)
        except YamlError as exc:
            self.result.diagnostics.append(exc.diagnostic)
            self.incomplete(path, exc.diagnostic.location.line, "YAML could not be read; its jobs are not analysed")
            return None
        if data is None:
            return Map()
        if not isinstance(data, dict):
            self.error(path, getattr(data, "line", 1), f"a GitLab CI file must be a mapping, not {type_name(data)}")
            return None
        _tag(data, path)
        if allowed is not None:
            for name in data:
                if isinstance(name, str) and name not in RESERVED:
                    self.restricted[name] = self.restricted.get(name, allowed) & allowed
        merged = Map()
        merged.line, merged.key_lines, merged.path = 1, {}, path
        for included in self.includes(data, path, chain + (path,), allowed):
            merged = deep_merge(merged, included)
        own = Map({k: v for k, v in data.items() if k != "include"})
        own.line, own.key_lines, own.path = data.line, data.key_lines, path
        return deep_merge(merged, own)

    def includes(self, data: dict, path: str, chain: tuple[str, ...], allowed: frozenset[str] | None = None):
        if "include" not in data:
            return
        entries = data["include"]
        line = data.line_of("include")
        entries = entries if isinstance(entries, list) else [entries]
        for index, entry in enumerate(entries):
            entry_line = entries.line_at(index) if isinstance(entries, Seq) else line
            when = self.include_scenarios(entry, data, path, entry_line)
            if not when:
                continue  # its rules hold in no pipeline: never included
            when = when if allowed is None else when & allowed
            local = self.local_include(entry, path, entry_line)
            for target in local:
                if target in chain:
                    self.error(path, entry_line, f"include cycle: {' -> '.join(chain + (target,))}")
                    continue
                self._includes += 1
                if self._includes > MAX_INCLUDES:
                    self.error(path, entry_line, f"more than {MAX_INCLUDES} includes")
                    return
                names = frozenset(s.name for s in self.base_scenarios)
                included = self.config(target, chain, None if when == names else when)
                if included is not None:
                    yield included

    def local_include(self, entry, path: str, line: int) -> list[str]:
        if isinstance(entry, str):
            if re.match(r"^https?://", entry):
                self.outside(path, line, "remote", entry)
                return []
            pattern = entry
        elif isinstance(entry, dict) and isinstance(entry.get("local"), str):
            pattern = entry["local"]
        elif isinstance(entry, dict) and any(k in entry for k in ("project", "remote", "template", "component")):
            kind = next(k for k in ("project", "remote", "template", "component") if k in entry)
            self.outside(path, line, kind, entry[kind])
            return []
        else:
            self.error(path, line, f"cannot understand include entry ({type_name(entry)})")
            return []
        pattern = normalize(pattern.lstrip("/"))
        targets = self.snapshot.glob(pattern) if "*" in pattern else [pattern] if self.snapshot.exists(pattern) else []
        if not targets:
            self.error(path, line, f"included file {pattern} not found")
        return targets

    def outside(self, path: str, line: int, kind: str, target) -> None:
        self.external.append(f"{kind} {target}")
        self.incomplete(path, line, f"{kind} include {target} lives outside the repository: its jobs and templates are "
                                    "unknown (jobs extending them keep what the repository says)")

    def include_scenarios(self, entry, data: dict, path: str, line: int) -> frozenset[str]:
        """The scenarios in which an include entry applies: its `rules` are evaluated like a
        job's, with the including file's top-level variables."""
        names = frozenset(s.name for s in self.base_scenarios)
        if not isinstance(entry, dict) or "rules" not in entry:
            return names
        variables = self.variables(data.get("variables"), path, _line(data, "variables", line))
        kept = set()
        for scenario in self.base_scenarios:
            whens, _, _ = self.rules(entry["rules"], {**variables, **dict(scenario.variables)}, path, _line(entry, "rules", line))
            if any(w != "never" for w in whens):
                kept.add(scenario.name)
        return frozenset(kept)

    # -- the pipeline --------------------------------------------------------------------
    def pipeline(self, config: dict, path: str, child: _Child | None = None) -> None:
        child = child or _Child()
        config = self.dereference(config, config)
        stages = config.get("stages", DEFAULT_STAGES)
        stages = stages if isinstance(stages, list) else DEFAULT_STAGES
        global_vars = self.variables(config.get("variables"), path, config.line_of("variables") if isinstance(config, Map) else 0)
        defaults = self.defaults(config)
        scenarios = self.workflow_scenarios(config, {**global_vars, **child.passed}, path)
        for name, job in config.items():
            if not isinstance(name, str) or name in RESERVED or name.startswith("."):
                continue
            job_path = getattr(config, "sources", {}).get(name, path)
            line = config.line_of(name)
            if not isinstance(job, dict):
                self.error(job_path, line, f"job {name!r} must be a mapping, not {type_name(job)}")
                continue
            resolved = self.extends(name, job, config, job_path, line, ())
            if resolved is None:
                continue
            allowed = [s for s in scenarios if name not in self.restricted or s.name in self.restricted[name]]
            self.job(name, resolved, config, defaults, global_vars, allowed, stages, Location(job_path, line), child)

    def defaults(self, config: dict) -> dict:
        """Legacy top-level keys, overridden by `default:`; remembers where each came from."""
        out = Map({k: config[k] for k in ("image", "services", "cache", "before_script", "after_script") if k in config})
        sources = getattr(config, "sources", {})
        out.line, out.key_lines, out.path = 0, {k: config.line_of(k) for k in out}, ""
        out.sources = {k: sources.get(k, "") for k in out}
        default = config.get("default")
        if isinstance(default, dict):
            for key, value in default.items():
                out[key] = value
                out.key_lines[key] = _line(default, key, 0)
                out.sources[key] = _path_of(default, sources.get("default", ""))
        return out

    def extends(self, name: str, job: dict, config: dict, path: str, line: int, chain: tuple[str, ...]):
        self.allowance.charge()
        if "extends" not in job:
            return job
        if len(chain) >= MAX_EXTENDS or name in chain:
            self.error(path, line, f"extends of {name!r} loops or nests deeper than {MAX_EXTENDS}: {' -> '.join(chain + (name,))}")
            return None
        parents = job["extends"]
        parents = parents if isinstance(parents, list) else [parents]
        merged = Map()
        merged.line, merged.key_lines, merged.path = line, {}, path
        for parent in parents:
            target = config.get(parent) if isinstance(parent, str) else None
            if not isinstance(target, dict) and self.external:
                self.incomplete(path, _line(job, "extends", line), f"{name!r} extends {parent!r}, defined in no file of the "
                                "repository (an outside include may define it): the job keeps what is known")
                continue
            if not isinstance(target, dict):
                self.error(path, job.line_of("extends") if isinstance(job, Map) else line,
                           f"{name!r} extends {parent!r}, which is not defined")
                return None
            target = self.extends(parent, target, config, path, line, chain + (name,))
            if target is None:
                return None
            merged = deep_merge(merged, target)
        own = Map({k: v for k, v in job.items() if k != "extends"})
        own.line, own.key_lines, own.path = getattr(job, "line", line), getattr(job, "key_lines", {}), _path_of(job, path)
        return deep_merge(merged, own)

    def variables(self, value, path: str, line: int, known: dict | None = None) -> dict:
        """name -> text or UNKNOWN; `$X` references to earlier variables are expanded."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, line, f"`variables` must be a mapping, not {type_name(value)}")
            return {}
        out: dict = {}
        scope = dict(known or {})
        for name, raw in value.items():
            expand = True
            if isinstance(raw, dict):
                expand = raw.get("expand", True) is not False
                raw = raw.get("value", "")
            if isinstance(raw, (dict, list)):
                self.error(path, _line(value, name, line), f"variable {name} must be a string, not {type_name(raw)}")
                continue
            text = _scalar(raw)
            out[str(name)] = self.expand(text, scope) if expand else text
            scope[str(name)] = out[str(name)]
        return out

    def expand(self, text: str, scope: dict):
        """Runner-style `$X`/`${X}` expansion; a predefined CI variable stays unknown."""
        unknown = False

        def replace(match: re.Match) -> str:
            nonlocal unknown
            name = match.group(1) or match.group(2)
            value = scope.get(name)
            if value is UNKNOWN or (value is None and (name.startswith(("CI_", "GITLAB_")) or name in self.settings.ambient)):
                unknown = True
                return ""
            return value or ""

        result = re.sub(r"\$(?:\{(\w+)\}|([A-Za-z_]\w*))", replace, text.replace("$$", "\0"))
        return UNKNOWN if unknown else result.replace("\0", "$")

    def workflow_scenarios(self, config: dict, variables: dict, path: str) -> list[Scenario]:
        workflow = config.get("workflow")
        rules = workflow.get("rules") if isinstance(workflow, dict) else None
        if rules is None:
            return list(self.base_scenarios)
        path = _path_of(workflow, path)
        kept = []
        for scenario in self.base_scenarios:
            whens, _, _ = self.rules(rules, {**variables, **dict(scenario.variables)}, path, _line(workflow, "rules", 1))
            if any(w != "never" for w in whens):
                kept.append(scenario)
        return kept

    # -- rules ---------------------------------------------------------------------------
    def rules(self, rules, variables: dict, path: str, line: int) -> tuple[list[str], list[str], dict | None]:
        """Possible `when` outcomes, the unknown conditions assumed, and the matched rule's variables."""
        if not isinstance(rules, list):
            self.error(path, line, f"`rules` must be a list, not {type_name(rules)}")
            return ["on_success"], [], None
        whens, assumed = [], []
        for rule, path, rule_line in _flattened(rules, path, line):
            if not isinstance(rule, dict):
                self.error(path, rule_line, f"a rule must be a mapping, not {type_name(rule)}")
                continue
            matched = self.rule_matches(rule, variables, path, rule_line)
            if matched is False:
                continue
            when = str(rule.get("when", "on_success"))
            whens.append(when)
            if matched is True:
                return whens, assumed, rule.get("variables") if len(whens) == 1 else None
            assumed.append(str(rule.get("if", "changes")))
        whens.append("never")  # no rule matched: the job is not added
        return whens, assumed, None

    def rule_matches(self, rule: dict, variables: dict, path: str, line: int):
        outcome = True
        if "if" in rule:
            try:
                outcome = evaluate(str(rule["if"]), variables)
            except RuleError as exc:
                self.error(path, _line(rule, "if", line), str(exc))
                outcome = None
        if outcome is not False and "exists" in rule:
            patterns = rule["exists"]
            patterns = patterns.get("paths", []) if isinstance(patterns, dict) else patterns
            patterns = [patterns] if isinstance(patterns, str) else patterns or []
            found = any(self.snapshot.glob(normalize(str(p))) or self.snapshot.exists(str(p)) for p in patterns)
            outcome = outcome if found else False
        if outcome is not False and "changes" in rule:
            outcome = None  # depends on the files a change touches
        return outcome

    def only_except(self, job: dict, variables: dict, path: str, line: int, scenario: Scenario):
        for key, wanted in (("only", True), ("except", False)):
            if key not in job:
                continue
            spec = job[key]
            spec = {"refs": spec} if isinstance(spec, (list, str)) else spec if isinstance(spec, dict) else {}
            matched = self.refs_match(spec.get("refs"), scenario) if "refs" in spec else True
            if "variables" in spec and matched is not False:
                exprs = spec["variables"] if isinstance(spec["variables"], list) else [spec["variables"]]
                results = []
                for expr in exprs:
                    try:
                        results.append(evaluate(str(expr), variables))
                    except RuleError as exc:
                        self.error(path, line, str(exc))
                        results.append(None)
                matched = True if True in results else (None if None in results else False)
            if "changes" in spec and matched is not False:
                matched = None
            if matched is None:
                continue  # unknown: keep the job
            if matched != wanted:
                return False
        return True

    def refs_match(self, refs, scenario: Scenario) -> bool:
        refs = [refs] if isinstance(refs, str) else refs if isinstance(refs, list) else []
        branch = dict(scenario.variables).get("CI_COMMIT_BRANCH")
        for ref in map(str, refs):
            if ref in _ONLY_REFS:
                if scenario.name in _ONLY_REFS[ref]:
                    return True
            elif ref.startswith("/") and ref.rfind("/") > 0 and branch:
                if re.search(ref[1 : ref.rfind("/")], branch):
                    return True
            elif branch and ref == branch:
                return True
        return False

    # -- jobs ------------------------------------------------------------------------------
    def job(self, name: str, job: dict, config: dict, defaults: dict, global_vars: dict, scenarios, stages,
            location: Location, child: _Child | None = None) -> None:
        path = location.path
        child = child or _Child()
        if "trigger" in job:
            self.trigger(name, job, defaults, global_vars, scenarios, location, child)
            return
        if "script" not in job:
            if self.external:
                self.incomplete(path, location.line, f"job {name!r} has no `script` in the repository (an outside "
                                "include may give it one): not analysed")
            else:
                self.error(path, location.line, f"job {name!r} has no `script`")
            return
        stage = str(job.get("stage", "test"))
        if stage not in stages and stage not in (".pre", ".post"):
            self.error(path, _line(job, "stage", location.line), f"job {name!r}: stage {stage!r} is not in `stages`")
        job, inherited = self.inherit(job, defaults, global_vars)
        windows = _windows_sign(job, self.job_script(job, "before_script", config, path) + self.job_script(job, "script", config, path))
        if windows:
            self.incomplete(path, location.line, f"job {name!r} runs on a Windows runner ({windows}): its script is "
                            "PowerShell, not bash: not analysed")
            return
        own = self.variables(job.get("variables"), path, _line(job, "variables", location.line), inherited)
        variables = {**inherited, **own}
        for combo in self.combinations(job, name, path, location.line):
            self.variant(name, job, config, {**variables, **combo, **child.passed}, combo, scenarios, stage, location,
                         child.prefix)

    def inherit(self, job: dict, defaults: dict, global_vars: dict) -> tuple[dict, dict]:
        """The job with `default:` keys it does not set, and the global variables it inherits."""
        inherit = job.get("inherit") if isinstance(job.get("inherit"), dict) else {}
        take_defaults = inherit.get("default", True)
        take_vars = inherit.get("variables", True)
        extra = Map({key: defaults[key] for key in DEFAULT_KEYS if key in defaults and key not in job
                     and (take_defaults is True or (isinstance(take_defaults, list) and key in take_defaults))})
        extra.line, extra.key_lines, extra.path = 0, getattr(defaults, "key_lines", {}), getattr(defaults, "path", "")
        extra.sources = {k: getattr(defaults, "sources", {}).get(k, extra.path) for k in extra}
        merged = deep_merge(extra, job) if extra else job
        if take_vars is True:
            return merged, dict(global_vars)
        if isinstance(take_vars, list):
            return merged, {k: v for k, v in global_vars.items() if k in take_vars}
        return merged, {}

    def combinations(self, job: dict, name: str, path: str, line: int) -> list[dict]:
        parallel = job.get("parallel")
        if parallel is None:
            return [{}]
        pline = _line(job, "parallel", line)
        if isinstance(parallel, int) and not isinstance(parallel, bool):
            if not 1 <= parallel <= MAX_MATRIX_JOBS:
                self.error(path, pline, f"parallel must be between 1 and {MAX_MATRIX_JOBS}")
                return [{}]
            return [{"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": str(parallel)} for i in range(1, parallel + 1)]
        matrix = parallel.get("matrix") if isinstance(parallel, dict) else None
        if not isinstance(matrix, list):
            self.error(path, pline, f"job {name!r}: `parallel` must be a number or have a `matrix` list")
            return [{}]
        combos: list[dict] = []
        total = 0
        for index, item in enumerate(matrix):
            if not isinstance(item, dict):
                self.error(path, matrix.line_at(index) if isinstance(matrix, Seq) else pline,
                           f"a parallel matrix entry must be a mapping, not {type_name(item)}")
                continue
            keys = [str(k) for k in item]
            values = [[_scalar(v) for v in value] if isinstance(value, list) else [_scalar(value)] for value in item.values()]
            total += math.prod(len(v) for v in values)
            room = max(MAX_MATRIX_JOBS + 1 - len(combos), 0)  # one past the limit shows it was crossed; never expand more
            combos += [dict(zip(keys, chosen)) for chosen in itertools.islice(itertools.product(*values), room)]
        if total > MAX_MATRIX_JOBS:
            self.error(path, pline, f"parallel matrix makes {total} jobs; GitLab refuses more than {MAX_MATRIX_JOBS}")
        return combos or [{}]

    def runs_in(self, job: dict, variables: dict, scenarios, location: Location):
        """(scenario, tier) for every scenario the job runs in, the unknown rules assumed
        true, and the variables of the rule that gives the most frequent tier."""
        path = location.path
        found, assumed, rule_vars = [], [], None
        for scenario in scenarios:
            scope = {**dict(scenario.variables), **variables}
            if not self.only_except(job, scope, path, location.line, scenario):
                continue
            if "rules" in job:
                whens, unknown, matched_vars = self.rules(job["rules"], scope, path, _line(job, "rules", location.line))
                assumed += unknown
            else:
                whens, matched_vars = [str(job.get("when", "on_success"))], None
            runnable = [w for w in whens if w not in ("never", "on_failure")]
            if not runnable:
                continue
            manual = all(w == "manual" for w in runnable) or job.get("when") == "manual"
            tier = Tier.OPTIONAL if manual else scenario.tier
            if "changes" in str(job.get("rules", "")) and tier == Tier.EVERY_PR:
                tier = Tier.PATH_FILTERED
            tiers = [t for _, t in found]
            if best(tiers + [tier]) == tier and tier not in tiers:
                rule_vars = matched_vars
            found.append((scenario, tier))
        return found, assumed, rule_vars

    def variant(self, name, job, config, variables, combo, scenarios, stage, location: Location, prefix: str = "") -> None:
        self.allowance.charge()
        path = location.path
        found, assumed, rule_vars = self.runs_in(job, variables, scenarios, location)
        tiers = [tier for _, tier in found]
        if not tiers:
            return
        if isinstance(rule_vars, dict):
            variables = {**variables, **self.variables(rule_vars, path, location.line, variables)}
        checkout = () if "CI_PROJECT_DIR" in variables else (("CI_PROJECT_DIR", self.settings.roots[0]),)
        env = tuple((k, v) for k, v in variables.items() if v is not UNKNOWN) + checkout
        unknown = tuple(k for k, v in variables.items() if v is UNKNOWN)
        predefined = tuple(k for k in RUNNER_VARIABLES if k not in variables)  # set, value unknown
        unknown += predefined
        predefined += tuple(k for k, _ in checkout)
        attributes = [("stage", stage)] + [("rules", f"{text} (assumed true: known only at run time)") for text in dict.fromkeys(assumed)]
        attributes += [("env-from-run", " ".join(predefined))] if predefined else []  # given by the runner, chosen by no job
        before = self.job_script(job, "before_script", config, path)
        main = self.job_script(job, "script", config, path)
        fields = dict(system=SYSTEM, file=path, location=location, env=env, unknown_env=unknown, working_dir="",
                      tier=best(tiers), matrix=tuple(combo.items()), platform=self.platform(job),
                      soft_fail=job.get("allow_failure") is True, errexit=True, attributes=tuple(attributes),
                      workspace_filled=WORKSPACE_FILLED)
        self.result.jobs.append(Job(key=prefix + name, label=prefix + name, commands=before + main, **fields))
        after = self.job_script(job, "after_script", config, path)
        if after:  # a separate shell: exports from `script` do not reach it
            self.result.jobs.append(Job(key=f"{prefix}{name}/after_script", label=f"{prefix}{name} (after_script)", commands=after, **fields))

    # -- child pipelines -------------------------------------------------------------------
    def trigger(self, name: str, job: dict, defaults: dict, global_vars: dict, scenarios, location: Location,
                child: _Child) -> None:
        """`trigger: include:` of repository files starts a child pipeline whose jobs see the
        trigger job's variables (they beat the child's own); other triggers are not analysed."""
        path, line = location.path, location.line
        trigger = job["trigger"]
        include = trigger.get("include") if isinstance(trigger, dict) else None
        if include is None:
            target = trigger.get("project") if isinstance(trigger, dict) else trigger
            self.incomplete(path, line, f"job {name!r} triggers the pipeline of project {target}: not analysed")
            return
        if len(child.chain) >= MAX_CHILD_DEPTH:
            self.error(path, line, f"job {name!r}: child pipelines nest deeper than {MAX_CHILD_DEPTH} levels")
            return
        job, inherited = self.inherit(job, defaults, global_vars)
        own = self.variables(job.get("variables"), path, _line(job, "variables", line), inherited)
        variables = {**inherited, **own, **child.passed}
        found, _, _ = self.runs_in(job, variables, scenarios, location)
        if not found:
            return
        forward = trigger.get("forward")
        forward_yaml = not (isinstance(forward, dict) and forward.get("yaml_variables") is False)
        passed = {k: v for k, v in variables.items() if v is not UNKNOWN} if forward_yaml else {}
        # Inside the child, the pipeline source is `parent_pipeline`; it runs only when its trigger does.
        inner = tuple(replace(s, tier=max(s.tier, tier, key=RANK.index),
                              variables=s.variables + (("CI_PIPELINE_SOURCE", "parent_pipeline"),)) for s, tier in found)
        saved = self.base_scenarios, self.restricted
        self.base_scenarios, self.restricted = inner, {}
        try:
            config = self.child_config(name, include, path, _line(trigger, "include", line), child)
            if config is not None:
                self.pipeline(config, getattr(config, "path", path),
                              _Child(passed, f"{child.prefix}{name}/", child.chain + (path,)))
        finally:
            self.base_scenarios, self.restricted = saved

    def child_config(self, name: str, include, path: str, line: int, child: _Child):
        entries = include if isinstance(include, list) else [include]
        merged = None
        for index, entry in enumerate(entries):
            entry_line = entries.line_at(index) if isinstance(entries, Seq) else line
            if isinstance(entry, dict) and "artifact" in entry:
                self.incomplete(path, entry_line, f"job {name!r} triggers a pipeline generated by job {entry.get('job')!r} at run time: not analysed")
                continue
            for target in self.local_include(entry, path, entry_line):
                if target in child.chain + (path,):
                    self.error(path, entry_line, f"child pipeline cycle: {' -> '.join(child.chain + (path, target))}")
                    continue
                config = self.config(target)
                if config is not None:
                    merged = config if merged is None else deep_merge(merged, config)
        return merged

    def platform(self, job: dict) -> str:
        image = job.get("image")
        image = image.get("name") if isinstance(image, dict) else image
        tags = job.get("tags")
        parts = [str(image)] if image else []
        if isinstance(tags, list) and tags:
            parts.append("tags=" + ",".join(map(str, tags)))
        return " ".join(parts)

    def job_script(self, job: dict, key: str, config: dict, path: str) -> tuple[Command, ...]:
        file = getattr(job, "sources", {}).get(key) or _path_of(job, path)
        return self.script(job.get(key), config, file, _line(job, key, 0), key=key)

    def script(self, value, config: dict, path: str, line: int = 0, depth: int = 0, key: str | None = None) -> tuple[Command, ...]:
        """One command per script item (a multi-line item is one piece of the job's shell script),
        located line by line; nested lists (anchors, `!reference`) are flattened."""
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(self.scalar_commands(value, path, line, key))
        if not isinstance(value, list):
            self.error(path, line, f"a script must be a string or a list, not {type_name(value)}")
            return ()
        file = _path_of(value, path)
        out: list[Command] = []
        for index, item in enumerate(value):
            line = value.line_at(index) if isinstance(value, Seq) else 0
            if isinstance(item, list):
                if depth < 10:
                    out += self.script(item, config, _path_of(item, file), line, depth + 1)
                else:
                    self.error(file, line, "script lists nest deeper than 10 levels")
            elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out += self.scalar_commands(str(item), file, line, None)
            else:
                self.error(file, line, f"a script line must be a string, not {type_name(item)}")
        return tuple(out)

    def scalar_commands(self, text: str, file: str, line: int, key: str | None) -> list[Command]:
        if not text.strip():
            return []
        lines = self.lines(file)
        offsets = locate(lines, line, key, text) or fallback(lines, line, text)
        return [command(file, text, offsets)]

    # -- `!reference` ------------------------------------------------------------------------
    def dereference(self, value, config: dict, depth: int = 0):
        """`value` with every `!reference [key, ...]` replaced by what it points to (GitLab resolves
        them after includes are merged and before `extends`, nesting at most 10 deep);
        an unresolvable one is dropped (`_MISSING`)."""
        if isinstance(value, Seq) and value.tag == "!reference":
            if depth >= 10:
                self.error(_path_of(value, ""), value.line, "!reference tags nest deeper than 10 levels")
                return _MISSING
            target = self.reference(value, config)
            return _MISSING if target is None else self.dereference(target, config, depth + 1)
        if isinstance(value, dict):
            items = {k: self.dereference(v, config, depth) for k, v in value.items()}
            if all(items[k] is value[k] for k in value):
                return value
            copy = Map({k: v for k, v in items.items() if v is not _MISSING})
            for attribute in ("line", "key_lines", "path", "sources"):
                if hasattr(value, attribute):
                    setattr(copy, attribute, getattr(value, attribute))
            return copy
        if isinstance(value, list):
            items = [self.dereference(v, config, depth) for v in value]
            if all(a is b for a, b in zip(items, value)):
                return value
            kept = [(v, value.line_at(i) if isinstance(value, Seq) else 0) for i, v in enumerate(items) if v is not _MISSING]
            copy = Seq(v for v, _ in kept)
            copy.line, copy.item_lines = getattr(value, "line", 0), [line for _, line in kept]
            if hasattr(value, "path"):
                copy.path = value.path
            return copy
        return value

    def reference(self, item: list, config: dict):
        self.allowance.charge()
        value = config
        for key in item:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            where = (_path_of(item, ""), getattr(item, "line", 0))
            if self.external:
                self.incomplete(*where, f"!reference {list(item)} points to nothing in the repository (an outside "
                                "include may define it): left out")
            else:
                self.error(*where, f"!reference {list(item)} points to nothing")
        return value


def _line(node, key, default: int) -> int:
    return node.line_of(key, default) if isinstance(node, Map) else default


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_MISSING = object()  # an unresolvable `!reference`: left out of its mapping or list


def _flattened(rules: list, path: str, line: int, depth: int = 0):
    """Each rule with its file and line; lists inside `rules` (from `!reference`) are spliced in."""
    path = _path_of(rules, path)
    for index, rule in enumerate(rules):
        rule_line = rules.line_at(index) if isinstance(rules, Seq) else line
        if isinstance(rule, list) and depth < 10:
            yield from _flattened(rule, path, rule_line, depth + 1)
        else:
            yield rule, _path_of(rule, path), rule_line


def _tags(job: dict) -> list[str]:
    tags = job.get("tags")
    return [str(t) for t in tags] if isinstance(tags, list) else [str(tags)] if isinstance(tags, str) else []


_POWERSHELL = re.compile(r"\$env:\w|\$LASTEXITCODE\b|\bWrite-(?:Host|Output|Error)\b|-ErrorAction\b|"
                         r"^\s*\$\w+\s*=\s|^\s*(?:Get|Set|New|Remove|Invoke|Start|Stop|Test|Import|Add|Copy|Move|Expand|Out|Select)-[A-Z]\w+",
                         re.MULTILINE)


def _windows_sign(job: dict, commands) -> str:
    """Why a job is for a Windows runner, whose shell is PowerShell (the default of Windows executors and
    of GitLab's hosted Windows runners): a tag or image naming Windows, or a script in PowerShell's syntax.
    Empty when nothing says so."""
    tags = [t for t in _tags(job) if "windows" in t.lower()]
    if tags:
        return f"tags {tags}"
    image = job.get("image")
    image = str(image.get("name") if isinstance(image, dict) else image or "")
    if re.search(r"windows|servercore|nanoserver", image, re.IGNORECASE):
        return f"image {image}"
    for command in commands:
        match = _POWERSHELL.search(command.text)
        if match:
            return f"PowerShell at {command.location}: {match.group(0).strip()!r}"
    return ""


def path_filter(job: Job) -> None:
    """Not modelled: a job with `rules: changes:` is only marked path-filtered (its tier); which
    files start it is not read."""
    return None


def fix_step(job: Job, command: str, values: dict[str, str], calling: str = "") -> str:
    """A job named after this one with the variables in its `variables`."""
    variables = "".join(f"\n    {name}: {json.dumps(value)}" for name, value in values.items())
    body = f"{variant_key(job.key, values)}:\n"
    body += f"  variables:{variables}\n" if variables else ""
    return body + f"  script:\n    - {json.dumps(command)}"
