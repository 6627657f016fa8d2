"""Every git call's command line and environment: git as a reader that runs nothing.

A repository's own configuration (`.git/config`, and whatever it includes) can name
programs for git to run: `core.fsmonitor` on any command that reads the index,
`gpg.program` when `log.showSignature` is on, pagers, diff drivers and textconv,
hooks, credential helpers and transports when an object is fetched lazily.  Settings
given with `-c` win over every configuration file, so each call turns those off; the
commands used (`rev-parse`, `ls-tree`, `ls-files`, `cat-file --batch`, `log --raw`,
`merge-base`, `symbolic-ref`) run no filter or diff driver.  The environment keeps
no `GIT_*` variable that picks another repository (`GIT_DIR`, `GIT_WORK_TREE`,
`GIT_INDEX_FILE`, `GIT_OBJECT_DIRECTORY`...) or adds configuration: `--repo` alone
says which repository is read.

This module stays light (os only): the stored-answer fast path uses it.
"""

from __future__ import annotations

import os

SAFE_CONFIG = (
    "core.fsmonitor=",  # empty: off, in git before and after 2.36 (where it became a bool)
    "core.untrackedCache=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "credential.helper=",  # empty: the list of helpers is reset
    "log.showSignature=false",  # `gpg.program` and friends stay unused
    "protocol.allow=never",  # no transport at all: a partial clone does not fetch missing objects
    "gc.auto=0",
    "maintenance.auto=false",
)

# Variables from the caller's environment that git may still see: where the user's own
# (trusted) configuration lives, where git's helpers are installed, how far to search.
KEPT = {"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_EXEC_PATH",
        "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"}


def command(repo, *args: str) -> list[str]:
    """`git -C repo ARGS` with the repository's executable settings neutralised."""
    cfg = [part for setting in SAFE_CONFIG for part in ("-c", setting)]
    return ["git", "--no-pager", *cfg, "-C", str(repo), *args]


def environment() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_") or name in KEPT}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_NO_LAZY_FETCH="1", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    env.pop("GIT_ASKPASS", None)
    return env


DUBIOUS = "detected dubious ownership"


def refusal(stderr: str, path) -> str | None:
    """A sentence for the user when git refused to read `path` at all (None otherwise)."""
    if DUBIOUS in stderr:
        return (f"git refuses to read {path}: the repository belongs to another user (\"dubious ownership\"). "
                f"If you trust it, run `git config --global --add safe.directory <its top directory>`; "
                f"coverage-diff never overrides that check")
    return None
