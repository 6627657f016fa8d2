"""Text output for a person at a terminal: wrapped to its width, coloured on request or on a
TTY (never with NO_COLOR), `--quiet`, progress on stderr; configs as written in the script."""

from __future__ import annotations

import io

from adoption_kit import run

from coverage_diff.report.terminal import Display, decorate, display, working

REPORT = """coverage-diff base..head
LOSS: 1 test configuration(s) stop running or run less.

SILENTLY DROPPED (still defined, no job runs it): 1
  - MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192 GPU_MEMORY_UTILIZATION=0.8  [tests/sweep.sh:23]
      why: It runs only when `[[ -n "${SW_ATTN:-}" ]]` (tests/sweep.sh:33) is true, and no job sets SW_ATTN, nor any other step of the pipeline.
      suggested fix:
        - label: NixlConnector PD accuracy tests (4 GPUs) (SW_ATTN=1) with a label long enough to need wrapping on any terminal
          commands:
            - SW_ATTN=1 bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh
"""


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wraps_to_the_width_and_keeps_the_fix_pasteable():
    text = decorate(REPORT, Display(width=60))
    lines = text.splitlines()
    fix_start = lines.index("      suggested fix:")
    assert all(len(line) <= 60 for line in lines[:fix_start] if " " in line.strip())
    assert "        - label: NixlConnector PD accuracy tests (4 GPUs) (SW_ATTN=1) with a label long enough to need wrapping on any terminal" in lines
    why = [line for line in lines if "why:" in line or line.startswith("          ")]
    assert why[0].startswith("      why:") and lines[lines.index(why[0]) + 1].startswith("          ")  # continuation indented
    assert decorate(REPORT, Display(width=0)) == REPORT  # not a terminal: untouched


def test_colour_only_when_asked_or_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[1;31mLOSS:\x1b[0m" in decorate(REPORT, display("always", stream=io.StringIO()))
    assert "\x1b[" not in decorate(REPORT, display("auto", stream=io.StringIO()))
    assert "\x1b[" in decorate(REPORT, display("auto", stream=Tty()))
    assert "\x1b[" not in decorate(REPORT, display("never", stream=Tty()))
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in decorate(REPORT, display("auto", stream=Tty()))


def test_quiet_keeps_the_verdict():
    assert decorate(REPORT, Display(quiet=True)) == "LOSS: 1 test configuration(s) stop running or run less.\n"
    assert decorate("4 finding(s).\n\nUNSET-SWITCH: 1\n  - x\n", Display(quiet=True)) == "4 finding(s).\n"


def test_progress_on_stderr_only_when_verbose_or_a_terminal():
    quiet, loud = io.StringIO(), io.StringIO()
    with working("walking history", stream=quiet):
        pass
    with working("walking history", verbose=True, stream=loud):
        pass
    assert quiet.getvalue() == ""
    assert loud.getvalue().startswith("coverage-diff: walking history…\ncoverage-diff: walking history: done in ")


def test_cli_quiet_colour_and_progress(pd_repo):
    result = run(pd_repo, "base..head", "--quiet", "--no-cache")
    assert (result.returncode, result.stdout) == (1, "LOSS: 1 test configuration(s) stop running or run less.\n")
    coloured = run(pd_repo, "base..head", "--color", "always", "--no-cache")
    assert "\x1b[1;31mLOSS:\x1b[0m" in coloured.stdout
    plain = run(pd_repo, "audit", "head", "-v", "--fail-on", "never")
    assert "coverage-diff: auditing head" in plain.stderr
    walk = run(pd_repo, "audit", "--since", "base", "--until", "head", "-v", "--fail-on", "never", "--no-cache")
    assert "coverage-diff: walking history from base to head: 0/1" in walk.stderr
    assert walk.stderr.rstrip().splitlines()[-1].startswith("coverage-diff: walking history from base to head: done in ")


def test_inventory_keeps_the_space_after_the_environment(tmp_path):
    import subprocess

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: MODEL=tiny python -m pytest tests\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "ci"], check=True)
    result = run(repo, "inventory", "--no-cache")
    assert "  MODEL=tiny python -m pytest tests" in result.stdout, result.stdout
    assert run(repo, "inventory", "--format", "markdown").returncode == 2  # only text and json are accepted


def test_text_report_prints_the_entry_as_written():
    from coverage_diff.model import ConfigEntry, Finding, Location, Report, Severity
    from coverage_diff.report import text

    entry = ConfigEntry("TP=2 MODEL=m --flag", Location("sweep.sh", 4), "configs")
    finding = Finding("silently-dropped", entry.identity, Severity.ERROR, "gone", config=entry)
    assert entry.identity != entry.text
    assert "  - TP=2 MODEL=m --flag  [sweep.sh:4]" in text.render(Report("diff", "a", "b", findings=(finding,)))


def test_audit_markdown_fits_github():
    from coverage_diff.model import Finding, Report, Severity
    from coverage_diff.report import audit_markdown

    findings = tuple(Finding("silently-dropped", f"MODEL=m{i} " + "X" * 900, Severity.ERROR, "lost " + "y" * 900,
                             rule=f"rule-{i % 10}", details=(("commit", "a" * 40),)) for i in range(300))
    report = Report("audit", "b" * 40, "c" * 40, findings=findings)
    text = audit_markdown.render(report)
    assert len(text) <= 65_000 < len(audit_markdown.render(report, max_chars=10**9))
    listed = text.count("\n- `MODEL=m")
    assert 0 < listed < 300 and listed % 10 == 0 and f"- … and {30 - listed // 10} more" in text


def test_ran_before_names_each_file_once_and_each_combination():
    from coverage_diff.model import Frame, Location, Run
    from coverage_diff.report.text import ran_in

    def run(label, path):
        return Run(job_id=f"github-actions:{path}:test", argv=("pytest",), env=(), location=Location(path, 9), cwd="",
                   path=(Frame("job", Location(path, 3), label),))

    runs = [run("test (python=3.11)", "ci.yml"), run("test (python=3.12)", "ci.yml"), run("lint", "lint.yml")]
    assert ran_in(runs) == "ci.yml: test (python=3.11), test (python=3.12); lint.yml: lint"
    assert ran_in(runs, limit=2) == "ci.yml: test (python=3.11), test (python=3.12) and 1 more"


def test_audit_markdown_links_hold_the_commit(pd_repo):
    import subprocess

    head = subprocess.run(["git", "-C", str(pd_repo), "rev-parse", "head"], capture_output=True, text=True, check=True).stdout.strip()
    result = run(pd_repo, "audit", "head", "--format", "markdown", "--repo-url", "https://example.invalid/r", "--fail-on", "never")
    assert f"https://example.invalid/r/blob/{head}/" in result.stdout and "/blob/HEAD/" not in result.stdout
