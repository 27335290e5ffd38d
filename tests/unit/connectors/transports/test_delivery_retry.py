"""Delivery while the broker is away: the batch is sent again with backoff until acknowledged;
a refusal no wait can fix, or a stop, fails it (so the transport does not move past it)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
)
from correlator_connectors import formats
from correlator_connectors.transports import delivery
from correlator_connectors.transports.delivery import Delivery, DeliveryError, Outcome, Record

from correlator.settings import Settings
from tests.unit.connectors.transports.test_delivery import flow

SETTINGS = Settings(topic_prefix="p.")
RECORDS = [Record(flow(n), f"eve.json:{n * 100}") for n in range(3)]


class FlakyProducer:
    """Fails the first attempts (one ``failures`` entry per attempt), then acknowledges.

    With ``at_send`` the failure is raised by the append (a full buffer timing out);
    otherwise the attempt's first acknowledgement future carries it."""

    def __init__(
        self, failures: list[KafkaError], *, at_send: bool = False, slow: float = 0.0
    ) -> None:
        self.failures = failures
        self.at_send = at_send
        self.slow = slow
        self.attempts: list[list[bytes]] = []
        self._complete = True
        self.starts: list[KafkaError | None] = []
        """What each start() does: raise the error, or (None, or none left) start."""
        self.state = "new"

    async def start(self) -> None:
        failure = self.starts.pop(0) if self.starts else None
        if failure is not None:
            raise failure
        self.state = "started"

    async def stop(self) -> None:
        self.state = "stopped"

    async def send(self, topic: str, value: bytes, key: bytes) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._complete:  # the first message of an attempt decides its fate
            self.attempts.append([])
            self._complete = False
            if self.failures and self.at_send:
                self._complete = True
                raise self.failures.pop(0)
            if self.failures:
                future.set_exception(self.failures.pop(0))
        if not future.done():
            asyncio.get_running_loop().call_later(self.slow, future.set_result, None)
        self.attempts[-1].append(value)
        self._complete = len(self.attempts[-1]) == len(RECORDS)
        return future


def deliver(
    producer: FlakyProducer,
    stop_after: float | None = None,
    renewed: list[FlakyProducer] | None = None,
) -> Outcome:
    """Send ``RECORDS`` through ``producer``, then through each of ``renewed`` in turn."""

    async def run() -> Outcome:
        stop = asyncio.Event()
        sending = Delivery(SETTINGS, "dmz", "suricata", stop=stop)
        await sending._producer.stop()  # never started: closes its client
        sending._producer = producer  # type: ignore[assignment]  # a fake of what is used
        replacements = iter(renewed or [])
        sending._new_producer = lambda: next(replacements)  # type: ignore[assignment,method-assign,return-value]  # the fakes again
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, stop.set)
        return await sending.send(formats.get_parser("suricata"), RECORDS, "file")

    return asyncio.run(run())


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "RETRY_FIRST", 0.01)
    monkeypatch.setattr(delivery, "RETRY_MAX", 0.04)
    monkeypatch.setattr(delivery, "ACK_PATIENCE", 0.02)
    monkeypatch.setattr(delivery, "STOP_GRACE", 0.2)


def retry_delays(caplog: pytest.LogCaptureFixture) -> list[float]:
    return [
        float(record.args[1])  # type: ignore[index]  # args is the tuple of the format
        for record in caplog.records
        if "broker unreachable, retrying in" in record.getMessage()
    ]


def test_a_broker_outage_is_waited_out_with_doubling_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = [KafkaConnectionError("connection refused") for _ in range(4)]
    producer = FlakyProducer(down)
    with caplog.at_level(logging.WARNING):
        outcome = deliver(producer)
    assert outcome.events == len(RECORDS)
    assert len(producer.attempts) == 5
    assert retry_delays(caplog) == [0.01, 0.02, 0.04, 0.04]
    assert "dmz: broker unreachable, retrying in 0 s (3 messages not acknowledged" in caplog.text


def test_the_whole_batch_is_sent_again_after_a_failed_attempt() -> None:
    producer = FlakyProducer([KafkaTimeoutError()])
    deliver(producer)
    first, last = producer.attempts
    assert len(last) == len(RECORDS)
    assert first == last  # repeats of what the broker may have taken, never a gap


def test_a_full_buffer_timing_out_is_retried_too() -> None:
    producer = FlakyProducer([KafkaTimeoutError(), KafkaTimeoutError()], at_send=True)
    assert deliver(producer).events == len(RECORDS)
    assert len(producer.attempts) == 3


def test_a_refusal_no_wait_can_fix_fails_at_once() -> None:
    producer = FlakyProducer([MessageSizeTooLargeError()])
    with pytest.raises(DeliveryError, match="did not acknowledge a batch of 3 messages"):
        deliver(producer)
    assert len(producer.attempts) == 1


def test_a_stop_while_waiting_for_the_broker_fails_the_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "RETRY_FIRST", 30.0)
    producer = FlakyProducer([KafkaConnectionError("down") for _ in range(10)])
    with pytest.raises(DeliveryError, match="stopped while waiting for the broker"):
        deliver(producer, stop_after=0.05)
    assert len(producer.attempts) == 1


def test_acknowledgements_late_by_an_outage_are_reported_and_waited_for_not_resent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    producer = FlakyProducer([], slow=0.11)
    with caplog.at_level(logging.WARNING):
        assert deliver(producer).events == len(RECORDS)
    assert len(producer.attempts) == 1
    waits = [r.getMessage() for r in caplog.records if "broker unreachable" in r.getMessage()]
    assert len(waits) >= 4
    assert "dmz: broker unreachable, retrying in 0.1 s (the producer resends 3 messages" in waits[0]
    assert "dmz: broker reachable again; 3 messages acknowledged" in caplog.text


def test_a_stop_while_acknowledgements_are_outstanding_fails_the_batch() -> None:
    producer = FlakyProducer([], slow=30.0)
    with pytest.raises(DeliveryError, match="stopped while waiting for the broker"):
        deliver(producer, stop_after=0.05)


def test_a_stop_with_the_broker_up_waits_for_the_batch_in_flight() -> None:
    producer = FlakyProducer([], slow=0.1)
    assert deliver(producer, stop_after=0.01).events == len(RECORDS)
    assert len(producer.attempts) == 1


def test_a_producer_out_of_sequence_after_an_outage_is_replaced_and_the_batch_resent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = FlakyProducer([OutOfOrderSequenceNumber()])
    down, fresh = FlakyProducer([]), FlakyProducer([])
    down.starts = [KafkaConnectionError("broker still starting")]
    with caplog.at_level(logging.WARNING):
        assert deliver(broken, renewed=[down, fresh]).events == len(RECORDS)
    assert broken.state == "stopped"
    assert down.state == "stopped"  # its start failed: a never-started one is tried next
    assert fresh.state == "started"
    assert len(fresh.attempts) == 1
    assert len(fresh.attempts[0]) == len(RECORDS)
    assert "resending with a new producer" in caplog.text
