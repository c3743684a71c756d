# Opsbot: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (PYTEST_WORKERS=0 runs serially): the suite mostly waits on real
# servers, so one worker runs while the other waits; each module (and tests/journeys) stays on one
# worker (tests/conftest.py).
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast venv system-deps bench clean

demo: $(STAMP)
	$(VENV)/bin/opsbot demo $(DEMO_ARGS)

test: $(STAMP) system-deps
	@. scripts/ensure-postgres.sh && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q -p no:cacheprovider \
	  -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Unit tests only: no servers, seconds.
test-fast: $(STAMP)
	$(PY) -m pytest -q tests/unit $(PYTEST_ARGS)

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

system-deps:
	@bash scripts/ensure-system-deps.sh

bench: $(STAMP) system-deps
	@for f in tests/benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .opsbot .pytest_cache
