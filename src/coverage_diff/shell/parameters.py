"""`${...}`: every operator bash offers that sweep scripts use (defaults, alternatives,
assignments, errors, prefix and suffix removal, substitution, case changes, substrings and
slices, `@` transformations, `!` indirection and keys, `#` lengths), on known values;
an unknown value gives an unknown result that keeps its provenance."""

from __future__ import annotations

from tree_sitter import Node

from . import patterns
from .state import Flow, State
from .syntax import expansion_shape
from .values import EMPTY, Val, concat, unknown
from .variables import NO_ELEMENT
from .wordplan import (BASH_SETS, Pieces, ansi_c, escaped_pieces, is_env_name, join_values, operand_parts, quote_for_reuse,
                       quoted_operand, split_unescaped)


MAX_PATTERN_TEXT = 4096  # longest value `${x//p/r}`, `${x#p}`... are computed on; longer ones become unknown


def parameter(interp, node: Node, st: State, quoted: bool):
    """`${...}`: every operator bash offers that sweep scripts use."""
    prefix, empty, name, index, op, operands = expansion_shape(node, interp.caches)
    if empty:
        if prefix == "#":
            return (Val(str(len(st.positional))), quoted)
        return (unknown(interp.text(node)), quoted)
    if name in ("@", "*") and index is None:  # `${@}` is `$@`, `${#@}` is `$#`
        index = name
    if name is None:
        interp.incomplete(interp.loc(st, node), f"expansion {interp.text(node)!r} not understood")
        return (unknown(interp.text(node)), quoted)
    whole = index in ("@", "*")
    # Prefix operators.
    if prefix == "!" and whole:
        var = st.get(name)
        if var is None or var.items is None:
            return ([] if var is None else [unknown(interp.text(node))], True) if quoted else (EMPTY, quoted)
        keys = [Val(str(k)) for k in (sorted(var.items) if not var.assoc else var.items)]
        return (keys, True) if quoted and index == "@" else (join_values(keys, " "), quoted)
    if prefix == "!":
        ref = interp.read_var(st, name)
        if ref is None or not ref.known:
            return (unknown(interp.text(node)), quoted)
        name = ref.text
        index = None
        if "[" in name and name.endswith("]"):
            name, _, index = name[:-1].partition("[")
    if prefix == "#":
        if whole:
            if name not in ("@", "*") and interp.unset(st, name):
                interp.unbound(st, name, discard=True)
            vals = interp.array_values(st, name) if name not in ("@", "*") else list(st.positional)
            return (Val(str(len(vals))) if vals is not None else unknown(interp.text(node)), quoted)
        val = get_value(interp, st, name, index)
        if val is None:
            interp.unbound(st, name)
        return (Val(str(len(val.text))) if val is not None and val.known else
                (Val("0") if val is None else unknown(interp.text(node))), quoted)
    # The value itself.
    if whole:
        vals = interp.array_values(st, name) if name not in ("@", "*") else list(st.positional)
        if vals is None:
            return (unknown(interp.text(node), frozenset({name})), quoted)
        is_set = bool(vals)
    else:
        val = get_value(interp, st, name, index)
        is_set = val is not None
        vals = [val] if val is not None else []
    if op:
        result = apply_operator(interp, st, node, name, index, op, operands, vals, is_set, whole, quoted)
        if result.__class__ is Pieces:
            return result
        if result is not None:
            vals, whole = result
    else:
        if not vals and not whole:
            interp.unbound(st, name)
            vals = [Val("", sources=interp.env_sources(st, name))]
    if whole and quoted and index == "@":
        return (vals, True)
    if whole:
        return (join_values(vals, interp.ifs(st)[:1] if index == "*" else " "), quoted)
    return (vals[0] if vals else EMPTY, quoted)


