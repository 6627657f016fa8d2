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

from .engine import store
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
    how: str  # "edited" (one successor) | "split" (shards of one test run) | "renamed" (its files moved)
    detail: str  # the word diff, the shards' selections, or the renames (`old -> new; ...`)
    covered: bool = True  # a split: the shards together select all the base run selected; renamed: every run still made
    edits: str = ""  # renamed: the list lines that now name another config where the renamed one is not run


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
    moves = Moves(base, head, new)
    for old, runs in sorted(lost.items()):
        succession = moves.succession(old, runs)
        if succession is not None:
            claimed.update(succession.new)
            found[old] = succession
    for old, runs in sorted(lost.items()):
        entry = _entry(runs)
        if old in found:
            continue
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
        succession = _command_succession(old, runs, list(dict.fromkeys(candidates)), new, base, head)
        if succession is not None:
            claimed.update(succession.new)
            found[old] = succession
    for old, runs in sorted(lost.items()):
        if old not in found and _entry(runs) is None:
            succession = _resharded(old, runs, base, head)
            if succession is not None:
                found[old] = succession
    return found


class Moves:
    """Commands whose files git saw renamed between base and head (a test file or example
    moved, a listed config renamed) and that head runs at the new path: the lost run with
    every renamed path (`path`, `path::test`, `--option=path`, or a directory every file of
    which moved together) replaced by its new one is a run of head, with the same
    environment, on the same platform."""

    def __init__(self, base, head, new: dict[str, list[Run]]):
        self.base, self.head, self.new = base, head, new
        self._renames: dict[str, str] | None = None
        self._variants: dict[tuple, str] | None = None
        self._dirs: dict[str, str | None] = {}

    def succession(self, old: str, runs: list[Run]) -> Succession | None:
        """`old` renamed: moved when head runs every lost run at its new paths, else (only
        some) narrowed; None when no path of its runs was renamed."""
        if not any(self._gone(w) for run in runs for w in run.chosen or run.argv):
            return None  # the usual case: every path it names is still there; git is not asked
        used: dict[str, str] = {}
        found = []
        for run in runs:
            argv = run.chosen or run.argv
            now = tuple(self._word(w, used) for w in argv)
            found.append(self.variants().get((now, tuple(sorted(run.env)), run.platform)) if now != argv else None)
        if not any(found):
            return None
        edits = []
        for i, run in enumerate(runs):  # the other lists naming the renamed config may name a sibling of it now
            if found[i] is None and run.chosen and run.entries:
                was = run.entries[-1]
                now = successor_entry(was, self.base, self.head, words=_name_words, strict=True)
                if now is not None and any(r.platform == run.platform for r in self.new.get(now.identity, ())):
                    found[i] = now.identity
                    edits.append(f"{was.location.path}:{was.location.line} {word_diff(was.text, now.text)}")
        detail = "; ".join(f"{a} -> {b}" for a, b in used.items())
        return Succession(old, tuple(dict.fromkeys(s for s in found if s)), "renamed", detail, all(found),
                          "; ".join(dict.fromkeys(edits)))

    def _gone(self, word: str) -> bool:
        path = _path_in(word)
        return bool(path) and "/" in path and not self.head.snapshot.exists(path) and not self.head.snapshot.is_dir(path) \
            and (self.base.snapshot.exists(path) or self.base.snapshot.is_dir(path))

    def renames(self) -> dict[str, str]:
        if self._renames is None:
            from .snapshot import renames
            self._renames = renames(self.base.snapshot, self.head.snapshot)
        return self._renames

    def variants(self) -> dict[tuple, str]:
        """Variant -> subject, over the subjects head runs that base did not."""
        if self._variants is None:
            self._variants = {run.variant: subject for subject, runs in self.new.items() for run in runs}
        return self._variants

    def _word(self, word: str, used: dict[str, str]) -> str:
        path = _path_in(word)
        if not path or not self._gone(path):
            return word
        now = self.renames().get(path) or self._directory(path)
        if now is None:
            return word
        used[path] = now
        start = word.index(path)
        return word[:start] + now + word[start + len(path):]

    def _directory(self, path: str) -> str | None:
        """Where a directory went when every file of it was renamed into one new directory,
        each keeping its place in it."""
        path = path.rstrip("/")
        if path not in self._dirs:
            files = [p for p in self.base.snapshot.files if p.startswith(path + "/")]
            targets = set()
            for file in files:
                moved = self.renames().get(file)
                rest = file[len(path):]
                if moved is None or not moved.endswith(rest):
                    targets = set()
                    break
                targets.add(moved[: len(moved) - len(rest)])
            self._dirs[path] = next(iter(targets)) if len(targets) == 1 else None
        return self._dirs[path]


