"""Programs that run another command on a list of files or lines: `xargs` and
`find -exec`.  The command they run is interpreted like any other (a runner is a
Run, `bash -c` text is a script); its arguments are the input's words where the
input is known, one unknown word where it is not (`find | xargs pytest`: the files
are found at run time).  A run that happens only if the input is not empty is kept
as possible, with that assumption.

Each handler takes (interpreter, state, arguments, node) and returns States.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Assumption, Condition
from .state import State
from .values import Val, concat, unknown

# GNU xargs options that take a value (separate or glued) and the ones that do not.
XARGS_VALUED = {"-a": "arg-file", "-d": "delimiter", "-E": "eof", "-I": "replace", "-L": "max-lines", "-n": "max-args",
                "-P": "max-procs", "-s": "max-chars"}
XARGS_LONG_VALUED = {"--arg-file", "--delimiter", "--eof", "--max-lines", "--max-args", "--max-procs", "--max-chars",
                     "--process-slot-var"}
MAX_XARGS_RUNS = 256  # more lines than this: one run with unknown arguments


def _assumption(interp, st: State, node: Node, detail: str) -> Assumption:
    return interp.assumption(Condition(interp.loc(st, node), interp.text(node), (), True), detail)


def xargs(interp, st: State, args: list[Val], node: Node) -> list[State]:
    rest = list(args)
    replace = None
    per: int | None = None  # arguments per run (-n) or lines per run (-L)
    by_lines = False
    no_empty = False
    delimiter = None
    while rest and rest[0].known and rest[0].text.startswith("-") and rest[0].text != "-":
        flag = rest.pop(0).text
        if flag == "--":
            break
        name, eq, value = flag.partition("=")
        if name in XARGS_LONG_VALUED or name in ("--replace",):
            if name == "--replace":
                replace = value if eq else "{}"
            elif not eq and rest:
                value = rest.pop(0).text or ""
            if name in ("--max-args", "--max-lines"):
                per = int(value) if value.isdigit() else None
                by_lines = name == "--max-lines"
            if name == "--delimiter":
                delimiter = value
            if name == "--arg-file":
                return _unknown_input(interp, st, rest, node, "xargs reads its arguments from a file")
            continue
        if name in ("--null", "-0"):
            delimiter = "\0"
            continue
        if name in ("--no-run-if-empty", "-r"):
            no_empty = True
            continue
        if flag.startswith("--"):
            continue
        # short options, possibly grouped (`-rn1`, `-I{}`, `-i`)
        letters = flag[1:]
        i = 0
        while i < len(letters):
            letter = letters[i]
            if letter == "i":
                replace = letters[i + 1 :] or "{}"
                break
            if f"-{letter}" in XARGS_VALUED:
                value = letters[i + 1 :]
                if not value and rest:
                    value = rest.pop(0).text or ""
                if letter == "I":
                    replace = value
                elif letter in "nL":
                    per = int(value) if value.isdigit() else None
                    by_lines = letter == "L"
                elif letter == "d":
                    delimiter = value.encode().decode("unicode_escape")[:1] if value else None
                elif letter == "a":
                    return _unknown_input(interp, st, rest, node, "xargs reads its arguments from a file")
                break
            if letter == "0":
                delimiter = "\0"
            elif letter == "r":
                no_empty = True
            i += 1
    command = rest or [Val("echo")]
    data = concat(st.stdin) if st.stdin else (Val("") if st.stdin is not None else None)
    st.stdin = [Val("")] if st.stdin is not None else None
    if data is None or not data.known:
        return _unknown_input(interp, st, command, node, "xargs input is not empty" if (replace or no_empty) else "",
                              replace, data)
    if replace is not None:
        items = [line.lstrip(" \t") for line in data.text.split("\n" if delimiter is None else delimiter)]
        items = [i for i in items if i]
        if len(items) > MAX_XARGS_RUNS:
            return _unknown_input(interp, st, command, node, "xargs input is not empty", replace, data)
        runs = [[_replaced(w, replace, Val(item, data.entry, data.sources)) for w in command] for item in items]
    else:
        words = _words(data.text, delimiter)
        if words is None:
            return _unknown_input(interp, st, command, node, "", None, data)
        if not words and no_empty:
            return interp.done(st, 0)
        if by_lines and per:  # -L N: N non-blank lines per run
            lines = [line.split() for line in data.text.split("\n") if line.strip()]
            if any(line.endswith((" ", "\t")) for line in data.text.split("\n") if line.strip()):
                return _unknown_input(interp, st, command, node, "", None, data)  # a trailing blank joins lines
            groups = [[w for line in lines[i : i + per] for w in line] for i in range(0, len(lines), per)] or [[]]
        else:
            chunk = per or len(words) or 1
            groups = [words[i : i + chunk] for i in range(0, len(words), chunk)] or [[]]
        if len(groups) > MAX_XARGS_RUNS:
            return _unknown_input(interp, st, command, node, "", None, data)
        runs = [command + [Val(w, data.entry, data.sources) for w in group] for group in groups]
    states = [st]
    for words in runs:
        nxt = []
        for s in states:
            nxt.extend(_run(interp, s, words, node))
        states = nxt
    for s in states:
        s.status = 0 if s.status == 0 else 123
    return states


def _words(text: str, delimiter: str | None) -> list[str] | None:
    """xargs's input split into arguments; None where its quote rules would matter."""
    if delimiter is not None:
        parts = text.split(delimiter)
        if parts and parts[-1] in ("", "\n") and delimiter != "\n":
            parts.pop()
        elif parts and parts[-1] == "":
            parts.pop()
        return parts
    if re.search(r"[\"'\\]", text):
        return None
    return text.split()