def get_value(interp, st: State, name: str, index: str | None) -> Val | None:
    """A scalar or one element; None when unset."""
    if index is not None:
        var = st.get(name)
        if var is None and name != "BASH_SOURCE" and not interp.open_world:
            interp.track(st, name, var)
            if name in BASH_SETS and name not in st.touched:
                return unknown(f"${{{name}[{index}]}}")  # `${PIPESTATUS[1]}`: bash sets it
            return None
        val = interp.element(st, name, index)
        if var is not None and var.items is not None and val is NO_ELEMENT:
            return None
        return val
    if name.isdigit() or name in ("#", "?", "$", "!", "-", "0", "@", "*"):
        if name.isdigit() and name != "0" and int(name) > len(st.positional):
            return None
        if name in ("@", "*"):
            return join_values(list(st.positional), " ")
        return interp.special_or_var(st, name)
    if name == "PWD" and "PWD" not in st.touched:
        return interp.pwd(st)
    val = interp.read_var(st, name)
    if val is not None and not val.sources and name not in st.touched and is_env_name(name):
        pass
    return val


def apply_operator(interp, st, node, name, index, op, operands, vals, is_set, whole, quoted=False):
    src = frozenset({name}) if name not in st.touched and is_env_name(name) else frozenset()
    value = vals[0] if vals and not whole else (join_values(vals, " ") if vals else None)
    colon = op.startswith(":") and op not in (":",)
    if op in (":-", "-", ":=", "=", ":+", "+", ":?", "?"):
        if value is not None and not value.known and value.nonempty is None and colon:
            word = operand(interp, st, node, operands)
            if op[1] == "+":
                return ([unknown(interp.text(node), value.sources | src)], False)
            nonempty = True if word.known and word.text else None
            return ([Val(None, value.entry, value.sources | src, interp.text(node), nonempty)], False)
        empty = not is_set or (colon and value is not None and value.known and value.text == "" and not (whole and len(vals) > 1))
        if value is not None and not value.known and value.nonempty is False and colon:
            empty = True
        if op[-1] in "-=":
            if not empty:
                return None
            if op[-1] == "-":
                return operand_pieces(interp, st, node, op, operands, quoted, src)
            word = operand(interp, st, node, operands)
            word = Val(word.text, word.entry, word.sources | src, word.origin, word.nonempty)
            st.assign(name, word)
            st.touched.add(name)
            return ([word], False)
        if op[-1] == "+":
            if empty:
                if whole and quoted and index == "@" and not vals:  # `"${a[@]+...}"`, no element: no word
                    return Pieces([([], True)])
                return ([Val("", sources=src)], False)
            return operand_pieces(interp, st, node, op, operands, quoted, src)
        if op[-1] == "?":
            if empty:
                interp.incomplete(interp.loc(st, node), f"{name} unset: the script would stop here")
                st.flow = Flow("exit")
                st.status = 1
                return ([EMPTY], False)
            return None
    if value is None and not whole:
        interp.unbound(st, name)
    targets = vals if whole else [value if value is not None else Val("", sources=src)]
    if op in ("#", "##", "%", "%%"):
        pat, _ = pattern_nodes(interp, st, node, operands)
        return ([map_known(interp, v, lambda s: patterns.strip(s, pat, suffix=op[0] == "%", longest=len(op) == 2, extglob="extglob" in st.globopts, caches=interp.caches), pat)
                 for v in targets], whole)
    if op in ("/", "//", "/#", "/%"):
        raw = operand_text(interp, node, operands)
        pat_text, rep_text = split_unescaped(raw, "/")
        pat = pattern_of_text(interp, st, pat_text)
        rep = word_of_text(interp, st, rep_text) if rep_text is not None else Val("")
        mode = {"/": "first", "//": "all", "/#": "prefix", "/%": "suffix"}[op]
        if not rep.known:
            return ([unknown(interp.text(node), v.sources) for v in targets], whole)
        if not pat_text and mode in ("prefix", "suffix"):  # an empty pattern matches at the start / end
            glue = (lambda s: rep.text + s) if mode == "prefix" else (lambda s: s + rep.text)
            return ([map_known(interp, v, glue, ()) for v in targets], whole)
        return ([map_known(interp, v, lambda s: patterns.substitute(s, pat, rep.text, mode=mode, extglob="extglob" in st.globopts, caches=interp.caches), pat) for v in targets], whole)
    if op in (",,", ",", "^^", "^"):
        fn = {",,": str.lower, "^^": str.upper, ",": lambda s: s[:1].lower() + s[1:], "^": lambda s: s[:1].upper() + s[1:]}[op]
        return ([map_known(interp, v, fn, ()) for v in targets], whole)
    if op == ":":
        return substring(interp, st, node, name, operands, targets, whole)
    if op == "@":
        if not is_set and not whole:  # an unset variable transforms to nothing
            return ([Val("", sources=src)], False)
        return transform(interp, st, node, name, "".join(interp.text(c) for c in operands), targets, whole)
    interp.incomplete(interp.loc(st, node), f"expansion operator {op!r} not modelled")
    return ([unknown(interp.text(node))], False)


