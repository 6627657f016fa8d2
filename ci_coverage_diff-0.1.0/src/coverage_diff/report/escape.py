"""Escaping for text that comes from the analysed repository.

Labels, config strings, paths and condition text are written by whoever opened
the pull request.  Every renderer passes them through one of these helpers so
that a hostile string shows up as text: it cannot add HTML, ping people,
break a table or a code span, move the terminal cursor, or forge a GitHub
workflow command.
"""

from __future__ import annotations

import re

ZWJ = "\u200d"

# Terminal escape sequences (CSI such as `ESC[31m`, OSC such as window titles
# and hyperlinks, and the two-byte forms) are removed whole, so no `[31m`
# debris is left behind.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, terminated or not
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# Remaining C0/C1 controls (except tab and newline); bidirectional overrides,
# isolates and marks, which make text read differently from what it is; and
# invisible characters (zero-width spaces and joiners, word joiner, BOM, line and
# paragraph separators, interlinear annotations), which hide text or split it.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb]"
)
# GitHub's runner treats `##[command]` anywhere in a log line as a command, and
# `::command` at the start of a line (after blanks).  A word joiner (invisible, and
# removed again by `_CONTROL` if the text is ever read back) keeps both inert.
WJ = "\u2060"
_LEGACY_COMMAND = re.compile(r"##\[")
_LINE_COMMAND = re.compile(r"^([ \t]*):(?=:)", re.M)

# ASCII punctuation that means something inline in CommonMark/GFM.  `<` and
# `&` are escaped as entities (inert even where a backslash is not honoured),
# the others with a backslash.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~>$])")  # `$`: no math
_MENTION = re.compile(r"@(?=\w)")
# GFM autolinks bare `www.`, `http://`, `https://`, `ftp://` and e-mail addresses;
# a word joiner inside the trigger keeps them text (e-mail: `unmention` breaks the `@`).
_AUTOLINK = re.compile(r"(?i)\b(www)(\.)|\b(https?|ftp|mailto|xmpp)(:)")


def terminal(text: str) -> str:
    """Text safe to print to a terminal or a CI log: no escape sequences, no
    control, bidi or invisible characters other than tab and newline, and no GitHub
    workflow command (`##[` anywhere, `::` where a line starts)."""
    return inert(_CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n"))).replace("\r", ""))


def inert(text: str) -> str:
    """`text` with GitHub workflow commands broken by a word joiner."""
    if "##[" in text:
        text = _LEGACY_COMMAND.sub("#" + WJ + "#[", text)
    if "::" in text:
        text = _LINE_COMMAND.sub(r"\1:" + WJ, text)
    return text


def one_line(text: str) -> str:
    """`terminal` text on a single line (newlines and tabs become spaces)."""
    return " ".join(terminal(text).split())


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def unmention(text: str) -> str:
    """Break `@name` and `@org/team` so GitHub does not notify anyone."""
    return _MENTION.sub("@" + ZWJ, text)


def md_text(text: str, limit: int = 300) -> str:
    """Inline markdown showing `text` literally, on one line (table-cell safe)."""
    return _inline(clip(one_line(text), limit))


def _inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _AUTOLINK.sub(lambda m: (m[1] or m[3]) + ZWJ + (m[2] or m[4]), text)
    return unmention(_MD_SPECIAL.sub(r"\\\1", text))


def md_prose(text: str, limit: int = 300) -> str:
    """Like `md_text`, but `backquoted` spans of the tool's own prose become code spans.

    Prose such as "runs only when `[[ -n "$X" ]]` is true" quotes repository text
    between backticks.  Each piece is escaped on its own, so an unbalanced or
    hostile backtick can garble the display but never the markup.
    """
    pieces = clip(one_line(text), limit).split("`")
    if len(pieces) % 2 == 0:  # unbalanced: show it all as text
        return md_text(text, limit)
    return "".join(md_code(piece, limit) if i % 2 else _inline(piece) for i, piece in enumerate(pieces))


def md_code(text: str, limit: int = 300) -> str:
    """An inline code span showing `text` literally, on one line (table-cell safe).

    The fence is one backtick longer than the longest run inside, as CommonMark
    requires; `|` is escaped because GFM splits table cells before it finds
    code spans.
    """
    text = clip(one_line(text), limit).replace("|", "\\|")
    if not text:
        return ""
    fence = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(text: str, info: str = "", limit: int = 4000) -> str:
    """A fenced code block holding `text` verbatim (multi-line)."""
    lines = clip(terminal(text), limit).rstrip("\n")
    fence = "`" * max(3, _longest_run(lines, "`") + 1)
    return f"{fence}{info}\n{lines}\n{fence}"


def md_link(label_markdown: str, url: str | None) -> str:
    """`label_markdown` (already escaped) linked to `url` when there is one."""
    if not url:
        return label_markdown
    safe_url = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{label_markdown}]({safe_url})"


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(re.escape(char) + "+", text)
    return max((len(r) for r in runs), default=0)


# GitHub workflow commands (`::error file=..::message`): the runner decodes
# these percent escapes; properties additionally use `:` and `,` as syntax.
def command_data(text: str) -> str:
    text = inert(_CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n"))))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    return command_data(text).replace(":", "%3A").replace(",", "%2C")
