# Every target creates .venv and installs what it needs when missing: a fresh machine needs only
# Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install when the project's requirements change.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
GEN_ARGS = generate --path openapi/semphony.yaml --config openapi/generator.yaml --meta none \
           --fail-on-warning --overwrite
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv test lint typecheck pytest fuzz fuzz-quick demo generate check-generated bench bench-quick clean

help:
	@echo "make demo             the whole story on the embedded simulated SEM"
	@echo "make test             ruff, import-linter, mypy --strict, check-generated, pytest"
	@echo "make fuzz             schemathesis CLI run against semphony serve (120 s)"
	@echo "make generate         regenerate generated/ from openapi/semphony.yaml"
	@echo "make check-generated  fail if generated/ differs from what the contract produces"
	@echo "make bench            benchmarks: print a table, write benchmarks/results/*.json"

venv: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "semphony needs Python 3.11+, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest -n 2 --timeout 600

# The quick schemathesis run comes last: about 40 s against a served simulator.
test: lint typecheck check-generated pytest fuzz-quick

# schemathesis' CLI against a real `semphony serve` (tests/fuzz/run.py): all checks but
# use_after_free (a cancelled operation stays readable by design), all phases, fresh keys.
# Device-range refusals of schema-valid values are 409 range.* (not failures). `make test` runs
# the 25 s `fuzz-quick`; `make fuzz` is the 120 s run.
fuzz: venv
	$(BIN)/python -m tests.fuzz.run --max-time 120

fuzz-quick: venv
	$(BIN)/python -m tests.fuzz.run --max-time 25

demo: venv
	$(BIN)/semphony demo

# Generate into a scratch folder first, so `generate` and `check-generated` produce byte-identical trees.
generate: venv
	@tmp=$$(mktemp -d) && \
	$(BIN)/openapi-python-client $(GEN_ARGS) --output-path $$tmp/semphony_api >/dev/null && \
	rm -rf generated/semphony_api && cp -r $$tmp/semphony_api generated/semphony_api && rm -rf $$tmp && \
	echo "generated/semphony_api rewritten from openapi/semphony.yaml"

# Never writes to generated/: a hand edit (committed or not) fails here and is left for a person to see.
check-generated: venv
	@tmp=$$(mktemp -d) && \
	$(BIN)/openapi-python-client $(GEN_ARGS) --output-path $$tmp/semphony_api >/dev/null && \
	if diff -r -x __pycache__ $$tmp/semphony_api generated/semphony_api; then \
	  echo "generated/ matches openapi/semphony.yaml"; rm -rf $$tmp; \
	else \
	  echo "generated/ differs from what openapi/semphony.yaml produces: run 'make generate' (never edit generated/ by hand)"; \
	  rm -rf $$tmp; exit 1; \
	fi

bench: venv
	$(BIN)/python -m benchmarks

bench-quick: venv
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
