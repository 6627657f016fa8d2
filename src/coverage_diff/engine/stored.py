"""A repeated command answered from the output an earlier run stored.

A diff's report is a function of the two trees, the settings (read from the head tree)
and the range as typed; its rendered output adds the format and the render options,
and its exit code only the `--fail-on` level.  An inventory's output is a function of
the tree (settings included), the revision as typed and the format.  So the CLI stores
each rendered output, with the exit code for every `--fail-on` level, under those keys
(`diff_output_parts`, `inventory_output_parts`), and `cli.main` first asks this module
for it: one `git rev-parse` (plus `git merge-base` for `BASE...HEAD`) and one cache
read, without importing typer, the model or any analysis module.  Anything this
module cannot answer, the full command line answers.

This module stays light: it imports only `cache` (hashlib, hmac, pickle), `gitcmd` and subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .. import gitcmd
from .cache import ENV_VAR, Cache, directory_in

DIFF_OUTPUT = "diff-output"
INVENTORY_OUTPUT = "inventory-output"
HEAD_SETTINGS = "head-settings"  # a report's settings tag when they come from its two trees (config.for_diff)
OWN_SETTINGS = "own-settings"  # an inventory's settings tag when they come from its tree

_OBJECT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def split_range(spec: str) -> tuple[str, str, bool]:
    """(base, head, from the merge base) of `BASE..HEAD`, `BASE...HEAD` or `REV`
    (head "" = the working tree).  An empty side means HEAD, as in git."""
    if "..." in spec:
        base, _, head = spec.partition("...")
        return base or "HEAD", head or "HEAD", True
    if ".." in spec:
        base, _, head = spec.partition("..")
        return base or "HEAD", head or "HEAD", False
    return spec, "", False


def report_parts(base_tree: str, head_tree: str, settings: str, spec: str) -> tuple[str, ...]:
    """The key of a stored diff report (`engine.session.Session.diff`)."""
    return (base_tree, head_tree, settings, spec)


def diff_output_parts(report: tuple[str, ...], fmt: str, verbose: bool, repo_url: str | None) -> tuple[str, ...]:
    """The key of a rendered diff: its report's key and what the renderer is given."""
    return (*report, fmt, "verbose" if verbose else "", repr(repo_url))


def inventory_output_parts(tree: str, revision: str, fmt: str) -> tuple[str, ...]:
    """The key of a rendered inventory: its tree (its settings are read from it), the
    revision as typed (the output names it) and the format."""
    return (tree, OWN_SETTINGS, revision, fmt)


def diff_output(repo: str, spec: str, fmt: str, verbose: bool, repo_url: str | None) -> tuple[str, dict[str, int]] | None:
    """(output, exit code per --fail-on level) stored for this diff, or None."""
    base, head, from_merge_base = split_range(spec)
    if not head:
        return None  # the working tree is never stored
    if from_merge_base:
        found = _rev_parse(repo, [f"{base}^{{commit}}", f"{head}^{{commit}}", f"{head}^{{commit}}^{{tree}}"])
        if found is None:
            return None
        cache, (base_commit, head_commit, head_tree) = found
        common = _git(repo, "merge-base", base_commit, head_commit)
        base_tree = _git(repo, "rev-parse", "--verify", "--quiet", f"{common}^{{tree}}") if common else None
        if not (base_tree and _OBJECT_ID.fullmatch(base_tree)):
            return None
    else:
        found = _rev_parse(repo, [f"{base}^{{commit}}^{{tree}}", f"{head}^{{commit}}^{{tree}}"])
        if found is None:
            return None
        cache, (base_tree, head_tree) = found
    parts = diff_output_parts(report_parts(base_tree, head_tree, HEAD_SETTINGS, spec), fmt, verbose, repo_url)
    return _stored(cache, DIFF_OUTPUT, parts)


def inventory_output(repo: str, revision: str, fmt: str) -> tuple[str, dict[str, int]] | None:
    found = _rev_parse(repo, [f"{revision}^{{commit}}^{{tree}}"])
    if found is None:
        return None
    cache, (tree,) = found
    return _stored(cache, INVENTORY_OUTPUT, inventory_output_parts(tree, revision, fmt))


def _stored(cache: Cache, namespace: str, parts: tuple[str, ...]):
    value = cache.get(namespace, *parts)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], dict):
        return value
    return None


def _rev_parse(repo: str, revisions: list[str]) -> tuple[Cache, list[str]] | None:
    """The cache (its directory from the environment or the git common dir) and the
    object ids of `revisions`, from one `git rev-parse`; None if anything is off (the
    full command line then reports it in its own words)."""
    if any(r.startswith("-") for r in revisions):
        return None
    from_env = os.environ.get(ENV_VAR)
    out = _git(repo, "rev-parse", *([] if from_env else ["--git-common-dir"]), *revisions)
    lines = out.split("\n") if out else []
    if len(lines) != len(revisions) + (0 if from_env else 1):
        return None
    directory = Path(from_env) if from_env else directory_in(Path(repo), lines.pop(0))
    if not all(_OBJECT_ID.fullmatch(line) for line in lines):
        return None
    return Cache(directory), lines


def _git(repo: str, *args: str) -> str | None:
    """The stripped output of a git command, None when it fails."""
    try:
        proc = subprocess.run(gitcmd.command(repo, *args), capture_output=True, check=False, env=gitcmd.environment())
    except OSError:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape").strip() if proc.returncode == 0 else None
