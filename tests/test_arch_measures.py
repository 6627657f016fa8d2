"""tools/arch_measures.py counts what issue 19 measures, on a small package written here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "arch_measures.py"
PACKAGE = TOOL.parent.parent / "src" / "coverage_diff"


def _tool():
    spec = importlib.util.spec_from_file_location("arch_measures", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("arch_measures", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


FILES = {
    "__init__.py": "",
    "model.py": "from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass Entry:\n    text: str\n",
    # a deferred import that closes a cycle, and an arrow from `model`'s layer up to `report`
    "words.py": "def split(text):\n    from .report import render\n    return render(text)\n",
    "report/__init__.py": ("from ..words import split\n\n\ndef render(text):\n    return text\n\n\n"
                           "def files(settings):\n    return settings.github_globs, 'moved', 'moved'\n"),
    "inventory.py": (
        "from functools import lru_cache\n"
        "from . import parallel\n"
        "from .model import Entry\n\n"
        "KEY = '_memo'\n"
        "_SEEN = {}\n"
        "TABLE = {'a': 1}\n\n\n"
        "class Holder:\n"
        "    def a(self):\n        self.__dict__['_own'] = 1\n\n"
        "    def b(self):\n        return 2\n\n\n"
        "HELD = Holder()\n"
        "VALUE = Entry('x')\n\n\n"
        "def remember(inventory, key: str):\n"
        "    inventory.__dict__[KEY] = key\n"
        "    _SEEN[key] = inventory.__dict__.get('_other')\n"
        "    parallel._workers = 3\n"
        "    inventory._hidden = 1\n"
        "    return TABLE['a']\n\n\n"
        "@lru_cache(maxsize=None)\n"
        "def pure(inventory: 'Inventory'):\n"
        "    return 1\n"
    ),
    "parallel.py": (
        "import os\n\n"
        "_workers = None\n\n\n"
        "def configure(n):\n    global _workers\n    _workers = n\n\n\n"
        "def fork():\n    return os.fork()\n\n\n"
        "def long():\n" + "".join(f"    x{i} = {i}\n" for i in range(85)) + "    return 0\n"
    ),
}


def _package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_measures_of_a_small_package(tmp_path):
    tool = _tool()
    m = tool.measure(_package(tmp_path))
    got = tool.summary(m)
    assert got["modules"] == 6
    assert got["imports"] == {"module arrows": 4, "top-level": 3, "deferred": 1, "type-only": 0}
    assert got["module cycles (top-level imports)"] == []
    assert got["module cycles (every import)"] == ["report words"]
    assert got["arrows climbing the pipeline"] == 1  # words -> report; report -> words goes down
    assert tool.climbing(m) == ["words:2 -> report (deferred)"]
    assert got["unit layers"] == 2  # model, parallel and the words+report cycle; inventory above them
    assert got["largest file"] == {"module": "parallel", "lines": len(FILES["parallel.py"].splitlines())}
    assert got["largest class"] == {"class": "inventory.Holder", "lines": 6, "methods": 2}
    assert got["functions over 80 lines"] == 1
    assert m.places["functions over 80 lines"] == ["parallel:15 long (87 lines)"]
    assert got["__dict__ writes"] == 2  # the inventory's and the Holder's own (still a cache on itself)
    assert got["__dict__ reads"] == 1
    assert got["__dict__ keys"] == ["_memo", "_other", "_own"]  # KEY resolved through its constant
    assert got["private attribute writes (module)"] == 1  # parallel._workers
    assert got["private attribute writes (object)"] == 1  # inventory._hidden
    assert got["module-level switches (global)"] == 1
    assert got["module-level containers mutated"] == 1  # _SEEN; TABLE is only read
    assert m.places["module-level instances"] == ["inventory:18 HELD = Holder(...)"]  # Entry is frozen
    assert got["process-wide caches (lru_cache)"] == 1
    assert got["forks"] == 1
    assert got["inventory parameters"] == 2
    assert got["inventory parameters without annotation"] == 1
    assert m.places["modules naming a diff kind"] == ["report:9 moved"]  # once per module
    assert m.places["modules outside ci/ naming a CI system"] == ["report:9 github_globs"]


def test_the_command_prints_json_of_the_project(capsys):
    tool = _tool()
    assert tool.main(["--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["modules"] > 50 and got["largest file"]["lines"] > 0


def test_the_trace_counts_the_calls_of_one_diff(tmp_path):
    import history  # fixtures/history.py (tests/conftest.py puts fixtures/ on the path)

    tool = _tool()
    repo = history.build(Path(__file__).resolve().parent.parent / "fixtures" / "vllm_pd_split", tmp_path / "repo")
    try:
        found = tool.trace(TOOL.parent.parent / "src" / "coverage_diff", repo, "base..head")
    finally:
        pass
    assert "commands.diff_command -> engine.session.diff" in found["calls entering the session"]
    assert all(not call.startswith("engine.session.") for call in found["calls entering the session"])
    rank = {unit: i for i, group in enumerate(tool.PIPELINE) for unit in group}
    for call in found["calls climbing the pipeline"]:
        caller, callee = call.split(" -> ")
        assert rank[tool.unit_of(caller.rsplit(".", 1)[0])] < rank[tool.unit_of(callee.rsplit(".", 1)[0])], call


def test_no_module_outside_the_engine_keeps_state():
    """Module-level switches, written containers, instances, caches, memos in closures, written
    defaults and forks: none outside `engine/` (issue 19).  Counted from the real package's source by
    the same ruler as the measures.  Such state belongs to the session (`engine/session.py`), which
    hands it down in the `context.Context`; a memo of a syntax node's shape goes in the context's
    `ShellCaches` (`shell/syntax.per_node`)."""
    tool = _tool()
    assert tool.state_outside(tool.measure(PACKAGE)) == []


def test_the_state_outside_the_engine_is_found_in_a_small_package(tmp_path):
    tool = _tool()
    root = _package(tmp_path)
    (root / "engine").mkdir()
    (root / "engine" / "__init__.py").write_text("")
    (root / "engine" / "memo.py").write_text("_KEPT = {}\n\n\ndef keep(k, v):\n    _KEPT[k] = v\n")
    m = tool.measure(root)
    assert "engine.memo:1 _KEPT" in m.places["module-level containers mutated"]  # counted, but in the engine
    assert tool.state_outside(m) == ["parallel:7 _workers", "inventory:6 _SEEN", "inventory:18 HELD = Holder(...)",
                                     "inventory:31 pure", "parallel:12 os.fork"]  # not the engine's memo


SHAPES = """\
from functools import lru_cache


