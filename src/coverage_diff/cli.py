"""The command line.

    coverage-diff BASE..HEAD            (also BASE...HEAD, or REV against the working tree)
    coverage-diff inventory [REV]
    coverage-diff audit [REV] | explain [REV] QUERY | graph [REV] | comment BASE..HEAD

Exit codes: 0 nothing at or above --fail-on, 1 findings at that level, 2 usage or input error,
3 internal error (a one-line message; the traceback with -v or COVERAGE_DIFF_DEBUG=1).
`--version` prints the version; a first word that nearly spells a command (`invetory`)
is an error that names the command, not a revision.

`main` is the entry point (`entry`, for the console script, adds a quick exit).  A plain diff or inventory that an identical earlier command
already answered is printed from the stored output (`engine/stored.py`) without loading typer;
every other command line goes to the typer commands in `commands.py`, with the same
output and exit codes.  The typer app is importable from here too (`cli.app`).
"""

from __future__ import annotations

import os
import sys

from .delivery import say, write_output

EXIT_INTERNAL = 3
KNOWN_COMMANDS = {"diff", "inventory", "audit", "explain", "graph", "comment"}

# The options a stored answer understands, per command: option -> (name, takes a value).
_DIFF_OPTIONS = {
    "--repo": ("repo", True), "-C": ("repo", True),
    "--format": ("format", True), "-f": ("format", True),
    "--output": ("output", True), "-o": ("output", True),
    "--fail-on": ("fail_on", True),
    "--repo-url": ("repo_url", True),
    "--verbose": ("verbose", False), "-v": ("verbose", False),
    "--jobs": ("jobs", True), "-j": ("jobs", True),  # how, not what: a stored answer serves any value
}
_INVENTORY_OPTIONS = {k: v for k, v in _DIFF_OPTIONS.items() if v[0] in ("repo", "format", "output", "jobs")}


