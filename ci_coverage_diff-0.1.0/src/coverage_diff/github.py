"""The PR bot's only contact with GitHub: find, update or create one sticky comment.

A small REST client on httpx.  Pull-request comments are issue comments, so
three endpoints suffice: list (paginated through `Link` headers), create and
update.  Rate limits are waited out within fixed bounds, other failures become
a `GitHubError` that says what to change.  The token travels only in the
`Authorization` header: it is never logged, and it is scrubbed from any
message this module builds.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from . import __version__

DEFAULT_API_URL = "https://api.github.com"
MAX_PAGES = 100  # 10,000 comments: far beyond any real pull request
TRANSIENT = (500, 502, 503, 504)

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_HINTS = {
    401: "GitHub rejected the token: check that GITHUB_TOKEN (the action's `github-token` input) is set and valid",
    403: ("the token may not write comments here: give the workflow `permissions: pull-requests: write`; "
          "on pull requests from forks GITHUB_TOKEN is read-only (see docs/bot.md, the two-stage workflow)"),
    404: ("no such repository or pull request, or the token cannot see it: check --github-repo OWNER/NAME, "
          "--pr and, on GitHub Enterprise, --api-url / GITHUB_API_URL"),
    422: "GitHub refused the request as invalid (a body over 65,536 characters is one cause)",
    429: "GitHub's rate limit was hit and did not clear in time: re-run the job later",
}


class GitHubError(Exception):
    """A request GitHub refused, with the HTTP status (None when unreachable) and what to do."""

    def __init__(self, status: int | None, message: str, hint: str = ""):
        self.status = status
        self.hint = hint
        super().__init__(f"{message}: {hint}" if hint else message)


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str
    url: str


class GitHubClient:
    """Issue-comment endpoints of one GitHub (or GitHub Enterprise) API."""

    def __init__(self, token: str, *, api_url: str | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, max_attempts: int = 4, max_wait: float = 60.0,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None):
        if not token or any(c in token for c in "\r\n "):
            raise GitHubError(None, "no usable GitHub token", _HINTS[401])
        self._token = token
        self.api_url = _api_url(api_url or DEFAULT_API_URL)
        self.shown_url = public_url(self.api_url)
        self._sleep, self._clock = sleep, clock
        self._max_attempts, self._max_wait = max(1, max_attempts), max_wait
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": f"coverage-diff/{__version__}",
            },
            timeout=timeout, transport=transport, follow_redirects=False,
        )

    def __repr__(self) -> str:  # never show the token, nor credentials in the URL
        return f"GitHubClient(api_url={self.shown_url!r})"

    def __enter__(self) -> "GitHubClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- endpoints -------------------------------------------------------------------------------

    def comments(self, repo: str, pr: int) -> Iterator[Comment]:
        """Every comment of the pull request, oldest first, following `Link: rel="next"`."""
        url: str | None = f"{self._repo_url(repo)}/issues/{_number(pr)}/comments?per_page=100"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._request("GET", url)
            for item in _json(response, list):
                yield _comment(item)
            url = self._next_page(response)

    def find_comment(self, repo: str, pr: int, marker: str, author: str | None = None) -> Comment | None:
        """The first comment whose body starts with `marker` (by `author` when given)."""
        for comment in self.comments(repo, pr):
            if comment.body.lstrip().startswith(marker) and (author is None or comment.author.lower() == author.lower()):
                return comment
        return None

    def create_comment(self, repo: str, pr: int, body: str) -> Comment:
        url = f"{self._repo_url(repo)}/issues/{_number(pr)}/comments"
        return _comment(_json(self._request("POST", url, {"body": body}), dict))

    def update_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        url = f"{self._repo_url(repo)}/issues/comments/{_number(comment_id)}"
        return _comment(_json(self._request("PATCH", url, {"body": body}), dict))

    # -- transport -------------------------------------------------------------------------------

    def _repo_url(self, repo: str) -> str:
        if not _REPO.fullmatch(repo) or any(part in (".", "..") for part in repo.split("/")):
            raise GitHubError(None, f"not a repository name: {self._redact(repo)!r}", "expected OWNER/NAME")
        return f"{self.api_url}/repos/{repo}"

    def _request(self, method: str, url: str, body: dict | None = None) -> httpx.Response:
        what = f"{method} {httpx.URL(url).path}"
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._http.request(method, url, json=body)
            except httpx.TransportError as exc:
                if attempt == self._max_attempts:
                    raise GitHubError(None, f"{what}: cannot reach {self.shown_url}: {self._redact(str(exc))}") from None
                self._sleep(min(2.0 ** attempt, self._max_wait))
                continue
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a body that does not decode (bad gzip...), a bad URL
                raise GitHubError(None, f"{what}: unusable response from {self.shown_url}: "
                                        f"{type(exc).__name__}: {self._redact(str(exc))}") from None
            if response.is_success:
                return response
            wait = self._retry_delay(response, attempt)
            if wait is None or attempt == self._max_attempts:
                break
            if wait > self._max_wait:
                raise GitHubError(response.status_code,
                                  f"{what}: rate limited; GitHub asks to wait {wait:.0f} s, longer than the {self._max_wait:.0f} s allowed",
                                  _HINTS[429])
            self._sleep(wait)
        raise self._error(what, response)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when retrying cannot help."""
        status, headers = response.status_code, response.headers
        if status in TRANSIENT:
            return min(2.0 ** attempt, self._max_wait)
        if status not in (403, 429):
            return None
        if "retry-after" in headers:
            return _seconds(headers["retry-after"], self._clock())
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            reset = _finite(headers["x-ratelimit-reset"])
            return 60.0 if reset is None else max(1.0, reset - self._clock())  # an unreadable reset: GitHub's advice
        if status == 429 or "secondary rate limit" in response.text.lower():
            return 60.0  # GitHub's advice when it gives no figure: wait at least a minute
        return None

    def _error(self, what: str, response: httpx.Response) -> GitHubError:
        status = response.status_code
        detail = ""
        try:
            data = response.json()
            detail = str(data.get("message", "")) if isinstance(data, dict) else ""
            errors = data.get("errors") if isinstance(data, dict) else None
            if errors:
                detail += f" {errors}"
        except (ValueError, RecursionError):
            detail = response.text[:200]
        message = f"{what} failed with {status} {response.reason_phrase}" + (f" ({detail.strip()[:300]})" if detail.strip() else "")
        return GitHubError(status, self._redact(message), _HINTS.get(status, ""))

    def _next_page(self, response: httpx.Response) -> str | None:
        url = response.links.get("next", {}).get("url")
        if url is None:
            return None
        # The token goes with every request: follow only links to the same API.
        here, there = httpx.URL(self.api_url), httpx.URL(url)
        if (there.scheme, there.host, there.port) != (here.scheme, here.host, here.port):
            raise GitHubError(response.status_code, f"refusing to follow a pagination link to another host ({there.host})")
        return url

    def _redact(self, text: str) -> str:
        text = text.replace(self._token, "***")
        return text.replace(self.api_url, self.shown_url) if self.api_url != self.shown_url else text


