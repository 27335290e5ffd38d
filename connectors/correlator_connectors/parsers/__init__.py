"""Parsers: one module per format, plus the shared pieces (base contract, framing, syslog)."""
