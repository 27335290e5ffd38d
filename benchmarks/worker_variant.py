"""``correlator worker`` with extra Faust settings, to measure a lever in the same run.

``$CORRELATOR_BENCH_FAUST`` holds a JSON object of ``faust.App`` settings (for example
``{"producer_linger_ms": 0}``) merged over what :func:`correlator.runtime.app.build_app`
passes; ``$CORRELATOR_BENCH_LOGLEVEL`` sets the log level (default warning);
``$CORRELATOR_PROFILE_OUT``, when set, runs the worker under pyinstrument (see
``profile_worker.py``). Lever rows of ``e2e_throughput.py`` and the restarts of
``restore.py`` start their workers through this script.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import faust

from correlator import serde


def patch() -> None:
    extra: dict[str, Any] = serde.loads(os.environ.get("CORRELATOR_BENCH_FAUST", "{}"))
    original = faust.App

    def build(*args: Any, **kwargs: Any) -> faust.App:
        return original(*args, **{**kwargs, **extra})

    # build_app calls faust.App: the benchmark's one seam into the worker.
    setattr(faust, "App", build)  # noqa: B010


if __name__ == "__main__":
    patch()
    if os.environ.get("CORRELATOR_PROFILE_OUT"):
        from profile_worker import run

        run()
    else:
        from correlator.cli import main

        level = os.environ.get("CORRELATOR_BENCH_LOGLEVEL", "warning")
        sys.exit(main(["worker", "--loglevel", level]))
