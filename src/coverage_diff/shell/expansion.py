"""Word expansion: a word's compiled plan (`wordplan`) evaluated in a state, field splitting
on IFS, brace and pathname expansion, strings without splitting, patterns, command
substitution (its commands run in a child whose output is captured) and arithmetic."""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Location
from . import arith, braces, globbing, patterns
from .parse import Source, parse_source
from .state import Flow, State, Var
from .syntax import STATEMENTS, UNCHECKED, arithmetic_inner, inner_of, node_text
from .values import EMPTY, IFS_DEFAULT, Val, concat, split_fields, unknown
from .wordplan import (PARAM, STATIC, VAR, PLANS, Pieces, WordPlan, as_field, brace_words, brace_words_text,
                       has_glob_char, join_values, joined_words, literal_ops, quoted_ops, unescape_word, word_plan)


class _UnknownIFS(str):
    """The default IFS, told apart by identity; a value like any str (no attributes)."""

    __slots__ = ()


UNKNOWN_IFS = _UnknownIFS(IFS_DEFAULT)  # `ifs() is UNKNOWN_IFS`: not known statically (splits as the default would)


def expand_words(interp, nodes: list[Node], st: State) -> list[Val]:
    plans = interp.caches.nodes[PLANS[False]][0]
    if len(nodes) > 1:  # words tree-sitter split (`pre{$x,$y}post`), noted on the first word's plan
        first = plans.get(nodes[0].id) or word_plan(nodes[0], False, interp.caches)
        joined = first.joined
        if joined is None or joined[0] != len(nodes):
            joined = first.joined = (len(nodes), joined_words(nodes))
        if joined[1] is not None:
            return [v for g in joined[1] for v in (fields(interp, g[0], st) if len(g) == 1 else joined_fields(interp, g, st))]
    out: list[Val] = []
    for node in nodes:
        plan = plans.get(node.id)
        if plan is not None and plan.fields is not None:  # as `fields` would answer, without the call
            out.extend(plan.fields)
        else:
            out.extend(fields(interp, node, st))
    return out


def fields(interp, node: Node, st: State) -> list[Val]:
    """Word expansion with splitting of unquoted expansions and `"$@"` arrays,
    then pathname expansion of the unquoted glob characters (after brace expansion)."""
    plan = word_plan(node, False, interp.caches)
    if plan.fields is not None:  # a word with no expansion and nothing to glob: as it was
        return list(plan.fields)
    if plan.braces is not None:
        if plan.braces is UNCHECKED:
            plan.braces = brace_words(node, st.source, interp.caches.trees)
        if plan.braces is not None:
            return brace_fields(interp, node, plan.braces, st)
    segs = expansion_alone(interp, plan, st)
    if segs is None:
        segs = run_plan(interp, plan, st)
    if len(segs) == 1 and segs[0][1]:  # one quoted piece (`"$x"`, `"${a[@]}"`): nothing splits or globs
        seg = segs[0][0]
        if isinstance(seg, list):
            return list(seg)
        return [as_field(seg)]
    ifs: str | None = None  # read when an unquoted expansion splits
    fields: list[list[tuple[Val, bool]]] = []  # each field as pieces (value, unquoted)
    current: list[tuple[Val, bool]] = []
    started = False
    for seg, quoted in segs:
        if isinstance(seg, list):  # "${a[@]}" / "$@": one field per element
            if not seg:
                continue
            current.append((seg[0], False))
            for v in seg[1:]:
                fields.append(current)
                current = [(v, False)]
            started = True
        elif quoted or seg.origin == "<literal>":
            current.append((as_field(seg), not quoted))
            started = True
        else:
            if not seg.known:
                current.append((seg, True))
                started = True
                continue
            text = seg.text
            if not text:
                if seg.sources or seg.entry:  # keep provenance on an adjacent piece
                    current.append((seg, True))
                continue
            if ifs is None:
                ifs = interp.ifs(st, node)
            if ifs is UNKNOWN_IFS:  # how the value splits is not known
                current.append((Val(None, seg.entry, seg.sources, "<split on an unknown IFS>"), True))
                started = True
                continue
            parts = split_fields(seg, ifs)
            white = [c for c in ifs if c in " \t\n"]
            lead = text[0] in ifs
            trail = text[-1] in ifs and (text[-1] in white or len(parts) > 0)
            # (an empty unquoted piece kept for its provenance starts no field)
            if lead and (started or any(v.text or not v.known for v, _ in current)):
                fields.append(current)
                current, started = [], False
            for i, p in enumerate(parts):
                if i > 0:
                    fields.append(current)
                    current = []
                current.append((p, True))
                started = True
            if trail and parts:
                fields.append(current)
                current, started = [], False
    if current and (started or any(v.text or not v.known for v, _ in current)):
        fields.append(current)
    elif started:
        fields.append([])
    result = [v for pieces in fields for v in glob_field(interp, st, node, pieces)]
    if plan.fixed:
        plan.fields = tuple(result)
    return result


