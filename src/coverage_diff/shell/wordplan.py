"""A word's compiled plan: its literal pieces and where its expansions sit, worked out once
per node (`word_plan`) so that expanding it evaluates only the expansions; and what a
word's text says without the state (quotes, escapes, operands of `${...}`, names)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from ..model import Piece
from . import braces
from .parse import Source, parse_source, parse_text
from .state import Var
from .syntax import UNCHECKED, expansion_shape, node_text, per_node, remember
from .values import EMPTY, Val, concat, unknown

if TYPE_CHECKING:
    from ..context import ShellCaches


# A word's shape (its literal pieces, where its expansions sit, how each is quoted) is fixed
# by the syntax tree, so it is worked out once per node and kept: `segments` then evaluates
# only the expansions.  Kept per node as `per_node` keeps an answer, in the caches the
# interpreter is given (`word_plan`).  Each op is (kind, payload, quoted):
STATIC = "static"  # payload: the segment itself, (Val, quoted), the same on every expansion
VAR = "var"  # payload: the name of a `$name`
PARAM = "param"  # payload: a `${...}` node
DYNAMIC = "dynamic"  # payload: a node whose segments `Interpreter.dynamic_segments` computes
# `==` and `=~` are tokens of their own for tree-sitter-bash even as plain arguments (`[ "$a" == b ]`).
LITERAL_WORDS = frozenset({"word", "number", "extglob_pattern", "regex", "test_operator", "variable_name", "==", "=~"})


class Pieces(list):
    """What one `${...}` expands to when it is more than one piece: [(Val or list[Val], quoted)]."""


class WordPlan:
    __slots__ = ("ops", "static", "fixed", "fields", "string", "braces", "joined")

    def __init__(self, ops: list[tuple], braces=None):
        self.ops = ops
        # Only literal pieces: the segments themselves, the same every time.
        self.static = tuple(payload for _, payload, _ in ops) if all(k is STATIC for k, _, _ in ops) else None
        # ...and nothing that splits on IFS or globs: its fields do not depend on the state either.
        self.fixed = self.static is not None and all(
            (quoted or val.origin == "<literal>") and (quoted or not val.known or not any(c in val.text for c in "*?["))
            for val, quoted in self.static)
        self.fields: tuple[Val, ...] | None = None  # `Interpreter.fields` of a fixed plan, once known
        self.string: Val | None = None  # `Interpreter.expand_string` of a static plan, once known
        # The words a brace expression in the word becomes (`brace_words`), UNCHECKED when the
        # word may hold one, None when it holds none.
        self.braces = braces
        # (how many words, `joined_words` of them) for the first word of a command's words.
        self.joined: tuple | None = None

PLANS = ("word plans", "word plans in quotes")  # their memos in `ShellCaches.nodes`, by `in_quotes`


def word_plan(node: Node, in_quotes: bool, caches: ShellCaches | None = None) -> WordPlan:
    """The word's plan, kept in `caches` when given (as `per_node` keeps an answer); a fresh
    one without."""
    if node.__class__ is _Literal or caches is None:  # stand-ins are made afresh on each use
        return WordPlan(word_ops(node, in_quotes), may_brace(node, in_quotes))
    kept = caches.nodes[PLANS[in_quotes]]
    plan = kept[0].get(node.id)
    if plan is None:
        plan = WordPlan(word_ops(node, in_quotes), may_brace(node, in_quotes))
        remember(kept, node, plan)
    return plan


def may_brace(node: Node, in_quotes: bool):
    """UNCHECKED when brace expansion may change the word, else None."""
    if in_quotes or node.type not in ("word", "concatenation", "brace_expression"):
        return None
    return UNCHECKED if braces.has_braces(node_text(node)) else None


def joined_words(nodes: list[Node]) -> list[list[Node]] | None:
    """The nodes grouped into bash's words where tree-sitter split one word in touching nodes
    (`pre{$x,$y}post`); None when every node is a word of its own."""
    groups = [[nodes[0]]]
    for node in nodes[1:]:
        # (one line only: touching nodes across lines are a misparse of more than a word)
        if node.start_byte == groups[-1][-1].end_byte and node.end_point[0] == groups[-1][0].start_point[0]:
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups if len(groups) < len(nodes) else None


def brace_words(node: Node, source: Source, trees: dict) -> tuple[Node, ...] | str | None:
    """The words bash's brace expansion makes of this word, parsed again (each then expands
    as any word does; the tree kept in `trees`); None when it makes none; a reason (str) when
    they cannot be followed."""
    return brace_words_text(node_text(node), node.start_point[0], source.path, trees)


def brace_words_text(text: str, row: int, path: str, trees: dict) -> tuple[Node, ...] | str | None:
    words = braces.expand(text)
    if words is None:
        return f"brace expansion gives {braces.GIVE_UP}"
    if words == [text]:
        return None
    kept = [w for w in words if w]  # an empty unquoted word is no word
    if not kept:
        return ()
    # The same line as the word, so what is said about a part names the right line.
    tree = parse_source(Source(path, "\n" * row + ": " + " ".join(kept)), trees)
    cmds = tree.root_node.named_children
    args = cmds[0].children_by_field_name("argument") if len(cmds) == 1 and cmds[0].type == "command" else []
    if tree.root_node.has_error or len(args) != len(kept) or any(node_text(a) != w for a, w in zip(args, kept)):
        return "a word brace expansion makes is not a plain word"
    return tuple(args)


def word_ops(node: Node, in_quotes: bool) -> list[tuple]:
    t = node.type
    if t in LITERAL_WORDS:
        text = node_text(node)
        if t == "word" and not in_quotes and text.startswith("~"):
            return [(DYNAMIC, node, in_quotes)]
        return literal_ops(t, text, in_quotes)
    if t == "raw_string":
        return [(STATIC, (Val(node_text(node)[1:-1]), True), True)]
    if t == "ansi_c_string":
        return [(STATIC, (Val(ansi_c(node_text(node)[2:-1])), True), True)]
    if t in ("string", "translated_string"):
        start = node.start_byte + (2 if t == "translated_string" else 1)
        # Every piece of a string is quoted (the expansions inside are evaluated in quotes).
        ops = [(STATIC, (payload[0], True), True) if kind is STATIC else (kind, payload, quoted)
               for kind, payload, quoted in quoted_ops(node, start, node.end_byte - 1)]
        return ops or [(STATIC, (EMPTY, True), True)]  # `f ""` passes one empty argument
    if t == "command_name":
        return [op for c in node.named_children for op in word_ops(c, in_quotes)]
    if t == "concatenation":
        ops = []
        for c in node.children:
            if c.is_named:
                ops.extend(word_ops(c, in_quotes))
            else:
                ops.append((STATIC, (Val(node_text(c), origin="<literal>"), in_quotes), in_quotes))
        return ops
    if t == "simple_expansion":
        return [(VAR, node_text(node).lstrip()[1:], in_quotes)]
    if t == "expansion":
        return [(PARAM, node, in_quotes)]
    if t == "process_substitution":
        return [(STATIC, (unknown(node_text(node)), True), True)]
    if t == "array":
        return [(STATIC, (Val(node_text(node)), in_quotes), in_quotes)]
    return [(DYNAMIC, node, in_quotes)]  # substitutions, arithmetic, what is not understood


def literal_ops(t: str, text: str, in_quotes: bool) -> list[tuple]:
    if t == "word" and not in_quotes and "\\" in text:
        return [(STATIC, seg, seg[1]) for seg in escaped_pieces(text)]
    return [(STATIC, (Val(unescape_word(text) if not in_quotes else text, origin="<literal>"), in_quotes), in_quotes)]


def quoted_ops(node: Node, start: int, end: int, heredoc: bool = False) -> list[tuple]:
    """The ops of a double-quoted region: literal gaps and expansions (evaluated in quotes)."""
    ops: list[tuple] = []
    pos = start
    base = node.start_byte
    raw = node.text or b""
    for c in node.named_children:
        if c.start_byte < start or c.end_byte > end or c.type in ("heredoc_end",):
            continue
        if c.start_byte > pos:
            ops.append((STATIC, (Val(unescape_dq(raw[pos - base : c.start_byte - base].decode("utf-8", "replace"), heredoc)), True), True))
        if c.type in ("string_content", "heredoc_content"):
            ops.append((STATIC, (Val(unescape_dq(node_text(c), heredoc)), True), True))
        else:
            # tree-sitter starts an expansion that follows another one at the blanks before
            # it (`"$C $N"` is `$C` then ` $N`): those blanks are text of the string.
            text = node_text(c)
            blank = text[: len(text) - len(text.lstrip())]
            if blank:
                ops.append((STATIC, (Val(blank), True), True))
            ops.extend(word_ops(c, True))
        pos = c.end_byte
    if end > pos:
        ops.append((STATIC, (Val(unescape_dq(raw[pos - base : end - base].decode("utf-8", "replace"), heredoc)), True), True))
    return ops


def closing_quote(text: str, start: int, quote: str) -> int:
    """Index of the quote closing a string whose text starts at `start` (a backslash escapes
    the next character: `"..."` and `$'...'`), or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def expansion_end(text: str, start: int) -> int:
    """End of the `$name`, `${...}`, `$(...)` or backquoted expansion at `start`, or -1."""
    if text[start] == "`":
        end = text.find("`", start + 1)
        return end + 1 if end > 0 else -1
    if text.startswith(("${", "$("), start):
        opening, closing = text[start + 1], "}" if text[start + 1] == "{" else ")"
        depth, i = 0, start + 1
        while i < len(text):
            if text[i] == opening:
                depth += 1
            elif text[i] == closing:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return -1
    m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])", text[start:])
    return start + m.end() if m else start + 1


