"""Connectors: parsers (raw record → normalized events) and transports (where records come from)."""
