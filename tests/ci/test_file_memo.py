"""Each CI file's jobs are remembered by blob: in memory, and on disk when a command uses
the persistent cache, so the next process reads only the files a change edited."""

from __future__ import annotations

import pytest

from coverage_diff.engine.cache import Cache
from coverage_diff.ci import buildkite, file_memo
from coverage_diff.config import Settings
from coverage_diff.snapshot import Snapshot

CI_CONFIG = "name: vllm_ci\njob_dirs:\n  - .buildkite/test_areas\n"
STEP = "group: {name}\nsteps:\n- label: {name} tests\n  commands: [pytest tests/{name}.py]\n"
FILES = {".buildkite/ci_config.yaml": CI_CONFIG,
         **{f".buildkite/test_areas/{name}.yaml": STEP.format(name=name) for name in ("a", "b", "c")}}


@pytest.fixture
def parsed(monkeypatch):
    """The paths the front-end parsed, with a fresh memo (as in a new process)."""
    seen: list[str] = []
    real = buildkite._read_file_uncached
    monkeypatch.setattr(buildkite, "_read_file_uncached",
                        lambda snapshot, path, *rest: (seen.append(path), real(snapshot, path, *rest))[1])
    monkeypatch.setattr(file_memo, "MEMO", file_memo.FileMemo())
    yield seen
    file_memo.use_cache(Cache.disabled())


def labels(files):
    return sorted(job.label for job in buildkite.jobs(Snapshot.from_files("r", files), Settings()).jobs)


def test_a_new_process_parses_only_the_edited_file(parsed, tmp_path):
    file_memo.use_cache(Cache(tmp_path))
    assert labels(FILES) == ["a tests", "b tests", "c tests"]
    assert sorted(parsed) == sorted(p for p in FILES if "test_areas" in p)
    parsed.clear()
    file_memo.MEMO.kept.clear()  # a new process: nothing in memory, the disk cache stays
    edited = {**FILES, ".buildkite/test_areas/b.yaml": STEP.format(name="b2")}
    assert labels(edited) == ["a tests", "b2 tests", "c tests"]
    assert parsed == [".buildkite/test_areas/b.yaml"]


def test_without_the_cache_results_stay_in_memory_only(parsed, tmp_path):
    file_memo.use_cache(Cache.disabled())
    labels(FILES)
    parsed.clear()
    labels(FILES)
    assert parsed == []  # the same process: from memory
    file_memo.MEMO.kept.clear()
    labels(FILES)
    assert len(parsed) == 3 and not any(tmp_path.iterdir())
