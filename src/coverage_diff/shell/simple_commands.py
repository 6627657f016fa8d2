"""Simple commands: prefix assignments, redirections and words, then what the name is: a
function, a builtin or a utility modelled in `builtins`, a wrapper (`env`, `timeout`,
`exec`...), a shell or a repository script (`calls`), or a program, whose run is recorded."""

from __future__ import annotations

import posixpath
import re

from tree_sitter import Node

from ..model import Frame, Run
from . import builtins, callmemo, containers
from .builtins import BASH_BUILTINS, BUILTIN_HANDLERS
from .paths import canonical_word, shebang_errexit, shell_script
from .state import Flow, State
from .syntax import in_background, command_shape
from .values import EMPTY, Val, concat, unknown
from .wordplan import is_env_name, quote_for_reuse


# Commands whose exit status answers a question: in a condition both answers are possible.
QUERIES = frozenset({"grep", "egrep", "fgrep", "which", "type", "command", "diff", "cmp", "pgrep", "hash", "compgen"})
# Programs that write no file (without a redirect): running them leaves absent paths absent.
READ_ONLY = frozenset({"echo", "printf", "grep", "egrep", "fgrep", "ls", "head", "tail", "wc", "sort", "uniq", "cut",
                       "tr", "uname", "nproc", "date", "id", "whoami", "hostname", "stat", "du", "df", "free", "lscpu",
                       "nvidia-smi", "rocm-smi", "amd-smi", "env", "printenv", "ps", "jq", "test", "true", "false", ":",
                       "pwd", "sleep", "wait", "which", "command", "type", "hash", "basename", "dirname", "realpath",
                       "readlink", "set", "unset", "shopt", "trap", "ulimit", "umask", "cat", "kill", "pkill"})
WRAPPERS = frozenset({"env", "timeout", "time", "nohup", "exec", "stdbuf", "nice", "xvfb-run"})
SCRIPT_SUFFIXES = (".sh", ".bash")
ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=").match  # `env NAME=value ...`
# Where images keep their programs: a PATH holding none of them may not find a runner.
SYSTEM_BIN_DIRS = frozenset({"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/opt/conda/bin",
                             "/root/.local/bin", "/usr/local/cuda/bin", "/opt/venv/bin"})


def x_command(interp, node, st):
    st.sub_status = None
    prefixes: list[tuple[str, Val]] = []
    prefix_nodes, redirects, words_nodes, reads_stdin, before = command_shape(node, interp.caches)
    for c in before:  # `x=1 arr=(a)` on a line of its own, which tree-sitter joins to the next
        interp.assign(c, st)
    if not words_nodes:
        for c, _ in prefix_nodes:
            interp.assign(c, st)
        st.status = st.sub_status if st.sub_status is not None else 0
        return interp.errexit([st])
    for c, name in prefix_nodes:
        value = assignment_value(interp, c, st)
        if interp.open_world and st.depth == 0 and is_env_name(name) and value.entry is None:
            # A prefix written in the CI file is configuration a fix may change: in the open
            # world it is as free as the job's own env (what-if questions need that).
            value = unknown(f"${name}", frozenset({name}))
        prefixes.append((name, value))
    words = interp.expand_words(words_nodes, st)
    if st.flow:  # an expansion error (`set -u`, `${X:?}`): the command does not run
        return [st]
    if st.aliases and "expand_aliases" in st.globopts and words_nodes[0].type in ("command_name", "word"):
        words = expand_alias(interp, st, words, interp.text(words_nodes[0]), node)
    saved_stdin, saved_capture = st.stdin, st.capture
    for r in redirects:
        interp.apply_redirect(r, st)
    results = dispatch(interp, st, words, prefixes, node)
    if redirects:
        for r in results:
            if reads_stdin:
                r.stdin = saved_stdin
            if saved_capture is not None and r.capture is None:
                r.capture = saved_capture
    return interp.errexit(results)


def expand_alias(interp, st: State, words: list[Val], written: str, node: Node) -> list[Val]:
    """`shopt -s expand_aliases` + `alias env=true`: a command name written as a plain word
    that is an alias is replaced by the alias's words (again, for an alias of an alias)."""
    aliases = dict(st.aliases)
    seen = set()
    while words and written in aliases and written not in seen and words[0].known and words[0].text == written:
        seen.add(written)
        value = aliases[written]
        if re.search(r"[;&|<>()$`'\"\\\n]", value):  # shell text: run as `eval` would, the words after it quoted
            if not all(w.known for w in words[1:]):
                interp.incomplete(interp.loc(st, node), f"alias {written}={value!r} with arguments not known statically")
            return [Val("eval"), concat([Val(value)] + [Val(" " + quote_for_reuse(w.text or "")) for w in words[1:]])]
        parts = value.split()
        if not parts:
            return words[1:]
        words = [Val(p) for p in parts] + words[1:]
        written = parts[0]
    return words


