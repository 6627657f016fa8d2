"""bot.run_comment end to end: environment, event file, sticky comment lifecycle."""

from __future__ import annotations

import dataclasses
import io
import json
import logging

import pytest

import bot_reports as fx
from github_server import TOKEN
from coverage_diff import bot
from coverage_diff.report.markdown import MARKER
from github_server import BOT, FakeGitHub, Scripted

REPO = "octo/vllm"


def event_file(tmp_path, number=7, base=fx.BASE_SHA, head=fx.HEAD_SHA, **extra) -> str:
    payload = {"action": "synchronize", "number": number,
               "pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head}}, **extra}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return str(path)


def comment(report, server: FakeGitHub, sleeps, *, env=None, **kw):
    out, err = io.StringIO(), io.StringIO()
    options = dict(repo=REPO, pr=7, api_url=server.url, token=TOKEN, event_path=None, dry_run=False)
    options.update(kw)
    code = bot.run_comment(report, out=out, err=err, env=env or {}, sleep=sleeps, **options)
    return code, out.getvalue(), err.getvalue()


def only_comment(server: FakeGitHub) -> dict:
    [single] = server.comments[(REPO, 7)]
    return single


def test_first_run_creates_second_updates_clean_run_resolves(github, sleeps):
    code, out, _ = comment(fx.gemma_report(), github, sleeps)
    assert code == 0 and "created the comment on octo/vllm#7" in out
    first = only_comment(github)
    assert first["body"].startswith(MARKER + "\n") and "gemma-3-4b-it" in first["body"]

    worse = fx.gemma_report(fx.dropped(text="MODEL_NAMES=google/gemma-3-27b-it DECODER_TP_SIZE=4"))
    code, out, _ = comment(worse, github, sleeps)
    assert code == 0 and "updated the comment" in out
    assert only_comment(github)["id"] == first["id"] and "gemma-3-27b-it" in only_comment(github)["body"]

    code, out, _ = comment(fx.clean_report(), github, sleeps)
    body = only_comment(github)["body"]
    assert code == 0 and "updated the comment" in out
    assert "✅ coverage-diff: no test configuration stops running" in body
    assert "there are none as of `222222222222`" in body and "gemma" not in body
    assert github.methods().count("POST") == 1 and github.methods().count("PATCH") == 2


def test_clean_run_without_an_earlier_comment_posts_nothing(github, sleeps):
    code, out, _ = comment(fx.clean_report(), github, sleeps)
    assert code == 0 and "nothing posted" in out
    assert github.comments == {} and "POST" not in github.methods()


def test_same_result_twice_leaves_the_comment_alone(github, sleeps):
    comment(fx.gemma_report(), github, sleeps)
    code, out, _ = comment(fx.gemma_report(), github, sleeps)
    assert code == 0 and "already up to date" in out
    assert "PATCH" not in github.methods()


def test_earlier_comment_on_a_later_page_is_updated_not_duplicated(github, sleeps):
    for i in range(5):
        github.add_comment(REPO, 7, f"LGTM {i}")
    ours = github.add_comment(REPO, 7, MARKER + "\nstale", BOT)
    code, _, _ = comment(fx.gemma_report(), github, sleeps)
    assert code == 0 and "POST" not in github.methods()
    assert ours["body"].startswith(MARKER) and "gemma-3-4b-it" in ours["body"]


def test_environment_supplies_everything(github, sleeps, tmp_path):
    summary = tmp_path / "summary.md"
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url,
           "GITHUB_EVENT_PATH": event_file(tmp_path, number=7), "GITHUB_SERVER_URL": "https://ghe.example",
           "GITHUB_STEP_SUMMARY": str(summary)}
    code, _, _ = comment(fx.gemma_report(), github, sleeps, env=env, repo=None, pr=None, api_url=None, token=None)
    assert code == 0
    body = only_comment(github)["body"]
    assert f"https://ghe.example/{REPO}/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in body
    assert summary.read_text() == body + "\n"


def test_flags_override_the_environment(github, sleeps, tmp_path):
    env = {"GITHUB_TOKEN": "ghp_ignored", "GITHUB_REPOSITORY": "octo/elsewhere", "GITHUB_API_URL": "http://127.0.0.1:9",
           "GITHUB_EVENT_PATH": event_file(tmp_path, number=99)}
    code, _, err = comment(fx.gemma_report(), github, sleeps, env=env, pr=7)
    assert code == 0, err
    assert only_comment(github)["user"]["login"] == BOT


