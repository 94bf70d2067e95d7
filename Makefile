# Two commands do all the set-up on a fresh machine with only Python 3.11: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean test-pythons

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/luckydraw serve --seed examples/campaign.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core db app sms bot console public
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

# The whole suite once per other supported Python (venvs in ~/.cache/luckydraw); slow, not in `make test`.
PYTHONS ?= 3.12 3.13
test-pythons: $(STAMP)
	$(BIN)/python -m tests.pythons $(PYTHONS)

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,local,bench]'
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .data
