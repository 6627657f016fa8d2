"""Which unreached or missing things are errors: test configs CI misses, not tools,
downloads or inline programs (the precision work on vLLM main, with fixtures written here)."""

from __future__ import annotations

from coverage_diff.model import Severity

from .conftest import audit_repo, by_rule, make_repo, repo_files, step

DEFAULT = step("Default sweep", "bash sweep/run_sweep.sh")


def audit(tmp_path, steps, extra=None):
    return audit_repo(make_repo(tmp_path, repo_files(steps, extra=extra)))

TOOL = """\
#!/usr/bin/env bash
rates=(
  "1"
  "5"
)
for r in "${rates[@]}"; do
  python bench.py --rate "$r"
done
"""
DOWNLOADER = """\
#!/usr/bin/env bash
set -e
files=(
  "requirements/a.txt"
  "requirements/b.txt"
)
for f in "${files[@]}"; do
  curl -fsSL -o "/tmp/$(basename "$f")" "https://example.invalid/$f"
done
pytest -v sweep/test_model.py
"""
ORPHAN_TEST = """\
#!/usr/bin/env bash
models=(
  "org/model-a"
)
for m in "${models[@]}"; do
  pytest -v tests/orphan/test_it.py --model "$m"
done
"""


def test_guarded_entries_and_orphan_tests_are_errors_tools_and_downloads_are_not(tmp_path):
    steps = DEFAULT + "- label: Downloads\n  source_file_dependencies: [tests/]\n  commands:\n    - bash ../tools/fetch.sh\n"
    extra = {"benchmarks/rates.sh": TOOL, "tools/fetch.sh": DOWNLOADER, "tests/orphan/run.sh": ORPHAN_TEST}
    found = by_rule(audit(tmp_path, steps, extra=extra), "unreachable-config")
    assert found["MODEL=gamma TP=1"].severity is Severity.ERROR  # behind a guard no job satisfies
    assert found["org/model-a"].severity is Severity.ERROR  # a test script no job runs
    assert found["5"].severity is Severity.INFO and "outside the test tree" in found["5"].message
    assert found["requirements/a.txt"].severity is Severity.INFO  # only downloaded by a script CI runs
    assert "its values reach no test command" in found["requirements/a.txt"].message


def test_options_and_inline_programs_are_never_missing_scripts(tmp_path):
    steps = DEFAULT + (
        "- label: Tools\n  source_file_dependencies: [tests/]\n  commands:\n"
        "    - bash sweep/gone.sh || true\n"
        "    - uv venv .venv && source .venv/bin/activate\n"
        "    - curl -sSf https://example.invalid/install.sh | sh -s -- -y\n")
    found = by_rule(audit(tmp_path, steps), "missing-script")
    assert not [path for path in found if "-y" in path or "activate" in path]
    assert "tests/sweep/gone.sh" in found
