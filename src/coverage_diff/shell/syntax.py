"""What the syntax tree alone says: statement kinds, the shape of a command, an assignment,
a declaration, a `${...}`, an `if`, a `case` and its arms, here-document layouts.  Each
shape is read once per node (`per_node`) and kept in the caches the interpreter is given;
none depends on the state."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from . import patterns

if TYPE_CHECKING:
    from ..context import ShellCaches


STATEMENTS = frozenset(
    "command variable_assignment variable_assignments declaration_command unset_command list pipeline "
    "negated_command subshell compound_statement if_statement for_statement c_style_for_statement "
    "while_statement case_statement function_definition test_command redirected_statement program do_group".split()
)
SKIPPED = frozenset({"comment", "heredoc_body", "heredoc_end", "heredoc_start"})

UNCHECKED = object()  # `WordPlan.braces` not worked out yet

# Entries one memo keeps before it starts again: the words and commands of the scripts being
# interpreted now are what repeats (a sweep's loop body, the script it calls per config); a
# memo of every node of a large tree would cost tens of MB for little more speed.
MAX_MEMO = 4096

_HEREDOC_MARK = re.compile(r"""<<-?\s*(?:'[^']*'|"[^"]*"|\\?[A-Za-z_0-9]+)""")


def heredoc_line_rest(line: str) -> str:
    """What follows a here-document marker on its line after `;` (`cmd <<A; more`), else ""."""
    found = _HEREDOC_MARK.search(line)
    if found is None:
        return ""
    rest = line[found.end():].lstrip()
    return rest[1:].strip() if rest.startswith(";") and not rest.startswith(";;") else ""


def heredoc_after_body(node: Node, text: str, row: int) -> tuple[str, int]:
    """(the lines after the here-document's delimiter, their row) when tree-sitter ran the body to
    the end of the text for want of the delimiter (`<<A; cmd`), else ("", row)."""
    redirect = next((c for c in node.children if c.type == "heredoc_redirect"), None)
    if redirect is None or not any(c.is_missing for c in redirect.children):
        return "", row
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    if start is None:
        return "", row
    delimiter = node_text(start).strip().rstrip(";").strip("'\"").lstrip("\\")  # tree-sitter keeps the `;`
    strip_tabs = any(c.type == "<<-" for c in redirect.children)
    lines = text.split("\n")
    for k in range(1, len(lines)):
        if (lines[k].lstrip("\t") if strip_tabs else lines[k]) == delimiter:
            return "\n".join(lines[k + 1 :]), row + k + 1
    return "", row


class CaseArm:
    """One arm of a `case`, read once: its pattern nodes (adjacent ones are one pattern), body
    and terminator; `head` is the ERROR node tree-sitter put the start of an unreadable pattern
    in.  `pieces`: its patterns when literal text (`Interpreter.static_patterns`), worked out
    on first use."""

    __slots__ = ("item", "groups", "body", "term", "head", "pieces", "_compiled", "_texts", "compared")

    def __init__(self, item: Node, head: Node | None):
        pats = item.children_by_field_name("value")
        groups: list[list[Node]] = []
        for p in pats:
            if groups and groups[-1][-1].end_byte == p.start_byte:
                groups[-1].append(p)
            else:
                groups.append([p])
        self.item, self.head = item, head
        self.groups = tuple(tuple(g) for g in groups)
        self.body = tuple(c for c in item.named_children if c.type in STATEMENTS and c not in pats)
        self.term = next((c.type for c in item.children if c.type in (";;", ";&", ";;&")), ";;")
        self.pieces = UNCHECKED
        self._compiled: dict[bool, tuple] = {}
        self._texts: dict[str, str] = {}
        self.compared: dict = {}  # per subject node id: the arm as a `Comparison` (`control.arm_comparison`)

    def compiled(self, extglob: bool) -> tuple:
        found = self._compiled.get(extglob)
        if found is None:
            found = self._compiled[extglob] = tuple(patterns.compiled(p, extglob=extglob) for p in self.pieces)
        return found

    def condition_text(self, value_node) -> str:
        """The arm as a condition: `case $X in a | b)`."""
        value = node_text(value_node) if value_node is not None else ""
        found = self._texts.get(value)
        if found is None:
            shown = ["".join(node_text(p) for p in g) for g in self.groups]
            found = self._texts[value] = f"case {value} in {' | '.join(shown)})"
        return found


