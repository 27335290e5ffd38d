# Correlator: the two commands a fresh machine needs are `make demo` and `make test`.
# Both create .venv and install what they need (Python packages, Kafka jars via Maven).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONSTRAINTS := constraints.txt
TEST_BROKER := CORRELATOR_STATE_DIR=.state/test CORRELATOR_BROKER_PORT=19292 CORRELATOR_BROKER_CONTROLLER_PORT=19293
SECURE_TEST_BROKER := CORRELATOR_STATE_DIR=.state/test-secure-19302 CORRELATOR_BROKER_PORT=19302 CORRELATOR_BROKER_CONTROLLER_PORT=19303

.PHONY: install lock audit lint test demo broker-stop clean soak bench

# Every package, dependencies of dependencies included, is installed at the version pinned in
# constraints.txt: a fresh clone gets what was tested.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# After changing dependencies in pyproject.toml: re-pin to what is installed, read the diff,
# commit constraints.txt. (A new version range that conflicts with a pin fails `make install`
# until the pin is updated here.)
lock:
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	{ echo "# Pinned versions of every package correlator[dev] installs; 'make lock' rewrites it."; \
	  $(BIN)/pip freeze --exclude-editable; } > $(CONSTRAINTS)

# Known vulnerabilities (PyPI's advisory data, so it needs the network) in every installed
# package (scripts/audit.py runs pip-audit); fails on a finding or a package it could not check.
audit: install
	$(BIN)/python scripts/audit.py

LINTED := correlator connectors tests $(wildcard benchmarks) $(wildcard scripts)

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy --strict correlator connectors/correlator_connectors

# The test session starts its own brokers (port 19292, data in .state/test; the SASL_SSL one on
# 19302, data in .state/test-secure-19302) and stops them; the stops after pytest only matter
# when a crashed run left one behind.
test: lint
	$(BIN)/correlator broker fetch
	$(BIN)/pytest; status=$$?; \
	$(TEST_BROKER) $(BIN)/correlator broker stop >/dev/null; \
	$(SECURE_TEST_BROKER) $(BIN)/correlator broker stop >/dev/null; exit $$status

# Long runs: the tests marked 'fuzz' (every parser) with the 'soak' Hypothesis profile,
# 10 000 inputs per test (see tests/fuzzing.py), and any test marked 'soak'; then the worker
# and broker fault tests over a simulated stream of 149 534 events (5 000 people over 60
# hours) instead of make test's 52 999. Three to four hours; each test may take up to an
# hour and a half (the 300 s per-test limit of make test is lifted).
soak: install
	$(BIN)/correlator broker fetch
	HYPOTHESIS_PROFILE=soak $(BIN)/pytest -p no:cacheprovider --timeout 3600 -m "soak or fuzz" tests; \
	status=$$?; \
	CORRELATOR_FAULT_PEOPLE=5000 CORRELATOR_FAULT_HOURS=60 CORRELATOR_FAULT_TIMEOUT=5400 \
	$(BIN)/pytest -p no:cacheprovider tests/integration/test_broker_restart.py \
	tests/integration/test_faults_simulated.py || status=1; \
	$(TEST_BROKER) $(BIN)/correlator broker stop >/dev/null; exit $$status

# Every benchmark scenario in its --quick mode, one after the other (figures and commands of
# the full runs: benchmarks/README.md).
bench: install
	$(BIN)/python benchmarks/parse_throughput.py --quick
	$(BIN)/python benchmarks/core_throughput.py --quick
	$(BIN)/python benchmarks/scaling.py --quick
	$(BIN)/python benchmarks/e2e_throughput.py --quick
	$(BIN)/python benchmarks/latency.py --quick

demo: install
	$(BIN)/correlator demo

broker-stop:
	$(BIN)/correlator broker stop
	$(TEST_BROKER) $(BIN)/correlator broker stop
	$(SECURE_TEST_BROKER) $(BIN)/correlator broker stop

clean: broker-stop
	rm -rf .state .mypy_cache .ruff_cache .pytest_cache .hypothesis
