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
            "'status' exits 1 when it is not running; 'reset' deletes its data. With "
            "--secure (or CORRELATOR_BROKER_SECURE=true) the listener is SASL_SSL: SCRAM user "
            "CORRELATOR_KAFKA_USERNAME/CORRELATOR_KAFKA_PASSWORD, TLS certificate for "
            "'localhost' signed by a CA generated under CORRELATOR_STATE_DIR/broker/tls."
        ),
    )
    parser.add_argument("action", choices=["start", "stop", "status", "fetch", "reset"])
    parser.add_argument(
        "--secure", action="store_true", default=None,
        help="SASL_SSL listener (SCRAM-SHA-256/512 over TLS) instead of PLAINTEXT",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    broker = LocalBroker(settings, secure=args.secure)
    action: str = args.action
    if action == "fetch":
        broker.fetch()
        print(f"Apache Kafka {broker.version} is in {broker.libs}")
        return 0
    if action == "start":
        print(broker.start().describe())
        if broker.secure:
            print(client_settings(broker))
        return 0
    if action == "stop":
        print("broker: stopped" if broker.stop() else "broker: was not running")
        return 0
    if action == "reset":
        broker.reset()
        print(f"broker: data deleted ({broker.data})")
        return 0
    if args.secure is None and broker.formatted_mode() == "SASL_SSL":
        broker = LocalBroker(settings, secure=True)  # probe it the way it was started
    status = broker.status()
    print(status.describe())
    return 0 if status.running and status.answering else 1


def client_settings(broker: LocalBroker) -> str:
    """What a client of the secured broker sets (the password is the one it already has)."""
    return "\n".join([
        f"broker: TLS CA certificate: {broker.tls.ca}",
        "clients of this broker set:",
        f"  CORRELATOR_BOOTSTRAP_SERVERS={broker.bootstrap}",
        "  CORRELATOR_KAFKA_SECURITY_PROTOCOL=SASL_SSL",
        f"  CORRELATOR_KAFKA_CA_FILE={broker.tls.ca}",
        "  CORRELATOR_KAFKA_USERNAME and CORRELATOR_KAFKA_PASSWORD (the broker's SCRAM user)",
    ])  # fmt: skip
