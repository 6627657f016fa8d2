"""The PR comment: verdict, table, links, fixes, folding, escaping, size limit."""

from __future__ import annotations

import dataclasses
import re

from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt

import bot_reports as fx
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "explain"))
import mermaid_check  # noqa: E402
from coverage_diff.report import graph as markdown_graph  # noqa: E402
from coverage_diff.model import Report
from coverage_diff.report import markdown
from coverage_diff.report.escape import md_code, md_prose, md_text

REPO_URL = "https://github.com/vllm-project/vllm"
PARSER = MarkdownIt("commonmark").enable("table")
# The only HTML a comment may contain is the renderer's own.
OWN_HTML = re.compile(r"(<!-- coverage-diff:comment -->|<details>\n<summary>[^<>]*</summary>|</details>|<sub>|</sub>)\n?")
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")


COLUMNS = 3  # configuration, what happened, why: narrow enough for GitHub's comment column


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
    assert all(n == COLUMNS for n in cells), cells


def render(report: Report, **kw) -> str:
    return markdown.render(report, repo_url=REPO_URL, head_sha=fx.HEAD_SHA, **kw)


def test_marker_is_the_first_line_and_the_verdict_follows():
    text = render(fx.gemma_report())
    lines = text.splitlines()
    assert lines[0] == markdown.MARKER
    assert lines[2] == "### ❌ coverage-diff: 1 test configuration stops running (1 silently dropped)"


def table(text: str) -> list[list[str]]:
    """The comment's table as rendered by markdown-it: header and rows, cell texts."""
    rows, row = [], None
    all_tokens = list(PARSER.parse(text))
    for i, token in enumerate(all_tokens):
        if token.type == "tr_open":
            row = []
            rows.append(row)
        elif token.type == "inline" and row is not None and all_tokens[i - 1].type in ("th_open", "td_open"):
            row.append(token.content)
        elif token.type == "table_close":
            row = None
    return rows


def test_table_columns_are_configuration_what_happened_why():
    text = render(fx.gemma_report())
    header, row = table(text)
    assert header == ["Configuration", "What happened", "Why"]
    assert "gemma-3-4b-it" in row[0] and len(row[0]) < 80  # clipped: the whole text is in the details
    assert row[1].startswith("**silently dropped**")
    assert '`[[ -n "${SW_ATTN:-}" ]]`' in row[2] and "no job sets `SW_ATTN`" in row[2]
    assert f"{REPO_URL}/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in row[2]  # the blocking guard, at head


def test_details_name_entry_job_file_and_guard_with_links():
    text = render(fx.gemma_report())
    details = text[text.index("#### Details"):text.index("#### Suggested fix")]
    assert fx.GEMMA in details  # the whole configuration, as written
    assert f"{REPO_URL}/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L31" in details  # the entry, at head
    assert "NixlConnector PD accuracy tests" in details
    assert f"{REPO_URL}/blob/{fx.BASE_SHA}/{fx.PIPELINE}#L40" in details  # the job, at base
    assert f"{REPO_URL}/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in details


def test_footer_has_version_docs_and_how_to_acknowledge():
    from coverage_diff import DOCS_URL, __version__

    last = render(fx.gemma_report()).rstrip("\n").splitlines()[-1]
    assert last.startswith(f"<sub>coverage-diff {__version__} · [docs]({DOCS_URL}/bot.md)")
    assert "`# coverage-diff: accept[KIND] reason`" in last
    assert "accept[" not in render(fx.clean_report())  # nothing to acknowledge