@per_node
def quoted_operand(node: Node) -> Node | None:
    """The word of a double-quoted `${x:-word}` as bash reads it there: without its own double
    quotes, the rest expanded as double-quoted text (`"${y+"$y"a}"` reads `$ya`; `${a[@]}` still
    gives one word each), parsed as a string; None when that is not modelled (a backslash there
    is read in ways of bash's own: `"${a[@]+\\ x}"` splits)."""
    start, end = operand_span(node, expansion_shape(node)[4])
    text = drop_double_quotes((node.text or b"")[start - node.start_byte : end - node.start_byte].decode("utf-8", "replace"))
    if text is None or "\\" in text:
        return None
    tree = parse_text("\n" * node.start_point[0] + f'_x="{text}"')  # on the word's line
    assignment = tree.root_node.named_children[0] if tree.root_node.named_children else None
    if tree.root_node.has_error or assignment is None or assignment.type != "variable_assignment":
        return None
    value = assignment.child_by_field_name("value")
    return value if value is not None and value.type == "string" else None


def drop_double_quotes(text: str) -> str | None:
    """The word of a double-quoted `${x:-word}` without its own double quotes (those inside
    `$(...)`, `${...}` and backquotes stay); None when the text does not close them."""
    out = []
    stack: list[str] = []  # closers of the substitutions we are inside
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        if text.startswith("${", i) or text.startswith("$(", i):
            stack.append("}" if text[i + 1] == "{" else ")")
            out.append(text[i : i + 2])
            i += 2
            continue
        if stack and c == stack[-1]:
            stack.pop()
        elif stack and c == "(" and stack[-1] == ")":
            stack.append(")")
        elif c == '"' and not stack:
            i += 1
            continue
        elif c == "`":
            close = text.find("`", i + 1)
            if close < 0:
                return None
            out.append(text[i : close + 1])
            i = close + 1
            continue
        out.append(c)
        i += 1
    return None if stack else "".join(out)