class CaseArms:
    """A `case` statement's arms, read once per node (`case_arms`), and per extglob setting the
    index `Interpreter.case_index` makes of their literal patterns."""

    __slots__ = ("arms", "index")

    def __init__(self, node: Node):
        # tree-sitter cannot read a pattern that opens with a glob and goes on with a quoted part
        # (`*"Qwen"*"Emb"*)`): the start lands in an ERROR node right before the item.
        broken = {c.next_named_sibling.id: c for c in node.named_children
                  if c.type == "ERROR" and c.next_named_sibling is not None and c.next_named_sibling.type == "case_item"}
        self.arms = [CaseArm(c, broken.get(c.id)) for c in node.named_children if c.type == "case_item"]
        self.index: dict[bool, tuple[dict[str, list[int]], list[int]]] = {}


def per_node(fn=None, *, keep=None):
    """Memoise a function of a syntax node alone (its shape, never the state): called as
    `fn(node, caches)`, the answer is kept in the given `context.ShellCaches` (`nodes`) and
    shared by every later call with them, so callers only read it; `fn(node)` works it out
    afresh (what a function of a node alone does when it asks another: its own answer is
    the one kept).  Keyed by node id, which names one node among live trees only: the memo
    holds each node it answers for (which keeps its tree alive), so no other node can come
    to have that id while the answer is kept.  `keep`: which results are worth keeping (the
    others are worked out again at each call)."""
    if fn is None:
        return lambda f: per_node(f, keep=keep)

    def once(node: Node, caches: ShellCaches | None = None):
        if caches is None:
            return fn(node)
        kept = caches.nodes[once]
        found = kept[0].get(node.id)
        if found is None:
            found = fn(node)
            if keep is None or keep(found):
                remember(kept, node, found)
        return found

    once.__doc__, once.__name__, once.__wrapped__ = fn.__doc__, fn.__name__, fn
    return once


def remember(kept: tuple[dict, dict], node: Node, answer) -> None:
    """Keep `answer` for `node` in one function's memo (answers, nodes held), which starts
    again once it holds `MAX_MEMO`."""
    memo, held = kept
    if len(memo) >= MAX_MEMO:
        memo.clear()
        held.clear()
    memo[node.id] = answer
    held[node.id] = node


@per_node
def case_arms(node: Node) -> CaseArms:
    return CaseArms(node)


@per_node
def assignment_shape(node: Node) -> tuple:
    """(name node, name, index node of `a[i]=`, value node, `+=`) of a variable assignment."""
    name_node = node.child_by_field_name("name")
    value = node.child_by_field_name("value")
    append = any(c.type == "+=" for c in node.children)
    if name_node is None:
        return None, "", None, value, append
    if name_node.type == "subscript":
        return name_node, node_text(name_node.child_by_field_name("name")), name_node.child_by_field_name("index"), value, append
    return name_node, node_text(name_node), None, value, append


@per_node
def command_shape(node: Node) -> tuple:
    """(prefix assignments with the name each sets, redirects, name and argument words, whether
    a redirect feeds stdin, assignments that are a statement of their own) of a simple command;
    no words when it has no name."""
    prefix_nodes = [(c, node_text(c.child_by_field_name("name"))) for c in node.children if c.type == "variable_assignment"]
    redirects = [c for c in node.children if c.type.endswith("_redirect")]
    name_node = node.child_by_field_name("name")
    words_nodes = [name_node, *node.children_by_field_name("argument")] if name_node is not None else []
    reads_stdin = any(x.type in ("herestring_redirect", "heredoc_redirect") or "<" in node_text(x)[:3] for x in redirects)
    before: list[Node] = []
    if prefix_nodes and name_node is not None:
        # tree-sitter-bash reads `x=1 arr=(a b)` and the command on the next line as one command;
        # bash ends the assignments at the newline.
        last = prefix_nodes[-1][0]
        gap = (node.text or b"")[last.end_byte - node.start_byte : name_node.start_byte - node.start_byte]
        if b"\n" in gap.replace(b"\\\n", b""):
            before, prefix_nodes = [c for c, _ in prefix_nodes], []
    return prefix_nodes, redirects, words_nodes, reads_stdin, before