def _name_words(text: str) -> list[str]:
    """The parts of a file name (`gpt-oss-20b-bf16.yaml`: gpt, oss, 20b, bf16, yaml)."""
    return [w for w in re.split(r"[-_./\s]+", text) if w]


def _path_in(word: str) -> str:
    """The repository path a command word may name: the word itself, before a `::` test id,
    or the value of an `--option=`."""
    if word.startswith("-"):
        name, eq, word = word.partition("=")
        if not eq:
            return ""
    return word.split("::", 1)[0]


# Options that cut a run into shards: (count option, index option, first index).
SHARDINGS = (("--num-shards", "--shard-id", 0), ("--splits", "--group", 1))
_SHARD_WORDS = {word for count, index, _ in SHARDINGS for word in (count, index)}
# Variables CI sets to a job's place in its parallel set (Buildkite `parallelism`, GitLab `parallel`).
SHARD_VARIABLES = {"BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", "CI_NODE_INDEX", "CI_NODE_TOTAL"}


def _shard_of(selection: list[str]) -> tuple[str, str, int] | None:
    """(count, index, first index) of a sharded selection, None when it is not sharded."""
    values = dict(zip(selection[0::2], selection[1::2]))
    for count, index, first in SHARDINGS:
        if count in values or index in values:
            return values.get(count, "?"), values.get(index, "?"), first
    return None


def _unsharded(selection: list[str]) -> tuple[str, ...]:
    """A selection without its shard options."""
    return tuple(w for k, v in zip(selection[0::2], selection[1::2]) if k not in _SHARD_WORDS for w in (k, v))


EXCLUSIONS = ("--ignore", "--ignore-glob", "--deselect")


def _options(selection) -> tuple[list[str], set[tuple[str, str]]]:
    """A selection's options other than `-k`, `-m` and shards: (the ones that must match,
    the exclusions)."""
    pairs = [(k, v) for k, v in zip(selection[0::2], selection[1::2]) if k not in ("-k", "-m") and k not in _SHARD_WORDS]
    return [w for k, v in pairs if k not in EXCLUSIONS for w in (k, v)], {(k, v) for k, v in pairs if k in EXCLUSIONS}


def _chosen(selection) -> list[str]:
    """The `-k` and `-m` options of a selection."""
    return [w for k, v in zip(selection[0::2], selection[1::2]) if k in ("-k", "-m") for w in (k, v)]


def shard_key(run: Run) -> tuple:
    """A run as its shards and selections share it: the command without its test selection,
    the environment without the shard variables, the config entry it runs (a listed config's run:
    the config file it runs, not the list that named it, which names others too)."""
    return (tuple(_without_selection(run.chosen or run.argv)), tuple(sorted(item for item in run.env if item[0] not in SHARD_VARIABLES)),
            run.entry.identity if run.entry is not None else None)  # one config list's entries share a command


def shard_index(head) -> dict[tuple, list[tuple[list[str], str]]]:
    """(shard_key, platform) -> [(selection, subject)] over every test run of `head`, and
    (system, file, key) -> platforms of its jobs.  Kept while the inventory lives: each lost
    variant asks it."""
    return store.derived(head, "shard_index", _shard_index)


def _shard_index(head) -> dict[tuple, list[tuple[list[str], str]]]:
    index: dict = {}
    for subject, runs in head.runs_by_subject.items():
        for run in runs:
            index.setdefault((shard_key(run), run.platform), {})[(tuple(_selection(run.argv)), subject)] = None
    index = {key: [(list(sel), subject) for sel, subject in found] for key, found in index.items()}
    for job in head.jobs:
        index.setdefault((job.system, job.file, job.key), set()).add(job.platform)
    return index


def recut(run: Run, base, head) -> dict[tuple, tuple[str, ...]]:
    """How head runs `run`'s command on the platform it ran on, or where its job runs now:
    selection without shards -> the subjects of an unsharded run or a whole set of shards
    (sets left incomplete are not there)."""
    index = shard_index(head)
    job = base.jobs_by_id.get(run.job_id)
    platforms = [run.platform] + sorted(index.get((job.system, job.file, job.key), set()) - {run.platform} if job else [])
    wanted = _selection(run.argv)
    others = _options(wanted)
    pieces: dict[tuple, dict[str, str]] = {}  # (selection without shards, count, first) -> index -> subject
    for platform in platforms:
        for selection, subject in index.get((shard_key(run), platform), ()):
            if platform != run.platform and not _new_there(subject, platform, base, head):
                continue  # its job moved onto machines that already ran this: the move gains nothing
            rest = _unsharded(selection)
            kept, left_out = _options(rest)
            if kept != others[0] or not left_out <= others[1]:  # a piece may leave out less, never more
                continue
            shard = _shard_of(selection) or ("1", "0", 0)
            pieces.setdefault((rest,) + shard[0::2], {})[shard[1]] = subject
    whole = {}
    for (rest, count, first), shards in pieces.items():
        if any(i.startswith("$") for i in shards) or not count.isdigit():
            whole[rest] = tuple(shards.values())  # indices known only at run time: no claim of a loss
        elif {str(i) for i in range(first, first + int(count))} <= set(shards):
            whole.setdefault(rest, tuple(shards[str(i)] for i in range(first, first + int(count))))
    return whole


