"""Issue 20: the change under review cannot weaken its own gate through the settings.

A diff is analysed with the base revision's settings; the head's may only make them
stricter (raise a cap, drop an ignore), and every cap stays below a hard ceiling, so
huge values cannot hang the analysis either.
"""

from __future__ import annotations

import pytest
from hostile_cases import CORE_BASE, CORE_HEAD, GEMMA, Case, _script_area
from hostile_kit import build_repo, run_cli, run_cli_isolated

from coverage_diff.config import CEILINGS, Settings, for_diff, parse_settings

SILENCERS = {
    "caps-lowered": "max-paths = 1\nmax-loop = 1\nmax-depth = 1\nmax-steps = 1\nmax-total-steps = 1\nmax-file-bytes = 1\n",
    "everything-ignored": 'ignore = ["silently-dropped", "narrowed"]\nignore-paths = ["tests/**", ".buildkite/**"]\n',
    "tests-called-setup": 'extra-setup-commands = ["bash", "env", "python3", "pytest"]\n',
    "guard-made-ambient": 'ambient = ["SW_ATTN", "HOME", "PATH"]\n',
    "ci-files-hidden": 'buildkite-globs = ["nowhere/*.yaml"]\nworkspace-prefixes = []\ndefault-working-dir = "elsewhere"\n',
}


@pytest.mark.parametrize("where", [".coverage-diff.toml", "pyproject.toml"])
@pytest.mark.parametrize("name", sorted(SILENCERS))
def test_the_head_cannot_silence_its_own_gate(tmp_path, name, where):
    text = SILENCERS[name] if where == ".coverage-diff.toml" else "[tool.coverage-diff]\n" + SILENCERS[name]
    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", {**CORE_HEAD, where: text})])
    result = run_cli(["base..head", "--repo", str(repo), "--format", "json"])
    assert result.code == 1, result.stderr
    dropped = {f["subject"] for f in result.report["findings"] if f["kind"] == "silently-dropped"}
    assert GEMMA in dropped
    assert not [i for i in result.report["incomplete"] if "tests/pd/sweep.sh" in i["path"]]


def test_a_cap_lowered_in_the_base_counts_and_the_head_may_raise_it(tmp_path):
    guards = "#!/bin/bash\nargs=()\n" + "".join(
        f'if [[ -e "/opt/f{i}" ]]; then\n  args+=("--f{i}")\nfi\n' for i in range(4)) + 'pytest few.py "${args[@]}"\n'
    case = Case("raise", {}, base={**_script_area("few_guards.sh", guards), ".coverage-diff.toml": "max-paths = 4\n"})
    layers = case.layers()
    repo = build_repo(tmp_path / "repo", layers)
    lowered = run_cli(["base..head", "--repo", str(repo), "--format", "json"]).report
    assert any(i["path"] == "tests/pd/few_guards.sh" for i in lowered["incomplete"])

    repo = build_repo(tmp_path / "repo2", [*layers[:1], ("head", {**layers[1][1], ".coverage-diff.toml": "max-paths = 64\n"})])
    raised = run_cli(["base..head", "--repo", str(repo), "--format", "json"])
    assert raised.code == 1 and not any(i["path"] == "tests/pd/few_guards.sh" for i in raised.report["incomplete"])
    assert GEMMA in {f["subject"] for f in raised.report["findings"]}


HUGE = "\n".join(f"{name.replace('_', '-')} = 9223372036854775807" for name in CEILINGS) + "\n"
BOMB = "#!/bin/bash\nf() {\n  f\n  f\n}\nf\npytest after_bomb.py\nfor i in $(seq 1 100000000); do pytest loop_$i.py; done\n"


@pytest.mark.parametrize("side", ["base", "head"])
def test_huge_caps_are_held_at_their_ceilings(tmp_path, side):
    """A settings file asking for unbounded work (in either revision) gets the ceilings:
    the run ends (in a child under the memory limit) and still reports gemma-3."""
    toml = {".coverage-diff.toml": HUGE}
    case = Case("huge", {**_script_area("bomb.sh", BOMB), **(toml if side == "head" else {})},
                base=toml if side == "base" else {})
    repo = build_repo(tmp_path / "repo", case.layers())
    result = run_cli_isolated(["base..head", "--repo", str(repo), "--format", "json"])
    assert result.code == 1, result.stderr
    assert GEMMA in {f["subject"] for f in result.report["findings"]}
    assert any(i["path"] == "tests/pd/bomb.sh" for i in result.report["incomplete"])


def test_for_diff_rules():
    base = Settings(max_paths=100, ignore=("a", "b"), ambient=("HOME",), buildkite_globs=("ci/*.yml",))
    head = Settings(max_paths=10**9, max_loop=5, ignore=("b", "c"), ambient=("HOME", "SW_ATTN"), buildkite_globs=())
    merged = for_diff(base, head)
    assert merged.max_paths == CEILINGS["max_paths"]  # raised, to the ceiling
    assert merged.max_loop == Settings().max_loop  # never lowered
    assert merged.ignore == ("b",) and merged.ambient == ("HOME",)
    assert merged.buildkite_globs == ("ci/*.yml",)


def test_settings_files_are_clamped_when_read():
    s = parse_settings("max-steps = 9223372036854775807\nmax-paths = 12\n", "x.toml", table=False)
    assert s.max_steps == CEILINGS["max_steps"] and s.max_paths == 12


ACCEPT = "# coverage-diff: accept[silently-dropped] gemma-3 moves to the nightly job"


def with_marker(text: str) -> str:
    """The sweep with an accept comment above the gemma-3 entry."""
    return text.replace(f'  "{GEMMA}"\n', f'  {ACCEPT}\n  "{GEMMA}"\n')


def test_an_accept_comment_the_change_adds_does_not_lower_its_exit_code(tmp_path):
    from hostile_cases import BASE_SWEEP, HEAD_SWEEP, SWEEP

    repo = build_repo(tmp_path / "repo", [("base", CORE_BASE), ("head", {**CORE_HEAD, SWEEP: with_marker(HEAD_SWEEP)})])
    result = run_cli(["base..head", "--repo", str(repo), "--format", "json"])
    assert result.code == 1, result.stderr
    [gemma] = [f for f in result.report["findings"] if f["subject"] == GEMMA]
    assert gemma["kind"] == "silently-dropped" and gemma["acknowledged"] is None
    assert gemma["accepted_once_merged"]["reason"] == "gemma-3 moves to the nightly job"
    for given in (["--settings-from", "base"], ["--config", str(tmp_path / "empty.toml")]):
        (tmp_path / "empty.toml").write_text("")
        assert run_cli(["base..head", "--repo", str(repo), *given]).code == 1

    # Once merged (the base has the same comment), the same loss is acknowledged.
    repo = build_repo(tmp_path / "merged", [("base", {**CORE_BASE, SWEEP: with_marker(BASE_SWEEP)}),
                                            ("head", {**CORE_HEAD, SWEEP: with_marker(HEAD_SWEEP)})])
    result = run_cli(["base..head", "--repo", str(repo), "--format", "json"])
    assert result.code == 0, result.stderr
    [gemma] = [f for f in result.report["findings"] if f["subject"] == GEMMA]
    assert gemma["acknowledged"]["reason"] == "gemma-3 moves to the nightly job" and "accepted_once_merged" not in gemma
