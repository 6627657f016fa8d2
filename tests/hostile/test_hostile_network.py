"""Issue 20: whatever GitHub (or a proxy, or a misconfiguration) answers, `comment`
ends with one line and exit 2, never a traceback, and never echoes the token or
credentials written into --api-url."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))
from bot_reports import gemma_report  # noqa: E402

from coverage_diff.bot import run_comment  # noqa: E402
from coverage_diff.github import GitHubClient, GitHubError, public_url  # noqa: E402

TOKEN = "ghs_hostileTOKEN0123456789SECRET"
PASSWORD = "hunter2-in-the-url"


def comment(transport=None, api_url="https://api.github.example", env=None):
    out, err = io.StringIO(), io.StringIO()
    code = run_comment(gemma_report(), repo="octo/vllm", pr=7, api_url=api_url, token=TOKEN, event_path=None,
                       dry_run=False, out=out, err=err, env=env or {}, sleep=lambda s: None, transport=transport)
    return code, out.getvalue(), err.getvalue()


def answering(respond):
    return httpx.MockTransport(respond)


def bad_gzip(request):
    return httpx.Response(200, headers={"content-encoding": "gzip", "content-type": "application/json"},
                          content=b"\x1f\x8b\x08\x00 this is not a gzip stream")


def truncated_gzip(request):
    return httpx.Response(200, headers={"content-encoding": "gzip"}, content=gzip.compress(b"[" * 1000)[:20])


def rate_limited(reset: str):
    def respond(request):
        return httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
                              json={"message": "API rate limit exceeded"})
    return respond


def retry_after(value: str):
    def respond(request):
        return httpx.Response(429, headers={"retry-after": value}, json={"message": "slow down"})
    return respond


CASES = {
    "bad-gzip": (answering(bad_gzip), "unusable response"),
    "deep-json-in-gzip": (answering(truncated_gzip), "not a JSON"),
    "reset-not-a-number": (answering(rate_limited("soon")), "rate limit"),
    "reset-nan": (answering(rate_limited("nan")), "rate limit"),
    "reset-infinite": (answering(rate_limited("1e400")), "rate limit"),
    "retry-after-garbage": (answering(retry_after("Thu, 99 Zzz 99999 99:99:99 GMT")), "rate limit"),
    "retry-after-huge-date": (answering(retry_after("Fri, 31 Dec 9999 23:59:59 GMT")), "rate limit"),
    "not-json": (answering(lambda r: httpx.Response(200, content=b"<html>")), "not a JSON"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_answers_are_one_line_and_exit_2(name):
    transport, words = CASES[name]
    code, out, err = comment(transport)
    assert code == 2, (out, err)
    assert words.lower() in err.lower()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert TOKEN not in err + out


@pytest.mark.parametrize("url", [
    f"http://user:{PASSWORD}@[::1",  # does not parse
    f"ftp://user:{PASSWORD}@github.example/api",  # not http
    f"https://user:{PASSWORD}@",  # no host
    f"https://user:{PASSWORD}@github.example/api?x=1",
    "https://github.example/api v3",
    "",
])
def test_an_invalid_api_url_is_named_without_its_credentials(url):
    code, out, err = comment(api_url=url or "   ")
    assert code == 2, (out, err)
    assert "not a usable API URL" in err and "--api-url" in err
    assert PASSWORD not in err + out and TOKEN not in err + out and "Traceback" not in err


def test_credentials_in_a_reachable_looking_api_url_are_never_echoed():
    def refuse(request):
        raise httpx.ConnectError(f"cannot connect to {request.url}")

    code, out, err = comment(answering(refuse), api_url=f"https://bot:{PASSWORD}@127.0.0.1:9")
    assert code == 2 and "cannot reach https://***@127.0.0.1:9" in err
    assert PASSWORD not in err + out

    code, out, err = comment(answering(lambda r: httpx.Response(404, json={"message": f"no {r.url}"})),
                             api_url=f"https://bot:{PASSWORD}@github.example")
    assert code == 2 and PASSWORD not in err + out
    client = GitHubClient(TOKEN, api_url=f"https://bot:{PASSWORD}@github.example")
    assert PASSWORD not in repr(client)
    client.close()


def test_public_url():
    assert public_url("https://a:b@host/x") == "https://***@host/x"
    assert public_url("https://host/x") == "https://host/x"
    with pytest.raises(GitHubError):
        GitHubClient(TOKEN, api_url="javascript:alert(1)")


def test_in_github_actions_a_squatted_marker_is_ignored(tmp_path):
    """Someone posts a comment starting with the bot's marker; the bot (GITHUB_TOKEN) neither
    edits it (403) nor counts it as its own: it creates its own comment."""
    from coverage_diff.bot import MARKER

    seen = []

    def github(request):
        seen.append((request.method, request.url.path))
        if request.method == "GET":
            return httpx.Response(200, json=[{"id": 1, "body": MARKER + " squatted", "user": {"login": "mallory"},
                                              "html_url": "https://x/1"}])
        if request.method == "PATCH":
            return httpx.Response(403, json={"message": "Resource not accessible by integration"})
        return httpx.Response(201, json={"id": 2, "body": "ours", "user": {"login": "github-actions[bot]"},
                                         "html_url": "https://x/2"})

    code, out, err = comment(answering(github), env={"GITHUB_ACTIONS": "true"})
    assert code == 0, err
    assert ("POST", "/repos/octo/vllm/issues/7/comments") in seen and not any(m == "PATCH" for m, _ in seen)
    code, out, err = comment(answering(github), env={"GITHUB_ACTIONS": "true", "COVERAGE_DIFF_COMMENT_AUTHOR": "*"})
    # anyone's: the squatted comment is taken for the bot's, as before, and editing it is refused
    assert any(m == "PATCH" for m, _ in seen) and "could not comment" in out + err
