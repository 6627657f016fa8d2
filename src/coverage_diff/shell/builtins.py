"""Shell builtins and the few utilities whose effect decides what runs
(`cd`, `read`, `set -e`, `dirname`, `pwd`...).  None of these is ever a Run.

Each handler takes (interpreter, state, arguments, node) and returns States.
"""

from __future__ import annotations

import posixpath
import re

from tree_sitter import Node

from . import fanout
from .parse import Source
from .state import Flow, State, Var
from .values import EMPTY, Val, concat, read_split, unknown


def _status(st: State, status: int | None) -> list[State]:
    st.status = status
    return [st]


def _out(st: State, val: Val) -> None:
    if st.capture is not None:
        st.capture.append(val)


def cd(interp, st: State, args: list[Val], node: Node) -> list[State]:
    args = [a for a in args if not (a.known and a.text in ("-L", "-P", "-e", "--"))]
    if not args:
        target = interp.read_var(st, "HOME") or unknown("$HOME")
    elif args[0].known and args[0].text == "-":
        target = interp.read_var(st, "OLDPWD") or unknown("$OLDPWD")
    else:
        target = args[0]
    return _change_dir(interp, st, target, node)


def _change_dir(interp, st: State, target: Val, node: Node) -> list[State]:
    old = interp.pwd(st)
    if not target.known:
        interp.incomplete(interp.loc(st, node), f"cd to {target.origin!r}, not known statically")
        st.cwd = "?"
        return _status(st, 0)
    path = interp.repo_path(target.text, st.cwd)
    if path is None:
        if target.text.startswith("/") and st.cwd != "?":
            st.cwd = posixpath.normpath(target.text)
            if st.cwd not in STANDARD_DIRS:
                interp.assume(st, node, f"{st.cwd} exists")
            return _status(st, 0)
        st.cwd = "?"
        return _status(st, 0)
    if path == "" or interp.snapshot.is_dir(path) or path in st.made_dirs:
        st.cwd = path
        st.assign("OLDPWD", old)
        return _status(st, 0)
    if not interp.snapshot.exists(path) and interp.made_at_run_time(st, path + "/x"):
        # `cmake -B build && cd build`, `cd .venv/lib`: a directory some command makes as the job runs
        interp.incomplete(interp.loc(st, node), f"cd into {target.text!r}, not in the repository: assumed made at run time")
        interp.assume(st, node, f"{target.text} is made before this cd")
        st.cwd = path
        st.assign("OLDPWD", old)
        return _status(st, 0)
    return _status(st, 1)  # no such directory: cd fails, cwd unchanged


# Directories every image has: `cd` there is certain to succeed.
STANDARD_DIRS = frozenset({"/", "/tmp", "/root", "/home", "/usr", "/usr/local", "/usr/bin", "/var", "/etc", "/opt", "/bin"})


def pushd(interp, st, args, node):
    here = st.cwd
    result = cd(interp, st, args[:1], node)
    if st.status == 0:
        st.dirstack = (here, *st.dirstack)
    return result


def popd(interp, st, args, node):
    if not st.dirstack:
        return _status(st, 1)
    st.cwd, st.dirstack = st.dirstack[0], st.dirstack[1:]
    return _status(st, 0)


def pwd(interp, st, args, node):
    _out(st, concat([interp.pwd(st), Val("\n")]))
    return _status(st, 0)


_ECHO_FLAGS = re.compile(r"-[neE]+").fullmatch


def echo(interp, st, args, node):
    if st.capture is None:  # what it prints goes nowhere the analysis reads
        return _status(st, 0)
    newline = True
    words = list(args)
    while words and words[0].known and _ECHO_FLAGS(words[0].text or ""):
        if "n" in words.pop(0).text:
            newline = False
    pieces = []
    for i, w in enumerate(words):
        if i:
            pieces.append(Val(" "))
        pieces.append(w)
    if newline:
        pieces.append(Val("\n"))
    _out(st, concat(pieces) if pieces else EMPTY)
    return _status(st, 0)