@per_node
def expansion_shape(node: Node) -> tuple:
    """(prefix operator `#`/`!` or "", nothing inside, name, index text, operator, operand nodes)
    of a `${...}`; name None when it is not understood."""
    kids = node.children[1:-1] if node.children and node.children[-1].type == "}" else node.children[1:]
    prefix = ""
    if kids and not kids[0].is_named and kids[0].type in ("#", "!"):
        prefix = kids[0].type
        kids = kids[1:]
    if not kids:
        return prefix, True, None, None, "", []
    rest = kids[1:]
    name, index = expansion_target(kids[0])
    op = rest[0].type if rest and not rest[0].is_named else ""
    return prefix, False, name, index, op, rest[1:] if op else rest


def expansion_target(node: Node) -> tuple[str | None, str | None]:
    if node.type in ("variable_name", "special_variable_name"):
        return node_text(node), None
    if node.type == "number" or (node.type == "word" and node_text(node).isdigit()):
        return node_text(node), None
    if node.type == "subscript":
        name = node.child_by_field_name("name")
        index = node.child_by_field_name("index")
        return (node_text(name) if name is not None else None), (node_text(index) if index is not None else "0")
    return None, None


@per_node
def declaration_shape(node: Node) -> tuple[str, str, str, list[tuple[Node, str, str]]]:
    """(keyword, letters of its `-x` flags, letters of its `+x` flags, [(operand, type, text)])
    of `declare`, `local`, `export`..."""
    words = [node_text(c) for c in node.named_children if c.type == "word"]
    operands = [(c, c.type, node_text(c)) for c in node.named_children]
    return (node.children[0].type, "".join(w.lstrip("-") for w in words if w.startswith("-")),
            "".join(w.lstrip("+") for w in words if w.startswith("+")), operands)


@per_node
def statements(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type not in SKIPPED and (c.type in STATEMENTS or c.type == "ERROR")]


@per_node
def if_clauses(node: Node) -> list[tuple[list[Node] | None, list[Node]]]:
    """[(condition nodes, body statements)] for if / elif..., then (None, else body)."""
    clauses: list[tuple[list[Node] | None, list[Node]]] = []

    def split(n: Node) -> tuple[list[Node], list[Node]]:
        cond, body, seen_then = [], [], False
        for c in n.children:
            if c.type == "then":
                seen_then = True
            elif c.type in ("elif_clause", "else_clause"):
                continue
            elif c.is_named and c.type not in SKIPPED and (c.type in STATEMENTS or c.type == "ERROR"):
                (body if seen_then else cond).append(c)
        return cond, body

    clauses.append(split(node))
    for c in node.children:
        if c.type == "elif_clause":
            clauses.append(split(c))
        elif c.type == "else_clause":
            clauses.append((None, statements(c)))
    return clauses


@per_node
def redirects_of(node: Node) -> list[Node]:
    """A redirected statement's redirects (tree-sitter leaves a here-string out of the field)."""
    return [c for c in node.children if c.type.endswith("_redirect")]


