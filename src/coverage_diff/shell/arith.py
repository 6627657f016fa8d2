"""Bash arithmetic (`$(( ))`, `(( ))`, C-style `for`, array indices) on 64-bit ints.

`evaluate(text, scope)` parses the expression text itself rather than relying on
tree-sitter's arithmetic nodes, which vary across grammar versions.  `scope`
reads and writes variables; an unknown operand makes the result None.

A text is read once (`compile_text`) into a `Program`, a tree of closures the interpreter
keeps per text (`programs`) and runs as often as the text is evaluated (a loop's condition
and counter, a sweep's index arithmetic).  Bash evaluates while it parses (expr.c), and
what it did before a syntax error stays done (`x=5 )` sets x, then fails): a syntax error
is compiled as a failure at the place it was found, which the program reaches after all
that comes before it, in bash's order.  Operands bash short-circuits run in `skip` mode:
variables are read, nothing is assigned, a division by zero is 0.
"""

from __future__ import annotations

import re
from typing import Callable, Protocol


class Scope(Protocol):
    def get_number(self, name: str) -> int | None: ...
    def set_number(self, name: str, value: int) -> None: ...


class ArithError(Exception):
    pass


Program = Callable[[Scope, bool], "int | None"]  # (scope, skip) -> value, None when unknown


class _Stray(Exception):
    """`a[i]++` where the index is unknown: the element is unknown and the `++` is left over,
    so bash's parse stops at it.  The constructs around complete with the value they have
    (`value`, None or what a short-circuit decided) and the next `)`, `]`, `:` or the end
    reports the left-over token."""

    def __init__(self, token: str, value: int | None):
        self.token, self.value = token, value


_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|\d+#[0-9a-zA-Z@_]+|\d+)|([A-Za-z_][A-Za-z_0-9]*)|"
    r"(\*\*=|<<=|>>=|\*\*|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|[-+*/%<>=!~&|^?:(),\[\]]))"
)

_BINARY = {  # precedence, lowest first
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
    "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10, "**": 11,
}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^=", "**="}
MASK = (1 << 64) - 1


def _wrap(v: int) -> int:
    v &= MASK
    return v - (1 << 64) if v >> 63 else v


def _quotient(a: int, b: int) -> int:
    return abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # C truncates toward zero


_OPS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": _quotient, "%": lambda a, b: a - b * _quotient(a, b),
    "**": lambda a, b: pow(a, b, 1 << 64) if b >= 0 else 0,  # bash wraps at 64 bits: same result, bounded work
    "<<": lambda a, b: a << (b & 63), ">>": lambda a, b: a >> (b & 63),
    "<": lambda a, b: int(a < b), ">": lambda a, b: int(a > b), "<=": lambda a, b: int(a <= b),
    ">=": lambda a, b: int(a >= b), "==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b),
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "&&": lambda a, b: int(bool(a) and bool(b)), "||": lambda a, b: int(bool(a) or bool(b)),
}
_UNARY: dict[str, Callable[[int], int]] = {"-": lambda v: -v, "+": lambda v: v, "!": lambda v: int(not v), "~": lambda v: ~v}


def binary(op: str, a: int, b: int, skip: bool) -> int:
    if b == 0 and op in ("/", "%"):
        if skip:
            return 0
        raise ArithError("division by 0")
    return _wrap(_OPS[op](a, b))


def tokenize(text: str) -> list[str]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ArithError(f"bad arithmetic near {text[pos:pos + 10]!r}")
        tokens.append(m.group(0).strip())
        pos = m.end()
    return [t for t in tokens if t]


def evaluate(text: str, scope: Scope, programs: dict[str, Program] | None = None) -> int | None:
    """The value of an arithmetic expression, None when an operand is unknown.
    Raises ArithError on a syntax error or division by zero (bash fails too).
    `programs`: the texts compiled so far, kept by the caller."""
    program = programs.get(text) if programs is not None else None
    if program is None:
        program = compile_text(text)
        if programs is not None:
            if len(programs) >= MAX_PROGRAMS:
                programs.clear()
            programs[text] = program
    value = program(scope, False)
    return None if value is None else _wrap(value)


MAX_PROGRAMS = 4096  # texts one interpreter keeps compiled (an unrolled counter makes a new text per pass)


