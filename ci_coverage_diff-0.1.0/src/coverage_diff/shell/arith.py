"""Bash arithmetic (`$(( ))`, `(( ))`, C-style `for`, array indices) on 64-bit ints.

`evaluate(text, scope)` parses the expression text itself rather than relying on
tree-sitter's arithmetic nodes, which vary across grammar versions.  `scope`
reads and writes variables; an unknown operand makes the result None.
"""

from __future__ import annotations

import re
from typing import Protocol


class Scope(Protocol):
    def get_number(self, name: str) -> int | None: ...
    def set_number(self, name: str, value: int) -> None: ...


class ArithError(Exception):
    pass


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


class _Parser:
    def __init__(self, tokens: list[str], scope: Scope):
        self.t, self.i, self.scope = tokens, 0, scope
        self.unknown = False
        self.skip = 0  # > 0 while parsing an operand that `&&`, `||` or `?:` does not evaluate

    def skipped(self, parse):
        """Parse an operand bash short-circuits: no assignments, no errors, no unknowns."""
        self.skip += 1
        unknown = self.unknown
        try:
            parse()
        finally:
            self.skip -= 1
            self.unknown = unknown
        return 0

    def set(self, name: str, value: int) -> None:
        if not self.skip:
            self.scope.set_number(name, value)

    def peek(self) -> str:
        return self.t[self.i] if self.i < len(self.t) else ""

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if expected is not None and tok != expected:
            raise ArithError(f"expected {expected!r}, got {tok!r}")
        self.i += 1
        return tok

    # Each level returns (value, lvalue name or None).
    def comma(self) -> int | None:
        v = self.assign()
        while self.peek() == ",":
            self.take()
            v = self.assign()
        return v

    def assign(self) -> int | None:
        start = self.i
        tok = self.peek()
        if _is_name(tok) and self.i + 1 < len(self.t) and self.t[self.i + 1] in _ASSIGN:
            self.i += 2
            rhs = self.assign()
            op = self.t[start + 1]
            if op == "=":
                value = rhs
            else:
                cur = self.scope.get_number(tok)
                value = None if cur is None or rhs is None else self.binary(op[:-1], cur, rhs)
            if value is None:
                self.unknown = True
                return None
            self.set(tok, value)
            return value
        return self.ternary()

    def ternary(self) -> int | None:
        cond = self.binop(1)
        if self.peek() != "?":
            return cond
        self.take()
        if cond is None:
            a = self.assign()
            self.take(":")
            self.assign()
            return None
        a = self.assign() if cond else self.skipped(self.assign)
        self.take(":")
        b = self.skipped(self.assign) if cond else self.assign()
        return a if cond else b

    def binop(self, level: int) -> int | None:
        if level > 11:
            return self.unary()
        left = self.binop(level + 1)
        while _BINARY.get(self.peek()) == level:
            op = self.take()
            if left is not None and op in ("&&", "||") and bool(left) == (op == "||"):
                self.skipped(lambda: self.binop(level + 1))  # decided by the left side: the right is not evaluated
                left = int(bool(left))
                continue
            right = self.binop(level + (0 if op == "**" else 1))
            left = None if left is None or right is None else self.binary(op, left, right)
        return left

    def binary(self, op: str, a: int, b: int) -> int:
        if op in ("/", "%") and b == 0:
            if self.skip:
                return 0
            raise ArithError("division by 0")
        ops = {
            "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
            "/": lambda: abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1),
            "%": lambda: a - b * (abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)),
            "**": lambda: pow(a, b, 1 << 64) if b >= 0 else 0,  # bash wraps at 64 bits: same result, bounded work
            "<<": lambda: a << (b & 63), ">>": lambda: a >> (b & 63),
            "<": lambda: int(a < b), ">": lambda: int(a > b), "<=": lambda: int(a <= b), ">=": lambda: int(a >= b),
            "==": lambda: int(a == b), "!=": lambda: int(a != b), "&": lambda: a & b, "|": lambda: a | b,
            "^": lambda: a ^ b, "&&": lambda: int(bool(a) and bool(b)), "||": lambda: int(bool(a) or bool(b)),
        }
        return _wrap(ops[op]())

    def unary(self) -> int | None:
        tok = self.peek()
        if tok in ("-", "+", "!", "~"):
            self.take()
            v = self.unary()
            if v is None:
                return None
            return {"-": -v, "+": v, "!": int(not v), "~": ~v}[tok]
        if tok in ("++", "--"):
            self.take()
            name = self.take()
            cur = self.scope.get_number(name)
            if cur is None:
                return None
            cur = _wrap(cur + (1 if tok == "++" else -1))
            self.set(name, cur)
            return cur
        return self.postfix()

    def postfix(self) -> int | None:
        tok = self.take()
        if tok == "(":
            v = self.comma()
            self.take(")")
            return v
        if _is_name(tok):
            if self.peek() == "[":  # array element: scope sees `name[index]`
                self.take()
                index = self.comma()
                self.take("]")
                if index is None:
                    return None
                tok = f"{tok}[{index}]"
            if self.peek() in ("++", "--"):
                op = self.take()
                cur = self.scope.get_number(tok)
                if cur is None:
                    return None
                self.set(tok, _wrap(cur + (1 if op == "++" else -1)))
                return cur
            v = self.scope.get_number(tok)
            if v is None:
                self.unknown = True
            return v
        if tok and tok[0].isdigit():
            return _number(tok)
        raise ArithError(f"unexpected {tok!r}")


def _is_name(tok: str) -> bool:
    return bool(tok) and (tok[0].isalpha() or tok[0] == "_")


def _number(tok: str) -> int:
    if "#" in tok:
        base, digits = tok.split("#", 1)
        return int(digits, int(base))
    if tok.lower().startswith("0x"):
        return int(tok, 16)
    if len(tok) > 1 and tok.startswith("0"):
        return int(tok, 8)
    return int(tok)


def evaluate(text: str, scope: Scope) -> int | None:
    """The value of an arithmetic expression, None when an operand is unknown.
    Raises ArithError on a syntax error or division by zero (bash fails too)."""
    tokens = tokenize(text)
    if not tokens:
        return 0
    parser = _Parser(tokens, scope)
    value = parser.comma()
    if parser.i != len(tokens):
        raise ArithError(f"unexpected {tokens[parser.i]!r}")
    return None if value is None else _wrap(value)
