"""The persistent cache writes each pickle as it is made, its HMAC last, and
unpickles with the cyclic collector off.  Trust and eviction: tests/hostile/test_hostile_cache.py."""

from __future__ import annotations

import gc
import pickle
import threading

from coverage_diff.engine import cache as cache_module
from coverage_diff.engine.cache import MAGIC, Cache


def test_a_large_value_round_trips_and_its_checksum_is_checked(tmp_path):
    cache = Cache(tmp_path)
    value = {"runs": [("argv", i, str(i) * 20) for i in range(200_000)]}  # several pickle frames
    assert cache.put("ns", value, "k")
    (entry,) = (tmp_path / "ns").rglob("*.pickle")
    data = entry.read_bytes()
    assert data.startswith(MAGIC) and pickle.loads(data[len(MAGIC) + 32:]) == value
    assert Cache(tmp_path).get("ns", "k") == value

    entry.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit off: never unpickled, removed
    assert cache.get("ns", "k") is None and not entry.exists()


def test_a_value_that_fails_halfway_through_pickling_leaves_nothing(tmp_path, monkeypatch):
    writes = []
    original = cache_module._Signed.write
    monkeypatch.setattr(cache_module._Signed, "write", lambda self, data: writes.append(len(data)) or original(self, data))
    cache = Cache(tmp_path)
    assert cache.put("ns", [list(range(100_000)), lambda: 1], "k") is False
    assert writes, "some frames were written before pickling failed"
    assert cache.get("ns", "k") is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_the_collector_is_off_while_unpickling_and_back_as_it_was(tmp_path, monkeypatch):
    from coverage_diff.model import Location

    seen: list[bool] = []  # whether the cyclic collector runs while the entry's classes are looked up
    original = cache_module._DataOnly.find_class
    monkeypatch.setattr(cache_module._DataOnly, "find_class", lambda self, m, n: seen.append(gc.isenabled()) or original(self, m, n))
    cache = Cache(tmp_path)
    assert cache.put("ns", [Location("a.sh", 1), list(range(1000))], "k")
    assert gc.isenabled()
    assert cache.get("ns", "k")[1] == list(range(1000))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        cache.get("ns", "k")
        assert not gc.isenabled()  # left off when it was off
    finally:
        gc.enable()


def test_concurrent_loads_leave_the_collector_on(tmp_path):
    cache = Cache(tmp_path)
    cache.put("ns", [list(range(i, i + 50)) for i in range(20_000)], "k")
    threads = [threading.Thread(target=lambda: [cache.get("ns", "k") for _ in range(5)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()
