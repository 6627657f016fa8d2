"""Property-based fuzzing (issue 7): random and mutated YAML for each CI system,
random bash-like token soups and mutated real sweep scripts.  Whatever comes in,
the front-ends and the interpreter return data (never raise), stay within the
caps, and every location they report names a file of the snapshot.  Issue 20 adds
random settings for both sides of a diff (the head never weakens the base's) and
random fan-out shapes (extends, !reference, reusable workflows, composite actions,
matrix x parallelism), which stay within the per-file budget; `case` statements, whose
arm index must find what testing each arm in turn finds; a clock that ends the
revision's budget after any number of looks; glob patterns and `=~` regexes, which agree
with a backtracking engine on short values and finish on the long values that make one
take exponential time; and `case` statements on values not known statically in loops.

A short run is part of the normal suite; `make fuzz-hostile` runs the same
properties with HOSTILE_FUZZ_EXAMPLES examples each (>= 10,000 in total).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hostile_cases import BASE_SWEEP, CI_CONFIG, HEAD_SWEEP

from coverage_diff.ci import buildkite, github_actions, gitlab
from coverage_diff.config import Settings
from coverage_diff.engine.build import build_inventory
from coverage_diff.model import Command, Job, Location
from coverage_diff.shell import interpret_job, script_definitions
from coverage_diff.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "60"))
LONG_RUN = "HOSTILE_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # no wall-clock assertions: the caps bound the work
    derandomize=not LONG_RUN,  # the suite is reproducible; the long run explores
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
CAPS = Settings(max_paths=16, max_depth=6, max_loop=20, max_steps=4000, max_file_bytes=200_000)

# --------------------------------------------------------------------------- mutation
NOISE = st.text(alphabet=":-[]{}&*!|>'\"%@`#$\\ \t\n\r\x00\x1b\ufeffa0", max_size=6)


@st.composite
def mutated(draw, text: str) -> str:
    """`text` with a few random edits: cut, duplicate, insert noise, swap lines, re-indent."""
    for _ in range(draw(st.integers(0, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i, min(len(text), i + 40)))
        edit = draw(st.sampled_from(["cut", "dup", "insert", "swap", "indent"]))
        if edit == "cut":
            text = text[:i] + text[j:]
        elif edit == "dup":
            text = text[:j] + text[i:j] + text[j:]
        elif edit == "insert":
            text = text[:i] + draw(NOISE) + text[i:]
        elif edit == "swap":
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        else:
            lines = text.split("\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines[k] = " " * draw(st.integers(0, 5)) + lines[k].lstrip()
            text = "\n".join(lines)
    return text


# --------------------------------------------------------------------------- YAML documents for each CI system
SHELLISH = st.sampled_from([
    "pytest t.py", "bash pd/sweep.sh", "SW_ATTN=1 bash pd/sweep.sh", "source pd/sweep.sh", "echo $X", "$$Y",
    "cd .. && bash x.sh", "eval \"$Z\"", "for i in 1 2; do pytest $i; done", "{{matrix}}", "{{matrix.os}}",
    "${{ matrix.py }}", "${{ inputs.x }}", "!reference [a, b]", "if [[ -n \"$A\" ]]; then pytest; fi", "'", "\"",
])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 2000), st.text(max_size=12), SHELLISH)
KEYS = {
    "buildkite": ["steps", "label", "key", "commands", "command", "env", "group", "depends_on", "matrix", "setup",
                  "adjustments", "with", "skip", "parallelism", "working_dir", "source_file_dependencies", "optional",
                  "mirror", "amd", "device", "plugins", "agents", "if", "branches", "soft_fail", "num_devices",
                  "wait", "block", "trigger"],
    "github": ["on", "jobs", "steps", "run", "uses", "with", "env", "strategy", "matrix", "include", "exclude",
               "runs-on", "needs", "if", "defaults", "working-directory", "shell", "workflow_call", "inputs",
               "pull_request", "paths", "push", "schedule"],
    "gitlab": ["stages", "stage", "script", "before_script", "after_script", "variables", "extends", "include",
               "rules", "if", "changes", "when", "parallel", "matrix", "default", "image", "only", "except",
               "local", "needs", "workflow", ".hidden"],
}
PATHS = {
    "buildkite": [".buildkite/test_areas/fuzz.yaml", ".buildkite/pipeline.yml"],
    "github": [".github/workflows/fuzz.yml"],
    "gitlab": [".gitlab-ci.yml"],
}


def documents(system: str):
    keys = st.sampled_from(KEYS[system]) | st.text(min_size=1, max_size=8)
    values = st.recursive(
        SCALAR,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=30,
    )
    return st.dictionaries(keys, values, max_size=6)


def yaml_text(system: str):
    dumped = documents(system).map(lambda doc: yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return dumped.flatmap(lambda text: st.one_of(st.just(text), mutated(text)))


def snapshot_with(files: dict[str, str | bytes]) -> Snapshot:
    base = {".buildkite/ci_config.yaml": CI_CONFIG, "tests/pd/sweep.sh": HEAD_SWEEP,
            "tests/pd/run_accuracy.sh": "#!/bin/bash\npytest pd/test_accuracy.py\n"}
    return Snapshot.from_files("fuzz", {**base, **files})


def assert_well_formed(snapshot: Snapshot, items) -> None:
    for item in items:
        location = item.location
        assert isinstance(location, Location)
        assert location.path in snapshot.files, location
        assert location.line >= 0


FRONT_ENDS = {"buildkite": buildkite, "github": github_actions, "gitlab": gitlab}


def check_front_end(system: str, path: str, text: str) -> None:
    snapshot = snapshot_with({path: text})
    result = FRONT_ENDS[system].jobs(snapshot, CAPS)
    assert_well_formed(snapshot, result.diagnostics)
    assert_well_formed(snapshot, result.incomplete)
    for job in result.jobs:
        assert job.file in snapshot.files
        assert all(isinstance(c.text, str) for c in job.commands)
    assert len(result.jobs) <= 100_000


@FUZZ
@given(st.sampled_from(PATHS["buildkite"]), yaml_text("buildkite"))
def test_buildkite_front_end_never_raises(path, text):
    check_front_end("buildkite", path, text)


@FUZZ
@given(yaml_text("github"))
def test_github_actions_front_end_never_raises(text):
    check_front_end("github", PATHS["github"][0], text)


@FUZZ
@given(yaml_text("gitlab"))
def test_gitlab_front_end_never_raises(text):
    check_front_end("gitlab", PATHS["gitlab"][0], text)


@FUZZ
@given(st.sampled_from(sorted(FRONT_ENDS)), st.binary(max_size=300))
def test_front_ends_take_raw_bytes(system, data):
    check_front_end(system, PATHS[system][0], data)


# --------------------------------------------------------------------------- shell
TOKENS = [
    "if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while", "until", "case", "esac", ";;", ";&",
    "(", ")", "{", "}", "[[", "]]", "[", "]", "$(", "`", '"', "'", "${", "${X:-a}", "${!arr[@]}", '"${arr[@]}"',
    "${#arr[@]}", "${X//a/b}", "${X#*=}", "$((", "))", "1+2", "2**62", "<<EOF", "EOF", "<<<", "|", "||", "&&", ";",
    "&", "\n", "\n", "source", ".", "eval", "bash", "sh", "-c", "export", "local", "declare -a", "read -r -a",
    "f()", "f", "return", "exit", "set -e", "pytest", "python3", "env", "A=1", "X=", "arr=(", "arr+=(", "$1", "$@",
    "shift", "cd", "..", "/", "pd/sweep.sh", "pd/fuzz.sh", "{1..9}", "$RANDOM", "break", "continue", "!", "==", "=~",
    "-n", "-z", "-f", "*", "?", "~", "\\", "#", "$'\\e[2J'", "SW_ATTN", "configs", "cfg", "--flag",
]
SOUP = st.lists(st.sampled_from(TOKENS) | st.text(alphabet="abcxyz_=-./$ ", max_size=5), max_size=60).map(" ".join)
SWEEPS = [BASE_SWEEP, HEAD_SWEEP]
_FIXTURE_SWEEP = ROOT / "fixtures/vllm_pd_split/head/tests/v1/kv_connector/nixl_integration/config_sweep_accuracy_test.sh"
if _FIXTURE_SWEEP.exists():
    SWEEPS.append(_FIXTURE_SWEEP.read_text())
SCRIPTS = SOUP | st.sampled_from(SWEEPS).flatmap(mutated)


def job(*commands: str) -> Job:
    return Job(system="buildkite", file=".buildkite/test_areas/fuzz.yaml", key="fuzz", label="fuzz",
               location=Location(".buildkite/test_areas/fuzz.yaml", 1), working_dir="tests",
               commands=tuple(Command(c, Location(".buildkite/test_areas/fuzz.yaml", i + 5)) for i, c in enumerate(commands)))


def check_interpreter(snapshot: Snapshot, the_job: Job) -> None:
    outcome = interpret_job(the_job, snapshot, CAPS)
    assert_well_formed(snapshot, outcome.diagnostics)
    assert_well_formed(snapshot, outcome.incomplete)
    assert_well_formed(snapshot, outcome.runs)
    assert len(outcome.runs) <= CAPS.max_steps  # every run costs at least one step
    for run in outcome.runs:
        assert all(isinstance(word, str) for word in run.argv)


@FUZZ
@given(SCRIPTS, SOUP)
def test_interpreter_on_scripts_never_raises(script, other):
    snapshot = snapshot_with({"tests/pd/fuzz.sh": script, "tests/pd/other.sh": other,
                              ".buildkite/test_areas/fuzz.yaml": "steps: []\n"})
    check_interpreter(snapshot, job("bash pd/fuzz.sh", "SW_ATTN=1 source pd/fuzz.sh a b", "bash pd/other.sh"))
    definitions = script_definitions("tests/pd/fuzz.sh", snapshot, CAPS)
    assert_well_formed(snapshot, definitions.entries)
    assert_well_formed(snapshot, definitions.diagnostics)


@FUZZ
@given(SOUP)
def test_interpreter_on_job_commands_never_raises(command):
    snapshot = snapshot_with({".buildkite/test_areas/fuzz.yaml": "steps: []\n"})
    check_interpreter(snapshot, job(command, "bash pd/sweep.sh"))


@FUZZ
@given(st.sampled_from(PATHS["buildkite"]), yaml_text("buildkite"), SCRIPTS)
def test_whole_inventory_never_raises(path, text, script):
    snapshot = snapshot_with({path: text, "tests/pd/fuzz.sh": script})
    inventory = build_inventory(snapshot, CAPS)
    assert_well_formed(snapshot, inventory.diagnostics)
    assert_well_formed(snapshot, inventory.incomplete)
    assert len(inventory.runs) <= CAPS.max_steps * max(len(inventory.jobs), 1)


# --------------------------------------------------------------------------- settings (issue 20)
from contextlib import contextmanager  # noqa: E402

from hostile_cases import composite_actions, gitlab_extends, gitlab_references, reusable_workflows  # noqa: E402

from coverage_diff.ci import budget  # noqa: E402
from coverage_diff.config import CEILINGS, INCOMPLETE_LEVELS, SHRINK_ONLY, ConfigError, for_diff, settings_from_mapping, stricter  # noqa: E402

SETTING_NAMES = [f.replace("_", "-") for f in Settings.__dataclass_fields__]
SETTING_VALUE = st.one_of(st.integers(-3, 2**63 - 1), st.integers(0, 5000), st.booleans(), st.text(max_size=8),
                          st.sampled_from(["never", "downgraded", "budget", "cut"]),
                          st.lists(st.sampled_from(["silently-dropped", "narrowed", "pytest", "bash", "SW_ATTN", "HOME",
                                                    "tests/**", "*.yml", ""]) | st.text(max_size=6), max_size=5))
SETTINGS_DOC = st.dictionaries(st.sampled_from(SETTING_NAMES), SETTING_VALUE, max_size=8)


def read_settings(doc: dict) -> Settings:
    try:
        return settings_from_mapping(doc, "fuzz.toml")
    except ConfigError:
        return Settings()  # an invalid file stops the command (exit 2); no settings come from it


@FUZZ
@given(SETTINGS_DOC, SETTINGS_DOC)
def test_head_settings_never_weaken_the_base(base_doc, head_doc):
    base, head = read_settings(base_doc), read_settings(head_doc)
    for side in (base, head):
        assert all(getattr(side, cap) <= ceiling for cap, ceiling in CEILINGS.items())
    merged = for_diff(base, head)
    for name in Settings.__dataclass_fields__:
        value = getattr(merged, name)
        if name in CEILINGS:
            assert getattr(base, name) <= value <= CEILINGS[name]
        elif name in SHRINK_ONLY:
            assert set(value) <= set(getattr(base, name)) and set(value) <= set(getattr(head, name))
        elif name == "fail_on_incomplete":  # the gate for cut parts: the head may only make it stricter
            assert value == stricter(base.fail_on_incomplete, head.fail_on_incomplete)
            assert INCOMPLETE_LEVELS.index(value) >= INCOMPLETE_LEVELS.index(base.fail_on_incomplete)
        else:
            assert value == getattr(base, name)


# --------------------------------------------------------------------------- front-end fan-out (issue 20)
LOW_BUDGET = 400  # units per file in these runs: each example stays cheap, and big shapes still exhaust it


@contextmanager
def budget_of(units: int):
    kept = budget.MAX_UNITS
    budget.MAX_UNITS = units
    try:
        yield
    finally:
        budget.MAX_UNITS = kept


def fan_out(shape: str, width: int, depth: int, matrix: int, shards: int) -> tuple[str, dict, int]:
    """(system, files, the work the shape asks for) of one fan-out shape."""
    if shape == "extends":
        return "gitlab", {".gitlab-ci.yml": gitlab_extends(width, depth)}, width ** (depth - 1)
    if shape == "references":
        return "gitlab", {".gitlab-ci.yml": gitlab_references(width, depth)}, width ** (depth - 1)
    if shape == "reusable":
        return "github", reusable_workflows(width, depth), width ** depth
    if shape == "composite":
        return "github", composite_actions(width, depth), width ** depth
    values = ", ".join(f"v{i}" for i in range(matrix))
    text = f"steps:\n  - label: m\n    command: pytest m.py {{{{matrix}}}}\n    matrix: [{values}]\n    parallelism: {shards}\n"
    return "buildkite", {".buildkite/pipeline.yml": text}, matrix * shards


@FUZZ
@given(st.sampled_from(["extends", "references", "reusable", "composite", "matrix"]), st.integers(1, 8),
       st.integers(2, 10), st.integers(1, 1024), st.integers(1, 1024))
def test_front_end_fan_out_stays_within_the_budget(shape, width, depth, matrix, shards):
    system, files, work = fan_out(shape, width, depth, matrix, shards)
    snapshot = snapshot_with(files)
    with budget_of(LOW_BUDGET):
        result = FRONT_ENDS[system].jobs(snapshot, CAPS)
    assert_well_formed(snapshot, result.diagnostics)
    assert len(result.jobs) <= LOW_BUDGET
    exhausted = [d for d in result.diagnostics if "fans out to more than" in d.message]
    if work > 2 * LOW_BUDGET:
        assert exhausted, f"{shape} {width}x{depth} asks for {work} and was not stopped"
    assert all(d.location.line >= 1 for d in exhausted)


# --------------------------------------------------------------------------- case arms and the clock (issue 20)
import itertools  # noqa: E402
from unittest import mock  # noqa: E402

from coverage_diff import deadline  # noqa: E402
from coverage_diff.context import Context  # noqa: E402
from coverage_diff.shell import control  # noqa: E402

WORDS = st.sampled_from(["a", "b", "ab", "a.b", "x1", ""])
PATTERN = st.lists(st.sampled_from(["a", "b", "ab", "*", "?", "[ab]", "[!a]", '"*"', "'a'", "\\*", "x1", "a.b", '""']),
                   min_size=1, max_size=3).map("".join)
ARM = st.tuples(st.lists(PATTERN, min_size=1, max_size=3).map(" | ".join), st.sampled_from([";;", ";;", ";&", ";;&"]))


def case_script(subjects: list[str], arms: list[tuple[str, str]], extglob: bool) -> str:
    body = "".join(f"    {patterns}) pytest arm_{i}.py \"$s\" {term}\n" for i, (patterns, term) in enumerate(arms))
    values = " ".join(f'"{s}"' for s in subjects)
    return (("shopt -s extglob\n" if extglob else "") + f"for s in {values}; do\n  case \"$s\" in\n{body}  esac\n"
            "  pytest after.py \"$s\"\ndone\n")


@FUZZ
@given(st.lists(WORDS, min_size=1, max_size=4), st.lists(ARM, min_size=1, max_size=8), st.booleans())
def test_the_case_arm_index_finds_the_arms_testing_each_in_turn_finds(subjects, arms, extglob):
    """A value known statically goes to its arm through the index of literal patterns; the
    runs and conditions are those of testing every arm in order (the index turned off)."""
    snapshot = snapshot_with({"tests/pd/case.sh": case_script(subjects, arms, extglob)})
    the_job = job("bash pd/case.sh")
    indexed = interpret_job(the_job, snapshot, CAPS)
    with mock.patch.object(control, "first_arm", lambda interp, arms, start, *_: (start, False)):
        in_turn = interpret_job(the_job, snapshot, CAPS)
    assert [r.argv for r in indexed.runs] == [r.argv for r in in_turn.runs]
    assert set(indexed.conditions) == set(in_turn.conditions)
    assert indexed.incomplete == in_turn.incomplete


@FUZZ
@given(st.sampled_from(PATHS["buildkite"]), yaml_text("buildkite"), SCRIPTS, st.integers(0, 40))
def test_a_revision_cut_by_the_clock_anywhere_is_still_well_formed(path, text, script, reads):
    """The wall-clock budget runs out after `reads` looks at the clock: whatever was being read
    or interpreted then, the inventory is data, every entry names a file, and the cut is said once."""
    snapshot = snapshot_with({path: text, "tests/pd/fuzz.sh": script,
                              ".buildkite/test_areas/many.yaml": "steps:\n" + "".join(
                                  f"  - label: m{i}\n    commands: [bash pd/fuzz.sh, pytest m{i}.py]\n" for i in range(5))})
    ticks = itertools.count()
    context = Context()
    with mock.patch.object(deadline, "clock", lambda: float(next(ticks))):
        inventory = build_inventory(snapshot, CAPS.replace(max_seconds=reads + 1), context=context)
    assert_well_formed(snapshot, inventory.diagnostics)
    assert_well_formed(snapshot, inventory.incomplete)
    cut = [i for i in inventory.incomplete if i.reason.startswith(deadline.REASON)]
    said = [d for d in inventory.diagnostics if "max-seconds" in d.message]
    assert len(said) == (1 if cut else 0)
    assert context.watch.running is None  # the budget ends with the revision
    assert context.watch.passed or not cut  # a cut is known to the session's watch (its cache stores nothing more)


# --------------------------------------------------------------------------- globs and regexes (issue 20)
import fnmatch  # noqa: E402
import re  # noqa: E402

from coverage_diff.shell import ere, patterns  # noqa: E402

GLOB = st.lists(st.sampled_from(["a", "b", "*", "?", "[ab]", "[!a]", "**", "*a*"]), max_size=10).map("".join)
SHORT = st.text(alphabet="ab", max_size=12)
# Long values past which a backtracking engine takes exponential time on these shapes.
LONG = st.builds(lambda n, tail: "a" * n + tail, st.integers(30, 300), st.sampled_from(["", "b", "ba"]))


@FUZZ
@given(GLOB, SHORT, LONG, st.integers(1, 40))
def test_globs_match_as_fnmatch_does_and_finish_on_long_values(glob, short, long, stars):
    """The linear glob matcher (`case`, `[[ == ]]`, `${x##}`) agrees with fnmatch on short
    values, and a pattern of up to 40 stars on a value of 300 characters still returns."""
    assert patterns.matches(short, ((glob, False),)) == fnmatch.fnmatchcase(short, glob), (glob, short)
    hostile = "*a" * stars + "*b"
    enough = stars <= long.count("a")  # the value's a's all come before its b
    assert patterns.matches(long, ((hostile, False),)) == (long.endswith("b") and enough)
    stripped = long[long.rfind("b") + 1:] if "b" in long and enough else long  # ${long##pattern}
    assert patterns.strip(long, ((hostile, False),), suffix=False, longest=True) == stripped


ERE = st.lists(st.sampled_from(["a", "b", "(a+)+", "(a|aa)*", "a*", "b?", ".", "[ab]", "(a|b)", "a{2,3}", "^", "$", "+"]),
               max_size=6).map("".join)


@FUZZ
@given(ERE, SHORT, LONG)
def test_regexes_agree_with_a_backtracking_engine_and_finish_on_long_values(rx, short, long):
    """`=~` (RE2, linear) finds a match where Python's `re` does on short values, and returns on
    the values that make `^(a+)+$` backtrack for hours; a pattern RE2 or we cannot read is unknown."""
    compiled = ere.compile_ere(((rx, False),))
    if compiled is None:
        return  # the test is then unknown (both outcomes kept), never a guess
    if re.search(r"[+*?}]\+", rx):
        return  # `a++`: a repeated repeat in POSIX, a possessive quantifier in Python 3.11's `re`
    try:
        reference = re.compile(rx)
    except re.error:
        return  # POSIX reads it, Python does not: nothing to compare with
    assert (ere.search(compiled, short) is not None) == (reference.search(short) is not None), (rx, short)
    ere.search(compiled, long)  # returns: no backtracking
    catastrophic = ere.compile_ere((("^(a+)+$", False),))
    assert (ere.search(catastrophic, long) is not None) == (set(long) == {"a"})


@FUZZ
@given(st.integers(1, 60), st.integers(1, 4), st.sampled_from(["same", "vars", "exit"]))
def test_a_case_on_an_unknown_value_in_a_loop_stays_within_the_caps(arms, passes, body):
    """Arms that all go on alike become one path after the `case`; arms that differ or leave
    keep the paths apart within max-paths.  Either way the job ends within its step limit."""
    text = "".join(f"    v{i}) {'X=' + str(i) + '; ' if body == 'vars' else ''}{'exit 1' if body == 'exit' and i == 0 else f'pytest arm_{i}.py'} ;;\n"
                   for i in range(arms))
    script = (f'for i in $(seq 1 {passes}); do\n  case "$(cat arm.txt)" in\n{text}    *) pytest no_arm.py ;;\n  esac\n'
              '  pytest "after_$i.py"\ndone\n')
    snapshot = snapshot_with({"tests/pd/arms.sh": script})
    outcome = interpret_job(job("bash pd/arms.sh"), snapshot, CAPS)
    assert_well_formed(snapshot, outcome.incomplete)
    assert len(outcome.runs) <= CAPS.max_steps
    after = [r for r in outcome.runs if r.argv[:1] == ("pytest",) and r.argv[1].startswith("after_")]
    if body == "same":  # one path after each pass: once per pass, and for certain
        assert [r.argv[1] for r in after] == [f"after_{i}.py" for i in range(1, passes + 1)]
        assert not any(r.assumptions for r in after)
    if body == "exit":  # the first arm may leave: what follows is possible, never certain
        assert after and all(r.assumptions for r in after)