def printf(interp, st, args, node):
    target = None
    if len(args) > 1 and args[0].known and args[0].text == "-v":
        target, args = args[1], args[2:]
    if args and args[0].known and args[0].text == "--":
        args = args[1:]
    if not args or not all(a.known for a in args):
        out = unknown("$(printf ...)")
    else:
        text = _format(args[0].text, [a.text for a in args[1:]])
        out = Val(text, next((a.entry for a in args if a.entry), None)) if text is not None else unknown("$(printf ...)")
    if target is None:
        _out(st, out)
    elif target.known and re.fullmatch(r"[A-Za-z_]\w*", target.text):  # `printf -v NAME`: assign, print nothing
        st.assign(target.text, out)
        st.touched.add(target.text)
    else:
        interp.incomplete(interp.loc(st, node), f"printf -v into {target.shown()!r}, not a plain name: not modelled")
    return _status(st, 0)


def _format(fmt: str, values: list[str]) -> str | None:
    spec = re.compile(r"%(-?\d*)([sdq%])|\\(.)")
    out = []
    i = 0
    while True:
        used = 0

        def sub(m):
            nonlocal i, used
            if m.group(3) is not None:
                return {"n": "\n", "t": "\t", "\\": "\\", "0": "\0"}.get(m.group(3), "\\" + m.group(3))
            kind = m.group(2)
            if kind == "%":
                return "%"
            value = values[i] if i < len(values) else ""
            i += 1
            used += 1
            if kind == "d":
                value = str(int(value or 0)) if re.fullmatch(r"-?\d*", value or "") else value
            width = m.group(1)
            return f"{value:{'<' if width.startswith('-') else '>'}{width.lstrip('-')}}" if width else value

        if re.search(r"%[^sdq%-0-9]", fmt):
            return None
        out.append(spec.sub(sub, fmt))
        if used == 0 or i >= len(values):
            return "".join(out)


def true(interp, st, args, node):
    return _status(st, 0)


def false(interp, st, args, node):
    return _status(st, 1)


def set_builtin(interp, st: State, args: list[Val], node: Node) -> list[State]:
    words = [a for a in args]
    i = 0
    while i < len(words):
        w = words[i]
        if not w.known:
            i += 1
            continue
        text = w.text
        if text == "--":
            st.positional = tuple(words[i + 1 :])
            break
        if text in ("-o", "+o") and i + 1 < len(words):
            _set_option(st, words[i + 1].text, text[0] == "-")
            i += 2
            continue
        if text[:1] in "-+" and len(text) > 1:
            on = text[0] == "-"
            if on and "n" in text[1:] and not text.startswith("--"):  # noexec: bash reads the rest, runs none of it
                return _noexec(interp, st, node)
            for flag, option in (("e", "errexit"), ("u", "nounset"), ("f", "noglob")):
                if flag in text[1:]:
                    _set_option(st, option, on)
            if "o" in text[1:] and i + 1 < len(words):  # `-euo pipefail`: -o takes the next word
                _set_option(st, words[i + 1].text, on)
                i += 1
        else:
            st.positional = tuple(words[i:])
            break
        i += 1
    return _status(st, 0)


def _noexec(interp, st: State, node: Node) -> list[State]:
    interp.incomplete(interp.loc(st, node), "set -n: bash executes nothing after this line (not even set +n)")
    st.status, st.flow = 0, Flow("exit")
    return [st]


def _set_option(st: State, option: str | None, on: bool) -> None:
    if option in ("errexit", "nounset", "pipefail"):
        setattr(st, option, on)
    elif option == "noexec" and on:
        st.flow = Flow("exit")
    elif option == "noglob":
        st.globopts = st.globopts | {option} if on else st.globopts - {option}


GLOB_OPTIONS = frozenset({"nullglob", "failglob", "dotglob", "globstar", "extglob"})


