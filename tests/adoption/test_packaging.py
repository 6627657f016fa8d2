"""The package as a release would ship it: `python -m build` makes an sdist and a wheel that
`twine check` accepts, with the license, the typing marker and the JSON schemas inside, and
without setuptools' deprecation warnings; the version is one number everywhere."""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import coverage_diff

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("build")
pytest.importorskip("twine")


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result.stdout + result.stderr


def test_build_has_no_deprecation_warning(dist):
    _, log = dist
    assert "deprecat" not in log.lower(), [line for line in log.splitlines() if "deprecat" in line.lower()]


def test_twine_check_is_clean(dist):
    out, _ = dist
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(out.iterdir()))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_wheel_contents_and_metadata(dist):
    out, _ = dist
    (wheel,) = out.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "coverage_diff/py.typed" in names and "coverage_diff/__main__.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    schemas = [n for n in names if n.startswith("coverage_diff/schema/") and n.endswith(".json")]
    assert schemas, "the JSON schema of --format json ships in the wheel"
    meta = email.message_from_bytes(zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Version"] == coverage_diff.__version__
    assert "Programming Language :: Python :: 3" in meta.get_all("Classifier")
    assert any(url.startswith("Source, ") for url in meta.get_all("Project-URL"))
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "coverage-diff = coverage_diff.cli:entry" in entry_points


def test_sdist_carries_the_license_and_the_sources(dist):
    out, _ = dist
    (sdist,) = out.glob("*.tar.gz")
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    assert {"LICENSE", "README.md", "pyproject.toml", "src/coverage_diff/__main__.py"} <= names


def test_version_and_module_entry():
    for command in ([sys.executable, "-m", "coverage_diff", "--version"], [sys.executable, "-m", "coverage_diff", "-V"]):
        result = subprocess.run(command, capture_output=True, text=True)
        assert (result.returncode, result.stdout) == (0, f"coverage-diff {coverage_diff.__version__}\n")


def test_license_is_the_apache_text():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text


def test_mistyped_command_names_the_command(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = subprocess.run([sys.executable, "-m", "coverage_diff", "invetory", "--repo", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "did you mean 'inventory'" in result.stderr
    # A revision that happens to look like a command is still a revision.
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "branch", "inventroy"], check=True)
    result = subprocess.run([sys.executable, "-m", "coverage_diff", "inventroy", "--repo", str(tmp_path)], capture_output=True, text=True)
    assert "did you mean" not in result.stderr
