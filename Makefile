# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The peers of benchmarks/quality.py (SDV, arfpy, synthpop-py): an environment of their own.
PEERS_VENV := .venv-peers
PEERS_STAMP := $(PEERS_VENV)/.installed
NOTEBOOK := explore.ipynb
# TensorFlow's C++ start-up lines go to the terminal, not into the notebook's outputs.
KERNEL_STDERR_TO_TERMINAL := --ExecutePreprocessor.extra_arguments="['--IPKernelApp.capture_fd_output=False']"

.DEFAULT_GOAL := help
.PHONY: help setup run test lab lint format bench bench-peers clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install requirements.txt (once, again when it changes).

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: setup ## Execute the notebook end to end at its defaults (outputs kept in it).
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=3600 $(KERNEL_STDERR_TO_TERMINAL) $(NOTEBOOK)

test: setup ## Lint, then run every test, the notebook included (nbval).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lab: setup ## Open JupyterLab on the notebook.
	$(BIN)/jupyter lab $(NOTEBOOK)

lint: setup ## ruff check and ruff format --check, notebooks included.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## Reformat the code and notebooks with ruff.
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## Run the benchmarks (see BENCHMARKS.md).
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/report_speed.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/fit_time.py
	$(BIN)/python benchmarks/check_score.py
	$(BIN)/python benchmarks/setup_time.py
	$(BIN)/python benchmarks/scale.py

bench-peers: $(PEERS_STAMP) ## Quality benchmark with the peers (SDV, arfpy, synthpop-py), in .venv-peers.
	$(PEERS_VENV)/bin/python benchmarks/quality.py --peers

# synthpop-py 0.1.3 asks for pandas 3, which SDV refuses: installed without its
# dependencies (it runs on pandas 2.3), from benchmarks/requirements-peers-nodeps.txt.
$(PEERS_STAMP): benchmarks/requirements-peers.txt benchmarks/requirements-peers-nodeps.txt pyproject.toml
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	$(PEERS_VENV)/bin/python -m pip install --quiet --no-deps -r benchmarks/requirements-peers-nodeps.txt
	$(PEERS_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $(PEERS_STAMP)

clean: ## Remove .venv, .venv-peers, models/ and caches.
	rm -rf $(VENV) $(PEERS_VENV) models .pytest_cache .hypothesis *.egg-info
