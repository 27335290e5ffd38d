"""Windows Security logon events 4624, 4625, 4634 and 4647 as JSON.

Three shapes are read, because that is what collectors produce:

- flat (NXLog ``im_msvistalog``, many EVTX-to-JSON tools): ``EventID`` and the event data
  fields (``TargetUserName``, ``IpAddress``, ...) at the top level, ``Hostname``/``Computer``;
- winlogbeat / Elastic Agent: ``winlog.event_id``, ``winlog.computer_name``,
  ``winlog.event_data.*``;
- EVTX XML rendered as JSON (``evtx_dump``, ``xmltodict``): ``Event.System.EventID``,
  ``Event.System.TimeCreated`` (``#attributes``/``@SystemTime``),
  ``Event.EventData`` as a dict or as a ``Data`` list of ``{"@Name", "#text"}``.

Mapping: 4624 → ``auth`` / ``logon`` success, 4625 → ``logon`` failure, 4634 and 4647 →
``logoff``. ``actor.account`` is ``DOMAIN\\user``, ``dst.host`` the computer logged on to,
``src.ip`` / ``src.host`` where the logon came from, ``attrs.logon_type`` the logon type.
Time: ``@timestamp``, ``TimeCreated`` or ``SystemTime`` (UTC); else ``EventTime`` (NXLog's
local time, read in the context's default zone).
"""

from __future__ import annotations

from typing import Any

from correlator_connectors.parsers.base import (
    BaseParser,
    Draft,
    ParseContext,
    RecordError,
    unsupported,
)
from correlator_connectors.parsers.fields import (
    get_path,
    integer,
    ip,
    iso_time,
    json_object,
    port,
    text,
)

_ACTIVITY = {
    4624: ("logon", "success"),
    4625: ("logon", "failure"),
    4634: ("logoff", "success"),
    4647: ("logoff", "success"),
}
_LOOPBACK = {"127.0.0.1", "::1"}


class WinEventParser(BaseParser):
    name: str = "winevent"
    description: str = (
        "Windows Security 4624/4625/4634/4647 as JSON (NXLog, winlogbeat, EVTX-to-JSON)"
    )

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        rec = json_object(raw.strip())
        event_id, computer, data, when_raw = _shape(rec)
        if event_id not in _ACTIVITY:
            raise unsupported(
                f"Windows event {event_id} is not mapped (mapped: 4624, 4625, 4634, 4647)"
            )
        activity, outcome = _ACTIVITY[event_id]
        if when_raw is not None:
            when = iso_time(when_raw, ctx.default_tz)
        elif text(rec.get("EventTime")):
            when = iso_time(rec["EventTime"], ctx.default_tz)
        else:
            raise RecordError(
                f"Windows event {event_id} has no timestamp (@timestamp, TimeCreated, EventTime)"
            )
        user = text(data.get("TargetUserName"))
        domain = text(data.get("TargetDomainName"))
        account = f"{domain}\\{user}" if user and domain else user
        source_ip = ip(data.get("IpAddress"))
        attrs: dict[str, Any] = {
            "event_id": event_id,
            "logon_type": integer(data.get("LogonType")),
            "logon_id": text(data.get("TargetLogonId")),
            "logon_process": text(data.get("LogonProcessName")),
            "auth_package": text(data.get("AuthenticationPackageName")),
            "target_sid": text(data.get("TargetUserSid")),
            "subject_account": _subject(data),
        }
        if event_id == 4625:
            attrs.update(
                status=text(data.get("Status")),
                sub_status=text(data.get("SubStatus")),
                failure_reason=text(data.get("FailureReason")),
            )
        return [
            {
                "time": when,
                "host": computer,
                "domain": "auth",
                "activity": activity,
                "outcome": outcome,
                "ocsf_class_uid": 3002,
                "actor": {"account": account},
                "src": {
                    "ip": source_ip,
                    "port": port(data.get("IpPort")) or None,
                    "host": text(data.get("WorkstationName")),
                },
                "dst": {"host": computer},
                "attrs": {**attrs, "loopback": True if source_ip in _LOOPBACK else None},
            }
        ]


def _shape(rec: dict[str, Any]) -> tuple[int | None, str | None, dict[str, Any], Any]:
    """(event id, computer, event data, UTC timestamp or None) from any of the three shapes."""
    if isinstance(rec.get("Event"), dict):
        system = get_path(rec, "Event.System") or {}
        event_id = system.get("EventID")
        if isinstance(event_id, dict):
            event_id = event_id.get("#text") or event_id.get("Value")
        created = system.get("TimeCreated") or {}
        stamp = (
            get_path(created, "#attributes.SystemTime") or created.get("@SystemTime")
            if isinstance(created, dict)
            else None
        )
        return (
            integer(event_id),
            text(system.get("Computer")),
            _event_data(get_path(rec, "Event.EventData")),
            stamp,
        )
    winlog = rec.get("winlog")
    if isinstance(winlog, dict):
        data = winlog.get("event_data")
        data = data if isinstance(data, dict) else {}
        computer = text(winlog.get("computer_name")) or text(get_path(rec, "host.name"))
        return (
            integer(winlog.get("event_id") or get_path(rec, "event.code")),
            computer,
            data,
            rec.get("@timestamp"),
        )
    computer = (
        text(rec.get("Hostname")) or text(rec.get("Computer")) or text(rec.get("computer_name"))
    )
    stamp = rec.get("@timestamp") or rec.get("TimeCreated") or rec.get("UtcTime")
    return integer(rec.get("EventID") or rec.get("event_id")), computer, rec, stamp


def _event_data(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    items = value.get("Data")
    if isinstance(items, list):
        out = {}
        for item in items:
            if isinstance(item, dict):
                name = item.get("@Name") or get_path(item, "#attributes.Name")
                if name:
                    out[str(name)] = item.get("#text")
        return out
    return value


def _subject(data: dict[str, Any]) -> str | None:
    user = text(data.get("SubjectUserName"))
    domain = text(data.get("SubjectDomainName"))
    return f"{domain}\\{user}" if user and domain else user
