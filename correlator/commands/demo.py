"""``correlator demo``: a simulated organisation, live through the pipeline on the local broker."""

from __future__ import annotations

import argparse
import dataclasses

from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="Watch a simulated organisation's day go through the pipeline on a local broker.",
        description=(
            "Start the local broker (unless running), simulate a small organisation with "
            "hidden incidents, publish the shipped rules and its directory, start a worker, "
            "stream the device feeds through the connectors in accelerated time, print each "
            "alert as it arrives, and end with the evaluation of the live alerts against the "
            "incidents. Topics take a per-run 'demo.' prefix and are deleted; what the demo "
            "started is stopped. Exit 1 only when the pipeline failed (no alert at all)."
        ),
    )
    parser.add_argument(
        "--speed", type=float, default=None, metavar="X",
        help="Simulated seconds per second (default 1440: one simulated hour every 2.5 s).",
    )  # fmt: skip
    parser.add_argument("--people", type=int, default=None, help="default: 120")
    parser.add_argument("--hours", type=int, default=None, help="default: 24 (whole days)")
    parser.add_argument("--seed", type=int, default=None, help="default: 7")
    parser.add_argument(
        "--keep-running", action="store_true",
        help="After the evaluation, keep the worker (and its metrics) running until Ctrl-C.",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from correlator.runtime.demo import SCENARIO, SPEED, DemoError, DemoOptions, run_demo

    changes = {k: v for k in ("people", "hours", "seed") if (v := getattr(args, k)) is not None}
    scenario = dataclasses.replace(SCENARIO, **changes)
    scenario.check()  # a usage problem fails here, before anything starts
    speed = SPEED if args.speed is None else args.speed
    if speed <= 0:
        raise DemoError("--speed: give a positive number of simulated seconds per second")
    options = DemoOptions(scenario=scenario, speed=speed, keep_running=args.keep_running)
    return run_demo(settings, lambda line: print(line, flush=True), options)