def swept(run: Run, head) -> tuple[ConfigEntry, ...]:
    """The config entries under which head runs `run`'s very command on its platform, when
    `run` came from no entry: the command is now run once per config by a sweep (a loop
    over an array that sets each entry's variables), the same test with other values."""
    if run.entry is not None:
        return ()
    return tuple(store.derived(head, "swept_index", _swept_index).get((run.argv, run.platform), ()))


def _swept_index(head) -> dict[tuple, dict[ConfigEntry, None]]:
    """(argv, platform) -> the config entries head runs that command under."""
    index: dict = {}
    for runs in head.runs_by_subject.values():
        for now in runs:
            if now.entry is not None:
                index.setdefault((now.argv, now.platform), {})[now.entry] = None
    return index


def edited_in_job(run: Run, base, head, matched) -> tuple[str, ...] | None:
    """The command the job that made `run` runs instead at head, when it was edited in
    place: the head job that is the same job runs a command its base self did not, written
    in the same file, with the same program and every path `run` named, and most of its
    words (an argument added, removed or given another value).  None when there is none."""
    if matched is None or run.job_id not in matched:
        return None
    job = matched[run.job_id]
    had = {r.argv for r in base.outcomes[run.job_id].runs}
    selected = set(_selection(run.argv))
    best, score = None, 0.5
    for now in head.outcomes[job.id].runs:
        if now.argv in had or now.platform != run.platform or now.location.path != run.location.path:
            continue
        if _program(now.argv) != _program(run.argv) or not _kept_paths(run.argv, base, head, set(now.argv)):
            continue
        if not set(_selection(now.argv)) <= selected:
            continue  # a selection or exclusion added (`--ignore`, `-k`): it may run less, not an edit
        shared = _jaccard(run.argv, now.argv)
        if shared >= score:
            best, score = now.argv, shared
    return best


def narrower_cut(runs: list[Run], base, head) -> str | None:
    """Why lost runs are lost when head still runs their command where they ran, but cut
    to a selection that leaves tests out: a sentence, or None."""
    for run in runs:
        whole = recut(run, base, head)
        if whole:
            was = " ".join(_selection(run.argv)) or "everything"
            now = "; ".join(" ".join(rest) or "everything" for rest in whole)
            return (f"where it ran ({run.platform}, or where its job runs now) the same command now selects only "
                    f"`{now}`, which leaves out tests that `{was}` selected.")
    return None


def _new_there(subject: str, platform: str, base, head) -> bool:
    """Whether head runs `subject` on `platform` in a way base did not."""
    had = {r.variant for r in base.runs_by_subject.get(subject, ())}
    return any(r.platform == platform and r.variant not in had for r in head.runs_by_subject.get(subject, ()))


def resharded(run: Run, base, head) -> tuple[str, ...]:
    """The head subjects that together run what `run` ran when only how it is cut changed
    (a shard count, sharding added or removed, a `-k` split of it): the same command on the
    platform it ran on, or where its job runs now, as unsharded runs or whole sets of shards
    whose selections cover its own.  Empty when they do not (a shard set left incomplete,
    a selection that leaves tests out, a command head runs nowhere there)."""
    whole = recut(run, base, head)
    if not whole or not _covers(_chosen(_selection(run.argv)), [_chosen(rest) for rest in whole], strict=True):
        return ()
    return tuple(dict.fromkeys(s for subjects in whole.values() for s in subjects))


def _resharded(old: str, runs: list[Run], base, head) -> Succession | None:
    """A command whose runs head makes in other shards (a count changed, sharding added or
    removed) on the platforms they ran on, whether or not they ran at base (another job
    may have run them already): split, covered."""
    found = [resharded(run, base, head) for run in runs]
    if not all(found):
        return None
    every = tuple(dict.fromkeys(s for subjects in found for s in subjects))
    new = tuple(s for s in every if s != old)
    if not new:
        return None
    return Succession(old, new, "split", shard_detail(every, head), True)


