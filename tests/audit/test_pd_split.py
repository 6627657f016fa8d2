"""The issue's "done when": the vLLM-style PD split, audited at its head through the CLI."""

from __future__ import annotations

import json

from coverage_diff.cli import main

from .conftest import PD_SPLIT

SW_ATTN_ENTRIES = {
    "GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it VLLM_SERVE_EXTRA_ARGS=--max-model-len,8192",
    "DECODER_TP_SIZE=2 GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it PREFILLER_TP_SIZE=1",
    "DECODER_TP_SIZE=1 GPU_MEMORY_UTILIZATION=0.8 MODEL_NAMES=google/gemma-3-4b-it PREFILLER_TP_SIZE=2",
}


def run_cli(args, capsys) -> tuple[int, str]:
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - typer always exits
        code = 0
    return code, capsys.readouterr().out


def test_head_reports_the_stranded_sw_attn_entries_and_the_switch(pd_repo, capsys):
    code, out = run_cli(["audit", "head", "--repo", str(pd_repo), "--format", "json"], capsys)
    report = json.loads(out)
    assert code == 1  # unreachable-config is an error
    assert report["command"] == "audit"
    unreachable = [f for f in report["findings"] if f["rule"] == "unreachable-config"]
    assert {f["subject"] for f in unreachable} == SW_ATTN_ENTRIES
    assert {f["config"]["array"] for f in unreachable} == {"sw_attn_configs"}
    assert all("kind" not in f for f in report["findings"])
    switches = [f["subject"] for f in report["findings"] if f["rule"] == "unset-switch"]
    assert switches == ["SW_ATTN"]


def test_unreachable_findings_carry_the_blocking_guard(pd_repo, capsys):
    _, out = run_cli(["audit", "head", "--repo", str(pd_repo), "--format", "json"], capsys)
    for finding in json.loads(out)["findings"]:
        if finding["rule"] == "unreachable-config":
            guards = finding["reason"]["guards"]
            assert [g["condition"] for g in guards] == ['[[ -n "${SW_ATTN:-}" ]]']
            assert guards[0]["path"].endswith("config_sweep_accuracy_test.sh") and guards[0]["required"] is True
            assert "SW_ATTN=1" in finding["reason"]["fix"]


def test_nothing_is_reported_for_arrays_jobs_reach(pd_repo, capsys):
    _, out = run_cli(["audit", "head", "--repo", str(pd_repo), "--format", "json"], capsys)
    report = json.loads(out)
    arrays = {f["config"]["array"] for f in report["findings"] if f["config"]}
    assert arrays <= {"sw_attn_configs"}
    reached = ("tp_configs", "dp_ep_configs", "hybrid_ssm_configs")
    assert not any(a in json.dumps(f["subject"]) for f in report["findings"] for a in reached)
    # CROSS_LAYERS_BLOCKS=True meets a `-n` guard: any non-empty value is accepted.
    assert not [f for f in report["findings"] if f["rule"] == "value-mismatch"]
    # ROCM_ATTN is never set, but it only picks a backend for runs that happen anyway.
    assert "ROCM_ATTN" not in {f["subject"] for f in report["findings"]}


def test_fail_on_never_and_text_output(pd_repo, capsys):
    code, out = run_cli(["audit", "head", "--repo", str(pd_repo), "--fail-on", "never"], capsys)
    assert code == 0
    assert "unreachable-config: 3" in out and "SW_ATTN" in out
