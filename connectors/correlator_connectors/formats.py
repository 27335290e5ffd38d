"""The format registry: a name → a fresh parser. Transports and the CLI go through here.

Names: the built-in formats (``suricata``, ``onvif``, ...), the shipped mappings in
``correlator_connectors/mappings/*.yaml`` by their file name (``vast-prox``, ``json-doors``),
and a user's mapping file as ``mapping:PATH``. Each call returns a new instance, because
some parsers keep per-stream state (CSV and Zeek TSV headers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from correlator.errors import ConfigError
from correlator_connectors.parsers.base import Parser


class UnknownFormatError(ConfigError):
    """A format name that is neither built in, a shipped mapping, nor ``mapping:PATH``."""


def _builtin() -> dict[str, Callable[[], Parser]]:
    from correlator_connectors.parsers.cef import CefParser
    from correlator_connectors.parsers.fortigate import FortigateParser
    from correlator_connectors.parsers.leef import LeefParser
    from correlator_connectors.parsers.onvif import OnvifParser
    from correlator_connectors.parsers.panos import PanosParser
    from correlator_connectors.parsers.suricata import SuricataParser
    from correlator_connectors.parsers.winevent import WinEventParser
    from correlator_connectors.parsers.zeek import ZeekParser

    classes: list[Callable[[], Parser]] = [
        OnvifParser,
        SuricataParser,
        ZeekParser,
        PanosParser,
        FortigateParser,
        CefParser,
        LeefParser,
        WinEventParser,
    ]
    return {cls().name: cls for cls in classes}


def _shipped_mappings() -> dict[str, Path]:
    folder = Path(__file__).parent / "mappings"
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def get_parser(name: str) -> Parser:
    """A new parser for ``name``; :class:`UnknownFormatError` lists the valid names."""
    from correlator_connectors.parsers.mapping import MappingParser, load_mapping

    builtin = _builtin()
    if name in builtin:
        return builtin[name]()
    if name.startswith("mapping:"):
        return MappingParser(load_mapping(Path(name.removeprefix("mapping:"))))
    shipped = _shipped_mappings()
    if name in shipped:
        return MappingParser(load_mapping(shipped[name]))
    valid = ", ".join([*builtin, *shipped, "mapping:PATH"])
    raise UnknownFormatError(f"unknown format {name!r}; valid formats: {valid}")


def available() -> list[tuple[str, str]]:
    """Every format name with its one-line description, built-ins first."""
    from correlator_connectors.parsers.mapping import load_mapping

    out = [(name, factory().description) for name, factory in _builtin().items()]
    for name, path in _shipped_mappings().items():
        out.append((name, load_mapping(path).description))
    out.append(("mapping:PATH", "your own CSV/JSON export, described by a YAML mapping file"))
    return out
