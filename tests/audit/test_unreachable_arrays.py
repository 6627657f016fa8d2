"""unreachable-config counts only test configurations (issue 17): arrays whose elements flow
into a test run, in scripts CI reaches or that the settings opt in."""

from __future__ import annotations

from .conftest import audit_repo, by_rule, make_repo, repo_files, step

FETCH = """\
#!/usr/bin/env bash
set -euo pipefail
files=(
  "requirements.txt"
  "requirements/test.txt"
)
for f in "${files[@]}"; do
  curl -fsSL "https://example.invalid/$f" -o "/tmp/$f"
done
FAILED=()
for t in a b; do
  pytest -v sweep/test_model.py -k "$t" || FAILED+=("run $t failed at $(date)")
done
for line in "${FAILED[@]}"; do
  echo "$line"
done
"""
BENCH = """\
#!/usr/bin/env bash
QPS=(
  "1"
  "10"
)
for q in "${QPS[@]}"; do
  python3 benchmarks/serve.py --qps "$q"
done
"""


def test_arrays_that_feed_only_setup_or_accumulate_are_not_configs(tmp_path):
    files = repo_files(step("Fetch", "bash sweep/fetch.sh"), extra={"tests/sweep/fetch.sh": FETCH})
    report = audit_repo(make_repo(tmp_path, files), rules=["unreachable-config"])
    assert not [s for s in by_rule(report, "unreachable-config") if "requirements" in s or "failed" in s]


def test_scripts_outside_ci_reach_are_audited_only_when_opted_in(tmp_path):
    steps = step("Default sweep", "SPECIAL=1 bash sweep/run_sweep.sh") + step("Other", "bash sweep/run_sweep.sh")
    extra = {"benchmarks/run_qps.sh": BENCH, "benchmarks/serve.py": ""}
    plain = audit_repo(make_repo(tmp_path, repo_files(steps, extra=extra)), rules=["unreachable-config"])
    assert not by_rule(plain, "unreachable-config")
    opted = dict(extra, **{".coverage-diff.toml": 'audit-scripts = ["benchmarks/*.sh"]\n'})
    report = audit_repo(make_repo(tmp_path, repo_files(steps, extra=opted), name="opted"), rules=["unreachable-config"])
    assert set(by_rule(report, "unreachable-config")) == {"1", "10"}


SIGN = """\
#!/usr/bin/env bash
set -euo pipefail
to_sign=(
  dist/tool-linux-*
  dist/tool-helper/helper.linux-*
)
if [ -n "${SIGNING_KEY_FILE:-}" ]; then
  for pattern in "${to_sign[@]}"; do
    for file in $pattern; do
      gpg --batch --local-user "$SIGNING_KEY_FILE" --detach-sign "$file"
      tar -czf "$file.tar.gz" "$file"
    done
  done
fi
"""
SIGN_OTHER = """\
#!/usr/bin/env bash
to_sign=(dist/tool-windows-*.exe)
for file in "${to_sign[@]}"; do
  osslsigncode sign -in "$file" -out "$file.signed"
done
"""


def test_arrays_that_feed_only_signing_or_packaging_are_not_configs(tmp_path):
    """A list of binaries to sign behind a guard no job satisfies is no lost test config, even
    when another script's array of the same name feeds a run (gitlab-runner's signing scripts);
    the sweep beside it, whose entries reach pytest behind the same kind of guard, still is."""
    steps = step("Sign", "bash sweep/sign.sh") + step("Sign other", "bash sweep/sign_other.sh") + step("Sweep", "bash sweep/run_sweep.sh")
    extra = {"tests/sweep/sign.sh": SIGN, "tests/sweep/sign_other.sh": SIGN_OTHER}
    report = audit_repo(make_repo(tmp_path, repo_files(steps, extra=extra)), rules=["unreachable-config"])
    assert set(by_rule(report, "unreachable-config")) == {"MODEL=gamma TP=1"}
