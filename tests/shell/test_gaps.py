"""The interpreter's last gaps (issue 3), each checked against bash where values are known:
globs against repository files, `while` on unknown and known input, arrays of scalar
config variables, commands inside `docker exec/run ... bash -c`, namerefs and `${x@Q}`."""

from __future__ import annotations

from .harness import assert_agrees_with_bash
from .helpers import argvs, interpret, job

TREE = {"tests/test_a.py": "", "tests/test_b.py": "", "tests/.hidden.py": "", "tests/unit/test_c.py": "",
        "tests/unit/deep/test_d.py": "", "tests/notes.txt": ""}


def agree(script: str, env: dict[str, str] | None = None, extra: dict[str, str] | None = None, command: str = "bash ci/s.sh"):
    files = {"ci/s.sh": script, **TREE, **(extra or {})}
    return assert_agrees_with_bash(job(command, env=env or {}), files).outcome


# -- globs -----------------------------------------------------------------------------------
def test_unquoted_globs_expand_against_repository_files():
    script = r"""for f in tests/test_*.py; do pytest "$f"; done
pytest tests/*.py ./tests/t*_[ab].py tests/*/ tests/*/*.py
pytest tests/\*.py "tests/*.py" tests/*.zz
cd tests
pytest *.py ../tests/unit/*.py .* /vllm-workspace/tests/*.txt
arr=(unit/*)
pytest "${arr[@]}"
"""
    out = agree(script)
    assert argvs(out)[:3] == ["pytest tests/test_a.py", "pytest tests/test_b.py", "pytest tests/test_a.py tests/test_b.py "
                              "tests/test_a.py tests/test_b.py tests/unit tests/unit/test_c.py"]
    assert argvs(out)[3] == "pytest tests/*.py tests/*.py tests/*.zz"  # escaped, quoted, no match: as written


def test_glob_options_nullglob_dotglob_globstar_noglob_failglob():
    script = """cd tests
shopt -s nullglob
pytest none*.zz end
shopt -s dotglob
pytest *
shopt -u nullglob dotglob
set -f
pytest *.py
set +f
shopt -s globstar
pytest **/*.py
shopt -s failglob
pytest *.qq
for x in *.qq; do pytest "$x"; done
pytest after
"""
    out = agree(script)
    assert "pytest end" in argvs(out) and "pytest *.py" in argvs(out) and argvs(out)[-1] == "pytest after"
    assert not any("qq" in a for a in argvs(out))


def test_glob_options_do_not_reach_child_scripts():
    out = agree("shopt -s nullglob\nbash ci/child.sh\n", extra={"ci/child.sh": "pytest tests/*.zz\n"})
    assert argvs(out) == ["pytest tests/*.zz"]


def test_glob_outside_the_repository_is_left_as_written_with_a_note():
    out = interpret({"ci/s.sh": "pytest /opt/models/*.bin\n"}, "bash ci/s.sh")
    assert argvs(out) == ["pytest /opt/models/*.bin"]
    assert any("outside the repository" in i.reason for i in out.incomplete)
