"""The interpreter's per-node memos (compiled words, command and assignment shapes) are
reused across expansions and give what a fresh computation gives."""

from __future__ import annotations

from coverage_diff.context import Context
from coverage_diff.shell import syntax, wordplan
from coverage_diff.shell.parse import parse_text

from .helpers import argvs, interpret

SWEEP = """\
#!/bin/bash
configs=(
  "MODEL=a TP=1"
  "MODEL=b TP=2"   # long context
)
run() {
  local label=$1
  for cfg in "${configs[@]}"; do
    read -r -a parts <<< "$cfg"
    env "${parts[@]}" bash run_one.sh --label "${label}" ~/x 'lit' "a"'b' tests/*.py
  done
}
label=plain
if [[ -n "${FAST:-}" ]]; then
  label=fast
fi
label+=" + more"
echo "$label" > /dev/null
run "$label"
"""
RUN_ONE = """\
MODEL=${MODEL:-"q/Q"}
for m in $MODEL; do
  TEST_MODEL=$m python3 -m pytest tests/test_x.py --tp "$TP" "$@" "${HOME}"
done
"""
FILES = {"sweep.sh": SWEEP, "run_one.sh": RUN_ONE, "tests/test_x.py": "", "tests/test_y.py": ""}


def memos(context: Context) -> list[dict]:
    """The per-node memos a context's caches hold: word plans, then some shapes."""
    nodes = context.shell.nodes
    return [*(nodes[key][0] for key in wordplan.PLANS),
            *(nodes[fn][0] for fn in (syntax.statements, syntax.if_clauses, syntax.redirects_of,
                                      syntax.command_shape, syntax.assignment_shape, syntax.expansion_shape))]


def outcome_key(outcome):
    return outcome.runs, outcome.conditions, outcome.reads, outcome.incomplete, outcome.scripts, outcome.steps


def test_memos_are_reused_and_give_the_fresh_result():
    shared = Context()  # as the engine's session shares one between jobs: the same trees, so the same nodes
    first = interpret(FILES, "bash sweep.sh", env={"HOME": "/home/u"}, context=shared)
    sizes = [len(m) for m in memos(shared)]
    plans = dict(memos(shared)[0])
    assert all(sizes[2:]) and sizes[0], sizes  # every memo was used (words in quotes compile with their string)
    again = interpret(FILES, "bash sweep.sh", env={"HOME": "/home/u"}, context=shared)
    assert [len(m) for m in memos(shared)] == sizes  # nothing compiled twice
    assert all(memos(shared)[0][node] is plan for node, plan in plans.items())
    assert outcome_key(again) == outcome_key(first)
    alone = interpret(FILES, "bash sweep.sh", env={"HOME": "/home/u"})  # a context of its own: memos of its own
    assert outcome_key(alone) == outcome_key(first) and [len(m) for m in memos(shared)] == sizes
    assert argvs(first) == [
        f"python3 -m pytest tests/test_x.py --tp {tp} --label plain + more /home/u/x lit ab tests/test_x.py tests/test_y.py /home/u"
        for tp in (1, 2)]
    world = Context()  # and the open world, which forks on every unknown
    opened = [interpret(FILES, "bash sweep.sh", open_world=True, context=world) for _ in range(2)]
    assert outcome_key(opened[0]) == outcome_key(opened[1])


def word(text: str):
    """The first argument word of `echo <text>`, parsed."""
    tree = parse_text(f"echo {text}\n")
    return syntax.command_shape(tree.root_node.named_children[0])[2][1]


def test_a_literal_word_keeps_its_fields_and_a_glob_or_expansion_does_not():
    files = {"a.py": "", "b.py": ""}
    literal, glob, var = word("'x y'z"), word("*.py"), word('"$X"')
    assert wordplan.word_plan(literal, False).fixed
    assert not wordplan.word_plan(glob, False).fixed  # matches depend on the directory and the options
    assert wordplan.word_plan(var, False).static is None
    out = interpret(files, "tool 'x y'z *.py \"$X\"", env={"X": "v"})
    assert [r.argv for r in out.runs] == [("tool", "x yz", "a.py", "b.py", "v")]


def test_val_init_is_the_dataclass_one_and_values_stay_frozen():
    """`Val.__init__` is written by hand for speed: it must take every field, in order, with
    the dataclass's defaults, and a value must still refuse to change."""
    import dataclasses
    import inspect

    import pytest

    from coverage_diff.shell.values import Val

    fields = dataclasses.fields(Val)
    params = list(inspect.signature(Val.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params[1:]] == [f.default for f in fields[1:]]
    v = Val("x", None, frozenset({"X"}), "$X", True)
    assert vars(v) == {"text": "x", "entry": None, "sources": frozenset({"X"}), "origin": "$X", "nonempty": True}
    assert dataclasses.replace(v, origin="") == Val("x", None, frozenset({"X"}), "", True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.text = "y"


def test_a_full_memo_starts_again_and_changes_nothing(monkeypatch):
    unbounded, context = Context(), Context()
    found = interpret(FILES, "bash sweep.sh", env={"HOME": "/home/u"}, context=unbounded)
    assert max(len(m) for m in memos(unbounded)) > 3
    monkeypatch.setattr(syntax, "MAX_MEMO", 3)
    bounded = interpret(FILES, "bash sweep.sh", env={"HOME": "/home/u"}, context=context)
    assert max(len(m) for m in memos(context)) <= 3
    assert outcome_key(bounded) == outcome_key(found)


def test_a_memo_by_node_id_never_answers_for_a_later_tree():
    """Trees belong to whoever parsed them (a session's caches, or no one), and a tree parsed
    after another was dropped may be laid out in its memory, node ids included.  A memo keyed
    by node id holds the nodes it answers for, so each new tree gets answers of its own."""
    from coverage_diff.shell.conditions import comparison

    caches, found = Context().shell, []
    for i in range(300):
        tree = parse_text(f'[[ "$X" == value{i} ]]\n')  # kept by no one once the next is parsed
        found.append(comparison(tree.root_node.named_children[0], caches).operand)
    assert found == [f"value{i}" for i in range(300)]
    assert len(caches.nodes[comparison][0]) == 300
