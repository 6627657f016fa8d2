"""Assignments and declarations: `x=v`, `a=(...)`, `a[i]=v`, `+=`, `declare`/`local`/`export`/
`readonly` (parsed or reached with expanded words), namerefs, `unset`."""

from __future__ import annotations

import re
from dataclasses import replace

from tree_sitter import Node

from ..model import ConfigEntry
from . import braces
from .definitions import array_refs, entry_text, is_literal
from .state import State, Var
from .syntax import assignment_shape, declaration_shape
from .values import EMPTY, Val, concat, unknown
from .wordplan import IDENTIFIER, keyed_element, pure_expansion


MAX_ARRAY_ITEMS = 100_000  # elements one array literal may hold before it is treated as unknown

MAX_APPENDED_ITEMS = 8_192  # elements an array may reach through `+=` (each append copies it: past this, quadratic)


def x_variable_assignment(interp, node, st):
    st.sub_status = None
    assign(interp, node, st)
    st.status = st.sub_status if st.sub_status is not None else 0
    return interp.errexit([st])


def x_variable_assignments(interp, node, st):
    st.sub_status = None
    for c in node.named_children:
        if c.type == "variable_assignment":
            assign(interp, c, st)
    st.status = st.sub_status if st.sub_status is not None else 0
    return interp.errexit([st])


def assign(interp, node: Node, st: State, *, local: bool = False, export: bool | None = None, assoc: bool = False,
           array: bool = False) -> None:
    name_node, name, index, value, append = assignment_shape(node, interp.caches)
    if name_node is None:
        return
    if name_node.type == "subscript":
        if local:
            st.declare_local(name)
        assign_element(interp, st, name, index, value, append)
        return
    if local:
        st.declare_local(name)
    st.touched.add(name)
    old = st.get(name)
    if value is not None and value.type == "array":
        items = array_items(interp, st, name, value, assoc or bool(old and old.assoc))
        if append and old is not None and old.items is not None and items is not None:
            merged = dict(old.items)
            nxt = max((k for k in merged if isinstance(k, int)), default=-1) + 1
            for k, v in items.items():
                if isinstance(k, int) and not (old.assoc or assoc):
                    merged[nxt + k] = v
                else:
                    merged[k] = v
            items = merged
            if len(items) > MAX_APPENDED_ITEMS:  # each `+=` copies the array: bounded, not quadratic
                interp.incomplete(interp.loc(st, node), f"array {name} grows past {MAX_APPENDED_ITEMS} items by `+=`: treated as unknown")
                items = None
        elif append and old is not None and old.items is None:
            items = None
        exported = old.exported if old else False
        set_var(interp, st, name, Var(items, True, assoc or bool(old and old.assoc), exported if export is None else export,
                                   origin=f"${{{name}[@]}}"))
        return
    val = interp.expand_string(value, st) if value is not None else EMPTY
    if name in st.config_scalars and not append and value is not None and is_literal(value):
        val = Val(val.text, ConfigEntry(entry_text(value), interp.loc(st, node), st.config_scalars[name]), val.sources)
    if append:
        cur = interp.read_var(st, name, track=False)
        val = concat([cur if cur is not None else EMPTY, val])
    if array and (old is None or not old.is_array):
        set_var(interp, st, name, Var({0: val}, True, assoc, bool(old and old.exported) if export is None else export))
        return
    st.assign(name, val, export=export)


def set_var(interp, st: State, name: str, var: Var) -> None:
    st.touched.add(name)
    st.touched.add(st.resolve(name))
    st.set(name, var)


def array_items(interp, st: State, name: str, node: Node, assoc: bool) -> dict | None:
    items: dict = {}
    index = 0
    tag = name in st.config_names
    for element in node.named_children:
        if element.type == "comment":
            continue
        keyed = keyed_element(element)
        if keyed is not None:
            key_text, value_nodes = keyed
            key = subscript_key(interp, st, key_text, assoc)
            if key is None:
                return None
            val = concat([interp.expand_string(v, st) for v in value_nodes]) if value_nodes else EMPTY
            items[key] = val
            if isinstance(key, int):
                index = key + 1
            continue
        entry = None
        if tag and not element_has_array_ref(element) and not pure_expansion(element):
            entry = ConfigEntry(entry_text(element), interp.loc(st, element), name)
        for v in interp.expand_words([element], st):
            if not v.known and v.origin.endswith("[@]}"):
                return None
            if entry is not None:
                v = Val(v.text, entry, v.sources, v.origin, v.nonempty)
            items[str(index) if assoc else index] = v
            index += 1
        if len(items) > MAX_ARRAY_ITEMS:  # an array doubled in a loop: unknown, not a memory blow-up
            interp.incomplete(interp.loc(st, node), f"array {name} grows past {MAX_ARRAY_ITEMS} items: treated as unknown")
            return None
    return items


