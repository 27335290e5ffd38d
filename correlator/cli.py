"""The ``correlator`` command line. Exit codes: 0 ok, 1 findings or rejects, 2 usage error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from correlator import __version__
from correlator.commands import modules
from correlator.errors import CorrelatorError
from correlator.settings import Settings, env_help

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="correlator",
        description="Correlate physical and cyber security events on Apache Kafka.",
        epilog="environment variables:\n" + env_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"correlator {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            name = "CORRELATOR_" + "_".join(str(p) for p in err["loc"]).upper()
            print(f"correlator: {name}={err['input']!r}: {err['msg']}", file=sys.stderr)
        return EXIT_USAGE
    try:
        code: int = run(args, settings)
    except CorrelatorError as exc:
        print(f"correlator: error: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
