# Two commands on a fresh machine:
#   make serve   install into .venv, load the demo content on first run, serve on http://127.0.0.1:8080
#   make test    install into .venv with the test extras and run the test suite, on SQLite and then on a
#                throwaway PostgreSQL server when the machine has one (tests/postgres.py says so when not)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: serve test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[fast,test]'

serve: install
	$(BIN)/kmrepo serve

test: install
	$(BIN)/python -m pytest
	$(BIN)/python -m tests.postgres

bench: install
	$(BIN)/python -m bench.quality
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
