"""Plain data shared by every stage of the pipeline.

Everything here is a frozen dataclass: stages pass these values along and never
mutate them.  Behaviour is limited to small derived properties.
"""

from __future__ import annotations

import sys
from dataclasses import MISSING, dataclass, field, fields, replace
from enum import Enum
from functools import cached_property

Env = tuple[tuple[str, str], ...]
"""An ordered environment: ``(("NAME", "value"), ...)``."""


def direct_init(cls):
    """A frozen dataclass whose `__init__` fills the instance dict directly: the interpreter
    makes hundreds of thousands of values, locations, conditions and frames, and the
    generated `__init__` makes one frozen `object.__setattr__` call per field.  Same
    parameters, in the same order, with the same defaults; writing a field afterwards stays
    an error (frozen)."""
    params, lines, defaults = [], [], {}
    for f in fields(cls):
        if f.default_factory is not MISSING or not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: direct_init takes plain defaults only")
        if f.default is MISSING:
            params.append(f.name)
        else:
            defaults[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        lines.append(f"    d[{f.name!r}] = {f.name}\n")
    namespace: dict = {}
    exec(f"def __init__(self, {', '.join(params)}):\n    d = self.__dict__\n{''.join(lines)}", defaults, namespace)
    namespace["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = namespace["__init__"]
    return cls


def kept_hash(cls):
    """A frozen dataclass whose hash is worked out once and kept on the instance: the
    interpreter puts its assumptions, conditions, frames and config entries in sets and dicts
    over and over (joining paths compares their assumptions as sets), and the generated
    `__hash__` hashes every field, and every field's fields, each time.  The value is the generated one.  A
    hash is only good in the process that made it (strings hash differently in each), so it
    is left out of a pickle, as are the class's `cached_property` values (worked out again
    from the fields when asked)."""
    computed = cls.__hash__
    derived = frozenset({"_hash"} | {name for name, value in vars(cls).items() if isinstance(value, cached_property)})

    def __hash__(self):
        found = self.__dict__.get("_hash")
        if found is None:
            found = self.__dict__["_hash"] = computed(self)
        return found

    def __getstate__(self):
        state = self.__dict__
        return state if derived.isdisjoint(state) else {k: v for k, v in state.items() if k not in derived}

    cls.__hash__, cls.__getstate__ = __hash__, __getstate__
    return cls


@direct_init
@dataclass(frozen=True, order=True)
class Location:
    """A place in a file of the analysed repository (1-based line)."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class Tier(str, Enum):
    """When CI actually runs a job."""

    EVERY_PR = "every-pr"  # runs on every pull request
    PATH_FILTERED = "path-filtered"  # runs on a PR only when matching paths change
    MAIN = "main"  # runs on pushes to the default branch
    RUN_ALL = "run-all"  # runs when the whole suite is asked for (RUN_ALL, a label, core build files) and nightly
    OPTIONAL = "optional"  # waits for a person (optional / manual / blocked)
    NIGHTLY = "nightly"  # scheduled runs only

    @property
    def automatic(self) -> bool:
        """Runs on pull requests or pushes without anyone asking for it."""
        return self in (Tier.EVERY_PR, Tier.PATH_FILTERED, Tier.MAIN)


RANK = [Tier.EVERY_PR, Tier.PATH_FILTERED, Tier.MAIN, Tier.RUN_ALL, Tier.NIGHTLY, Tier.OPTIONAL]  # most frequent first
TIER_TEXT = {
    Tier.EVERY_PR: "runs on every pull request",
    Tier.PATH_FILTERED: "runs on pull requests that touch its paths",
    Tier.MAIN: "runs on pushes to the default branch",
    Tier.RUN_ALL: "runs only when the whole suite is asked for (run-all builds) and nightly",
    Tier.NIGHTLY: "runs only in the scheduled nightly build",
    Tier.OPTIONAL: "runs only when someone starts or unblocks it by hand",
}


@dataclass(frozen=True)
class Command:
    """One command line of a job, as the CI system hands it to the shell."""

    text: str
    location: Location
    # Where a multi-line text is written when its rows are not consecutive file lines (a folded
    # YAML scalar, an expression that expanded to several lines): (row, byte column, file line)
    # from which on the text is written at that line.  Empty: row N is at `location.line + N`.
    lines: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class Job:
    """What CI runs once: one step / job / matrix combination / shard."""

    system: str  # its front-end's SYSTEM: "buildkite" | "github-actions" | "gitlab" (ci/__init__.py)
    file: str  # repository path of the YAML that defines it
    key: str  # stable id within the system (Buildkite key, GHA job id, GitLab job name)
    label: str  # what a person sees
    location: Location
    commands: tuple[Command, ...]
    env: Env = ()  # known values, in the order the CI system applies them
    unknown_env: tuple[str, ...] = ()  # names set to values not known statically
    working_dir: str = ""  # repository-relative; "" is the root
    tier: Tier = Tier.EVERY_PR
    matrix: Env = ()  # matrix values / shard index that produced this job
    platform: str = ""  # device / runner / queue: where it runs
    soft_fail: bool = False
    errexit: bool = True  # `sh -e` / `bash -e` semantics for the command list
    source_file_dependencies: tuple[str, ...] = ()
    ignored_keys: tuple[tuple[str, Location], ...] = ()  # keys the CI system drops
    attributes: tuple[tuple[str, str], ...] = ()  # timeouts, labels...: never identity
    # Whether it may start with files the checkout lacks (earlier steps', artifacts, caches): the
    # interpreter then takes a missing file to be possibly there (its front-end's WORKSPACE_FILLED).
    workspace_filled: bool = False

    @cached_property  # asked for every job of every inventory, several times each
    def id(self) -> str:
        """Identity within a revision: system, file, key and matrix values."""
        suffix = "".join(f" {k}={v}" for k, v in self.matrix)
        return f"{self.system}:{self.file}:{self.key}{suffix}"

    @property
    def display(self) -> str:
        suffix = ", ".join(f"{k}={v}" for k, v in self.matrix)
        return f"{self.label} ({suffix})" if suffix else self.label

    @cached_property
    def behaviour(self) -> tuple:
        """The fields that decide what the job runs and how its runs are reported; not the
        CI's metadata (tier, soft-fail, timeouts and other attributes, ignored keys).  Jobs
        equal in this have equal outcomes: the interpreter is only given these
        (`shell.interpret_job`), and the outcome memos are keyed by them."""
        return tuple(getattr(self, name) for name in BEHAVIOUR_FIELDS)

    def without_metadata(self) -> "Job":
        """This job with the fields outside `behaviour` at their defaults."""
        return replace(self, tier=Tier.EVERY_PR, soft_fail=False, source_file_dependencies=(), ignored_keys=(), attributes=())


BEHAVIOUR_FIELDS = ("system", "file", "key", "label", "location", "commands", "env", "unknown_env", "working_dir",
                    "matrix", "platform", "errexit", "workspace_filled")


@kept_hash
@dataclass(frozen=True)
class ConfigEntry:
    """One element of a config array in a script (or of a matrix list in YAML).

    Its identity is its normalised content, so moving it between arrays or files
    keeps it the same entry.
    """

    text: str
    location: Location
    array: str

    @cached_property  # every index of an inventory asks for every entry's identity: many runs share an entry
    def identity(self) -> str:
        return normalize_entry(self.text)


def normalize_entry(text: str) -> str:
    """Canonical form of a config string: `KEY=VALUE` words sorted ahead of the
    other words (whose order is kept), whitespace collapsed.  (Indexes keep identities:
    equal ones come back as one string, `sys.intern`.)"""
    words = text.split()
    if "=" not in text:  # (most)
        return sys.intern(" ".join(words))
    assigns, others = [], []
    for word in words:
        name, eq, _ = word.partition("=")
        if eq and name.replace("_", "a").isalnum() and not name[0].isdigit():  # `NAME=value`
            assigns.append(word)
        else:
            others.append(word)
    return sys.intern(" ".join(sorted(assigns) + others))


@dataclass(frozen=True)
class Piece:
    """A piece of a tested word, read from the syntax: literal `text` (`quoted` when inside quotes),
    or, when `variable` is set, a reference to it: `$X`, `${X}`, or `${X:-word}` with its default
    `operator` (`:-`, `-`, `:=`, `=`, `:+`, `+`) and the default's literal `text`.  A script's or
    function's argument (`$1`, `$@`) is a reference to that name."""

    text: str = ""
    quoted: bool = False
    variable: str = ""
    operator: str = ""


# A tested word as pieces; None where a word is not made of those (a command substitution,
# `${X/a/b}`, `$'...'`): its value is not known from the syntax.
Word = tuple[Piece, ...] | None


@dataclass(frozen=True)
class Comparison:
    """What a condition tests, as the interpreter read it from the syntax: `[[ "$X" == gpu ]]`,
    `[ -n "$X" ]`, `case $X in a|b)`.  `operator` is the test's (`-n`, `-z`, `==`, `=`, `!=`, `=~`,
    `-eq`..., a file test such as `-d`) or `case`; "" for a condition that is not one test (`a && b`
    inside `[[ ]]`, a command).  `variable` is the one the tested word reads ("" when it reads none
    or more); `operand` the literal or pattern on the other side as written, without its quotes (for
    `case`, the arm's first alternative); `negated` whether a `!` inside the test turns it.

    The words themselves, for evaluating the test on a value (`audit/rules/value_mismatch.py`):
    `left` the tested word (a `case`'s subject), `right` the other side of a binary test,
    `alternatives` a `case` arm's patterns; `extended` for `[[ ]]` (patterns, names as numbers);
    `reads` every variable the condition's text expands, compound ones included."""

    operator: str
    variable: str = ""
    operand: str = ""
    negated: bool = False
    left: Word = field(default=None, compare=False)
    right: Word = field(default=None, compare=False)
    alternatives: tuple = field(default=(), compare=False)
    extended: bool = field(default=False, compare=False)
    reads: tuple[str, ...] = field(default=(), compare=False)


@kept_hash
@direct_init
@dataclass(frozen=True)
class Condition:
    """A condition the interpreter evaluated (an `if`, `[[ ]]`, `case` arm...)."""

    location: Location
    text: str  # the condition as written, e.g. `[[ -n "${SW_ATTN:-}" ]]`
    variables: tuple[str, ...]  # environment variables it reads
    outcome: bool  # the branch that was taken (True = then / arm matched)
    # What it compares, when it is one test the interpreter could read (not `a && b`, not a command):
    # read by the fix suggestions instead of the text.  Not part of its identity.
    compares: Comparison | None = field(default=None, compare=False, repr=False)


@kept_hash
@direct_init
@dataclass(frozen=True)
class Assumption:
    """A branch taken on a value not known statically: the run depends on it."""

    condition: Condition
    detail: str = ""  # e.g. `SW_ATTN is non-empty`


@kept_hash
@direct_init
@dataclass(frozen=True)
class Frame:
    """One step of the path that led to a run (for explanations and graphs)."""

    kind: str  # "job" | "command" | "script" | "guard" | "array" | "entry" | "function"
    location: Location
    text: str  # for a guard, `CONDITION → true|false`
    env: Env = ()  # variables set at this step (prefixes, exports) when relevant
    # A guard's condition as the interpreter recorded it, with the branch taken (`outcome`) and
    # what it compares (`compares`, its `reads` included): what explanations read instead of
    # the text.  Not part of the frame's identity.
    condition: Condition | None = field(default=None, compare=False, repr=False)


@direct_init
@dataclass(frozen=True)
class Run:
    """One leaf invocation CI would make."""

    job_id: str
    argv: tuple[str, ...]  # canonical: repository paths are relative to the root
    env: Env  # explicitly set along the way (prefixes, `env`, exports that were read)
    location: Location  # where the leaf command is written
    cwd: str
    entry: ConfigEntry | None = None  # the config entry the run came from (the outermost)
    path: tuple[Frame, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    platform: str = ""
    entries: tuple[ConfigEntry, ...] = ()  # every entry on the way, outermost (`entry`) first
    background: bool = False  # started with `&` (a server or proxy the job's tests talk to)
    # For a run split per line of a `--config-list-file` list: its argv with the list replaced
    # by the config file the line names.  Two lists naming one config run the same thing.
    chosen: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        return bool(self.assumptions)

    @property
    def job(self) -> tuple[str, Location | None]:
        """The label and location of the job the run came from (its id when no frame says)."""
        frame = next((f for f in self.path if f.kind == "job"), None)
        return (frame.text or self.job_id, frame.location) if frame else (self.job_id, None)

    @cached_property  # a frozen run's subject never changes; indexes ask for it on every diff
    def subject(self) -> str:
        return subject_of(self)

    @property
    def variant(self) -> tuple:
        """What distinguishes two runs of one subject, independent of job naming (and of the
        list file that chose a listed config)."""
        return (self.chosen or self.argv, tuple(sorted(self.env)), self.platform)


def subject_of(run: Run) -> str:
    if run.entry is not None:
        return run.entry.identity
    return " ".join(run.argv)


@direct_init
@dataclass(frozen=True)
class Incomplete:
    """A place where the analysis gave up precision (a finding, not a crash)."""

    location: Location
    reason: str
    cut: bool = False  # what follows this place was not analysed (a cap, a part skipped): a loss there may be none


@dataclass(frozen=True)
class Diagnostic:
    """Bad input: a file that could not be read or understood (file:line)."""

    location: Location
    message: str
    severity: str = "error"
    # The analysis makes no job of a whole CI file: a result that must not pass for a clean one
    # (it sets the exit code as an error finding would).
    blind: bool = False


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return ["info", "warning", "error"].index(self.value)


UNSET = "<unset>"  # a variable's value where a job leaves it unset (`Guard.provided`)
UNKNOWN_VALUE = "<unknown>"  # ... where a job gives it a value the analysis cannot know


@dataclass(frozen=True)
class Guard:
    """A condition that blocks a subject, with what the jobs provide for it."""

    condition: Condition
    required: bool  # the outcome the subject needs
    provided: tuple[tuple[str, str, str], ...] = ()  # (job label, variable, value, UNSET or UNKNOWN_VALUE)


@dataclass(frozen=True)
class Reason:
    text: str
    variables: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()
    near_misses: tuple[tuple[str, str, str], ...] = ()  # (name a job sets, name read, job label)
    fix: str = ""  # suggested fix, ready to paste (e.g. step YAML)


@dataclass(frozen=True)
class Acknowledgement:
    """Why a loss is intended: an `accept` comment in the change (its location) or an
    entry of the settings' `accept` list (location None).  An acknowledged finding stays
    in the report and does not set the exit code."""

    reason: str
    location: Location | None = None

    @property
    def source(self) -> str:
        return str(self.location) if self.location else "settings (accept)"


@dataclass(frozen=True)
class Finding:
    """One result of an analysis: data only, renderers present it."""

    kind: str  # diff kind (kinds.py: "silently-dropped"...) or audit rule id
    subject: str
    severity: Severity
    message: str
    config: ConfigEntry | None = None
    reason: Reason | None = None
    locations: tuple[Location, ...] = ()
    base_runs: tuple[Run, ...] = ()
    head_runs: tuple[Run, ...] = ()
    details: tuple[tuple[str, str], ...] = ()  # extra key/values (commit, tier...)
    rule: str = ""  # set for audit findings
    acknowledged: Acknowledgement | None = None  # an intended loss (acknowledge.py)
    # An `accept` comment the change itself adds: shown, but the loss still gates until it is merged.
    accepted_once_merged: Acknowledgement | None = None

    @property
    def id(self) -> str:
        """Stable across line moves: kind/rule plus subject."""
        return f"{self.rule or self.kind}:{self.subject}"

    @property
    def ids(self) -> tuple[str, ...]:
        """`id`, and for a config entry whose text several scripts define (its subject then
        names the script: `TEXT [path]`) the id without the script, as baselines and
        `accept` patterns written before the split name it."""
        script = dict(self.details).get("defined-in")
        suffix = f" [{script}]"
        if script and self.subject.endswith(suffix):
            return self.id, f"{self.rule or self.kind}:{self.subject[:-len(suffix)]}"
        return (self.id,)


@dataclass(frozen=True)
class Report:
    """What one analysis produced, ready for a renderer."""

    command: str  # "diff" | "audit" | "inventory" | "explain"
    base: str = ""
    head: str = ""
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    summary: tuple[tuple[str, int], ...] = field(default=())
    # The commits `base` and `head` resolved to (for links that hold when a branch moves);
    # "" when not known or the working tree.
    base_commit: str = ""
    head_commit: str = ""
    # The head revision's incomplete entries that left part of it unanalysed (gate.head_cuts), and
    # why the report fails the gate because of them under `fail-on-incomplete` ("": it does not).
    head_cut: tuple[Incomplete, ...] = ()
    fails_incomplete: str = ""

    @property
    def downgraded(self) -> int:
        """Findings whose evidence passes through a part the analysis cut short (`confidence:
        incomplete`): never errors, so every report counts them where a reader looks first;
        a prelude that exhausts a cap cannot turn losses into warnings unseen."""
        return sum(1 for f in self.findings if dict(f.details).get("confidence") == "incomplete")