def joined_fields(interp, group: list[Node], st: State) -> list[Val]:
    """One bash word that tree-sitter split in several nodes (`pre{$x,$y}post`)."""
    text = "".join(node_text(n) for n in group)
    words = brace_words_text(text, group[0].start_point[0], st.source.path, interp.caches.trees) if braces.has_braces(text) else None
    if words is None:
        # Read again as the value of an assignment, where tree-sitter may take it whole.
        node = word_node(interp, st, text)
        if node is not None and node_text(node) == text:
            return fields(interp, node, st)
        words = "tree-sitter reads it as several words"
    return brace_fields(interp, group[0], words, st, text)


def brace_fields(interp, node: Node, words: tuple[Node, ...] | str, st: State, text: str | None = None) -> list[Val]:
    """The fields of the words a brace expression became, each expanded in turn."""
    if isinstance(words, str):
        text = text or interp.text(node)
        shown = text if len(text) <= 80 else text[:77] + "..."
        interp.incomplete(interp.loc(st, node), f"word {shown!r} not followed: {words}")
        return [unknown(f"<word {text} not followed>")]  # shown so: never taken for the literal text
    return [v for w in words for v in fields(interp, w, st)]


def glob_field(interp, st: State, node: Node, pieces: list[tuple[Val, bool]]) -> list[Val]:
    """A field with unquoted `*`, `?` or `[` names the repository files it matches (bash's
    pathname expansion); no match leaves the word as written unless `nullglob`/`failglob`."""
    value = concat([v for v, _ in pieces]) if pieces else EMPTY
    if "noglob" in st.globopts or not any(active and v.text and has_glob_char(v.text) for v, active in pieces):
        return [value]
    if not value.known:
        interp.incomplete(interp.loc(st, node), f"glob {value.origin!r} not known statically: not expanded")
        return [value]
    pattern = tuple((v.text, not active) for v, active in pieces if v.text)
    if not patterns.is_glob(pattern):
        return [value]
    matches = globbing.expand(pattern, st.cwd, interp.snapshot, interp.settings.roots, interp.caches,
                              dotglob="dotglob" in st.globopts, globstar="globstar" in st.globopts,
                              made_dirs=st.made_dirs)
    if matches is None:
        interp.incomplete(interp.loc(st, node), f"glob {value.text!r} is matched against files outside the repository: not expanded")
        return [value]
    if matches:
        return [Val(m, value.entry, value.sources) for m in matches]
    if "nullglob" in st.globopts:
        return []
    if "failglob" in st.globopts and not st.flow:  # bash reports `no match` and drops the top-level command
        st.flow, st.status = Flow("discard"), 1
    return [value]


def ifs(interp, st: State, node: Node | None = None) -> str:
    """IFS as word splitting uses it; UNKNOWN_IFS (which `is` compares) when its value is
    not known statically."""
    var = st.get("IFS")
    if var is None or (var.items is not None and var.scalar is None):
        return IFS_DEFAULT
    if var.scalar is not None and var.scalar.known:
        return var.scalar.text
    where = interp.loc(st, node) if node is not None else Location(st.source.path, st.source.line_offset + 1)
    interp.incomplete(where, "IFS not known statically: how values split is unknown")
    return UNKNOWN_IFS


def expand_string(interp, node: Node | None, st: State) -> Val:
    """Expansion without splitting (assignments, `[[ ]]` operands, case subjects)."""
    if node is None:
        return EMPTY
    plan = word_plan(node, False, interp.caches)
    if plan.string is not None:
        return plan.string
    segs = expansion_alone(interp, plan, st)
    if segs is None:
        segs = run_plan(interp, plan, st)
    parts = []
    for seg, quoted in segs:
        if isinstance(seg, list):
            parts.append(join_values(seg, " "))
        else:
            parts.append(seg)
    value = concat(parts) if parts else EMPTY
    if value.origin == "<literal>":  # the string is a value now: `$x` of it splits
        value = as_field(value)
    if plan.static is not None:
        plan.string = value
    return value


