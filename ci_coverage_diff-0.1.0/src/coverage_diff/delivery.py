"""Where a report goes: stdout or the `--output` file, and one-line messages on stderr.

Both `cli` (a stored answer) and `commands` (a fresh report) write through here; it
imports nothing of the package, so the fast path of `cli.main` stays light.
"""

from __future__ import annotations

import sys

EXIT_ERROR = 2


def write_output(text: str, output) -> None:
    """The report on stdout (flushed) or in the `--output` file.  When it cannot be
    written (a missing directory, a full disk, stdout closed) that is one line on stderr
    and exit 2; a pipe closed by its reader (`| head`) ends quietly with exit 1, as
    click does."""
    where = "standard output" if output is None else str(output)
    try:
        if output is not None:
            from pathlib import Path

            Path(output).write_text(text, encoding="utf-8")
        elif sys.stdout is None:
            raise OSError("standard output is closed")
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout, sys.stderr = _Pacified(sys.stdout), _Pacified(sys.stderr)
        raise SystemExit(1) from None
    except (OSError, ValueError) as exc:  # ValueError: a stream closed inside this process
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        say(f"coverage-diff: error: cannot write the report to {where}: {reason}")
        raise SystemExit(EXIT_ERROR) from None


def say(line: str) -> None:
    """One line on stderr, if there is a stderr."""
    try:
        if sys.stderr is not None:
            print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


class _Pacified:
    """stdout whose flush ignores a closed pipe (what click installs after EPIPE)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except BrokenPipeError:
            pass

    def __getattr__(self, attr: str):
        return getattr(self.wrapped, attr)
