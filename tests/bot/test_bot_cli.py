"""The `comment` command's wiring and the composite action's shape."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import bot_reports as fx
from coverage_diff import cli

ROOT = Path(__file__).resolve().parents[2]


class FakeSession:
    ranges: list[str] = []

    def __init__(self, report):
        self.report = report

    def diff(self, spec):
        FakeSession.ranges.append(spec)
        return self.report

    def close(self):
        pass


@pytest.fixture
def fake_session(monkeypatch):
    FakeSession.ranges = []
    import coverage_diff.engine.session

    monkeypatch.setattr(coverage_diff.engine.session, "Session", lambda repo, *_, **__: FakeSession(fx.gemma_report()))
    return FakeSession


def invoke(args, env):
    # Blank what a CI runner would set, so the test neither reads nor writes the real job's files.
    quiet = {"GITHUB_STEP_SUMMARY": "", "COVERAGE_DIFF_COMMENT_AUTHOR": "", "GITHUB_SERVER_URL": ""}
    return CliRunner().invoke(cli.app, args, env={**quiet, **env})


def test_comment_dry_run_takes_the_range_from_the_event(fake_session, tmp_path):
    from test_bot_comment import event_file

    env = {"GITHUB_EVENT_PATH": event_file(tmp_path, number=5), "GITHUB_REPOSITORY": "octo/vllm", "GITHUB_TOKEN": ""}
    result = invoke(["comment", "--dry-run"], env)
    assert result.exit_code == 0, result.output
    assert fake_session.ranges == [f"{fx.BASE_SHA}...{fx.HEAD_SHA}"]
    assert "would create or update the comment on octo/vllm#5" in result.output
    assert f"https://github.com/octo/vllm/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in result.output


def test_comment_without_range_or_event_is_a_usage_error(fake_session):
    result = invoke(["comment", "--dry-run"], {"GITHUB_EVENT_PATH": ""})
    assert result.exit_code == 2 and fake_session.ranges == []


def test_composite_action_passes_values_through_env_only():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            # ${{ }} inside a script is template injection; env is the safe channel.
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"
    commands = " ".join(step.get("run", "") for step in steps)
    assert re.search(r'coverage-diff" "\$BASE\.\.\.\$HEAD" --repo \. --settings-from "\$SETTINGS_FROM"', commands)
    assert "run --format github --fail-on never" in commands
    assert "comment" in commands and "$ACTION_PATH" in commands
    comment_step = next(s for s in steps if s.get("name") == "Comment on the pull request")
    assert comment_step["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"


def test_comment_end_to_end_on_the_demo_repository(tmp_path, github):
    """The real pipeline on `make demo`'s repository, posting to the local GitHub."""
    import subprocess
    import sys

    from github_server import TOKEN
    from test_bot_comment import event_file

    repo = tmp_path / "demo"
    subprocess.run([sys.executable, str(ROOT / "fixtures" / "history.py"), str(ROOT / "fixtures" / "vllm_pd_split"), str(repo)],
                   check=True, capture_output=True)
    base, head = (subprocess.run(["git", "-C", str(repo), "rev-parse", tag], check=True, capture_output=True, text=True)
                  .stdout.strip() for tag in ("base", "head"))
    env = {"GITHUB_EVENT_PATH": event_file(tmp_path, number=7, base=base, head=head), "GITHUB_REPOSITORY": "octo/vllm",
           "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url}
    result = invoke(["comment", "--repo", str(repo)], env)
    assert result.exit_code == 0, result.output
    assert "created the comment on octo/vllm#7" in result.output and TOKEN not in result.output
    [posted] = github.comments[("octo/vllm", 7)]
    assert "gemma-3-4b-it" in posted["body"] and "SW_ATTN" in posted["body"]
    assert f"/blob/{head}/tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh#L" in posted["body"]
