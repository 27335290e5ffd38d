"""The end-to-end baseline: a plain aiokafka consumer doing the three-rule join by hand.

What a developer would write without a stream framework: one consumer in a consumer group
reads every ``events.<domain>`` topic in batches (``getmany``), decodes and validates each
event (the same ``Event`` model as the worker), runs the plain-Python rules of
``baseline_rules.py``, writes the state the event touched to a rocksdict database (one put per
changed key, values as JSON), produces alerts to the ``alerts`` topic and commits the batch's
offsets. No repartitioning, no changelog, no lateness: it is a speed reference.

Run by ``e2e_throughput.py`` as a child process; it prints one JSON line when it has
processed ``--events`` records: wall-clock times of the first record consumed and of the
last alert produced (or last record, if later), and the alert count.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rocksdict import Rdict

from correlator import serde
from correlator.identity import normalize
from correlator.identity.directory import Directory
from correlator.model import Event
from correlator.runtime.topics import DOMAINS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_rules import Baseline


class Persisted(Baseline):
    """The baseline rules with every changed key written to rocksdict after each event."""

    def __init__(self, directory: Directory, db: Rdict) -> None:
        super().__init__(directory)
        self.db = db

    def on_event(self, event: Event) -> None:
        fired = len(self.alerts)
        super().on_event(event)
        person, site = self._touched(event)
        if person is not None:
            self._put(f"p/{person}", [self.presence.get(person), self.badged.get(person),
                                      list(self.failures.get(person, ()))])  # fmt: skip
        if site is not None:
            self._put(f"s/{site}", list(self.granted.get(site, ())))
        for alert in self.alerts[fired:]:
            self._put(f"a/{alert}", 1)

    def _touched(self, event: Event) -> tuple[str | None, str | None]:
        actor = event.actor
        if event.domain == "access" and actor is not None and actor.credential:
            person = self.badges.get(normalize.badge(actor.credential))
            where = event.location
            return person, where.site if where is not None else None
        if event.domain in ("vpn", "auth"):
            return self._person_of_account(event), None
        if event.domain == "video" and event.location is not None:
            camera = self.cameras.get(event.location.camera or "")
            return None, camera[0] if camera else None
        return None, None

    def _put(self, key: str, value: object) -> None:
        self.db[key.encode()] = serde.dumps(value)


async def run(args: argparse.Namespace) -> dict[str, object]:
    directory = Directory.model_validate_json(args.directory.read_bytes())
    shutil.rmtree(args.state, ignore_errors=True)
    db = Rdict(str(args.state), options=None)
    baseline = Persisted(directory, db)
    topics = [f"{args.prefix}events.{d}" for d in DOMAINS]
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=args.bootstrap, group_id=f"{args.prefix}kafka",
        auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=2000,
    )  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    alerts_topic = f"{args.prefix}alerts"
    seen, sent, first, last = 0, 0, 0.0, 0.0
    try:
        while seen < args.events:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                if records and not first:
                    first = time.time()
                for record in records:
                    if record.value is None:
                        continue
                    baseline.on_event(serde.decode_model(Event, record.value))
                    seen += 1
            for alert in baseline.alerts[sent:]:
                await producer.send(alerts_topic, alert.encode(), key=alert.split("|")[1].encode())
            sent = len(baseline.alerts)
            if batch:
                await consumer.commit()
                last = time.time()
        await producer.flush()
        last = time.time()
    finally:
        await producer.stop()
        await consumer.stop()
        db.close()
    return {"first": first, "last": last, "events": seen, "alerts": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True, help="topic prefix of the run")
    parser.add_argument("--directory", type=Path, required=True, help="directory JSON")
    parser.add_argument("--events", type=int, required=True, help="stop after this many")
    parser.add_argument("--state", type=Path, required=True, help="rocksdict directory")
    args = parser.parse_args()
    print(serde.dumps(asyncio.run(run(args))).decode(), flush=True)


if __name__ == "__main__":
    main()
