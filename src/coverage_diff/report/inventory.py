"""`coverage-diff inventory`: what CI runs at one revision (text or JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .escape import one_line, terminal
from .json import config_dict, dumps, run_dict

if TYPE_CHECKING:
    from ..inventory import Inventory


def render(inventory: Inventory, fmt: str = "text") -> str:
    data = to_dict(inventory)
    if fmt == "json":
        return dumps(data)
    lines = [f"coverage-diff inventory {terminal(inventory.snapshot.name)}: {len(inventory.jobs)} jobs, "
             f"{len(inventory.runs)} runs, {len(data['unreached_entries'])} config entries no job reaches"]
    for job in data["jobs"]:
        lines.append("")
        lines.append(f"{one_line(job['label'])}  [{terminal(job['path'])}:{job['line']}] ({job['tier']})")
        for run in job["runs"]:
            env = " ".join(f"{k}={v}" for k, v in run["env"].items())
            cond = "  (conditional)" if run["conditional"] else ""
            prefix = one_line(env) + " " if env else ""  # one_line strips: the space goes after it
            lines.append(f"  {prefix}{one_line(' '.join(run['argv']))}{cond}")
    if data["unreached_entries"]:
        lines.append("")
        lines.append("Config entries no job reaches:")
        for entry in data["unreached_entries"]:
            lines.append(f"  {terminal(entry['path'])}:{entry['line']} {entry['array']}: {one_line(entry['text'])}")
    if data["diagnostics"]:
        lines.append("")
        lines += [f"{terminal(d['path'])}:{d['line']}: {one_line(d['message'])}" for d in data["diagnostics"]]
    if data["incomplete"]:
        lines.append("")
        lines.append(f"Analysed only partly ({len(data['incomplete'])} places):")
        lines += [f"  {terminal(i['path'])}:{i['line']}: {one_line(i['reason'])}" for i in data["incomplete"]]
    return "\n".join(lines) + "\n"


def to_dict(inventory: Inventory) -> dict:
    runs_by_job: dict[str, list] = {}
    for run in inventory.runs:
        runs_by_job.setdefault(run.job_id, []).append(run)
    return {
        "revision": inventory.snapshot.name,
        "jobs": [
            {
                "id": job.id,
                "system": job.system,
                "key": job.key,
                "label": job.label,
                "path": job.file,
                "line": job.location.line,
                "tier": job.tier.value,
                "platform": job.platform,
                "env": dict(job.env),
                "working_dir": job.working_dir,
                "commands": [c.text for c in job.commands],
                "matrix": dict(job.matrix),
                "soft_fail": job.soft_fail,
                "source_file_dependencies": list(job.source_file_dependencies),
                "attributes": [list(a) for a in job.attributes],
                "runs": [dict(run_dict(r), subject=r.subject, config=config_dict(r.entry)) for r in runs_by_job.get(job.id, [])],
            }
            for job in inventory.jobs
        ],
        "unreached_entries": [config_dict(e) for e in inventory.unreached_entries()],
        "diagnostics": [{"path": d.location.path, "line": d.location.line, "message": d.message} for d in inventory.diagnostics],
        "incomplete": [{"path": i.location.path, "line": i.location.line, "reason": i.reason} for i in inventory.incomplete],
    }
