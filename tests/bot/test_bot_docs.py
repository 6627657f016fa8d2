"""docs/bot.md shows the comment the renderer really produces for the vLLM case.

Regenerate the copy with `UPDATE_BOT_DOCS=1 pytest tests/bot/test_bot_docs.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import bot_reports as fx
from coverage_diff.report import markdown
from test_bot_markdown import assert_inert

DOC = Path(__file__).resolve().parents[2] / "docs" / "bot.md"
START, END = "<!-- example:start -->\n", "<!-- example:end -->"


def example() -> str:
    return markdown.render(fx.gemma_report(), repo_url="https://github.com/vllm-project/vllm", head_sha=fx.HEAD_SHA)


def test_docs_example_matches_the_renderer():
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    current, after = rest.split(END, 1)
    if os.environ.get("UPDATE_BOT_DOCS"):
        DOC.write_text(before + START + example() + "\n" + END + after)
        current = example() + "\n"
    assert current == example() + "\n"  # the blank line ends the comment's last HTML block
    assert_inert(current)
