# Two targets make the README's quick start; each sets up .venv/ itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint bench samples clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $(VENV)/.installed-base $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed-base $(VENV)/.installed-notebooks $@

## demo: set up, then verify and summarise the bundled sample trails and write an incident evidence pack
demo: $(VENV)/.installed-notebooks
	$(BIN)/auditkit verify sample_logs/
	@echo
	$(BIN)/auditkit summary sample_logs/
	@echo
	$(BIN)/auditkit report incident sample_logs/ --out reports/incident --force -p deleted_path data/exports/customers-2026-03.csv

## test: set up with dev extras, lint, then run the whole test suite
test: lint
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider notebooks/
	$(BIN)/python tests/prepare_mixed_notebooks.py .nbval-three-agents
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider .nbval-three-agents/

## test-fast: the edit-test loop: no notebooks, no many-process or property tests
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow" -n 2

## lint: ruff's checks and its formatting, as CI runs them
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: print the benchmarks' figures (not part of the tests)
bench: $(VENV)/.installed-dev
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

## samples: regenerate sample_logs/ deterministically with the simulator
samples: $(VENV)/.installed-base
	$(BIN)/python -m auditkit.simulate sample_logs/

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
