"""Tests and conditions: `[ ]`, `test`, `[[ ]]` and the three-valued `Test` each gives; a
condition decided statically takes its branch, one on an unknown value forks the path,
each fork recording its assumption and the values it implies (`refine`)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from tree_sitter import Node

from ..model import Comparison, Condition, Frame, Location
from . import ere, patterns
from .parse import Source, parse_source, parse_text
from .state import State, Var
from .syntax import inner_of, node_text, per_node
from .values import Val
from .wordplan import int_or_none, regex_parts, simple_var, test_word, words_read


@dataclass
class Test:
    """The result of a condition: known, or unknown with what each branch means."""

    value: bool | None
    sources: frozenset[str] = frozenset()
    detail_true: str = ""
    detail_false: str = ""
    refine_true: tuple[tuple[str, Val], ...] = ()
    refine_false: tuple[tuple[str, Val], ...] = ()


def x_test_command(interp, node, st):
    first = node.children[0].type if node.children else ""
    if first == "[":
        inner = inner_of(node, "[", "]")
        return run_test_words(interp, st, node, reparse_words(interp, st, inner), interp.text(node))
    if first == "((":
        value = interp.arith_text(st, node, inner_of(node, "((", "))"))
        st.status = None if value is None else (0 if value else 1)
        return interp.errexit([st])
    exprs = [c for c in node.named_children]
    if node.has_error and b"=~" in (node.text or b""):
        return settle(interp, st, node, regex_of_text(interp, st, node))
    test = eval_ext(interp, exprs[0], st) if exprs else Test(False)
    return settle(interp, st, node, test)


def regex_of_text(interp, st: State, node: Node) -> Test:
    """`[[ word =~ regex ]]` that tree-sitter could not read (`a[]]`, `"lit"(...)`): read from its text."""
    m = re.fullmatch(r"\s*(\S+)\s+=~\s+(.*?)\s*", inner_of(node, "[[", "]]"), re.DOTALL)
    if m is None:
        interp.incomplete(interp.loc(st, node), f"test {interp.text(node)!r} not understood: both outcomes kept")
        return Test(None)
    return regex_test(interp, interp.word_of_text(st, m.group(1)), m.group(2), st, interp.loc(st, node))


def settle(interp, st: State, node: Node, test: Test) -> list[State]:
    """Record a condition; fork on an unknown result."""
    text = interp.text(node)
    location = interp.loc(st, node)
    variables = tuple(sorted(test.sources))
    compares = comparison(node, interp.caches)
    if test.value is not None:
        cond = interp.condition(Condition(location, text, variables, test.value, compares))
        pass_guard(interp, st, cond)
        st.status = 0 if test.value else 1
        return interp.errexit([st])
    out = []
    for outcome, detail, refine in ((True, test.detail_true, test.refine_true), (False, test.detail_false, test.refine_false)):
        s = st.fork() if outcome else st
        cond = interp.condition(Condition(location, text, variables, outcome, compares))
        pass_guard(interp, s, cond)
        s.assumptions += (interp.assumption(cond, detail or f"{text} is {'true' if outcome else 'false'}"),)
        for name, val in refine:
            interp.refine(s, name, val)
        s.status = 0 if outcome else 1
        out.append(s)
    return interp.errexit(out)


@per_node
def comparison(node: Node) -> Comparison:
    """What a test compares, read from its syntax (`[[ ]]`, `[ ]`, a `test` or `[` command), when it
    is one test: a unary operator on a word, two words and an operator, a lone word, each with an
    optional `!`; for `a && b`, `( )` or a command, a comparison with no operator that says which
    variables the condition reads."""
    found = _comparison(node)
    return replace(found, reads=words_read(node)) if found is not None else Comparison("", reads=words_read(node))


def _comparison(node: Node) -> Comparison | None:
    if node.type == "command":
        name = node.child_by_field_name("name")
        args = node.children_by_field_name("argument")
        if name is None or node_text(name) not in ("test", "["):
            return None
        if node_text(name) == "[":
            if not args or node_text(args[-1]) != "]":
                return None
            args = args[:-1]
        return _posix_comparison(args)
    first = node.children[0].type if node.children else ""
    if first == "[[":
        exprs = node.named_children
        return _extended_comparison(exprs[0], False) if len(exprs) == 1 else None
    if first == "[":
        tree = parse_text("test " + inner_of(node, "[", "]"))
        cmds = tree.root_node.named_children
        if len(cmds) != 1 or cmds[0].type != "command":
            return None
        return _posix_comparison(cmds[0].children_by_field_name("argument"))
    return None


def _extended_comparison(node: Node, negated: bool) -> Comparison | None:
    if node.type == "unary_expression":
        op, operand = node_text(node.children[0]), node.named_children[-1]
        if op == "!":
            return None if negated else _extended_comparison(operand, True)
        return Comparison(op, simple_var(operand) or "", "", negated, left=test_word(operand), extended=True)
    if node.type == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op_node = next((c for c in node.children if c not in (left, right)), None)
        op = node_text(op_node) if op_node is not None else ""
        if (op not in BINARY_TEST_OPS and op != "=~") or left is None:
            return None
        if left.type == "unary_expression" and node_text(left.children[0]) == "!":  # tree-sitter binds `!` to the left word
            if negated:
                return None
            negated, left = True, left.named_children[-1]
        right_word = test_word(right) if right is not None else None
        if op == "=~":  # the right side as written (tree-sitter splits it unreliably)
            operand = (node.text or b"")[op_node.end_byte - node.start_byte:].decode("utf-8", "replace").strip()
            if right is None or node_text(right) != operand:
                right_word = None  # split: its value is not read from the pieces
        else:
            operand = node_text(right) if right is not None else ""
        return Comparison(op, simple_var(left) or "", _unquoted(operand), negated,
                          left=test_word(left), right=right_word, extended=True)
    if node.type in ("parenthesized_expression", "ERROR"):
        return None
    return Comparison("-n", simple_var(node) or "", "", negated, left=test_word(node), extended=True)  # a lone word: true when non-empty


def _posix_comparison(args: list[Node]) -> Comparison | None:
    words = [node_text(a) for a in args]
    negated = len(words) > 1 and words[0] == "!"
    if negated:
        args, words = args[1:], words[1:]
    if len(words) == 1:
        return Comparison("-n", simple_var(args[0]) or "", "", negated, left=test_word(args[0]))
    if len(words) == 2 and words[0] in UNARY_TEST_OPS:
        return Comparison(words[0], simple_var(args[1]) or "", "", negated, left=test_word(args[1]))
    if len(words) == 3 and words[1] in BINARY_TEST_OPS:
        return Comparison(words[1], simple_var(args[0]) or "", _unquoted(words[2]), negated,
                          left=test_word(args[0]), right=test_word(args[2]))
    return None


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def pass_guard(interp, st: State, cond: Condition) -> None:
    """A condition on the environment joins the path of every run after it (once, however
    often a loop passes it): explanations name the guards a run went through."""
    if not cond.variables:
        return
    frame = Frame("guard", cond.location, f"{cond.text} → {'true' if cond.outcome else 'false'}", (), cond)
    if not st.frames or st.frames[-1] != frame:
        st.frames = st.frames + (frame,)


def refine(interp, st: State, name: str, val: Val) -> None:
    if name.startswith("/"):  # a file test's path, taken to exist: its directory was made at run time
        st.made_dirs = st.made_dirs | {name[1:]}
        return
    old = st.get(name)
    if old is not None and old.widened:
        return  # it stands for both outcomes of a command: kept whole, so the paths join again
    if old is None or old.is_array:
        if old is None and (name in st.touched or not interp.open_world):
            return
    exported = old.exported if old else True  # assumed to come from the environment
    from_env = old.from_env if old else True
    st.vars[name] = Var({0: val}, exported=exported, from_env=from_env)


def reparse_words(interp, st: State, text: str) -> list[Val]:
    src = Source(st.source.path, "test " + text, st.source.line_offset)
    tree = parse_source(src, interp.caches.trees)
    cmd = tree.root_node.named_children[0] if tree.root_node.named_children else None
    if cmd is None or cmd.type != "command":
        return [Val(w) for w in text.split()]
    saved = st.source
    st.source = Source(saved.path, src.text, saved.line_offset, "")
    words = interp.expand_words(list(cmd.children_by_field_name("argument")), st)
    st.source = saved
    return words


def run_test_words(interp, st: State, node: Node, args: list[Val], text: str) -> list[State]:
    try:
        test = posix_test(args, interp, st)
    except ValueError:
        test = Test(False)
        interp.incomplete(interp.loc(st, node), f"malformed test {text!r}")
    test = Test(test.value, frozenset().union(*(a.sources for a in args)) if args else frozenset(),
                test.detail_true, test.detail_false, test.refine_true, test.refine_false)
    return settle(interp, st, node, test)


def eval_ext(interp, node: Node, st: State) -> Test:
    """`[[ ... ]]` expressions."""
    t = node.type
    if t == "parenthesized_expression":
        return eval_ext(interp, node.named_children[0], st)
    if t == "unary_expression":
        op_node = node.children[0]
        op = interp.text(op_node)
        operand = node.named_children[-1]
        if op == "!":
            inner = eval_ext(interp, operand, st)
            return Test(None if inner.value is None else not inner.value, inner.sources, inner.detail_false,
                        inner.detail_true, inner.refine_false, inner.refine_true)
        return unary_test(interp, op, interp.expand_string(operand, st), simple_var(operand, interp.caches), st)
    if t == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op_node = next((c for c in node.children if c not in (left, right)), None)
        op = interp.text(op_node) if op_node is not None else ""
        if op in ("&&", "||"):
            a = eval_ext(interp, left, st)
            if a.value is not None and a.value == (op == "||"):
                return a
            b = eval_ext(interp, right, st)
            sources = a.sources | b.sources
            if a.value is not None:
                return b if b.value is not None else Test(None, sources, b.detail_true, b.detail_false, b.refine_true, b.refine_false)
            if b.value is not None and b.value == (op == "||"):
                return Test(b.value, sources)
            if b.value is not None:
                return Test(None, sources, a.detail_true, a.detail_false, a.refine_true, a.refine_false)
            if op == "&&":
                return Test(None, sources, f"{a.detail_true} and {b.detail_true}", "", a.refine_true + b.refine_true)
            return Test(None, sources, "", f"{a.detail_false} and {b.detail_false}", (), a.refine_false + b.refine_false)
        lval = interp.expand_string(left, st)
        if op in ("==", "=", "!="):
            pattern, psrc = interp.pattern(right, st)
            return compare(interp, lval, pattern, psrc, op == "!=", simple_var(left, interp.caches), st)
        if op == "=~":
            raw = (node.text or b"")[op_node.end_byte - node.start_byte:].decode("utf-8", "replace").strip()
            return regex_test(interp, lval, raw, st, interp.loc(st, node))
        rval = interp.expand_string(right, st)
        return binary_test(interp, op, lval, rval, st, arithmetic=True)
    # A lone word: true when non-empty.
    return unary_test(interp, "-n", interp.expand_string(node, st), simple_var(node, interp.caches), st)


def compare(interp, lval: Val, pattern, psrc: frozenset[str], negate: bool, var: str | None, st: State) -> Test:
    sources = lval.sources | psrc
    if pattern is None:
        return Test(None, sources, "", "")
    shown = var or lval.origin or "value"
    pat_text = "".join(t for t, _ in pattern)
    eq, ne = f"{shown} == {pat_text}", f"{shown} != {pat_text}"
    if lval.known:
        result = patterns.matches(lval.text, pattern, extglob=True, caches=interp.caches) != negate  # bash reads `[[ == ]]` with extglob on
        return Test(result, sources)
    refine: tuple = ()
    if var and not patterns.is_glob(pattern, extglob=True) and not lval.nonempty is False:
        refine = ((var, Val(pat_text, sources=frozenset({var}))),)
    if negate:
        return Test(None, sources, ne, eq, (), refine)
    return Test(None, sources, eq, ne, refine, ())


def regex_test(interp, lval: Val, raw: str, st: State, location: Location) -> Test:
    """`[[ lval =~ raw ]]`, `raw` the right side as written (tree-sitter splits it unreliably)."""
    pieces = regex_pieces(interp, raw, st)
    shown = lval.shown() if lval.known else lval.origin
    unknown_test = Test(None, lval.sources, f"{shown} =~ {raw}", f"{shown} !~ {raw}")
    if pieces is None or not lval.known:
        interp.set_var(st, "BASH_REMATCH", Var(None, True, origin="${BASH_REMATCH[@]}"))
        return unknown_test
    compiled = ere.compile_ere(pieces, interp.caches)
    if compiled is None:
        interp.incomplete(location, f"regular expression {raw!r} not understood: both outcomes kept")
        interp.set_var(st, "BASH_REMATCH", Var(None, True, origin="${BASH_REMATCH[@]}"))
        return unknown_test
    groups = ere.search(compiled, lval.text)
    interp.set_var(st, "BASH_REMATCH", Var({i: Val(g) for i, g in enumerate(groups or ())}, True))
    return Test(groups is not None, lval.sources)


def regex_pieces(interp, raw: str, st: State) -> tuple[tuple[str, bool], ...] | None:
    """The right side of `=~` as (text, quoted) parts, as bash reads it: quoted parts and
    backslash-escaped characters match themselves, unquoted expansions are regex text.
    None when a part is not known statically."""
    parts = regex_parts(raw)
    if parts is None:
        return None
    out: list[tuple[str, bool]] = []
    for kind, text in parts:
        quoted = kind != "regex"
        if kind == "expansion" or kind == "double":
            val = interp.expand_text(st, text)
            if not val.known:
                return None
            text, quoted = val.text, kind == "double"
        if out and out[-1][1] == quoted:
            out[-1] = (out[-1][0] + text, quoted)
        else:
            out.append((text, quoted))
    return tuple(out)


def unary_test(interp, op: str, val: Val, var: str | None, st: State) -> Test:
    sources = val.sources
    if op in ("-n", "-z"):
        if val.known:
            return Test(bool(val.text) == (op == "-n"), sources)
        if val.nonempty is not None:
            return Test(val.nonempty == (op == "-n"), sources)
        shown = var or val.origin or "value"
        refine_ne = ((var, Val(None, None, frozenset({var}), f"${var}", True)),) if var else ()
        refine_e = ((var, Val("", sources=frozenset({var}))),) if var else ()
        ne, e = f"{shown} is non-empty", f"{shown} is empty"
        if op == "-n":
            return Test(None, sources, ne, e, refine_ne, refine_e)
        return Test(None, sources, e, ne, refine_e, refine_ne)
    if op == "-v":
        name = val.text or ""
        return Test(None if not val.known else interp.lookup(st, name)[1], sources | {name})
    if op in ("-f", "-d", "-e", "-a", "-r", "-x", "-s", "-w", "-L", "-h"):
        value = file_test(interp, op, val, st)
        path = interp.repo_path(val.text, st.cwd) if value is None and val.known and val.text else None
        if path is None or interp.snapshot.entry(path) is not None:
            return Test(value, sources)
        # Where it is taken to exist, it was made at run time (a script run from there is no missing one).
        made = path if op == "-d" else posixpath.dirname(path)
        return Test(None, sources, "", "", (("/" + made, val),))
    if op in ("-o",):
        return Test(None, sources)
    return Test(None, sources, f"{op} {val.shown()}", f"! {op} {val.shown()}")


def file_test(interp, op: str, val: Val, st: State) -> bool | None:
    """A file test on a path: decided for repository files, for directories the job made,
    and for absent paths in a repository directory as long as nothing may have written the
    workspace (no program but read-only ones has run, no earlier step or runner artifacts);
    None where the file may be made at run time or lies outside the repository (`/dev/kfd`,
    `/opt/rocm`, `build/...`, a download into `tests/` after a program ran)."""
    if not val.known:
        return None
    if val.text == "":
        return False
    path = interp.repo_path(val.text, st.cwd)
    if path is None:
        return None
    if path in st.made_dirs:
        return True if op in ("-d", "-e", "-a", "-r", "-x", "-w", "-s") else (False if op in ("-f", "-L", "-h") else None)
    entry = interp.snapshot.entry(path)
    is_file = entry is not None and interp.snapshot.exists(path)
    is_dir = path == "" or interp.snapshot.is_dir(path)
    if not is_file and not is_dir and entry is None:
        parent = posixpath.dirname(path)
        if interp.written or parent in st.made_dirs or not (parent == "" or interp.snapshot.is_dir(parent)):
            return None  # a program, an earlier step or the runner may have made it (a build, a download)
        return False
    if op in ("-L", "-h"):
        return bool(entry and entry.mode == "120000")
    if entry is not None and entry.mode == "120000":
        return None  # a symbolic link: what it points to is not followed
    if op == "-f":
        return is_file
    if op == "-d":
        return is_dir
    if op == "-s":
        return is_dir or len(interp.snapshot.read(path)) > 0
    if op == "-x":
        return True if is_dir or entry.mode == "100755" else None  # a checkout or chmod may set the bit
    if op in ("-e", "-a", "-r", "-w"):
        return True
    return None


def binary_test(interp, op: str, a: Val, b: Val, st: State, arithmetic: bool) -> Test:
    sources = a.sources | b.sources
    if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
        if not (a.known and b.known):
            return Test(None, sources, f"{a.shown()} {op} {b.shown()}", f"not {a.shown()} {op} {b.shown()}")
        x = interp.arith_eval(st, a.text) if arithmetic else int_or_none(a.text)
        y = interp.arith_eval(st, b.text) if arithmetic else int_or_none(b.text)
        if x is None or y is None:
            return Test(None if arithmetic else False, sources)
        ops = {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}
        return Test(ops[op], sources)
    if not (a.known and b.known):
        return Test(None, sources)
    if op == "<":
        return Test(a.text < b.text, sources)
    if op == ">":
        return Test(a.text > b.text, sources)
    if op in ("=", "=="):
        return Test(a.text == b.text, sources)
    if op == "!=":
        return Test(a.text != b.text, sources)
    return Test(None, sources)


def posix_test(args: list[Val], interp, st: State) -> Test:
    """`test` / `[`: POSIX argument-count rules, then -a/-o/! with precedence, in three values:
    a primary the interpreter cannot decide (an unknown word, a path outside the repository or
    made at run time) makes the result unknown, never "malformed".  Only known words are
    operators.  A test bash rejects (`[ -f ]` missing its operand...) raises ValueError."""
    n = len(args)

    def word(i: int) -> str | None:
        return args[i].text if 0 <= i < n else None

    def negate(t: Test) -> Test:
        return Test(None if t.value is None else not t.value, t.sources, t.detail_false, t.detail_true, t.refine_false, t.refine_true)

    def one(i: int) -> Test:
        return unary_test(interp, "-n", args[i], None, st)

    def two(i: int) -> Test:
        if word(i) == "!":
            return negate(one(i + 1))
        op = word(i)
        if op is not None and op.startswith("-") and len(op) == 2:
            return unary(op, args[i + 1])
        raise ValueError("unary operator expected")

    def three(i: int) -> Test:
        if word(i + 1) in BINARY_TEST_OPS:
            return binary(args[i], word(i + 1), args[i + 2])
        if word(i + 1) in ("-a", "-o"):  # a binary primary first: `[ ! -a x ]` is `!` and `x`
            return both(one(i), word(i + 1), one(i + 2))
        if word(i) == "!":
            return negate(two(i + 1))
        if word(i) == "(" and word(i + 2) == ")":
            return one(i + 1)
        raise ValueError("binary operator expected")

    def unary(op: str, val: Val) -> Test:
        if op in ("-n", "-z"):
            return unary_test(interp, op, val, None, st)
        if op in UNARY_TEST_OPS:
            return unary_test(interp, op, val, None, st)
        raise ValueError(f"{op}: unary operator expected")

    def binary(a: Val, op: str, b: Val) -> Test:
        if op in ("-nt", "-ot", "-ef"):
            return Test(None, a.sources | b.sources)
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge") and a.known and b.known and \
                (int_or_none(a.text.strip()) is None or int_or_none(b.text.strip()) is None):
            raise ValueError("integer expression expected")
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge") and a.known and b.known:
            a, b = Val(a.text.strip(), sources=a.sources), Val(b.text.strip(), sources=b.sources)
        return binary_test(interp, op, a, b, st, arithmetic=False)

    pos = 0

    def expr_or() -> Test:
        nonlocal pos
        v = expr_and()
        while pos < n and word(pos) == "-o":
            pos += 1
            v = both(v, "-o", expr_and())
        return v

    def expr_and() -> Test:
        nonlocal pos
        v = expr_not()
        while pos < n and word(pos) == "-a":
            pos += 1
            v = both(v, "-a", expr_not())
        return v

    def expr_not() -> Test:
        nonlocal pos
        if pos + 1 < n and word(pos) == "!":
            pos += 1
            return negate(expr_not())
        return primary()

    def primary() -> Test:
        nonlocal pos
        if pos >= n:
            raise ValueError("argument expected")
        w = word(pos)
        if w == "(" and pos + 2 < n:
            pos += 1
            v = expr_or()
            if word(pos) != ")":
                raise ValueError("`)' expected")
            pos += 1
            return v
        if pos + 2 < n and word(pos + 1) in BINARY_TEST_OPS:
            pos += 3
            return binary(args[pos - 3], word(pos - 2), args[pos - 1])
        if w is not None and w.startswith("-") and len(w) == 2 and pos + 1 < n:
            pos += 2
            return unary(w, args[pos - 1])
        pos += 1
        return one(pos - 1)

    if n == 0:
        return Test(False)
    if n == 1:
        return one(0)
    if n == 2:
        return two(0)
    if n == 3:
        return three(0)
    if n == 4 and word(0) == "!":
        return negate(three(1))
    if n == 4 and word(0) == "(" and word(3) == ")":
        return two(1)
    v = expr_or()
    if pos != n:
        raise ValueError("too many arguments")
    return v


def both(a: Test, op: str, b: Test) -> Test:
    """`-a` / `-o` (and `&&` / `||` inside `[[ ]]`) on three-valued results."""
    sources = a.sources | b.sources
    decisive = op in ("-o", "||")  # the value that settles the result on its own
    if a.value == decisive or b.value == decisive:
        return Test(decisive, sources)
    if a.value is not None and b.value is not None:
        return Test(not decisive, sources)
    unknown_side = a if a.value is None else b
    if a.value is not None or b.value is not None:  # the other side is neutral: the unknown one decides
        return Test(None, sources, unknown_side.detail_true, unknown_side.detail_false, unknown_side.refine_true,
                    unknown_side.refine_false)
    if not decisive:
        return Test(None, sources, _and(a.detail_true, b.detail_true), "", a.refine_true + b.refine_true)
    return Test(None, sources, "", _and(a.detail_false, b.detail_false), (), a.refine_false + b.refine_false)


def _and(x: str, y: str) -> str:
    return " and ".join(d for d in (x, y) if d)


UNARY_TEST_OPS = frozenset("-a -b -c -d -e -f -g -h -k -p -r -s -t -u -w -x -G -L -N -O -S -n -z -o -v -R".split())
BINARY_TEST_OPS = frozenset({"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"})
