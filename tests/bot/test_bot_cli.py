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
    monkeypatch.setattr(cli, "_session", lambda repo: FakeSession(fx.gemma_report()))
    return FakeSession


def invoke(args, env):
    return CliRunner().invoke(cli.app, args, env=env)


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
    assert re.search(r'coverage-diff" "\$BASE\.\.\.\$HEAD" --repo \. --format github', commands)
    assert "comment" in commands and "$ACTION_PATH" in commands
    comment_step = next(s for s in steps if s.get("name") == "Comment on the pull request")
    assert comment_step["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
