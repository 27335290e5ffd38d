"""One spelling per identifier, so the directory and every feed meet on the same key.

Feeds write the same thing many ways: ``CORP\\Alice``, ``alice@CORP.example``,
``00-11-22-AA-BB-CC``, ``WS-042.corp.example.``. Every lookup goes through these functions,
on both sides (index build and event), so a spelling difference never hides a match.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

_MAC_SEPARATORS = re.compile(r"[:.\-\s]")


@lru_cache(maxsize=65536)
def account(value: str) -> str:
    """Lower case, trimmed; ``domain\\user`` and ``user@domain`` keep their form."""
    return value.strip().lower()


def account_keys(username: str, domain: str | None, upn: str | None) -> list[str]:
    """Every spelling of one account the index answers to, explicit ones first."""
    user = account(username)
    keys = []
    if domain:
        dom = account(domain)
        keys += [f"{dom}\\{user}", f"{user}@{dom}"]
    if upn:
        keys.append(account(upn))
    return keys


@lru_cache(maxsize=65536)
def account_user(value: str) -> str:
    """The user part of ``DOMAIN\\user``, ``user@domain`` or ``user``, normalized.

    Enough to pair a logoff with its logon when the two events spell the account
    differently (``CORP\\alice`` at logon, ``alice@corp.example`` at logoff).
    """
    user = account(value)
    if "\\" in user:
        user = user.rsplit("\\", 1)[1]
    return user.split("@", 1)[0]


@lru_cache(maxsize=65536)
def mac(value: str) -> str:
    """``aa:bb:cc:dd:ee:ff``; anything that is not 12 hex digits is kept (lower case)."""
    digits = _MAC_SEPARATORS.sub("", value).lower()
    if len(digits) != 12:
        return value.strip().lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@lru_cache(maxsize=65536)
def ip(value: str) -> str:
    """Canonical text form (IPv6 compressed, IPv4-mapped unwrapped); invalid input kept."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return value.strip().lower()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@lru_cache(maxsize=65536)
def hostname(value: str) -> str:
    """Lower case, no trailing dot."""
    return value.strip().rstrip(".").lower()


def short_hostname(value: str) -> str:
    """The first label of a host name (``ws-042`` of ``ws-042.corp.example``)."""
    return hostname(value).split(".", 1)[0]


def badge(value: str) -> str:
    """Trimmed, lower case (hex card numbers arrive in either case)."""
    return value.strip().lower()
