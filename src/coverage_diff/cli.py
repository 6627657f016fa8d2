"""The command line: parse arguments, call an analysis, pick a renderer, set the exit code.

    coverage-diff BASE..HEAD            (also BASE...HEAD, or REV against the working tree)
    coverage-diff inventory [REV]
    coverage-diff audit [REV] | explain [REV] QUERY | graph [REV] | comment BASE..HEAD

Exit codes: 0 nothing at or above --fail-on, 1 findings at that level, 2 usage or input error.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    help="Which test configurations a CI change stops running, and why.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"


class FailOn(str, Enum):
    error = "error"  # silently-dropped, narrowed (default)
    warning = "warning"  # ... and removed
    info = "info"  # any finding, moves and additions included
    never = "never"


RepoOption = typer.Option(Path("."), "--repo", "-C", help="Path inside the git repository to analyse.")
FormatOption = typer.Option(Format.text, "--format", "-f", help="Output format.")
OutputOption = typer.Option(None, "--output", "-o", help="Write the report to this file instead of stdout.")
FailOnOption = typer.Option(FailOn.error, "--fail-on", help="Lowest finding severity that makes the exit code 1.")


def fail(message: str) -> typer.Exit:
    from .report.escape import terminal

    typer.echo(f"coverage-diff: error: {terminal(message)}", err=True)
    return typer.Exit(EXIT_ERROR)


def emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


def exit_code(report, fail_on: FailOn) -> int:
    if fail_on is FailOn.never:
        return EXIT_OK
    from .model import Severity

    threshold = Severity(fail_on.value).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in report.findings) else EXIT_OK


def _session(repo: Path):
    from .api import Session
    from .snapshot import GitError

    try:
        return Session(repo)
    except GitError as exc:
        raise fail(str(exc)) from None


@app.command("diff")
def diff_command(
    revisions: str = typer.Argument(..., metavar="BASE..HEAD", help="BASE..HEAD, BASE...HEAD (merge base) or REV (against the working tree)."),
    repo: Path = RepoOption,
    fmt: Format = FormatOption,
    output: Optional[Path] = OutputOption,
    fail_on: FailOn = FailOnOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Explain moves, changes and additions too."),
    repo_url: Optional[str] = typer.Option(None, "--repo-url", help="Web URL of the repository, for links in markdown."),
) -> None:
    """Compare what CI runs at two revisions and explain every loss."""
    from .config import ConfigError
    from .report import renderer
    from .snapshot import GitError

    session = _session(repo)
    try:
        report = session.diff(revisions)
    except (GitError, ConfigError) as exc:
        raise fail(str(exc)) from None
    finally:
        session.close()
    emit(renderer(fmt.value)(report, verbose=verbose, repo_url=repo_url), output)
    raise typer.Exit(exit_code(report, fail_on))


@app.command("inventory")
def inventory_command(
    revision: str = typer.Argument("HEAD", metavar="[REV]", help="Revision to inventory (default HEAD; '.' for the working tree)."),
    repo: Path = RepoOption,
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
    output: Optional[Path] = OutputOption,
) -> None:
    """List what CI runs at a revision: every run, and every config entry no job reaches."""
    from .config import ConfigError
    from .report import inventory as inventory_report
    from .snapshot import GitError

    session = _session(repo)
    try:
        inventory = session.inventory("" if revision == "." else revision)
    except (GitError, ConfigError) as exc:
        raise fail(str(exc)) from None
    finally:
        session.close()
    if fmt not in (Format.text, Format.json):
        raise fail("inventory supports --format text or json")
    emit(inventory_report.render(inventory, fmt.value), output)


@app.command("comment")
def comment_command(
    revisions: Optional[str] = typer.Argument(None, metavar="[BASE..HEAD]", help="Default: BASE...HEAD of the pull request in GITHUB_EVENT_PATH."),
    repo: Path = RepoOption,
    github_repo: Optional[str] = typer.Option(None, "--github-repo", help="OWNER/NAME (default GITHUB_REPOSITORY)."),
    pr: Optional[int] = typer.Option(None, "--pr", help="Pull request number (default from GITHUB_EVENT_PATH)."),
    api_url: Optional[str] = typer.Option(None, "--api-url", help="GitHub API URL (default GITHUB_API_URL, else https://api.github.com)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the comment instead of posting it."),
) -> None:
    """Keep one sticky pull-request comment with the diff (token from GITHUB_TOKEN only)."""
    import os

    from .bot import EventError, revisions_from_event, run_comment
    from .config import ConfigError
    from .snapshot import GitError

    if revisions is None:
        event = os.environ.get("GITHUB_EVENT_PATH")
        if not event:
            raise fail("give BASE..HEAD, or run in a pull_request workflow (GITHUB_EVENT_PATH)")
        try:
            base, head, _ = revisions_from_event(event)
        except EventError as exc:
            raise fail(str(exc)) from None
        revisions = f"{base}...{head}"
    session = _session(repo)
    try:
        report = session.diff(revisions)
    except (GitError, ConfigError) as exc:
        raise fail(str(exc)) from None
    finally:
        session.close()
    raise typer.Exit(run_comment(report, repo=github_repo, pr=pr, api_url=api_url, token=None, event_path=None,
                                 dry_run=dry_run, out=sys.stdout))


KNOWN_COMMANDS = {"diff", "inventory", "audit", "explain", "graph", "comment"}


def main(argv: list[str] | None = None) -> None:
    """Entry point: a first argument that is not a command is a revision range (`diff`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    only_help = all(a in ("-h", "--help") for a in args)
    if not only_help and not any(a in KNOWN_COMMANDS for a in args):
        args.insert(0, "diff")
    app(args=args, prog_name="coverage-diff")


if __name__ == "__main__":  # pragma: no cover
    main()
