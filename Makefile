# Each target installs what it needs first, so `make demo` and `make test` work on a fresh clone.
# Override PYTHON (the interpreter that makes the virtualenv) or VENV (where it lives), e.g. VENV=/opt/dg-venv.

PYTHON ?= python3
VENV ?= .venv
VENV_PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# The install is redone when pyproject.toml changes or the clone moves: an editable install points at
# the folder it was made from.
INSTALL_KEY := $(shell { cat pyproject.toml; echo "$(CURDIR)"; } | sha256sum | cut -c1-16)
INSTALL_STAMP := $(VENV)/.datagraph-install-$(INSTALL_KEY)

.PHONY: install test demo bench lint-imports neo4j-harness

install: $(INSTALL_STAMP)

$(INSTALL_STAMP): pyproject.toml
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -e '.[test,demo]'
	rm -f $(VENV)/.datagraph-install-*
	touch $@

# Builds the Java launcher of Neo4j's test harness (downloads from Maven Central the first time).
neo4j-harness: install
	$(VENV_PY) -m tests.support.neo4j build

# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
test: install
	@status=0; $(VENV_PY) -m pytest -q $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

demo: install
	$(VENV)/bin/datagraph demo

# Modules named _*.py are helpers the benchmarks import, not benchmarks; _report.py writes BENCHMARKS.md.
bench: install
	@set -e; for script in bench/*.py; do \
		case "$$(basename $$script)" in _*) continue ;; esac; \
		[ -f "$$script" ] || continue; \
		echo "== $$script"; \
		$(VENV_PY) $$script; \
	done; \
	$(VENV_PY) bench/_report.py

lint-imports: install
	$(VENV)/bin/lint-imports