def expand_text(interp, st: State, text: str) -> Val:
    """Expand a fragment of shell text as a double-quoted string."""
    if "$" not in text and "`" not in text and "\\" not in text and "'" not in text and '"' not in text:
        return Val(text)
    src = Source(st.source.path, f'_x="{text}"', st.source.line_offset)
    tree = parse_source(src, interp.caches.trees)
    node = tree.root_node.named_children[0] if tree.root_node.named_children else None
    value = node.child_by_field_name("value") if node is not None and node.type == "variable_assignment" else None
    return expand_string(interp, value, st) if value is not None else Val(text)


def segments(interp, node: Node, st: State, in_quotes: bool) -> list[tuple] | tuple[tuple, ...]:
    """The pieces of a word: (Val, quoted) or (list[Val], True) for `"${a[@]}"`.
    The word's shape is compiled once per node (`word_plan`); only its expansions
    are evaluated here, in order."""
    return run_plan(interp, word_plan(node, in_quotes, interp.caches), st)


def run_plan(interp, plan: "WordPlan", st: State) -> list[tuple] | tuple[tuple, ...]:
    if plan.static is not None:
        return plan.static
    out = []
    for kind, payload, quoted in plan.ops:
        if kind is STATIC:
            out.append(payload)
        elif kind is VAR:
            out.append(simple_expansion(interp, payload, st, quoted))
        elif kind is PARAM:
            seg = interp.parameter(payload, st, quoted)
            if seg.__class__ is Pieces:
                out.extend(seg)
            else:
                out.append(seg)
        else:
            out.extend(dynamic_segments(interp, payload, st, quoted))
    return out


def expansion_alone(interp, plan: "WordPlan", st: State) -> list[tuple] | None:
    """`run_plan` of a word that is one `$x` or `${...}` (quoted or not), the commonest
    dynamic word, without the loop; None for any other word."""
    ops = plan.ops
    if len(ops) != 1:
        return None
    kind, payload, quoted = ops[0]
    if kind is VAR:
        return [simple_expansion(interp, payload, st, quoted)]
    if kind is PARAM:
        seg = interp.parameter(payload, st, quoted)
        return seg if seg.__class__ is Pieces else [seg]
    return None


def dynamic_segments(interp, node: Node, st: State, in_quotes: bool) -> list[tuple]:
    """The pieces of a word part whose shape `word_plan` cannot fix in advance."""
    t = node.type
    if t == "word":  # unquoted `~...`: HOME is read (and tracked) whatever follows the `~`
        text = interp.text(node)
        home = interp.read_var(st, "HOME") or unknown("~")
        rest = unescape_word(text[1:]) if text[1:2] in ("", "/") else None
        if rest is not None:
            return [(home, True), (Val(rest, origin="<literal>"), False)]
        return [payload for _, payload, _ in literal_ops(t, text, in_quotes)]
    if t == "command_substitution":
        return [(command_substitution(interp, node, st), in_quotes)]
    if t == "arithmetic_expansion":
        value = arith_text(interp, st, node, inner_of(node, "$((", "))") or inner_of(node, "$[", "]"))
        return [(Val(str(value)) if value is not None else unknown(interp.text(node)), in_quotes)]
    interp.incomplete(interp.loc(st, node), f"word {t!r} not understood")
    return [(unknown(interp.text(node)), in_quotes)]


def quoted_pieces(interp, node: Node, st: State, start: int, end: int, heredoc: bool = False) -> list:
    """Pieces of a double-quoted region (a here-document's body): literal gaps and expansions."""
    return [seg for seg, _ in run_plan(interp, WordPlan(quoted_ops(node, start, end, heredoc)), st)]


def simple_expansion(interp, name: str, st: State, quoted: bool):
    """`$name` (the name as `word_plan` read it)."""
    if name in ("@", "*"):
        vals = list(st.positional)
        if quoted and name == "@":
            return (vals, True)
        return (join_values(vals, ifs(interp, st)[:1] if name == "*" else " "), quoted)
    return (interp.special_or_var(st, name), quoted)


def word_node(interp, st: State, text: str) -> Node | None:
    src = Source(st.source.path, f"_x={text}", st.source.line_offset)
    tree = parse_source(src, interp.caches.trees)
    node = tree.root_node.named_children[0] if tree.root_node.named_children else None
    if node is None or node.type != "variable_assignment" or tree.root_node.has_error:
        return None
    return node.child_by_field_name("value")


