"""The hostile corpus: each case is a pull request that adds broken or malicious
input next to a good vLLM-style sweep, and what the analysis must say about it.

Every case shares one core history: at `base` the gemma-3 entry sits in
`tp_configs` and runs; at `head` it has moved into `sw_attn_configs`, selected
only when `SW_ATTN` is non-empty, which no job sets.  Whatever a case breaks,
that silent drop must still be reported (the rest of the analysis continues),
and the case's own damage must come out as a diagnostic naming file:line and,
where precision was given up, as an `incomplete` entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hostile_kit import Gitlink, Huge, Link, Tree

SWEEP = "tests/pd/sweep.sh"
AREA = ".buildkite/test_areas/pd.yaml"
GEMMA = "MODEL_NAMES=google/gemma-3-4b-it TP=2"

CI_CONFIG = "name: vllm_ci\njob_dirs:\n  - .buildkite/test_areas\n"


def area(steps: str, group: str = "Hostile") -> str:
    """A vLLM test-area file; its steps start at line 5."""
    return f"group: {group}\ndepends_on:\n  - image-build\nsteps:\n{steps}"


def step(label: str, *commands: str) -> str:
    body = "".join(f"    - {c}\n" for c in commands)
    return f"- label: {label}\n  source_file_dependencies:\n    - tests/\n  commands:\n{body}"


PD_AREA = area(step("PD accuracy", "bash pd/sweep.sh"), group="PD")


def sweep(tp: list[str], sw_attn: list[str], prelude: str = "") -> str:
    def array(name: str, items: list[str]) -> str:
        return f"{name}=(\n" + "".join(f'  "{i}"\n' for i in items) + ")\n"

    return (
        "#!/usr/bin/env bash\nset -euo pipefail\n"
        + prelude
        + 'SCRIPT="pd/run_accuracy.sh"\n'
        + array("tp_configs", tp)
        + array("sw_attn_configs", sw_attn)
        + 'if [[ -n "${SW_ATTN:-}" ]]; then\n  configs=("${sw_attn_configs[@]}")\nelse\n  configs=("${tp_configs[@]}")\nfi\n'
        + 'for cfg in "${configs[@]}"; do\n  read -r -a parts <<< "$cfg"\n  env "${parts[@]}" bash "${SCRIPT}"\ndone\n'
    )


QWEN = "MODEL_NAMES=Qwen/Qwen3-0.6B TP=1"
BASE_SWEEP = sweep([QWEN, GEMMA], [])
HEAD_SWEEP = sweep([QWEN], [GEMMA])

CORE_BASE: Tree = {
    ".buildkite/ci_config.yaml": CI_CONFIG,
    AREA: PD_AREA,
    SWEEP: BASE_SWEEP,
    "tests/pd/run_accuracy.sh": "#!/usr/bin/env bash\nset -e\npython3 -m pytest -s pd/test_accuracy.py\n",
    "tests/pd/test_accuracy.py": "def test_accuracy():\n    pass\n",
}
CORE_HEAD: Tree = {SWEEP: HEAD_SWEEP}


@dataclass(frozen=True)
class Expect:
    """A diagnostic or incomplete entry: its file, its line (None: any line >= 1)
    and words its message contains (case-insensitive)."""

    path: str
    line: int | None
    words: str

    def matches(self, item: dict, text_key: str) -> bool:
        if item["path"] != self.path:
            return False
        if self.line is None and item["line"] < 1:
            return False
        if self.line is not None and item["line"] != self.line:
            return False
        return self.words.lower() in item[text_key].lower()


@dataclass(frozen=True)
class Case:
    name: str
    head: Tree  # files the hostile pull request adds or replaces (on top of the core head)
    diagnostics: tuple[Expect, ...] = ()
    incomplete: tuple[Expect, ...] = ()
    dropped: tuple[str, ...] = (GEMMA,)  # subjects that must still be reported silently-dropped
    added: tuple[str, ...] = ()  # words of subjects the broken-but-readable input must still add
    absent: tuple[str, ...] = ()  # text that must appear nowhere in the output
    heavy: bool = False  # run in a child process under RLIMIT_AS and a timeout
    whole: bool = False  # analysed in full: no diagnostic and no incomplete entry at all
    base: Tree = field(default_factory=dict)  # extra files at base

    @property
    def guard_line(self) -> int:
        """Where the SW_ATTN guard that blocks gemma-3 is written at head."""
        text = self.head.get(SWEEP, HEAD_SWEEP)
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return next(i for i, line in enumerate(text.splitlines(), 1) if "SW_ATTN:-" in line)

    def layers(self) -> list[tuple[str, Tree]]:
        return [("base", {**CORE_BASE, **self.base}), ("head", {**CORE_HEAD, **self.head})]


def _case_id(case: Case) -> str:
    return case.name


# --------------------------------------------------------------------------- YAML that does not parse
BROKEN = ".buildkite/test_areas/broken.yaml"
YAML_SYNTAX = [
    Case(
        "yaml-unclosed-flow-sequence",
        {BROKEN: area("- label: x\n  commands: [pytest a.py\n- label: y\n")},
        diagnostics=(Expect(BROKEN, 7, "invalid YAML"),),
        incomplete=(Expect(BROKEN, 7, "not analysed"),),
    ),
    Case(
        "yaml-bad-indentation",
        {BROKEN: area("- label: x\n   commands: [pytest a.py]\n")},
        diagnostics=(Expect(BROKEN, 6, "mapping values are not allowed"),),
        incomplete=(Expect(BROKEN, 6, "not analysed"),),
    ),
    Case(
        "yaml-tab-indentation",
        {BROKEN: area("- label: x\n\tcommands: [pytest a.py]\n")},
        diagnostics=(Expect(BROKEN, 6, "invalid YAML"),),
        incomplete=(Expect(BROKEN, 6, "not analysed"),),
    ),
    Case(
        "yaml-undefined-alias",
        {BROKEN: "group: G\nsteps: *nowhere\n"},
        diagnostics=(Expect(BROKEN, 2, "undefined alias"),),
        incomplete=(Expect(BROKEN, 2, "not analysed"),),
    ),
    Case(
        "yaml-broken-generator-config",
        # The generator config is what names the test-area dirs; the front-end must fall
        # back to the conventional dirs and still read pd.yaml.
        {".buildkite/ci_config.yaml": "name: vllm_ci\njob_dirs: [.buildkite/test_areas\n"},
        diagnostics=(Expect(".buildkite/ci_config.yaml", None, "invalid YAML"),),
    ),
    Case(
        "github-actions-yaml-syntax-error",
        {".github/workflows/ci.yml": "on: [pull_request\njobs:\n  t:\n    runs-on: ubuntu-latest\n"},
        diagnostics=(Expect(".github/workflows/ci.yml", 2, "invalid YAML"),),
        incomplete=(Expect(".github/workflows/ci.yml", 2, "not analysed"),),
    ),
    Case(
        "gitlab-yaml-syntax-error",
        {".gitlab-ci.yml": "unit:\n  script:\n    - pytest a.py\n   - pytest b.py\n"},
        diagnostics=(Expect(".gitlab-ci.yml", 4, "invalid YAML"),),
        incomplete=(Expect(".gitlab-ci.yml", 4, "not analysed"),),
    ),
    Case(
        "yaml-deeply-nested",
        {BROKEN: "steps: " + "[" * 3000 + "]" * 3000 + "\n"},
        diagnostics=(Expect(BROKEN, 1, "nest"),),
        incomplete=(Expect(BROKEN, 1, "not analysed"),),
        heavy=True,
    ),
    Case(
        "yaml-deeply-nested-under-recursion-limit-of-libyaml",
        {BROKEN: "steps: " + "[" * 600 + "]" * 600 + "\n"},
        diagnostics=(Expect(BROKEN, 1, "nest"),),
        incomplete=(Expect(BROKEN, 1, "not analysed"),),
        heavy=True,
    ),
    Case(
        "yaml-alias-bomb",
        {
            BROKEN: "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8)
            )
            + "steps: *i\n"
        },
        diagnostics=(Expect(BROKEN, None, "alias bomb"),),
        incomplete=(Expect(BROKEN, None, "not analysed"),),
        heavy=True,
    ),
]

# --------------------------------------------------------------------------- YAML of the wrong shape
WRONG_TYPES = [
    Case(
        "steps-is-a-mapping",
        {BROKEN: "group: G\nsteps:\n  label: x\n  commands: [pytest a.py]\n"},
        # vLLM's generator raises on the file: nothing of it runs (known, not partly analysed)
        diagnostics=(Expect(BROKEN, 2, "`steps` must be a list, found a mapping"),),
    ),
    Case(
        "plain-pipeline-steps-is-a-mapping",
        {".buildkite/pipeline.yml": "env:\n  A: '1'\nsteps:\n  command: pytest a.py\n"},
        diagnostics=(Expect(".buildkite/pipeline.yml", 3, "`steps` must be a list, found a mapping"),),
        incomplete=(Expect(".buildkite/pipeline.yml", 3, "steps not analysed"),),
    ),
    Case(
        "commands-is-a-number",
        {BROKEN: area("- label: x\n  commands: 42\n" + step("still here", "pytest still_here.py"))},
        diagnostics=(Expect(BROKEN, 6, "`commands` must be a list of strings, found a number"),),  # the whole file is rejected
    ),
    Case(
        "command-item-is-a-mapping",
        {BROKEN: area("- label: x\n  commands:\n    - pytest ok_one.py\n    - {a: b}\n")},
        diagnostics=(Expect(BROKEN, 6, "`commands` item 1 must be a string, found a mapping"),),
    ),
    Case(
        "env-is-a-list",
        {BROKEN: area("- label: x\n  env:\n    - 1\n    - 2\n  commands: [pytest env_list.py]\n")},
        diagnostics=(Expect(BROKEN, 6, "`env` must be a mapping of strings, found a list"),),
    ),
    Case(
        "top-level-is-a-list",
        {BROKEN: "- label: x\n  commands: [pytest a.py]\n"},
        diagnostics=(Expect(BROKEN, 1, "expected a mapping at the top level, found a list"),),
    ),
    Case(
        "step-is-a-string",
        {BROKEN: area('- "pytest a.py"\n' + step("fine", "pytest fine.py"))},
        diagnostics=(Expect(BROKEN, 5, "a step must be a mapping, found a string"),),
    ),
    Case(
        "step-without-label",
        {BROKEN: area("- commands: [pytest nolabel.py]\n")},
        diagnostics=(Expect(BROKEN, 5, "`label` is required"),),
    ),
    Case(
        "github-actions-wrong-types",
        {
            ".github/workflows/ci.yml": "on: [pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      run: pytest a.py\n  other:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 5\n"
        },
        diagnostics=(Expect(".github/workflows/ci.yml", 5, "steps"),),
    ),
    Case(
        "github-actions-jobs-is-a-list",
        {".github/workflows/ci.yml": "on: push\njobs:\n  - test\n"},
        diagnostics=(Expect(".github/workflows/ci.yml", 2, "jobs"),),
    ),
    Case(
        "gitlab-wrong-types",
        {".gitlab-ci.yml": "stages: [test]\nunit:\n  stage: test\n  script: 5\nlint:\n  script:\n    - {a: b}\n"},
        diagnostics=(Expect(".gitlab-ci.yml", 4, "script"),),
    ),
]

# --------------------------------------------------------------------------- files that are not text
BINARY = bytes(range(256)) * 8
SIZE_10MB = 10 * 1024 * 1024
ENCODING = [
    Case(
        "ten-megabyte-yaml",
        {".buildkite/test_areas/huge.yaml": area(step("huge", "pytest huge.py") * (SIZE_10MB // 90))},
        diagnostics=(Expect(".buildkite/test_areas/huge.yaml", 1, "larger than"),),
        incomplete=(Expect(".buildkite/test_areas/huge.yaml", 1, "too large"),),
        heavy=True,
    ),
    Case(
        "ten-megabyte-workflow-and-gitlab-file",
        {
            ".github/workflows/huge.yml": "on: push\njobs:\n" + "".join(f"  j{i}:\n    runs-on: x\n    steps: [{{run: pytest {i}}}]\n" for i in range(SIZE_10MB // 50)),
            ".gitlab-ci.yml": "".join(f"j{i}:\n  script: [pytest g{i}.py]\n" for i in range(SIZE_10MB // 30)),
        },
        diagnostics=(Expect(".github/workflows/huge.yml", 1, "larger than"), Expect(".gitlab-ci.yml", 1, "larger than")),
        incomplete=(Expect(".github/workflows/huge.yml", 1, "not analysed"), Expect(".gitlab-ci.yml", 1, "not analysed")),
        heavy=True,
    ),
    Case(
        "ten-megabyte-script",
        {
            "tests/pd/huge.sh": "#!/bin/bash\n" + 'x=("a b c d e f g h i j k l m n o p q r s t u v w x y z")\n' * (SIZE_10MB // 60),
            ".buildkite/test_areas/huge.yaml": area(step("huge", "bash pd/huge.sh")),
        },
        diagnostics=(Expect("tests/pd/huge.sh", 1, "too large"),),
        incomplete=(Expect("tests/pd/huge.sh", 1, "too large"),),
        heavy=True,
    ),
    # A 1 GiB workflow and a 1 GiB script in objects of about a megabyte each: never held (objects
    # over 32 MiB are read past, not kept), so the run fits in 1 GiB and the reader closes cleanly.
    Case(
        "one-gigabyte-objects-in-a-megabyte",
        {".github/workflows/bomb.yml": Huge(1 << 30, "# padding\n"), "tests/pd/bomb.sh": Huge(1 << 30, "echo padding\n"),
         ".buildkite/test_areas/bomb.yaml": area(step("bomb", "bash pd/bomb.sh"))},
        diagnostics=(Expect(".github/workflows/bomb.yml", 1, "larger than"), Expect("tests/pd/bomb.sh", 1, "too large")),
        incomplete=(Expect("tests/pd/bomb.sh", 1, "too large"),),
        heavy=True,
    ),
    Case(
        "invalid-utf8-yaml",
        {BROKEN: area(step("caf\xe9", "pytest latin1.py")).encode("latin-1")},
        diagnostics=(Expect(BROKEN, 5, "not valid UTF-8 (byte 0xe9)"),),
        added=("latin1.py",),
    ),
    Case(
        "invalid-utf8-script",
        {SWEEP: HEAD_SWEEP.replace("set -euo pipefail\n", "set -euo pipefail\n# caf\xe9\n").encode("latin-1")},
        diagnostics=(Expect(SWEEP, 3, "not valid UTF-8 (byte 0xe9)"),),
    ),
    Case(
        "bom-yaml-and-bom-script",
        {
            BROKEN: b"\xef\xbb\xbf" + area(step("bom", "pytest bom_test.py")).encode(),
            SWEEP: b"\xef\xbb\xbf" + HEAD_SWEEP.encode(),
        },
        added=("bom_test.py",),
    ),
    Case(
        "crlf-yaml-and-crlf-script",
        {
            AREA: PD_AREA.replace("\n", "\r\n"),
            SWEEP: HEAD_SWEEP.replace("\n", "\r\n"),
            BROKEN: area(step("crlf", "pytest crlf_test.py")).replace("\n", "\r\n"),
        },
        added=("crlf_test.py",),
    ),
    Case(
        "binary-file-named-yaml",
        {".buildkite/test_areas/logo.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + BINARY},
        diagnostics=(Expect(".buildkite/test_areas/logo.yaml", None, "invalid YAML"),),
        incomplete=(Expect(".buildkite/test_areas/logo.yaml", None, "not analysed"),),
    ),
    Case(
        "binary-file-named-sh-that-a-job-runs",
        {
            "tests/pd/blob.sh": b"\x7fELF\x02\x01\x01\x00" + BINARY,
            BROKEN: area(step("blob", "bash pd/blob.sh")),
        },
        diagnostics=(Expect("tests/pd/blob.sh", 1, "binary file (NUL bytes)"),),
        incomplete=(Expect("tests/pd/blob.sh", 1, "binary file"),),
        absent=("abcdefghijklmnopqrstuvwxyz",),  # the bytes are never run as commands
    ),
    Case(
        "file-names-with-newlines-and-bad-bytes",
        {
            ".buildkite/test_areas/new\nline.yaml": area(step("newline", "pytest newline_name.py")),
            "tests/pd/odd\x1b[2Jname.sh": "#!/bin/bash\necho hi\n",
        },
        added=("newline_name.py",),
    ),
]

# --------------------------------------------------------------------------- tree entries that are not files
OUTSIDE_SECRET = "OUTSIDE_SECRET_ENTRY=leaked"
TREE = [
    Case(
        "symlinked-yaml-inside-the-repository",
        {".buildkite/test_areas/alias.yaml": Link("pd.yaml")},
        diagnostics=(Expect(".buildkite/test_areas/alias.yaml", 1, "symlink to 'pd.yaml', which is never followed"),),
        incomplete=(Expect(".buildkite/test_areas/alias.yaml", 1, "symlink not followed"),),
    ),
    Case(
        "symlinked-script-pointing-outside",
        {
            "tests/pd/evil.sh": Link("../../../outside/secret.sh"),
            "tests/pd/passwd.sh": Link("/etc/passwd"),
            BROKEN: area(step("evil", "bash pd/evil.sh", "source pd/passwd.sh")),
        },
        diagnostics=(Expect(BROKEN, 9, "tests/pd/evil.sh is a symlink to '../../../outside/secret.sh'"),),
        incomplete=(Expect(BROKEN, 9, "not analysed (symlink)"),),
        absent=(OUTSIDE_SECRET, "root:x:0:0"),
    ),
    Case(
        "submodule-script",
        {
            "third_party/kernels": Gitlink(),
            ".buildkite/test_areas/kernels.yaml": Gitlink(),
            BROKEN: area(step("sub", "bash ../third_party/kernels/run.sh")),
        },
        diagnostics=(
            Expect(BROKEN, 9, "lies in third_party/kernels, which is a submodule"),
            Expect(".buildkite/test_areas/kernels.yaml", 1, "CI file is a submodule"),
        ),
        incomplete=(Expect(BROKEN, 9, "not analysed (submodule)"),),
    ),
]

# --------------------------------------------------------------------------- scripts that never end
def _script_area(script: str, body: str, call: str = "") -> Tree:
    return {f"tests/pd/{script}": body, BROKEN: area(step(script, call or f"bash pd/{script}"))}


CHAIN = {f"tests/pd/chain{i}.sh": f"#!/bin/bash\nbash pd/chain{i + 1}.sh\n" for i in range(80)}
GUARD_CHAIN = (
    "#!/bin/bash\nargs=()\n"
    + "".join(f'if [[ -e "/opt/feature{i}" ]]; then\n  args+=("--feature{i}")\nfi\n' for i in range(20))
    + 'pytest guard_chain.py "${args[@]}"\n'
)
RECURSION = [
    Case(
        "script-sources-itself",
        _script_area("selfish.sh", "#!/bin/bash\npytest selfish.py\nsource pd/selfish.sh\n"),
        incomplete=(Expect("tests/pd/selfish.sh", 3, "depth limit"),),
        added=("selfish.py",),
        heavy=True,
    ),
    Case(
        "scripts-source-each-other",
        {
            **_script_area("ping.sh", "#!/bin/bash\npytest ping.py\nsource pd/pong.sh\n"),
            "tests/pd/pong.sh": "#!/bin/bash\npytest pong.py\nsource pd/ping.sh\n",
        },
        incomplete=(Expect("tests/pd/pong.sh", 3, "depth limit"),),
        added=("ping.py", "pong.py"),
        heavy=True,
    ),
    Case(
        "scripts-run-each-other",
        {
            **_script_area("tick.sh", "#!/bin/bash\npytest tick.py\nbash pd/tock.sh\n"),
            "tests/pd/tock.sh": "#!/bin/bash\npytest tock.py\nbash pd/tick.sh\n",
        },
        incomplete=(Expect("tests/pd/tock.sh", 3, "depth limit"),),
        added=("tick.py", "tock.py"),
        heavy=True,
    ),
    Case(
        "function-recursion",
        _script_area("recurse.sh", '#!/bin/bash\nf() {\n  pytest "recurse_$1.py"\n  f "x$1"\n}\nf 0\n'),
        incomplete=(Expect("tests/pd/recurse.sh", None, ""),),
        heavy=True,
    ),
    Case(
        "eighty-scripts-deep",
        {**CHAIN, BROKEN: area(step("chain", "bash pd/chain0.sh"))},
        incomplete=(Expect("tests/pd/chain23.sh", 2, "depth limit (24)"),),
        heavy=True,
    ),
    Case(
        "guard-chain-with-2-to-the-20-paths",
        _script_area("guards.sh", GUARD_CHAIN),
        incomplete=(Expect("tests/pd/guards.sh", None, ""),),
        heavy=True,
    ),
    Case(
        "guard-chain-inside-the-sweep",
        {SWEEP: sweep([QWEN], [GEMMA], prelude=GUARD_CHAIN.replace("#!/bin/bash\n", "").replace("pytest guard_chain.py", "echo"))},
        incomplete=(Expect(SWEEP, None, ""),),
        heavy=True,
    ),
    Case(
        "huge-loops",
        _script_area(
            "loops.sh",
            '#!/bin/bash\nfor i in {1..100000000}; do\n  pytest "loop_$i.py"\ndone\nwhile true; do\n  pytest spin.py\ndone\n',
        ),
        incomplete=(Expect("tests/pd/loops.sh", 2, ""),),
        heavy=True,
    ),
]

FORTY = " ".join(str(i) for i in range(1, 41))
BOMBS = [
    Case(
        "string-doubled-forty-times",
        _script_area("double.sh", f'#!/bin/bash\na=x\nfor i in {FORTY}; do\n  a="$a$a"\ndone\npytest doubled.py "$a"\n'),
        added=("doubled.py",),
        heavy=True,
    ),
    Case(
        "array-doubled-forty-times",
        _script_area("grow.sh", f'#!/bin/bash\narr=(x)\nfor i in {FORTY}; do\n  arr=("${{arr[@]}}" "${{arr[@]}}")\ndone\npytest grown.py\n'),
        incomplete=(Expect("tests/pd/grow.sh", 4, "grows past"),),
        added=("grown.py",),
        heavy=True,
    ),
    Case(
        "pattern-substitution-blow-up",
        _script_area("subst.sh", "#!/bin/bash\nx=aaaaaaaaaa\nx=${x//a/$x$x$x$x$x$x$x$x$x$x}\nx=${x//a/$x}\nx=${x//a/$x}\npytest subst.py\n"),
        added=("subst.py",),
        heavy=True,
    ),
    Case(
        "arithmetic-tower",
        _script_area("tower.sh", '#!/bin/bash\nx=$(( 10 ** 10 ** 10 ))\ny=$(( 7 ** 123456789 ))\npytest "tower_$x.py"\n'),
        added=("tower_0.py",),  # bash wraps at 64 bits: 10^(10^10) mod 2^64 is 0
        heavy=True,
    ),
    Case(
        "exponential-function-calls",
        _script_area("fork.sh", "#!/bin/bash\nf() {\n  f\n  f\n}\nf\npytest after_fork.py\n"),
        incomplete=(Expect("tests/pd/fork.sh", None, "limit"),),
        heavy=True,
    ),
]

# --------------------------------------------------------------------------- shell the interpreter cannot follow
DYNAMIC = [
    Case(
        "eval",
        _script_area(
            "evil_eval.sh",
            '#!/bin/bash\nCMD="pytest evaled.py"\neval "$CMD"\neval "$(cat generated.txt)"\npytest after_eval.py\n',
        ),
        incomplete=(Expect("tests/pd/evil_eval.sh", 4, "eval"),),
        added=("evaled.py", "after_eval.py"),
    ),
    Case(
        "dynamic-source",
        _script_area("hooks.sh", '#!/bin/bash\nsource "${HOOK_DIR}/hooks.sh"\npytest after_source.py\n'),
        incomplete=(Expect("tests/pd/hooks.sh", 2, "source"),),
        added=("after_source.py",),
    ),
    Case(
        "unbalanced-quote-in-script",
        _script_area("quote.sh", '#!/bin/bash\npytest before_quote.py\npytest "unterminated.py\n'),
        diagnostics=(Expect("tests/pd/quote.sh", 3, "parse error"),),
    ),
    Case(
        "unbalanced-quote-in-yaml-command",
        {BROKEN: area(step("quote", "pytest 'fine.py'", "pytest \"oops.py", "pytest later.py"))},
        diagnostics=(Expect(BROKEN, 10, "parse error"),),
    ),
    Case(
        "tree-sitter-error-nodes",
        _script_area("garbage.sh", "#!/bin/bash\npytest garbage_ok.py\nif then fi ;; done ) } esac\n"),
        # tree-sitter's error recovery opens the ERROR region on the line before the garbage.
        # An ERROR region is not a diagnostic (tree-sitter-bash rejects some text bash reads):
        # it is an incomplete part, named at its line.
        incomplete=(Expect("tests/pd/garbage.sh", 2, "could not parse"),),
    ),
    Case(
        "here-docs",
        _script_area(
            "heredoc.sh",
            "#!/bin/bash\ncat <<EOF > cfg.txt\n$(touch /tmp/never)\npytest not_a_command.py\nEOF\n"
            "python3 - <<'PY'\nimport os\nos.system('pytest also_not_a_command.py')\nPY\npytest after_heredoc.py\n",
        ),
        added=("after_heredoc.py",),
        absent=("not_a_command.py",),
    ),
]

# --------------------------------------------------------------------------- matrices nobody could run
DIMENSIONS = "".join(f"d{i}: [" + ", ".join(str(j) for j in range(10)) + "]\n" for i in range(8))  # 10^8 combinations


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


MATRICES = [
    Case(
        "buildkite-matrix-explosion",
        {".buildkite/pipeline.yml": "steps:\n  - label: m\n    command: pytest m_{{matrix.d7}}.py\n    matrix:\n      setup:\n"
         + _indent(DIMENSIONS, 8)},
        diagnostics=(Expect(".buildkite/pipeline.yml", 4, "matrix makes 100000000 combinations"),),
        incomplete=(Expect(".buildkite/pipeline.yml", 4, "truncated"),),
        added=("m_9.py",),
        heavy=True,
    ),
    Case(
        "github-actions-matrix-explosion",
        {".github/workflows/ci.yml": "on: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
         + _indent(DIMENSIONS, 8) + "    steps:\n      - run: pytest ${{ matrix.d0 }}\n"},
        diagnostics=(Expect(".github/workflows/ci.yml", 6, "GitHub refuses more than 256"),),
        heavy=True,
    ),
    Case(
        "gitlab-matrix-explosion",
        {".gitlab-ci.yml": "t:\n  script: [pytest g.py]\n  parallel:\n    matrix:\n      - " + _indent(DIMENSIONS, 8).strip() + "\n"},
        diagnostics=(Expect(".gitlab-ci.yml", 3, "GitLab refuses more than 200"),),
        heavy=True,
    ),
]

# --------------------------------------------------------------------------- configured caps
CAPS = [
    Case(
        "caps-are-configurable",
        {
            **_script_area(
                "few_guards.sh",
                "#!/bin/bash\nargs=()\n"
                + "".join(f'if [[ -e "/opt/f{i}" ]]; then\n  args+=("--f{i}")\nfi\n' for i in range(4))
                + 'pytest few.py "${args[@]}"\n',
            ),
        },
        incomplete=(Expect("tests/pd/few_guards.sh", None, ""),),
        base={".coverage-diff.toml": "max-paths = 4\n"},  # a lower cap counts once the repository has it
    ),
]

# --------------------------------------------------------------------------- issue 20: scalars and nesting
HEX = "0x" + "f" * 5000
SEXAGESIMAL = ":".join(["1"] * 3000)
WORKFLOW = ".github/workflows/ci.yml"
TOO_DEEP = "nests constructs too deeply to analyse"


def nested_substitutions(depth: int, test: str) -> str:
    return "#!/bin/bash\nx=" + "$(echo " * depth + "a" + ")" * depth + f"\npytest {test}\n"


def nested_defaults(depth: int, test: str) -> str:
    return "#!/bin/bash\nx=" + "${y:-" * depth + "a" + "}" * depth + f"\npytest {test}\n"
NESTING = [
    Case(
        "yaml-huge-hex-and-sexagesimal-scalars",
        {".buildkite/test_areas/x.yaml": area(f"- label: hex\n  parallelism: {HEX}\n  timeout_in_minutes: {SEXAGESIMAL}\n"
                                               f"  env:\n    BIG: {'9' * 5000}\n  commands:\n    - pytest hex.py\n"),
         ".gitlab-ci.yml": f"t:\n  parallel: {SEXAGESIMAL}\n  script: [pytest gl.py]\n",
         WORKFLOW: f"on: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    timeout-minutes: {HEX}\n"
                   f"    strategy:\n      matrix:\n        n: [{HEX}, {SEXAGESIMAL}]\n    steps:\n      - run: pytest gha.py\n"},
        # vLLM's generator does not take the step's `parallelism` (a diagnostic at its line, the file's
        # steps do not run); the GitLab job is reported; the workflow's job still runs
        diagnostics=(Expect(".gitlab-ci.yml", 2, "`parallel` must be a number"),
                     Expect(".buildkite/test_areas/x.yaml", 6, "`parallelism` must be an integer")),
        added=("gha.py",),
        heavy=True,
    ),
    Case(
        "yaml-tagged-scalar-that-is-not-its-type",
        {WORKFLOW: "on: [pull_request]\njobs:\n  t:\n    runs-on: !!int abc\n    timeout-minutes: !!float xyz\n"
                   "    steps:\n      - run: pytest tagged.py\n",
         ".gitlab-ci.yml": "t:\n  parallel: !!int many\n  script: [pytest tagged_gl.py]\n"},
        added=("tagged.py",),
    ),
    # Nesting past Python's default recursion limit is analysed on a deeper stack (isolation.nested) ...
    *(
        Case(name, _script_area(script, body), added=(runs,), whole=True, heavy=True)
        for name, script, body, runs in [
            ("shell-120-nested-command-substitutions", "cs.sh", nested_substitutions(120, "cs.py"), "cs.py"),
            ("shell-200-nested-defaults", "dflt.sh", nested_defaults(200, "dflt.py"), "dflt.py"),
            ("shell-2000-nested-command-substitutions", "cs.sh", nested_substitutions(2000, "cs.py"), "cs.py"),
        ]
    ),
    # ... up to a bound: past it, the job is a diagnostic and the rest of the tree is analysed.
    *(
        Case(name, _script_area(script, body), diagnostics=(Expect(BROKEN, 5, TOO_DEEP),),
             incomplete=(Expect(BROKEN, 5, TOO_DEEP),), heavy=True)
        for name, script, body in [
            ("shell-6000-nested-command-substitutions", "cs.sh", nested_substitutions(6000, "cs.py")),
            ("shell-10000-nested-defaults", "dflt.sh", nested_defaults(10000, "dflt.py")),
        ]
    ),
    # An and-or list is walked in a loop, however long: analysed, nothing cut.
    Case(
        "shell-20000-and-or-operators",
        _script_area("chain.sh", "#!/bin/bash\n" + " && ".join(["true"] * 10000) + " || " + " && ".join(["true"] * 10000)
                     + " && pytest chain.py\npytest after_chain.py\n"),
        added=("chain.py", "after_chain.py"),
        whole=True,
        heavy=True,
    ),
    Case(
        "github-run-with-400-and-operators",
        {WORKFLOW: "on: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "
                   + " && ".join(["true"] * 400) + " && pytest run.py\n      - run: pytest after.py\n"},
        added=("run.py", "after.py"),
        whole=True,
        heavy=True,
    ),
    Case(
        "github-expression-nested-2000-deep",
        {WORKFLOW: "on: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    if: ${{ " + "(" * 2000 + "true"
                   + ")" * 2000 + " }}\n    steps:\n      - run: pytest expr.py\n  u:\n    runs-on: ubuntu-latest\n"
                   "    if: ${{ " + "!" * 5001 + "false }}\n    steps:\n      - run: pytest nots.py\n"},
        diagnostics=(Expect(WORKFLOW, 5, "nested more than 64 deep"),),
        added=("nots.py",),
    ),
    Case(
        "github-fromjson-nested-3000-deep",
        {WORKFLOW: "on: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                   "        x: ${{ fromJSON('" + "[" * 3000 + "]" * 3000 + "') }}\n    steps:\n      - run: pytest fj.py\n"},
        diagnostics=(Expect(WORKFLOW, 5, "JSON nested more than 64 deep"),),
    ),
]

# --------------------------------------------------------------------------- issue 20: fan-out across files and levels
def gitlab_extends(width: int = 8, depth: int = 10) -> str:
    """Templates `extends` every template of the level below: width ** depth merges unbounded."""
    text = ".l0_0:\n  script: [pytest base.py]\n"
    for d in range(1, depth):
        parents = ", ".join(f".l{d - 1}_{x}" for x in range(width)) if d > 1 else ".l0_0"
        text += "".join(f".l{d}_{w}:\n  extends: [{parents}]\n  variables:\n    V{d}_{w}: '1'\n" for w in range(width))
    return text + "job:\n  extends: [" + ", ".join(f".l{depth - 1}_{x}" for x in range(width)) + "]\n"


def gitlab_references(width: int = 8, depth: int = 10) -> str:
    text = ".r0_0:\n  script: [pytest ref.py]\n"
    for d in range(1, depth):
        refs = "".join(f"    - !reference [.r{d - 1}_{x}, script]\n" for x in range(width if d > 1 else 1))
        text += "".join(f".r{d}_{w}:\n  script:\n{refs}" for w in range(width))
    return text + "job:\n  script:\n" + "".join(f"    - !reference [.r{depth - 1}_{x}, script]\n" for x in range(width))


def reusable_workflows(width: int = 6, depth: int = 10) -> Tree:
    files = {}
    for d in range(depth):
        files[f".github/workflows/r{d}.yml"] = "on: workflow_call\njobs:\n" + (
            "  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest leaf.py\n" if d == depth - 1
            else "".join(f"  c{w}:\n    uses: ./.github/workflows/r{d + 1}.yml\n" for w in range(width)))
    files[WORKFLOW] = "on: [pull_request]\njobs:\n" + "".join(f"  c{w}:\n    uses: ./.github/workflows/r0.yml\n" for w in range(width))
    return files


def composite_actions(width: int = 6, depth: int = 10) -> Tree:
    files = {}
    for d in range(depth):
        steps = ("    - run: pytest comp.py\n      shell: bash\n" if d == depth - 1
                 else "".join(f"    - uses: ./.github/actions/a{d + 1}\n" for _ in range(width)))
        files[f".github/actions/a{d}/action.yml"] = f"name: a{d}\nruns:\n  using: composite\n  steps:\n{steps}"
    files[WORKFLOW] = ("on: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                       + "".join("      - uses: ./.github/actions/a0\n" for _ in range(width)))
    return files


def wide_workflow(jobs: int = 1500, values: int = 256) -> str:
    """`jobs` jobs, each with a matrix of `values` values (one YAML anchor, so the file stays small)."""
    first = ("  j0:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        v: &m ["
             + ", ".join(f"v{i}" for i in range(values)) + "]\n    steps:\n      - run: pytest m.py\n")
    rest = "".join(f"  j{j}:\n    runs-on: ubuntu-latest\n    strategy: {{matrix: {{v: *m}}}}\n    steps: [{{run: pytest m.py}}]\n"
                   for j in range(1, jobs))
    return "on: [pull_request]\njobs:\n" + first + rest


FANS_OUT = "fans out to more than"
FAN_OUT = [
    Case(name, files, diagnostics=(Expect(where, 1, FANS_OUT),), incomplete=(Expect(where, 1, FANS_OUT),), heavy=True)
    for name, where, files in [
        ("gitlab-extends-8-wide-10-deep", ".gitlab-ci.yml", {".gitlab-ci.yml": gitlab_extends()}),
        ("gitlab-references-8-wide-10-deep", ".gitlab-ci.yml", {".gitlab-ci.yml": gitlab_references()}),
        ("github-reusable-workflows-6-wide-10-deep", WORKFLOW, reusable_workflows()),
        ("github-composite-actions-6-wide-10-deep", WORKFLOW, composite_actions()),
        ("github-1500-jobs-times-a-256-value-matrix", WORKFLOW, {WORKFLOW: wide_workflow()}),
        ("buildkite-matrix-1024-times-parallelism-1024", ".buildkite/pipeline.yml",
         {".buildkite/pipeline.yml": "steps:\n  - label: m\n    command: pytest m.py {{matrix}}\n    matrix: ["
          + ", ".join(f"v{i}" for i in range(1024)) + "]\n    parallelism: 1024\n"}),
    ]
]

APPENDS = [
    Case(
        "array-appends-in-nested-loops",
        _script_area("app.sh", '#!/bin/bash\narr=()\nfor i in $(seq 1 400); do\n  for j in $(seq 1 200); do\n'
                               '    arr+=("$i-$j")\n  done\ndone\npytest app.py "${#arr[@]}"\n'),
        incomplete=(Expect("tests/pd/app.sh", 5, "grows past 8192 items by `+=`"),),
        heavy=True,
    ),
]

def case_arms(arms: int, pattern: str, subject: str, iterations: int = 50) -> str:
    """A loop passing a `case` of `arms` arms (`pattern` formatted with the arm's number)."""
    body = "".join(f"    {pattern.format(i)}) pytest arm_{i}.py ;;\n" for i in range(arms))
    return (f'#!/bin/bash\nfor i in $(seq 1 {iterations}); do\n  case "{subject}" in\n{body}'
            '    *) pytest no_arm.py ;;\n  esac\ndone\npytest after_arms.py\n')


CASE_ARMS = [
    # A value known statically finds its arm through the index of literal patterns: each pass
    # costs one lookup, and the path keeps only the arm taken (MODE comes from the job).
    Case(
        "case-12000-literal-arms-in-a-loop",
        _script_area("arms.sh", case_arms(12000, "v{}", "${MODE}$i"), call="MODE=v bash pd/arms.sh"),
        added=("arm_1.py", "arm_50.py", "after_arms.py"),
        absent=("arm_51.py", "no_arm.py"),
        whole=True,
        heavy=True,
    ),
    # Globs are tested in turn, each test a step: the step limit ends the job, said where.
    Case(
        "case-12000-glob-arms-in-a-loop",
        _script_area("arms.sh", case_arms(12000, "v{}*x", "${MODE}$i"), call="MODE=v bash pd/arms.sh"),
        incomplete=(Expect("tests/pd/arms.sh", None, "step limit"),),
        added=("no_arm.py",),
        heavy=True,
    ),
    # A value not known statically may match any arm: past 2 x max-paths paths out of one
    # statement, the later arms are cut, and said so.
    Case(
        "case-3000-arms-on-an-unknown-value",
        _script_area("arms.sh", case_arms(3000, "v{}", "$(cat arm.txt)", iterations=1)),
        incomplete=(Expect("tests/pd/arms.sh", 517, "case with more than 512 paths"),),
        added=("arm_0.py", "arm_512.py"),
        absent=("arm_513.py", "arm_2999.py"),
        heavy=True,
    ),
    # The same in a loop: the paths out of the `case` go on as one, so the passes do not multiply
    # them by the arms (before: 2 GB of JSON and 12 GB of memory); an added subject lists at most
    # 20 runs of its own (report/json.py).
    Case(
        "case-600-arms-on-an-unknown-value-3-passes",
        _script_area("arms.sh", case_arms(600, "v{}", "$(cat arm.txt)", iterations=3)),
        incomplete=(Expect("tests/pd/arms.sh", 517, "case with more than 512 paths"),),
        added=("arm_0.py", "arm_512.py", "after_arms.py"),
        absent=("arm_513.py", "arm_599.py", "runs_omitted"),
        heavy=True,
    ),
]

# Patterns that make a backtracking matcher take exponential time: `=~` goes to RE2, globs to a
# linear matcher; every test here ends at once and the runs behind them are predicted as bash runs them.
A35, A64 = "a" * 35, "a" * 64
STARS = "*a" * 30 + "*b"
MATCHERS = [
    Case(
        "regex-and-globs-that-backtrack",
        _script_area("match.sh", f'#!/bin/bash\nx={A35}!\nif [[ $x =~ ^(a+)+$ ]]; then pytest regex_matched.py; fi\n'
                                 f'y={A64}\nif [[ $y == {STARS} ]]; then pytest glob_matched.py; fi\n'
                                 f'case $y in {STARS}) pytest case_matched.py ;; *) pytest case_missed.py ;; esac\n'
                                 f'z=${{y//{STARS}/q}}\nw=${{y##{STARS}}}\npytest "after_$z$w.py"\n'),
        added=("case_missed.py", f"after_{A64}{A64}.py"),
        absent=("regex_matched.py", "glob_matched.py", "case_matched.py"),
        whole=True,
        heavy=True,
    ),
]

# Lines after which bash runs nothing (or not the program named): the tool predicts no run there
# (differential tests under bash: tests/shell/test_commands.py), and the loss elsewhere still gates.
STOPPERS = {"set_n": "set -n", "alias_env": "shopt -s expand_aliases\nalias env=true", "kill_self": "kill -9 $$",
            "hash_p": "hash -p /bin/true pytest", "empty_path": "PATH=/nonexistent"}
STOPPED = {f"tests/pd/stop_{name}.sh": f"#!/bin/bash\n{line}\nenv pytest stopped_{name}.py\n" for name, line in STOPPERS.items()}
RUN_NOTHING = [
    Case(
        "lines-that-make-bash-run-nothing",
        {**STOPPED, BROKEN: area("".join(step(name, f"bash pd/stop_{name}.sh") for name in STOPPERS))},
        incomplete=(Expect("tests/pd/stop_set_n.sh", 2, "set -n: bash executes nothing after this line"),
                    Expect("tests/pd/stop_empty_path.sh", 3, "without the system directories")),
        added=("stopped_empty_path.py",),  # possible: the PATH may hold pytest after all
        absent=("stopped_set_n.py", "stopped_alias_env.py", "stopped_kill_self.py", "stopped_hash_p.py"),
    ),
]

# An accept comment the pull request adds beside its own loss: accepted once merged, still gating.
OWN_ACCEPT = [
    Case(
        "accept-comment-beside-its-own-loss",
        {SWEEP: HEAD_SWEEP.replace(f'  "{GEMMA}"\n', f'  # coverage-diff: accept[silently-dropped] nothing to see\n  "{GEMMA}"\n')},
    ),
]

CASES = CASE_ARMS + MATCHERS + RUN_NOTHING + OWN_ACCEPT + APPENDS + YAML_SYNTAX + WRONG_TYPES + ENCODING + TREE + RECURSION + BOMBS + DYNAMIC + MATRICES + CAPS + NESTING + FAN_OUT
