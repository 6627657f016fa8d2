"""A seeded generator of random vLLM-style sweep scripts and job environments.

Each case is a small repository (a sweep script, maybe a sourced definitions
file and a child runner script) plus a job that calls the sweep with a random
environment.  Every value is known, so the interpreter must agree with bash
exactly.  Constructs: config arrays, copies and `+=`, element rewrites over
`"${!a[@]}"`, if/elif/else guards (`-n`/`-z`/`==`/`!=`/globs/`&&`/`||`/`!`,
`[ ]`), `case` with `|` and `;&`/`;;&`, functions with `local` and `$1`, for /
C-style for / while loops with break and continue, `read -r -a`, `env
"${parts[@]}"`, sourced files through the SCRIPT_DIR idiom, child scripts,
early exits and returns, `set -e` with failing commands, parameter expansions
and arithmetic; `set -u` with bare references to variables the job may not set,
`pipefail` with failing pipeline stages, pipelines inside `$(...)`, `&&` / `||`
/ `?:` short-circuits in `$(( ))`, `printf -v`, and `getopts` in child scripts; unquoted globs
against the repository's files (with `nullglob`/`dotglob`), and `while read` loops over a
repository file, a here-string, a here-doc or a pipeline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from coverage_diff.model import Job

from .helpers import job as make_job

VARIABLES = ("MODE", "FLAG", "SW_ATTN", "TP", "LEVEL")
VALUES = ("", "1", "0", "True", "a", "ab", "fast", "slow", "2")
MODELS = ("llama", "qwen", "gemma-3", "mistral", "phi")


@dataclass
class Case:
    seed: int
    files: dict[str, str]
    job: Job

    def describe(self) -> str:
        env = " ".join(f"{k}={v!r}" for k, v in self.job.env)
        body = "\n".join(f"--- {p}\n{t}" for p, t in self.files.items() if p.endswith(".sh"))
        return f"seed {self.seed}; env {env}; commands {[c.text for c in self.job.commands]}\n{body}"


class Generator:
    def __init__(self, seed: int):
        self.seed = seed
        self.r = random.Random(seed)
        self.arrays: list[str] = []
        self.counter = 0

    # -- small pieces -------------------------------------------------------------
    def var(self) -> str:
        return self.r.choice(VARIABLES)

    def entry(self) -> str:
        words = [f"MODEL={self.r.choice(MODELS)}"]
        for key in self.r.sample(["TP_SIZE", "GPU_UTIL", "BACKEND", "BLOCKS"], self.r.randint(0, 2)):
            words.append(f"{key}={self.r.choice(['1', '2', '0.6', 'FLASH', 'x'])}")
        self.r.shuffle(words)
        return " ".join(words)

    def array(self, name: str) -> str:
        lines = [f'  "{self.entry()}"' + (f"  # note {self.r.randint(0, 9)}" if self.r.random() < 0.3 else "")
                 for _ in range(self.r.randint(1, 3))]
        return f"{name}=(\n" + "\n".join(lines) + "\n)\n"

    def atom(self) -> str:
        v = self.var()
        lit = self.r.choice(VALUES[1:])
        return self.r.choice([
            f'[[ -n "${{{v}:-}}" ]]',
            f'[[ -z "${{{v}:-}}" ]]',
            f'[[ "${{{v}:-0}}" == "{lit}" ]]',
            f'[[ "${{{v}:-}}" != "{lit}" ]]',
            f'[[ "${{{v}:-}}" == {lit[0]}* ]]',
            f'[ "${{{v}:-x}}" = "{lit}" ]',
            f'[[ ${{#configs[@]}} -gt {self.r.randint(0, 3)} ]]',
            f'[[ "${{{v},,}}" == "{lit.lower()}" ]]',
        ])

    def cond(self) -> str:
        roll = self.r.random()
        if roll < 0.55:
            return self.atom()
        if roll < 0.7:
            return f"! {self.atom()}"
        op = self.r.choice(["&&", "||"])
        return f"{self.atom()} {op} {self.atom()}"

    def run_line(self, arg: str, indent: str = "  ") -> str:
        runner = self.r.choice(["pytest -q", "python -m pytest", "pytest"])
        test = self.r.choice(["tests/test_a.py", "tests/unit/test_b.py", "tests/unit"])
        return f'{indent}{runner} {test} {arg}\n'

    # -- the script --------------------------------------------------------------
    def case(self) -> Case:
        files: dict[str, str] = {"tests/test_a.py": "", "tests/unit/test_b.py": "", "tests/test_c.py": "",
                                 "tests/.test_hidden.py": "", "tests/unit/deep/test_d.py": ""}
        out = ["#!/bin/bash\n"]
        if self.r.random() < 0.5:
            out.append(self.r.choice(["set -e\n", "set -eo pipefail\n", "set -ex\n", "set -euo pipefail\n", "set -u\n"]))
        out.append('SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)\n')
        names = ["tp_configs", "sw_configs", "dp_configs"][: self.r.randint(1, 3)]
        sourced = self.r.random() < 0.4
        defs = "".join(self.array(n) for n in names)
        if sourced:
            files["ci/defs.sh"] = defs
            out.append('source "${SCRIPT_DIR}/defs.sh"\n')
        else:
            out.append(defs)
        if self.r.random() < 0.25:
            out.append(f"if {self.cond()}; then\n  {self.r.choice(['exit 0', 'exit 3', 'echo skipping; exit 0'])}\nfi\n")
        out.append(self.selection(names))
        if self.r.random() < 0.5:
            out.append(f"if {self.cond()}; then\n  for i in \"${{!configs[@]}}\"; do\n"
                       f"    configs[$i]=\"HMA={self.r.randint(0, 1)} ${{configs[$i]}}\"\n  done\nfi\n")
        if self.r.random() < 0.3:
            out.append(f'configs+=("{self.entry()}")\n')
        out.append(self.extras())
        out.append(self.options_block())
        child = self.r.random() < 0.35
        if child:
            files["ci/run.sh"] = self.child_script()
        out.append(self.runner_function(child))
        out.append(self.loop())
        if self.r.random() < 0.3:
            out.append(self.case_statement())
        if self.r.random() < 0.2:
            out.append("false\n" + self.run_line("after-false", ""))
        if self.r.random() < 0.35:
            out.append(self.glob_block())
        if self.r.random() < 0.35:
            out.append(self.while_read_block(files))
        files["ci/sweep.sh"] = "".join(out)
        env = {v: self.r.choice(VALUES) for v in self.r.sample(VARIABLES, self.r.randint(0, len(VARIABLES)))}
        call = "bash ci/sweep.sh"
        if self.r.random() < 0.3:
            var = self.var()
            call = f"{var}={self.r.choice(VALUES[1:])} {call}"
        commands = [call]
        if self.r.random() < 0.3:
            commands.insert(0, f"export {self.var()}={self.r.choice(VALUES[1:])}")
        if self.r.random() < 0.2:
            commands.insert(0, "cd ci && cd ..")
        return Case(self.seed, files, make_job(*commands, env=env, errexit=self.r.random() < 0.8))

    def selection(self, names: list[str]) -> str:
        if len(names) == 1 or self.r.random() < 0.2:
            return f'configs=("${{{names[0]}[@]}}")\n'
        text = ""
        for i, name in enumerate(names[1:]):
            text += f"{'if' if i == 0 else 'elif'} {self.cond()}; then\n  configs=(\"${{{name}[@]}}\")\n"
        return text + f'else\n  configs=("${{{names[0]}[@]}}")\nfi\n'

    def extras(self) -> str:
        v = self.var()
        lines = ["extra=()\n"]
        lines.append(f"if {self.cond()}; then\n  extra+=(\"--backend\" \"${{{v}:-none}}\")\nfi\n")
        if self.r.random() < 0.5:
            lines.append(f'LABEL="${{{v}:-dflt}}"\nLABEL="${{LABEL^^}}-${{#LABEL}}"\nextra+=("--label=${{LABEL%-*}}")\n')
        if self.r.random() < 0.3:
            lines.append(f'N=$(( {self.r.randint(1, 4)} * {self.r.randint(1, 3)} + 1 ))\nextra+=("-n" "$N")\n')
        if self.r.random() < 0.3:
            a, b = self.r.randint(0, 2), self.r.randint(0, 2)
            lines.append(f'k=0\nS=$(( {a} && k++ ))$(( {b} || k++ ))$(( {a} ? {b} / {a} : k ))\nextra+=("--sc=$S$k")\n')
        if self.r.random() < 0.25:
            lines.append(f'printf -v PV "%s-%03d" "${{{v}:-x}}" {self.r.randint(0, 99)}\nextra+=("$PV")\n')
        if self.r.random() < 0.3:
            lines.append(f'PAIR="${{{v}:-a}} ${{{self.var()}:-b}}  $N"\nextra+=("$PAIR" "x $PAIR $v")\n')
        if self.r.random() < 0.25:
            lines.append(f'PIPED=$(echo "${{{v}:-p}} q" | while read -r w rest; do echo "$w+$rest"; done)\nextra+=("$PIPED")\n')
        return "".join(lines)

    def options_block(self) -> str:
        """Lines whose effect depends on `set -u` / `pipefail`: a bare reference, a failing stage."""
        roll = self.r.random()
        if roll < 0.2:
            return f'echo "${{{self.var()}}}" >/dev/null\n'
        if roll < 0.35:
            return self.r.choice(["false | cat\n", "true | false | true\n", "false | true || extra+=(--piped-fail)\n"])
        if roll < 0.45:
            return "if false | true; then extra+=(--pipe-ok); fi\n"
        return ""

    def child_script(self) -> str:
        body = "#!/bin/bash\n"
        if self.r.random() < 0.5:
            body += "set -e\n"
        if self.r.random() < 0.4:
            body += ('while getopts ":s:q" opt; do case $opt in s) SUFFIX=$OPTARG ;; q) QUIET=1 ;; *) ;; esac; done\n'
                     'shift $((OPTIND - 1))\n')
        body += 'MODEL=${MODEL:-none}\n'
        if self.r.random() < 0.4:
            body += f'if [[ "$MODEL" == {self.r.choice(MODELS)[:2]}* ]]; then\n  exit 0\nfi\n'
        body += 'for arg in "$@"; do\n  [[ "$arg" == --skip ]] && continue\n  pytest tests/test_a.py --model "$MODEL" "${SUFFIX:-none}${QUIET:-0}" "$arg"\ndone\n'
        return body

    def runner_function(self, child: bool) -> str:
        opts = self.r.choice(["", "", "-q ", "-s sfx ", "-qs x "])
        call = f'env "${{parts[@]}}" bash "${{SCRIPT_DIR}}/run.sh" {opts}"$label" "${{extra[@]}}"\n' if child else \
               'env "${parts[@]}" ' + self.run_line('"$label" "${extra[@]}"', "").lstrip()
        guard = ""
        if self.r.random() < 0.3:
            guard = f'  if [[ "$cfg" == *{self.r.choice(MODELS)[:3]}* ]]; then\n    return 0\n  fi\n'
        return ("run_one() {\n  local cfg=$1\n  local label=${2:-none}\n" + guard +
                '  read -r -a parts <<< "$cfg"\n  ' + call + "}\n")

    def loop(self) -> str:
        kind = self.r.choice(["for", "for", "cfor", "while"])
        label = self.r.choice(["acc", "--skip", "perf"])
        stop = ""
        if self.r.random() < 0.3:
            stop = f'  [[ "$cfg" == *{self.r.choice(MODELS)[:2]}* ]] && {self.r.choice(["break", "continue"])}\n'
        if kind == "for":
            return f'for cfg in "${{configs[@]}}"; do\n{stop}  run_one "$cfg" {label}\ndone\n'
        if kind == "cfor":
            return (f'for ((i = 0; i < ${{#configs[@]}}; i++)); do\n  cfg="${{configs[$i]}}"\n{stop}'
                    f'  run_one "$cfg" {label}\ndone\n')
        return (f'i=0\nwhile [[ $i -lt ${{#configs[@]}} ]]; do\n  cfg="${{configs[$i]}}"\n  i=$((i + 1))\n{stop}'
                f'  run_one "$cfg" {label}\ndone\n')

    def case_statement(self) -> str:
        v = self.var()
        arms = []
        for lit in self.r.sample(VALUES[1:], 2):
            alt = self.r.choice(VALUES[1:])
            term = self.r.choice([";;", ";;", ";&", ";;&"])
            arms.append(f'  {lit}|{alt})\n' + self.run_line(f"case-{lit}", "    ") + f"    {term}\n")
        arms.append("  *)\n" + self.run_line("case-default", "    ") + "    ;;\n")
        return f'case "${{{v}:-}}" in\n' + "".join(arms) + "esac\n"


    def glob_block(self) -> str:
        pattern = self.r.choice(["tests/test_*.py", "tests/unit/*.py", "tests/*.zz", "tests/test_[ab].py", "tests/*/",
                                 "./tests/*.py", "tests/*/*/*.py", "tests/\\*.py", '"tests/"*.py', "tests/t?st_a.py"])
        option = self.r.choice(["", "", "", "nullglob", "dotglob"])
        use = self.r.choice([
            f'for f in {pattern}; do\n  pytest "$f" glob\ndone\n',
            f"pytest -q {pattern} glob\n",
            f'files=({pattern})\npytest "${{#files[@]}}" "${{files[@]}}"\n',
        ])
        if not option:
            return use
        return f"shopt -s {option}\n{use}shopt -u {option}\n"

    def while_read_block(self, files: dict[str, str]) -> str:
        rows = [f"{self.r.choice(MODELS)} {self.r.randint(1, 4)}" for _ in range(self.r.randint(0, 3))]
        files["ci/models.txt"] = "".join(f"{row}\n" for row in rows)
        stop = ""
        if self.r.random() < 0.3:
            stop = f'  [[ "$model" == {self.r.choice(MODELS)[:2]}* ]] && {self.r.choice(["break", "continue"])}\n'
        body = f'{stop}  n=$((n + 1))\n' + self.run_line('"--model=$model" "--tp=${tp:-1}" "$n"')
        source = self.r.choice(["file", "herestring", "heredoc", "pipe"])
        if source == "file":
            loop = f"while read -r model tp; do\n{body}done < ci/models.txt\n"
        elif source == "herestring":
            loop = f'while IFS=, read -r model tp; do\n{body}done <<< "{self.r.choice(MODELS)},{self.r.randint(1, 8)}"\n'
        elif source == "heredoc":
            loop = f"while read -r model tp; do\n{body}done <<EOF\n" + "".join(f"{row}\n" for row in rows) + "EOF\n"
        else:
            loop = f"cat ci/models.txt | while read -r model tp; do\n{body}done\n"
        return "n=0\n" + loop + self.run_line('"rows=$n"', "")


def generate(seed: int) -> Case:
    return Generator(seed).case()
