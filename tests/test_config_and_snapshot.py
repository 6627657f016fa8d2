"""Settings from the analysed revision, and revisions read through git."""

import itertools
import subprocess

import history
import pytest

from coverage_diff.engine.session import parse_range
from coverage_diff.config import ConfigError, Settings, load_settings, parse_settings
from coverage_diff.snapshot import GitError, Snapshot, match_glob, normalize


def test_pyproject_table_overrides_defaults():
    s = parse_settings('[tool.coverage-diff]\nworkspace-prefixes = ["/ws"]\nambient = "CI_X"\nmax-paths = 9\n', "pyproject.toml")
    assert s.workspace_prefixes == ("/ws",)
    assert s.ambient == ("CI_X",)
    assert s.max_paths == 9
    assert s.buildkite_globs == Settings().buildkite_globs


@pytest.mark.parametrize(
    "text, message",
    [
        ("[tool.coverage-diff]\nbogus = 1\n", "unknown setting 'bogus'"),
        ("[tool.coverage-diff]\nmax-paths = -1\n", "max-paths must be a positive integer"),
        ("[tool.coverage-diff]\nambient = [1]\n", "ambient must be a list of strings"),
        ("[tool.coverage-diff\n", "invalid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_settings(text, "pyproject.toml")
    assert "pyproject.toml" in str(info.value)


def test_settings_read_from_the_snapshot():
    snap = Snapshot.from_files("t", {".coverage-diff.toml": 'default-working-dir = "src"\n'})
    assert load_settings(snap).default_working_dir == "src"
    # The vLLM container prefix is a default only where the repository is vLLM-style.
    assert load_settings(Snapshot.from_files("t", {})) == Settings(workspace_prefixes=())
    vllm = Snapshot.from_files("t", {".buildkite/ci_config.yaml": "name: vllm_ci\n"})
    assert load_settings(vllm) == Settings()
    named = Snapshot.from_files("t", {".coverage-diff.toml": 'workspace-prefixes = ["/vllm-workspace", "/src"]\n'})
    assert load_settings(named).workspace_prefixes == ("/vllm-workspace", "/src")


def test_parse_range_forms():
    assert parse_range("a..b").base == "a" and not parse_range("a..b").merge_base
    assert parse_range("a...b").merge_base and parse_range("a...b").head == "b"
    assert parse_range("a").head == ""  # against the working tree
    assert parse_range("..b").base == "HEAD"


def test_glob_and_normalize():
    assert match_glob(".buildkite/test_areas/x/y.yaml", ".buildkite/test_areas/**/*.yaml")
    assert match_glob(".buildkite/test_areas/y.yaml", ".buildkite/test_areas/**/*.yaml")
    assert not match_glob(".buildkite/test_areas/y.yml", ".buildkite/test_areas/**/*.yaml")
    assert not match_glob(".github/workflows/sub/x.yml", ".github/workflows/*.yml")
    assert normalize("tests/./a/../b.sh") == "tests/b.sh"
    assert normalize("../../etc/passwd").startswith("..")


def test_normalize_folds_every_path_as_a_part_by_part_walk_does():
    """`normalize` returns most paths at once (no part empty or starting with a dot): every path
    made of these parts folds as a walk over its parts would, and a snapshot finds a file by any
    path that folds to it, and a glob by a pattern's literal head."""
    def walk(path):
        parts = []
        for part in path.split("/"):
            if part == "..":
                parts.pop() if parts and parts[-1] != ".." else parts.append("..")
            elif part not in ("", "."):
                parts.append(part)
        return "/".join(parts)

    pieces = ("a", "", ".", "..", ".b", "..c", "d.", "e..f")
    paths = [""] + ["/".join(p) for n in (1, 2, 3, 4) for p in itertools.product(pieces, repeat=n)]
    assert all(normalize(p) == walk(p) for p in paths)
    snap = Snapshot.from_files("t", {"a/.b/c.sh": "x", "d.py": "", "a/e.py": ""})
    for path in ("a/.b/c.sh", "./a/.b/c.sh", "a//.b/./c.sh", "a/x/../.b/c.sh"):
        assert snap.exists(path) and snap.read(path) == b"x" and snap.entry(path).path == "a/.b/c.sh"
    assert snap.is_dir("a/.b") and snap.is_dir("./a/") and snap.is_dir(".") and not snap.is_dir("a/e.py")
    assert not snap.exists("../a/e.py") and snap.glob("a/**/*.sh", "*.py", "a/*.py") == ["a/.b/c.sh", "a/e.py", "d.py"]


def test_snapshot_reads_blobs_modes_and_worktree(tmp_path):
    repo = history.init_repo(tmp_path / "r")
    history.write_tree(repo, {"a.sh": "echo a\r\n", "b.yaml": "\ufeffsteps: []\n"})
    (repo / "link.sh").symlink_to("/etc/passwd")
    sha = history.commit_all(repo, "c1")
    snap = Snapshot.at(repo, "HEAD")
    assert snap.commit == sha
    assert snap.text("a.sh") == "echo a\n"  # CRLF folded
    assert snap.text("b.yaml") == "steps: []\n"  # BOM dropped
    assert not snap.exists("link.sh") and snap.entry("link.sh").mode == "120000"
    (repo / "a.sh").write_text("echo changed\n")
    (repo / "new.sh").write_text("echo new\n")
    work = Snapshot.worktree(repo)
    assert work.text("a.sh") == "echo changed\n" and work.exists("new.sh")
    assert work.entry("a.sh").blob != snap.entry("a.sh").blob
    with pytest.raises(GitError, match="unknown revision 'nope'"):
        Snapshot.at(repo, "nope")
    out = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True).stdout
    assert "a.sh" in out  # nothing was checked out or reset by reading
