"""The persistent cache writes each pickle as it is made, checksum last."""

from __future__ import annotations

import pickle

from coverage_diff import cache as cache_module
from coverage_diff.cache import MAGIC, Cache


def test_a_large_value_round_trips_and_its_checksum_is_checked(tmp_path):
    cache = Cache(tmp_path)
    value = {"runs": [("argv", i, str(i) * 20) for i in range(200_000)]}  # several pickle frames
    assert cache.put("ns", value, "k")
    (entry,) = (tmp_path / "ns").rglob("*.pickle")
    data = entry.read_bytes()
    assert data.startswith(MAGIC) and pickle.loads(data[len(MAGIC) + 32:]) == value
    assert Cache(tmp_path).get("ns", "k") == value

    entry.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit off: ignored and removed
    assert cache.get("ns", "k") is None and not entry.exists()


def test_a_value_that_fails_halfway_through_pickling_leaves_nothing(tmp_path, monkeypatch):
    writes = []
    original = cache_module._Hashed.write
    monkeypatch.setattr(cache_module._Hashed, "write", lambda self, data: writes.append(len(data)) or original(self, data))
    cache = Cache(tmp_path)
    assert cache.put("ns", [list(range(100_000)), lambda: 1], "k") is False
    assert writes, "some frames were written before pickling failed"
    assert cache.get("ns", "k") is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
