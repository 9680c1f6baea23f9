# cxbot: `make demo` and `make test` work on a fresh clone (Python 3.10+, no internet but PyPI).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CXBOT := $(VENV)/bin/cxbot
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= .cxbot-demo
QUESTION ?= Where do customers disagree with our delivery stats?

.PHONY: install demo test lint audit format bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip 'setuptools>=77' wheel  # tests build the wheel offline
	$(PIP) install -q -e '.[dev,llm]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	CXBOT_DATA_DIR=$(DEMO_DIR) $(CXBOT) ingest --config examples/sources.yaml
	CXBOT_DATA_DIR=$(DEMO_DIR) $(CXBOT) ask "$(QUESTION)"

test: install
	$(PY) -m pytest -q -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# a known vulnerability fails lint; dependencies the service cannot look up are counted
	@$(VENV)/bin/pip-audit --skip-editable --progress-spinner off $(AUDIT_ARGS) \
	  > $(VENV)/audit.txt 2>&1; rc=$$?; grep -v 'could not be audited' $(VENV)/audit.txt; \
	  n=$$(grep -c 'could not be audited' $(VENV)/audit.txt); \
	  if [ "$$n" -gt 0 ]; then echo "WARNING: pip-audit could not look up $$n dependencies" \
	  "(vulnerability service unreachable?): nothing is known about them. Run make audit" \
	  "where it is reachable."; fi; exit $$rc

# every dependency must be looked up (e.g. AUDIT_ARGS="-s osv --osv-url https://mirror/v1/query")
audit: install
	$(VENV)/bin/pip-audit --strict --skip-editable --progress-spinner off $(AUDIT_ARGS)

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PIP) install -q -e '.[bench]'
	$(PY) -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .cxbot .pytest_cache
