"""``correlator worker`` under pyinstrument: where a worker process spends its time.

Runs the worker command in this process with a sampling profiler around it and writes the
text report when the process exits (SIGTERM included) to ``$CORRELATOR_PROFILE_OUT``.
``e2e_throughput.py --profile`` starts its worker through this script and ends it with
SIGHUP (Faust owns SIGTERM), which writes the report and exits.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from pyinstrument import Profiler

from correlator.cli import main


def run() -> None:
    out = Path(os.environ.get("CORRELATOR_PROFILE_OUT", "worker-profile.txt"))
    profiler = Profiler(interval=0.002, async_mode="disabled")
    profiler.start()

    def report() -> None:
        if profiler.is_running:
            profiler.stop()
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))

    def term(signum: int, frame: FrameType | None) -> None:
        report()
        os._exit(0)

    atexit.register(report)
    signal.signal(signal.SIGHUP, term)
    sys.exit(main(["worker", "--loglevel", "warning"]))


if __name__ == "__main__":
    run()
