"""Issue 20: the persistent cache cannot carry code or a forged verdict.

Whoever can write to a cache directory (a shared `COVERAGE_DIFF_CACHE_DIR`, a
`.git` another account prepared) can plant entries.  An entry is only unpickled
after its HMAC checks out under the running user's own key, so planted pickles
never run and planted answers never change a verdict; and even a signed entry is
read as data only (this package's dataclasses and enums), so a leaked key does not
mean code execution; directories others can write to are refused; the cache stays
below its size limit.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import time
from pathlib import Path

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD, GEMMA
from hostile_kit import build_repo, run_cli

from coverage_diff.engine import cache as cache_module
from coverage_diff.engine.cache import MAGIC, Cache


class Planted:
    """Unpickling this runs `touch SENTINEL`."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


@pytest.fixture()
def repo(tmp_path):
    return build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", CORE_HEAD)])


def entries(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.pickle"))


def diff(repo: Path, *extra: str):
    return run_cli(["base..head", "--repo", str(repo), "--format", "json", *extra])


def forged(payload: bytes, how: str) -> bytes:
    """An entry as an attacker can write it without this user's key."""
    if how == "sha256":  # the old format: a plain checksum anyone can compute
        return MAGIC + hashlib.sha256(payload).digest() + payload
    if how == "other-key":
        return MAGIC + hmac.new(b"k" * 32, payload, hashlib.sha256).digest() + payload
    return MAGIC + bytes(32) + payload


@pytest.mark.parametrize("how", ["sha256", "other-key", "zeros"])
def test_planted_pickles_never_run_and_forged_answers_change_nothing(repo, tmp_path, how):
    honest = diff(repo, "--no-cache")
    assert honest.code == 1 and GEMMA in {f["subject"] for f in honest.report["findings"]}
    assert diff(repo).code == 1  # fills .git/coverage-diff-cache, stored output included
    directory = repo / ".git" / "coverage-diff-cache"
    stored = entries(directory)
    assert len(stored) > 3 and any("diff-output" in str(p) for p in stored)

    sentinel = tmp_path / "pwned"
    for i, entry in enumerate(stored):
        # Half the entries run code, the other half answer "nothing lost, exit 0".
        value = Planted(sentinel) if i % 2 else ("No test configuration stops running.\n", {"error": 0, "warning": 0, "info": 0, "never": 0})
        entry.write_bytes(forged(pickle.dumps(value), how))
    again = diff(repo)
    text = diff(repo, "--format", "text")
    assert not sentinel.exists()
    assert again.code == 1 and again.stdout == honest.stdout
    assert text.code == 1 and "gemma-3-4b-it" in text.stdout


def test_a_signed_entry_that_names_code_never_runs_it(repo, tmp_path, monkeypatch):
    """The key leaked, or this user was made to store something: an entry whose HMAC checks out
    is still read as data only (cache._DataOnly), so a pickle that would call a function is a
    miss, removed and recomputed."""
    honest = diff(repo, "--no-cache")
    sentinel = tmp_path / "pwned"
    original = Cache.put
    monkeypatch.setattr(Cache, "put", lambda self, ns, value, *parts: original(self, ns, [value, Planted(sentinel)], *parts))
    assert diff(repo).code == 1  # every entry written (and signed) with a payload that runs `touch`
    signed = entries(repo / ".git" / "coverage-diff-cache")
    assert len(signed) > 3 and all(b"system" in p.read_bytes() for p in signed)
    monkeypatch.setattr(Cache, "put", original)
    again = diff(repo)
    assert not sentinel.exists()
    assert again.code == 1 and again.stdout == honest.stdout
    assert [p for p in signed if b"system" not in p.read_bytes()]  # the entries read were refused and written again

    plain = Cache(tmp_path / "plain")
    assert plain.put("ns", Planted(sentinel), "k") and plain.get("ns", "k") is None and not sentinel.exists()


def test_an_entry_moved_to_another_key_is_refused(tmp_path):
    cache = Cache(tmp_path / "c")
    assert cache.put("diff-output", ("all clear", {"error": 0}), "tree-a")
    assert cache.put("diff-output", ("LOSS", {"error": 1}), "tree-b")
    a, b = cache.path("diff-output", "tree-a"), cache.path("diff-output", "tree-b")
    b.write_bytes(a.read_bytes())  # a genuine entry of this user, answering another question
    assert cache.get("diff-output", "tree-b") is None and not b.exists()
    assert cache.get("diff-output", "tree-a") == ("all clear", {"error": 0})


def test_the_key_is_private_and_outside_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    cache = Cache(tmp_path / "c")
    assert cache.put("ns", [1, 2], "k") and cache.get("ns", "k") == [1, 2]
    key = tmp_path / "config" / "coverage-diff" / "key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32

    key.chmod(0o644)
    cache_module._keys.clear()
    cache_module._warned.clear()
    loose = Cache(tmp_path / "c2")
    assert not loose.enabled and loose.get("ns", "k") is None

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c3" / "inside"))
    cache_module._keys.clear()
    assert not Cache(tmp_path / "c3").enabled


@pytest.mark.parametrize("problem", ["group-writable", "world-writable", "foreign-owner", "not-a-directory"])
def test_a_cache_directory_others_control_is_refused_with_a_warning(repo, tmp_path, monkeypatch, problem):
    directory = tmp_path / "shared"
    if problem == "not-a-directory":
        directory.write_text("x")
    else:
        directory.mkdir()
        directory.chmod({"group-writable": 0o770, "world-writable": 0o1777}.get(problem, 0o700))
    if problem == "foreign-owner":
        real = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: real + 1)
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_DIR", str(directory))
    cache_module._warned.clear()
    result = diff(repo)
    assert result.code == 1 and GEMMA in {f["subject"] for f in result.report["findings"]}
    assert f"warning: the cache directory {directory} is not used" in result.stderr
    assert "Traceback" not in result.stderr
    if directory.is_dir():
        assert entries(directory) == []