def shopt(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`shopt -s/-u NAME...`: the options that change pathname expansion are kept."""
    words = [a.text for a in args if a.known]
    on = "-s" in words
    if not on and "-u" not in words:
        return _status(st, 0)
    names = {w for w in words if not w.startswith("-")}
    if "-o" in words:  # `shopt -so noglob` is `set -o noglob`
        for name in names:
            _set_option(st, name, on)
        return _status(st, 0)
    changed = names & (GLOB_OPTIONS | {"expand_aliases"})
    st.globopts = st.globopts | changed if on else st.globopts - changed
    return _status(st, 0)


def shift(interp, st, args, node):
    n = int(args[0].text) if args and args[0].known and (args[0].text or "").isdigit() else 1
    if n > len(st.positional):
        return _status(st, 1)
    st.positional = st.positional[n:]
    return _status(st, 0)


def _code(st: State, args: list[Val]) -> int | None:
    if not args:
        return st.status
    if not args[0].known:
        return None
    try:
        return int(args[0].text) & 255
    except ValueError:
        return 2


def return_builtin(interp, st, args, node):
    st.status = _code(st, args)
    st.flow = Flow("return")
    return [st]


def exit_builtin(interp, st, args, node):
    st.status = _code(st, args)
    st.flow = Flow("exit")
    return [st]


def _loop_flow(kind: str):
    def handler(interp, st, args, node):
        if st.loop_depth <= 0:
            return _status(st, 0)
        n = int(args[0].text) if args and args[0].known and (args[0].text or "").isdigit() else 1
        st.flow = Flow(kind, max(1, min(n, st.loop_depth)))
        st.status = 0
        return [st]

    return handler


READ_OPTIONS_WITH_ARGUMENT = "adpntNui"


def read(interp, st: State, args: list[Val], node: Node) -> list[State]:
    names: list[str] = []
    array = None
    delim = "\n"
    raw = False
    i = 0
    while i < len(args):
        text = args[i].text if args[i].known else ""
        i += 1
        if names or not text.startswith("-") or len(text) < 2:
            names.append(text)
            continue
        if text == "--":
            names.extend(a.text if a.known else "" for a in args[i:])
            break
        for j, letter in enumerate(text[1:], 1):  # `-r`, `-ra arr`, `-rd ''`, `-d:`
            if letter == "r":
                raw = True
            elif letter in READ_OPTIONS_WITH_ARGUMENT:
                value = text[j + 1 :]
                if not value and i < len(args):
                    value = args[i].text if args[i].known else None
                    i += 1
                if letter == "a":
                    array = value
                elif letter == "d":
                    delim = (value or "")[:1] or "\0"
                break
    whole_line = not names and array is None  # REPLY takes the line as it is, blanks and all
    if whole_line:
        names = ["REPLY"]
    line, status = _take_line(st, delim)
    escaped = not raw and line is not None and line.known and "\\" in (line.text or "")
    if escaped:
        line, status = _unescape_line(st, line, status, delim)
    ifs = interp.ifs(st, node)
    for n in names + ([array] if array else []):
        if n:
            st.touched.add(n)
    if line is not None and ifs.__class__ is not str:  # IFS not known: neither are the fields
        line = Val(None, line.entry, line.sources, "<read line>")
    if line is None or not line.known:
        if array:
            st.set(array, Var(None, True, origin=f"${{{array}[@]}}"))
        for n in names:
            st.assign(n, unknown(f"${n}"))
        return _status(st, None if line is None else status)
    if array:
        fields = read_split(line, 0, ifs)
        fields = [_restore(v) for v in fields] if escaped else fields
        st.set(array, Var({k: v for k, v in enumerate(fields)}, True, exported=bool(st.get(array) and st.get(array).exported)))
    else:
        fields = read_split(line, len(names), ifs) if not whole_line else [line]
        if escaped:
            fields = [_restore(v) for v in fields]
        if escaped and not whole_line and len(read_split(line, 0, ifs)) > len(names):
            # The last name takes the rest of the line: bash strips its trailing blanks, escaped or not.
            last = fields[-1]
            fields[-1] = Val((last.text or "").rstrip("".join(c for c in ifs if c in " \t\n")), last.entry, last.sources)
        for k, n in enumerate(names):
            st.assign(n, fields[k] if k < len(fields) else Val("", line.entry))
    return _status(st, status)


# Without `-r`, a backslash keeps the next character from splitting: while the line is split,
# each escaped character stands in as a character of a private-use plane no IFS holds.
_ESCAPED = 0xF0000


def _unescape_line(st: State, line: Val, status: int, delim: str) -> tuple[Val, int]:
    """`read` without `-r`: a backslash before the end of the line joins the next line; before
    any other character it is removed and that character is taken as it is."""
    text = line.text or ""
    while status == 0 and delim == "\n" and (len(text) - len(text.rstrip("\\"))) % 2 == 1:
        more, status = _take_line(st, delim)
        if more is None or not more.known:
            return Val(None, line.entry, line.sources, "<read line>"), status
        text = text[:-1] + (more.text or "")
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and ord(text[i + 1]) < 0x10000:
            out.append(chr(_ESCAPED + ord(text[i + 1])))
            i += 2
            continue
        if c != "\\":
            out.append(c)
        i += 1
    return Val("".join(out), line.entry, line.sources), status


def _restore(v: Val) -> Val:
    if not v.known or not any(ord(c) >= _ESCAPED for c in v.text or ""):
        return v
    return Val("".join(chr(ord(c) - _ESCAPED) if _ESCAPED <= ord(c) < _ESCAPED + 0x10000 else c for c in v.text or ""),
               v.entry, v.sources)


def _take_line(st: State, delim: str) -> tuple[Val | None, int]:
    """The next line of stdin and read's status (1 at end of input)."""
    if st.stdin is None:
        return None, 1
    data = concat(st.stdin) if st.stdin else Val("")
    if not data.known:
        st.stdin = None
        return None, 1
    text = data.text
    if text == "":
        return Val("", data.entry), 1
    cut = text.find(delim)
    if cut < 0:
        st.stdin = [Val("", data.entry)]
        return Val(text, data.entry, data.sources), 1 if text else 1
    st.stdin = [Val(text[cut + 1 :], data.entry, data.sources)]
    return Val(text[:cut], data.entry, data.sources), 0


def mapfile(interp, st: State, args: list[Val], node: Node) -> list[State]:
    names = [a.text for a in args if a.known and not (a.text or "").startswith("-")]
    name = names[-1] if names else "MAPFILE"
    st.touched.add(name)
    data = concat(st.stdin) if st.stdin else (Val("") if st.stdin is not None else None)
    if data is None or not data.known:
        st.set(name, Var(None, True, origin=f"${{{name}[@]}}"))
        return _status(st, 0)
    lines = data.text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    st.stdin = [Val("")]
    st.set(name, Var({i: Val(l, data.entry, data.sources) for i, l in enumerate(lines)}, True))
    return _status(st, 0)


def eval_builtin(interp, st: State, args: list[Val], node: Node) -> list[State]:
    text = concat([p for i, a in enumerate(args) for p in ([Val(" ")] if i else []) + [a]]) if args else Val("")
    if not text.known:
        interp.incomplete(interp.loc(st, node), "eval of text not known statically")
        return _status(st, 0)
    location = interp.loc(st, node)
    source = Source(location.path, text.text, max(location.line - 1, 0))
    saved = st.source
    results = interp.run_program(source, [st])
    for r in results:
        r.source = saved
    return results


def source(interp, st, args, node):
    return interp.source_file(st, args, node)


def test(interp, st: State, args: list[Val], node: Node) -> list[State]:
    return interp.run_test_words(st, node, args, node.text.decode("utf-8", "replace"))


def bracket(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`[ ... ]` run as a command (`command [ -f x ]`, `$t -n "$x" ]`): `test` without the `]`."""
    if not args or not args[-1].known or args[-1].text != "]":
        return _status(st, 2 if args and args[-1].known else None)  # "missing `]'"
    return test(interp, st, args[:-1], node)


def let(interp, st, args, node):
    value = None
    for a in args:
        if not a.known:
            return _status(st, None)
        value = interp.arith_text(st, node, a.text)
    return _status(st, None if value is None else (0 if value else 1))


def command(interp, st: State, args: list[Val], node: Node) -> list[State]:
    if args and args[0].known and args[0].text in ("-v", "-V"):
        return _status(st, None)
    rest = [a for a in args if not (a.known and a.text == "-p")]
    if not rest:
        return _status(st, 0)
    saved = st.funcs
    st.funcs = {}
    results = interp.dispatch(st, rest, [], node)
    for r in results:
        r.funcs = saved
    return results


def builtin(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`builtin NAME args`: the shell builtin itself, never a function or a program."""
    if not args:
        return _status(st, 0)
    if not args[0].known:
        interp.incomplete(interp.loc(st, node), f"builtin {args[0].origin!r}, a name not known statically")
        return _status(st, None)
    if args[0].text not in BASH_BUILTINS:
        return _status(st, 1)  # "not a shell builtin"
    saved = st.funcs
    st.funcs = {}
    results = interp.dispatch(st, list(args), [], node)
    for r in results:
        r.funcs = saved
    return results


def declaration(keyword: str):
    """`export`/`declare`/`local`/`readonly`/`typeset` reached as words (`command export X=1`,
    `FOO=1 export X=2`, `$cmd X=1`): what the parsed declaration does, on expanded words."""
    def handler(interp, st, args, node):
        return interp.declare_words(st, keyword, args, node)

    return handler


def unset(interp, st: State, args: list[Val], node: Node) -> list[State]:
    words = []
    for a in args:
        if not a.known:
            interp.incomplete(interp.loc(st, node), f"unset {a.origin!r}, a name not known statically: not modelled")
            continue
        words.append(a.text)
    return interp.unset_names(st, words)


def query(interp, st, args, node):
    return _status(st, None)


def dirname(interp, st, args, node):
    vals = [a for a in args if not (a.known and a.text.startswith("-"))]
    if not vals or not vals[0].known:
        _out(st, unknown("$(dirname ...)", vals[0].sources if vals else frozenset()))
        return _status(st, 0)
    path = vals[0].text.rstrip("/") or "/"
    head = posixpath.dirname(path) if "/" in path else "."
    _out(st, Val((head.rstrip("/") or "/") + "\n", vals[0].entry, vals[0].sources))
    return _status(st, 0)


def basename(interp, st, args, node):
    vals = [a for a in args if not (a.known and a.text.startswith("-"))]
    if not vals or not vals[0].known:
        _out(st, unknown("$(basename ...)"))
        return _status(st, 0)
    name = posixpath.basename(vals[0].text.rstrip("/"))
    if len(vals) > 1 and vals[1].known and name.endswith(vals[1].text) and name != vals[1].text:
        name = name[: -len(vals[1].text)]
    _out(st, Val(name + "\n", vals[0].entry, vals[0].sources))
    return _status(st, 0)


def realpath(interp, st, args, node):
    vals = [a for a in args if not (a.known and a.text.startswith("-"))]
    if not vals or not vals[0].known:
        _out(st, unknown("$(realpath ...)"))
        return _status(st, 0)
    text = vals[0].text
    if text.startswith("/"):
        absolute = posixpath.normpath(text)
    else:
        base = interp.pwd(st)
        if not base.known:
            _out(st, unknown("$(realpath ...)"))
            return _status(st, 0)
        absolute = posixpath.normpath(posixpath.join(base.text, text))
    _out(st, Val(absolute + "\n"))
    return _status(st, 0)


def readlink(interp, st, args, node):
    if any(a.known and a.text in ("-f", "-e", "-m") for a in args):
        return realpath(interp, st, args, node)
    _out(st, unknown("$(readlink ...)"))
    return _status(st, 1)


def mkdir(interp, st: State, args: list[Val], node: Node) -> list[State]:
    for a in args:
        if a.known and not a.text.startswith("-"):
            _made(interp, st, a.text)
    return _status(st, 0)


def cat(interp, st: State, args: list[Val], node: Node) -> list[State]:
    files = [a for a in args if not (a.known and a.text.startswith("-") and a.text != "-")]
    if not files or (files[0].known and files[0].text == "-"):
        data = concat(st.stdin) if st.stdin else (Val("") if st.stdin is not None else unknown("<stdin>"))
        _out(st, data)
        st.stdin = [Val("")] if st.stdin is not None else None
        return _status(st, 0)
    pieces = []
    for f in files:
        path = interp.repo_path(f.text, st.cwd) if f.known else None
        if path is not None and interp.snapshot.exists(path):
            pieces.append(Val(interp.snapshot.text(path)))
        else:
            pieces.append(unknown(f"$(cat {f.shown()})"))
    _out(st, concat(pieces))
    return _status(st, 0)


def seq(interp, st: State, args: list[Val], node: Node) -> list[State]:
    nums = [a.text for a in args if not (a.known and a.text.startswith("-") and not a.text[1:].isdigit())]
    if not all(a.known for a in args) or not all(re.fullmatch(r"-?\d+", n or "") for n in nums) or not 1 <= len(nums) <= 3:
        _out(st, unknown("$(seq ...)"))
        return _status(st, 0)
    values = [int(n) for n in nums]
    first, step, last = (1, 1, values[0]) if len(values) == 1 else \
        (values[0], 1, values[1]) if len(values) == 2 else (values[0], values[1], values[2])
    if step == 0 or abs((last - first) // step) > interp.settings.max_loop:
        _out(st, unknown("$(seq ...)"))
        return _status(st, 0)
    _out(st, Val("".join(f"{n}\n" for n in range(first, last + (1 if step > 0 else -1), step))))
    return _status(st, 0)


# `git clone` options that take the next word as their value.
CLONE_VALUE_OPTIONS = frozenset({"--depth", "-b", "--branch", "-o", "--origin", "--reference", "--reference-if-able", "-c",
                                 "--config", "-j", "--jobs", "--separate-git-dir", "--template", "-u", "--upload-pack",
                                 "--shallow-since", "--shallow-exclude", "--filter", "--server-option", "--bundle-uri"})


def git(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`git rev-parse --show-toplevel` is the repository root; `git clone` makes its directory
    (what is in it is unknown: a script run from there is made at run time); any other git
    output is unknown."""
    words = [a.text for a in args]
    if words == ["rev-parse", "--show-toplevel"]:
        root = interp.settings.roots[0].rstrip("/")
        _out(st, Val(root + "\n"))
        return _status(st, 0)
    if words[:1] == ["clone"] and all(a.known for a in args):
        _cloned(interp, st, words[1:])
    elif words[:1] not in (["rev-parse"], ["log"], ["diff"], ["status"], ["show"], ["describe"], ["config"], ["ls-files"]):
        interp.written = True  # `git apply`, `checkout`, `submodule update`, `lfs pull`: files may appear
    _out(st, unknown("$(git ...)"))
    return _status(st, 0)


def _cloned(interp, st: State, words: list[str]) -> None:
    positional, i = [], 0
    while i < len(words):
        word = words[i]
        if word == "--":
            positional += words[i + 1:]
            break
        if word in CLONE_VALUE_OPTIONS:
            i += 2
            continue
        if not word.startswith("-"):
            positional.append(word)
        i += 1
    if not positional:
        return
    target = positional[1] if len(positional) > 1 else posixpath.basename(positional[0].rstrip("/").removesuffix(".git"))
    _made(interp, st, target)


def _made(interp, st: State, text: str) -> None:
    """`text` (and each directory above it) is a directory the job made, unless the repository
    has it: what else lies in a repository directory is still known (`[ -d x ]` beside a clone)."""
    path = interp.repo_path(text, st.cwd)
    if path:
        parts = path.split("/")
        made = ("/".join(parts[: i + 1]) for i in range(len(parts)))
        st.made_dirs = st.made_dirs | {d for d in made if not interp.snapshot.is_dir(d)}


def getopts(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`getopts spec NAME [args]`: one option per call, as bash does, on known words."""
    if len(args) < 2 or not args[0].known or not args[1].known:
        return _status(st, None)
    spec, name = args[0].text, args[1].text
    words = list(args[2:]) if len(args) > 2 else list(st.positional)
    index = _int(interp.read_var(st, "OPTIND", track=False), 1)
    offset = _int(interp.read_var(st, GETOPTS_OFFSET, track=False), 1)  # inside a grouped `-abc`
    if index > len(words):
        return _getopts_done(st, name, index)
    word = words[index - 1]
    if not word.known:
        return _status(st, None)
    text = word.text
    if text == "--":
        return _getopts_done(st, name, index + 1)
    if not text.startswith("-") or text == "-" or offset >= len(text):
        return _getopts_done(st, name, index)
    letter, rest = text[offset], text[offset + 1:]
    silent = spec.startswith(":")
    known = letter != ":" and letter in spec
    takes_arg = known and spec[spec.index(letter) + 1:spec.index(letter) + 2] == ":"
    st.bind("OPTARG", None)
    if takes_arg:
        if rest:
            st.assign("OPTARG", Val(rest))
            index += 1
        elif index < len(words):
            st.assign("OPTARG", words[index])
            index += 2
        else:
            letter, index = (":" if silent else "?"), index + 1
            if silent:
                st.assign("OPTARG", Val(text[offset]))
        offset = 1
    elif rest:
        offset += 1
    else:
        index, offset = index + 1, 1
    if not known:
        letter = "?"
        if silent:
            st.assign("OPTARG", Val(text[offset - 1] if rest else text[-1]))
    st.assign(name, Val(letter))
    st.assign("OPTIND", Val(str(index)))
    st.assign(GETOPTS_OFFSET, Val(str(offset)))
    st.touched |= {name, "OPTIND", "OPTARG"}
    return _status(st, 0)


GETOPTS_OFFSET = " getopts offset"  # not a shell name: where getopts is inside a grouped `-abc`


def _getopts_done(st: State, name: str, index: int) -> list[State]:
    st.assign(name, Val("?"))
    st.assign("OPTIND", Val(str(index)))
    st.bind(GETOPTS_OFFSET, None)
    st.touched |= {name, "OPTIND"}
    return _status(st, 1)


def _int(val: Val | None, default: int) -> int:
    if val is None or not val.known or not (val.text or "").strip().isdigit():
        return default
    return int(val.text)


def ignore(interp, st, args, node):
    return _status(st, 0)


# Signals whose default action does not end a non-interactive bash (or that stop it instead).
HARMLESS_SIGNALS = frozenset({"0", "CHLD", "SIGCHLD", "CONT", "SIGCONT", "WINCH", "SIGWINCH", "URG", "SIGURG", "STOP",
                              "SIGSTOP", "TSTP", "SIGTSTP", "TTIN", "SIGTTIN", "TTOU", "SIGTTOU", "17", "18", "19", "20", "23", "28"})


SIGNAL_NUMBERS = {"HUP": 1, "INT": 2, "QUIT": 3, "ABRT": 6, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13,
                  "ALRM": 14, "TERM": 15}


def kill(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`kill [-SIG] $$` (or `kill 0`, the shell's own group) ends the shell: nothing after it runs."""
    signal = "TERM"
    targets = []
    for a in args:
        text = a.text if a.known else None
        if text is not None and text.startswith("-") and not targets and text not in ("--", "-s", "-n") and not text[1:].isdigit() \
                or text is not None and text[1:].isdigit() and text.startswith("-") and not targets and len(args) > 1:
            signal = text[1:].upper()
        elif text == "--":
            continue
        else:
            targets.append(a)
    own = any((not a.known and a.origin in ("$$", "-$$", "$BASHPID")) or (a.known and a.text == "0") for a in targets)
    if own and signal not in HARMLESS_SIGNALS:
        name = signal.removeprefix("SIG")
        number = int(name) if name.isdigit() else SIGNAL_NUMBERS.get(name)
        st.status, st.flow = (128 + number if number else None), Flow("exit")  # killed: 128 + the signal
        return [st]
    return _status(st, 0)


def alias(interp, st: State, args: list[Val], node: Node) -> list[State]:
    for a in args:
        if not a.known:
            interp.incomplete(interp.loc(st, node), f"alias {a.origin!r} not known statically: not modelled")
        elif "=" in a.text:
            name, _, value = a.text.partition("=")
            st.aliases = tuple(p for p in st.aliases if p[0] != name) + ((name, value),)
    return _status(st, 0)


def unalias(interp, st: State, args: list[Val], node: Node) -> list[State]:
    names = {a.text for a in args if a.known}
    st.aliases = () if "-a" in names else tuple(p for p in st.aliases if p[0] not in names)
    return _status(st, 0)


def hash_builtin(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`hash -p PATH NAME`: NAME runs PATH's program from now on; other forms only ask."""
    words = [a.text if a.known else None for a in args]
    if len(words) >= 3 and words[0] == "-p":
        if words[1] is None or any(w is None for w in words[2:]):
            interp.incomplete(interp.loc(st, node), "hash -p with a value not known statically: not modelled")
            return _status(st, 0)
        st.hashed = st.hashed + tuple((name, words[1]) for name in words[2:])
        return _status(st, 0)
    if words[:1] == ["-r"]:
        st.hashed = ()
    return _status(st, None)


BUILTIN_HANDLERS = {
    "cd": cd, "pushd": pushd, "popd": popd, "pwd": pwd, "echo": echo, "printf": printf,
    "true": true, ":": true, "false": false, "set": set_builtin, "shift": shift,
    "return": return_builtin, "exit": exit_builtin, "break": _loop_flow("break"), "continue": _loop_flow("continue"),
    "read": read, "mapfile": mapfile, "readarray": mapfile, "eval": eval_builtin, "source": source, ".": source,
    "test": test, "[": bracket, "let": let, "command": command, "type": query, "hash": hash_builtin, "kill": kill, "which": query,
    "getopts": getopts, "dirname": dirname, "basename": basename, "realpath": realpath, "readlink": readlink,
    "mkdir": mkdir, "cat": cat, "trap": ignore, "wait": ignore, "shopt": shopt, "umask": ignore, "ulimit": ignore,
    "alias": alias, "seq": seq, "git": git, "unalias": unalias, "builtin": builtin, "sleep": ignore,
    "export": declaration("export"), "declare": declaration("declare"), "typeset": declaration("typeset"),
    "local": declaration("local"), "readonly": declaration("readonly"), "unset": unset,
    "xargs": fanout.xargs, "find": fanout.find,
}
# `compgen -b` of bash 5: names a function may shadow, `builtin` reaches, and that never run a program.
BASH_BUILTINS = frozenset(
    ". : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo "
    "enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile popd printf "
    "pushd pwd read readarray readonly return set shift shopt source suspend test times trap true type typeset ulimit "
    "umask unalias unset wait".split()
)