def operand_span(node: Node, op: str) -> tuple[int, int]:
    """Where the word of `${x<op>word}` starts and ends (bytes)."""
    start = next((c.end_byte for c in node.children if not c.is_named and c.type == op), node.start_byte)
    return start, node.end_byte - (1 if (node.text or b"").endswith(b"}") else 0)


@per_node
def operand_parts(node: Node) -> list:
    """The word between the operator of a `${x<op>word}` and `}` as literal text (str: words,
    the text tree-sitter leaves between nodes, joined so that `\\` and the character it
    escapes stay together) and the nodes that expand (strings, expansions, substitutions)."""
    op, operands = expansion_shape(node)[4:]
    raw = node.text or b""
    parts: list = []
    start, end = operand_span(node, op)
    pos = start

    def text(upto: int) -> None:
        if upto > pos:
            chunk = raw[pos - node.start_byte : upto - node.start_byte].decode("utf-8", "replace")
            if parts and isinstance(parts[-1], str):
                parts[-1] += chunk
            else:
                parts.append(chunk)

    def walk(c: Node) -> None:
        nonlocal pos
        if c.type == "concatenation":
            for k in c.children:
                walk(k)
            return
        text(c.start_byte)
        pos = c.start_byte
        if c.type == "word" and not (node_text(c).startswith("~") and c.start_byte == start) or not c.is_named:
            text(c.end_byte)
        else:
            parts.append(c)
        pos = c.end_byte

    for c in operands:
        walk(c)
    text(end)
    return parts