def compile_text(text: str) -> Program:
    """The expression read once; running it is evaluating it (see the module's doc)."""
    try:
        tokens = tokenize(text)
    except ArithError as exc:  # before anything is evaluated
        return _failure(str(exc))
    if not tokens:
        return _constant(0)
    reader = _Reader(tokens)
    program = reader.comma()
    if reader.error is None and reader.i != len(tokens):
        program = _then_fail(program, f"unexpected {tokens[reader.i] if reader.i < len(tokens) else ''!r}")
    return _expecting(program, None)


class _Reader:
    """Recursive descent over the tokens, building the program.  After a syntax error
    (`error`) it reads nothing more: what it builds then comes after the failure and never runs."""

    def __init__(self, tokens: list[str]):
        self.t, self.i = tokens, 0
        self.error: str | None = None

    def peek(self) -> str:
        return self.t[self.i] if self.error is None and self.i < len(self.t) else ""

    def take(self) -> str:
        tok = self.peek()
        if self.error is None:
            self.i += 1
        return tok

    def expect(self, program: Program, token: str) -> Program:
        """`program` followed by `token` (`)`, `]`, `:`): a failure after it when the token is not there."""
        program = _expecting(program, token)  # a left-over `++` fails here whatever follows
        if self.error is not None:
            return program
        tok = self.peek()
        if tok != token:
            self.error = f"expected {token!r}, got {tok!r}"
            return _then_fail(program, self.error)
        self.i += 1
        return program

    def comma(self) -> Program:
        program = self.assign()
        while self.peek() == ",":
            self.take()
            program = _sequence(program, self.assign())
        return program

    def assign(self) -> Program:
        tok = self.peek()
        if _is_name(tok) and self.i + 1 < len(self.t) and self.t[self.i + 1] in _ASSIGN:
            op = self.t[self.i + 1]
            self.i += 2
            return _assignment(tok, op, self.assign())
        return self.ternary()

    def ternary(self) -> Program:
        cond = self.binop(1)
        if self.peek() != "?":
            return cond
        self.take()
        then = self.expect(self.assign(), ":")
        return _choice(cond, then, self.assign())

    def binop(self, level: int) -> Program:
        """Operators of precedence `level` and above (precedence climbing: `**` to the right)."""
        left = self.unary()
        while (found := _BINARY.get(self.peek())) is not None and found >= level:
            op = self.take()
            right = self.binop(found if op == "**" else found + 1)
            left = _short_circuit(op, left, right) if op in ("&&", "||") else _operation(op, left, right)
        return left

    def unary(self) -> Program:
        tok = self.peek()
        if tok in _UNARY:
            self.take()
            return _unary(tok, self.unary())
        if tok in ("++", "--"):
            self.take()
            return _step(self.take(), 1 if tok == "++" else -1, True)
        return self.postfix()

    def postfix(self) -> Program:
        if self.error is not None:
            return _constant(0)  # after the failure: never run
        tok = self.take()
        if tok == "(":
            return self.expect(self.comma(), ")")
        if _is_name(tok):
            if self.peek() == "[":  # array element: scope sees `name[index]`
                self.take()
                index = self.expect(self.comma(), "]")
                if self.peek() in ("++", "--"):
                    op = self.take()
                    return _element_step(tok, index, op)
                return _element(tok, index)
            if self.peek() in ("++", "--"):
                return _step(tok, 1 if self.take() == "++" else -1, False)
            return _read(tok)
        if tok and tok[0].isdigit():
            try:
                return _constant(_number(tok))
            except ValueError:  # raised when evaluation gets there, as bash fails there
                return lambda scope, skip: _number(tok)
        self.error = f"unexpected {tok!r}"
        return _failure(self.error)


# ---------------------------------------------------------------- the pieces of a program
# Each is `run(scope, skip)`.  A `_Stray` passing through completes the construct with its value.

def _constant(value: int) -> Program:
    return lambda scope, skip: value


def _failure(message: str) -> Program:
    def run(scope, skip):
        raise ArithError(message)
    return run


def _then_fail(program: Program, message: str) -> Program:
    def run(scope, skip):
        program(scope, skip)
        raise ArithError(message)
    return run