def memoise(fn):
    memo = {}

    def once(x):
        found = memo.get(x)
        if found is None:
            found = memo[x] = fn(x)
        return found
    return once


def passing(fn):  # keeps nothing: the caller hands the store in
    def call(x, store):
        store[x] = fn(x)
        return store[x]
    return call


def build(items):  # a closure over a list that lives for one call: not state
    out = []

    def add(x):
        out.append(x)
    for item in items:
        add(item)
    return out


PLANS = ({}, {})
COUNTS = ({}, {})  # only read


@memoise
def shape(node):
    return node


@passing
def plain(node):
    return node


square = memoise(lambda x: x * x)


def plan(node, quoted):
    plans = PLANS[quoted]
    plans[node] = 1
    return COUNTS[quoted].get(node)


def seen(x, kept={}, fresh={}):
    kept[x] = 1
    return fresh.get(x)


class Table:
    rows = []
    names: dict = {}

    def add(self, row):
        self.rows.append(row)
        self.names = {}
        self.names[row] = 1

    @lru_cache(maxsize=8)
    def look(self, key):
        return key
"""


def test_memos_in_closures_nested_containers_and_defaults_are_found(tmp_path):
    """What a memo can hide behind besides a module-level dict: a decorator whose closure keeps a
    dict, a tuple of dicts written through a local name, a written default, a class attribute,
    an lru_cache on a method.  A store handed in, a closure that lives for one call, a container
    only read and an attribute each instance rebinds are not state."""
    tool = _tool()
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "shapes.py").write_text(SHAPES)
    m = tool.measure(root)
    line = {name: n + 1 for n, text in enumerate(SHAPES.splitlines())
            for name in ("PLANS", "def shape", "square", "def seen", "    rows", "    def look") if text.startswith(name)}
    assert tool.memo_factories(m.modules) == {"memoise"}
    assert sorted(tool.state_outside(m)) == sorted([
        f"shapes:{line['PLANS']} PLANS", f"shapes:{line['    rows']} Table.rows",
        f"shapes:{line['    def look']} Table.look",
        f"shapes:{line['def shape']} shape (memoise)", f"shapes:{line['square']} square (memoise)",
        f"shapes:{line['def seen']} seen(kept)"])
