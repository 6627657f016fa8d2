"""Inline ignore comments, the settings' ignore list, and baselines."""

from __future__ import annotations

import json

import pytest

from coverage_diff import baseline
from coverage_diff.cli import main
from coverage_diff.suppress import parse_line

from .conftest import SWEEP, audit_repo, by_rule, make_repo, repo_files, step
from .test_pd_split import run_cli

DEFAULT = step("Default sweep", "bash sweep/run_sweep.sh")


def test_parse_ignore_comments():
    assert parse_line('  "MODEL=x"  # coverage-diff: ignore[unreachable-config] run by hand') == (("unreachable-config",), "run by hand")
    assert parse_line("# coverage-diff: ignore[unset-switch, value-mismatch]") == (("unset-switch", "value-mismatch"), "")
    assert parse_line("# coverage-diff: ignore") == ((), "")
    assert parse_line("# coverage-diff is great") is None


def test_comment_on_the_line_above_suppresses(tmp_path):
    sweep = SWEEP.replace('special_configs=(\n', 'special_configs=(\n  # coverage-diff: ignore[unreachable-config] needs a B200, run by hand\n')
    report = audit_repo(make_repo(tmp_path, repo_files(DEFAULT, sweep)))
    assert not by_rule(report, "unreachable-config")
    assert dict(report.summary)["suppressed"] == 1
    assert by_rule(report, "unset-switch")  # another rule, another line: still reported


def test_trailing_comment_on_the_finding_line_suppresses(tmp_path):
    sweep = SWEEP.replace('"MODEL=gamma TP=1"', '"MODEL=gamma TP=1"  # coverage-diff: ignore[unreachable-config] manual')
    assert not by_rule(audit_repo(make_repo(tmp_path, repo_files(DEFAULT, sweep))), "unreachable-config")


def test_comment_for_another_rule_or_too_far_away_does_not_suppress(tmp_path):
    sweep = SWEEP.replace('"MODEL=gamma TP=1"', '"MODEL=gamma TP=1"  # coverage-diff: ignore[value-mismatch] wrong rule')
    sweep = sweep.replace("special_configs=(\n", "# coverage-diff: ignore[unreachable-config] two lines up\n\nspecial_configs=(\n")
    assert by_rule(audit_repo(make_repo(tmp_path, repo_files(DEFAULT, sweep))), "unreachable-config")


def test_yaml_comment_suppresses_an_ignored_key(tmp_path):
    steps = DEFAULT + "- label: Legacy\n  # coverage-diff: ignore[ignored-key] kept for the AMD template\n  num_gpus: 2\n  commands:\n    - pytest -v sweep/test_model.py\n"
    report = audit_repo(make_repo(tmp_path, repo_files(steps)))
    assert not by_rule(report, "ignored-key")


@pytest.mark.parametrize(
    ("ignore", "left"),
    [
        ('["unreachable-config"]', set()),
        ('["unreachable-config:*gamma*"]', set()),
        ('["unreachable-config:*delta*"]', {"MODEL=gamma TP=1"}),
    ],
)
def test_settings_ignore_list(tmp_path, ignore, left):
    extra = {"pyproject.toml": f'[tool.coverage-diff]\nignore = {ignore}\n'}
    report = audit_repo(make_repo(tmp_path, repo_files(DEFAULT, extra=extra)))
    assert set(by_rule(report, "unreachable-config")) == left


def test_baseline_round_trip_through_the_cli(tmp_path, capsys):
    repo = make_repo(tmp_path, repo_files(DEFAULT))
    saved = tmp_path / "baseline.json"
    code, out = run_cli(["audit", "--repo", str(repo), "--format", "json", "--write-baseline", str(saved)], capsys)
    assert code == 1 and json.loads(out)["findings"]
    ids = {e["id"] for e in json.loads(saved.read_text())["findings"]}
    assert "unreachable-config:MODEL=gamma TP=1" in ids and "unset-switch:SPECIAL" in ids

    code, out = run_cli(["audit", "--repo", str(repo), "--format", "json", "--baseline", str(saved)], capsys)
    report = json.loads(out)
    assert code == 0 and report["findings"] == [] and report["summary"]["baselined"] == len(ids)


def test_baseline_ids_survive_line_moves(tmp_path):
    before = audit_repo(make_repo(tmp_path, repo_files(DEFAULT), "a"))
    moved = SWEEP.replace("#!/usr/bin/env bash\n", "#!/usr/bin/env bash\n# a new header comment\n\n\n")
    after = audit_repo(make_repo(tmp_path, repo_files(DEFAULT, moved), "b"))
    assert by_rule(before, "unreachable-config")["MODEL=gamma TP=1"].config.location.line != \
        by_rule(after, "unreachable-config")["MODEL=gamma TP=1"].config.location.line
    saved = tmp_path / "b.json"
    baseline.write(before, saved)
    assert baseline.only_new(after, baseline.read(saved)).findings == ()


def test_new_findings_pass_through_a_baseline(tmp_path):
    old = audit_repo(make_repo(tmp_path, repo_files(DEFAULT), "a"))
    saved = tmp_path / "old.json"
    baseline.write(old, saved)
    new = audit_repo(make_repo(tmp_path, repo_files(DEFAULT + step("Gone", "bash sweep/gone.sh")), "b"))
    assert [f.rule for f in baseline.only_new(new, baseline.read(saved)).findings] == ["missing-script"]


def test_bad_baseline_is_a_usage_error(tmp_path, capsys):
    repo = make_repo(tmp_path, repo_files(DEFAULT))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--repo", str(repo), "--baseline", str(bad)])
    assert exit_info.value.code == 2
    assert "bad.json:1: baseline is not valid JSON" in capsys.readouterr().err
