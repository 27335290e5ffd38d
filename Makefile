# Correlator: the two commands a fresh machine needs are `make demo` and `make test`.
# Both create .venv and install what they need (Python packages, Kafka jars via Maven).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_BROKER := CORRELATOR_STATE_DIR=.state/test CORRELATOR_BROKER_PORT=19292 CORRELATOR_BROKER_CONTROLLER_PORT=19293
SECURE_TEST_BROKER := CORRELATOR_STATE_DIR=.state/test-secure-19302 CORRELATOR_BROKER_PORT=19302 CORRELATOR_BROKER_CONTROLLER_PORT=19303

.PHONY: install lint test demo broker-stop clean soak

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

LINTED := correlator connectors tests $(wildcard benchmarks)

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
# 20 000 inputs per test (see tests/fuzzing.py), and any test marked 'soak'. Tens of minutes.
soak: install
	HYPOTHESIS_PROFILE=soak $(BIN)/pytest -p no:cacheprovider -m "soak or fuzz" tests

demo: install
	$(BIN)/correlator demo

broker-stop:
	$(BIN)/correlator broker stop
	$(TEST_BROKER) $(BIN)/correlator broker stop
	$(SECURE_TEST_BROKER) $(BIN)/correlator broker stop

clean: broker-stop
	rm -rf .state .mypy_cache .ruff_cache .pytest_cache .hypothesis
