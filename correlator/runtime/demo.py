"""The end-to-end demo: a simulated organisation's day, live, through the real pipeline.

1. The simulator writes a small organisation (directory, raw device feeds, the truth of the
   incidents it injected) under ``<state_dir>/demo/<run>/``.
2. The local broker starts unless it runs already (and stops again at the end in that
   case); settings naming another cluster use it as it is. Every topic takes a per-run
   prefix ``demo.<run>.`` and is deleted at the end.
3. The shipped rules and the simulated directory are published exactly as ``correlator
   rules publish`` and ``correlator directory load`` do; one ``correlator worker`` process
   runs with its metrics endpoint on a free loopback port.
4. The feeds play back in accelerated event time through the connectors' delivery path
   (:mod:`.playback`); alerts are printed as the worker produces them (:mod:`.alertwatch`).
5. A final clock event moves every watermark past the data; once the worker has read
   everything and alerts stop coming, the live alerts are scored against the truth.

The worker's allowed lateness is at least two wall-clock seconds of simulated time: the
worker reads many topics, and at high speed a moment's lag between them is many simulated
minutes. The engine reorders within the lateness, so alerts come out as a replay gives them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from correlator import serde
from correlator.core import duration
from correlator.core.replay import Summary
from correlator.core.rules import validate
from correlator.errors import CorrelatorError
from correlator.localbroker import LocalBroker
from correlator.model import Alert, Event, Source
from correlator.runtime.alertwatch import AlertWatch, alert_line, behind, group_state
from correlator.runtime.correlating import APP_ID
from correlator.runtime.playback import Playback, Progress, feeds_of, schedule
from correlator.runtime.security import aiokafka_options
from correlator.runtime.topics import delete_topics, ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from correlator.sim import RULES, Scenario, simulate
from correlator.sim.evaluate import Evaluation, read_manifest, windows
from correlator.sim.report import render
from correlator.sim.scoring import load_truth, score

Say = Callable[[str], None]

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"
SCENARIO = Scenario(seed=7, people=120, sites=2, hours=24, incidents=2)
SPEED = 1440.0
"""Simulated seconds per wall-clock second: one simulated hour every 2.5 s."""
QUIET = 3.0
"""Seconds without a new alert (and nothing left to read) before the demo calls it done."""


class DemoError(CorrelatorError):
    """The pipeline itself failed: the worker exited or never became ready."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    scenario: Scenario = SCENARIO
    speed: float = SPEED
    keep_running: bool = False
    rules: Path = SHIPPED_RULES
    settle: float = 120.0
    """At most this many seconds for the worker to finish once the feeds have ended."""


def run_demo(settings: Settings, say: Say, options: DemoOptions | None = None) -> int:
    """Run the demo; 0 when alerts came through, 1 when the pipeline failed."""
    options = options or DemoOptions()
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retried produce errors are noise here
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    run_dir = settings.state_dir / "demo" / run_id
    settings = settings.model_copy(
        update={"topic_prefix": f"{settings.topic_prefix}demo.{run_id}."}
    )
    broker = _own_broker(settings)
    if broker is not None:
        say(f"broker   {broker.start().describe().removeprefix('broker: ')}")
    else:
        say(f"broker   using the running broker at {settings.bootstrap_servers}")
    worker: subprocess.Popen[bytes] | None = None
    failed = True
    try:
        sim = run_dir / "sim"
        simulate(options.scenario, sim)
        manifest = read_manifest(sim)  # as JSON, like evaluate reads it
        _describe(manifest, say)
        created = ensure_topics(settings, standard_topics(settings))
        say(f"topics   {len(created)} created with prefix {settings.topic_prefix!r}")
        _publish(settings, options.rules, sim / manifest["directory"], say)
        settings = _worker_settings(settings, run_dir, manifest, options.speed)
        worker = _start_worker(settings, run_dir / "worker.log")
        say(f"worker   pid {worker.pid}, lateness {settings.lateness}, "
            f"metrics http://{settings.metrics_host}:{settings.metrics_port}/metrics")  # fmt: skip
        watch, progress = asyncio.run(_live(settings, worker, sim, manifest, options, say))
        _evaluate(watch, progress, sim, manifest, options.rules, say)
        failed = not watch.alerts
        if failed:
            say(f"result   no alert at all: see the worker log {run_dir / 'worker.log'}")
        if options.keep_running and not failed:
            say("running  until Ctrl-C (the worker keeps consuming the demo's topics)")
            _wait_forever(worker)
        return 1 if failed else 0
    except DemoError as exc:
        say(f"failed   {exc}")
        return 1
    finally:
        if worker is not None:
            _stop(worker)
            say("stopped  worker")
        say(f"cleaned  {delete_topics(settings, settings.topic_prefix)} demo topics")
        if failed:
            say(f"kept     {run_dir} (simulated feeds, worker log)")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        if broker is not None:
            broker.stop()
            say("stopped  broker")


