"""The same three-rule join on quixstreams, for comparison with the worker and the aiokafka
baseline.

quixstreams is not a project dependency (it pins other pydantic versions): install it apart
from the virtualenv and put it first on the path of this process only:

    .venv/bin/pip install --target .state/quix-lib quixstreams
    PYTHONPATH=.state/quix-lib .venv/bin/python benchmarks/baseline_quix.py ...

One quixstreams ``Application`` (confluent-kafka consumer, RocksDB state with changelog
topics) reads every ``events.<domain>`` topic; a stateful ``update`` decodes the event, runs
the plain-Python rules of ``baseline_rules.py`` and writes the state the event touched to the
message key's quixstreams state (one ``set`` per changed key, as the aiokafka baseline puts to
rocksdict); alerts go to the ``alerts`` topic. The join's own lookups stay in the process's
dictionaries: quixstreams state is scoped per message key (site or host), not per person.
Prints one JSON line like ``baseline_kafka.py``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from quixstreams import Application  # type: ignore[import-not-found]  # not a project dependency
from rocksdict import Rdict

from correlator import serde
from correlator.identity.directory import Directory
from correlator.model import Event
from correlator.runtime.topics import DOMAINS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_kafka import Persisted


class QuixState(Persisted):
    """Writes go to the quixstreams state of the message being processed."""

    state: Any = None

    def _put(self, key: str, value: object) -> None:
        self.state.set(key, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True, help="topic prefix of the run")
    parser.add_argument("--directory", type=Path, required=True, help="directory JSON")
    parser.add_argument("--events", type=int, required=True, help="stop after this many")
    parser.add_argument("--state", type=Path, required=True, help="state directory")
    args = parser.parse_args()
    logging.getLogger("quixstreams").setLevel(logging.WARNING)
    shutil.rmtree(args.state, ignore_errors=True)
    directory = Directory.model_validate_json(args.directory.read_bytes())
    baseline = QuixState(directory, Rdict(str(args.state / "unused")))
    app = Application(
        broker_address=args.bootstrap, consumer_group=f"{args.prefix}quix",
        auto_offset_reset="earliest", state_dir=str(args.state / "quix"), loglevel="WARNING",
    )  # fmt: skip
    producer = app.get_producer()
    alerts_topic = f"{args.prefix}alerts"
    times = {"first": 0.0, "last": 0.0}
    sent = 0

    def handle(value: bytes, state: Any) -> None:
        nonlocal sent
        if not times["first"]:
            times["first"] = time.time()
        baseline.state = state
        baseline.on_event(serde.decode_model(Event, value))
        for alert in baseline.alerts[sent:]:
            producer.produce(alerts_topic, alert.encode(), key=alert.split("|")[1].encode())
        sent = len(baseline.alerts)
        times["last"] = time.time()

    for domain in DOMAINS:
        topic = app.topic(f"{args.prefix}events.{domain}", key_deserializer="bytes",
                          value_deserializer="bytes")  # fmt: skip
        app.dataframe(topic).update(handle, stateful=True)
    app.run(count=args.events, collect=False)
    producer.flush()
    times["last"] = time.time()
    result = {**times, "events": args.events, "alerts": sent}
    print(serde.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
