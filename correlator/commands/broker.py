"""``correlator broker start|stop|status|fetch``: the local single-node Kafka (KRaft) broker."""

from __future__ import annotations

import argparse

from correlator.localbroker import LocalBroker
from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "broker",
        help="Run a local Apache Kafka broker (KRaft, loopback).",
        description=(
            "Manage the local single-node Apache Kafka broker. 'fetch' downloads the jars "
            "with Maven into CORRELATOR_CACHE_DIR; 'start' fetches if needed, formats the "
            "storage under CORRELATOR_STATE_DIR/broker and waits until the broker answers; "
            "'status' exits 1 when it is not running; 'reset' deletes its data."
        ),
    )
    parser.add_argument("action", choices=["start", "stop", "status", "fetch", "reset"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    broker = LocalBroker(settings)
    action: str = args.action
    if action == "fetch":
        broker.fetch()
        print(f"Apache Kafka {broker.version} is in {broker.libs}")
        return 0
    if action == "start":
        print(broker.start().describe())
        return 0
    if action == "stop":
        print("broker: stopped" if broker.stop() else "broker: was not running")
        return 0
    if action == "reset":
        broker.reset()
        print(f"broker: data deleted ({broker.data})")
        return 0
    status = broker.status()
    print(status.describe())
    return 0 if status.running and status.answering else 1
