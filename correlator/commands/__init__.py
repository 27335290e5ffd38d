"""CLI command groups. Each module has ``register(subparsers)``; the CLI mounts them in order.

A command's handler is ``run(args, settings) -> int`` set with ``parser.set_defaults(run=...)``
and returns an exit code: 0 ok, 1 findings or rejects, 2 usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType

from correlator.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def modules() -> list[ModuleType]:
    """The command modules, imported lazily so ``--help`` stays fast."""
    from correlator.commands import (
        broker,
        connect,
        demo,
        directory,
        evaluate,
        normalize,
        replay,
        rules,
        schemas,
        simulate,
        worker,
    )

    return [
        broker,
        connect,
        demo,
        directory,
        evaluate,
        normalize,
        replay,
        rules,
        schemas,
        simulate,
        worker,
    ]
