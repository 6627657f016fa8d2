"""Hand-built reports for the bot's tests: the vLLM gemma-3 case and a hostile one.

They follow model.py as the diff stage fills it: the config entry and guards
are head-side locations, the runs are base-side.
"""

from __future__ import annotations

from coverage_diff.model import (
    Condition, ConfigEntry, Finding, Frame, Guard, Incomplete, Location, Reason, Report, Run, Severity,
)

SWEEP = "tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
RUNNER = "tests/v1/kv_connector/nixl_integration/run_accuracy_test.sh"
PIPELINE = ".buildkite/test_areas/distributed.yaml"
JOB_LABEL = "NixlConnector PD accuracy tests (Distributed)"
GEMMA = "MODEL_NAMES=google/gemma-3-4b-it PREFILLER_TP_SIZE=1 DECODER_TP_SIZE=2"
BASE_SHA = "1111111111111111111111111111111111111111"
HEAD_SHA = "2222222222222222222222222222222222222222"

FIX = """\
- label: NixlConnector PD accuracy tests, sliding window (Distributed)
  timeout_in_minutes: 30
  device: h100
  num_devices: 4
  source_file_dependencies:
  - vllm/distributed/kv_transfer/kv_connector/v1/nixl_connector.py
  - tests/v1/kv_connector/nixl_integration/
  env:
    SW_ATTN: "1"
  commands:
  - bash v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh
"""


def run_of(entry: ConfigEntry, *, job_label: str = JOB_LABEL, job_line: int = 40) -> Run:
    job = Frame("job", Location(PIPELINE, job_line), job_label)
    return Run(
        job_id=f"buildkite:{PIPELINE}:nixl-pd-accuracy",
        argv=("bash", RUNNER),
        env=tuple(tuple(word.split("=", 1)) for word in entry.text.split() if "=" in word),
        location=Location(SWEEP, 88),
        cwd="tests",
        entry=entry,
        path=(job, Frame("script", Location(SWEEP, 1), SWEEP), Frame("array", entry.location, entry.array),
              Frame("entry", entry.location, entry.text)),
    )


def dropped(text: str = GEMMA, *, job_label: str = JOB_LABEL, guard_text: str = '[[ -n "${SW_ATTN:-}" ]]',
            reason_text: str = "selected only when SW_ATTN is non-empty, and no CI step sets SW_ATTN",
            near_misses: tuple = (), fix: str = FIX, message: str = "") -> Finding:
    base_entry = ConfigEntry(text, Location(SWEEP, 21), "tp_configs")
    head_entry = ConfigEntry(text, Location(SWEEP, 31), "sw_attn_configs")
    guard = Guard(Condition(Location(SWEEP, 44), guard_text, ("SW_ATTN",), False), required=True,
                  provided=((job_label, "SW_ATTN", "<unset>"),))
    reason = Reason(reason_text, ("SW_ATTN",), (guard,), near_misses, fix)
    return Finding(
        kind="silently-dropped", subject=head_entry.identity, severity=Severity.ERROR,
        message=message or "ran at base in 1 job; at head it is still defined in sw_attn_configs but runs nowhere",
        config=head_entry, reason=reason, locations=(head_entry.location, guard.condition.location),
        base_runs=(run_of(base_entry, job_label=job_label),),
    )


def moved(text: str = "MODEL_NAMES=Qwen/Qwen3-0.6B PREFILLER_TP_SIZE=1 DECODER_TP_SIZE=1") -> Finding:
    entry = ConfigEntry(text, Location(SWEEP, 24), "default_configs")
    return Finding(kind="moved", subject=entry.identity, severity=Severity.INFO,
                   message="runs the same, now from default_configs", config=entry,
                   base_runs=(run_of(entry),), head_runs=(run_of(entry),))


def added(text: str = "MODEL_NAMES=deepseek-ai/DeepSeek-V2-Lite-Chat DECODER_TP_SIZE=2") -> Finding:
    entry = ConfigEntry(text, Location(SWEEP, 26), "tp_configs")
    return Finding(kind="added", subject=entry.identity, severity=Severity.INFO,
                   message="new: runs in 1 job", config=entry, head_runs=(run_of(entry),))


def gemma_report(*extra: Finding) -> Report:
    findings = (dropped(), moved(), added()) + extra
    return Report(command="diff", base=BASE_SHA, head=HEAD_SHA, findings=findings)


def clean_report() -> Report:
    return Report(command="diff", base=BASE_SHA, head=HEAD_SHA, findings=(moved(),))


HOSTILE = "</details><img src=x onerror=alert(1)> @org/team `tick`` | pipe\nnew line \x1b[31mred\x1b[0m <script>"


def hostile_report() -> Report:
    evil = dropped(
        text=f"MODEL_NAMES={HOSTILE} TP=2",
        job_label=f"job {HOSTILE}",
        guard_text=f'[[ -n "${{X:-}}" ]] {HOSTILE}',
        reason_text=f"because {HOSTILE}",
        near_misses=((f"SW_ATTEN{HOSTILE}", "SW_ATTN", f"label {HOSTILE}"),),
        fix=f"- label: x\n  commands:\n  - echo ```\n  - echo {HOSTILE}\n```\n</details>\n",
        message=f"message {HOSTILE}",
    )
    other = Finding(kind="moved", subject=f"cfg {HOSTILE}", severity=Severity.INFO, message=f"moved {HOSTILE}",
                    config=ConfigEntry(HOSTILE, Location(f"dir/{HOSTILE}.sh", 3), "a"))
    return Report(command="diff", base=f"main{HOSTILE}", head="HEAD", findings=(evil, other),
                  incomplete=(Incomplete(Location(SWEEP, 9), f"eval of {HOSTILE}"),))
