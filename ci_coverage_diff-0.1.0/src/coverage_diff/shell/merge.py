"""Paths that go on alike are one: joining states after an `if`, a `case`, a loop or a
fallback, and what a child process hands back (one path per exit status)."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from ..model import Frame
from .state import State, Var


def loop_fingerprint(st: State) -> int:
    return hash((repr(sorted(st.vars.items())), st.positional, st.cwd, st.stdin and repr(st.stdin)))


def havoc(states: list[State], before: dict[str, Var]) -> None:
    """After a loop that ran an unknown number of times: whatever any pass wrote is unknown."""
    written = {name for s in states for name, var in s.vars.items() if before.get(name) is not var}
    written |= {name for name in before if any(name not in s.vars for s in states)}
    for s in states:
        for name in written:
            old = s.vars.get(name) or before.get(name)
            is_array = bool(old and old.is_array)
            s.vars[name] = Var(None, is_array, bool(old and old.assoc), bool(old and old.exported),
                               origin=f"${name} (set in a loop run an unknown number of times)")
            s.touched.add(name)


def kept_guards(saved: tuple[Frame, ...], current: tuple[Frame, ...]) -> tuple[Frame, ...]:
    """`saved` (the path before an `if`, a `case`, a function or a sourced file) plus the guards
    passed inside it: a branch taken there still decides what runs after it."""
    if current[: len(saved)] != saved:
        return saved
    out = saved
    for frame in current[len(saved):]:
        if frame.kind == "guard" and (not out or out[-1] != frame):
            out += (frame,)
    return out


def same_effect(a: State, b: State) -> bool:
    """Two live paths that go on identically (assumptions and the last status aside: a status
    read as `$?` right after is the only difference, and `set -e` acted on it already)."""
    return (a.cwd == b.cwd and a.vars == b.vars and a.funcs.keys() == b.funcs.keys()
            and a.positional == b.positional and a.made_dirs == b.made_dirs and a.globopts == b.globopts
            and a.errexit == b.errexit and a.dirstack == b.dirstack)


def widen(st: State, other: State, when: str) -> None:
    """Make unknown in `st` every variable whose value differs in `other` (a path that ran
    nothing and differs from `st` only there), when nothing else sets them apart."""
    if not alike_but_variables(st, other):
        return
    for name in set(st.vars) | set(other.vars):
        mine, theirs = st.vars.get(name), other.vars.get(name)
        if mine == theirs:
            continue
        old = mine or theirs
        st.vars[name] = Var(None, old.is_array, old.assoc, bool((mine and mine.exported) or (theirs and theirs.exported)),
                            origin=f"${name} (set where {when})", widened=True)
        st.touched.add(name)


def join(states: list[State]) -> list[State]:
    """Paths that go on alike (every part of their states equal) are one.  Its assumptions:
    those of the path with fewer, when the other's include them all; the common ones, when the
    two differ only in the two outcomes of one condition (either holds, so what follows happens
    on both); otherwise both paths stay.

    Past JOIN_WHOLE paths (a `case` of many arms on a value not known statically), a path is
    tried against the last JOIN_WINDOW kept ones only, and assumptions are told apart by
    identity: each path's are shared with the one it forked from, and comparing every pair
    by value took minutes.  (Fewer paths merged is never wrong, only slower.)"""
    out: list[State] = []
    large = len(states) > JOIN_WHOLE
    ids: dict[int, tuple] = {}
    for s in states:
        for o in (out[-JOIN_WINDOW:] if large else out):
            if s.flow or o.flow or o.vars != s.vars or not alike_but_variables(o, s):
                continue
            merged = _joined_by_identity(o.assumptions, s.assumptions, ids) if large else _joined_assumptions(o.assumptions, s.assumptions)
            if merged is None:
                continue
            o.assumptions = merged
            o.touched |= s.touched
            break
        else:
            out.append(s)
    return out


def joined_case(out: list[State], before: tuple, frames: tuple) -> State | None:
    """Every path out of a `case` as one, when they all go on alike: none left the statement
    (exit, return, break...) and their states are equal but for the arm each took.  They
    are then every way through it, so what follows happens whichever arm ran, under the
    assumptions made before the `case` (`before`) and on the path before it (`frames`).
    A subject not known statically in a loop would otherwise multiply the paths by the
    arms at every pass.  None when they do not all go on alike."""
    first = out[0]
    for s in out:
        if s.flow or s.vars != first.vars or s.assumptions[:len(before)] != before:
            return None
    if not all(getattr(s, name) == getattr(first, name) for name in _CASE_PARTS for s in out[1:]):
        return None
    first.assumptions, first.frames, first.sub_status = before, frames, None
    first.touched = set().union(*(s.touched for s in out))
    first.status_assumed = any(s.status_assumed for s in out)
    return first


def alike_but_variables(a: State, b: State) -> bool:
    """Every part of two paths' states equal but their variables, assumptions and which names
    the scripts assigned: stdin, captured output, saved locals, options, frames... all of it."""
    return all(getattr(a, name) == getattr(b, name) for name in _STATE_PARTS)


_STATE_PARTS = tuple(f.name for f in dataclass_fields(State) if f.name not in ("vars", "assumptions", "status_assumed", "touched"))
# (the guards of the arms taken differ; the status of the last `$(...)` is read only inside the
# command that made it, and the subject's is left on the path no arm took)
_CASE_PARTS = tuple(name for name in _STATE_PARTS if name not in ("frames", "sub_status"))


JOIN_WHOLE, JOIN_WINDOW = 64, 8


def _identities(a: tuple, ids: dict[int, tuple]) -> frozenset[int]:
    """The ids of `a`'s assumptions, kept in `ids` with `a` itself (so no id is reused meanwhile)."""
    kept = ids.get(id(a))
    if kept is None:
        kept = ids[id(a)] = (a, frozenset(map(id, a)))
    return kept[1]


