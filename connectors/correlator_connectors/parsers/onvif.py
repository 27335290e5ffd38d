"""ONVIF event notifications (XML): access control, doors and video analytics.

A record is one XML document: a ``tt:MetadataStream`` (RTSP metadata), a SOAP
``PullMessagesResponse`` or ``Notify``, or a bare ``wsnt:NotificationMessage``; every
``NotificationMessage`` inside becomes at most one event. Framing is
:class:`~correlator_connectors.parsers.framing.XmlDocumentFramer` (documents span lines).

Topics are matched with their namespace prefixes removed (``tns1:RuleEngine/tnsaxis:VMD3``
→ ``RuleEngine/VMD3``). Mapped topics (ONVIF Access Control, Door Control and Analytics
specs, plus Axis' motion applications):

==========================================  ==================================================
topic                                       event
==========================================  ==================================================
AccessControl/AccessGranted/*               access / access_granted (CredentialToken, Card)
AccessControl/Denied/*                      access / access_denied (Reason)
Door/State/DoorAlarm = DoorForcedOpen       access / door_forced (DoorToken)
Door/State/DoorAlarm = DoorOpenTooLong      access / door_held
Door/State/DoorForcedOpen, .../DoorOpenTooLong (State true)   door_forced / door_held
Door/State/DoorTamper = TamperDetected      access / tamper
RuleEngine/CountAggregation/Counter         video / people_count (attrs.count = Count)
RuleEngine/LineDetector/Crossed             video / line_crossing (attrs.object_id)
motion detectors (IsMotion, State, active)  video / motion
VideoSource/GlobalSceneChange/*, TamperDetector   video / tamper
VideoSource/SignalLoss                      video / signal_loss
==========================================  ==================================================

State topics produce an event only when they turn active: ``PropertyOperation=
"Initialized"`` messages (the snapshot a device sends when a subscription starts) and
inactive states (motion stopped, alarm back to Normal) are skipped. A document with no
mapped message is rejected as unsupported, naming what it held. Documents with a DTD are
rejected before parsing (no entity expansion).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from correlator_connectors.parsers.base import (
    BaseParser,
    Draft,
    ParseContext,
    RecordError,
    unsupported,
)
from correlator_connectors.parsers.fields import integer, iso_time, text
from correlator_connectors.parsers.framing import Framer, XmlDocumentFramer

_PREFIX = re.compile(r"(^|/)[\w.-]+:")
_TRUE = {"true", "1"}
MAX_DEPTH = 64
"""Deepest element nesting accepted in a document."""
_PIECE = 4096


@dataclass(frozen=True, slots=True)
class Notification:
    """One ``NotificationMessage``, flattened."""

    topic: str
    time: str | None
    operation: str | None
    source: dict[str, str]
    data: dict[str, str]

    def active(self, *names: str) -> bool:
        return any(self.data.get(n, "").lower() in _TRUE for n in names)


class OnvifParser(BaseParser):
    name: str = "onvif"
    description: str = (
        "ONVIF event XML: access granted/denied, door alarms, counting, lines, motion, tamper"
    )

    def framer(self) -> Framer:
        return XmlDocumentFramer()

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
            raise RecordError("XML with a DTD is refused (entity expansion risk)")
        try:
            root = _parse(raw)
        except ET.ParseError as exc:
            raise RecordError(f"not well-formed XML: {exc}") from exc
        except (LookupError, ValueError) as exc:  # an encoding declaration Python cannot use
            raise RecordError(f"unreadable XML: {exc}") from exc
        notes = [_notification(el) for el in root.iter() if _local(el.tag) == "NotificationMessage"]
        if not notes:
            raise unsupported(f"no NotificationMessage in <{_local(root.tag)}>")
        drafts, skipped = [], []
        for note in notes:
            draft, why = _map(note)
            if draft is None:
                skipped.append(why)
                continue
            if note.time is None:
                raise RecordError(f"{note.topic}: message has no UtcTime")
            draft["time"] = iso_time(note.time)
            draft.setdefault("attrs", {})["topic"] = note.topic
            drafts.append(draft)
        if not drafts:
            shown = "; ".join(dict.fromkeys(skipped))
            raise unsupported(f"no mapped ONVIF event: {shown[:400]}")
        return drafts


def _parse(raw: bytes) -> ET.Element:
    """The document's root, refusing it as soon as it nests deeper than :data:`MAX_DEPTH`:
    event documents are about ten deep, and a hundred thousand levels must cost no more
    than the first few (the document is fed in pieces and its depth followed)."""
    if raw.count(b"<") <= MAX_DEPTH:  # too few tags to nest too deep: the fast path
        return ET.fromstring(raw)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    depth = 0
    for at in range(0, len(raw), _PIECE):
        parser.feed(raw[at : at + _PIECE])
        for item in parser.read_events():
            event, element = item[0], item[-1]  # (event, element) for start and end events
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                raise RecordError(f"XML nested deeper than {MAX_DEPTH} elements")
            if root is None and isinstance(element, ET.Element):
                root = element
    parser.close()
    if root is None:
        raise RecordError("no XML element in the record")
    return root


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _items(parent: ET.Element | None) -> dict[str, str]:
    if parent is None:
        return {}
    return {
        item.get("Name", ""): item.get("Value", "")
        for item in parent.iter()
        if _local(item.tag) == "SimpleItem"
    }


def _notification(element: ET.Element) -> Notification:
    topic = ""
    message: ET.Element | None = None
    for child in element.iter():
        name = _local(child.tag)
        if name == "Topic" and not topic:
            topic = _PREFIX.sub(r"\1", (child.text or "").strip())
        elif name == "Message" and child.get("UtcTime") is not None:
            message = child
    source = data = None
    if message is not None:
        for child in message:
            if _local(child.tag) == "Source":
                source = child
            elif _local(child.tag) == "Data":
                data = child
    return Notification(
        topic=topic,
        time=message.get("UtcTime") if message is not None else None,
        operation=message.get("PropertyOperation") if message is not None else None,
        source=_items(source),
        data=_items(data),
    )


def _map(note: Notification) -> tuple[Draft | None, str]:
    if note.operation == "Initialized":
        return None, f"{note.topic} (Initialized: state snapshot)"
    for prefix, handler in _HANDLERS:
        if note.topic.startswith(prefix):
            draft = handler(note)
            return (draft, "") if draft is not None else (None, f"{note.topic} (inactive)")
    return None, f"{note.topic} (unmapped topic)"


def _access(note: Notification) -> Draft:
    granted = note.topic.startswith("AccessControl/AccessGranted")
    credential = (
        note.data.get("CredentialToken")
        or note.data.get("Card")
        or note.data.get("IdentifierValue")
    )
    return {
        "domain": "access",
        "activity": "access_granted" if granted else "access_denied",
        "outcome": "success" if granted else "failure",
        "actor": {
            "credential": text(credential),
            "person": text(note.data.get("CredentialHolderName")),
        },
        "location": {
            "reader": text(note.source.get("AccessPointToken")),
            "door": text(note.source.get("DoorToken")),
        },
        "attrs": {"reason": text(note.data.get("Reason"))},
    }


def _door(note: Notification) -> Draft | None:
    state = note.data.get("State", "")
    last = note.topic.rsplit("/", 1)[-1]
    if last == "DoorAlarm":
        activity = {"DoorForcedOpen": "door_forced", "DoorOpenTooLong": "door_held"}.get(state)
    elif last == "DoorTamper":
        activity = "tamper" if state == "TamperDetected" else None
    elif last in ("DoorForcedOpen", "DoorOpenTooLong"):
        activity = (
            ("door_forced" if last == "DoorForcedOpen" else "door_held")
            if state.lower() in _TRUE
            else None
        )
    else:
        return None
    if activity is None:
        return None
    return {
        "domain": "access",
        "activity": activity,
        "location": {"door": text(note.source.get("DoorToken"))},
        "attrs": {"state": text(state)},
    }


def _camera(note: Notification) -> dict[str, str | None]:
    token = (
        note.source.get("VideoSourceConfigurationToken")
        or note.source.get("Source")
        or note.source.get("VideoSourceToken")
    )
    return {"camera": text(token)}


def _video(activity: str, note: Notification, attrs: dict[str, Any] | None = None) -> Draft:
    return {
        "domain": "video",
        "activity": activity,
        "location": _camera(note),
        "attrs": {"rule": text(note.source.get("Rule")), **(attrs or {})},
    }


def _counter(note: Notification) -> Draft | None:
    count = integer(note.data.get("Count"))
    if count is None:
        raise RecordError(f"{note.topic}: Count {note.data.get('Count')!r} is not an integer")
    return _video("people_count", note, {"count": count})


def _line(note: Notification) -> Draft | None:
    return _video("line_crossing", note, {"object_id": text(note.data.get("ObjectId"))})


def _motion(note: Notification) -> Draft | None:
    if not note.active("IsMotion", "State", "state", "active", "IsInside"):
        return None
    return _video("motion", note, {"profile": note.topic.rsplit("/", 1)[-1]})


def _tamper(note: Notification) -> Draft | None:
    return _video("tamper", note) if note.active("State", "IsTamper") else None


def _signal_loss(note: Notification) -> Draft | None:
    return _video("signal_loss", note) if note.active("State") else None


_HANDLERS: list[tuple[str, Callable[[Notification], Draft | None]]] = [
    ("AccessControl/AccessGranted", _access),
    ("AccessControl/Denied", _access),
    ("Door/State/", _door),
    ("RuleEngine/CountAggregation/Counter", _counter),
    ("RuleEngine/LineDetector/Crossed", _line),
    ("RuleEngine/CellMotionDetector/Motion", _motion),
    ("RuleEngine/MotionRegionDetector/Motion", _motion),
    ("RuleEngine/FieldDetector/ObjectsInside", _motion),
    ("RuleEngine/VMD3/", _motion),
    ("VideoSource/MotionAlarm", _motion),
    ("Device/Sensor/PIR", _motion),
    ("CameraApplicationPlatform/VMD/", _motion),
    ("CameraApplicationPlatform/MotionGuard/", _motion),
    ("CameraApplicationPlatform/FenceGuard/", _motion),
    ("CameraApplicationPlatform/LoiteringGuard/", _motion),
    ("RuleEngine/TamperDetector/Tamper", _tamper),
    ("VideoSource/GlobalSceneChange/", _tamper),
    ("VideoSource/SignalLoss", _signal_loss),
]
