"""Bindings learned from events: who or what held an IP, or sat at a host, and when.

Connectors emit these events (``activity`` names are the contract; the aliases in brackets
are accepted too). Events with ``outcome: failure`` teach nothing.

``dhcp`` — the client is ``src`` (``dst`` if ``src`` has no IP): ``ip`` the leased address,
``mac`` and ``host`` the client.
  - ``lease`` [``ack``, ``assign``, ``renew``]: the client holds ``ip`` from the event time
    for ``attrs.lease_seconds`` (default: ``lease_default``, 24h).
  - ``release`` [``expire``, ``decline``]: the lease of ``ip`` ends at the event time.

``vpn`` — ``actor.account`` is the user; the tunnel address from the VPN pool is
``attrs.assigned_ip`` when present, else ``src.ip`` (what the parsers emit; the client's
outside address is ``attrs.public_ip`` and is not bound).
  - ``connect`` [``logon``, ``session_start``]: the account holds ``assigned_ip`` until it
    disconnects, at most ``session_ttl`` (default 24h).
  - ``disconnect`` [``logoff``, ``session_end``]: the session ends at the event time
    (``assigned_ip`` may be left out: the account's open session is ended).

``auth`` — ``actor.account`` logs on to the host ``dst`` (``host`` or ``ip``; the reporting
device ``source.host`` when ``dst`` is empty).
  - ``logon``: the account is on the host until ``logoff``, at most ``session_ttl``.
  - ``logoff`` [``logout``]: that logon ends at the event time.

Each history lives in the store under ``identity:bind:<kind>:<identifier>`` as a list of
``[start, end, value]`` (epoch seconds). A copy is kept in memory for the hot path when the
store is private to one process (replay, tests); when other processes write to the same store
(workers sharing a global table), ``mirror=False`` reads the store on every lookup instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from correlator.identity import intervals, normalize
from correlator.model import Event
from correlator.state import Store

PREFIX = "identity:bind:"

DHCP_IP = "dhcp.ip"  # leased IP → {"mac": ..., "host": ...}
VPN_IP = "vpn.ip"  # tunnel IP → account
VPN_ACCOUNT = "vpn.account"  # user part of the account → tunnel IP (to end a session)
LOGON_HOST = "logon.host"  # host key → account

_LEASE = {"lease", "ack", "assign", "renew"}
_RELEASE = {"release", "expire", "decline"}
_CONNECT = {"connect", "logon", "session_start"}
_DISCONNECT = {"disconnect", "logoff", "session_end"}
_LOGOFF = {"logoff", "logout"}


@dataclass(frozen=True)
class BindingLimits:
    """How long learned bindings live and how many are kept per identifier."""

    lease_default: timedelta = timedelta(hours=24)
    session_ttl: timedelta = timedelta(hours=24)
    retention: timedelta = timedelta(days=1)
    keep: int = 64


class Bindings:
    """Interval histories per identifier, in the store (and cached in memory with ``mirror``)."""

    def __init__(self, store: Store, limits: BindingLimits, *, mirror: bool = True) -> None:
        self._store = store
        self._limits = limits
        self._retention = limits.retention.total_seconds()
        self._cache: dict[str, list[intervals.Interval]] | None = None
        if mirror:
            self._cache = {key: self._load(key) for key in self._keys()}

    def lookup(self, kind: str, ident: str, t: float) -> Any:
        key = f"{PREFIX}{kind}:{ident}"
        history = self._cache.get(key) if self._cache is not None else self._store.get(key)
        return intervals.lookup(history, t) if history else None

    def bind(self, kind: str, ident: str, start: float, end: float, value: Any, excl: bool) -> None:
        key = f"{PREFIX}{kind}:{ident}"
        history = self._history(key) or []
        intervals.bind(history, start, end, value, excl)
        intervals.prune(history, start - self._retention, self._limits.keep)
        self._save(key, history)

    def unbind(self, kind: str, ident: str, t: float, account: str | None = None) -> bool:
        """End the binding of ``ident`` covering ``t`` (held by ``account``, if given)."""
        key = f"{PREFIX}{kind}:{ident}"
        history = self._history(key)
        user = normalize.account_user(account) if account is not None else None
        match = None if user is None else lambda held: normalize.account_user(held) == user
        if not history or not intervals.unbind(history, t, match):
            return False
        self._save(key, history)
        return True

    def sweep(self, newest: float) -> int:
        """Prune every history against ``newest`` event time; returns histories dropped."""
        horizon = newest - self._retention
        dropped = 0
        for key in list(self._cache) if self._cache is not None else self._keys():
            history = self._history(key) or []
            if not intervals.prune(history, horizon, self._limits.keep):
                continue
            if history:
                self._save(key, history)
            else:
                if self._cache is not None:
                    del self._cache[key]
                self._store.delete(key)
                dropped += 1
        return dropped

    def _keys(self) -> list[str]:
        return [key for key in self._store.keys() if key.startswith(PREFIX)]  # noqa: SIM118

    def _load(self, key: str) -> list[intervals.Interval]:
        return [list(iv) for iv in self._store.get(key) or []]

    def _history(self, key: str) -> list[intervals.Interval] | None:
        """A copy of the history to change. Shallow is enough: :mod:`.intervals` replaces
        the intervals it changes, so the stored value (shared with the cache) stays as put."""
        history = self._cache.get(key) if self._cache is not None else self._store.get(key)
        return None if history is None else list(history)

    def _save(self, key: str, history: list[intervals.Interval]) -> None:
        if self._cache is not None:
            self._cache[key] = history
        self._store.put(key, history)

    def __len__(self) -> int:
        return len(self._cache) if self._cache is not None else len(self._keys())

    def learn(self, event: Event, t: float, host: str | None) -> str | None:
        """Update bindings from ``event``; returns the binding kind learned, if any.

        ``host`` is the logon target's key (see :func:`host_key`), resolved by the caller
        (the target may be known only through a DHCP lease).
        """
        if event.outcome == "failure":
            return None
        if event.domain == "dhcp":
            return self._learn_dhcp(event, t)
        if event.domain == "vpn":
            return self._learn_vpn(event, t)
        if event.domain == "auth":
            return self._learn_logon(event, t, host)
        return None

    def _learn_dhcp(self, event: Event, t: float) -> str | None:
        client = event.src if event.src is not None and event.src.ip else event.dst
        if client is None or not client.ip:
            return None
        ip = normalize.ip(client.ip)
        if event.activity in _RELEASE:
            return DHCP_IP if self.unbind(DHCP_IP, ip, t) else None
        if event.activity not in _LEASE:
            return None
        seconds = event.attrs.get("lease_seconds")
        lease = (
            float(seconds)
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0
            else self._limits.lease_default.total_seconds()
        )
        holder = {
            "mac": normalize.mac(client.mac) if client.mac else None,
            "host": normalize.hostname(client.host) if client.host else None,
        }
        self.bind(DHCP_IP, ip, t, t + lease, holder, excl=True)
        return DHCP_IP

    def _learn_vpn(self, event: Event, t: float) -> str | None:
        account = event.actor.account if event.actor is not None else None
        if not account:
            return None
        acct = normalize.account(account)
        assigned = event.attrs.get("assigned_ip")
        if not (isinstance(assigned, str) and assigned) and event.src is not None:
            assigned = event.src.ip
        ip = normalize.ip(assigned) if isinstance(assigned, str) and assigned else None
        if event.activity in _CONNECT and ip is not None:
            end = t + self._limits.session_ttl.total_seconds()
            self.bind(VPN_IP, ip, t, end, acct, excl=True)
            self.bind(VPN_ACCOUNT, normalize.account_user(acct), t, end, ip, excl=True)
            return VPN_IP
        if event.activity in _DISCONNECT:
            user = normalize.account_user(acct)
            ip = ip or self.lookup(VPN_ACCOUNT, user, t)
            self.unbind(VPN_ACCOUNT, user, t)
            return VPN_IP if ip is not None and self.unbind(VPN_IP, ip, t, acct) else None
        return None

    def _learn_logon(self, event: Event, t: float, host: str | None) -> str | None:
        account = event.actor.account if event.actor is not None else None
        if not account or host is None:
            return None
        acct = normalize.account(account)
        if event.activity == "logon":
            end = t + self._limits.session_ttl.total_seconds()
            self.bind(LOGON_HOST, host, t, end, acct, excl=False)
            return LOGON_HOST
        if event.activity in _LOGOFF:
            return LOGON_HOST if self.unbind(LOGON_HOST, host, t, acct) else None
        return None


def host_key(asset: str | None, name: str | None, ip: str | None) -> str | None:
    """Key of a host in logon bindings: the asset id when known, else its name or IP."""
    if asset is not None:
        return f"asset:{asset}"
    if name:
        return f"name:{normalize.hostname(name)}"
    if ip:
        return f"ip:{normalize.ip(ip)}"
    return None