def _joined_by_identity(a: tuple, b: tuple, ids: dict[int, tuple]) -> tuple | None:
    """`_joined_assumptions` with assumptions equal only when they are the same object."""
    sa, sb = _identities(a, ids), _identities(b, ids)
    if sa <= sb:
        return a
    if sb <= sa:
        return b
    only_a, only_b = sa - sb, sb - sa
    if len(only_a) == len(only_b) == 1:
        (x,), (y,) = [v for v in a if id(v) in only_a], [v for v in b if id(v) in only_b]
        ca, cb = x.condition, y.condition
        if (ca.location, ca.text) == (cb.location, cb.text) and ca.outcome != cb.outcome:
            return tuple(v for v in a if id(v) in sb)
    return None


def _joined_assumptions(a: tuple, b: tuple) -> tuple | None:
    if a == b:
        return a
    sa, sb = set(a), set(b)
    if sa <= sb:
        return a
    if sb <= sa:
        return b
    only_a, only_b = [x for x in a if x not in sb], [x for x in b if x not in sa]
    if len(only_a) == len(only_b) == 1:
        ca, cb = only_a[0].condition, only_b[0].condition
        if (ca.location, ca.text) == (cb.location, cb.text) and ca.outcome != cb.outcome:
            return tuple(x for x in a if x in sb)
    return None


def distinct(states: list[State]) -> list[State]:
    """`states` without a live path that goes on as an earlier one does (the earlier one, with
    its assumptions, stands for both: what follows is predicted as possible or certain by it)."""
    out: list[State] = []
    for s in states:
        if s.flow or not any(not o.flow and o.vars == s.vars and alike_but_variables(o, s) for o in out):
            out.append(s)
    return out


def merge_by_status(finals: list[State], parent: State) -> list[State]:
    """A child process's paths, one per exit status: only the status reaches the
    parent, and the runs inside were recorded already.  Paths sharing a status
    fall back to the parent's assumptions."""
    groups: dict[int | None, list[State]] = {}
    for f in finals:
        groups.setdefault(f.status, []).append(f)
    merged = []
    for group in groups.values():
        first = group[0]
        if len(group) > 1:
            first.assumptions = parent.assumptions
        merged.append(first)
    return merged
