"""Security (issue 7): repository content is never executed or imported, reads
stay inside the repository as stored in git, and text a pull request controls
cannot drive the terminal or a renderer."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD, GEMMA, SWEEP, area, step, sweep
from hostile_kit import Link, build_repo, run_cli

# --------------------------------------------------------------------------- watching the process
_WATCH: list[tuple[str, tuple]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _WATCH is not None and event in ("open", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "import"):
        _WATCH.append((event, args))


sys.addaudithook(_audit)  # hooks cannot be removed: this one records only inside `watching()`


@contextlib.contextmanager
def watching():
    global _WATCH
    events: list[tuple[str, tuple]] = []
    _WATCH = events
    try:
        yield events
    finally:
        _WATCH = None


def opened(events) -> list[str]:
    return [os.fsdecode(args[0]) for event, args in events if event == "open" and isinstance(args[0], (str, bytes))]


def spawned(events) -> list[str]:
    found = []
    for event, args in events:
        if event == "subprocess.Popen":
            found.append(os.path.basename(os.fsdecode(args[0])))
        elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn"):
            found.append(repr(args))
    return found


# --------------------------------------------------------------------------- a repository that tries to run itself
def traps(sentinels: Path) -> dict[str, str]:
    """Files that create a sentinel if anything runs or imports them."""
    touch = f"touch {sentinels}/ran-$(basename $0)\n"
    py = f"import pathlib; pathlib.Path({str(sentinels)!r}, 'imported-' + __name__).touch()\n"
    return {
        "tests/pd/run_accuracy.sh": "#!/usr/bin/env bash\n" + touch + "python3 -m pytest -s pd/test_accuracy.py\n",
        "tests/pd/trap.sh": "#!/bin/bash\n" + touch + "pytest trap.py\n",
        ".buildkite/test_areas/trap.yaml": area(step("trap", f"touch {sentinels}/yaml-command", "bash pd/trap.sh")),
        "conftest.py": py,
        "setup.py": py,
        "sitecustomize.py": py,
        "coverage_diff/__init__.py": py,  # shadows the tool's own package if the repository were on sys.path
        "tests/pd/test_accuracy.py": py,
        ".coverage-diff.toml": "max-paths = 64\n",
        "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'trap'\n[tool.coverage-diff]\nmax-depth = 8\n",
        "trap.py": py,
    }


@pytest.fixture()
def trapped(tmp_path):
    sentinels = tmp_path / "sentinels"
    sentinels.mkdir()
    repo = build_repo(tmp_path / "repo", [("base", {**CORE_BASE, **traps(sentinels)}), ("head", CORE_HEAD)])
    return repo, sentinels


def test_nothing_from_the_repository_is_executed_or_imported(trapped):
    repo, sentinels = trapped
    with watching() as events:
        diff = run_cli(["base..head", "--repo", str(repo), "--format", "json"])
        worktree = run_cli(["base", "--repo", str(repo), "--format", "json"])  # base against the working tree
        inventory = run_cli(["inventory", "head", "--repo", str(repo), "--format", "json"])
    assert diff.code == 1 and worktree.code == 1 and inventory.code == 0, diff.stderr + worktree.stderr
    assert GEMMA in {f["subject"] for f in diff.report["findings"]}  # the analysis really ran
    assert "trap.py" in inventory.stdout  # and it saw the trap script's leaf command
    assert list(sentinels.iterdir()) == []
    assert set(spawned(events)) == {"git"}, spawned(events)
    imported = [m for m in list(sys.modules.values()) if str(getattr(m, "__file__", "") or "").startswith(str(repo))]
    assert imported == []


# --------------------------------------------------------------------------- paths confined to the repository
ESCAPES = [
    "source ../../outside/secret.sh",
    "source /etc/passwd",
    "bash ../../../../../../etc/passwd",
    "cd / && source etc/passwd",
    "cd ../.. && bash outside/secret.sh",
    "bash pd/link_out.sh",
    "bash pd/abs_link.sh",
    "source pd/linked_dir/secret.sh",
]


@pytest.fixture()
def escaping(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = sweep(["OUTSIDE_SECRET_ENTRY=leaked"], [])
    (outside / "secret.sh").write_text(secret)
    head = {
        **CORE_HEAD,
        "tests/pd/link_out.sh": Link(str(outside / "secret.sh")),
        "tests/pd/abs_link.sh": Link("/etc/passwd"),
        "tests/pd/linked_dir": Link(str(outside)),
        "tests/pd/escape.sh": "#!/bin/bash\n" + "".join(f"( {c} )\n" for c in ESCAPES),
        ".buildkite/test_areas/escape.yaml": area("".join(step(f"escape {i}", c) for i, c in enumerate(ESCAPES)) + step("script", "bash pd/escape.sh")),
    }
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", head)])
    # The same links on disk, for the working-tree snapshot.
    (repo / "tests/pd/link_out.sh").symlink_to(outside / "secret.sh")
    (repo / "tests/pd/abs_link.sh").symlink_to("/etc/passwd")
    (repo / "tests/pd/linked_dir").symlink_to(outside)
    return repo, outside


@pytest.mark.parametrize("spec", ["base..head", "base"], ids=["revisions", "working-tree"])
def test_reads_stay_inside_the_repository(escaping, spec):
    repo, outside = escaping
    with watching() as events:
        result = run_cli([spec, "--repo", str(repo), "--format", "json"])
        inventory = run_cli(["inventory", "." if spec == "base" else "head", "--repo", str(repo), "--format", "json"])
    assert result.code == 1, result.stderr
    assert GEMMA in {f["subject"] for f in result.report["findings"]}
    for output in (result.stdout, inventory.stdout):
        assert "OUTSIDE_SECRET_ENTRY" not in output
        assert "root:x:0:0" not in output
    reads = opened(events)
    assert not [p for p in reads if p.startswith(str(outside)) or p == "/etc/passwd"], reads


def test_escaping_paths_are_reported_not_followed(escaping):
    repo, _ = escaping
    report = run_cli(["base..head", "--repo", str(repo), "--format", "json"]).report
    notes = [f"{d['path']}:{d['line']}: {d['message']}" for d in report["diagnostics"]]
    notes += [f"{i['path']}:{i['line']}: {i['reason']}" for i in report["incomplete"]]
    text = "\n".join(notes)
    assert "tests/pd/link_out.sh is a symlink" in text
    assert "outside the repository" in text


# --------------------------------------------------------------------------- hostile text in every output format
ESC_LABEL = "\x1b[2J\x1b]0;pwned\x07<script>alert(1)</script> @everyone ::error::forged"
ESC_ENTRY = "MODEL_NAMES=\x1b[31mred\x1b[0m TP=9"


@pytest.fixture()
def shouting(tmp_path):
    label_yaml = '"\\e[2J\\e]0;pwned\\a<script>alert(1)</script> @everyone ::error::forged"'
    base_sweep = sweep([ESC_ENTRY.replace("\x1b", "\x1b"), GEMMA], [])
    head_sweep = sweep([], [ESC_ENTRY, GEMMA])
    base = {
        **CORE_BASE,
        SWEEP: base_sweep,
        ".buildkite/test_areas/loud.yaml": area(step(label_yaml, "pytest loud.py")),
        "tests/pd/\x1b[2Jloud.sh": "#!/bin/bash\npytest 'bad\x1b[2J'\n",
    }
    head = {SWEEP: head_sweep, ".buildkite/test_areas/loud.yaml": area(step(label_yaml, "pytest 'loud\x1b]0;x\x07.py' \"$(\"")) }
    return build_repo(tmp_path / "repo", [("base", base), ("head", head)])


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "github"])
def test_no_terminal_escape_passes_through(shouting, fmt):
    result = run_cli(["base..head", "--repo", str(shouting), "--format", fmt, "--verbose"])
    assert result.code == 1, result.stderr
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in result.stdout
        assert control not in result.stderr
    if fmt == "text":
        assert "MODEL_NAMES=[31mred" not in result.stdout  # whole sequences go, not just the ESC byte
        assert "red" in result.stdout and "gemma-3-4b-it" in result.stdout
    if fmt == "markdown":
        assert "<script>" not in result.stdout
        assert "@everyone" not in result.stdout
    if fmt == "github":
        assert not any(line.startswith("::error::forged") for line in result.stdout.splitlines())


def test_inventory_text_output_is_escaped_too(shouting):
    result = run_cli(["inventory", "head", "--repo", str(shouting)])
    assert result.code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