def subscript_key(interp, st: State, text: str, assoc: bool):
    if assoc:  # expanded as a word without splitting: `M['a b']`, `M["$k"]`, `M[a b]`
        node = interp.word_node(st, text) if "'" in text or '"' in text else None
        val = interp.expand_string(node, st) if node is not None else interp.expand_text(st, text)
        return val.text
    return interp.arith_eval(st, text)


def assign_element(interp, st: State, name: str, index: Node | None, value: Node | None, append: bool) -> None:
    st.touched.add(name)
    old = st.get(name)
    assoc = bool(old and old.assoc)
    key = subscript_key(interp, st, interp.text(index) if index is not None else "0", assoc)
    val = interp.expand_string(value, st) if value is not None else EMPTY
    if old is not None and old.items is None:
        return
    items = dict(old.items) if old is not None and old.items is not None else {}
    if key is None:
        interp.incomplete(interp.loc(st, index or value), f"array index of {name} not known statically")
        set_var(interp, st, name, Var(None, True, assoc, bool(old and old.exported), origin=f"${{{name}[@]}}"))
        return
    if append:
        val = concat([items.get(key, EMPTY), val])
    items[key] = val
    set_var(interp, st, name, Var(items, True, assoc, bool(old and old.exported)))


def x_declaration_command(interp, node, st):
    keyword, flags, unflags, operands = declaration_shape(node, interp.caches)
    local = keyword == "local" or (keyword in ("declare", "typeset") and st.locals and "g" not in flags)
    export = True if keyword == "export" or "x" in flags else (False if "x" in unflags or (keyword == "export" and "n" in flags) else None)
    if keyword == "export" and "f" in flags:
        names = {interp.text(c) for c in node.named_children if not interp.text(c).startswith("-")}
        st.exported_funcs = st.exported_funcs | names
        st.status = 0
        return [st]
    st.sub_status = None
    for c, t, text in operands:
        if t == "variable_assignment" and braces.has_braces(text) and braces.expand(text) != [text]:
            # `export E={p,q}` is `export E=p E=q` to bash: not followed, the value is unknown
            interp.incomplete(interp.loc(st, c), f"brace expansion in {keyword} {text!r} not followed")
            assign(interp, c, st, local=local, export=export)  # where and how the name is kept
            name = text.split("=", 1)[0].split("[", 1)[0].rstrip("+")
            kept = st.get(name)
            set_var(interp, st, name, replace(kept, items={0: unknown(f"<{name}: brace expansion not followed>")},
                                           is_array=False) if kept else Var({0: unknown(f"<{name}>")}))
            continue
        if t == "variable_assignment" and "n" in flags and keyword != "export":
            declare_nameref(interp, c, st, local)
        elif t == "variable_assignment":
            assign(interp, c, st, local=local, export=export, assoc="A" in flags, array="a" in flags or "A" in flags)
        elif t == "variable_name" or (t == "word" and not text[:1] in "-+"):
            declare_name(interp, st, text, local, export, flags)
        elif t in ("word", "string", "concatenation", "simple_expansion", "expansion") and not text[:1] in "-+":
            declare_dynamic(interp, st, c, local, export, flags)
    st.status = st.sub_status if st.sub_status is not None and keyword not in ("local", "declare", "typeset", "export", "readonly") else 0
    return [st]


def declare_words(interp, st: State, keyword: str, args: list[Val], node: Node) -> list[State]:
    """A declaration builtin run on expanded words (reached through `command`, `builtin`,
    a prefix assignment or a variable): the same effect as the parsed form."""
    flags = unflags = ""
    operands = []
    for a in args:
        if not operands and a.known and len(a.text) > 1 and a.text[0] in "-+" and a.text != "--":
            if a.text[0] == "-":
                flags += a.text[1:]
            else:
                unflags += a.text[1:]
        elif not (not operands and a.known and a.text == "--"):
            operands.append(a)
    if keyword == "local" and not st.locals:
        return interp.done(st, 1)  # "can only be used in a function"
    local = keyword == "local" or (keyword in ("declare", "typeset") and bool(st.locals) and "g" not in flags)
    export = True if keyword == "export" or "x" in flags else (False if "x" in unflags or (keyword == "export" and "n" in flags) else None)
    if keyword == "export" and "f" in flags:
        st.exported_funcs = st.exported_funcs | {a.text for a in operands if a.known}
        return interp.done(st, 0)
    status = 0
    for a in operands:
        if not a.known:
            interp.incomplete(interp.loc(st, node), f"{keyword} {a.origin!r}, a name not known statically: not modelled")
            continue
        name, eq, value = a.text.partition("=")
        append = name.endswith("+")
        name = name[:-1] if append else name
        if not IDENTIFIER.fullmatch(name) or (append and not eq):
            status = 1  # "not a valid identifier"
            continue
        if not eq:
            declare_name(interp, st, name, local, export, flags)
            continue
        if local:
            st.declare_local(name)
        st.touched.add(name)
        val = Val(value, a.entry, a.sources)
        if append:
            cur = interp.read_var(st, name, track=False)
            val = concat([cur if cur is not None else EMPTY, val])
        st.assign(name, val, export=export)
    return interp.done(st, status)


