# boundcheck: set-up, demo, tests and benchmarks. Every target installs what it needs first.
# torch is installed first, alone, from TORCH_SPEC (default: the CPU wheel 2.13.0). For a GPU:
#   make demo TORCH_SPEC="torch==2.13.0 --index-url <your CUDA wheel index>"
# The project's own install then finds torch satisfied and leaves it alone.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.boundcheck-installed
DEMO_OUT ?= demo-out

.PHONY: install demo test test-all lint typecheck bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

BC := $(VENV)/bin/boundcheck

DEMO_ENV ?= InvertedPendulum-v5
DEMO_STEPS ?= 2500
DEMO_NOISE ?= 0.03

# The main job on embedded defaults: the bound formulas, k*, the exact finite-MDP checks, then a
# short MBPO run (paper settings, minutes on 2 CPU cores) on the task with known Gaussian noise
# (std DEMO_NOISE on every next-state coordinate and on the reward), so the model error is a
# measured TV distance, not the 1 by definition of a deterministic simulator. On that run (pi_D:
# its last checkpoint): a small model-generalization experiment (models fitted on 2k and 5k
# fresh transitions of pi_D, then 3,000 SAC updates each; eps_pi needs at least the run's
# updates between model retrains, 2,500 on InvertedPendulum: another DEMO_ENV may need more)
# whose measured eps_m, eps_pi and TV slope give k*, and Theorems 4.1-4.3 checked on the run's
# last two checkpoints with the measured TV (sup over time) as eps_m and eps_m'.
demo: install
	mkdir -p $(DEMO_OUT)
	$(BC) bounds --gamma 0.99 --r-max 1 --eps-m 0.01 --eps-pi 0.01 --k 5 --slope 0.5
	$(BC) optimal-k --gamma 0.99 --eps-pi 0.1 --eps-m 0.05 --k-max 80 --plot $(DEMO_OUT)/k_star.png
	$(BC) verify-tabular --mdps 1000 --seed 0 --out $(DEMO_OUT)/verify-tabular
	$(BC) train --env $(DEMO_ENV) --steps $(DEMO_STEPS) --seed 0 --force \
		--transition-noise $(DEMO_NOISE) --reward-noise $(DEMO_NOISE) --out $(DEMO_OUT)/runs/$(DEMO_ENV)
	$(BC) measure-generalization --run $(DEMO_OUT)/runs/$(DEMO_ENV) --train-size 2k,5k \
		--eval-steps 1000 --max-updates 3000 --force --out $(DEMO_OUT)/generalization
	$(BC) optimal-k --from $(DEMO_OUT)/generalization/results.json
	@echo "demo outputs in $(DEMO_OUT)/; last, Theorems 4.1-4.3 on the run, ending with what was found:"
	$(BC) validate --run $(DEMO_OUT)/runs/$(DEMO_ENV) --episodes 50 --force --out $(DEMO_OUT)/validate

test: install
	$(PY) -m pytest -q

test-all: install
	$(PY) -m pytest -q -m ""

# lint-imports checks the layer contract of docs/architecture.md ([tool.importlinter] in
# pyproject.toml; tests/test_architecture.py runs it in `make test` too).
lint: install
	$(VENV)/bin/ruff check boundcheck tests bench tools cli.py
	$(VENV)/bin/mypy boundcheck/theory boundcheck/estimators boundcheck/config
	$(VENV)/bin/lint-imports --no-cache

bench: install
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m bench --out bench-results.json $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
