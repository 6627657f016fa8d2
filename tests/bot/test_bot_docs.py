"""docs/bot.md shows a comment the real pipeline produced for the vLLM-style example.

Regenerate the copy with `UPDATE_BOT_DOCS=1 pytest tests/bot/test_bot_docs.py`: it builds
`make demo`'s repository (fixtures/vllm_pd_split) and runs diff + markdown on it; the test
compares the whole body with a fresh run (the demo's commits are the same on every build).
The links hold the commits the tags resolved to, not the tag names.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coverage_diff.report import markdown
from test_bot_markdown import assert_inert

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "bot.md"
START, END = "<!-- example:start -->\n", "<!-- example:end -->"
REPO_URL = "https://github.com/vllm-project/vllm"


def generate(tmp_path: Path) -> str:
    from coverage_diff.engine.session import diff_range

    repo = tmp_path / "demo"
    subprocess.run([sys.executable, str(ROOT / "fixtures" / "history.py"), str(ROOT / "fixtures" / "vllm_pd_split"), str(repo)],
                   check=True, capture_output=True)
    base, head = (subprocess.run(["git", "-C", str(repo), "rev-parse", tag], check=True, capture_output=True, text=True)
                  .stdout.strip() for tag in ("base", "head"))
    return markdown.render(diff_range(repo, f"{base}...{head}"), repo_url=REPO_URL)


def test_docs_example_is_a_real_inert_comment(tmp_path):
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    current, after = rest.split(END, 1)
    generated = generate(tmp_path) + "\n"  # the blank line ends the comment's last HTML block
    if os.environ.get("UPDATE_BOT_DOCS"):
        current = generated
        DOC.write_text(before + START + current + END + after)
    assert current == generated, "docs/bot.md's example is stale: UPDATE_BOT_DOCS=1 pytest tests/bot/test_bot_docs.py"
    assert current.startswith(markdown.MARKER + "\n")
    assert "stops running" in current and "gemma-3-4b-it" in current and "SW_ATTN" in current
    assert f"{REPO_URL}/blob/" in current and "```yaml" in current
    assert_inert(current)
