"""GitLab CI `rules: - if:` expressions, evaluated with three-valued logic.

`evaluate(text, variables)` gives True, False or None (unknown).  A variable
maps to its text, to `None` when it is known to be unset, or is missing from the
mapping / set to `UNKNOWN` when only the running pipeline knows it.  Supported:
`$VAR`, `${VAR}`, quoted strings, `null`, `/regex/flags`, `==`, `!=`, `=~`,
`!~`, `&&` (binds tighter than `||`), `||` and parentheses.
"""

from __future__ import annotations

import re

UNKNOWN = object()


class RuleError(Exception):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<var>\$\{?[A-Za-z_]\w*\}?)
    | (?P<str>"(?:[^"\\]|\\.)*"|'[^']*')
    | (?P<op>==|!=|=~|!~|&&|\|\||\(|\))
    | (?P<null>null\b)
    | (?P<regex>/(?:\\.|[^/\\])*/[a-z]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise RuleError(f"cannot parse rule condition near {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out + [("end", "")]


def variables_of(text: str) -> tuple[str, ...]:
    """The variable names a condition reads, in order."""
    return tuple(dict.fromkeys(re.findall(r"\$\{?([A-Za-z_]\w*)\}?", text)))


def evaluate(text: str, variables: dict):
    parser = _Parser(_tokens(text), variables, text)
    value = parser.or_()
    if parser.kind() != "end":
        raise RuleError(f"unexpected {parser.toks[parser.i][1]!r} in rule condition {text.strip()!r}")
    return value


class _Parser:
    def __init__(self, toks, variables, text):
        self.toks, self.vars, self.text, self.i = toks, variables, text, 0

    def kind(self) -> str:
        return self.toks[self.i][0]

    def at(self, value: str) -> bool:
        return self.toks[self.i][1] == value and self.kind() == "op"

    def or_(self):
        value = self.and_()
        while self.at("||"):
            self.i += 1
            value = _or(value, self.and_())
        return value

    def and_(self):
        value = self.comparison()
        while self.at("&&"):
            self.i += 1
            value = _and(value, self.comparison())
        return value

    def comparison(self):
        if self.at("("):
            self.i += 1
            value = self.or_()
            if not self.at(")"):
                raise RuleError(f"missing ')' in rule condition {self.text.strip()!r}")
            self.i += 1
            return value
        left = self.operand()
        if self.kind() == "op" and self.toks[self.i][1] in ("==", "!=", "=~", "!~"):
            op = self.toks[self.i][1]
            self.i += 1
            return _compare(op, left, self.operand())
        if left is UNKNOWN:
            return None
        return bool(left)  # a bare `$VAR`: defined and non-empty

    def operand(self):
        kind, tok = self.toks[self.i]
        self.i += 1
        if kind == "var":
            name = tok.strip("${}")
            return self.vars.get(name, UNKNOWN)
        if kind == "str":
            body = tok[1:-1]
            return re.sub(r"\\(.)", r"\1", body) if tok[0] == '"' else body
        if kind == "null":
            return None
        if kind == "regex":
            return _Regex(tok)
        raise RuleError(f"expected a value in rule condition {self.text.strip()!r}")


class _Regex:
    def __init__(self, literal: str):
        body, _, flags = literal[1:].rpartition("/")
        try:
            self.pattern = re.compile(from_re2(body), re.IGNORECASE if "i" in flags else 0)
        except (re.error, RuleError) as exc:
            raise RuleError(f"invalid regular expression {literal}: {exc}") from None


_POSIX_CLASSES = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
                  "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
                  "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}
_RE2_ESCAPES = {"z": "\\Z", "C": "."}  # RE2's end of text and any byte; Python has `\\Z` and `.`


def from_re2(pattern: str) -> str:
    """An RE2 pattern (GitLab's regex engine) in Python's syntax: `\\z`, `\\C`, `\\Q...\\E` and POSIX
    classes `[[:alpha:]]` are rewritten; a construct RE2 refuses (backreferences, lookaround) is an error."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if nxt.isdigit() and nxt != "0" and not in_class:
                raise RuleError("RE2 has no backreferences")
            out.append(_RE2_ESCAPES.get(nxt, ch + nxt) if not in_class else ch + nxt)
            i += 2
            continue
        if in_class and ch == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            name = pattern[i + 2 : end] if end > 0 else ""
            negated = name.startswith("^")
            if name.lstrip("^") in _POSIX_CLASSES and not negated:
                out.append(_POSIX_CLASSES[name])
                i = end + 2
                continue
        if not in_class and pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            raise RuleError("RE2 has no lookaround")
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("\\]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _compare(op: str, left, right):
    if op in ("=~", "!~"):
        if isinstance(right, str) and right.startswith("/") and right.rfind("/") > 0:
            right = _Regex(right)  # a variable holding a pattern
        if not isinstance(right, _Regex) and right is not UNKNOWN:
            raise RuleError("the right side of =~ must be a /regular expression/")
    elif isinstance(left, _Regex) or isinstance(right, _Regex):
        raise RuleError("a /regular expression/ needs =~ or !~")
    if left is UNKNOWN or right is UNKNOWN:
        return None
    if op in ("=~", "!~"):
        matched = left is not None and bool(right.pattern.search(str(left)))
        return matched if op == "=~" else not matched
    return (left == right) if op == "==" else (left != right)


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False