def _own_broker(settings: Settings) -> LocalBroker | None:
    """The local broker when the settings name it and it is not running: the demo starts it
    and stops it again. A running broker, or another cluster, is used as it is."""
    broker = LocalBroker(settings)
    if settings.bootstrap_servers != broker.bootstrap or broker.pid() is not None:
        return None
    return broker


def _describe(manifest: dict[str, Any], say: Say) -> None:
    start = datetime.fromisoformat(manifest["start"])
    say(f"organisation  {manifest['people']} people on {manifest['sites']} sites, "
        f"{manifest['hours']} h from {start:%a %d %b %Y %H:%M} UTC, "
        f"{manifest['incidents']} incidents hidden in it (seed {manifest['seed']})")  # fmt: skip
    feeds = ", ".join(f"{f['name']} ({f['format']}, {f['records']})" for f in manifest["feeds"])
    say(f"feeds    {feeds}")


def _publish(settings: Settings, rules: Path, directory_file: Path, say: Say) -> None:
    """Through the CLI handlers of ``rules publish`` and ``directory load``."""
    import argparse

    from correlator.commands import directory
    from correlator.commands import rules as rules_command

    for label, handler, args in (
        ("rules", rules_command.run_publish, argparse.Namespace(paths=[rules])),
        ("directory", directory.run_load, argparse.Namespace(file=directory_file)),
    ):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            code = handler(args, settings)
        for line in printed.getvalue().splitlines():
            say(f"{label:<8} {line}")
        if code != 0:
            raise DemoError(f"publishing the {label} failed (see above)")


def _worker_settings(
    settings: Settings, run_dir: Path, manifest: dict[str, Any], speed: float
) -> Settings:
    feeds_lateness = duration.parse_us(manifest["lateness"]) // 1_000_000
    lateness = max(feeds_lateness, int(speed * 2))
    return settings.model_copy(
        update={
            "state_dir": run_dir / "state",
            "lateness": f"{lateness}s",
            "metrics_port": settings.metrics_port or _free_port(settings.metrics_host),
        }
    )


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is not None:
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            env[f"CORRELATOR_{name.upper()}"] = str(plain)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        command = [sys.executable, "-m", "correlator.cli", "worker", "--loglevel", "warning"]
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_forever(process: subprocess.Popen[bytes]) -> None:
    try:
        while process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass


# -- the live part -----------------------------------------------------------------------


