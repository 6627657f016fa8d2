"""Issue 20: git runs nothing the analysed repository configures, reads only the
repository `--repo` names, and says precisely why it cannot read one.

Each planted setting names a program that would create a marker file; the
commands that would trigger it (working-tree mode for `core.fsmonitor`, `audit
--since` over a signed commit for `log.showSignature`...) run, and the marker
must not appear.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD, GEMMA
from hostile_kit import GIT_ENV, build_repo, git, run_cli


def marker_program(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """(an executable that creates `marker-NAME` when run, that marker)."""
    marker = tmp_path / f"marker-{name}"
    program = tmp_path / f"run-{name}.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\ncat >/dev/null 2>&1\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, marker


def signed_commit(repo: Path) -> None:
    """A commit carrying a (fake) signature on top of HEAD: `log --show-signature`
    hands it to `gpg.program`."""
    head = git(repo, "rev-parse", "HEAD")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    body = (f"tree {tree}\nparent {head}\nauthor A <a@example.invalid> 1767268800 +0000\n"
            f"committer A <a@example.invalid> 1767268800 +0000\n"
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n =AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n")
    commit = git(repo, "hash-object", "-t", "commit", "-w", "--stdin", input=body.encode())
    git(repo, "update-ref", "refs/heads/main", commit)


SETTINGS = {
    "core.fsmonitor": "{program}",
    "core.pager": "{program}",
    "pager.log": "{program}",
    "gpg.program": "{program}",
    "gpg.ssh.program": "{program}",
    "gpg.x509.program": "{program}",
    "diff.external": "{program}",
    "credential.helper": "!{program}",
    "core.sshCommand": "{program}",
    "core.askPass": "{program}",
    "core.alternateRefsCommand": "{program}",
}


@pytest.fixture()
def planted(tmp_path):
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", CORE_HEAD)])
    signed_commit(repo)
    hooks = repo / ".git" / "hooks"
    markers = []
    for setting, value in SETTINGS.items():
        program, marker = marker_program(tmp_path, setting)
        git(repo, "config", setting, value.format(program=program))
        markers.append(marker)
    git(repo, "config", "log.showSignature", "true")
    git(repo, "config", "diff.sweep.textconv", str(marker_program(tmp_path, "textconv")[0]))
    git(repo, "config", "filter.sweep.clean", str(marker_program(tmp_path, "clean")[0]))
    git(repo, "config", "filter.sweep.smudge", str(marker_program(tmp_path, "smudge")[0]))
    git(repo, "config", "filter.sweep.process", str(marker_program(tmp_path, "process")[0]))
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* diff=sweep filter=sweep\n")
    for hook in ("post-checkout", "post-index-change", "pre-auto-gc", "reference-transaction", "fsmonitor-watchman"):
        program, marker = marker_program(tmp_path, hook)
        (hooks / hook).write_bytes(program.read_bytes())
        (hooks / hook).chmod(0o755)
        markers.append(marker)
    (repo / "tests/pd/sweep.sh").write_text((repo / "tests/pd/sweep.sh").read_text() + "# edited in the working tree\n")
    return repo, tmp_path


def test_the_repository_configuration_runs_nothing(planted):
    repo, tmp_path = planted
    # Without the tool's settings, git itself would run the planted programs:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "-C", str(repo), "log", "-1"], capture_output=True, env=env)
    subprocess.run(["git", "-C", str(repo), "ls-files", "--others"], capture_output=True, env=env)
    ran_without = sorted(p.name for p in tmp_path.glob("marker-*"))
    assert "marker-gpg.program" in ran_without and "marker-core.fsmonitor" in ran_without
    for marker in tmp_path.glob("marker-*"):
        marker.unlink()

    results = [
        run_cli(["base..head", "--repo", str(repo), "--format", "json"]),
        run_cli(["base", "--repo", str(repo), "--format", "json"]),  # against the working tree: ls-files
        run_cli(["inventory", ".", "--repo", str(repo), "--format", "json"]),
        run_cli(["audit", "--since", "base", "--repo", str(repo), "--format", "json"]),  # log over the signed commit
        run_cli(["audit", "--since", "2020-01-01", "--repo", str(repo), "--format", "json"]),
        run_cli(["explain", "head", "gemma", "--repo", str(repo)]),
        run_cli(["graph", "head", "--repo", str(repo), "--format", "json"]),
    ]
    assert sorted(p.name for p in tmp_path.glob("marker-*")) == []
    for result in results:
        assert "Traceback" not in result.stderr and result.code in (0, 1), result.stderr
    assert GEMMA in {f["subject"] for f in results[0].report["findings"]}
    assert GEMMA in {f["subject"] for f in results[1].report["findings"]}


def test_git_dir_and_work_tree_in_the_environment_do_not_replace_repo(tmp_path, monkeypatch):
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", CORE_HEAD)])
    other = build_repo(tmp_path / "other", [("base", {"README.md": "x\n"}), ("head", {"README.md": "y\n"})])
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other / ".git" / "objects"))
    for spec in ("base..head", "base"):
        result = run_cli([spec, "--repo", str(repo), "--format", "json", "--no-cache"])
        assert result.code == 1, result.stderr
        assert GEMMA in {f["subject"] for f in result.report["findings"]}


def test_a_missing_git_is_named(tmp_path):
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", CORE_HEAD)])
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "base..head", "--repo", str(repo)],
                          capture_output=True, text=True, env={**os.environ, "PATH": str(empty)})
    assert proc.returncode == 2, proc.stderr
    assert "git is not installed or not on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr and "not inside a git repository" not in proc.stderr


def fake_git(tmp_path: Path) -> Path:
    """A `git` that refuses every repository as git does one owned by someone else."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    script = bin_dir / "git"
    script.write_text("#!/bin/sh\necho \"fatal: detected dubious ownership in repository at '/srv/x'\" >&2\nexit 128\n")
    script.chmod(0o755)
    return bin_dir


def test_dubious_ownership_is_named_not_called_a_missing_repository(tmp_path):
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", CORE_HEAD)])
    if os.geteuid() == 0:  # real git refusing a repository that belongs to another user
        for root, dirs, files in os.walk(repo):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), 65534, 65534)
        os.lchown(repo, 65534, 65534)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    else:  # a stand-in git that answers as the real one does
        env = {**os.environ, "PATH": f"{fake_git(tmp_path)}:{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "base..head", "--repo", str(repo)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "dubious ownership" in proc.stderr and "safe.directory" in proc.stderr
    assert "not inside a git repository" not in proc.stderr and "Traceback" not in proc.stderr
