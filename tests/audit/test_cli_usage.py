"""Usage errors of `coverage-diff audit` exit 2 with a clear message."""

import subprocess
import sys


def test_rule_and_since_together_are_refused(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = subprocess.run([sys.executable, "-m", "coverage_diff.cli", "audit", "--since", "HEAD~1", "--rule", "unset-switch",
                             "--repo", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--rule selects rules for an audit of one revision" in result.stderr
