"""The simulated organisation written as a directory file (see docs/directory.md).

Each site has a lobby behind a main entrance (entry and exit readers), a loading dock, an
office floor behind an inner door and a restricted server room with its own in/out doors.
Cameras watch the entrance, the dock and the server room; a parking camera watches no door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from correlator.sim.org import Org, SimPerson, SimSite

DAY_HOURS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:30"}
NIGHT_HOURS = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "start": "22:00",
    "end": "06:00",
}


def directory_data(org: Org) -> dict[str, Any]:
    sites = org.sites
    return {
        "version": 1,
        "sites": [_site(site) for site in sites],
        "zones": [zone for site in sites for zone in _zones(site)],
        "doors": [door for site in sites for door in _doors(site)],
        "cameras": [camera for site in sites for camera in _cameras(site)],
        "people": [_person(person) for person in org.people],
        "assets": [_asset(person) for person in org.people]
        + [
            {
                "id": server.id,
                "kind": "server",
                "hostnames": [server.hostname],
                "ips": [server.ip],
                "site": server.site.id,
                "zone": f"{server.site.id}-dc",
                "criticality": "high",
            }
            for server in org.servers
        ],
    }


def _site(site: SimSite) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "country": site.country,
        "city": site.city,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "timezone": site.tz,
        "networks": [
            {"cidr": site.office, "kind": "office", "name": f"{site.city} LAN"},
            {"cidr": f"10.{site.index}.200.0/24", "kind": "server", "name": "Server room"},
            {"cidr": site.guest, "kind": "guest", "name": "Guest Wi-Fi"},
            {"cidr": site.vpn, "kind": "vpn", "name": f"{site.city} remote access pool"},
        ],
        "working_hours": DAY_HOURS,
    }


def _zones(site: SimSite) -> list[dict[str, Any]]:
    s = site.id
    return [
        {"id": f"{s}-lobby", "site": s, "name": "Lobby"},
        {"id": f"{s}-dock", "site": s, "name": "Loading dock"},
        {"id": f"{s}-office", "site": s, "name": "Office floor", "parent": f"{s}-lobby"},
        {
            "id": f"{s}-dc",
            "site": s,
            "name": "Server room",
            "parent": f"{s}-office",
            "restricted": True,
        },
    ]


def _doors(site: SimSite) -> list[dict[str, Any]]:
    s = site.id

    def pair(door: str) -> list[dict[str, str]]:
        return [
            {"id": site.reader(door, "in"), "direction": "in"},
            {"id": site.reader(door, "out"), "direction": "out"},
        ]

    return [
        {
            "id": site.door("main"),
            "site": s,
            "zone": f"{s}-lobby",
            "name": "Main entrance",
            "direction": "both",
            "perimeter": True,
            "readers": pair("main"),
        },
        {
            "id": site.door("dock"),
            "site": s,
            "zone": f"{s}-dock",
            "name": "Loading dock",
            "direction": "both",
            "perimeter": True,
            "readers": pair("dock"),
        },
        {
            "id": site.door("office"),
            "site": s,
            "zone": f"{s}-office",
            "name": "Office floor",
            "direction": "in",
            "perimeter": False,
            "readers": [site.reader("office", "in")],
        },
        {
            "id": site.door("dc-in"),
            "site": s,
            "zone": f"{s}-dc",
            "name": "Server room entry",
            "direction": "in",
            "perimeter": False,
            "readers": [site.reader("dc", "in")],
        },
        {
            "id": site.door("dc-out"),
            "site": s,
            "zone": f"{s}-dc",
            "name": "Server room exit",
            "direction": "out",
            "perimeter": False,
            "readers": [site.reader("dc", "out")],
        },
    ]


def _cameras(site: SimSite) -> list[dict[str, Any]]:
    s = site.id
    return [
        {
            "id": site.camera("lobby"),
            "site": s,
            "zone": f"{s}-lobby",
            "doors": [site.door("main")],
            "zones": [f"{s}-lobby"],
        },
        {
            "id": site.camera("dock"),
            "site": s,
            "zone": f"{s}-dock",
            "doors": [site.door("dock")],
            "zones": [f"{s}-dock"],
        },
        {
            "id": site.camera("dc"),
            "site": s,
            "zone": f"{s}-dc",
            "doors": [site.door("dc-in"), site.door("dc-out")],
            "zones": [f"{s}-dc"],
        },
        {"id": site.camera("parking"), "site": s},
    ]


def _person(person: SimPerson) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": person.id,
        "name": person.name,
        "department": person.department,
        "home_site": person.site.id,
        "credentials": [{"badge": person.badge}],
        "accounts": [{"username": person.username, "domain": "CORP", "upn": person.upn}],
    }
    if person.shift == "night":
        entry["working_hours"] = NIGHT_HOURS
    if person.status != "active" and person.status_since is not None:
        entry["status"] = person.status
        entry["status_since"] = person.status_since.isoformat().replace("+00:00", "Z")
    return entry


def _asset(person: SimPerson) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": person.host,
        "kind": "laptop" if person.laptop else "workstation",
        "hostnames": [person.hostname],
        "macs": [person.mac],
        "owner": person.id,
    }
    if not person.laptop:  # a desktop stays on its site; a laptop roams and has no site
        entry.update(ips=[person.ip], site=person.site.id, zone=f"{person.site.id}-office")
    return entry
