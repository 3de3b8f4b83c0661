# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Microsoft's SARIF validator, used by the SARIF tests, and the MCP Inspector, whose CLI mode
# the `serve` tests drive (both installed from npm).
SARIF_TOOL := .tools/node_modules/.bin/sarif-multitool
INSPECTOR  := .tools/node_modules/.bin/mcp-inspector

.PHONY: demo test bench perf fuzz accuracy ecosystem docs install sarif-tool npm-tools clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

$(SARIF_TOOL):
	mkdir -p .tools
	npm install --prefix .tools --no-audit --no-fund --silent @microsoft/sarif-multitool@5.7.0
	# npm leaves install scripts off, and the package's only script makes its binary executable.
	chmod u+x .tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

$(INSPECTOR):
	mkdir -p .tools
	npm install --prefix .tools --no-audit --no-fund --silent @modelcontextprotocol/inspector@2.12.0

sarif-tool: $(SARIF_TOOL)
npm-tools: $(SARIF_TOOL) $(INSPECTOR)

demo: $(STAMP)
	@echo "== insecure example (exit code 1 expected: it has HIGH findings) =="
	-$(BIN)/mcpharden scan examples/insecure-server --cards
	@echo
	@echo "== hardened example =="
	$(BIN)/mcpharden scan examples/hardened-server
	@echo
	@echo "== what 'mcpharden fix' would change in the insecure example (dry run: nothing is written) =="
	$(BIN)/mcpharden fix examples/insecure-server --rewrite-distroless

test: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory npm-tools; fi
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

# pip byte-compiles a wheel when it installs it; an editable install is not, and some
# environments set PYTHONDONTWRITEBYTECODE, so compile first to measure what users run.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]' -c constraints.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python benchmarks/bench.py

# How close mcpharden is to this machine's limits, row by row (ratios to a floor measured alongside).
perf: $(BENCH_STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python benchmarks/perf.py

# The fuzz targets with a long random budget (CI runs them short and derandomized in `make test`).
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	MCPHARDEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) MCPHARDEN_FUZZ_RANDOM=1 $(BIN)/python -m pytest -q tests/test_fuzz.py

# docs/accuracy.md: mcpharden, hadolint and Checkov against the peers' labelled samples.
# Checkov gets a virtualenv of its own: its many pinned dependencies would clash with ours.
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==3.3.30

accuracy: $(STAMP) $(CHECKOV_VENV)/bin/checkov
	$(BIN)/python benchmarks/accuracy.py

# docs/ecosystem.md: `mcpharden batch` over the shared corpora and Docker's MCP catalog.
ecosystem: $(STAMP)
	$(BIN)/python benchmarks/ecosystem.py

# Rule pages are generated from the rules' docstrings; a test keeps them in sync.
docs: $(STAMP)
	$(BIN)/python -m mcpharden.rules.pages docs/rules

clean:
	rm -rf $(VENV) .tools
	find src -name __pycache__ -type d -prune -exec rm -rf {} +