def entry() -> None:
    """The `coverage-diff` console script: `main` in a process tuned for one analysis.

    - The cyclic collector runs its full passes about 50 times less often.  An analysis
      keeps nearly everything it makes (outcomes, runs, frames) until it prints, and the
      interpreter makes few reference cycles, so the default full passes walked an
      ever larger heap to find next to nothing: 22% of a cold 300-commit audit's CPU,
      25% of a cold inventory's, with the same peak memory.
    - A quick exit: by the end of a cold analysis the process holds a few hundred
      thousand objects; freeing them one by one at interpreter shutdown took half a
      second, and nothing is left to do then: the output is written and flushed, and the
      persistent cache writes each entry whole before it returns."""
    import gc

    threshold, _, _ = gc.get_threshold()
    gc.set_threshold(threshold, 50, 100)
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # `sys.exit("message")`, as the interpreter would show it
        say(str(code))
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be shown
            pass
    import os

    os._exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: a first argument that is not a command is a revision range (`diff`)."""
    _tolerant_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from . import __version__

        print(f"coverage-diff {__version__}")
        raise SystemExit(0)
    only_help = bool(args) and all(a in ("-h", "--help") for a in args)
    mistyped = _mistyped_command(args)
    if mistyped:
        print(f"coverage-diff: error: no command {args[0]!r} (did you mean {mistyped!r}?); a revision range "
              f"looks like BASE..HEAD", file=sys.stderr)
        raise SystemExit(2)
    if not only_help and not any(a in KNOWN_COMMANDS for a in args):
        args.insert(0, "diff")
    answer = stored_answer(args)
    if answer is not None:
        _print(*answer)
    from .commands import app

    try:
        app(args=args, prog_name="coverage-diff")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - a defect of ours: one line and exit 3, never "losses found"
        internal_error(exc, show_traceback=any(a in ("-v", "--verbose") for a in args) or bool(os.environ.get("COVERAGE_DIFF_DEBUG")))


def internal_error(exc: BaseException, *, show_traceback: bool) -> None:
    """Report an internal error and exit with EXIT_INTERNAL (3)."""
    from .isolation import describe

    if show_traceback:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    hint = "" if show_traceback else " (run with -v or COVERAGE_DIFF_DEBUG=1 for the traceback)"
    try:
        print(f"coverage-diff: internal error: {describe(exc)}{hint}", file=sys.stderr)
    except (OSError, ValueError):
        pass
    raise SystemExit(EXIT_INTERNAL)


def _mistyped_command(args: list[str]) -> str | None:
    """The command a first word nearly spells (`invetory`), unless the word is a
    revision of the repository after all (a branch may be called `inventroy`)."""
    if not args or args[0].startswith("-") or args[0] in KNOWN_COMMANDS or any(c in args[0] for c in "./:^~@"):
        return None
    import difflib

    close = difflib.get_close_matches(args[0], sorted(KNOWN_COMMANDS), n=1, cutoff=0.75)
    if not close:
        return None
    import subprocess

    options = dict(zip(args, args[1:]))
    repo = options.get("--repo") or options.get("-C") or "."
    try:
        known = subprocess.run(["git", "-C", repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{args[0]}^{{commit}}"],
                               capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        known = False
    return None if known else close[0]


def stored_answer(args: list[str]) -> tuple[str, str | None, int] | None:
    """(output, --output file or None, exit code) of `diff RANGE` or `inventory [REV]`
    as an identical earlier command stored it; None when the command line is anything
    else (help, --no-cache, `--`, a repeated or bundled option...) or nothing is stored."""
    from .engine import stored

    if args[:1] == ["diff"]:
        parsed = _plain(args[1:], _DIFF_OPTIONS)
        if parsed is None or len(parsed[0]) != 1 or not parsed[0][0]:
            return None
        (spec,), options = parsed
        found = stored.diff_output(options.get("repo", "."), spec, options.get("format", "text"),
                                   options.get("verbose", False), options.get("repo_url"))
        code = found[1].get(options.get("fail_on", "error")) if found else None
    elif args[:1] == ["inventory"]:
        parsed = _plain(args[1:], _INVENTORY_OPTIONS)
        if parsed is None or len(parsed[0]) > 1:
            return None
        revision = parsed[0][0] if parsed[0] else "HEAD"
        options = parsed[1]
        if revision in ("", "."):
            return None  # the working tree
        found = stored.inventory_output(options.get("repo", "."), revision, options.get("format", "text"))
        code = 0
    else:
        return None
    if found is None or code is None:
        return None
    if not str(options.get("jobs", "1")).isdigit() or int(options.get("jobs", "1")) < 1:
        return None  # typer says what is wrong with it
    text = found[0]
    if options.get("format", "text") == "text" and options.get("output") is None:
        from .report.terminal import decorate, display  # wrapped and coloured, as the command would

        text = decorate(text, display())
    return text, options.get("output"), code


def _plain(words: list[str], known: dict[str, tuple[str, bool]]) -> tuple[list[str], dict] | None:
    """Positional arguments and option values of a plain command line: each known option
    at most once, as `--name value`, `-n value` or `--name=value`, no value starting with
    `-`; anything else is None (the typer commands handle it)."""
    positional: list[str] = []
    options: dict[str, object] = {}
    rest = iter(words)
    for word in rest:
        if not word.startswith("-"):
            positional.append(word)
            continue
        flag, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if flag not in known:
            return None
        name, takes_value = known[flag]
        if name in options or (eq and not takes_value):
            return None
        if takes_value and not eq:
            value = next(rest, None)
            if value is None:
                return None
        if takes_value and (not value or value.startswith("-")):
            return None
        options[name] = value if takes_value else True
    return positional, options


def _print(text: str, output: str | None, code: int) -> None:
    """Print (or write) a stored answer and exit as the typer command would have."""
    if output is not None:
        from pathlib import Path

        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError:
            return  # the typer command meets the same error and reports it
    else:
        write_output(text, None)
    raise SystemExit(code)


def _tolerant_streams() -> None:
    """Characters the output encoding lacks (PYTHONIOENCODING=ascii, a C locale) are
    written as escapes instead of stopping the run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


def __getattr__(name: str):
    """`cli.app` and the other names of the typer commands, loaded when first asked for
    (not for the import system's questions, such as whether this is a package)."""
    if not name.startswith("__"):
        from . import commands

        if hasattr(commands, name):
            return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    entry()
