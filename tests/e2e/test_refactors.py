"""A pure refactor of CI must produce no loss: reorder, rename an array, move a step,
relabel it, change its timeout, add an unrelated export."""

import json
import re
import subprocess
import sys
from pathlib import Path

import history
import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "fixtures" / "vllm_pd_split" / "base"
SWEEP = "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
DIST = ".buildkite/test_areas/distributed.yaml"


def reorder_entries(files):
    text = files[SWEEP]
    block = re.search(r"tp_configs=\(\n(.*?)\n\)", text, re.S)
    lines = block.group(1).splitlines()
    files[SWEEP] = text.replace(block.group(1), "\n".join(reversed(lines)))


def rename_array(files):
    files[SWEEP] = files[SWEEP].replace("tp_configs", "default_configs")


def move_step(files):
    text = files[DIST]
    start = text.index("- label: CrossLayer")
    end = text.index("- label: Hybrid SSM")
    files[DIST] = text[:start] + text[end:]
    files[".buildkite/test_areas/crosslayer.yaml"] = "group: Crosslayer\ndepends_on:\n  - image-build\nsteps:\n" + text[start:end]


def relabel_step(files):
    files[DIST] = files[DIST].replace("label: NixlConnector PD accuracy tests (4 GPUs)", "label: PD accuracy (NIXL, 4 GPUs)")


def change_timeout(files):
    files[DIST] = files[DIST].replace("timeout_in_minutes: 30", "timeout_in_minutes: 45")


def unrelated_export(files):
    files[DIST] = files[DIST].replace(
        "    - bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh",
        "    - export HF_HUB_DISABLE_PROGRESS_BARS=1\n    - bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh",
    )
    files[SWEEP] = files[SWEEP].replace("set -euo pipefail\n", "set -euo pipefail\nexport PYTHONUNBUFFERED=1\n", 1)


REFACTORS = [reorder_entries, rename_array, move_step, relabel_step, change_timeout, unrelated_export]


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file() and p.name != ".message"}


@pytest.mark.parametrize("refactor", REFACTORS + ["all"], ids=lambda r: r if isinstance(r, str) else r.__name__)
def test_refactor_gives_no_loss(refactor, tmp_path):
    repo = history.init_repo(tmp_path / "repo")
    files = tree(BASE)
    history.write_tree(repo, files)
    history.commit_all(repo, "base", tag="base")
    for step in REFACTORS if refactor == "all" else [refactor]:
        step(files)
    history.write_tree(repo, files)
    history.commit_all(repo, "refactor", tag="head")
    result = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "base..head", "--repo", str(repo), "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = [f["kind"] for f in json.loads(result.stdout)["findings"]]
    assert not set(kinds) & {"silently-dropped", "removed", "narrowed", "changed"}, kinds
