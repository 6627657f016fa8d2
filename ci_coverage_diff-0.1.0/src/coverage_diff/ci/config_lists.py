"""Config-list files: a test run that names a list of YAML configs runs each of them.

vLLM's lm-eval tests take `--config-list-file=<list>`: each non-blank line not
starting with `#` names a model config (a YAML relative to the list's own
directory), and the test is parametrized over them.  So every line of a list is a
config entry, and a run naming the list reaches each listed config that exists
(missing YAMLs are dropped silently by the conftests).

Where the list is looked up follows the conftests: `tests/evals/*` tries the test
directory first, then the working directory; `.buildkite/lm-eval-harness` uses the
working directory, which is also its test directory.

`apply(outcomes, snapshot)` is the inventory's hook: it splits each run naming a
list into one run per listed config and returns the entries of every list file in
the revision (including lists no job passes, so a model moved there is stranded).
"""

from __future__ import annotations

from dataclasses import replace

from ..model import ConfigEntry, Frame, Location, Run
from ..snapshot import Snapshot, normalize

OPTION = "--config-list-file"
CONFIG_SUFFIXES = (".yaml", ".yml")
MAX_LIST_BYTES = 256_000


def list_option(argv: tuple[str, ...]) -> str | None:
    """The value of `--config-list-file` in a command line, if any."""
    for index, word in enumerate(argv):
        if word.startswith(OPTION + "="):
            return word[len(OPTION) + 1:]
        if word == OPTION and index + 1 < len(argv):
            return argv[index + 1]
    return None


def resolve_list(value: str, run: Run, snapshot: Snapshot) -> str | None:
    """The repository path of the list a run names: next to the tests it runs, then in its cwd."""
    if snapshot.exists(value):
        return normalize(value)  # already a repository path (the interpreter canonicalises paths)
    bases = []
    for word in run.argv[1:]:
        path = normalize(word.split("::", 1)[0])
        if path.endswith(".py") and snapshot.exists(path):
            bases.append(path.rsplit("/", 1)[0] if "/" in path else "")
        elif path and snapshot.is_dir(path) and not word.startswith("-"):
            bases.append(path)
    bases.append(run.cwd)
    for base in dict.fromkeys(bases):
        candidate = normalize(f"{base}/{value}" if base else value)
        if snapshot.exists(candidate):
            return candidate
    return None


def entries_of(path: str, snapshot: Snapshot) -> list[ConfigEntry]:
    """Every config a list file names, one entry per line."""
    out = []
    for number, line in enumerate(snapshot.text(path).split("\n"), start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            out.append(ConfigEntry(text, Location(path, number), path))
    return out


def config_path(entry: ConfigEntry) -> str:
    """The repository path of the YAML an entry names (relative to its list's directory)."""
    directory = entry.array.rsplit("/", 1)[0] if "/" in entry.array else ""
    return normalize(f"{directory}/{entry.text}" if directory else entry.text)


def is_list_file(path: str, snapshot: Snapshot) -> bool:
    """A `.txt` whose every line (comments aside) names a YAML config."""
    if not path.endswith(".txt") or not snapshot.exists(path) or len(snapshot.read(path)) > MAX_LIST_BYTES:
        return False
    lines = [ln.strip() for ln in snapshot.text(path).split("\n")]
    names = [ln for ln in lines if ln and not ln.startswith("#")]
    return bool(names) and all(n.endswith(CONFIG_SUFFIXES) and " " not in n for n in names)


def list_files(snapshot: Snapshot) -> list[str]:
    """Candidate list files: `.txt` files beside YAML configs (cheap path test first)."""
    yaml_dirs = {p.rsplit("/", 1)[0] if "/" in p else "" for p in snapshot.files if p.endswith(CONFIG_SUFFIXES)}
    found = []
    for path in snapshot.files:
        if not path.endswith(".txt"):
            continue
        directory = path.rsplit("/", 1)[0] if "/" in path else ""
        parent = directory.rsplit("/", 1)[0] if "/" in directory else ""
        if (directory in yaml_dirs or parent in yaml_dirs) and is_list_file(path, snapshot):
            found.append(path)
    return sorted(found)


def apply(outcomes: dict, snapshot: Snapshot) -> tuple[dict, dict[str, list[ConfigEntry]]]:
    """(outcomes with runs split per listed config, list file -> its entries)."""
    lists: dict[str, list[ConfigEntry]] = {p: entries_of(p, snapshot) for p in list_files(snapshot)}
    changed = {}
    for job_id, outcome in outcomes.items():
        runs, split = [], False
        for run in outcome.runs:
            value = list_option(run.argv)
            path = resolve_list(value, run, snapshot) if value else None
            if path is None:
                runs.append(run)
                continue
            if path not in lists:
                lists[path] = entries_of(path, snapshot)
            runs += _split(run, lists[path], snapshot)
            split = True
        if split:
            changed[job_id] = replace(outcome, runs=tuple(runs))
    return ({**outcomes, **changed} if changed else outcomes), lists


def _split(run: Run, entries: list[ConfigEntry], snapshot: Snapshot) -> list[Run]:
    """One run per listed config that exists (the conftest drops missing ones), which runs
    that config whichever list named it (`Run.chosen`)."""
    out = []
    for entry in entries:
        path = config_path(entry)
        if not snapshot.exists(path):
            continue
        frame = Frame("entry", entry.location, entry.text)
        chosen = _chosen(run.argv, path)
        if run.entry is None:
            out.append(replace(run, entry=entry, entries=(entry,), path=run.path + (frame,), chosen=chosen))
        else:  # the run already belongs to a sweep's entry: the listed config is reached on the way
            out.append(replace(run, entries=run.entries + (entry,), path=run.path + (frame,), chosen=chosen))
    return out


def _chosen(argv: tuple[str, ...], config: str) -> tuple[str, ...]:
    """`argv` with its `--config-list-file` option replaced by the config file it chose."""
    out: list[str] = []
    words = iter(argv)
    for word in words:
        if word == OPTION:
            next(words, None)
        elif not word.startswith(OPTION + "="):
            out.append(word)
            continue
        out.append(f"--listed-config={config}")
    return tuple(out)

