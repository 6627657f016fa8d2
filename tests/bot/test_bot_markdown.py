"""The PR comment: verdict, table, links, fixes, folding, escaping, size limit."""

from __future__ import annotations

import dataclasses
import re

from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt

import bot_reports as fx
from coverage_diff.model import Report
from coverage_diff.report import markdown
from coverage_diff.report.escape import md_code, md_prose, md_text

REPO_URL = "https://github.com/vllm-project/vllm"
PARSER = MarkdownIt("commonmark").enable("table")
# The only HTML a comment may contain is the renderer's own.
OWN_HTML = re.compile(r"(<!-- coverage-diff:comment -->|<details>\n<summary>[^<>]*</summary>|</details>)\n?")
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")


def tokens(text: str):
    for token in PARSER.parse(text):
        yield token
        yield from token.children or ()


def assert_inert(text: str) -> None:
    """No HTML, mention or escape sequence from the repository; tables keep their shape."""
    assert "\x1b" not in text
    all_tokens = list(tokens(text))
    for token in all_tokens:
        if token.type in ("html_block", "html_inline"):
            assert OWN_HTML.fullmatch(token.content), token.content
        if token.type == "text":
            assert not MENTION.search(token.content), token.content
    opened = sum(1 for t in all_tokens if t.type == "html_block" and t.content.startswith("<details>"))
    closed = sum(1 for t in all_tokens if t.type == "html_block" and t.content.startswith("</details>"))
    assert opened == closed
    cells = []
    for token in all_tokens:
        if token.type == "tr_open":
            cells.append(0)
        elif token.type in ("th_open", "td_open"):
            cells[-1] += 1
    assert all(n == 4 for n in cells), cells


def render(report: Report, **kw) -> str:
    return markdown.render(report, repo_url=REPO_URL, head_sha=fx.HEAD_SHA, **kw)


def test_marker_is_the_first_line_and_the_verdict_follows():
    text = render(fx.gemma_report())
    lines = text.splitlines()
    assert lines[0] == markdown.MARKER
    assert lines[2] == "### ❌ coverage-diff: 1 test configuration stops running (1 silently dropped)"