@per_node
def heredoc_layout(redirect: Node) -> tuple[int, str | None]:
    """(where the line holding the marker ends, the start of the body tree-sitter leaves out of
    its `heredoc_body` node: blank lines, leading blanks, a line it misread as words after a
    backslash; None when that text cannot be told apart from another document's)."""
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
    if start is None or body is None:
        return redirect.end_byte, ""
    root = redirect
    while root.parent is not None:
        root = root.parent
    text = root.text or b""
    base = root.start_byte  # the program node starts after leading blank lines
    line_end = text.find(b"\n", start.end_byte - base, body.start_byte - base)
    if line_end < 0:
        return body.start_byte, ""
    gap = (text[line_end + 1 : body.start_byte - base]).decode("utf-8", "replace")
    line_end += base
    marker = re.sub(r"[\"'\\]", "", node_text(start))
    if any(line.strip("\t") == marker for line in gap.split("\n")):  # another document's body
        return line_end, None
    return line_end, gap


def heredoc_tail(node: Node, caches: ShellCaches | None = None) -> Node | None:
    for redirect in redirects_of(node, caches):
        if redirect.type == "heredoc_redirect":
            return next((c for c in redirect.named_children if c.type == "pipeline"), None)
    return None


def heredoc_chain(node: Node, caches: ShellCaches | None = None) -> list[tuple[str, Node]] | None:
    """The `&& a || b` tree-sitter hangs on a here-document marker, as (operator, command)
    pairs left to right; [] when something follows the marker that is not that; None: nothing."""
    for redirect in redirects_of(node, caches):
        if redirect.type != "heredoc_redirect":
            continue
        line_end = heredoc_layout(redirect, caches)[0]
        kids = [c for c in redirect.children  # what starts below the marker's line is body text
                if c.type not in ("<<", "<<-", "heredoc_start", "heredoc_body", "heredoc_end", "file_redirect")
                and c.start_byte < line_end]
        if not kids:
            return None
        if len(kids) != 2 or kids[0].type not in ("&&", "||") or kids[1].type not in ("command", "list", "pipeline"):
            return []
        return and_or_parts(kids[0].type, kids[1])
    return None


def and_or_split(node: Node) -> tuple[Node, str, Node] | None:
    """(left, `&&` or `||`, right) of an and-or list; None for anything else."""
    if node.type != "list" or len(node.named_children) < 2:
        return None
    op = next((c.type for c in node.children if c.type in ("&&", "||")), None)
    return None if op is None else (node.named_children[0], op, node.named_children[-1])


def and_or_parts(op: str, node: Node) -> list[tuple[str, Node]]:
    """`a && b || c` (tree-sitter nests lists to the left) as [(op, a), ("&&", b), ("||", c)]."""
    tail: list[tuple[str, Node]] = []
    while (split := and_or_split(node)) is not None and len(node.named_children) == 2:
        left, inner, right = split
        tail = and_or_parts(inner, right) + tail  # the right part is a list only when written in braces' stead
        node = left
    return [(op, node)] + tail


def arithmetic_inner(text: str) -> str | None:
    """The expression of `$((...))` when the text is one (its inner parentheses balance)."""
    if not (text.startswith("$((") and text.endswith("))")):
        return None
    inner = text[3:-2]
    depth = 0
    for c in inner:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
    return inner if depth == 0 else None


def node_text(node: Node) -> str:
    text = node.text
    return text.decode("utf-8", "replace") if text is not None else ""


@per_node(keep=lambda text: len(text) <= 256)  # (not function bodies or here-documents)
def text_of(node: Node) -> str:
    """`node_text`, kept per node: the interpreter asks for the text of the same conditions,
    commands and words at every pass of a loop, and tree-sitter copies and decodes it at
    each ask."""
    return node_text(node)


def inner_of(node: Node, opening: str, closing: str) -> str:
    text = node.text.decode("utf-8", "replace") if node.text else ""
    text = text.strip()
    if text.startswith(opening) and text.endswith(closing):
        return text[len(opening) : len(text) - len(closing)]
    return ""


@per_node  # every run recorded asks
def in_background(node: Node) -> bool:
    """Whether the command, or a statement around it in its file, ends with `&`."""
    while node is not None and node.type != "function_definition":
        after = node.next_sibling
        if after is not None and after.type == "&":
            return True
        node = node.parent
    return False
