"""What counts as a test: the runs a diff compares.

A run is a *subject* of a diff when it consumes a config entry (a sweep's
config), when its command is recognised as a test (a test runner, a test file
run directly, a repository program run in the foreground), or when the
settings name it (`test-commands`).  Everything else a job runs (locks, logins,
checksums, process bookkeeping, servers and proxies started in the background)
is setup: it stays in the inventory, for `explain` and `graph`, but losing it is
not a loss of coverage.
"""

from __future__ import annotations

import posixpath
import re

from .config import Settings
from .model import Run
from .words import without_leading_assignments

RUNNERS = frozenset({"pytest", "py.test", "ctest", "lm_eval", "lm-eval", "tox", "nox", "bats", "torchrun", "nosetests",
                     "jest", "vitest", "mocha", "phpunit", "rspec", "prove"})
PYTHON_MODULES = frozenset({"pytest", "unittest", "lm_eval", "torch.distributed.run", "torch.distributed.launch", "nose"})
# `tool subcommand` pairs that run a project's tests.
SUBCOMMANDS = {"cargo": {"test", "nextest", "tarpaulin"}, "go": {"test"}, "npm": {"test", "t"}, "yarn": {"test"},
               "pnpm": {"test"}, "make": {"test", "check", "tests"}, "dotnet": {"test"}, "mvn": {"test", "verify"},
               "gradle": {"test", "check"}, "./gradlew": {"test", "check"}, "bazel": {"test"}, "meson": {"test"}}
PYTHONS = re.compile(r"^python(\d+(\.\d+)?)?$")
TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_tests?\.[a-z]+$")
# Repository programs that set a build up: setup scripts in Python, and Autoconf's `configure`.
SETUP_PROGRAM = re.compile(r"(^|/)((setup|install|use_existing|download|build)[^/]*\.py|configure|config\.status)$")


def is_test(run: Run, settings: Settings) -> bool:
    if run.entries or run.entry is not None:
        return True
    argv = _command(run.argv)
    if not argv:
        return False
    if _named(argv, settings.test_commands):
        return True
    if run.background:  # a server or proxy the tests talk to
        return False
    program = posixpath.basename(argv[0])
    if _runs_a_runner(argv[:4]):  # `uv run pytest`, `$PYTHON_BIN -m pytest`, `timeout 600 ctest`
        return True
    if program in RUNNERS or any(_is_test_file(word) for word in argv[1:] if not word.startswith("-")):
        return True
    if len(argv) > 1 and argv[1] in SUBCOMMANDS.get(argv[0], SUBCOMMANDS.get(program, ())):
        return True
    if program in ("npm", "yarn", "pnpm") and argv[1:2] == ["run"]:
        return len(argv) > 2 and argv[2].startswith("test")
    if PYTHONS.match(program):
        return _python_test(argv[1:])
    # A repository program run in the foreground (`./build/run_tests`, `tests/check.sh` not followed).
    return "/" in argv[0] and not argv[0].startswith(("/", "$")) and not SETUP_PROGRAM.search(argv[0])


def _runs_a_runner(words: list[str]) -> bool:
    if any(posixpath.basename(w) in RUNNERS for w in words):
        return True
    return any(a == "-m" and b in PYTHON_MODULES for a, b in zip(words, words[1:]))


def _command(argv: tuple[str, ...]) -> list[str]:
    """argv without leading `NAME=value` words (an `env` prefix the interpreter kept)."""
    return without_leading_assignments(list(argv))


def _named(argv: list[str], commands: tuple[str, ...]) -> bool:
    for command in commands:
        wanted = command.split()
        if wanted and [posixpath.basename(argv[0]), *argv[1:len(wanted)]] == [posixpath.basename(wanted[0]), *wanted[1:]]:
            return True
    return False


def _python_test(args: list[str]) -> bool:
    """`python -m pytest ...`, `python tests/x.py`, `python examples/x.py` (a smoke test);
    not `python -c ...` or `python -`."""
    while args and args[0].startswith("-") and args[0] not in ("-m", "-c", "-"):
        args = args[1:]  # -u, -X dev, -W ...
    if not args or args[0] in ("-c", "-"):
        return False
    if args[0] == "-m":
        return len(args) > 1 and args[1] in PYTHON_MODULES
    return args[0].endswith(".py") and not args[0].startswith("/") and not SETUP_PROGRAM.search(args[0])


def _is_test_file(word: str) -> bool:
    path = word.split("::", 1)[0]
    return "/" in path and not path.startswith(("/", "$", "http")) and bool(TEST_FILE.search(path)) and "." in posixpath.basename(path)


# pytest options whose value is the next word (a word after them is not a test path).
PYTEST_VALUED = frozenset({"-k", "-m", "-p", "-c", "-o", "--ignore", "--ignore-glob", "--deselect", "--rootdir", "--confcutdir",
                           "--basetemp", "--junitxml", "--junit-xml", "--log-file", "--override-ini", "--cov", "--cov-config"})
# pytest-shard's options take an integer: an empty value is a usage error.
INTEGER_OPTIONS = ("--num-shards", "--shard-id")


def ran_nothing(run: Run, snapshot, settings: Settings) -> str | None:
    """Why `run` ran no test at the revision of `snapshot`, or None: pytest given a test file
    that is not there (or an empty shard number) stops with a usage error before running any
    test, and python given a script that is not there stops at once.  Only files whose
    directory tree the repository holds count (not one a job may make at run time)."""
    from .shell.paths import repo_path

    argv = _command(run.argv)
    if not argv or run.cwd == "?":
        return None
    program = posixpath.basename(argv[0])
    if PYTHONS.match(program):
        args = [w for w in argv[1:] if not w.startswith("-") or w == "-m"]
        if args[:2] == ["-m", "pytest"]:
            words = argv[argv.index("pytest") + 1:]
        elif args and args[0] != "-m":
            return _missing(args[0], run.cwd, snapshot, settings, repo_path)
        else:
            return None
    elif program in ("pytest", "py.test"):
        words = argv[1:]
    else:
        return None
    after_option = False
    for word in words:
        name, eq, value = word.partition("=")
        if eq and name in INTEGER_OPTIONS and not value:
            return f"`{word}` is not a number, a usage error for pytest"
        if not after_option and not word.startswith("-") and (word.endswith(".py") or ".py::" in word):
            missing = _missing(word.split("::", 1)[0], run.cwd, snapshot, settings, repo_path)
            if missing:
                return missing
        after_option = word in PYTEST_VALUED
    return None


def _missing(path: str, cwd: str, snapshot, settings: Settings, repo_path) -> str | None:
    if not path.endswith(".py") or path.startswith(("/", "$", "~")) or "*" in path:
        return None
    places = [p for p in dict.fromkeys([repo_path(path, "", settings), repo_path(path, cwd, settings)]) if p]
    if not places or any(snapshot.exists(p) or snapshot.is_dir(p) for p in places):
        return None
    if not any("/" in p and snapshot.is_dir(p.split("/", 1)[0]) for p in places):
        return None  # under a directory the repository does not have: made at run time, perhaps
    return f"{path} does not exist there"
