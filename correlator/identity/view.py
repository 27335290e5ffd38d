"""The contract between identity resolution and the correlation engine.

The engine calls :meth:`IdentityView.observe` once per event, before any rule sees it, and
:meth:`IdentityView.attribute` when a rule reads derived state or directory data.

Attribute paths (evaluated at the event's time, for the event's resolved entities):

- ``person.<field>``: the resolved person's directory entry (``person.id``, ``person.status``,
  ``person.home_site``, ``person.name``, ...);
- ``person.presence.site`` / ``.zone`` / ``.since`` / ``.on_site`` (bool) / ``.sites`` (every
  site the person is badged into: more than one is an anti-passback anomaly);
- ``host.<field>``: the resolved host's asset entry (``host.owner``, ``host.site``, ...) and
  ``host.owner.presence.site`` etc. for the owner's presence;
- ``site.<field>``: the event's resolved site (``site.networks``, ``site.country``,
  ``site.latitude``, ...); ``door.<field>`` and ``camera.<field>`` likewise (``camera.doors``).

A path that does not resolve yields ``None``; rules treat that as "missing".
"""

from __future__ import annotations

from typing import Any, Protocol

from correlator.model import Event


class IdentityView(Protocol):
    """What the engine needs from identity resolution."""

    def observe(self, event: Event) -> Event:
        """Learn bindings and presence from ``event``; return it with ``resolved`` filled."""
        ...

    def attribute(self, event: Event, path: str) -> Any:
        """Derived or directory attribute for ``event`` (see the module doc), or ``None``."""
        ...


class NullIdentity:
    """No directory: events pass through unresolved and every attribute is missing."""

    def observe(self, event: Event) -> Event:
        return event

    def attribute(self, event: Event, path: str) -> Any:
        return None
