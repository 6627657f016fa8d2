"""The `comment` command: present a finished `Report` as one sticky PR comment.

It computes nothing: the CLI runs the diff and hands over the report.  This
module reads the GitHub Actions environment (flags win over it), renders the
markdown and keeps exactly one comment per pull request up to date: created
on the first loss, edited in place afterwards, and, once a later push loses
nothing, edited to say so rather than left stale.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from .github import DEFAULT_API_URL, Comment, GitHubClient, GitHubError
from .model import Report
from .report import markdown
from .report.escape import terminal

MARKER = markdown.MARKER
_SHA = re.compile(r"[0-9a-f]{40}")


class EventError(ValueError):
    """GITHUB_EVENT_PATH is missing, unreadable, or not a pull-request event."""


def revisions_from_event(path: str) -> tuple[str, str, int]:
    """(base SHA, head SHA, PR number) from a `pull_request` / `pull_request_target` event file.

    The CLI compares `BASE...HEAD` (merge base to head), which is what the PR shows.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as exc:
        raise EventError(f"{path}: cannot read the GitHub event: {exc}") from None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pr, dict):
        raise EventError(f"{path}: not a pull_request event (pass --pr, and the revisions, explicitly)")
    try:
        base, head, number = pr["base"]["sha"], pr["head"]["sha"], pr["number"]
    except (KeyError, TypeError):
        raise EventError(f"{path}: the pull_request lacks base.sha, head.sha or number") from None
    if not (isinstance(base, str) and _SHA.fullmatch(base) and isinstance(head, str) and _SHA.fullmatch(head)):
        raise EventError(f"{path}: base.sha / head.sha are not commit ids")
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise EventError(f"{path}: pull_request.number is not a positive integer")
    return base, head, number


@dataclass(frozen=True)
class Outcome:
    action: str  # "created" | "updated" | "unchanged" | "none"
    comment: Comment | None = None


def post_comment(client: GitHubClient, repo: str, pr: int, body: str, *, clean: bool, head_sha: str | None = None,
                 author: str | None = None) -> Outcome:
    """Create, update or leave alone the one marked comment; a clean report never creates one."""
    existing = client.find_comment(repo, pr, MARKER, author)
    if clean:
        if existing is None:
            return Outcome("none")
        body = body.rstrip("\n") + "\n\n" + _resolved_note(head_sha) + "\n"
    if existing is None:
        return Outcome("created", client.create_comment(repo, pr, body))
    if existing.body == body:
        return Outcome("unchanged", existing)
    return Outcome("updated", client.update_comment(repo, existing.id, body))


def run_comment(report: Report, *, repo: str | None, pr: int | None, api_url: str | None, token: str | None,
                event_path: str | None, dry_run: bool, out: TextIO, err: TextIO | None = None,
                env: Mapping[str, str] | None = None, author: str | None = None,
                sleep: Callable[[float], None] = time.sleep, transport=None) -> int:
    """Post (or with `dry_run` print) the comment for `report`; 0 when done or when the token
    may not write (the report goes to the job summary and annotations), 2 when it could not be."""
    env = os.environ if env is None else env
    err = err or sys.stderr
    repo = repo or env.get("GITHUB_REPOSITORY") or None
    token = token or env.get("GITHUB_TOKEN") or None
    api_url = api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL
    author = comment_author(author, env)
    event_path = event_path or env.get("GITHUB_EVENT_PATH") or None
    head_sha = report.head if _SHA.fullmatch(report.head) else None
    if event_path:
        try:
            _, head_sha, event_pr = revisions_from_event(event_path)
            pr = pr or event_pr
        except EventError as exc:
            if pr is None:
                print(f"coverage-diff: {terminal(str(exc))}", file=err)
                return 2
    server = env.get("GITHUB_SERVER_URL") or "https://github.com"
    body = markdown.render(report, repo_url=f"{server.rstrip('/')}/{repo}" if repo else None, head_sha=head_sha)
    clean = markdown.is_clean(report)
    target = f"{repo or '?'}#{pr or '?'}"
    if dry_run:
        what = "update the existing comment, if any, to say so" if clean else "create or update the comment"
        print(f"coverage-diff: dry run: would {what} on {target}:\n", file=out)
        print(body, file=out, end="")
        return 0
    _append_step_summary(env, body)
    missing = [name for name, value in (("the repository (--github-repo or GITHUB_REPOSITORY)", repo),
                                        ("the pull request number (--pr or GITHUB_EVENT_PATH)", pr),
                                        ("a token (GITHUB_TOKEN)", token)) if not value]
    if missing:
        print(f"coverage-diff: cannot comment without {', '.join(missing)}", file=err)
        return 2
    try:
        with GitHubClient(token, api_url=api_url, sleep=sleep, transport=transport) as client:
            outcome = post_comment(client, repo, pr, body, clean=clean, head_sha=head_sha, author=author)
    except GitHubError as exc:
        message = terminal(str(exc)).replace(token, "***")
        if read_only(exc):
            _read_only_fallback(report, env, target, message, out)
            return 0
        print(f"coverage-diff: could not comment on {target}: {message}", file=err)
        return 2
    print(_describe(outcome, target), file=out)
    return 0


