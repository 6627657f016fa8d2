"""Real git repositories with hostile content, and the real CLI run against them.

A repository is described as layers of files (path -> text, bytes, `Link` or
`Gitlink`); each layer becomes one tagged commit.  Symlinks and submodules are
written into the index with `git update-index --cacheinfo`, so they exist in
git exactly as a hostile pull request would store them (modes 120000 and
160000), whatever the file system of the test machine allows.

Heavy runs go through a child process under RLIMIT_AS and a timeout: a hang
or a memory blow-up fails that one test instead of the whole suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Hostile Fixture",
    "GIT_AUTHOR_EMAIL": "hostile@example.invalid",
    "GIT_COMMITTER_NAME": "Hostile Fixture",
    "GIT_COMMITTER_EMAIL": "hostile@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_DATE": "2026-01-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T12:00:00Z",
}
MEMORY_LIMIT = 1024**3  # address space of a heavy child run: the 1 GB every hostile case must fit in (issue 20)
TIMEOUT = 180  # seconds: a safety net against hangs, never a speed assertion


@dataclass(frozen=True)
class Link:
    """A symlink stored in git (mode 120000) pointing at `target`."""

    target: str


@dataclass(frozen=True)
class Gitlink:
    """A submodule entry (mode 160000) naming a commit that is not in the repository."""

    commit: str = "1234567890abcdef1234567890abcdef12345678"


@dataclass(frozen=True)
class Huge:
    """A blob of `size` bytes, `line` repeated: written straight into git's object store as
    one zlib stream (1 GiB of repeated text is about a megabyte on disk), never held whole."""

    size: int
    line: str


def write_huge_blob(repo: Path, huge: Huge) -> str:
    import hashlib
    import zlib

    header = f"blob {huge.size}\0".encode()
    chunk = huge.line.encode() * ((1 << 20) // max(len(huge.line), 1))  # whole lines: the text repeats across chunks
    digest, packer = hashlib.sha1(header), zlib.compressobj(1)
    tmp = repo / ".git" / "objects" / "huge.tmp"
    with open(tmp, "wb") as out:
        out.write(packer.compress(header))
        left = huge.size
        while left > 0:
            piece = chunk[: min(left, len(chunk))]
            digest.update(piece)
            out.write(packer.compress(piece))
            left -= len(piece)
        out.write(packer.flush())
    sha = digest.hexdigest()
    target = repo / ".git" / "objects" / sha[:2] / sha[2:]
    target.parent.mkdir(exist_ok=True)
    tmp.replace(target)
    return sha


Tree = dict  # path -> str | bytes | Link | Gitlink | Huge | None (None deletes)


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=input, capture_output=True, check=True, env={**os.environ, **GIT_ENV}
    )
    return proc.stdout.decode().strip()


def build_repo(root: Path, layers: list[tuple[str, Tree]]) -> Path:
    """One commit per (tag, files) layer; later layers add, replace or delete files."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for tag, files in layers:
        commit_layer(root, files, tag)
    return root


def commit_layer(repo: Path, files: Tree, tag: str) -> str:
    special: dict[str, Link | Gitlink | Huge] = {}
    for path, content in files.items():
        target = repo / path
        if content is None:
            subprocess.run(["git", "-C", str(repo), "rm", "-q", "-r", "--cached", "--ignore-unmatch", "--", path], check=True)
            if target.is_file() or target.is_symlink():
                target.unlink()
            continue
        if isinstance(content, (Link, Gitlink, Huge)):
            special[path] = content
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(repo, "add", "-A")
    for path, content in special.items():
        if isinstance(content, Huge):
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{write_huge_blob(repo, content)},{path}")
        elif isinstance(content, Link):
            blob = git(repo, "hash-object", "-w", "--stdin", input=content.target.encode())
            git(repo, "update-index", "--add", "--cacheinfo", f"120000,{blob},{path}")
        else:
            git(repo, "update-index", "--add", "--cacheinfo", f"160000,{content.commit},{path}")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"layer {tag}")
    git(repo, "tag", "-f", tag)
    return git(repo, "rev-parse", "HEAD")


# --------------------------------------------------------------------------- running the CLI
@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)


def run_cli(args: list[str]) -> Outcome:
    """The real CLI in this process (light cases)."""
    from coverage_diff.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return Outcome(code, out.getvalue(), err.getvalue())


def _limit_memory() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli_isolated(args: list[str], timeout: float = TIMEOUT, cwd: Path | None = None) -> Outcome:
    """The real CLI in a child process with bounded memory and a timeout (heavy cases)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "coverage_diff.cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_limit_memory,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"coverage-diff {' '.join(args)} did not finish within {timeout}s (hang?)") from exc
    return Outcome(proc.returncode, proc.stdout, proc.stderr)
