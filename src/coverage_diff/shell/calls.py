"""New shells and sourced files: `bash script`, `bash -c TEXT`, a script read from stdin, a
repository script run as a program, `source`, and a command run in a container; each child
sees only what is exported (or given) and hands back only its exit status."""

from __future__ import annotations

import re
from dataclasses import replace

from tree_sitter import Node

from ..model import Frame, Location
from . import callmemo
from .merge import kept_guards, merge_by_status
from .outcome import ScriptCall
from .parse import Source
from .state import State, Var
from .values import Val, concat


# What a POSIX sh (dash) rejects: a script run with `sh` that uses these stops there.
BASHISMS = (("arrays", r"^\s*\w+(\[[^]\n]*\])?\+?=\("), ("[[ ]]", r"\[\[\s"), ("here-strings", r"<<<"),
            ("source", r"^\s*source\s"), ("${x//...}", r"\$\{\w+//?"), ("function", r"^\s*function\s"))


def shell_call(interp, st: State, args: list[Val], prefixes, node, shell: str, container_cwd: str | None = None) -> list[State]:
    """`bash [options] script args` or `bash -c CMD`; `container_cwd`: run inside a container
    (only `prefixes` for environment, that working directory)."""
    rest = list(args)
    options: set[str] = set()
    command_mode = stdin_mode = False
    while rest and rest[0].known and rest[0].text.startswith(("-", "+")) and rest[0].text not in ("-", "--"):
        flag = rest.pop(0).text
        if flag.startswith("--"):  # --login, --norc, --posix, --noprofile...
            if flag in ("--rcfile", "--init-file") and rest:
                rest.pop(0)
            continue
        on = flag[0] == "-"
        for letter in flag[1:]:
            option = {"e": "errexit", "u": "nounset"}.get(letter)
            if option:
                options = options | {option} if on else options - {option}
            elif letter == "c":
                command_mode = True
            elif letter == "s":
                stdin_mode = True
            elif letter == "o" and rest:
                option = rest.pop(0).text
                if option in ("errexit", "nounset", "pipefail"):
                    options = options | {option} if on else options - {option}
            elif letter == "O" and rest:
                rest.pop(0)
    if rest and rest[0].known and rest[0].text == "--":
        rest.pop(0)
    if command_mode:  # `bash -c TEXT [$0 [$1...]]`, `sh -ec TEXT`, `bash -lc TEXT`
        if not rest:
            return interp.done(st, 2)
        return command_string(interp, st, rest[0], rest[1:] or [Val(shell)], prefixes, node, "errexit" in options, frozenset(options),
                                   container_cwd)
    errexit = "errexit" in options
    if stdin_mode or not rest:  # the script is read from stdin: `curl ... | sh -s -- -y`, `bash -s < x.sh`
        return stdin_script(interp, st, shell, rest, prefixes, node, errexit, frozenset(options), container_cwd)
    script = rest[0]
    if not script.known:
        interp.incomplete(interp.loc(st, node), f"script path {script.origin!r} not known statically")
        return interp.done(st, 0)
    path = interp.repo_path(script.text, st.cwd if container_cwd is None else container_cwd)
    if path is None:
        if container_cwd is not None:
            return in_container(interp, st, prefixes, container_cwd, node, lambda c: interp.leaf(c, [Val(shell), *args], [], node))
        return interp.leaf(st, [Val(shell), *args], prefixes, node)
    if not interp.snapshot.exists(path):
        return missing(interp, st, node, path)
    if shell in ("sh", "dash"):
        posix_sh_caveat(interp, st, node, path)
    return call_script(interp, st, path, script.text, rest[1:], prefixes, interp.loc(st, node), errexit=errexit,
                            options=frozenset(options), container_cwd=container_cwd)


def stdin_script(interp, st: State, shell: str, args: list[Val], prefixes, node, errexit: bool, options,
                 container_cwd: str | None) -> list[State]:
    """`sh -s args` / `bash` with no script: the text on stdin is the script, args its $1...
    Text known statically (a repository file, a here-document) is interpreted; text fetched
    at run time (`curl ... | sh`) is an incomplete part of the job, which goes on."""
    text = concat(st.stdin) if st.stdin else None
    if text is None or not text.known:
        interp.incomplete(interp.loc(st, node), f"{shell} runs a script read from stdin, not known statically: not followed",
                        cut=True)
        return interp.done(st, 0)
    return command_string(interp, st, text, [Val(shell), *args], prefixes, node, errexit, options, container_cwd)