def transform(interp, st: State, node: Node, name: str, letter: str, targets: list[Val], whole: bool):
    """`${x@Q}`, `@E`, `@U`, `@L`, `@u`, `@A` on known values (each element of an array)."""
    fn = TRANSFORMS.get(letter)
    if letter == "A" and not whole:
        fn = lambda s: f"{name}={quote_for_reuse(s)}"  # noqa: E731
    if fn is None:
        interp.incomplete(interp.loc(st, node), f"transformation {interp.text(node)!r} not modelled")
        return ([unknown(interp.text(node))], False)
    return ([map_known(interp, v, fn, ()) for v in targets], whole)


def map_known(interp, v: Val, fn, pat) -> Val:
    if not v.known or pat is None or (pat and len(v.text) > MAX_PATTERN_TEXT):  # glob matching is quadratic
        return Val(None, v.entry, v.sources, v.origin or "<transformed>")
    return Val(fn(v.text), v.entry, v.sources)


def substring(interp, st, node, name, operands, targets, whole):
    """`${x:off:len}` on a string; on `$@` / `$*` (where `$0` is number 0) and on arrays
    (`${a[@]:off:len}`: the elements whose index is at least `off`), a slice of elements."""
    text = "".join(interp.text(c) for c in operands)
    off_text, _, len_text = text.partition(":")
    offset = interp.arith_eval(st, off_text) if off_text.strip() else 0
    length = interp.arith_eval(st, len_text) if len_text.strip() else None
    if offset is None or (len_text.strip() and length is None):
        return ([unknown(interp.text(node))], False)
    if whole:
        seq = slice_of(interp, st, name, targets, offset)
        if seq is None or (length is not None and length < 0):  # bash: `substring expression < 0`
            if seq is not None:
                interp.incomplete(interp.loc(st, node), f"{interp.text(node)!r}: a negative length is an error in bash")
            return ([unknown(interp.text(node))], False)
        return (seq[:length] if length is not None else seq, True)
    v = targets[0]
    if not v.known:
        return ([unknown(interp.text(node), v.sources)], False)
    s = v.text
    start = offset if offset >= 0 else len(s) + offset
    if start < 0 or start > len(s):
        return ([Val("", v.entry, v.sources)], False)
    out = s[start:]
    if length is not None:
        if length < 0 and len(out) + length < 0:
            interp.incomplete(interp.loc(st, node), f"{interp.text(node)!r}: a length before the offset is an error in bash")
            return ([unknown(interp.text(node))], False)
        out = out[:length] if length >= 0 else out[: len(out) + length]
    return ([Val(out, v.entry, v.sources)], False)


def slice_of(interp, st: State, name: str, targets: list[Val], offset: int) -> list[Val] | None:
    """The elements from `offset` on, as bash numbers them (None: not known)."""
    if name in ("@", "*"):
        seq = [interp.dollar0(st), *targets]
        start = offset if offset >= 0 else len(seq) + offset
        return seq[start:] if start >= 0 else []
    var = st.get(name)
    if var is None:
        return []
    if var.items is None or var.assoc:  # an associative array's order is bash's hash order
        return None
    keys = sorted(var.items)
    start = offset if offset >= 0 else (keys[-1] + 1 if keys else 0) + offset
    return [var.items[k] for k in keys if k >= start] if start >= 0 else []


