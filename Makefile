# Two targets make the README's quick start; each sets up .venv/ itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint bench samples screenshots browser clean

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

## demo: set up, then verify and summarise the bundled samples and write the incident and cost evidence packs
demo: $(VENV)/.installed-notebooks
	$(BIN)/auditkit verify sample_logs/
	@echo
	$(BIN)/auditkit summary sample_logs/
	@echo
	$(BIN)/auditkit report incident sample_logs/ --out reports/incident --force -p deleted_path data/exports/customers-2026-03.csv
	@echo
	$(BIN)/auditkit report cost sample_logs/ --out reports/cost --force

## browser: Debian's chromium and chromium-driver for the browser tests (installed once; needs root)
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
		echo "installing Debian's chromium and chromium-driver for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

## test: set up with dev extras and the browser, lint, then run the whole test suite
test: lint browser
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider notebooks/
	$(BIN)/python tests/prepare_mixed_notebooks.py .nbval-three-agents
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider .nbval-three-agents/

## test-fast: the edit-test loop: no notebooks, no many-process or property tests
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow" -n 2

## lint: ruff's checks and its formatting, the import rules (import-linter: layers, no circles, the hook
## standard-library only; docs/architecture.md) and the type checker (mypy), as CI runs them
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## bench: one table of every benchmark beside its goal (BEFORE=REF adds that commit's figures; QUICK=1 small inputs)
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/table.py $(if $(BEFORE),--before $(BEFORE)) $(if $(QUICK),--quick)

## screenshots: the first screen of each evidence pack, taken by the browser test, into docs/screens/
screenshots: $(VENV)/.installed-dev browser
	AUDITKIT_SCREENSHOTS=docs/screens $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_browser.py -k evidence_page

## samples: regenerate sample_logs/ deterministically with the simulator
samples: $(VENV)/.installed-base
	$(BIN)/python -m auditkit.simulate sample_logs/

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
