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
    on both); otherwise both paths stay."""
    out: list[State] = []
    for s in states:
        for o in out:
            if s.flow or o.flow or o.vars != s.vars or not alike_but_variables(o, s):
                continue
            merged = _joined_assumptions(o.assumptions, s.assumptions)
            if merged is None:
                continue
            o.assumptions = merged
            o.touched |= s.touched
            break
        else:
            out.append(s)
    return out


def alike_but_variables(a: State, b: State) -> bool:
    """Every part of two paths' states equal but their variables, assumptions and which names
    the scripts assigned: stdin, captured output, saved locals, options, frames... all of it."""
    return all(getattr(a, name) == getattr(b, name) for name in _STATE_PARTS)


_STATE_PARTS = tuple(f.name for f in dataclass_fields(State) if f.name not in ("vars", "assumptions", "status_assumed", "touched"))


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