def operand(interp, st: State, node: Node, operands: list[Node]) -> Val:
    """The word after an operator (`${X:-word}`), expanded without splitting."""
    if not operands:
        return Val("")
    raw = node.text or b""
    start = operands[0].start_byte
    end = operands[-1].end_byte
    pieces = []
    pos = start
    for c in operands:
        if c.start_byte > pos:
            pieces.append(Val(raw[pos - node.start_byte : c.start_byte - node.start_byte].decode()))
        if c.is_named:
            for seg, _ in interp.segments(c, st, False):
                pieces.append(join_values(seg, " ") if isinstance(seg, list) else seg)
        else:
            pieces.append(Val(interp.text(c)))
        pos = c.end_byte
    del end
    return concat(pieces) if pieces else Val("")


def operand_pieces(interp, st: State, node: Node, op: str, operands: list[Node], quoted: bool,
                   src: frozenset[str]) -> "Pieces":
    """The word of `${x:-word}` / `${x:+word}` as the pieces it expands to, each keeping its
    own quoting: unquoted, its quoted parts do not split and the rest does (`${y:+--flag "$y"}`
    is two words); in double quotes everything is quoted, single quotes are plain text and an
    inner `${a[@]}` still makes one word per element (`"${a[@]+"${a[@]}"}"`)."""
    out = Pieces()
    if quoted:
        string = quoted_operand(node, interp.caches)
        if string is None:
            interp.incomplete(interp.loc(st, node), f"quotes inside the double-quoted {interp.text(node)!r} not modelled")
            return Pieces([(unknown(interp.text(node), src), True)])
        out.extend(interp.segments(string, st, False))
    for part in () if quoted else operand_parts(node, interp.caches):
        if isinstance(part, str):
            operand_text_piece(part, out)
        else:
            out.extend(interp.segments(part, st, False))
    if quoted and not out:
        out.append((Val(""), True))
    if src:
        out[:] = [(Val(v.text, v.entry, v.sources | src, v.origin, v.nonempty), q) if isinstance(v, Val) else (v, q)
                  for v, q in out]
    return out


def operand_text_piece(text: str, out: list) -> None:
    """Literal text of an unquoted operand: escaped characters are quoted, the rest splits
    like an expansion's value."""
    for v, q in escaped_pieces(text):
        out.append((v, True) if q else (Val(v.text), False))


def operand_text(interp, node: Node, operands: list[Node]) -> str:
    """The raw source between an expansion's operator and its closing brace."""
    if not operands:
        return ""
    raw = node.text or b""
    start = operands[0].start_byte - node.start_byte
    end = len(raw) - 1 if raw.endswith(b"}") else len(raw)
    return raw[start:end].decode("utf-8", "replace")


def pattern_of_text(interp, st: State, text: str):
    if not text:
        return ()
    node = interp.word_node(st, text)
    if node is None:
        return ((text, False),)
    pat, _ = interp.pattern(node, st)
    return pat


def word_of_text(interp, st: State, text: str) -> Val:
    if not text:
        return Val("")
    node = interp.word_node(st, text)
    return interp.expand_string(node, st) if node is not None else Val(text)


def pattern_nodes(interp, st: State, node: Node, operands: list[Node]):
    pieces: list[tuple[str, bool]] = []
    for c in operands:
        pat, _ = interp.pattern(c, st)
        if pat is None:
            return None, frozenset()
        pieces.extend(pat)
    return tuple(pieces), frozenset()

TRANSFORMS = {"Q": quote_for_reuse, "E": lambda s: ansi_c(s), "U": str.upper, "L": str.lower,
              "u": lambda s: s[:1].upper() + s[1:]}