def posix_sh_caveat(interp, st: State, node: Node, path: str) -> None:
    """`sh x.sh` is interpreted as bash; where x.sh needs bash, a POSIX sh may fail instead: say so."""
    scan = interp.scan_path(path)
    text = scan.source.text if scan is not None else ""
    found = [name for name, pattern in BASHISMS if re.search(pattern, text, re.MULTILINE)]
    if found:
        interp.incomplete(interp.loc(st, node), f"{path} is run with sh but uses bash-only {', '.join(found)}: "
                                            "interpreted as bash, a POSIX sh may stop there")


def missing(interp, st: State, node: Node, path: str) -> list[State]:
    made = max((d for d in st.made_dirs if path.startswith(d + "/") and not interp.snapshot.is_dir(d)),
               key=lambda d: (len(d), d), default=None)  # the nearest: one answer whatever the set's order
    top = path.split("/", 1)[0]
    if made is None and "/" in path and not interp.snapshot.is_dir(top):
        made = top  # no repository file lies there: what the job makes (`python -m venv venv`, a clone)
    if made is not None:  # under a directory made at run time (a venv, a scratch dir): made then too
        interp.incomplete(interp.loc(st, node), f"{path} is not in the repository: it lies under {made}, made at run time")
        return interp.done(st, 0)
    interp.rec.missing.setdefault((interp.loc(st, node), path), None)
    return interp.done(st, 127)


def command_string(interp, st, text: Val, args, prefixes, node, errexit: bool, options=frozenset(),
                   container_cwd: str | None = None) -> list[State]:
    if not text.known:
        interp.incomplete(interp.loc(st, node), "bash -c with a command string not known statically")
        return interp.done(st, 0)
    location = interp.loc(st, node)
    source = Source(location.path, text.text, max(location.line - 1, 0))

    def body(child: State) -> list[State]:
        child.positional = tuple(args[1:])
        child.script = args[0].text if args and args[0].known else None  # $0: the first word after the text
        child.errexit = errexit
        child.nounset, child.pipefail = "nounset" in options, "pipefail" in options
        child.globopts = frozenset()
        child.chain_entries += tuple(v.entry for v in [text, *args] if v.entry is not None)
        return interp.run_program(source, [child])

    return child_process(interp, st, prefixes, location, body, container_cwd)


def in_container(interp, st: State, env, cwd: str, node: Node, run) -> list[State]:
    """`run(child)` in a container: a new process with only `env`, in `cwd`."""
    def body(child: State) -> list[State]:
        finals = run(child)
        for f in finals:
            f.flow = None
        return finals

    return child_process(interp, st, env, interp.loc(st, node), body, cwd)


def child_process(interp, st: State, prefixes, location: Location, body, container_cwd: str | None = None) -> list[State]:
    """A new bash process: exported variables and functions and prefixes only, cwd inherited
    (in a container: the prefixes alone, the container's cwd)."""
    if st.depth >= interp.settings.max_depth:
        interp.incomplete(location, f"call depth limit ({interp.settings.max_depth}) reached", cut=True)
        return interp.done(st, 0)
    child = st.fork()
    child.vars = {n: v for n, v in st.vars.items() if v.exported}
    child.funcs = {n: f for n, f in st.funcs.items() if n in st.exported_funcs}
    if container_cwd is not None:
        child.vars = {n: v for n, v in interp.initial_state(()).vars.items()}  # the image's own HOME, PATH...
        child.funcs, child.exported_funcs, child.containers, child.cwd = {}, frozenset(), {}, container_cwd
    for name, val in prefixes:
        # Seen from the child, a prefix is its environment: conditions on it name it.
        child.vars[name] = Var({0: replace(val, sources=val.sources | {name})}, exported=True)
    child.touched = {n for n in st.touched if n in child.vars}
    child.chain_env = st.chain_env + tuple(n for n, _ in prefixes)
    child.chain_entries = st.chain_entries + tuple(v.entry for _, v in prefixes if v.entry is not None)
    child.locals, child.flow, child.no_errexit, child.loop_depth = [], None, 0, 0
    child.aliases, child.hashed = (), ()  # a new bash: no aliases, an empty hash table
    child.depth = st.depth + 1
    child.capture = [] if st.capture is not None else None
    finals = body(child)
    out = []
    for f in merge_by_status(finals, st):
        back = st.fork()
        back.status, back.status_assumed = f.status, f.status_assumed
        back.assumptions = f.assumptions
        if container_cwd is None:  # directories a child made stay made
            back.made_dirs = st.made_dirs | f.made_dirs
        if st.capture is not None:
            back.capture = (back.capture or []) + (f.capture if f.capture is not None else [Val(None, origin="<output>")])
        out.append(back)
    return out or interp.done(st, 0)