def test_the_cache_stays_below_its_size_limit_least_recently_used_first(tmp_path, monkeypatch):
    monkeypatch.setenv("COVERAGE_DIFF_CACHE_MAX_MB", "0.25")  # 256 KiB
    cache = Cache(tmp_path / "c")
    blob = os.urandom(40_000)
    for i in range(4):
        assert cache.put("ns", blob, f"old{i}")
        old = time.time() - 3600 + i
        os.utime(cache.path("ns", f"old{i}"), (old, old))
    assert cache.get("ns", "old0") == blob  # used: now the most recent of the old ones
    for i in range(2):
        cache.put("ns", blob, f"new{i}")
    cache_module.trim(cache.directory, 170_000, force=True)  # 240 kB held: down to 3/4 of 170 kB
    names = [f"old{i}" for i in range(4)] + ["new0", "new1"]
    assert {name for name in names if cache.path("ns", name).exists()} == {"old0", "new0", "new1"}

    for i in range(20):  # past the limit by puts alone: trimmed as it goes
        cache.put("ns", blob, f"more{i}")
    assert sum(p.stat().st_size for p in entries(cache.directory)) <= cache.limit


def test_temporary_files_of_killed_runs_are_removed(tmp_path):
    cache = Cache(tmp_path / "c")
    leftover = tmp_path / "c" / "ns" / "ab" / ".tmp-killed.pickle"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half an entry")
    fresh = leftover.with_name(".tmp-writing-now.pickle")
    fresh.write_bytes(b"another run is writing this")
    old = time.time() - 2 * cache_module.STALE_TEMP
    os.utime(leftover, (old, old))
    cache_module.trim(cache.directory, cache.limit, force=True)
    assert not leftover.exists() and fresh.exists()