def declare_nameref(interp, node: Node, st: State, local: bool) -> None:
    """`local -n ref=arr`: `ref` stands for `arr` from now on (array helper functions)."""
    name = interp.text(node.child_by_field_name("name"))
    target = interp.expand_string(node.child_by_field_name("value"), st)
    if local:
        st.declare_local(name)
    st.touched.add(name)
    if not target.known or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?", target.text or ""):
        interp.incomplete(interp.loc(st, node), f"nameref {name} to {target.shown()!r}, not a name known statically")
        st.bind(name, Var(None, origin=f"${name}"))
        return
    st.bind(name, Var({0: Val(target.text)}, nameref=target.text.split("[")[0]))


def declare_name(interp, st: State, name: str, local: bool, export: bool | None, flags: str) -> None:
    if local:
        fresh = bool(st.locals) and name not in st.locals[-1]
        st.declare_local(name)
        if fresh:  # `local x` makes x unset inside the function, `local -a x` an empty array
            st.bind(name, None)
    old = st.get(name)
    st.touched.add(name)
    if "A" in flags or "a" in flags:
        if old is None or not old.is_array:
            items = {} if old is None or old.items is None else ({"0": old.scalar} if "A" in flags and old.scalar else dict(old.items))
            st.set(name, Var(items, True, "A" in flags, bool(old and old.exported) if export is None else export))
            return
    if old is not None and export is not None:
        st.set(name, Var(old.items, old.is_array, old.assoc, export, old.from_env, old.origin))
    elif old is None and export:
        st.set(name, Var({}, exported=True))  # marked for export, unset until assigned


def declare_dynamic(interp, st: State, node: Node, local: bool, export: bool | None, flags: str) -> None:
    text = interp.expand_string(node, st)
    if not text.known:
        interp.incomplete(interp.loc(st, node), "declaration of a name not known statically")
        return
    name, eq, value = text.text.partition("=")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return
    if local:
        st.declare_local(name)
    st.touched.add(name)
    if eq:
        st.assign(name, Val(value, text.entry, text.sources), export=export)
    else:
        declare_name(interp, st, name, False, export, flags)


def x_unset_command(interp, node, st):
    words: list[str] = []
    end = -1
    for c in node.named_children:  # tree-sitter reads `unset a[1]` as `a` then `[1]`: glue touching pieces
        text = interp.text(c)
        if "$" in text or "`" in text:  # `unset "$name"`: the name is the value
            for v in interp.expand_words([c], st):
                if v.known:
                    words.append(v.text)
                else:
                    interp.incomplete(interp.loc(st, c), f"unset {v.origin!r}, a name not known statically: not modelled")
        elif c.start_byte == end and words:
            words[-1] += text
        else:
            words.append(text.strip("'\""))
        end = c.end_byte
    return unset_names(interp, st, words)


def unset_names(interp, st: State, words: list[str]) -> list[State]:
    functions = "-f" in words
    for word in words:
        if word.startswith("-"):
            continue
        if functions:
            st.funcs.pop(word, None)
            continue
        st.touched.add(word.split("[")[0])
        if "[" in word and word.endswith("]"):
            name, _, idx = word[:-1].partition("[")
            old = st.get(name)
            if old is not None and old.items is not None:
                key = subscript_key(interp, st, idx, old.assoc)
                items = dict(old.items)
                items.pop(key, None)
                st.set(name, old.with_items(items))
        else:
            (st.bind if "-n" in words else st.set)(word, None)  # `unset -n ref` drops the nameref itself
    st.status = 0
    return [st]


def element_has_array_ref(node: Node) -> bool:
    return bool(array_refs(node))