def pattern_group(interp, nodes: list[Node], st: State):
    """One pattern written as adjacent nodes; None when a part is unknown or unreadable."""
    pieces: list[tuple[str, bool]] = []
    sources: frozenset[str] = frozenset()
    for node in nodes:
        if node.type == "ERROR":
            return None, sources
        pat, src = pattern(interp, node, st)
        sources |= src
        if pat is None:
            return None, sources
        pieces.extend(pat)
    return tuple(pieces), sources


def pattern(interp, node: Node, st: State):
    """A glob pattern from a word: quoted parts literal. None when unknown."""
    pieces: list[tuple[str, bool]] = []
    sources: frozenset[str] = frozenset()
    for seg, quoted in segments(interp, node, st, False):
        v = join_values(seg, " ") if isinstance(seg, list) else seg
        sources |= v.sources
        if not v.known:
            return None, sources
        if node.type in ("word", "extglob_pattern", "regex") and not quoted:
            pieces.append((interp.text(node), False))
            return tuple(pieces), sources
        pieces.append((v.text, quoted))
    return tuple(pieces), sources


def command_substitution(interp, node: Node, st: State) -> Val:
    inner = arithmetic_inner(interp.text(node))
    if inner is not None:  # `$((n+1))` that tree-sitter read as `$( (n+1) )` (here-documents, `${x:-$((..))}`)
        value = arith_text(interp, st, node, inner)
        return Val(str(value)) if value is not None else unknown(interp.text(node))
    body = [c for c in node.named_children if c.type in STATEMENTS]
    if not body:  # `$(< file)` and friends
        redirect = next((c for c in node.named_children if c.type == "file_redirect"), None)
        if redirect is not None:
            child = st.fork()
            interp.apply_redirect(redirect, child)
            if child.stdin is not None:
                return Val((concat(child.stdin).text or "").rstrip("\n"))
        return unknown(interp.text(node))
    child = st.fork()
    child.capture = []
    child.errexit = False
    child.no_errexit = 0
    finals = interp.exec_block(body, [child])
    st.sub_status = finals[0].status if len(finals) == 1 else None
    if len(finals) != 1:
        return unknown(interp.text(node))
    out = concat(finals[0].capture) if finals[0].capture else Val("")
    if not out.known:
        return Val(None, out.entry, out.sources, interp.text(node))
    return Val(out.text.rstrip("\n"), out.entry, out.sources)


def arith_text(interp, st: State, node: Node, text: str) -> int | None:
    """Evaluate arithmetic text after expanding `$x` / `${...}` / `$(...)` inside it."""
    if "$" in text or "`" in text:
        expanded = expand_text(interp, st, text)
        if not expanded.known:
            return None
        text = expanded.text
    try:
        return arith.evaluate(text, ArithScope(interp, st), interp.arith_programs)
    except (arith.ArithError, RecursionError, ValueError) as exc:
        interp.incomplete(interp.loc(st, node), f"arithmetic not understood: {exc}")
        return None


def arith_eval(interp, st: State, text: str) -> int | None:
    if "$" in text:
        expanded = expand_text(interp, st, text)
        if not expanded.known:
            return None
        text = expanded.text
    try:
        return arith.evaluate(text, ArithScope(interp, st), interp.arith_programs)
    except (arith.ArithError, RecursionError, ValueError):
        return None


_INTEGER = re.compile(r"-?\d+").fullmatch
_SIMPLE_ARITHMETIC = re.compile(r"[A-Za-z_0-9+\-*/%() ]+").fullmatch  # a variable's value evaluated as an expression


class ArithScope:
    def __init__(self, interp, st: State):
        self.interp, self.st = interp, st

    def get_number(self, name: str) -> int | None:
        if "[" in name:
            base, _, idx = name[:-1].partition("[")
            val = self.interp.element(self.st, base, idx)
        else:
            val = self.interp.special_or_var(self.st, name) if name.isdigit() else self.interp.read_var(self.st, name)
        if val is None:
            return 0
        if not val.known:
            return None
        text = val.text.strip()
        if not text:
            return 0
        if _INTEGER(text):
            return int(text)
        try:
            return arith.evaluate(text, self, self.interp.arith_programs) if _SIMPLE_ARITHMETIC(text) else None
        except arith.ArithError:
            return None

    def set_number(self, name: str, value: int) -> None:
        self.st.touched.add(name.split("[")[0])
        if "[" in name:
            base, _, idx = name[:-1].partition("[")
            var = self.st.get(base)
            items = dict(var.items) if var is not None and var.items is not None else {}
            items[int(idx)] = Val(str(value))
            self.st.set(base, Var(items, True, False, bool(var and var.exported)))
            return
        self.st.assign(name, Val(str(value)))
