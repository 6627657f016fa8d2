"""Each CI file's jobs are remembered by blob: in memory, and on disk when a command uses
the persistent cache, so the next process reads only the files a change edited.  The memo
is the session's (`Session.context.files`), handed to the front-ends in their context."""

from __future__ import annotations

import pytest

from coverage_diff.ci import buildkite
from coverage_diff.config import Settings
from coverage_diff.context import Context
from coverage_diff.engine.cache import Cache
from coverage_diff.engine.file_memo import FileMemo
from coverage_diff.engine.session import Session
from coverage_diff.snapshot import Snapshot

CI_CONFIG = "name: vllm_ci\njob_dirs:\n  - .buildkite/test_areas\n"
STEP = "group: {name}\nsteps:\n- label: {name} tests\n  commands: [pytest tests/{name}.py]\n"
FILES = {".buildkite/ci_config.yaml": CI_CONFIG,
         **{f".buildkite/test_areas/{name}.yaml": STEP.format(name=name) for name in ("a", "b", "c")}}


@pytest.fixture
def parsed(monkeypatch):
    """The paths the front-end parsed."""
    seen: list[str] = []
    real = buildkite._read_file_uncached
    monkeypatch.setattr(buildkite, "_read_file_uncached",
                        lambda snapshot, path, *rest: (seen.append(path), real(snapshot, path, *rest))[1])
    return seen


def labels(files, memo: FileMemo | None):
    context = Context(files=memo) if memo is not None else None
    return sorted(job.label for job in buildkite.jobs(Snapshot.from_files("r", files), Settings(), context).jobs)


def test_a_new_process_parses_only_the_edited_file(parsed, tmp_path):
    assert labels(FILES, FileMemo(Cache(tmp_path))) == ["a tests", "b tests", "c tests"]
    assert sorted(parsed) == sorted(p for p in FILES if "test_areas" in p)
    parsed.clear()
    edited = {**FILES, ".buildkite/test_areas/b.yaml": STEP.format(name="b2")}
    assert labels(edited, FileMemo(Cache(tmp_path))) == ["a tests", "b2 tests", "c tests"]  # a new process: the disk stays
    assert parsed == [".buildkite/test_areas/b.yaml"]


def test_without_the_cache_results_stay_in_memory_only(parsed, tmp_path):
    memo = FileMemo(Cache.disabled())
    labels(FILES, memo)
    parsed.clear()
    labels(FILES, memo)
    assert parsed == []  # the same memo: from memory
    labels(FILES, FileMemo(Cache.disabled()))
    assert len(parsed) == 3 and not any(tmp_path.iterdir())


def test_without_a_memo_nothing_is_kept_between_calls(parsed):
    labels(FILES, None)
    labels(FILES, None)
    assert len(parsed) == 6  # no module keeps results for the process


def test_each_session_has_its_own_memo(parsed, tmp_path):
    """Two sessions without the persistent cache share nothing: the second reads every file again;
    one session reads each file once for both revisions of a diff."""
    import history  # fixtures/history.py (tests/conftest.py puts fixtures/ on the path)

    base = dict(FILES)
    head = {".buildkite/test_areas/c.yaml": STEP.format(name="c2")}  # written over base
    repo = history.init_repo(tmp_path / "repo")
    for tag, files in (("base", base), ("head", head)):
        history.write_tree(repo, files)
        history.commit_all(repo, tag, tag=tag)
    areas = sorted(p for p in FILES if "test_areas" in p)
    for _ in range(2):
        parsed.clear()
        session = Session(repo, use_cache=False, workers=1)
        try:
            session.inventory("base")
            session.inventory("head")
        finally:
            session.close()
        assert sorted(parsed) == areas + [".buildkite/test_areas/c.yaml"]  # c twice: its blob changed