def _api_url(text: str) -> str:
    """The API URL, checked: http(s), a host, nothing that makes it ambiguous."""
    try:
        url = httpx.URL(text.strip().rstrip("/"))
        usable = url.scheme in ("http", "https") and bool(url.host) and not url.query and not url.fragment
    except (httpx.InvalidURL, TypeError, ValueError):
        usable = False
    if not usable or any(c in text for c in "\r\n\t "):
        raise GitHubError(None, f"not a usable API URL: {public_url(text)!r}",
                          "give --api-url / GITHUB_API_URL as https://HOST[/api/v3]")
    return str(url)


def public_url(text: str) -> str:
    """A URL as it may be shown: user name and password replaced by `***`."""
    return re.sub(r"(?<=//)[^/@\s]*@", "***@", text)


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _seconds(retry_after: str, now: float) -> float:
    """`Retry-After` as seconds: a number or an HTTP date."""
    seconds = _finite(retry_after)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
    except (TypeError, ValueError, OverflowError):
        return 60.0


def _number(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise GitHubError(None, f"not a pull request or comment number: {value!r}")
    return value


def _json(response: httpx.Response, kind: type):
    try:
        data = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's stack
        data = None
    if not isinstance(data, kind):
        raise GitHubError(response.status_code, f"unexpected response from {response.request.url.path}: not a JSON {kind.__name__}")
    return data


def _comment(item: object) -> Comment:
    try:
        user = item.get("user") or {}
        return Comment(id=int(item["id"]), body=item.get("body") or "", author=user.get("login", ""),
                       url=item.get("html_url", ""))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise GitHubError(None, "unexpected response from GitHub: a comment without an id") from None
