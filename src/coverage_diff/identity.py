"""Which head subject a vanished base subject became: identity that survives edits.

A subject is named by its content (a config entry's normalised text, else its
command line), so an edit in place makes the old subject vanish and a new one
appear.  A vanished subject is matched with a new one by where it is defined (an
entry by its script, array and neighbours; a command by its file, its program and
its jobs) and then by the words they share.  A command whose test selection was
split into shards (`-k` halves, `--shard-id`, ...) is matched with all of its
shards, and the shards are checked to select together what the command did.
"""

from __future__ import annotations

import difflib
import itertools
import posixpath
import re
from dataclasses import dataclass

from .model import ConfigEntry, Run
from .subjects import PYTHONS
from .words import is_assignment

# Options that select a part of a test run: (option, takes a value).
SELECTION = {"-k": True, "-m": True, "--shard-id": True, "--num-shards": True, "--shard": True, "--splits": True,
             "--group": True, "--deselect": True, "--ignore": True, "--ignore-glob": True}


@dataclass(frozen=True)
class Succession:
    """A base subject that vanished and the head subject(s) it became."""

    old: str
    new: tuple[str, ...]
    how: str  # "edited" (one successor) | "split" (shards of one test run)
    detail: str  # the word diff, or the shards' selections
    covered: bool = True  # for a split: the shards together select all the base run selected