def keyed_element(node: Node):
    """`[key]=value` inside an array literal: (key text, value nodes) or None."""
    if node.type != "concatenation" or not node.children:
        return None
    kids = node.children
    if kids[0].type != "word" or kids[0].text != b"[":
        return None
    for i, c in enumerate(kids):
        if c.type == "word" and c.text and c.text.startswith(b"]="):
            key = b"".join(k.text or b"" for k in kids[1:i]).decode()
            rest = c.text[2:].decode()
            return key, ([_Literal(rest)] if rest else []) + list(kids[i + 1 :])
        if c.type == "word" and c.text == b"]" and i + 1 < len(kids) and (kids[i + 1].text or b"").startswith(b"="):
            key = b"".join(k.text or b"" for k in kids[1:i]).decode()
            after = kids[i + 1]
            if after.type == "word":
                rest = after.text[1:].decode()
                return key, ([_Literal(rest)] if rest else []) + list(kids[i + 2 :])
            return key, list(kids[i + 1 :])
    return None


class _Literal:
    """A stand-in node for literal text split out of a tree-sitter word."""

    type = "word"
    is_named = True
    children: list = []
    named_children: list = []

    def __init__(self, text: str):
        self.text = text.encode()


def pure_expansion(node: Node) -> bool:
    """`"$X"` / `${X}` as an array element: it carries its value's entry, it is none itself."""
    if node.type == "string":
        named = node.named_children
        return len(named) == 1 and named[0].type in ("simple_expansion", "expansion") and \
            node.text[1:-1] == named[0].text
    return node.type in ("simple_expansion", "expansion")


def simple_var(node: Node | None, caches: ShellCaches | None = None) -> str | None:
    """The variable a word reads when it is just `$X`, `"$X"`, `${X}` or `${X:-...}` (kept
    in `caches` when given, see `per_node`)."""
    return (_simple_var(node, caches) or None) if node is not None else None


@per_node
def _simple_var(node: Node) -> str:  # ("" for none: what `per_node` keeps)
    if node.type == "string":
        named = [c for c in node.named_children]
        return _simple_var(named[0]) if len(named) == 1 else ""
    if node.type == "simple_expansion":
        name = node.text.decode().lstrip()[1:]
        return name if is_env_name(name) else ""
    if node.type == "expansion":
        kids = node.children[1:-1]
        if kids and kids[0].type == "variable_name" and (len(kids) == 1 or kids[1].type in (":-", "-")):
            return kids[0].text.decode()
    return ""


# --------------------------------------------------------------------------- tested words
_DEFAULTS = frozenset({":-", "-", ":=", "=", ":+", "+"})


def test_word(nodes) -> tuple[Piece, ...] | None:
    """A tested word (one node, or the adjacent nodes of one pattern) as the pieces a condition
    compares (`model.Piece`): literal text and references `$X`, `${X}`, `${X:-word}`; None when a
    piece is anything else (a command substitution, `${X/a/b}`, `$'...'`)."""
    pieces: list[Piece] = []
    for node in (nodes if isinstance(nodes, (list, tuple)) else (nodes,)):
        if not _word_pieces(node, False, pieces):
            return None
    return tuple(pieces)