def call_script(interp, st: State, path: str, shown: str, args: list[Val], prefixes, location: Location, *,
                errexit: bool, options=frozenset(), container_cwd: str | None = None) -> list[State]:
    visible = {n: v for n, v in st.vars.items() if v.exported} if container_cwd is None else {}
    if st.watch is not None:  # every exported variable is shown (and compared whole at replay)
        st.watch.everything = True
    visible.update({n: Var({0: v}, exported=True) for n, v in prefixes})
    interp.rec.scripts.append(ScriptCall(path, location, *split_known(visible), interp.job_id, False))
    source = interp.load(path)
    if source is None:
        return interp.done(st, 126)
    names = interp.config_names_for(path)
    frame = Frame("script", location, path, tuple((n, v.shown()) for n, v in prefixes))

    def body(child: State) -> list[State]:
        child.source = source
        child.script = shown
        child.sources = (shown,)
        child.positional = tuple(args)
        child.errexit = errexit
        child.nounset, child.pipefail = "nounset" in options, "pipefail" in options
        child.globopts = frozenset()
        child.config_names = names
        child.config_scalars = interp.config_scalars_for(path)
        child.frames = st.frames + (frame,)
        child.chain_entries += tuple(v.entry for v in args if v.entry is not None)
        if interp.call_memo is not None:
            return callmemo.remembered_call(interp, child, frame, run)
        return run(child)

    def run(child: State) -> list[State]:
        finals = interp.run_program(source, [child])
        for f in finals:
            if f.flow and f.flow.kind in ("return", "break", "continue"):
                f.flow = None
        return finals

    return child_process(interp, st, prefixes, location, body, container_cwd)


def source_file(interp, st: State, args: list[Val], node: Node) -> list[State]:
    if not args or not args[0].known:
        interp.incomplete(interp.loc(st, node), "sourced path not known statically")
        return interp.done(st, 0)
    path = interp.repo_path(args[0].text, st.cwd)
    if path is None or not interp.snapshot.exists(path):
        if path is not None and not interp.made_at_run_time(st, path):
            return missing(interp, st, node, path)
        where = "outside the repository" if path is None else "made at run time"
        interp.incomplete(interp.loc(st, node), f"sourced file {args[0].text!r} is {where}: not followed", cut=True)
        interp.assume(st, node, f"{args[0].text} can be sourced")
        return interp.done(st, 0)
    location = interp.loc(st, node)
    visible = {n: v for n, v in st.vars.items() if v.exported}
    if st.watch is not None:
        st.watch.everything = True
    interp.rec.scripts.append(ScriptCall(path, location, *split_known(visible), interp.job_id, True))
    if st.depth >= interp.settings.max_depth:
        interp.incomplete(location, f"call depth limit ({interp.settings.max_depth}) reached: {path} not followed", cut=True)
        return interp.done(st, 0)
    source = interp.load(path)
    if source is None:
        return interp.done(st, 1)
    saved = (st.source, st.sources, st.positional, st.config_names, st.frames)
    st.source = source
    st.sources = (args[0].text, *st.sources)
    if len(args) > 1:
        st.positional = tuple(args[1:])
    st.config_names = st.config_names | interp.config_names_for(path)
    st.config_scalars = {**interp.config_scalars_for(path), **st.config_scalars}
    st.frames = st.frames + (Frame("script", location, path),)
    st.depth += 1
    results = interp.run_program(source, [st])
    for r in results:
        r.depth -= 1
        r.source, r.sources = saved[0], saved[1]
        if len(args) > 1:
            r.positional = saved[2]
        r.frames = kept_guards(saved[4], r.frames)
        if r.flow and r.flow.kind == "return":
            r.flow = None
    return results


def split_known(visible: dict[str, Var]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The variables a script call sees: (name, value) of the known ones and the names of the
    others, each sorted by name (one pass: a sweep makes a call per config entry)."""
    known, unknown_names = [], []
    for name, var in visible.items():
        scalar = var.scalar
        if scalar is not None and scalar.known:
            known.append((name, scalar.text))
        else:
            unknown_names.append(name)
    known.sort()
    unknown_names.sort()
    return tuple(known), tuple(unknown_names)