def word_diff(old: str, new: str) -> str:
    """`-removed +added` words, in order: what an edit in place changed."""
    a, b = old.split(), new.split()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            out.append("-" + " ".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            out.append("+" + " ".join(b[j1:j2]))
    return " ".join(out) or "(whitespace only)"


def successions(lost: dict[str, list[Run]], new: dict[str, list[Run]], base, head) -> dict[str, Succession]:
    """Base subject -> its succession, for the subjects that lost runs (`lost`: subject -> the
    runs whose variants are gone at head) and have one among the `new` subjects (no run at
    base).  Each new subject succeeds at most one."""
    found: dict[str, Succession] = {}
    claimed: set[str] = set()
    for old, runs in sorted(lost.items()):
        entry = _entry(runs)
        if entry is not None and entry.identity not in head.entries:
            now = successor_entry(entry, base, head)
            if now is not None and now.identity in new and now.identity not in claimed:
                claimed.add(now.identity)
                found[old] = Succession(old, (now.identity,), "edited", word_diff(entry.text, now.text))
    by_place = _by_place({s: r for s, r in new.items() if _entry(r) is None and s not in claimed})
    for old, runs in sorted(lost.items()):
        if old in found or _entry(runs) is not None:
            continue
        candidates = [s for key in _places(runs) for s in by_place.get(key, ()) if s not in claimed]
        succession = _command_succession(old, runs, list(dict.fromkeys(candidates)), new, base)
        if succession is not None:
            claimed.update(succession.new)
            found[old] = succession
    resharded = [(old, runs) for old, runs in sorted(lost.items())
                 if old not in found and _entry(runs) is None and _sharded(_argv(runs))]
    if resharded:
        unselected = _by_unselected(head.runs_by_subject)
        for old, runs in resharded:
            succession = _resharded(old, runs, unselected)
            if succession is not None:
                found[old] = succession
    return found


def _by_unselected(runs_by_subject: dict[str, list[Run]]) -> dict[tuple, list[tuple[str, list[Run]]]]:
    """Subjects by their words without the test selection."""
    index: dict[tuple, list[tuple[str, list[Run]]]] = {}
    for subject, runs in runs_by_subject.items():
        index.setdefault(tuple(_without_selection(_argv(runs))), []).append((subject, runs))
    return index


def _sharded(argv: list[str]) -> bool:
    return any(word.partition("=")[0] in ("--shard-id", "--num-shards") for word in argv)


def _resharded(old: str, runs: list[Run], unselected: dict[tuple, list[tuple[str, list[Run]]]]) -> Succession | None:
    """A shard of a command whose shard count changed (`parallelism: 4` -> `5`) or whose
    sharding was removed: the head commands with the same words but the selection, on the
    platforms the lost runs ran on, whether or not they ran at base (another job may have
    run them already).  Covered when they are one unsharded run or a whole set of shards."""
    platforms = {r.platform for r in runs}
    same = [(s, now) for s, now in unselected.get(tuple(_without_selection(_argv(runs))), ())
            if s != old and any(r.platform in platforms for r in now)]
    if not same:
        return None
    selections = [_selection(_argv(now)) for _, now in same]
    whole = any(not _sharded(sel) for sel in selections)
    counts = {dict(zip(sel[0::2], sel[1::2])).get("--num-shards") for sel in selections if _sharded(sel)}
    covered = whole or (len(counts) == 1 and _covers(_selection(_argv(runs)), [sel for sel in selections if _sharded(sel)]))
    if not covered:
        return None
    detail = "; ".join(" ".join(sel) or "(everything)" for sel in selections)
    return Succession(old, tuple(s for s, _ in same), "split", detail, True)


def successor_entry(entry: ConfigEntry, base, head) -> ConfigEntry | None:
    """The head entry written where `entry` was (same script and array, a neighbour or the
    position kept, words shared) whose text base does not define: `entry`, edited."""
    was = base.array_members(entry.location.path, entry.array)
    now = [e for e in head.array_members(entry.location.path, entry.array) if e.identity not in base.entries]
    if not now or entry not in was:
        return None
    index = was.index(entry)
    neighbours = {e.identity for e in was[max(index - 1, 0):index] + was[index + 1:index + 2]}
    members = head.array_members(entry.location.path, entry.array)
    best, score = None, 0.0
    for candidate in now:
        at = members.index(candidate)
        around = {e.identity for e in members[max(at - 1, 0):at] + members[at + 1:at + 2]}
        shared = _jaccard(entry.text.split(), candidate.text.split())
        placed = bool(neighbours & around) or at == index
        value = shared + (0.5 if placed else 0.0)
        if (shared >= 0.6 or (placed and shared >= 0.25)) and value > score:
            best, score = candidate, value
    return best


def _command_succession(old: str, runs: list[Run], candidates: list[str], new: dict[str, list[Run]], base=None) -> Succession | None:
    if not candidates:
        return None
    platforms = {r.platform for r in runs}
    candidates = [s for s in candidates if any(r.platform in platforms for r in new[s])]  # where the lost runs ran
    if not candidates:
        return None
    old_argv = _argv(runs)
    unselected = _without_selection(old_argv)
    shards = [s for s in candidates if _without_selection(_argv(new[s])) == unselected and _selection(_argv(new[s])) != _selection(old_argv)]
    if len(shards) == 1:  # the selection itself was edited: still `edited`, unless it now selects less
        now = _selection(_argv(new[shards[0]]))
        covered = _covers(_selection(old_argv), [now]) or _only_new_tests_left_out(_selection(old_argv), now, old_argv, base)
        return Succession(old, (shards[0],), "edited", word_diff(old, shards[0]), covered)
    if shards:
        selections = [_selection(_argv(new[s])) for s in shards]
        detail = "; ".join(" ".join(sel) or "(everything)" for sel in selections)
        return Succession(old, tuple(shards), "split", detail, _covers(_selection(old_argv), selections))
    best, score = None, 0.0
    for candidate in candidates:
        shared = _jaccard(old_argv, _argv(new[candidate]))
        if shared >= 0.5 and shared > score:
            best, score = candidate, shared
    if best is None:
        return None
    return Succession(old, (best,), "edited", word_diff(old, best))


def _covers(base: list[str], shards: list[list[str]]) -> bool:
    """Whether the shards together select everything `base` selected: `-k` expressions as
    boolean formulas over their terms, `--shard-id`/`--num-shards` by the indices present."""
    pairs = lambda sel: dict(zip(sel[0::2], sel[1::2]))  # noqa: E731
    counts = {pairs(s).get("--num-shards") for s in shards}
    if any("--shard-id" in pairs(s) for s in shards):
        if len(counts) != 1 or not str(next(iter(counts))).isdigit():
            return True  # shard count not known statically: cannot tell, no claim of a loss
        total = int(next(iter(counts)))
        ids = {pairs(s).get("--shard-id") for s in shards}
        return all(i.startswith("$") for i in ids if i) or {str(i) for i in range(total)} <= ids
    if any(k not in ("-k", "-m") for s in shards for k in pairs(s)) or any(k not in ("-k", "-m") for k in pairs(base)):
        return True
    for option in ("-k", "-m"):
        wanted = pairs(base).get(option)
        exprs = [pairs(s).get(option) for s in shards]
        if all(e is None for e in exprs):
            continue
        if any(e is None for e in exprs):
            return True  # one shard selects everything on this option
        if not _implies(wanted, exprs):
            return False
    return True


def _only_new_tests_left_out(old: list[str], now: list[str], argv: list[str], base) -> bool:
    """A `-k` selection that only adds terms no test file it names contains at base (it
    leaves out tests the same change adds): nothing that ran is left out."""
    terms = lambda sel: {t for k, v in zip(sel[0::2], sel[1::2]) if k == "-k" for t in TOKEN.findall(v)} - OPERATORS  # noqa: E731
    fresh = terms(now) - terms(old)
    files = [w.split("::", 1)[0] for w in argv if w.endswith(".py") or ".py::" in w]
    if base is None or not fresh or not files or not all(base.snapshot.exists(f) for f in files):
        return False
    text = "\n".join(base.snapshot.text(f) for f in files)
    return not any(term in text for term in fresh)


OPERATORS = {"and", "or", "not", "(", ")"}
TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _implies(base: str | None, exprs: list[str]) -> bool:
    """`base` (None: everything) implies the disjunction of `exprs`, as boolean formulas
    whose terms are independent (pytest matches each term as a substring: an approximation
    that never calls a complementary split a loss)."""
    terms: dict[str, str] = {}
    compiled = []
    for text in [base or "", *exprs]:
        out = []
        for token in TOKEN.findall(text):
            if token in ("and", "or", "not", "(", ")"):
                out.append(token)
            else:
                out.append(terms.setdefault(token, f"t{len(terms)}"))
        compiled.append(" ".join(out) or "True")
    if len(terms) > 12:
        return True  # too many terms to enumerate: no claim
    try:
        formulas = [compile(c, "<selection>", "eval") for c in compiled]
        for values in itertools.product((False, True), repeat=len(terms)):
            scope = {f"t{i}": v for i, v in enumerate(values)}
            if eval(formulas[0], {"__builtins__": {}}, scope) and not any(eval(f, {"__builtins__": {}}, scope) for f in formulas[1:]):
                return False
    except (SyntaxError, NameError, TypeError):
        return True
    return True


def _selection(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        word = argv[i]
        name, eq, value = word.partition("=")
        if name in SELECTION and eq:
            out += [name, value]
        elif word in SELECTION and i + 1 < len(argv):
            out += [word, argv[i + 1]]
            i += 1
        i += 1
    return out


def _without_selection(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        word = argv[i]
        if word.partition("=")[0] in SELECTION and "=" in word:
            i += 1
            continue
        if word in SELECTION:
            i += 2
            continue
        out.append(word)
        i += 1
    return out


def _by_place(new: dict[str, list[Run]]) -> dict[tuple, list[str]]:
    index: dict[tuple, list[str]] = {}
    for subject, runs in new.items():
        for key in _places(runs):
            index.setdefault(key, []).append(subject)
    return index


def _places(runs: list[Run]) -> list[tuple]:
    """Where a command is written and what it runs: (file, program)."""
    return list(dict.fromkeys((r.location.path, _program(r.argv)) for r in runs))


def _program(argv) -> str:
    words = [w for w in argv if not is_assignment(w)] or list(argv)
    if not words:
        return ""
    program = posixpath.basename(words[0])
    if PYTHONS.match(program):
        rest = [w for w in words[1:] if not w.startswith("-") or w == "-m"]
        if rest[:1] == ["-m"] and len(rest) > 1:
            return f"python -m {rest[1]}"
        return f"python {rest[0]}" if rest else "python"
    return program


def _argv(runs: list[Run]) -> list[str]:
    return list(runs[0].argv)


def _jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def _entry(runs: list[Run]) -> ConfigEntry | None:
    return next((r.entry for r in runs if r.entry is not None), None)

