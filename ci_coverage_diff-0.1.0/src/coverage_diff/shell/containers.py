"""Commands run inside containers: `docker exec NAME bash -c "CMD"` and
`docker run [OPTIONS] IMAGE [COMMAND]` (vLLM's `.buildkite/scripts/hardware_ci/*.sh`).

The command inside is interpreted like `bash -c` in a new process that sees only
the container's environment (`-e NAME=value`, `--env NAME`, and what `docker run
--name NAME -e ...` gave the container an `exec` enters), from the container's
working directory (`-w`/`--workdir`, workspace prefixes mapped to the repository).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from .state import State
from .values import Val, unknown

# Options that take a value as the next word (`--name x`; `--name=x` is one word either way).
VALUE_OPTIONS = frozenset("""
-e --env --env-file -u --user -w --workdir --detach-keys -v --volume --name --entrypoint --network --net
--device --shm-size --cpuset-cpus --cpuset-mems --gpus --ipc -p --publish --mount --runtime --cap-add
--cap-drop --security-opt --ulimit --memory -m --label -l --hostname -h --add-host --platform --pull
--restart --tmpfs --group-add --cpus --pid --uts --log-driver --log-opt --stop-signal --volumes-from --dns
--memory-swap --oom-score-adj --expose --link --cgroupns --userns --cidfile --label-file --health-cmd
--storage-opt --sysctl --device-cgroup-rule --mac-address --ip --cpu-shares -c --blkio-weight --attach -a
""".split())
SHELLS = frozenset({"bash", "sh", "/bin/bash", "/bin/sh", "/usr/bin/bash", "/usr/bin/sh"})


@dataclass(frozen=True)
class Container:
    """What `docker run --name NAME` set up, for later `docker exec NAME`."""

    env: tuple[tuple[str, Val], ...] = ()
    workdir: str | None = None


@dataclass
class Invocation:
    options: dict[str, list[Val]]
    target: Val | None  # the container (exec) or image (run)
    command: list[Val]


def parse(args: list[Val]) -> Invocation:
    """Options, then the container or image, then the command and its arguments."""
    options: dict[str, list[Val]] = {}
    rest = list(args)
    while rest and rest[0].known and rest[0].text.startswith("-") and rest[0].text != "-":
        given = rest.pop(0)
        word = given.text
        if word == "--":
            break
        name, eq, value = word.partition("=")
        if eq:  # `--env=X=$X`: the value keeps the variables it came from
            options.setdefault(name, []).append(Val(value, given.entry, given.sources))
        elif name in VALUE_OPTIONS:
            if rest:
                options.setdefault(name, []).append(rest.pop(0))
        else:
            options.setdefault(name, []).append(Val(""))
    target = rest.pop(0) if rest else None
    return Invocation(options, target, rest)


NAMED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")


def environment(interp, st: State, options: dict[str, list[Val]], prefixes, node: Node) -> list[tuple[str, Val]]:
    """`-e NAME=value` sets NAME; a bare `-e NAME` passes the docker client's own value, if any.

    `-e "NAME=${NAME}"` of a variable that nothing on the way sets passes the agent's NAME
    (a token, a device mask the agent gives each job): its value is not known, as for a bare
    `-e NAME` of it, and not the empty string the closed world would make of it."""
    env: list[tuple[str, Val]] = []
    client = dict(prefixes)
    for value in options.get("-e", []) + options.get("--env", []):
        if not value.known:
            named = NAMED.match(value.origin)
            if named is None:
                interp.incomplete(interp.loc(st, node), f"container environment {value.origin!r} not known statically")
            else:  # `-e "NAME=$unknown"`: NAME is set, to a value not known statically
                env.append((named.group(1), unknown(value.origin[named.end():], value.sources)))
            continue
        name, eq, text = value.text.partition("=")
        if eq and not text and value.sources == {name} and name not in client and _inherited(st, name):
            env.append((name, unknown(f"${name}", value.sources)))
        elif eq:
            env.append((name, Val(text, value.entry, value.sources)))
        elif name in client:
            env.append((name, client[name]))
        else:
            var = st.get(name)
            if var is not None and var.exported and var.scalar is not None:
                env.append((name, var.scalar))
    return env


def _inherited(st: State, name: str) -> bool:
    """NAME is none of the job's or scripts' business: never assigned or unset on the way,
    so at run time it holds whatever the agent gives the job."""
    return st.get(name) is None and name not in st.touched


def docker(interp, st: State, args: list[Val], prefixes, node: Node) -> list[State]:
    if not args or not args[0].known or args[0].text not in ("exec", "run", "container"):
        return interp.setup_command(st, "docker", args, node)
    words = list(args)
    if words[0].text == "container":  # `docker container exec/run`
        words = words[1:]
        if not words or not words[0].known or words[0].text not in ("exec", "run"):
            return interp.setup_command(st, "docker", args, node)
    verb = words.pop(0).text
    call = parse(words)
    env = environment(interp, st, call.options, prefixes, node)
    workdir = _last(call.options, "-w", "--workdir")
    if verb == "run":
        return _run(interp, st, call, env, _mounted(interp, st, call.options, workdir), node)
    return _exec(interp, st, call, env, workdir, node)


def _mounted(interp, st: State, options: dict[str, list[Val]], workdir: Val | None) -> Val | None:
    """A working directory inside a volume that mounts a repository directory
    (`-v "$GITHUB_WORKSPACE:/work/src" -w /work/src/tools`) is that repository directory."""
    if workdir is None or not workdir.known or interp.repo_path(workdir.text, "") is not None:
        return workdir
    for volume in options.get("-v", []) + options.get("--volume", []):
        host, _, inside = volume.text.partition(":") if volume.known else ("", "", "")
        inside = inside.split(":", 1)[0].rstrip("/")
        source = interp.repo_path(host, st.cwd) if host and inside else None
        if source is None or not (workdir.text == inside or workdir.text.startswith(inside + "/")):
            continue
        below = "/".join(p for p in (source, workdir.text[len(inside):].strip("/")) if p)
        return Val(interp.settings.roots[0].rstrip("/") + ("/" + below if below else ""))
    return workdir


def _last(options: dict[str, list[Val]], *names: str) -> Val | None:
    values = [v for name in names for v in options.get(name, [])]
    return values[-1] if values else None


def _run(interp, st: State, call: Invocation, env, workdir: Val | None, node: Node) -> list[State]:
    name = _last(call.options, "--name")
    if name is not None and name.known:
        st.containers = {**st.containers, name.text: Container(tuple(env), workdir.text if workdir and workdir.known else None)}
    command = list(call.command)
    entrypoint = _last(call.options, "--entrypoint")
    if entrypoint is not None and entrypoint.known and entrypoint.text:
        command = [entrypoint, *command]
    if "-d" in call.options or "--detach" in call.options or any("d" in o[1:] for o in call.options if o[:2] != "--" and len(o) > 2):
        if not command or (command[0].known and command[0].text in SHELLS and len(command) == 1):
            return interp.done(st, 0)  # a container started to `exec` into later
    return _inside(interp, st, command, env, workdir, node)


def _exec(interp, st: State, call: Invocation, env, workdir: Val | None, node: Node) -> list[State]:
    container = None
    if call.target is not None and call.target.known:
        container = st.containers.get(call.target.text)
    if container is not None:
        names = {n for n, _ in env}
        env = [(n, v) for n, v in container.env if n not in names] + env
        if workdir is None and container.workdir is not None:
            workdir = Val(container.workdir)
    return _inside(interp, st, list(call.command), env, workdir, node)


def _inside(interp, st: State, command: list[Val], env, workdir: Val | None, node: Node) -> list[State]:
    """The command run in the container: a shell's `-c` string, or a plain command."""
    if not command:
        return interp.done(st, 0)
    cwd = container_cwd(interp, st, workdir, node)
    head = command[0]
    if head.known and head.text in SHELLS:
        return interp.shell_call(st, command[1:], env, node, head.text.rsplit("/", 1)[-1], container_cwd=cwd)
    return interp.in_container(st, env, cwd, node, lambda child: interp.dispatch(child, command, [], node))


def container_cwd(interp, st: State, workdir: Val | None, node: Node) -> str:
    if workdir is None:
        interp.incomplete(interp.loc(st, node), "container working directory not given (-w): taken to be the repository root")
        return ""
    if not workdir.known:
        interp.incomplete(interp.loc(st, node), f"container working directory {workdir.origin!r} not known statically")
        return "?"
    path = interp.repo_path(workdir.text, "")
    return path if path is not None else workdir.text
