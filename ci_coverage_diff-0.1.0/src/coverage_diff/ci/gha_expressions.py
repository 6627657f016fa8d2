"""GitHub Actions `${{ }}` expressions, evaluated statically.

Values are the JSON-like values GitHub uses (None, bool, number, str, list,
dict) plus `Unknown`, which stands for a value only known when the workflow
runs (secrets, `needs` outputs, most of `github`).  Operators follow GitHub's
documented rules: loose comparison (strings case-insensitively, mixed types as
numbers), `&&`/`||` return an operand, falsy = false, 0, "", null, NaN.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass


class ExpressionError(Exception):
    """An expression that GitHub itself would reject."""


@dataclass(frozen=True)
class Unknown:
    """A value known only at run time; `origin` names where it comes from."""

    origin: str
    # `vars.X` is unset unless the repository defines it: `vars.X || 'd'` gives `d`.
    has_default: bool = False


class Scope(dict):
    """A context object whose missing properties are unknown (not null)."""

    def __init__(self, name: str, values: dict | None = None, has_default: bool = False):
        super().__init__(values or {})
        self.name = name
        self.has_default = has_default

    def missing(self, key: str) -> Unknown:
        return Unknown(f"{self.name}.{key}", self.has_default)


# -- tokens -------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>-?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))(?![\w-])
    | (?P<str>'(?:[^']|'')*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])
    | (?P<name>[A-Za-z_][\w-]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos:].lstrip()[:1]!r} in expression {text.strip()!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    out.append(("end", ""))
    return out


# -- parser: recursive descent producing closures over a context ----------------


MAX_NESTING = 64  # parentheses, calls, indexes and `!` inside one another; GitHub's own limit is lower


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(f"expression nested more than {MAX_NESTING} deep: not analysed")

    def peek(self, value: str | None = None) -> bool:
        kind, tok = self.toks[self.i]
        return tok == value if value is not None else kind != "end"

    def take(self, value: str | None = None) -> str:
        kind, tok = self.toks[self.i]
        if value is not None and (tok != value or kind not in ("op", "name")):
            raise ExpressionError(f"expected {value!r} in expression {self.text.strip()!r}")
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.toks[self.i][0] != "end":
            raise ExpressionError(f"unexpected {self.toks[self.i][1]!r} in expression {self.text.strip()!r}")
        return node

    def or_(self):
        self._deeper()
        left = self.and_()
        while self.peek("||"):
            self.take()
            left = ("||", left, self.and_())
        self.depth -= 1
        return left

    def and_(self):
        left = self.equality()
        while self.peek("&&"):
            self.take()
            left = ("&&", left, self.equality())
        return left

    def equality(self):
        left = self.relation()
        while self.peek("==") or self.peek("!="):
            op = self.take()
            left = (op, left, self.relation())
        return left

    def relation(self):
        left = self.unary()
        while any(self.peek(op) for op in ("<", "<=", ">", ">=")):
            op = self.take()
            left = (op, left, self.unary())
        return left

    def unary(self):
        nots = 0
        while self.peek("!"):  # a run of `!` is a loop, not a recursion
            self.take()
            nots += 1
        node = self.postfix(self.primary())
        for _ in range(nots % 2 or min(nots, 2)):  # `!!!x` is `!x`, `!!!!x` is `!!x` (a boolean)
            node = ("!", node)
        return node

    def primary(self):
        kind, tok = self.toks[self.i]
        self.i += 1
        if kind == "num":
            return ("lit", _number(tok))
        if kind == "str":
            return ("lit", tok[1:-1].replace("''", "'"))
        if tok == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "name":
            lowered = tok.lower()
            if lowered in ("true", "false", "null"):
                return ("lit", {"true": True, "false": False, "null": None}[lowered])
            if self.peek("("):
                return self.call(lowered)
            return ("ctx", tok)
        raise ExpressionError(f"unexpected {tok or 'end'!r} in expression {self.text.strip()!r}")

    def call(self, name: str):
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.or_())
            if not self.peek(")"):
                self.take(",")
        self.take(")")
        return ("call", name, args)

    def postfix(self, node):
        while True:
            if self.peek("."):
                self.take()
                if self.peek("*"):
                    self.take()
                    node = ("star", node)
                else:
                    kind, tok = self.toks[self.i]
                    if kind not in ("name", "num"):
                        raise ExpressionError(f"expected a property name in {self.text.strip()!r}")
                    self.i += 1
                    node = ("prop", node, ("lit", tok))
            elif self.peek("["):
                self.take()
                if self.peek("*"):
                    self.take()
                    self.take("]")
                    node = ("star", node)
                    continue
                index = self.or_()
                self.take("]")
                node = ("prop", node, index)
            else:
                return node


def _number(tok: str):
    if tok.lower().startswith(("0x", "-0x")):
        return int(tok, 16)
    value = float(tok)
    return int(value) if value.is_integer() and "e" not in tok.lower() and "." not in tok else value


# -- evaluation ---------------------------------------------------------------


def evaluate(text: str, context: dict):
    """The value of one expression (the text between `${{` and `}}`)."""
    return _eval(_Parser(text).parse(), context)


def _eval(node, ctx):
    op = node[0]
    if op == "lit":
        return node[1]
    if op == "ctx":
        name = node[1]
        for key, value in ctx.items():
            if key.lower() == name.lower():
                return value
        return Unknown(name)
    if op == "prop":
        return _property(_eval(node[1], ctx), _eval(node[2], ctx))
    if op == "star":
        base = _eval(node[1], ctx)
        if isinstance(base, Unknown):
            return base
        return list(base.values()) if isinstance(base, dict) else list(base) if isinstance(base, list) else []
    if op == "!":
        value = _eval(node[1], ctx)
        return value if isinstance(value, Unknown) else not truthy(value)
    if op == "&&":
        left = _eval(node[1], ctx)
        if isinstance(left, Unknown):
            return left
        return left if not truthy(left) else _eval(node[2], ctx)
    if op == "||":
        left = _eval(node[1], ctx)
        if isinstance(left, Unknown):
            return _eval(node[2], ctx) if left.has_default else left
        return left if truthy(left) else _eval(node[2], ctx)
    if op == "call":
        return _call(node[1], [_eval(arg, ctx) for arg in node[2]])
    left, right = _eval(node[1], ctx), _eval(node[2], ctx)
    for value in (left, right):
        if isinstance(value, Unknown):
            return value
    return _compare(op, left, right)


def _property(base, key):
    if isinstance(base, Unknown):
        return Unknown(f"{base.origin}.{key}", base.has_default) if not isinstance(key, Unknown) else base
    if isinstance(key, Unknown):
        return key
    if isinstance(base, list):  # the result of `.*`: filter each element
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            return base[int(key)] if 0 <= int(key) < len(base) else None
        return [_property(item, key) for item in base if isinstance(item, dict)]
    if isinstance(base, dict):
        for name, value in base.items():
            if str(name).lower() == str(key).lower():
                return value
        return base.missing(str(key)) if isinstance(base, Scope) else None
    return None


def _call(name: str, args: list):
    if name in ("success", "always"):
        return True  # coverage is about green runs: earlier steps succeeded
    if name in ("failure", "cancelled"):
        return False
    if name == "hashfiles":
        return Unknown("hashFiles(...)")
    if name == "case":
        return _case(args)
    for value in args:
        if isinstance(value, Unknown):
            return value
    try:
        return _FUNCTIONS[name](*args)
    except KeyError:
        raise ExpressionError(f"unknown function {name}()") from None
    except TypeError:
        raise ExpressionError(f"wrong number of arguments to {name}()") from None


def _case(args: list):
    if len(args) < 3 or len(args) % 2 == 0:
        raise ExpressionError("case() takes pairs of predicate and value, then a default")
    for predicate, value in zip(args[0:-1:2], args[1:-1:2]):
        if isinstance(predicate, Unknown):
            return predicate
        if predicate is True:
            return value
    return args[-1]


def _contains(search, item):
    if isinstance(search, list):
        return any(_compare("==", element, item) for element in search)
    return to_string(item).lower() in to_string(search).lower()


def _format(template, *args):
    def replace(match: re.Match) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        index = int(match.group(1))
        if index >= len(args):
            raise ExpressionError(f"format() has no argument {{{index}}}")
        return to_string(args[index])

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", replace, to_string(template))


def _from_json(text):
    """GitHub parses with a lenient JSON reader: unquoted property names, single-quoted
    strings, trailing commas and comments are accepted (PyTorch-style test matrices use them)."""
    text = to_string(text)
    try:
        value = json.loads(text)
    except ValueError as exc:
        try:
            value = _LenientJson(text).document()
        except ValueError:
            raise ExpressionError(f"fromJSON(): invalid JSON ({exc.msg})") from None
        except RecursionError:
            value = _TOO_DEEP
    except RecursionError:
        value = _TOO_DEEP
    if value is _TOO_DEEP or _nesting(value) > MAX_NESTING:
        raise ExpressionError(f"fromJSON(): JSON nested more than {MAX_NESTING} deep: not analysed")
    return value


_TOO_DEEP = object()


def _nesting(value) -> int:
    """How deeply lists and objects nest in a JSON value (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class _LenientJson:
    _TOKEN = re.compile(r"""\s*(?:(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
                         |(?P<punct>[{}\[\],:])|(?P<word>[^\s{}\[\],:'"/]+))""", re.VERBOSE | re.DOTALL)

    def __init__(self, text: str):
        self.tokens = []
        pos = 0
        while pos < len(text):
            match = self._TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if text[pos:].strip():
                    raise ValueError(f"unexpected {text[pos]!r}")
                break
            pos = match.end()
            if match.lastgroup and match.lastgroup != "comment":
                self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
        self.i = 0

    def next(self):
        if self.i >= len(self.tokens):
            raise ValueError("unexpected end")
        self.i += 1
        return self.tokens[self.i - 1]

    def peek(self, value: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i] == ("punct", value)

    def document(self):
        value = self.value()
        if self.i != len(self.tokens):
            raise ValueError("trailing text")
        return value

    def value(self):
        kind, tok = self.next()
        if kind == "string":
            return json.loads('"' + tok[1:-1].replace('\\\'', "'").replace('"', '\\"') + '"') if tok[0] == "'" else json.loads(tok)
        if kind == "word":
            literals = {"true": True, "false": False, "null": None}
            return literals[tok] if tok in literals else _number_or_text(tok)
        if tok == "{":
            return self.items("}", self.pair, {})
        if tok == "[":
            return self.items("]", self.value, [])
        raise ValueError(f"unexpected {tok!r}")

    def pair(self):
        kind, key = self.next()
        if kind not in ("string", "word"):
            raise ValueError("a property name")
        key = json.loads(key) if kind == "string" and key[0] == '"' else key.strip("'")
        if self.next() != ("punct", ":"):
            raise ValueError("expected ':'")
        return key, self.value()

    def items(self, end: str, item, into):
        while not self.peek(end):
            got = item()
            if isinstance(into, dict):
                into[got[0]] = got[1]
            else:
                into.append(got)
            if not self.peek(end) and self.next() != ("punct", ","):
                raise ValueError("expected ','")
        self.next()
        return into


def _number_or_text(word: str):
    try:
        return _number(word)
    except ValueError:
        raise ValueError(f"unexpected {word!r}") from None


_FUNCTIONS = {
    "contains": _contains,
    "startswith": lambda s, p: to_string(s).lower().startswith(to_string(p).lower()),
    "endswith": lambda s, p: to_string(s).lower().endswith(to_string(p).lower()),
    "format": _format,
    "join": lambda a, sep=",": to_string(sep).join(map(to_string, a)) if isinstance(a, list) else to_string(a),
    "tojson": lambda v: json.dumps(v, indent=2),
    "fromjson": _from_json,
}


def _compare(op: str, left, right) -> bool:
    if type(left) is not type(right) and not (_is_number(left) and _is_number(right)):
        if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
            return op == "!=" and left is not right
        left, right = to_number(left), to_number(right)
    if isinstance(left, str):
        left, right = left.lower(), right.lower()
    elif isinstance(left, (list, dict)):
        return (left is right) == (op == "==") if op in ("==", "!=") else False
    if isinstance(left, float) and math.isnan(left) or isinstance(right, float) and math.isnan(right):
        return op == "!="
    return {"==": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def truthy(value) -> bool:
    if value is None or value is False:
        return False
    if _is_number(value):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def to_string(value) -> str:
    """How GitHub writes a value into a string (env values, `run:` text)."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return str(value)


# -- `${{ }}` inside strings ----------------------------------------------------


def segments(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_expression, text) pieces; `}}` inside quotes does not end one."""
    out, pos = [], 0
    while True:
        start = text.find("${{", pos)
        if start < 0:
            out.append((False, text[pos:]))
            return [s for s in out if s[1] or s[0]]
        out.append((False, text[pos:start]))
        i, quoted = start + 3, False
        while i < len(text):
            if text[i] == "'":
                quoted = not quoted
            elif not quoted and text.startswith("}}", i):
                break
            i += 1
        else:
            raise ExpressionError(f"unterminated expression in {text.strip()[:80]!r}")
        out.append((True, text[start + 3 : i]))
        pos = i + 2


def has_expression(value) -> bool:
    return isinstance(value, str) and "${{" in value


def resolve(value, context: dict):
    """A YAML value with expressions evaluated: a whole-string expression keeps its
    type (so `${{ fromJSON(..) }}` gives a list); embedded ones become text."""
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    if not has_expression(value):
        return value
    parts = segments(value)
    if len(parts) == 1 and parts[0][0] and value.strip() == value:
        return evaluate(parts[0][1], context)
    pieces = []
    for is_expr, text in parts:
        result = evaluate(text, context) if is_expr else text
        if isinstance(result, Unknown):
            return result
        pieces.append(to_string(result))
    return "".join(pieces)


def substitute(text: str, context: dict, placeholder) -> str:
    """Text with known expressions replaced by their value and unknown ones by
    `placeholder(expression_text)` (used for `run:` scripts)."""
    pieces = []
    for is_expr, part in segments(text):
        if not is_expr:
            pieces.append(part)
            continue
        result = evaluate(part, context)
        pieces.append(placeholder(part) if isinstance(result, Unknown) else to_string(result))
    return "".join(pieces)


def condition(value, context: dict):
    """An `if:` value: True, False, or Unknown.  A bare expression needs no `${{ }}`;
    text mixing literals and expressions is a (truthy if non-empty) string, as in GitHub."""
    if isinstance(value, bool):
        return value
    if value is None:
        return True
    if not isinstance(value, str):
        return truthy(value)
    text = value.strip()
    parts = segments(text) if "${{" in text else [(True, text)]
    if len(parts) == 1 and parts[0][0]:
        result = evaluate(parts[0][1], context)
        return result if isinstance(result, Unknown) else truthy(result)
    result = resolve(text, context)
    return result if isinstance(result, Unknown) else truthy(result)