def assignment_value(interp, node: Node, st: State) -> Val:
    value = node.child_by_field_name("value")
    return interp.expand_string(value, st) if value is not None else EMPTY


def dispatch(interp, st: State, words: list[Val], prefixes: list[tuple[str, Val]], node: Node) -> list[State]:
    if not words:
        for name, val in prefixes:
            st.assign(name, val)
            st.touched.add(name)
        st.status = st.sub_status if st.sub_status is not None else 0
        return [st]
    head = words[0]
    if not head.known:
        # Not a subject anyone can name: say where precision was lost, record no run.
        interp.incomplete(interp.loc(st, node), f"command name {head.origin!r} not known statically")
        if st.capture is not None:
            st.capture.append(Val(None, origin="<output>"))
        return interp.done(st, 0)
    name = head.text
    args = words[1:]
    if name in st.funcs:
        return with_prefixes(interp, st, prefixes, lambda s: interp.call_function(s, s.funcs[name], args, node))
    handler = BUILTIN_HANDLERS.get(name)
    if handler is None and name in BASH_BUILTINS and name not in WRAPPERS:
        handler = builtins.ignore  # a builtin with no bearing on what runs (`jobs`, `bind`...): never a run
    if handler is not None and name not in BASH_BUILTINS:  # a program modelled here (git, cat, xargs...)
        results = handler(interp, st, args, node) if not prefixes else \
            with_prefixes(interp, st, prefixes, lambda s: handler(interp, s, args, node))
        for r in results:
            r.status_assumed = r.status_assumed or (r.status == 0 and not r.flow)
        return results
    if handler is not None and not prefixes:
        return handler(interp, st, args, node)
    if handler is not None:
        return with_prefixes(interp, st, prefixes, lambda s: handler(interp, s, args, node))
    if name == "docker":
        return containers.docker(interp, st, args, prefixes, node)
    if name in WRAPPERS:
        return wrapper(interp, st, name, args, prefixes, node)
    if name in ("bash", "sh"):
        return interp.shell_call(st, args, prefixes, node, name)
    if "/" in name or name.endswith(SCRIPT_SUFFIXES):
        path = interp.repo_path(name, st.cwd)
        if path is not None and interp.snapshot.exists(path) and shell_script(interp, path):
            return interp.call_script(st, path, name, args, prefixes, interp.loc(st, node), errexit=shebang_errexit(interp, path))
        # A repository program that is no shell script (`#!/usr/bin/env python3`, `#!/usr/bin/expect`),
        # or Autoconf's `configure`, runs as one program, like a compiled one: read as bash, its lines
        # were runs (`import sys`); followed, a `configure`'s thousands of generated branches used up
        # every cap and cut the rest of the job short.
        if path is not None and name.endswith(SCRIPT_SUFFIXES):
            return interp.missing(st, node, path)
        # Any other path that is not in the repository is a build output (./build/bin/test-x): a run.
    return leaf(interp, st, words, prefixes, node)


def with_prefixes(interp, st: State, prefixes: list[tuple[str, Val]], run) -> list[State]:
    """Prefix assignments last for the duration of a builtin or function call."""
    if not prefixes:
        return run(st)
    saved = {name: st.get(name) for name, _ in prefixes}
    for name, val in prefixes:
        st.assign(name, val, export=True)
    results = run(st)
    for r in results:
        for name, old in saved.items():
            r.bind(name, old)
    return results


def wrapper(interp, st: State, name: str, args: list[Val], prefixes, node) -> list[State]:
    rest = list(args)
    prefixes = list(prefixes)
    if name == "env":
        while rest and rest[0].known and rest[0].text.startswith("-"):
            flag = rest.pop(0).text
            if flag in ("-u", "--unset", "-C", "--chdir", "-S") and rest:
                rest.pop(0)
        while rest and rest[0].known and ENV_ASSIGNMENT(rest[0].text):
            word = rest.pop(0)
            key, _, value = word.text.partition("=")
            prefixes.append((key, Val(value, word.entry, word.sources)))
        while rest and not rest[0].known and len(rest) > 1:
            interp.incomplete(interp.loc(st, node), f"env argument {rest[0].origin!r} not known statically: taken as assignments")
            rest.pop(0)
    elif name == "timeout":
        while rest and rest[0].known and rest[0].text.startswith("-"):
            flag = rest.pop(0).text
            if flag in ("-s", "--signal", "-k", "--kill-after") and rest:
                rest.pop(0)
        if rest:
            rest.pop(0)  # the duration
    elif name in ("time", "nohup", "exec", "stdbuf", "nice", "xvfb-run"):
        while rest and rest[0].known and rest[0].text.startswith("-"):
            rest.pop(0)
    if not rest:
        if name == "exec":
            return [st]
        return leaf(interp, st, [Val(name), *args], prefixes, node) if name not in interp.setup else interp.done(st, 0)
    results = dispatch(interp, st, rest, prefixes, node)
    if name == "exec":
        for r in results:
            if not r.flow:
                r.flow = Flow("exit")
    return results