def test_dry_run_prints_the_body_and_touches_nothing(github, sleeps):
    code, out, _ = comment(fx.gemma_report(), github, sleeps, dry_run=True, token=None)
    assert code == 0 and github.requests == []
    assert "dry run: would create or update the comment on octo/vllm#7" in out
    assert MARKER in out and "gemma-3-4b-it" in out


@pytest.mark.parametrize("missing, message", [
    ({"repo": None}, "GITHUB_REPOSITORY"), ({"pr": None}, "GITHUB_EVENT_PATH"), ({"token": None}, "GITHUB_TOKEN")])
def test_missing_settings_are_a_usage_error(github, sleeps, missing, message):
    code, _, err = comment(fx.gemma_report(), github, sleeps, **missing)
    assert code == 2 and message in err and github.requests == []


def test_api_errors_exit_2_with_the_hint_and_no_token(github, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    github.always = Scripted(404, {}, {"message": f"Not Found {TOKEN}"}, "GET")
    code, out, err = comment(fx.gemma_report(), github, sleeps)
    assert code == 2
    assert "could not comment on octo/vllm#7" in err and "--github-repo" in err
    assert TOKEN not in out + err + caplog.text


def test_a_read_only_token_leaves_the_report_in_the_summary_and_annotations(github, sleeps, tmp_path, caplog):
    """A fork's pull request: 403 on posting is a warning, not a failed step."""
    caplog.set_level(logging.DEBUG)
    github.always = Scripted(403, {}, {"message": f"Resource not accessible by integration {TOKEN}"}, "POST")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    code, out, err = comment(fx.gemma_report(), github, sleeps, env=env)
    assert code == 0, err
    assert "gemma-3-4b-it" in summary.read_text()
    assert "::warning title=coverage-diff::could not comment on octo/vllm#7 with a read-only token" in out
    assert "::error " in out  # the loss as an annotation on its guard
    assert TOKEN not in out + err + caplog.text
    code, out, _ = comment(fx.gemma_report(), github, sleeps, env={**env, "COVERAGE_DIFF_ANNOTATED": "true"})
    assert code == 0 and "::error " not in out and "::warning title=coverage-diff::" in out


def test_author_filter_skips_a_lookalike_comment(github, sleeps):
    github.add_comment(REPO, 7, MARKER + " planted", "mallory")
    code, _, _ = comment(fx.gemma_report(), github, sleeps, author=BOT)
    assert code == 0
    bodies = {c["user"]["login"]: c["body"] for c in github.comments[(REPO, 7)]}
    assert bodies["mallory"] == MARKER + " planted" and "gemma-3-4b-it" in bodies[BOT]


def test_revisions_from_event(tmp_path):
    assert bot.revisions_from_event(event_file(tmp_path, number=12)) == (fx.BASE_SHA, fx.HEAD_SHA, 12)


@pytest.mark.parametrize("payload, message", [
    ({"ref": "refs/heads/main"}, "not a pull_request event"),
    ({"pull_request": {"number": 3, "base": {}, "head": {"sha": fx.HEAD_SHA}}}, "lacks base.sha"),
    ({"pull_request": {"number": 3, "base": {"sha": "main; rm -rf /"}, "head": {"sha": fx.HEAD_SHA}}}, "not commit ids"),
    ({"pull_request": {"number": "3", "base": {"sha": fx.BASE_SHA}, "head": {"sha": fx.HEAD_SHA}}}, "positive integer"),
])
def test_bad_event_files_are_named(tmp_path, payload, message):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(bot.EventError, match=message) as caught:
        bot.revisions_from_event(str(path))
    assert str(path) in str(caught.value)


def test_unreadable_event_without_pr_is_a_usage_error(github, sleeps, tmp_path):
    code, _, err = comment(fx.gemma_report(), github, sleeps, pr=None, event_path=str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read the GitHub event" in err


def test_hostile_report_posts_inert_markdown(github, sleeps):
    from test_bot_markdown import assert_inert

    code, _, _ = comment(fx.hostile_report(), github, sleeps)
    assert code == 0
    assert_inert(only_comment(github)["body"])


def test_oversized_comment_still_fits(github, sleeps):
    many = tuple(fx.dropped(text=f"MODEL_NAMES=org/m-{i} " + "X=" + "y" * 2000) for i in range(200))
    report = dataclasses.replace(fx.gemma_report(), findings=many)
    code, _, _ = comment(report, github, sleeps)
    assert code == 0 and len(only_comment(github)["body"]) <= 65536