def _replaced(word: Val, replace: str, item: Val) -> Val:
    if not word.known or replace not in word.text:
        return word
    pieces = word.text.split(replace)
    out = [Val(pieces[0])]
    for piece in pieces[1:]:
        out += [item, Val(piece)]
    return concat(out)


def _unknown_input(interp, st: State, command: list[Val], node: Node, assumption: str, replace: str | None = None,
                   data: Val | None = None) -> list[State]:
    origin = "<xargs input>"
    item = unknown(origin, data.sources if data is not None else frozenset())
    if replace is not None:
        words = [_replaced(w, replace, item) for w in command]
    else:
        words = [*command, item]
    if not command:
        return interp.done(st, 0)
    return _run(interp, st, words, node, assumption)


def _run(interp, st: State, words: list[Val], node: Node, detail: str = "") -> list[State]:
    """One command xargs or find starts: a program, never a shell function or builtin.  With
    `detail`, the command's runs are possible (that assumption), what follows is not."""
    condition = _assumption(interp, st, node, detail) if detail else None

    def body(child: State) -> list[State]:
        child.funcs = {}
        if condition is not None:
            child.assumptions += (condition,)
        results = interp.dispatch(child, words, [], node)
        for r in results:
            r.flow = None
        return results

    results = interp.subshell(st, body)
    if condition is not None:
        for r in results:
            r.assumptions = st.assumptions
    return results


def find(interp, st: State, args: list[Val], node: Node) -> list[State]:
    """`find ... -exec CMD {} +` / `-exec CMD {} \\;` / `-execdir` / `-ok`: CMD runs on the files found,
    which are known only at run time (an unknown word, the run possible: find may find nothing).
    Without -exec, find is a setup command whose output is unknown."""
    words = list(args)
    starts = [i for i, w in enumerate(words) if w.known and w.text in ("-exec", "-execdir", "-ok", "-okdir")]
    if not starts:
        return interp.setup_command(st, "find", args, node)
    states = [st]
    for start in starts:
        end = next((j for j in range(start + 1, len(words)) if words[j].known and words[j].text in (";", "+")), None)
        if end is None or end == start + 1:
            return interp.done(st, 1)  # "missing argument to -exec"
        command = words[start + 1 : end]
        files = unknown("<files found by find>")
        run_words = [files if (w.known and w.text == "{}") else _replaced(w, "{}", files) for w in command]
        here = words[start].text in ("-exec", "-ok")
        nxt = []
        for s in states:
            cwd = s.cwd
            if not here:
                s.cwd = "?"  # -execdir: in each file's directory
            for r in _run(interp, s, run_words, node, "find finds files"):
                r.cwd, r.status = cwd, 0
                nxt.append(r)
        states = nxt
    return states or [st]