def test_an_acknowledged_loss_is_shown_and_does_not_make_the_verdict():
    from coverage_diff.model import Acknowledgement, Location

    ack = Acknowledgement("moved to the nightly sweep", Location(fx.SWEEP, 30))
    report = fx.gemma_report(dataclasses.replace(fx.dropped(), acknowledged=ack))
    report = dataclasses.replace(report, findings=tuple(f for f in report.findings if f.kind != "silently-dropped" or f.acknowledged))
    text = render(report)
    assert text.splitlines()[2] == "### ✅ coverage-diff: no test configuration stops running (1 intended loss acknowledged)"
    [_, row] = table(text)
    assert row[1].startswith("✅ **acknowledged**: moved to the nightly sweep")
    assert f"acknowledged at [`{fx.SWEEP}:30`]" in text
    assert "Suggested fix" not in text and "mermaid" not in text
    assert markdown.is_clean(report)


def test_a_loss_accepted_once_merged_is_shown_and_still_makes_the_verdict():
    from coverage_diff.model import Acknowledgement, Location

    ack = Acknowledgement("moved to the nightly sweep", Location(fx.SWEEP, 30))
    report = fx.gemma_report(dataclasses.replace(fx.dropped(), accepted_once_merged=ack))
    text = render(report)
    assert "no test configuration stops running" not in text.splitlines()[2]
    assert f"accepted once merged (this change adds the comment at [`{fx.SWEEP}:30`]" in text
    assert not markdown.is_clean(report)


def test_symbolic_revisions_link_to_the_commits_they_resolved_to():
    report = dataclasses.replace(fx.gemma_report(), base="origin/main", head="HEAD",
                                 base_commit=fx.BASE_SHA, head_commit=fx.HEAD_SHA)
    text = markdown.render(report, repo_url=REPO_URL)
    assert f"/blob/{fx.HEAD_SHA}/{fx.SWEEP}#L44" in text and f"/blob/{fx.BASE_SHA}/{fx.PIPELINE}#L40" in text


def test_no_links_into_the_repository_without_its_url():
    text = markdown.render(fx.gemma_report())
    assert "vllm" not in text.lower().split("<sub>")[-1] and f"/blob/{fx.HEAD_SHA}" not in text and "/blob/1111" not in text


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


def test_the_verdict_counts_each_kind_in_its_clause_in_the_kinds_order():
    """Each kind's `verdict` (kinds.py) picks its clause; the clause naming kinds lists them in
    the table's order, whatever order the findings come in."""
    removed = dataclasses.replace(fx.dropped(text="R=1"), kind="removed")
    dropped = [fx.dropped(text=f"D={i}") for i in range(2)]
    rarer = dataclasses.replace(fx.dropped(text="T=1"), kind="tier-changed")
    moved = dataclasses.replace(fx.dropped(text="M=1"), kind="moved")
    text = render(Report(command="diff", findings=(removed, rarer, moved, *dropped)))
    assert text.splitlines()[2] == ("### ❌ coverage-diff: 3 test configurations stop running (2 silently dropped, 1 removed); "
                                    "1 test configuration runs in rarer builds")


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
    shown = len(table(text)) - 1
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
    row = f"| {md_code(value)} {md_text(value)} | {md_prose(value)} | {md_prose('`' + value + '`')} |"
    text = "| a | b | c |\n|---|---|---|\n" + row + "\n"
    assert_inert(text)


def test_losses_get_a_folded_diagram_of_their_old_path_and_blocking_guard():
    text = render(fx.gemma_report())
    charts = [t for t in tokens(text) if t.type == "fence" and t.info == "mermaid"]
    assert len(charts) == 1
    assert charts[0].content.startswith("flowchart LR")
    assert "blocks it now" in charts[0].content
    chart = mermaid_check.parse(charts[0].content)
    # Only the blocking path: job -> script -> array -> entry, and the guard that blocks it.
    assert len(chart.nodes) == 5 <= markdown_graph.MAX_FINDING_NODES
    assert [chart.decoded(n).split("\n")[0] for n in list(chart.nodes)[:3]] == [fx.JOB_LABEL, fx.SWEEP, "tp_configs"]
    assert "<summary>How the lost configurations ran before, and what blocks them now</summary>" in text
