"""github.GitHubClient against a real local HTTP server."""

from __future__ import annotations

import logging

import pytest

from github_server import TOKEN
from coverage_diff.github import GitHubClient, GitHubError
from github_server import BOT, FakeGitHub, Scripted

REPO = "octo/vllm"
MARKER = "<!-- coverage-diff:comment -->"


def client(server: FakeGitHub, sleeps, token: str = TOKEN, **kw) -> GitHubClient:
    return GitHubClient(token, api_url=server.url, sleep=sleeps, **kw)


def test_requests_carry_the_token_only_in_the_authorization_header(github, sleeps):
    with client(github, sleeps) as gh:
        gh.create_comment(REPO, 7, "hello")
    [seen] = github.requests
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["Accept"] == "application/vnd.github+json"
    assert TOKEN not in seen.path and TOKEN not in str(seen.query) and TOKEN not in str(seen.body)
    assert TOKEN not in repr(gh)


def test_pagination_follows_link_headers_to_the_marked_comment(github, sleeps):
    for i in range(5):
        github.add_comment(REPO, 7, f"review {i}")
    ours = github.add_comment(REPO, 7, MARKER + "\nold", BOT)
    github.add_comment(REPO, 7, "later")
    with client(github, sleeps) as gh:
        assert len(list(gh.comments(REPO, 7))) == 7
        found = gh.find_comment(REPO, 7, MARKER)
    assert found is not None and found.id == ours["id"]
    pages = [r.query.get("page", ["1"])[0] for r in github.requests if r.method == "GET"]
    assert pages == ["1", "2", "3", "4", "1", "2", "3"]  # the search stops on the page that has it


def test_marker_must_start_the_body_and_author_filters(github, sleeps):
    github.add_comment(REPO, 7, f"quoting you: {MARKER}")
    impostor = github.add_comment(REPO, 7, MARKER + " mine", "mallory")
    ours = github.add_comment(REPO, 7, MARKER + " bot", BOT)
    with client(github, sleeps) as gh:
        assert gh.find_comment(REPO, 7, MARKER).id == impostor["id"]
        assert gh.find_comment(REPO, 7, MARKER, author=BOT).id == ours["id"]
        assert gh.find_comment(REPO, 8, MARKER) is None


@pytest.mark.parametrize("status, expected", [
    (401, "GITHUB_TOKEN"),
    (403, "pull-requests: write"),
    (404, "--github-repo OWNER/NAME"),
])
def test_error_statuses_explain_what_to_change(github, sleeps, status, expected):
    github.script.append(Scripted(status, {}, {"message": {401: "Bad credentials", 403: "Resource not accessible by integration", 404: "Not Found"}[status]}))
    with client(github, sleeps) as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(REPO, 7, "x")
    assert caught.value.status == status
    assert expected in str(caught.value) and f"failed with {status}" in str(caught.value)
    assert sleeps == []  # not retried


def test_wrong_token_is_a_401_from_the_server(github, sleeps):
    with client(github, sleeps, token="ghp_wrong") as gh, pytest.raises(GitHubError) as caught:
        list(gh.comments(REPO, 7))
    assert caught.value.status == 401 and "Bad credentials" in str(caught.value)


def test_unknown_repository_is_404(github, sleeps):
    with client(github, sleeps) as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment("octo/other", 7, "x")
    assert caught.value.status == 404


def test_422_carries_github_validation_errors(github, sleeps):
    github.script.append(Scripted(422, {}, {"message": "Validation Failed", "errors": [
        {"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}]}))
    with client(github, sleeps) as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(REPO, 7, "x")
    assert caught.value.status == 422
    assert "Validation Failed" in str(caught.value) and "body is too long" in str(caught.value)


def test_429_with_retry_after_is_waited_out_then_succeeds(github, sleeps):
    github.script.append(Scripted(429, {"Retry-After": "3"}, {"message": "rate limited"}))
    with client(github, sleeps) as gh:
        comment = gh.create_comment(REPO, 7, "x")
    assert comment.body == "x" and sleeps == [3.0]
    assert github.methods() == ["POST", "POST"]


def test_secondary_rate_limit_waits_until_reset(github, sleeps):
    github.script.append(Scripted(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1005"},
                                  {"message": "API rate limit exceeded"}))
    github.script.append(Scripted(403, {}, {"message": "You have exceeded a secondary rate limit."}))
    with client(github, sleeps, clock=lambda: 1000.0) as gh:
        gh.create_comment(REPO, 7, "x")
    assert sleeps == [5.0, 60.0]


def test_retries_are_bounded(github, sleeps):
    github.always = Scripted(429, {"Retry-After": "1"}, {"message": "slow down"})
    with client(github, sleeps, max_attempts=3) as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(REPO, 7, "x")
    assert caught.value.status == 429 and "re-run the job later" in str(caught.value)
    assert sleeps == [1.0, 1.0] and len(github.requests) == 3


def test_a_wait_longer_than_allowed_gives_up_at_once(github, sleeps):
    github.always = Scripted(429, {"Retry-After": "3600"}, {"message": "slow down"})
    with client(github, sleeps, max_wait=30) as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(REPO, 7, "x")
    assert "3600 s" in str(caught.value) and sleeps == [] and len(github.requests) == 1


def test_unreachable_api_is_a_clear_error_after_bounded_retries(sleeps):
    server = FakeGitHub(TOKEN)
    url = server.url
    server._server.server_close()  # the port is now closed
    with GitHubClient(TOKEN, api_url=url, sleep=sleeps, max_attempts=2) as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(REPO, 7, "x")
    assert caught.value.status is None and "cannot reach" in str(caught.value)
    assert sleeps == [2.0]


def test_pagination_link_to_another_host_is_refused(github, sleeps):
    github.script.append(Scripted(200, {"Link": '<https://evil.example/steal?page=2>; rel="next"'}, []))
    with client(github, sleeps) as gh, pytest.raises(GitHubError, match="another host"):
        list(gh.comments(REPO, 7))


def test_enterprise_api_prefix(sleeps):
    with FakeGitHub(TOKEN, prefix="/api/v3", page_size=1) as server:
        server.add_comment(REPO, 3, "first")
        ours = server.add_comment(REPO, 3, MARKER, BOT)
        with GitHubClient(TOKEN, api_url=server.url + "/", sleep=sleeps) as gh:
            assert gh.find_comment(REPO, 3, MARKER).id == ours["id"]
        assert all(r.path.startswith("/api/v3/repos/") for r in server.requests)


def test_token_never_reaches_logs_or_errors(github, sleeps, caplog, capsys):
    # A hostile or buggy server that echoes the token back in its error message.
    github.script.append(Scripted(401, {}, {"message": f"Bad credentials: {TOKEN}"}))
    caplog.set_level(logging.DEBUG)
    with client(github, sleeps) as gh:
        with pytest.raises(GitHubError) as caught:
            gh.create_comment(REPO, 7, "x")
        gh.create_comment(REPO, 7, "y")
    captured = capsys.readouterr()
    assert "***" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), caplog.text, captured.out, captured.err):
        assert TOKEN not in text
    assert caplog.records  # httpx/httpcore did log: the check above is not vacuous


def test_bad_repository_names_never_reach_the_network(github, sleeps):
    with client(github, sleeps) as gh:
        for name in ("../../user", "octo", "octo/vllm/../x", "octo/.."):
            with pytest.raises(GitHubError, match="OWNER/NAME"):
                gh.create_comment(name, 7, "x")
    assert github.requests == []
