"""The typer commands: parse arguments, call an analysis, pick a renderer, set the exit code.

`cli.main` is the entry point; it comes here unless the stored output of an identical
earlier command answers (`engine/stored.py`).  So a diff and an inventory store what they
printed, with their exit codes, whenever the cache is on.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
import typer.core

from .engine import stored
from .report import FORMATS

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    help="Which test configurations a CI change stops running, and why.  A first argument that is not a command is a "
         "revision range (`coverage-diff main...HEAD`); `coverage-diff --version` prints the version.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _argument_help_type(self, ctx):
    """Help shows an argument by its metavar alone: typer would add its Python type
    (`[REV] QUERY <list[str]>`), which says nothing to a user."""
    return None if self.metavar else _TYPER_ARGUMENT_TYPE(self, ctx)


_TYPER_ARGUMENT_TYPE = typer.core.TyperArgument.display_type_rich
typer.core.TyperArgument.display_type_rich = _argument_help_type

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


Format = Enum("Format", {name: name for name in FORMATS}, type=str)  # report/__init__.py's registry


class InventoryFormat(str, Enum):
    text = "text"
    json = "json"


class FailOn(str, Enum):
    error = "error"  # silently-dropped, narrowed (default)
    warning = "warning"  # ... and removed
    info = "info"  # any finding, moves and additions included
    never = "never"


RepoOption = typer.Option(Path("."), "--repo", "-C", metavar="PATH", help="Path inside the git repository to analyse.")
FormatOption = typer.Option(Format.text, "--format", "-f", metavar="FORMAT",
                            help="Output format: text, json (schema: coverage_diff/schema/report-v2.json), markdown, sarif, github (workflow annotations) or gitlab (Code Quality).")
OutputOption = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to this file instead of stdout.")
FailOnOption = typer.Option(FailOn.error, "--fail-on", metavar="SEVERITY",
                            help="Lowest severity that makes the exit code 1: error, warning, info or never. Acknowledged losses never count.")


def fail(message: str) -> typer.Exit:
    from .report.escape import terminal

    typer.echo(f"coverage-diff: error: {terminal(message)}", err=True)
    return typer.Exit(EXIT_ERROR)


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


ColorOption = typer.Option(Color.auto, "--color", metavar="auto|always|never",
                           help="Colour the text report: auto (on a terminal, unless NO_COLOR is set), always or never.")
QuietOption = typer.Option(False, "--quiet", "-q", help="Print only the verdict; the exit code says the rest.")


def emit(text: str, output: Optional[Path], fmt: str = "", color: "Color" = Color.auto, quiet: bool = False) -> None:
    """Print (or write) a report; a text report on stdout is wrapped and coloured for the terminal.
    A report that cannot be written is one line and exit 2 (`delivery.write_output`)."""
    from .delivery import write_output

    if output is None and fmt == "text":
        from .report.terminal import decorate, display

        text = decorate(text, display(color.value, quiet))
    write_output(text, output)


@contextmanager
def working(message: str, verbose: bool = False):
    """Progress on stderr for work that may take a while (report/terminal.py)."""
    from .report.terminal import working as show

    with show(message, verbose) as progress:
        yield progress


def exit_code(report, fail_on: FailOn) -> int:
    if fail_on is FailOn.never:
        return EXIT_OK
    if report.fails_incomplete:  # a head analysed in part, where it matters (gate.py)
        return EXIT_FINDINGS
    from .acknowledge import gating
    from .model import Severity

    threshold = Severity(fail_on.value).rank
    if any(f.severity.rank >= threshold for f in gating(report.findings)):
        return EXIT_FINDINGS
    # A CI file the analysis made no job of: whatever it would lose is unseen, an error not "OK".
    return EXIT_FINDINGS if any(d.blind for d in report.diagnostics) else EXIT_OK


class SettingsFrom(str, Enum):
    head = "head"
    base = "base"


ConfigOption = typer.Option(None, "--config", metavar="FILE",
                            help="Settings from this file (.coverage-diff.toml, or a pyproject.toml's [tool.coverage-diff]) instead of the repository's.")
class FailOnIncomplete(str, Enum):
    never = "never"
    downgraded = "downgraded"
    budget = "budget"
    cut = "cut"


FailOnIncompleteOption = typer.Option(
    None, "--fail-on-incomplete", metavar="LEVEL",
    help="When a head revision analysed only in part fails the gate: never, downgraded (a loss that is a warning only because the "
         "head's analysis was cut on its way), budget (that, or the head ran out of max-seconds, max-total-steps or a fan-out "
         "budget) or cut (any cut part). Default: the settings' fail-on-incomplete, else budget.")
SettingsFromOption = typer.Option(SettingsFrom.head, "--settings-from", metavar="head|base",
                                  help="Settings a diff uses: head (default: the base's, which the head may only make stricter) or base (the base's as they are).")


NoCacheOption = typer.Option(False, "--no-cache", help="Neither read nor write the persistent cache (COVERAGE_DIFF_CACHE_DIR places it).")
JobsOption = typer.Option(None, "--jobs", "-j", min=1, metavar="N",
                          help="Processes to analyse with (default: COVERAGE_DIFF_JOBS, else the usable cores, at most 8); 1 never forks.")


@contextmanager
def analysis(repo: Path, use_cache: bool = False, errors: tuple = (), jobs: int | None = None,
             config: Optional[Path] = None, settings_from: SettingsFrom = SettingsFrom.head,
             fail_on_incomplete: Optional[FailOnIncomplete] = None):
    """An open repository for one command: input errors become exit code 2, and the
    git processes are closed whatever happens.  `jobs`, `config`, `settings_from`,
    `fail_on_incomplete`: the options of those names."""
    from .engine.session import Session
    from .config import ConfigError, read_settings_file
    from .snapshot import GitError

    try:
        settings = read_settings_file(config) if config is not None else None
        session = Session(repo, settings, use_cache=use_cache, settings_from=settings_from.value, workers=jobs,
                          fail_on_incomplete=fail_on_incomplete.value if fail_on_incomplete else None)
    except (GitError, ConfigError) as exc:
        raise fail(str(exc)) from None
    try:
        yield session
    except (GitError, ConfigError, *errors) as exc:
        raise fail(str(exc).strip("\"'")) from None
    finally:
        session.close()


@app.command("diff")
def diff_command(
    revisions: Optional[str] = typer.Argument(None, metavar="[BASE..HEAD]", help="BASE..HEAD, BASE...HEAD (merge base) or REV (against the working tree); default: the default branch...HEAD."),
    repo: Path = RepoOption,
    fmt: Format = FormatOption,
    output: Optional[Path] = OutputOption,
    fail_on: FailOn = FailOnOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Explain moves, changes and additions too."),
    repo_url: Optional[str] = typer.Option(None, "--repo-url", metavar="URL", help="Web URL of the repository, for links in markdown."),
    no_cache: bool = NoCacheOption,
    jobs: Optional[int] = JobsOption,
    config: Optional[Path] = ConfigOption,
    settings_from: SettingsFrom = SettingsFromOption,
    fail_on_incomplete: Optional[FailOnIncomplete] = FailOnIncompleteOption,
    color: Color = ColorOption,
    quiet: bool = QuietOption,
) -> None:
    """Compare what CI runs at two revisions and explain every loss."""
    from .report import renderer

    with analysis(repo, use_cache=not no_cache, jobs=jobs, config=config, settings_from=settings_from,
                  fail_on_incomplete=fail_on_incomplete) as session:
        spec = revisions or session.default_range()
        with working(f"comparing {spec}", verbose):
            report = session.diff(spec)
        stored_as = session.report_key(spec)
    text = renderer(fmt.value)(report, verbose=verbose, repo_url=repo_url)
    if stored_as is not None and fail_on_incomplete is None:  # for `cli.main` to answer the same command again
        codes = {level.value: exit_code(report, level) for level in FailOn}
        session.cache.put(stored.DIFF_OUTPUT, (text, codes), *stored.diff_output_parts(stored_as, fmt.value, verbose, repo_url))
    emit(text, output, fmt.value, color, quiet)
    raise typer.Exit(exit_code(report, fail_on))


@app.command("inventory")
def inventory_command(
    revision: str = typer.Argument("HEAD", metavar="[REV]", help="Revision to inventory (default HEAD; '.' for the working tree)."),
    repo: Path = RepoOption,
    fmt: InventoryFormat = typer.Option(InventoryFormat.text, "--format", "-f", metavar="text|json", help="text or json."),
    output: Optional[Path] = OutputOption,
    no_cache: bool = NoCacheOption,
    jobs: Optional[int] = JobsOption,
    color: Color = ColorOption,
) -> None:
    """List what CI runs at a revision: every run, and every config entry no job reaches."""
    from .report import inventory as inventory_report

    with analysis(repo, use_cache=not no_cache, jobs=jobs) as session:
        with working(f"reading what CI runs at {revision}"):
            inventory = session.inventory(_rev(revision))
        stored_as = session.inventory_output_key(_rev(revision), fmt.value)
    text = inventory_report.render(inventory, fmt.value)
    if stored_as is not None:  # for `cli.main` to answer the same command again
        session.cache.put(stored.INVENTORY_OUTPUT, (text, {}), *stored_as)
    emit(text, output, fmt.value, color)


@app.command("comment")
def comment_command(
    revisions: Optional[str] = typer.Argument(None, metavar="[BASE..HEAD]", help="Default: BASE...HEAD of the pull request in GITHUB_EVENT_PATH."),
    repo: Path = RepoOption,
    github_repo: Optional[str] = typer.Option(None, "--github-repo", metavar="OWNER/NAME", help="OWNER/NAME (default GITHUB_REPOSITORY)."),
    pr: Optional[int] = typer.Option(None, "--pr", metavar="N", help="Pull request number (default from GITHUB_EVENT_PATH)."),
    api_url: Optional[str] = typer.Option(None, "--api-url", metavar="URL", help="GitHub API URL (default GITHUB_API_URL, else https://api.github.com)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the comment instead of posting it."),
    jobs: Optional[int] = JobsOption,
    config: Optional[Path] = ConfigOption,
    settings_from: SettingsFrom = SettingsFromOption,
) -> None:
    """Keep one sticky pull-request comment with the diff (token from GITHUB_TOKEN only)."""
    import os

    from .bot import EventError, revisions_from_event, run_comment

    if revisions is None:
        event = os.environ.get("GITHUB_EVENT_PATH")
        if not event:
            raise fail("give BASE..HEAD, or run in a pull_request workflow (GITHUB_EVENT_PATH)")
        try:
            base, head, _ = revisions_from_event(event)
        except EventError as exc:
            raise fail(str(exc)) from None
        revisions = f"{base}...{head}"
    with analysis(repo, use_cache=True, jobs=jobs, config=config, settings_from=settings_from) as session:
        report = session.diff(revisions)
    raise typer.Exit(run_comment(report, repo=github_repo, pr=pr, api_url=api_url, token=None, event_path=None,
                                 dry_run=dry_run, out=sys.stdout))


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


class GraphFormat(str, Enum):
    dot = "dot"
    mermaid = "mermaid"
    graphml = "graphml"
    json = "json"
    svg = "svg"


def _rev(revision: str) -> str:
    return "" if revision == "." else revision


@app.command("explain")
def explain_command(
    arguments: list[str] = typer.Argument(..., metavar="[REV] QUERY", help="Revision (default HEAD; '.' for the working tree), then a substring or glob of a config entry or test command, or PATH:LINE of an entry or guard."),
    base: Optional[str] = typer.Option(None, "--base", metavar="REV", help="Also show how the matches were reached at this revision."),
    limit: int = typer.Option(50, "--limit", min=1, metavar="N", help="Explain at most this many matches."),
    repo: Path = RepoOption,
    fmt: ExplainFormat = typer.Option(ExplainFormat.text, "--format", "-f", metavar="text|json", help="text or json."),
    output: Optional[Path] = OutputOption,
    jobs: Optional[int] = JobsOption,
) -> None:
    """Why a config entry or test runs at a revision (every path to it), or why not (blocking guards, fix)."""
    from .explain import explain
    from .report import explain as explain_report

    if len(arguments) > 2:
        raise fail("explain takes [REV] QUERY (quote a query that has spaces)")
    revision, query = (arguments[0], arguments[1]) if len(arguments) == 2 else ("HEAD", arguments[0])
    with analysis(repo, jobs=jobs) as session:
        head = session.inventory(_rev(revision))
        base_inventory = session.inventory(_rev(base), head.settings) if base is not None else None
        result = explain(head, query, base_inventory, limit=limit)
    emit(explain_report.render(result, fmt.value), output)
    if not result.subjects:
        raise fail(f"nothing matches {query!r}: no config entry, test command or guard at {revision}")


@app.command("graph")
def graph_command(
    revision: str = typer.Argument("HEAD", metavar="[REV]", help="Revision to draw (default HEAD; '.' for the working tree)."),
    focus: Optional[str] = typer.Option(None, "--focus", metavar="QUERY", help="Keep only the neighbourhood of what this query matches (as in explain)."),
    repo: Path = RepoOption,
    fmt: GraphFormat = typer.Option(GraphFormat.dot, "--format", "-f", metavar="FORMAT", help="dot, mermaid, graphml, json or svg (svg needs Graphviz)."),
    output: Optional[Path] = OutputOption,
    jobs: Optional[int] = JobsOption,
) -> None:
    """The coverage graph: jobs, commands, scripts, guard branches, arrays, entries and runs."""
    from . import graph as coverage_graph
    from .report import graph as graph_report

    with analysis(repo, jobs=jobs) as session:
        inventory = session.inventory(_rev(revision))
        g = coverage_graph.build_graph(inventory)
        matches = coverage_graph.match_nodes(g, focus) if focus is not None else None
        if matches == []:
            raise fail(f"--focus {focus!r} matches no config entry, test command or guard at {revision}")
        coverage_graph.add_blocking(g, inventory, matches)  # reads scripts: before the session closes
    if matches is not None:
        g = coverage_graph.focus(g, matches)
    try:
        emit(graph_report.render(g, fmt.value), output)
    except graph_report.GraphvizMissing as exc:
        raise fail(str(exc)) from None


@app.command("audit")
def audit_command(
    revision: str = typer.Argument("HEAD", metavar="[REV]", help="Revision to audit (default HEAD; '.' for the working tree)."),
    since: Optional[str] = typer.Option(None, "--since", metavar="REV|DATE", help="Walk first-parent history after this revision or date and report every loss, with the commit that introduced it."),
    until: str = typer.Option("HEAD", "--until", metavar="REV", help="Last revision of the --since walk."),
    repo: Path = RepoOption,
    fmt: Format = FormatOption,
    output: Optional[Path] = OutputOption,
    fail_on: FailOn = FailOnOption,
    baseline: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", help="Report only findings that are not in this baseline file."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", metavar="FILE", help="Write every current finding to this baseline file."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the persistent cache."),
    jobs: Optional[int] = JobsOption,
    rules: Optional[list[str]] = typer.Option(None, "--rule", metavar="RULE", help="Run only this rule (repeatable)."),
    repo_url: Optional[str] = typer.Option(None, "--repo-url", metavar="URL", help="Web URL of the repository, for links in markdown."),
    color: Color = ColorOption,
    quiet: bool = QuietOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say on stderr what is being analysed, also when stderr is not a terminal."),
) -> None:
    """Audit a revision (rules) or a range of history (--since) for tests CI never runs."""
    from . import baseline as baselines
    from .audit import audit_command_report
    from .report import audit_markdown, renderer

    if since is not None and rules:
        raise fail("--rule selects rules for an audit of one revision; --since reports losses along history (drop one of them)")
    with analysis(repo, use_cache=not no_cache, errors=(baselines.BaselineError, KeyError), jobs=jobs) as session:
        with working(f"walking history from {since} to {until}" if since is not None else f"auditing {revision}", verbose) as progress:
            report = audit_command_report(session, _rev(revision), since=since, until=until, rules=rules, progress=progress)
        if since is None and _rev(revision):  # links in markdown hold the commit, not a branch name
            from dataclasses import replace

            from .snapshot import resolve

            report = replace(report, head_commit=resolve(session.repo, _rev(revision)))
        if write_baseline is not None:
            baselines.write(report, write_baseline)
        if baseline is not None:
            report = baselines.only_new(report, baselines.read(baseline))
    render = audit_markdown.render if fmt is Format.markdown else renderer(fmt.value)
    emit(render(report, repo_url=repo_url), output, fmt.value, color, quiet)
    raise typer.Exit(exit_code(report, fail_on))