def _word_pieces(node: Node, quoted: bool, out: list) -> bool:
    kind = node.type
    if kind in ("word", "number", "extglob_pattern"):
        out.append(Piece(node_text(node), quoted))
    elif kind == "regex":  # `=~`'s right side, one token: its quotes and expansions are read here
        parts = regex_parts(node_text(node))
        if parts is None or any(part in ("double", "expansion") for part, _ in parts):
            return False
        runs: list[list] = []  # adjacent parts quoted alike make one piece
        for part, text in parts:
            if runs and runs[-1][1] == (part == "quoted"):
                runs[-1][0] += text
            else:
                runs.append([text, part == "quoted"])
        out.extend(Piece(text, quoted) for text, quoted in runs)
    elif kind == "raw_string":
        out.append(Piece(node_text(node)[1:-1], True))
    elif kind == "concatenation":
        return all(_word_pieces(c, quoted, out) for c in node.children)
    elif kind == "string":  # the text between its parts is literal: read it from the bytes
        text, start, at = node.text or b"", node.start_byte, node.start_byte + 1
        for c in node.named_children:
            if c.start_byte > at:
                out.append(Piece(text[at - start:c.start_byte - start].decode("utf-8", "replace"), True))
            if c.type == "string_content":
                out.append(Piece(node_text(c), True))
            elif not _word_pieces(c, True, out):
                return False
            at = c.end_byte
        if node.end_byte - 1 > at:
            out.append(Piece(text[at - start:-1].decode("utf-8", "replace"), True))
    elif kind == "simple_expansion":
        out.append(Piece(quoted=quoted, variable=node_text(node).lstrip()[1:]))
    elif kind == "expansion":
        prefix, empty, name, index, op, operands = expansion_shape(node)
        if prefix or empty or name is None or index is not None or (op and op not in _DEFAULTS):
            return False
        default = test_word(list(operands)) if op else ()
        if default is None or any(p.variable for p in default):
            return False
        out.append(Piece("".join(p.text for p in default), quoted, name, op))
    else:
        return False
    return True


@per_node
def words_read(node: Node) -> tuple[str, ...]:
    """Every variable a condition's text expands (`$X`, `${X...}`, `${X[i]}`), in order, once
    each; positional parameters (`$1`) are not variables."""
    found: dict[str, None] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("simple_expansion", "expansion"):
            name = next((c for c in n.named_children if c.type == "variable_name"), None)
            if name is None:
                subscript = next((c for c in n.named_children if c.type == "subscript"), None)
                name = subscript.child_by_field_name("name") if subscript is not None else None
            if name is not None and not node_text(name)[:1].isdigit():
                found.setdefault(node_text(name), None)
        elif n.type == "regex":  # `=~`'s right side: one token, its expansions unparsed
            found.update(dict.fromkeys(regex_reads(node_text(n))))
        stack.extend(reversed(n.children))
    return tuple(found)


