"""Gaps the hostile corpus found, now closed: one work budget for a whole revision,
and a diagnostic when Buildkite parallelism is cut to the shard cap."""

from __future__ import annotations

from hostile_cases import Case
from hostile_kit import build_repo, run_cli_isolated

FORK = "#!/bin/bash\nf() {\n  f\n  f\n}\nf\npytest after_fork.py\n"


def test_work_across_jobs_is_bounded_by_one_budget(tmp_path):
    matrix = ", ".join(str(i) for i in range(8))
    case = Case(
        "budget",
        {
            ".buildkite/pipeline.yml": f"steps:\n  - label: m\n    command: bash tests/pd/fork.sh {{{{matrix}}}}\n    matrix: [{matrix}]\n",
            "tests/pd/fork.sh": FORK,
        },
        base={".coverage-diff.toml": "max-steps = 2000\nmax-total-steps = 4000\n"},
    )
    repo = build_repo(tmp_path / "repo", case.layers())
    result = run_cli_isolated(["base..head", "--repo", str(repo), "--format", "json"])
    assert result.code == 1, result.stderr
    assert any("total" in i["reason"] for i in result.report["incomplete"])


def test_parallelism_beyond_the_shard_cap_is_reported(tmp_path):
    case = Case("shards", {".buildkite/pipeline.yml": "steps:\n  - label: p\n    command: pytest shard.py\n    parallelism: 100000\n"})
    repo = build_repo(tmp_path / "repo", case.layers())
    result = run_cli_isolated(["base..head", "--repo", str(repo), "--format", "json"])
    assert result.code == 1, result.stderr
    assert any(d["path"] == ".buildkite/pipeline.yml" and d["line"] == 4 for d in result.report["diagnostics"])
