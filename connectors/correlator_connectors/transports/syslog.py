"""Syslog listeners: UDP (one datagram, one record) and TCP (octet counting or LF).

Both bind to the source's address, loopback unless the operator names another. The peer's
IP becomes the event's host when the record names none, and the position of a record is
``udp PEER`` or ``tcp PEER@OFFSET`` (byte offset in that connection).

TCP reads one chunk, delivers its records, then reads the next: a slow broker slows the
sender down (TCP backpressure) instead of filling memory. UDP cannot push back: datagrams
wait in a bounded queue, and when it is full they are counted as dropped.

On stop, both deliver what they have already received before returning. If the broker
fails, the listener stops and the error is raised (the operator's supervisor restarts it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from correlator.text import escape_controls
from correlator_connectors.parsers.base import Parser
from correlator_connectors.parsers.framing import Frame
from correlator_connectors.parsers.syslog import SyslogFramer
from correlator_connectors.transports import metrics
from correlator_connectors.transports.delivery import Delivery, DeliveryError, Record
from correlator_connectors.transports.source import listen_error

log = logging.getLogger(__name__)

UDP_QUEUE = 50_000
UDP_BATCH = 1_000
TCP_CHUNK = 1 << 16


def peer_label(address: tuple[str, int] | tuple[str, int, int, int]) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class SyslogUdp:
    def __init__(
        self, host: str, port: int, delivery: Delivery, parsers: Callable[[], Parser]
    ) -> None:
        self.host = host
        self.port = port
        self.delivery = delivery
        self.parser = parsers()  # datagrams are independent: one parser serves them all
        self.queue: asyncio.Queue[Record] = asyncio.Queue(UDP_QUEUE)

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self.queue, self.delivery.connector),
                local_addr=(self.host, self.port),
            )
        except OSError as exc:
            raise listen_error(f"syslog+udp://{self.host}:{self.port}", exc) from exc
        ready(f"syslog+udp {peer_label(transport.get_extra_info('sockname'))}")
        pump = asyncio.create_task(self._pump())
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([pump, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            transport.close()
            if not pump.done():  # deliver what was received before the stop
                drained = asyncio.create_task(self.queue.join())
                await asyncio.wait([pump, drained], return_when=asyncio.FIRST_COMPLETED)
                drained.cancel()
            stopped.cancel()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump  # re-raises the DeliveryError that ended the pump, if any

    async def _pump(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < UDP_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self.delivery.send(self.parser, batch, "syslog+udp")
            for _ in batch:
                self.queue.task_done()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[Record], connector: str) -> None:
        self.queue = queue
        self.connector = connector

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        host = str(addr[0])
        record = Record(data.rstrip(b"\r\n\x00"), f"udp {peer_label((host, addr[1]))}", host)
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            metrics.DROPPED.labels(self.connector).inc()


class SyslogTcp:
    def __init__(
        self, host: str, port: int, delivery: Delivery, parsers: Callable[[], Parser]
    ) -> None:
        self.host = host
        self.port = port
        self.delivery = delivery
        self.parsers = parsers
        self.connections: dict[asyncio.Task[None], tuple[asyncio.StreamReader, asyncio.Transport]]
        self.connections = {}
        self.failure: DeliveryError | None = None
        self.stop = asyncio.Event()

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        self.stop = stop
        try:
            server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as exc:
            raise listen_error(f"syslog+tcp://{self.host}:{self.port}", exc) from exc
        ready(f"syslog+tcp {peer_label(server.sockets[0].getsockname())}")
        try:
            await stop.wait()
        finally:
            server.close()
            # Stop reading, let each connection deliver what it has buffered, then close.
            for reader, transport in self.connections.values():
                transport.pause_reading()
                reader.feed_eof()
            await asyncio.gather(*self.connections, return_exceptions=True)
            await server.wait_closed()
        if self.failure is not None:
            raise self.failure

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # a connection callback always runs in its own task
        transport = writer.transport
        assert isinstance(transport, asyncio.Transport)  # a TCP stream, never a datagram one
        self.connections[task] = (reader, transport)
        address = writer.get_extra_info("peername")
        peer, host = peer_label(address), str(address[0])
        parser = self.parsers()
        framer = SyslogFramer(self.delivery.intake.settings.connector_max_record_bytes)

        def records(frames: list[Frame]) -> list[Record]:
            return [Record(f.data, f"tcp {peer}@{f.offset}", host) for f in frames]

        try:
            while chunk := await reader.read(TCP_CHUNK):
                await self.delivery.send(parser, records(framer.feed(chunk)), "syslog+tcp")
            await self.delivery.send(parser, records(framer.flush()), "syslog+tcp")
        except ConnectionError as exc:
            log.info("syslog connection from %s lost: %s", escape_controls(peer), exc)
        except DeliveryError as exc:
            log.error("%s", exc)
            self.failure = exc
            self.stop.set()
        finally:
            self.connections.pop(task, None)
            writer.close()
