"""`mermaid_for_finding`: a lost subject's old path and the guard that now blocks it."""

from __future__ import annotations

import sys
from pathlib import Path

from coverage_diff.diff import diff
from coverage_diff.report.graph import mermaid_for_finding

import mermaid_check

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))


def _gemma_finding(base, head):
    report = diff(base, head)
    return next(f for f in report.findings if f.kind == "silently-dropped" and "VLLM_SERVE_EXTRA_ARGS" in f.subject)


def test_lost_gemma_shows_old_path_and_blocking_guard(base, head):
    finding = _gemma_finding(base, head)
    chart = mermaid_check.parse(mermaid_for_finding(finding))
    labels = [chart.decoded(n) for n in chart.nodes]
    assert any(label.startswith("NixlConnector PD accuracy tests") for label in labels)
    assert "tp_configs" in labels  # the array it was selected from
    assert len(labels) == 5 and not any(label in ("run_tests", "bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh") for label in labels)
    assert sum("gemma-3" in label for label in labels) == 1  # the path stops at the entry
    guard = next(n for n in chart.nodes if n.startswith("g"))
    assert '[[ -n "${SW_ATTN:-}" ]] needs true' in chart.decoded(guard)
    assert chart.decoded(guard).endswith("config_sweep_accuracy_test.sh:33")
    [blocked] = [(i, e) for i, e in enumerate(chart.edges) if e[0] == guard]
    index, (_, target, arrow, label) = blocked
    assert arrow == "-.->" and label == "blocks it now" and index in chart.link_styles
    assert "gemma-3" in chart.decoded(target)


def test_hostile_finding_stays_inert():
    from bot_reports import hostile_report

    finding = hostile_report().findings[0]
    chart = mermaid_check.parse(mermaid_for_finding(finding))
    assert 1 < len(chart.nodes) <= 6


def test_nothing_to_draw_without_a_base_run():
    from bot_reports import added

    assert mermaid_for_finding(added()) == ""
