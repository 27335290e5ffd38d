"""Zeek ``dhcp.log`` as TSV with its ``#`` header, as Zeek writes it by default."""

from __future__ import annotations

from datetime import datetime

from correlator.sim.facts import Fact, Lease
from correlator.sim.writers import token

_FIELDS = (
    "ts uids client_addr server_addr mac host_name client_fqdn domain requested_addr "
    "assigned_addr lease_time client_message server_message msg_types duration"
)
_TYPES = (
    "time set[string] addr addr string string string string addr addr interval string "
    "string vector[string] interval"
)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _uid(fact: Lease) -> str:
    number, out = token(fact, size=12), "C"
    for _ in range(17):
        number, digit = divmod(number, len(_ALPHABET))
        out += _ALPHABET[digit]
    return out


class ZeekDhcpWriter:
    format = "zeek"
    suffix = ".log"

    def header(self, start: datetime) -> bytes:
        lines = [
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\tdhcp",
            f"#open\t{start.strftime('%Y-%m-%d-%H-%M-%S')}",
            "#fields\t" + "\t".join(_FIELDS.split()),
            "#types\t" + "\t".join(_TYPES.split()),
        ]
        return ("\n".join(lines) + "\n").encode()

    def record(self, fact: Fact, when: datetime) -> bytes:
        if not isinstance(fact, Lease):
            raise TypeError(f"zeek writer: cannot write {type(fact).__name__}")
        values = [
            f"{when.timestamp():.6f}",
            _uid(fact),
            "-",
            fact.server,
            fact.mac,
            fact.hostname or "-",
            "-",
            "corp.example",
            fact.ip,
            fact.ip,
            f"{fact.lease_seconds:.6f}",
            "-",
            "-",
            "DISCOVER,OFFER,REQUEST,ACK",
            "0.012000",
        ]
        return ("\t".join(values) + "\n").encode()
