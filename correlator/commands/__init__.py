"""CLI command groups. Each module has ``register(subparsers)``; the CLI mounts them in order.

A command's handler is ``run(args, settings) -> int`` set with ``parser.set_defaults(run=...)``
and returns an exit code: 0 ok, 1 findings or rejects, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from types import ModuleType

from correlator.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


NAMES = (
    "broker", "connect", "demo", "directory", "evaluate", "normalize", "replay", "rules",
    "schemas", "simulate", "worker",
)  # fmt: skip
"""Command modules under ``correlator.commands``, in ``--help`` order."""


def modules() -> list[ModuleType]:
    """The command modules, imported when the parser is built (each imports its heavy
    dependencies only inside its handler, so ``--help`` stays fast)."""
    return [importlib.import_module(f"correlator.commands.{name}") for name in NAMES]
