"""When a plain Buildkite step runs: `branches`, `if:` and `if_changed` as a `Tier`.

A step is tried against a few representative builds (a pull request, a push to
the default branch, a scheduled build, a build started by hand); it keeps the
most frequent tier among the builds whose filters it passes.  `if:` is
evaluated only when it compares `build.branch`, `build.pull_request.id`,
`build.source` (or `pipeline.default_branch`) with literals; any other
expression keeps the step (it may run) and is recorded in the job's attributes.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from ..model import Tier
from .gha_triggers import best


class Unsupported(Exception):
    """The condition reads something only the running build knows."""


@dataclass(frozen=True)
class Build:
    name: str
    tier: Tier
    values: dict  # variable -> value (None = null)


def builds(default_branch: str) -> tuple[Build, ...]:
    common = {"pipeline.default_branch": default_branch}
    return (
        Build("pull request", Tier.EVERY_PR, {**common, "build.branch": "feature", "build.pull_request.id": "1",
                                              "build.source": "webhook"}),
        Build("push to the default branch", Tier.MAIN, {**common, "build.branch": default_branch,
                                                        "build.pull_request.id": None, "build.source": "webhook"}),
        Build("schedule", Tier.NIGHTLY, {**common, "build.branch": default_branch, "build.pull_request.id": None,
                                         "build.source": "schedule"}),
        Build("build started by hand", Tier.OPTIONAL, {**common, "build.branch": default_branch,
                                                      "build.pull_request.id": None, "build.source": "ui"}),
    )


@dataclass(frozen=True)
class Filters:
    """The filters of a step and the groups around it (all must pass)."""

    conditions: tuple[str, ...] = ()  # `if:` texts
    branches: tuple[str, ...] = ()  # `branches:` texts (space-separated patterns)
    if_changed: bool = False

    def add(self, node: dict) -> "Filters":
        cond = node.get("if")
        branches = node.get("branches")
        if isinstance(branches, list):
            branches = " ".join(str(b) for b in branches)
        return Filters(
            self.conditions + ((cond,) if isinstance(cond, str) and cond.strip() else ()),
            self.branches + ((branches,) if isinstance(branches, str) and branches.strip() else ()),
            self.if_changed or node.get("if_changed") not in (None, False, "", []),
        )


def tier_of(filters: Filters) -> tuple[Tier, tuple[tuple[str, str], ...]]:
    """The step's tier and attributes recording what could not be decided statically."""
    attributes: list[tuple[str, str]] = []
    runnable = []
    default = _default_branch(filters)
    unsupported = set()
    for build in builds(default):
        ok = all(branch_matches(b, build.values["build.branch"]) for b in filters.branches)
        for text in filters.conditions:
            if not ok:
                break
            try:
                ok = evaluate(text, build.values)
            except Unsupported as exc:
                unsupported.add((text, str(exc)))  # may hold: keep the step
        if ok:
            runnable.append(build.tier)
    for text, why in sorted(unsupported):
        attributes.append(("if", f"{text} (assumed true: {why})"))
    tier = best(runnable)
    if tier is None:
        # Runs only on builds none of the representative ones is (a release branch...): never automatic here.
        attributes.append(("filters", "runs on no pull request, default-branch, scheduled or manual build"))
        tier = Tier.OPTIONAL
    if filters.if_changed and tier is Tier.EVERY_PR:
        tier = Tier.PATH_FILTERED  # the agent drops the step at upload unless a changed file matches
    return tier, tuple(attributes)


def _default_branch(filters: Filters) -> str:
    text = " ".join(filters.conditions + filters.branches)
    return "master" if re.search(r"\bmaster\b", text) and not re.search(r"\bmain\b", text) else "main"


def branch_matches(patterns: str, branch: str) -> bool:
    """Buildkite branch filtering: space-separated globs, `!` excludes."""
    words = patterns.split()
    positive = [w for w in words if not w.startswith("!")]
    negative = [w[1:] for w in words if w.startswith("!")]
    if any(fnmatch.fnmatchcase(branch, p) for p in negative):
        return False
    return not positive or any(fnmatch.fnmatchcase(branch, p) for p in positive)


# --------------------------------------------------------------------------- `if:` expressions
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<regex>/(?:\\.|[^/\\])+/[a-z]*)
    | (?P<op>==|!=|=~|!~|&&|\|\||!|\(|\))
    | (?P<name>[A-Za-z_][\w.]*(?:\s*\()?)
    | (?P<other>\S)
    )""",
    re.VERBOSE,
)
KNOWN = frozenset({"build.branch", "build.pull_request.id", "build.source", "pipeline.default_branch"})
_LITERALS = {"null": None, "true": True, "false": False}


def evaluate(text: str, values: dict) -> bool:
    """True or False for `text` under `values`; `Unsupported` when it reads anything else."""
    tokens = []
    for match in _TOKEN.finditer(text.strip()):
        kind = match.lastgroup
        token = match.group(kind)
        if kind == "other":
            raise Unsupported(f"cannot read {token!r}")
        if kind == "name" and token.endswith("("):
            raise Unsupported(f"calls {token.rstrip('( ')}()")
        if kind == "name" and token not in KNOWN and token not in _LITERALS:
            raise Unsupported(f"{token} is known only when the build runs")
        tokens.append((kind, token))
    parser = _Parser(tokens + [("end", "")], values)
    value = parser.or_()
    if parser.peek()[0] != "end":
        raise Unsupported(f"unexpected {parser.peek()[1]!r}")
    return bool(value)


class _Parser:
    def __init__(self, tokens, values):
        self.tokens, self.values, self.i = tokens, values, 0

    def peek(self):
        return self.tokens[self.i]

    def take(self, op: str) -> bool:
        if self.tokens[self.i] == ("op", op):
            self.i += 1
            return True
        return False

    def or_(self):
        value = self.and_()
        while self.take("||"):
            right = self.and_()
            value = bool(value) or bool(right)
        return value

    def and_(self):
        value = self.unary()
        while self.take("&&"):
            right = self.unary()
            value = bool(value) and bool(right)
        return value

    def unary(self):
        if self.take("!"):
            return not self.unary()
        return self.comparison()

    def comparison(self):
        left = self.operand()
        kind, op = self.peek()
        if kind == "op" and op in ("==", "!=", "=~", "!~"):
            self.i += 1
            right = self.operand()
            if op in ("=~", "!~"):
                if not isinstance(right, re.Pattern):
                    raise Unsupported("=~ needs a /regex/ literal")
                matched = isinstance(left, str) and bool(right.search(left))
                return matched if op == "=~" else not matched
            return (left == right) if op == "==" else (left != right)
        return left

    def operand(self):
        kind, token = self.peek()
        self.i += 1
        if kind == "op" and token == "(":
            value = self.or_()
            if not self.take(")"):
                raise Unsupported("missing ')'")
            return value
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", token[1:-1])
        if kind == "regex":
            body, _, flags = token[1:].rpartition("/")
            try:
                return re.compile(body, re.IGNORECASE if "i" in flags else 0)
            except re.error as exc:
                raise Unsupported(f"invalid regex {token}: {exc}") from None
        if kind == "name":
            return _LITERALS[token] if token in _LITERALS else self.values.get(token)
        raise Unsupported(f"expected a value, found {token!r}" if token else "expression ends early")
