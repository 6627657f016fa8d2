"""Which events start a workflow, and how often that is (its `Tier`).

A workflow runs under several events; each becomes a *scenario* (event name and
tier) under which job and step `if:` conditions are evaluated.  A job keeps the
most frequent tier among the scenarios where it can run.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Tier

RANK = [Tier.EVERY_PR, Tier.PATH_FILTERED, Tier.MAIN, Tier.NIGHTLY, Tier.OPTIONAL]  # most frequent first
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
        scenario = _scenario(event, config)
        if scenario is not None:
            out.append(scenario)
    return out


def _scenario(event: str, config: dict) -> Scenario | None:
    paths = _paths(config)
    if event in ("pull_request", "pull_request_target"):
        return Scenario(event, Tier.PATH_FILTERED if paths else Tier.EVERY_PR, paths=paths)
    if event == "merge_group":
        return Scenario(event, Tier.EVERY_PR)
    if event == "push":
        return _push(config, paths)
    if event == "schedule":
        return Scenario(event, Tier.NIGHTLY)
    if event == "workflow_call":
        return None
    return Scenario(event, Tier.OPTIONAL)  # workflow_dispatch, release, issue events...


def _push(config: dict, paths: tuple[str, ...]) -> Scenario:
    branches = _strings(config.get("branches"))
    if "tags" in config and "branches" not in config and "branches-ignore" not in config:
        return Scenario("push", Tier.OPTIONAL)  # release tags only
    if branches:
        # Pushes to named branches only: not the branches PRs are made from.
        ref = f"refs/heads/{branches[0]}" if len(branches) == 1 and "*" not in branches[0] else ""
        return Scenario("push", Tier.MAIN, ref=ref, paths=paths)
    # Every push to any branch, including the ones pull requests come from.
    return Scenario("push", Tier.PATH_FILTERED if paths else Tier.EVERY_PR, paths=paths)


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
