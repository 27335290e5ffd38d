"""Correlator: streaming correlation of physical and cyber security events."""

__version__ = "0.1.0"