def regex_parts(raw: str) -> list[tuple[str, str]] | None:
    """The right side of `=~` as written, cut where bash's reading of it changes: ("quoted",
    text) matches itself (a `'...'` or `$'...'` part, an escaped character), ("double", text)
    and ("expansion", text) are expanded (a `"..."` part's inside; an unquoted `$...` or
    backquoted command), ("regex", c) a character of the regular expression.  None when a
    quote or an expansion is not closed."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            out.append(("quoted", raw[i + 1]))
            i += 2
        elif c == "'":
            end = raw.find("'", i + 1)
            if end < 0:
                return None
            out.append(("quoted", raw[i + 1 : end]))
            i = end + 1
        elif raw.startswith("$'", i):
            end = closing_quote(raw, i + 2, "'")
            if end < 0:
                return None
            out.append(("quoted", ansi_c(raw[i + 2 : end])))
            i = end + 1
        elif c == '"':
            end = closing_quote(raw, i + 1, '"')
            if end < 0:
                return None
            out.append(("double", raw[i + 1 : end]))
            i = end + 1
        elif c in "$`":
            end = expansion_end(raw, i)
            if end < 0:
                return None
            out.append(("expansion" if end > i + 1 else "regex", raw[i:end]))  # a lone `$` is the regex's
            i = end
        else:
            out.append(("regex", c))
            i += 1
    return out


def regex_reads(raw: str) -> tuple[str, ...]:
    """The variables a `=~` regex as written expands: each expanded part parsed as the word it is."""
    found: dict[str, None] = {}
    for kind, text in regex_parts(raw) or ():
        if kind in ("double", "expansion"):
            word = f'"{text}"' if kind == "double" else text
            found.update(dict.fromkeys(words_read(parse_text(": " + word).root_node)))
    return tuple(found)


def split_unescaped(text: str, sep: str) -> tuple[str, str | None]:
    """Split at the first `sep` not escaped, quoted or inside `${...}`."""
    depth, quote, i = 0, "", 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif text.startswith("${", i):
            depth += 1
            i += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == sep and not depth:
            return text[:i], text[i + 1 :]
        i += 1
    return text, None


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_env_name(name: str) -> bool:
    """A name the environment can hold that bash does not set itself (an ASCII identifier:
    `[A-Za-z_][A-Za-z0-9_]*`)."""
    return name.isascii() and name.isidentifier() and name not in SHELL_VARIABLES and name not in BASH_SETS


# Variables bash sets itself, to values that depend on the machine, the bash build or the moment:
# unknown (never unset) until the script assigns or unsets them.  (RANDOM, SECONDS, PPID, UID...
# are unknown on every read: `special_or_var`.)
BASH_SETS = frozenset({"BASH", "BASHOPTS", "BASH_ARGV0", "BASH_COMMAND", "BASH_EXECUTION_STRING", "BASH_SUBSHELL",
                       "BASH_VERSINFO", "BASH_VERSION", "BASHPID", "EPOCHREALTIME", "EPOCHSECONDS", "EUID", "GROUPS",
                       "HISTCMD", "HOSTNAME", "HOSTTYPE", "MACHTYPE", "OSTYPE", "PPID", "RANDOM", "SECONDS", "SHELLOPTS",
                       "SHLVL", "SRANDOM", "TERM", "UID", "PIPESTATUS"})


def bash_set(name: str) -> Var:
    return Var(None, is_array=name in ("BASH_VERSINFO", "GROUPS", "PIPESTATUS"), origin=f"${name}")


SHELL_VARIABLES = frozenset({"BASH_SOURCE", "BASH_REMATCH", "BASH_LINENO", "FUNCNAME", "PWD", "OLDPWD", "IFS", "REPLY",
                             "MAPFILE", "OPTARG", "OPTIND", "DIRSTACK"})


def join_values(vals, sep: str) -> Val:
    if isinstance(vals, Val):
        return vals
    if not vals:
        return Val("")
    pieces = []
    for i, v in enumerate(vals):
        if i:
            pieces.append(Val(sep))
        pieces.append(v)
    return concat(pieces)


has_glob_char = re.compile(r"[*?[]").search


def as_field(val: Val) -> Val:
    """A quoted or literal piece as a field: a known value loses how it was written (its origin
    and what a branch taught about it).  A fresh Val, never `EMPTY` itself, which stands for
    a missing array element."""
    if val.text is None or (not val.origin and val.nonempty is None and val is not EMPTY):
        return val
    return Val(val.text, val.entry, val.sources)


def escaped_pieces(text: str) -> list[tuple[Val, bool]]:
    """An unquoted word with backslashes: each escaped character is a quoted piece
    (`tests/\\*.py` globs nothing), the rest literal."""
    out: list[tuple[Val, bool]] = []
    buf, i = "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                if buf:
                    out.append((Val(buf, origin="<literal>"), False))
                    buf = ""
                out.append((Val(text[i + 1], origin="<literal>"), True))
            i += 2
            continue
        buf += text[i]
        i += 1
    if buf or not out:
        out.append((Val(buf, origin="<literal>"), False))
    return out


def unescape_word(text: str) -> str:
    if "\\" not in text:  # most words: nothing to undo
        return text
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL).replace("\\\n", "")


def unescape_dq(text: str, heredoc: bool = False) -> str:
    if "\\" not in text:  # most strings: nothing to undo
        return text
    chars = "$`\\\n" if heredoc else "$`\"\\\n"
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in chars:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def quote_for_reuse(text: str) -> str:
    """`${x@Q}`: single quotes, or bash's `$'...'` form when the text holds control characters."""
    if not any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "'" + text.replace("'", "'\\''") + "'"
    names = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\a": "\\a", "\b": "\\b",
             "\x1b": "\\E", "\f": "\\f", "\v": "\\v"}
    return "$'" + "".join(names.get(c) or (f"\\{ord(c):03o}" if ord(c) < 32 or ord(c) == 127 else c) for c in text) + "'"


def ansi_c(text: str) -> str:
    table = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), "\\" + m.group(1)), text)


def int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else None
