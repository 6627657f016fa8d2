"""Small builders shared by the shell tests."""

from __future__ import annotations

from coverage_diff.config import Settings
from coverage_diff.model import Command, Job, Location
from coverage_diff.shell import interpret_job
from coverage_diff.snapshot import Snapshot


def job(*commands: str, env: dict[str, str] | None = None, working_dir: str = "", errexit: bool = True,
        unknown_env: tuple[str, ...] = ()) -> Job:
    return Job(
        system="buildkite", file="pipeline.yaml", key="k", label="step", location=Location("pipeline.yaml", 1),
        commands=tuple(Command(c, Location("pipeline.yaml", 10 + i)) for i, c in enumerate(commands)),
        env=tuple((env or {}).items()), unknown_env=unknown_env, working_dir=working_dir, errexit=errexit,
    )


def interpret(files: dict[str, str], *commands: str, open_world: bool = False, settings: Settings | None = None,
              context=None, **kw):
    return interpret_job(job(*commands, **kw), Snapshot.from_files("t", files), settings or Settings(), open_world=open_world,
                         context=context)


def argvs(outcome) -> list[str]:
    return [" ".join(r.argv) for r in outcome.runs]
