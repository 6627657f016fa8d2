"""A small, real GitHub REST server for the bot's tests (stdlib http.server, 127.0.0.1).

It implements the three issue-comment endpoints the bot uses, with `Link`
pagination, bearer-token checking and GitHub-shaped errors, and it can be
told to answer the next requests with scripted statuses (rate limits...).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BOT = "github-actions[bot]"
TOKEN = "ghs_TESTtoken0123456789abcdefSECRET"  # what the tests send; it must never be printed


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None


@dataclass
class Scripted:
    status: int
    headers: dict = field(default_factory=dict)
    body: object = None
    method: str | None = None  # only for this method; None for any


class FakeGitHub:
    def __init__(self, token: str, *, prefix: str = "", page_size: int = 30, repos=("octo/vllm",)):
        self.token, self.prefix, self.page_size = token, prefix, page_size
        self.repos = set(repos)
        self.comments: dict[tuple[str, int], list[dict]] = {}
        self.requests: list[Seen] = []
        self.script: list[Scripted] = []
        self.always: Scripted | None = None
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"

    def __enter__(self) -> "FakeGitHub":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def add_comment(self, repo: str, pr: int, body: str, login: str = "someone") -> dict:
        with self._lock:
            self._next_id += 1
            comment = {"id": self._next_id, "body": body, "user": {"login": login},
                       "html_url": f"https://github.example/{repo}/pull/{pr}#issuecomment-{self._next_id}"}
            self.comments.setdefault((repo, pr), []).append(comment)
            return comment

    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    # -- request handling ------------------------------------------------------------------------

    def _handler(self):
        github = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PATCH(self):
                self._serve("PATCH")

            def _serve(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                body = json.loads(raw) if raw else None
                github.requests.append(Seen(method, parts.path, parse_qs(parts.query), dict(self.headers), body))
                status, headers, payload = github._answer(method, parts.path, parse_qs(parts.query), body,
                                                          self.headers.get("Authorization", ""))
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _answer(self, method, path, query, body, authorization):
        scripted = self._scripted(method)
        if scripted:
            return scripted.status, scripted.headers, scripted.body
        if authorization != f"Bearer {self.token}":
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        if not path.startswith(self.prefix + "/repos/"):
            return 404, {}, {"message": "Not Found"}
        path = path[len(self.prefix):]
        listing = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path)
        single = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path)
        repo = (listing or single).group(1) if (listing or single) else None
        if repo not in self.repos:
            return 404, {}, {"message": "Not Found"}
        if listing and method == "GET":
            return self._page(repo, int(listing.group(2)), query)
        if listing and method == "POST":
            return 201, {}, self.add_comment(repo, int(listing.group(2)), body["body"], BOT)
        if single and method == "PATCH":
            for comment in (c for cs in self.comments.values() for c in cs):
                if comment["id"] == int(single.group(2)):
                    comment["body"] = body["body"]
                    return 200, {}, comment
        return 404, {}, {"message": "Not Found"}

    def _scripted(self, method: str) -> Scripted | None:
        with self._lock:
            for i, item in enumerate(self.script):
                if item.method in (None, method):
                    return self.script.pop(i)
        if self.always and self.always.method in (None, method):
            return self.always
        return None

    def _page(self, repo: str, pr: int, query: dict):
        per_page = min(int(query.get("per_page", ["30"])[0]), self.page_size)
        page = int(query.get("page", ["1"])[0])
        items = self.comments.get((repo, pr), [])
        start = (page - 1) * per_page
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.url}/repos/{repo}/issues/{pr}/comments?per_page={per_page}"
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, items[start:start + per_page]
