"""Which events start a workflow, and how often that is (its `Tier`).

A workflow runs under several events; each becomes a *scenario* (event name and
tier) under which job and step `if:` conditions are evaluated.  A job keeps the
most frequent tier among the scenarios where it can run.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import RANK, Tier  # noqa: F401  (RANK: most frequent first; imported from here by others)

MAIN_BRANCHES = {"main", "master"}


@dataclass(frozen=True)
class Scenario:
    event: str
    tier: Tier
    ref: str = ""  # `github.ref` when the event fixes it (push to main)
    paths: tuple[str, ...] = ()  # `paths` filters (`!` marks `paths-ignore`)


def triggers(workflow: dict) -> dict:
    """`on:` as a mapping event -> settings; YAML 1.1 reads a bare `on` key as True."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(e): None for e in on}
    if isinstance(on, dict):
        return {str(k): v for k, v in on.items()}
    return {}


def scenarios(workflow: dict) -> list[Scenario]:
    """The scenarios of a workflow's own triggers (`workflow_call` has none: callers bring theirs)."""
    out = []
    for event, config in triggers(workflow).items():
        config = config if isinstance(config, dict) else {}
        out += _scenarios(event, config)
    return out


def _scenarios(event: str, config: dict) -> list[Scenario]:
    paths = _paths(config)
    if event in ("pull_request", "pull_request_target"):
        return [Scenario(event, Tier.PATH_FILTERED if paths else Tier.EVERY_PR, paths=paths)]
    if event == "merge_group":
        return [Scenario(event, Tier.EVERY_PR)]
    if event == "push":
        return _push(config, paths)
    if event == "schedule":
        return [Scenario(event, Tier.NIGHTLY)]
    if event == "workflow_call":
        return []
    return [Scenario(event, Tier.OPTIONAL)]  # workflow_dispatch, release, issue events...


FEATURE_REF = "refs/heads/feature"  # stands for any branch a pull request is made from
MAIN_REF = "refs/heads/main"
TAG_REF = "refs/tags/v1.0.0"


def _push(config: dict, paths: tuple[str, ...]) -> list[Scenario]:
    """A push is tried as three representative refs.  GitHub's docs: with neither `branches`
    nor `tags` filters a push workflow runs for every branch and every tag; with only one
    kind of filter, refs of the other kind do not trigger it.  So an unfiltered push runs
    on pushes to feature branches (every PR's branch: EVERY_PR), to the default branch
    (MAIN) and of tags (OPTIONAL); a job `if: github.ref == 'refs/heads/main'` keeps only MAIN."""
    branches, ignored = _strings(config.get("branches")), _strings(config.get("branches-ignore"))
    has_branch_filter = "branches" in config or "branches-ignore" in config
    has_tag_filter = "tags" in config or "tags-ignore" in config
    out = []
    if branches:
        # Pushes to named branches only: not the branches PRs are made from (unless a wildcard says so).
        named = [b for b in branches if not b.startswith("!")]
        ref = f"refs/heads/{named[0]}" if len(named) == 1 and "*" not in named[0] else MAIN_REF
        out.append(Scenario("push", Tier.MAIN, ref=ref, paths=paths))
        if any(b in ("*", "**") for b in named):
            out.append(Scenario("push", Tier.PATH_FILTERED if paths else Tier.EVERY_PR, ref=FEATURE_REF, paths=paths))
        return out
    if has_tag_filter and not has_branch_filter:
        return [Scenario("push", Tier.OPTIONAL, ref=TAG_REF)]  # release tags only
    if not any(i in ("*", "**") for i in ignored):
        out.append(Scenario("push", Tier.PATH_FILTERED if paths else Tier.EVERY_PR, ref=FEATURE_REF, paths=paths))
    if not any(i in ("main", "master") for i in ignored):
        out.append(Scenario("push", Tier.MAIN, ref=MAIN_REF, paths=paths))
    if not has_branch_filter:
        out.append(Scenario("push", Tier.OPTIONAL, ref=TAG_REF))
    return out


def _paths(config: dict) -> tuple[str, ...]:
    return tuple(_strings(config.get("paths"))) + tuple("!" + p for p in _strings(config.get("paths-ignore")))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return []


def best(tiers) -> Tier | None:
    """The most frequent of several tiers."""
    ranked = sorted(set(tiers), key=RANK.index)
    return ranked[0] if ranked else None
