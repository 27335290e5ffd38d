"""ONVIF event XML: one ``tt:MetadataStream`` document per event, as cameras and door
controllers stream them (Access Control, Door Control and Analytics topics)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from xml.sax.saxutils import quoteattr

from correlator.sim.facts import Badge, DoorAlarm, Fact, Video
from correlator.sim.writers import iso

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<tt:MetadataStream xmlns:tt="http://www.onvif.org/ver10/schema"><tt:Event>'
    '<wsnt:NotificationMessage xmlns:tns1="http://www.onvif.org/ver10/topics" '
    'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2">'
    '<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
)
_TAIL = "</wsnt:NotificationMessage></tt:Event></tt:MetadataStream>\n"


def _items(pairs: Mapping[str, str | None]) -> str:
    return "".join(
        f"<tt:SimpleItem Name={quoteattr(name)} Value={quoteattr(value)}/>"
        for name, value in pairs.items()
        if value is not None
    )


def document(
    topic: str,
    when: datetime,
    source: Mapping[str, str | None],
    data: Mapping[str, str | None],
    changed: bool,
) -> bytes:
    operation = ' PropertyOperation="Changed"' if changed else ""
    return (
        f"{_HEAD}tns1:{topic}</wsnt:Topic><wsnt:Message>"
        f'<tt:Message UtcTime="{iso(when)}"{operation}>'
        f"<tt:Source>{_items(source)}</tt:Source><tt:Data>{_items(data)}</tt:Data>"
        f"</tt:Message></wsnt:Message>{_TAIL}"
    ).encode()


class OnvifWriter:
    format = "onvif"
    suffix = ".xml"

    def header(self, start: datetime) -> bytes:
        return b""

    def record(self, fact: Fact, when: datetime) -> bytes:
        if isinstance(fact, Badge):
            return _badge(fact, when)
        if isinstance(fact, DoorAlarm):
            return document(
                "Door/State/DoorAlarm", when, {"DoorToken": fact.door}, {"State": fact.state}, True
            )
        if isinstance(fact, Video):
            return _video(fact, when)
        raise TypeError(f"onvif writer: cannot write {type(fact).__name__}")


def _badge(fact: Badge, when: datetime) -> bytes:
    source = {"AccessPointToken": fact.reader}
    if fact.granted:
        data = {"Card": fact.badge, "CredentialHolderName": fact.holder}
        return document("AccessControl/AccessGranted/Credential", when, source, data, False)
    if fact.holder is None:
        return document(
            "AccessControl/Denied/CredentialNotFound/Card",
            when,
            source,
            {"Card": fact.badge},
            False,
        )
    data = {"Card": fact.badge, "CredentialHolderName": fact.holder, "Reason": fact.reason}
    return document("AccessControl/Denied/Credential", when, source, data, False)


def _video(fact: Video, when: datetime) -> bytes:
    analytics = {
        "VideoSourceConfigurationToken": fact.camera,
        "VideoAnalyticsConfigurationToken": "analytics-1",
    }
    if fact.kind == "count":
        source = {**analytics, "Rule": "DoorCrossingCount"}
        return document(
            "RuleEngine/CountAggregation/Counter", when, source, {"Count": str(fact.count)}, True
        )
    if fact.kind == "motion":
        source = {**analytics, "Rule": "MotionDetector"}
        return document(
            "RuleEngine/CellMotionDetector/Motion", when, source, {"IsMotion": "true"}, True
        )
    if fact.kind == "tamper":
        source = {**analytics, "Rule": "Tamper"}
        return document(
            "RuleEngine/TamperDetector/Tamper", when, source, {"IsTamper": "true"}, True
        )
    return document(
        "VideoSource/SignalLoss", when, {"Source": fact.camera}, {"State": "true"}, True
    )
