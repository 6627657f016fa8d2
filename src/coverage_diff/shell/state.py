"""The interpreter's state along one path: variables, functions, cwd, flow.

A `State` is copied when a condition on an unknown value forks the path.
Variables are immutable `Var`s replaced on write, so a copy is a few dict copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from operator import attrgetter

from ..model import Assumption, ConfigEntry, Frame, direct_init
from .parse import Source
from .values import Val


@direct_init  # (made on every assignment)
@dataclass(frozen=True)
class Var:
    items: dict | None  # index (int) or key (str) -> Val; None: contents unknown
    is_array: bool = False
    assoc: bool = False
    exported: bool = False
    from_env: bool = False  # still the value inherited from the environment
    origin: str = ""  # for unknown contents
    nameref: str = ""  # `declare -n` / `local -n`: every use of this name is a use of that one
    widened: bool = False  # unknown because it differs where a command succeeds and where it fails

    def __eq__(self, other):
        # Paths share most of their variables: the same object is the commonest answer (the
        # generated __eq__ builds both field tuples first).
        if self is other:
            return True
        if other.__class__ is not Var:
            return NotImplemented
        return _VAR_PARTS(self) == _VAR_PARTS(other)

    @property
    def scalar(self) -> Val | None:
        if self.items is None:
            return None
        return self.items.get("0" if self.assoc else 0)

    def with_items(self, items: dict | None) -> "Var":
        return replace(self, items=items, from_env=False, widened=False)


def scalar_var(val: Val, **kw) -> Var:
    return Var({0: val}, **kw)


_VAR_PARTS = attrgetter(*(f.name for f in fields(Var)))  # every field, in one C call (`Var.__eq__`)


@dataclass
class Function:
    name: str
    body: object  # tree-sitter node
    source: Source


@dataclass
class Flow:
    kind: str  # "exit" | "return" | "break" | "continue" | "discard" (the rest of a top-level command)
    count: int = 1


@dataclass
class State:
    vars: dict[str, Var]
    cwd: str  # repository path ("" = root); "/abs" outside the repository; "?" unknown
    source: Source
    script: str | None  # $0 as written by the caller; None: not known statically
    positional: tuple[Val, ...] = ()
    funcs: dict[str, Function] = field(default_factory=dict)
    assumptions: tuple[Assumption, ...] = ()
    frames: tuple[Frame, ...] = ()
    chain_env: tuple[str, ...] = ()  # names set by prefixes / `env` along the call chain
    chain_entries: tuple[ConfigEntry, ...] = ()  # entries that flowed into calls on the chain
    read_exported: frozenset[str] = frozenset()
    status: int | None = 0
    status_assumed: bool = False  # `status` is an external command's, assumed 0: it may fail in truth
    flow: Flow | None = None
    errexit: bool = False
    nounset: bool = False  # `set -u`: expanding an unset variable ends the script
    pipefail: bool = False  # `set -o pipefail`: a pipeline fails when any part fails
    globopts: frozenset[str] = frozenset()  # `shopt -s nullglob/failglob/dotglob/globstar`, `set -f` (noglob)
    no_errexit: int = 0  # > 0 inside conditions, where `set -e` is ignored
    locals: list[dict[str, Var | None]] = field(default_factory=list)  # saved outer bindings
    capture: list[Val] | None = None  # stdout being captured ($(...), pipelines)
    stdin: list[Val] | None = None  # lines available to `read`; None: unknown input
    sources: tuple[str, ...] = ()  # BASH_SOURCE stack (innermost first)
    config_names: frozenset[str] = frozenset()
    config_scalars: dict[str, str] = field(default_factory=dict)  # scalar -> config array it is collected into
    made_dirs: frozenset[str] = frozenset()
    depth: int = 0
    loop_depth: int = 0
    sub_status: int | None = None  # status of the last command substitution
    touched: set[str] = field(default_factory=set)  # names the scripts assigned or unset
    dirstack: tuple[str, ...] = ()
    hashed: tuple[tuple[str, str], ...] = ()  # `hash -p PATH NAME`: NAME runs PATH
    aliases: tuple[tuple[str, str], ...] = ()  # `alias NAME=VALUE` (used with `shopt -s expand_aliases`)
    exported_funcs: frozenset[str] = frozenset()  # `export -f`: child bash processes define them too
    containers: dict = field(default_factory=dict)  # `docker run --name` -> containers.Container (replaced, never mutated)
    watch: object = None  # while a script call is recorded for other jobs: its `callmemo.Watch`

    def fork(self) -> "State":
        new = object.__new__(type(self))  # what copy.copy does, without its generic protocol (a fork is frequent)
        d = new.__dict__
        d.update(self.__dict__)
        d["vars"] = dict(self.vars)
        d["funcs"] = dict(self.funcs)
        d["locals"] = [dict(scope) for scope in self.locals]
        d["capture"] = list(self.capture) if self.capture is not None else None
        d["stdin"] = list(self.stdin) if self.stdin is not None else None
        d["flow"] = Flow(self.flow.kind, self.flow.count) if self.flow is not None else None
        d["touched"] = set(self.touched)
        return new

    def resolve(self, name: str) -> str:
        """The variable a name stands for, through namerefs (bash stops a cycle too)."""
        for _ in range(8):
            var = self.vars.get(name)
            if var is None:
                if self.watch is not None:
                    self.watch.absent.add(name)
                return name
            if not var.nameref:
                return name
            name = var.nameref
        return name

    def get(self, name: str) -> Var | None:
        return self.vars.get(self.resolve(name))

    def set(self, name: str, var: Var | None) -> None:
        self.bind(self.resolve(name), var)

    def bind(self, name: str, var: Var | None) -> None:
        """Set or unset this very name, not what a nameref of that name refers to."""
        if self.watch is not None:
            self.watch.wrote.add(name)
        if var is None:
            self.vars.pop(name, None)
        else:
            self.vars[name] = var

    def assign(self, name: str, val: Val, *, export: bool | None = None) -> None:
        name = self.resolve(name)
        old = self.vars.get(name)
        if self.watch is not None:
            self.watch.wrote.add(name)
        exported = old.exported if old else False
        if export is not None:
            exported = export
        if old is not None and old.is_array and old.items is not None:
            items = dict(old.items)
            items["0" if old.assoc else 0] = val
            self.vars[name] = Var(items, True, old.assoc, exported)
        else:
            self.vars[name] = Var({0: val}, exported=exported)

    def declare_local(self, name: str) -> None:
        if self.locals and name not in self.locals[-1]:
            if self.watch is not None:
                self.watch.wrote.add(name)
            self.locals[-1][name] = self.vars.get(name)
