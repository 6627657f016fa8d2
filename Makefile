# coverage-diff: `make demo` shows the tool on a bundled example, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_REPO ?= demo-repo

.PHONY: venv demo test fuzz fuzz-hostile bench bench-gha clean

$(BIN)/coverage-diff: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/coverage-diff

# Build the vLLM-style example repository (two commits, tagged base and head) and diff it.
demo: venv
	$(BIN)/python fixtures/history.py fixtures/vllm_pd_split $(DEMO_REPO) >/dev/null
	-$(BIN)/coverage-diff base..head --repo $(DEMO_REPO)

test: venv
	$(BIN)/python -m pytest

# Differential fuzzing of the shell interpreter: random sweep scripts under bash vs predicted.
FUZZ_COUNT ?= 2000
fuzz: venv
	$(BIN)/python tests/shell/fuzz.py --count $(FUZZ_COUNT)

# Hostile-input fuzzing (hypothesis): YAML front-ends and the interpreter never raise and stay within the caps,
# head settings never weaken the base's (caps, lists, fail-on-incomplete), front-end fan-out stays within its
# budget, the case-arm index agrees with testing each arm, a revision cut by the clock anywhere stays well formed,
# globs and `=~` regexes agree with a backtracking engine on short values and finish on long ones, a `case` on
# an unknown value in a loop stays within the caps.
# 14 properties x HOSTILE_FUZZ_EXAMPLES generated inputs (default 1500: 21,000 inputs); prints the total.
HOSTILE_FUZZ_EXAMPLES ?= 1500
fuzz-hostile: venv
	@HOSTILE_FUZZ_EXAMPLES=$(HOSTILE_FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/hostile/test_hostile_fuzz.py \
		-p no:cacheprovider --hypothesis-show-statistics -q > .fuzz-hostile.log 2>&1; status=$$?; \
	cat .fuzz-hostile.log; \
	awk '/passing,/ {n += $$2} END {print "fuzz-hostile: " n " generated inputs passed"}' .fuzz-hostile.log; \
	rm -f .fuzz-hostile.log; exit $$status

# Benchmarks on generated repositories (built under .bench/); see docs/performance.md.
bench: venv
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# A generated PyTorch-scale GitHub Actions tree (600 step-jobs), cold inventory timed.
bench-gha: venv
	$(BIN)/python benchmarks/gha_tree.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_REPO) .pytest_cache
