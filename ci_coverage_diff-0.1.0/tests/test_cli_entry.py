"""The console script `cli.entry`: the exit code of `main`, output flushed before the
quick exit, and the collector tuned for one analysis while `main` runs."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from coverage_diff import cli


class Exited(Exception):
    def __init__(self, code: int):
        self.code = code


@pytest.fixture
def entry(monkeypatch):
    """`cli.entry` with `main` replaced by `behaviour` and `os._exit` raising `Exited`."""
    saved = gc.get_threshold()
    monkeypatch.setattr("os._exit", lambda code: (_ for _ in ()).throw(Exited(code)))

    def run(behaviour):
        monkeypatch.setattr(cli, "main", behaviour)
        with pytest.raises(Exited) as stop:
            cli.entry()
        return stop.value.code

    yield run
    gc.set_threshold(*saved)


def test_exit_codes_are_those_of_main(entry, capsys):
    assert entry(lambda: None) == 0
    assert entry(lambda: sys.exit(None)) == 0
    assert entry(lambda: sys.exit(1)) == 1
    assert entry(lambda: sys.exit(2)) == 2
    assert entry(lambda: sys.exit("no such revision")) == 1
    assert "no such revision" in capsys.readouterr().err


def test_an_unexpected_error_is_not_swallowed(entry, monkeypatch):
    monkeypatch.setattr(cli, "main", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        cli.entry()


def test_the_collector_runs_full_passes_rarely_during_main(entry):
    seen = []
    entry(lambda: seen.append(gc.get_threshold()))
    first, second, third = seen[0]
    assert second >= 50 and third >= 100


def test_output_is_complete_through_the_console_script(tmp_path):
    """Buffered output survives the quick exit, and so does the exit code."""
    proc = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.startswith("Usage") and proc.stdout.splitlines()[-1].lstrip().startswith("audit")  # all of it: piped output is buffered
    proc = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "inventory", "--repo", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "not inside a git repository" in proc.stderr
