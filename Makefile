# PatentDesk — the two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export PATENTDESK_DATA ?= $(CURDIR)/var/data
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The local demo pays at the simulated bank, chosen explicitly (never a default; refused in
# an environment named prod/production).
run: install
	scripts/system-deps.sh run
	PATENTDESK_PAYMENT_GATEWAY=$${PATENTDESK_PAYMENT_GATEWAY:-simulated} \
	  $(BIN)/patentdesk serve --host $(HOST) --port $(PORT) --demo

test: install
	scripts/system-deps.sh test
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/patentdesk

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache
