"""Reading variables: scalars, array elements and values, special parameters (`$1`, `$#`,
`$?`, `$0`, `$PWD`), what bash sets itself, `set -u`, and which environment names a path
read (`track`: a run's env lists the exported variables its path read)."""

from __future__ import annotations

from . import callmemo
from .state import Flow, State, Var
from .values import EMPTY, Val, unknown
from .wordplan import BASH_SETS, bash_set, is_env_name


# What `element` gives for an index the array does not hold: empty, but not the same object
# as an element set to "" (`a[1]=""` stores EMPTY), so `${a[1]-d}` can tell them apart.
NO_ELEMENT = Val("")


def special_or_var(interp, st: State, name: str) -> Val:
    if name.isdigit():
        i = int(name)
        if i == 0:
            return dollar0(interp, st)
        if i > len(st.positional):
            unbound(interp, st, name)
            return EMPTY
        return st.positional[i - 1]
    if name == "#":
        return Val(str(len(st.positional)))
    if name == "?":
        return Val(str(st.status)) if st.status is not None else unknown("$?")
    if name in ("$", "!", "BASHPID", "RANDOM", "SECONDS", "LINENO", "EPOCHSECONDS", "PPID", "UID", "EUID"):
        return unknown(f"${name}")
    if name == "-":
        return Val("e" if st.errexit else "")
    if name == "PWD" and "PWD" not in st.touched:
        return pwd(interp, st)
    val = read_var(interp, st, name)
    if val is None:
        unbound(interp, st, name)
    return val or Val("", sources=env_sources(interp, st, name))


def dollar0(interp, st: State) -> Val:
    return Val(st.script) if st.script is not None else unknown("$0")


def unset(interp, st: State, name: str) -> bool:
    """Certainly unset here (in the open world an untouched environment name may be set)."""
    return st.get(name) is None and not (interp.open_world and name not in st.touched and is_env_name(name)) \
        and not (name in BASH_SETS and name not in st.touched)


def unbound(interp, st: State, name: str, discard: bool = False) -> None:
    """An unset variable was expanded: under `set -u` bash prints an error and the script ends
    (`discard`: only the top-level command being run ends, as for `${#unset[@]}`)."""
    if st.nounset and not st.flow:
        st.flow = Flow("discard" if discard else "exit")
        st.status = 1


def env_sources(interp, st: State, name: str) -> frozenset[str]:
    return frozenset({name}) if name not in st.touched and is_env_name(name) else frozenset()


def lookup(interp, st: State, name: str) -> tuple[Var | None, bool]:
    var = st.get(name)
    if var is None and name in BASH_SETS and name not in st.touched:
        var = bash_set(name)
    return var, var is not None and (var.items is None or bool(var.items))


def read_var(interp, st: State, name: str, track: bool = True) -> Val | None:
    """The scalar value of a variable (None: unset), tracking environment reads."""
    var = st.get(name)
    if track:
        interp.track(st, name, var)
    if var is None:
        if name in BASH_SETS and name not in st.touched:
            return unknown(f"${name}")  # bash sets it itself, to what this machine says
        if interp.open_world and name not in st.touched and is_env_name(name) and name not in ("IFS",):
            return unknown(f"${name}", frozenset({name}))
        return None
    if var.items is None:
        return unknown(var.origin or f"${name}", frozenset({name}) if var.from_env else frozenset())
    val = var.scalar
    if val is None:
        return None
    return val


def track(interp, st: State, name: str, var: Var | None) -> None:
    if var is not None and st.watch is not None and var.__dict__.get("_watch") is st.watch:
        # a variable a recorded call started with: whether it came from the environment is
        # the caller's, and counted as each caller replays the call (`callmemo.replay`)
        st.watch.tracked.add((name, var.__dict__["_name"]))
    elif (var is None and name not in st.touched) or (var is not None and var.from_env):
        if is_env_name(name):
            interp.rec.reads.add(name)
    if var is not None and var.exported and name not in st.read_exported:
        st.read_exported = st.read_exported | {name} if st.watch is None else callmemo.read_exported(st, name)


def pwd(interp, st: State) -> Val:
    if st.cwd == "?":
        return unknown("$PWD")
    if st.cwd.startswith("/"):
        return Val(st.cwd)
    root = interp.settings.roots[0]
    return Val(root.rstrip("/") + ("/" + st.cwd if st.cwd else ""))


def array_values(interp, st: State, name: str) -> list[Val] | None:
    var = st.get(name)
    track(interp, st, name, var)
    if var is None:
        if name == "BASH_SOURCE":
            return [Val(s) for s in st.sources] or [dollar0(interp, st)]
        return []  # arrays are never inherited from the environment
    if var.items is None:
        return None
    keys = sorted(var.items) if not var.assoc else list(var.items)
    return [var.items[k] for k in keys]


def element(interp, st: State, name: str, index_text: str) -> Val:
    var = st.get(name)
    track(interp, st, name, var)
    if var is None and name == "BASH_SOURCE":
        i = interp.arith_eval(st, index_text) or 0
        seq = list(st.sources) or [st.script]
        return Val(seq[i]) if 0 <= i < len(seq) else NO_ELEMENT
    if var is None:
        if interp.open_world and name not in st.touched and is_env_name(name):
            return unknown(f"${{{name}[{index_text}]}}", frozenset({name}))
        return Val("", sources=env_sources(interp, st, name))
    key = interp.subscript_key(st, index_text, var.assoc)
    if key is None or var.items is None:
        return unknown(f"${{{name}[{index_text}]}}")
    if not var.assoc and isinstance(key, int) and key < 0:
        ints = sorted(k for k in var.items if isinstance(k, int))
        key = ints[key] if -key <= len(ints) else None
    return var.items.get(key, NO_ELEMENT) if key is not None else NO_ELEMENT