def leaf(interp, st: State, words: list[Val], prefixes, node: Node, looked_up: bool = False) -> list[State]:
    head = words[0].text if words[0].known else None
    if head is not None and "/" not in head and not looked_up:
        found, needs = lookup_program(interp, st, head, prefixes, node)
        if found is None:
            return interp.done(st, 127)  # "command not found": no run
        if found != head:
            words = [Val(found), *words[1:]]
            head = found
        if needs:  # only this run rests on it: what follows does whether or not it was found
            saved = st.assumptions
            results = leaf(interp, interp.assume(st, node, needs), words, prefixes, node, looked_up=True)
            for r in results:
                r.assumptions = saved
            return results
    if head is not None and posixpath.basename(head) in interp.setup:
        return setup_command(interp, st, posixpath.basename(head), words[1:], node)
    record_run(interp, st, words, prefixes, node)
    st.status, st.status_assumed = 0, True
    if st.capture is not None:
        st.capture.append(Val(None, origin="<output>"))
    return [st]


def lookup_program(interp, st: State, name: str, prefixes, node: Node) -> tuple[str | None, str]:
    """What bash runs for a program name: itself, what `hash -p` bound it to, or nothing
    (None) when the job unset PATH; and, when a PATH without the system directories may
    hide it, the assumption its run needs."""
    for hashed, path in reversed(st.hashed):
        if hashed == name:
            return path, ""
    var = None
    for prefix, value in prefixes:  # (the last one counts)
        if prefix == "PATH":
            var = value
    if var is None:
        if "PATH" not in st.touched:
            return name, ""
        current = st.get("PATH")
        if current is None or current.scalar is None:
            return (None, "") if current is None or current.items is not None else (name, "")
        var = current.scalar
    if var.known and not any(d.rstrip("/") in SYSTEM_BIN_DIRS for d in var.text.split(":")):
        interp.incomplete(interp.loc(st, node), f"PATH is {var.text!r}, without the system directories: {name} may not be found")
        return name, f"{name} is found on PATH={var.text}"
    return name, ""


def record_run(interp, st: State, words: list[Val], prefixes, node: Node) -> None:
    location = interp.loc(st, node)
    argv = tuple(canonical(interp, v.shown(), st.cwd) for v in words)
    names = set(st.chain_env) | set(st.read_exported)
    env: dict[str, str] = {}
    for name in sorted(names):
        var = st.get(name) if st.watch is None else callmemo.peek(st, name)
        if var is not None and var.exported and var.scalar is not None and var.scalar.known:
            env[name] = var.scalar.text
    for name, val in prefixes:
        if val.known:
            env[name] = val.text
        else:
            env.pop(name, None)
    # Every entry on the way, outermost first: the sweep's config is the subject a reviewer
    # thinks of; entries of arrays looped inside the scripts it calls are reached too.
    if st.watch is not None:
        callmemo.note_run(st, prefixes)
    leaf_entries = [v.entry for v in [*(v for _, v in prefixes), *words] if v.entry is not None]
    entries = tuple(dict.fromkeys([*st.chain_entries, *leaf_entries]))
    entry = entries[0] if entries else None
    frames = st.frames + (Frame("leaf", location, " ".join(argv)),)
    if not argv or posixpath.basename(argv[0]) not in READ_ONLY:
        interp.written = True
    interp.rec.runs.append(Run(interp.job_id, argv, tuple(sorted(env.items())), location, st.cwd, entry, frames,
                             st.assumptions, interp.platform, entries, in_background(node, interp.caches)))


def canonical(interp, word: str, cwd: str) -> str:
    """`canonical_word`, remembered for this interpreter: its snapshot (and whatever notes
    the questions asked of it) already saw the first call, so a repeat asks nothing new."""
    key = (word, cwd)
    found = interp.canonical_words.get(key)
    if found is None:
        found = interp.canonical_words[key] = canonical_word(word, cwd, interp.snapshot, interp.settings)
    return found


def setup_command(interp, st: State, name: str, args: list[Val], node: Node) -> list[State]:
    if name not in READ_ONLY:
        interp.written = True  # `cp`, `curl -o`, `tar x`, `pip install -e .`: files may be there now
    if st.capture is not None:
        st.capture.append(Val(None, origin=f"<output of {name}>"))
    st.status = None if name in QUERIES else 0
    st.status_assumed = st.status == 0 and name not in ("true", ":", "echo", "printf")
    return [st]
