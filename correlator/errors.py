"""The one exception root of the project.

Every error we raise on purpose derives from :class:`CorrelatorError`, so callers (the CLI
above all) can tell our own, explained failures from bugs. Messages say where, what, and how
to fix it.
"""

from __future__ import annotations


class CorrelatorError(Exception):
    """Root of every error Correlator raises on purpose."""


class ConfigError(CorrelatorError):
    """Settings or a configuration file are invalid."""


class BrokerError(CorrelatorError):
    """The local Kafka broker could not be fetched, started, stopped or reached."""


class DecodeError(CorrelatorError):
    """A record could not be decoded into our model (bad JSON, wrong shape)."""


class DirectoryError(ConfigError):
    """The identity directory is invalid; ``problems`` lists every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