def _expecting(program: Program, token: str | None) -> Program:
    """Where bash's parse expects `token` (None: the end): a left-over `++` fails here."""
    def run(scope, skip):
        try:
            return program(scope, skip)
        except _Stray as stray:
            raise ArithError(f"expected {token!r}, got {stray.token!r}" if token else f"unexpected {stray.token!r}") from None
    return run


def _sequence(first: Program, then: Program) -> Program:
    def run(scope, skip):
        first(scope, skip)
        return then(scope, skip)
    return run


def _read(name: str) -> Program:
    return lambda scope, skip: scope.get_number(name)


def _number(tok: str) -> int:
    if "#" in tok:
        base, digits = tok.split("#", 1)
        return int(digits, int(base))
    if tok.lower().startswith("0x"):
        return int(tok, 16)
    if len(tok) > 1 and tok.startswith("0"):
        return int(tok, 8)
    return int(tok)


def _assigned(scope, skip, name: str, op: str, rhs: int | None) -> int | None:
    if op == "=":
        value = rhs
    else:
        cur = scope.get_number(name)
        value = None if cur is None or rhs is None else binary(op[:-1], cur, rhs, skip)
    if value is not None and not skip:
        scope.set_number(name, value)
    return value


def _assignment(name: str, op: str, rhs: Program) -> Program:
    def run(scope, skip):
        try:
            value = rhs(scope, skip)
        except _Stray as stray:
            raise _Stray(stray.token, _assigned(scope, skip, name, op, stray.value)) from None
        return _assigned(scope, skip, name, op, value)
    return run


def _choice(cond: Program, then: Program, other: Program) -> Program:
    """`cond ? then : other`: an unknown condition runs both."""
    def run(scope, skip):
        c = cond(scope, skip)
        a = then(scope, skip if c is None or c else True)
        try:
            b = other(scope, skip if c is None or not c else True)
        except _Stray as stray:
            raise _Stray(stray.token, None if c is None else (a if c else stray.value)) from None
        return None if c is None else (a if c else b)
    return run


def _short_circuit(op: str, left: Program, right: Program) -> Program:
    decides = op == "||"  # the left value that decides without the right one

    def run(scope, skip):
        a = left(scope, skip)
        if a is not None and bool(a) == decides:
            try:
                right(scope, True)
            except _Stray as stray:
                raise _Stray(stray.token, int(decides)) from None
            return int(decides)
        return _combined(op, a, right, scope, skip)
    return run


def _operation(op: str, left: Program, right: Program) -> Program:
    return lambda scope, skip: _combined(op, left(scope, skip), right, scope, skip)


def _combined(op: str, a: int | None, right: Program, scope, skip: bool) -> int | None:
    """`a op right`, the right operand run now."""
    try:
        b = right(scope, skip)
    except _Stray as stray:
        raise _Stray(stray.token, None if a is None or stray.value is None else binary(op, a, stray.value, skip)) from None
    return None if a is None or b is None else binary(op, a, b, skip)


def _unary(op: str, operand: Program) -> Program:
    fn = _UNARY[op]

    def run(scope, skip):
        try:
            v = operand(scope, skip)
        except _Stray as stray:
            raise _Stray(stray.token, None if stray.value is None else fn(stray.value)) from None
        return None if v is None else fn(v)
    return run


def _stepped(scope, skip, name: str, delta: int, prefix: bool) -> int | None:
    cur = scope.get_number(name)
    if cur is None:
        return None
    new = _wrap(cur + delta)
    if not skip:
        scope.set_number(name, new)
    return new if prefix else cur


def _step(name: str, delta: int, prefix: bool) -> Program:
    """`++name` (the new value) or `name++` (the old one)."""
    return lambda scope, skip: _stepped(scope, skip, name, delta, prefix)


def _element(name: str, index: Program) -> Program:
    def run(scope, skip):
        i = index(scope, skip)
        return None if i is None else scope.get_number(f"{name}[{i}]")
    return run


def _element_step(name: str, index: Program, op: str) -> Program:
    step = 1 if op == "++" else -1

    def run(scope, skip):
        i = index(scope, skip)
        if i is None:
            raise _Stray(op, None)
        return _stepped(scope, skip, f"{name}[{i}]", step, False)
    return run


def _is_name(tok: str) -> bool:
    return bool(tok) and (tok[0].isalpha() or tok[0] == "_")