async def _live(settings: Settings, worker: subprocess.Popen[bytes], sim: Path,
                manifest: dict[str, Any], options: DemoOptions,
                say: Say) -> tuple[AlertWatch, Progress]:  # fmt: skip
    """Play the feeds while printing alerts; return once the worker has settled."""
    watch = AlertWatch(settings, lambda alert: say(f"  ALERT  {alert_line(alert)}"))
    stop = asyncio.Event()
    watching = asyncio.create_task(watch.run(stop))
    try:
        await _until_ready(settings, worker)
        feeds = feeds_of(sim, manifest)
        planned = schedule(feeds)
        say(f"stream   {len(planned)} records at {options.speed:g}x "
            f"(one simulated hour every {3600 / options.speed:.1f} s)")  # fmt: skip

        def hour(p: Progress) -> None:
            say(f"-- {p.now:%a %H:%M}  {p.events:>6} events sent  {len(watch.alerts):>3} alerts")

        playback = Playback(settings, feeds, options.speed, hour)
        progress = await playback.run(planned, datetime.fromisoformat(manifest["start"]))
        end = datetime.fromisoformat(manifest["end"])
        await _clock(settings, end + timedelta(days=1) + _lateness(settings))
        say("clock    moved past the last window; waiting for the worker to finish")
        await _settle(settings, worker, watch, options.settle, say)
    finally:
        stop.set()
        await watching
    return watch, progress


def _lateness(settings: Settings) -> timedelta:
    return timedelta(microseconds=duration.parse_us(settings.lateness))


async def _until_ready(
    settings: Settings, worker: subprocess.Popen[bytes], timeout: float = 120.0
) -> None:
    """Until the worker has read rules and directory (``/readyz``) and holds its partitions."""
    url = f"http://{settings.metrics_host}:{settings.metrics_port}/readyz"
    deadline = time.monotonic() + timeout
    while True:
        _check_alive(worker)
        ready = await asyncio.to_thread(_answers, url)
        if ready and await group_state(settings, settings.topic(APP_ID)) == "Stable":
            return
        if time.monotonic() > deadline:
            raise DemoError(f"the worker was not ready after {timeout:.0f} s ({url})")
        await asyncio.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _check_alive(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        raise DemoError(f"the worker exited with code {worker.returncode}")


async def _clock(settings: Settings, when: datetime) -> None:
    """An event no rule uses, far ahead: every watermark passes the data (a live worker
    never flushes the way a replay does at the end of its input)."""
    source = Source(connector="demo-clock", format="demo")
    event = Event(id=f"demo-clock-{when:%Y%m%d%H%M%S}", time=when, ingest_time=datetime.now(UTC),
                  source=source, domain="network", activity="heartbeat")  # fmt: skip
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, **aiokafka_options(settings)
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            event_topic(settings, "network"), serde.encode_model(event), key=b"demo-clock"
        )
    finally:
        await producer.stop()


async def _settle(settings: Settings, worker: subprocess.Popen[bytes], watch: AlertWatch,
                  timeout: float, say: Say) -> None:  # fmt: skip
    """Until the worker has committed everything and no alert came for :data:`QUIET` s."""
    group = settings.topic(APP_ID)
    began = time.monotonic()
    while True:
        await asyncio.sleep(0.5)
        _check_alive(worker)
        now = time.monotonic()
        quiet = now - max(watch.last_arrival, began) >= QUIET
        if quiet and await behind(settings, group) == 0:
            return
        if now - began > timeout:
            say(f"clock    the worker is still busy after {timeout:.0f} s; scoring what came")
            return


def _evaluate(watch: AlertWatch, progress: Progress, sim: Path, manifest: dict[str, Any],
              rules: Path, say: Say) -> None:  # fmt: skip
    """The live alerts against the simulation's truth, as ``correlator evaluate`` shows it."""
    loaded, _ = validate([rules])
    alerts: list[Alert] = list(watch.alerts.values())
    truths = load_truth(sim / manifest["truth"])
    scores = score(alerts, truths, windows([r.rule for r in loaded]))
    summary = Summary(events=progress.events, alerts=len(alerts), late=watch.late,
                      bad=progress.rejects)  # fmt: skip
    say("")
    say("evaluation: the live alerts against the incidents the simulator injected")
    table = render(Evaluation(scores, alerts, summary), RULES, {r.rule.id for r in loaded})
    for line in table.splitlines():
        say(line)
    if watch.dead_letters:
        say(f"{watch.dead_letters} record(s) went to the dead-letter topic")