ACTIONS_BOT = "github-actions[bot]"  # who GITHUB_TOKEN's comments are by


def comment_author(given: str | None, env: Mapping[str, str]) -> str | None:
    """Whose marked comment is the bot's: `given`, else COVERAGE_DIFF_COMMENT_AUTHOR (`*`: anyone's),
    else, in GitHub Actions, github-actions[bot], so a comment someone else starts with the
    marker is never taken for the bot's (and never makes it try to edit that comment)."""
    chosen = given or env.get("COVERAGE_DIFF_COMMENT_AUTHOR") or (ACTIONS_BOT if env.get("GITHUB_ACTIONS") == "true" else None)
    return None if chosen == "*" else chosen


def read_only(exc: GitHubError) -> bool:
    """GitHub refused to write with this token (a fork's read-only GITHUB_TOKEN, or a missing
    `pull-requests: write`), as opposed to a rate limit that did not clear in time."""
    return exc.status == 403 and "rate limit" not in str(exc).lower()


def _read_only_fallback(report: Report, env: Mapping[str, str], target: str, message: str, out: TextIO) -> None:
    """The comment cannot be posted: the report is in the job summary already; add the
    annotations (unless the action's own step printed them) and one warning.  Not an error:
    whether the job fails is for `--fail-on` alone, so a fork's pull request is not red
    only because its token is read-only."""
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    if in_actions and env.get("COVERAGE_DIFF_ANNOTATED") != "true":
        from .report import github

        print(github.render(report), file=out, end="")
    note = (f"could not comment on {target} with a read-only token (a fork's pull request?); "
            "the report is in the job summary and the annotations")
    if in_actions:
        print(f"::warning title=coverage-diff::{note}", file=out)
    print(f"coverage-diff: {note}: {message}", file=out)


def _resolved_note(head_sha: str | None) -> str:
    at = f" as of `{head_sha[:12]}`" if head_sha else ""
    return f"_This comment reported lost test configurations earlier; there are none{at}._"


def _describe(outcome: Outcome, target: str) -> str:
    url = f": {outcome.comment.url}" if outcome.comment and outcome.comment.url else ""
    return {
        "created": f"coverage-diff: created the comment on {target}{url}",
        "updated": f"coverage-diff: updated the comment on {target}{url}",
        "unchanged": f"coverage-diff: the comment on {target} is already up to date{url}",
        "none": f"coverage-diff: nothing lost and no earlier comment on {target}: nothing posted",
    }[outcome.action]


def _append_step_summary(env: Mapping[str, str], body: str) -> None:
    """Also show the comment on the run's summary page (it works on fork PRs too)."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(body + "\n")
    except OSError:
        pass  # a summary is a convenience; the comment is what matters