def shard_detail(subjects, head) -> str:
    """The selections of shards, as a succession shows them."""
    selections = [_selection(_argv(head.runs_by_subject[s])) for s in subjects if head.runs_by_subject.get(s)]
    return "; ".join(" ".join(sel) or "(everything)" for sel in selections)


def successor_entry(entry: ConfigEntry, base, head, words=str.split, strict: bool = False) -> ConfigEntry | None:
    """The head entry written where `entry` was (same script and array, a neighbour or the
    position kept, `words` shared) whose text base does not define: `entry`, edited.
    `strict`: only in its place, sharing most words."""
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
        shared = _jaccard(words(entry.text), words(candidate.text))
        placed = bool(neighbours & around) or at == index
        value = shared + (0.5 if placed else 0.0)
        close = placed and shared >= 0.6 if strict else shared >= 0.6 or (placed and shared >= 0.25)
        if close and value > score:
            best, score = candidate, value
    return best


def _command_succession(old: str, runs: list[Run], candidates: list[str], new: dict[str, list[Run]], base=None,
                        head=None) -> Succession | None:
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
        if base is not None and head is not None and not _kept_paths(old_argv, base, head, set(_argv(new[candidate]))):
            continue  # a test path dropped: not an edit that keeps what it ran
        if shared >= 0.5 and shared > score:
            best, score = candidate, shared
    if best is None:
        return None
    return Succession(old, (best,), "edited", word_diff(old, best))


def _covers(base: list[str], shards: list[list[str]], strict: bool = False) -> bool:
    """Whether the shards together select everything `base` selected: `-k` expressions as
    boolean formulas over their terms, `--shard-id`/`--num-shards` by the indices present."""
    pairs = lambda sel: dict(zip(sel[0::2], sel[1::2]))  # noqa: E731
    counts = {pairs(s).get("--num-shards") for s in shards}
    if any("--shard-id" in pairs(s) for s in shards):
        if len(counts) != 1 or not str(next(iter(counts))).isdigit():
            return True  # shard count not known statically: cannot tell, no claim of a loss
        total = int(next(iter(counts)))
        ids = {pairs(s).get("--shard-id") for s in shards}
        if not (all(i.startswith("$") for i in ids if i) or {str(i) for i in range(total)} <= ids):
            return False
        base, shards = list(_unsharded(base)), [list(_unsharded(s)) for s in shards]  # a whole set: what it selects
    others = lambda sel: [w for k, v in zip(sel[0::2], sel[1::2]) if k not in ("-k", "-m") for w in (k, v)]  # noqa: E731
    if any(others(s) != others(base) for s in shards):
        return True  # other options edited too: no claim
    def combined(sel) -> str:  # `-k` and `-m` together: a piece runs what both select
        parts = []
        for option in ("-k", "-m"):
            expr = pairs(sel).get(option)
            if expr:
                parts.append("(" + " ".join(t if t in OPERATORS else f"{option}:{t}" for t in TOKEN.findall(expr)) + ")")
        return " and ".join(parts)
    return _implies(combined(base) or None, [combined(s) for s in shards], strict)


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
TOKEN = re.compile(r"[^\s()]+\([^()]*\)|\(|\)|[^\s()]+")  # a marker call (`split(group=0)`) is one term


def _implies(base: str | None, exprs: list[str], strict: bool = False) -> bool:
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
        return not strict  # too many terms to enumerate: no claim (strict: no proof of cover either)
    try:
        formulas = [compile(c, "<selection>", "eval") for c in compiled]
        for values in itertools.product((False, True), repeat=len(terms)):
            scope = {f"t{i}": v for i, v in enumerate(values)}
            if eval(formulas[0], {"__builtins__": {}}, scope) and not any(eval(f, {"__builtins__": {}}, scope) for f in formulas[1:]):
                return False
    except (SyntaxError, NameError, TypeError):
        return not strict
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


def _kept_paths(argv, base, head, now) -> bool:
    """Every repository path `argv` named at base is in `now`, or no longer exists at head
    (moved or deleted with the edit: the new command names where it went)."""
    return all(path in now or not (head.snapshot.exists(path.split("::", 1)[0]) or head.snapshot.is_dir(path.rstrip("/")))
               for path in _paths(argv, base.snapshot))


def _paths(argv, snapshot) -> set[str]:
    """The words of a command that name repository paths (its test files and directories);
    not model names or paths outside the repository."""
    return {w for w in argv if "/" in w and not w.startswith("-") and not is_assignment(w)
            and (snapshot.exists(w.split("::", 1)[0]) or snapshot.is_dir(w.rstrip("/")))}


def _jaccard(a, b) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def _entry(runs: list[Run]) -> ConfigEntry | None:
    return next((r.entry for r in runs if r.entry is not None), None)

