"""The log throttle: the first line of a kind passes, repeats within the window are dropped
and counted on the next line that passes; other kinds and other loggers are unaffected."""

from __future__ import annotations

import logging

import pytest

from correlator.logthrottle import Throttle, throttle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *args: object, name: str = "aiokafka") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeats_within_the_window_are_dropped_and_counted_on_the_next_one() -> None:
    clock = Clock()
    limit = Throttle(window=30.0, clock=clock)
    passed = []
    for second in range(0, 61, 5):  # one attempt every 5 s, node ids varying
        clock.now = float(second)
        line = record("Unable connect to node with id %s: %s", second % 2, "refused")
        if limit.filter(line):
            passed.append((second, line.getMessage()))
    assert passed == [
        (0, "Unable connect to node with id 0: refused"),
        (30, "Unable connect to node with id 0: refused (5 more like this in the last 30 s)"),
        (60, "Unable connect to node with id 0: refused (5 more like this in the last 30 s)"),
    ]


def test_other_messages_and_other_loggers_pass() -> None:
    limit = Throttle(window=30.0, clock=Clock())
    assert limit.filter(record("Unable to update metadata from %s", [1]))
    assert limit.filter(record("Failed fetch messages from %s", 1))
    assert limit.filter(record("Unable to update metadata from %s", [1], name="aiokafka.conn"))
    assert not limit.filter(record("Unable to update metadata from %s", [1]))


def test_a_percent_sign_in_the_arguments_survives_the_note() -> None:
    clock = Clock()
    limit = Throttle(window=1.0, clock=clock)
    limit.filter(record("error: %s", "100% down"))
    limit.filter(record("error: %s", "100% down"))
    clock.now = 2.0
    line = record("error: %s", "100% down")
    assert limit.filter(line)
    assert line.getMessage() == "error: 100% down (1 more like this in the last 1 s)"
    assert line.args == ()  # Faust's formatter wraps any other non-tuple in a tuple


def test_throttle_attaches_to_every_aiokafka_logger(caplog: pytest.LogCaptureFixture) -> None:
    import aiokafka.producer.sender  # noqa: F401  # its logger must exist

    attached = throttle()
    try:
        sender = logging.getLogger("aiokafka.producer.sender")
        # at_level for "aiokafka" too: the demo (run in-process by a test) sets it to ERROR.
        with caplog.at_level(logging.WARNING), caplog.at_level(logging.WARNING, "aiokafka"):
            for _ in range(3):
                sender.warning("Got error produce response: %s", "NodeNotReadyError")
                logging.getLogger("aiokafka").error("Unable connect to node with id %s", 1)
                logging.getLogger("correlator.test").warning("not throttled")
        assert [r.name for r in caplog.records].count("aiokafka.producer.sender") == 1
        assert [r.name for r in caplog.records].count("aiokafka") == 1
        assert [r.name for r in caplog.records].count("correlator.test") == 3
    finally:
        for name in list(logging.root.manager.loggerDict):
            if name == "aiokafka" or name.startswith("aiokafka."):
                logging.getLogger(name).removeFilter(attached)


def test_attaching_again_replaces_the_throttle_before() -> None:
    import aiokafka.producer.sender  # noqa: F401  # its logger must exist

    first = throttle()
    second = throttle()
    try:
        sender = logging.getLogger("aiokafka.producer.sender")
        assert second in sender.filters
        assert first not in sender.filters  # its window would hide lines from the new one
    finally:
        for name in list(logging.root.manager.loggerDict):
            if name == "aiokafka" or name.startswith("aiokafka."):
                logging.getLogger(name).removeFilter(second)
