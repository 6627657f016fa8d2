"""Issue 20: inputs and surroundings that used to end in a traceback now end in one
clear line and the right exit code, and the analysis around them still runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD, GEMMA, area, step
from hostile_kit import build_repo, git, run_cli

BAD_NAME = b"tests/pd/caf\xe9-\xff\xfe.sh"


@pytest.fixture(scope="module")
def badly_named(tmp_path_factory):
    """A committed file whose name is not UTF-8, next to the gemma-3 loss."""
    root = tmp_path_factory.mktemp("names")
    repo = build_repo(root / "repo", [("base", CORE_BASE), ("head", CORE_HEAD)])
    blob = git(repo, "hash-object", "-w", "--stdin", input=b"#!/bin/bash\npytest latin.py\n")
    subprocess.run(["git", "-C", str(repo), "update-index", "--add", "--cacheinfo", f"100644,{blob},{os.fsdecode(BAD_NAME)}"],
                   check=True)
    area_file = ".buildkite/test_areas/latin.yaml"
    (repo / area_file).write_text(area(step("latin", "pytest plain.py", "bash pd/caf\\xe9.sh")))
    git(repo, "add", area_file)
    git(repo, "commit", "-q", "-m", "a name that is not UTF-8")
    git(repo, "tag", "bad-name")
    (repo / os.fsdecode(BAD_NAME)).write_bytes(b"#!/bin/bash\npytest latin.py\n")  # and in the working tree
    return repo


@pytest.mark.parametrize("args, code", [
    (["base..bad-name"], 1),
    (["base"], 1),  # the working tree
    (["inventory", "bad-name"], 0),
    (["inventory", "."], 0),
    (["audit", "bad-name"], None),
    (["audit", "--since", "base"], None),
    (["explain", "bad-name", "gemma"], 0),
    (["graph", "bad-name", "--format", "graphml"], 0),
])
def test_a_file_name_that_is_not_utf8_crashes_no_command(badly_named, args, code):
    result = run_cli([*args, "--repo", str(badly_named)])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.code in ((0, 1) if code is None else (code,)), result.stderr
    if args[0].startswith("base"):
        assert "gemma-3-4b-it" in result.stdout
    if args[0] == "inventory":
        assert "plain.py" in result.stdout


def test_the_name_keeps_its_bad_bytes_as_escapes(badly_named):
    from coverage_diff.snapshot import BlobReader, Snapshot

    reader = BlobReader(badly_named)
    try:
        for snapshot in (Snapshot.at(badly_named, "bad-name", reader), Snapshot.worktree(badly_named)):
            assert "tests/pd/caf\\xe9-\\xff\\xfe.sh" in snapshot.files
            assert snapshot.read("tests/pd/caf\\xe9-\\xff\\xfe.sh").startswith(b"#!/bin/bash")
    finally:
        reader.close()
    for args in (["inventory", "bad-name"], ["base..bad-name"]):
        report = run_cli([*args, "--repo", str(badly_named), "--format", "json"]).report
        named = [d for d in report["diagnostics"] if d["path"] == "tests/pd/caf\\xe9-\\xff\\xfe.sh"]
        assert named and named[0]["line"] == 1 and "not valid UTF-8" in named[0]["message"], report["diagnostics"]


def cli(repo: Path, *args: str, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coverage_diff.cli", *args, "--repo", str(repo)], text=True,
                          env={**os.environ, **(env or {})}, **kw)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    label = "Prüfung → ✓"  # non-ASCII in the report
    head = {**CORE_HEAD, ".buildkite/test_areas/umlaut.yaml": area(step(label, "pytest umlaut.py"))}
    return build_repo(tmp_path_factory.mktemp("plain") / "repo", [("base", CORE_BASE), ("head", head)])


@pytest.mark.parametrize("cached", [True, False], ids=["stored-answer", "computed"])
def test_output_into_a_missing_directory(plain, tmp_path, cached):
    if cached:
        cli(plain, "base..head", capture_output=True)
    target = tmp_path / "no" / "such" / "dir" / "report.txt"
    proc = cli(plain, "base..head", "--output", str(target), *([] if cached else ["--no-cache"]), capture_output=True)
    assert proc.returncode == 2
    assert proc.stderr == f"coverage-diff: error: cannot write the report to {target}: No such file or directory\n"


@pytest.mark.parametrize("cached", [True, False], ids=["stored-answer", "computed"])
def test_closed_stdout_and_a_full_disk(plain, cached):
    if cached:
        cli(plain, "base..head", capture_output=True)
    extra = [] if cached else ["--no-cache"]
    closed = cli(plain, "base..head", *extra, stdout=None, stderr=subprocess.PIPE, pass_fds=(),
                 preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2 and "cannot write the report to standard output" in closed.stderr
    assert "Traceback" not in closed.stderr
    with open("/dev/full", "w") as full:
        proc = cli(plain, "base..head", *extra, stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 2 and "No space left on device" in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "json"])
def test_an_ascii_only_output_encoding(plain, fmt):
    proc = cli(plain, "base..head", "--format", fmt, "--verbose", "--no-cache", capture_output=True,
               env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "gemma-3-4b-it" in proc.stdout
    assert proc.stdout.isascii()