def test_loss_row_names_subject_job_file_and_guard_with_links():
    text = render(fx.gemma_report())
    row = next(line for line in text.splitlines() if "gemma-3-4b-it" in line and line.startswith("|"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
    assert len(cells) == 4
    assert f"{REPO_URL}/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L31" in cells[0]  # the entry, at head
    assert cells[1] == "silently-dropped"
    assert "NixlConnector PD accuracy tests" in cells[2]
    assert f"{REPO_URL}/blob/{fx.BASE_SHA}/{fx.PIPELINE}#L40" in cells[2]  # the job, at base
    assert '`[[ -n "${SW_ATTN:-}" ]]`' in cells[3]
    assert f"{REPO_URL}/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in cells[3]  # the blocking guard, at head


def test_no_links_without_repository_url():
    text = markdown.render(fx.gemma_report())
    assert "](" not in text and "/blob/" not in text


def test_base_links_only_when_the_base_is_a_commit():
    report = dataclasses.replace(fx.gemma_report(), base="origin/main")
    text = render(report)
    assert f"/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in text
    assert f"{fx.PIPELINE}#L40" not in text and f"`{fx.PIPELINE}:40`" in text


def test_fix_is_a_yaml_fence_once_per_distinct_fix():
    second = fx.dropped(text="MODEL_NAMES=google/gemma-3-27b-it DECODER_TP_SIZE=4")
    text = render(fx.gemma_report(second))
    assert text.count("#### Suggested fix") == 1
    assert text.count("```yaml\n") == 1
    fences = [t for t in tokens(text) if t.type == "fence" and t.info != "mermaid"]
    assert [f.info for f in fences] == ["yaml"] and fences[0].content == fx.FIX
    assert "gemma-3-27b-it" in text.split("```yaml")[0].rsplit("To run", 1)[1]


def test_moves_and_additions_are_folded():
    text = render(fx.gemma_report())
    start = text.index("<details>\n<summary>1 moved")
    folded = text[start: text.index("</details>", start)]
    assert "<summary>1 moved, 1 added</summary>" in folded
    assert "Qwen3-0.6B" in folded and "DeepSeek-V2-Lite-Chat" in folded
    assert "Qwen3-0.6B" not in text[: text.index("<details>")]


def test_clean_report_says_so():
    text = render(fx.clean_report())
    assert text.splitlines()[0] == markdown.MARKER
    assert "### ✅ coverage-diff: no test configuration stops running" in text
    assert "| Test configuration |" not in text and "Suggested fix" not in text
    assert markdown.is_clean(fx.clean_report()) and not markdown.is_clean(fx.gemma_report())


def test_narrowed_and_audit_findings_make_a_verdict():
    narrowed = dataclasses.replace(fx.dropped(), kind="narrowed")
    audit = dataclasses.replace(fx.dropped(text="A=1"), kind="unset-switch", rule="unset-switch")
    text = render(Report(command="diff", findings=(narrowed, audit)))
    assert "1 test configuration loses some of its runs; 1 audit finding" in text.splitlines()[2]


def test_hostile_repository_text_renders_inert():
    text = render(fx.hostile_report())
    assert_inert(text)
    assert "@\u200dorg/team" in text  # shown, but cannot notify
    # The fix keeps its content verbatim inside a fence that its backticks cannot close.
    fences = [t for t in tokens(text) if t.type == "fence" and t.info == "yaml"]
    assert len(fences) == 1 and "</details>" in fences[0].content and "```" in fences[0].content


def test_prose_quotes_become_code_spans():
    assert md_prose("runs only when `[[ -n \"$X\" ]]` is true") == 'runs only when `[[ -n "$X" ]]` is true'
    assert md_prose("odd ` tick <b>") == "odd \\` tick &lt;b\\>"


def test_hostile_code_spans_show_the_text_literally():
    text = render(fx.hostile_report())
    codes = [t.content for t in tokens(text) if t.type == "code_inline"]
    assert any("<img src=x onerror=alert(1)>" in c and "`tick``" in c and "| pipe" in c for c in codes)


def test_truncation_counts_omitted_findings_and_fits():
    many = tuple(fx.dropped(text=f"MODEL_NAMES=org/model-{i} TP={i}") for i in range(400))
    report = Report(command="diff", base=fx.BASE_SHA, head=fx.HEAD_SHA, findings=many + (fx.moved(),))
    text = render(report, max_chars=20_000)
    assert len(text) <= 20_000
    shown = len(re.findall(r"^\| \[`", text, re.M))
    assert 0 < shown < 400
    assert f"_{401 - shown} more findings not shown" in text
    assert "400 test configurations stop running" in text  # the verdict counts everything
    assert_inert(text)


def test_default_limit_fits_github():
    huge = "X=" + "y" * 100_000
    many = tuple(fx.dropped(text=f"{huge} I={i}", fix=f"- label: {i} {huge}\n") for i in range(50))
    text = render(Report(command="diff", findings=many))
    assert len(text) <= markdown.GITHUB_LIMIT
    assert "more findings not shown" in text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_any_text_stays_inside_its_cell(value):
    row = f"| {md_code(value)} | {md_text(value)} | {md_prose(value)} | {md_prose('`' + value + '`')} |"
    text = "| a | b | c | d |\n|---|---|---|---|\n" + row + "\n"
    assert_inert(text)


def test_losses_get_a_folded_diagram_of_their_old_path_and_blocking_guard():
    text = render(fx.gemma_report())
    charts = [t for t in tokens(text) if t.type == "fence" and t.info == "mermaid"]
    assert len(charts) == 1
    assert charts[0].content.startswith("flowchart LR")
    assert "blocks it now" in charts[0].content
    assert "<summary>How the lost configurations ran before, and what blocks them now</summary>" in text
