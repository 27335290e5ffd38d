"""The directory file: the example loads, every problem is reported with file, line and field."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from identity_factories import example_directory

from correlator.errors import DirectoryError
from correlator.identity import Identity, load_directory
from correlator.identity.directory import Directory, Person


def write(tmp_path: Path, text: str, name: str = "directory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    return caught.value.problems


def test_example_directory_loads_and_indexes_every_section() -> None:
    directory = example_directory()
    index = Identity(directory).index
    assert set(index.people) == {"p-alice", "p-bob", "p-carol"}
    assert index.badges["0042117"].person == "p-alice"
    assert index.hostnames["ws-alice"] == "ws-alice"  # short name of the FQDN
    assert index.macs["00:11:22:33:44:02"] == "ws-bob"  # dashes normalized
    assert index.readers["rdr-hq-main-out"].direction == "out"
    assert index.site_of_ip("10.99.3.4") == "hq"


def test_json_directory_loads_the_same(tmp_path: Path) -> None:
    data = example_directory().model_dump(mode="json")
    path = write(tmp_path, json.dumps(data), "directory.json")
    loaded, example = Identity(load_directory(path)).index, Identity(example_directory()).index
    assert loaded.directory.assets == example.directory.assets
    assert loaded.directory.sites == example.directory.sites
    # "2024-01-01" in JSON reads as a midnight timestamp: the same instant as the YAML date.
    assert loaded.badges == {
        key: replace(entry, credential=loaded.badges[key].credential)
        for key, entry in example.badges.items()
    }
    assert loaded.status_since == example.status_since


def test_every_field_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
people:
  - id: p-a
    name: A
    status: gone
    credentials:
      - badge: "1"
        valid_until: not-a-date
sites:
  - id: hq
    country: fr
    latitude: 100
    longitude: 2
    timezone: Mars/Olympus
    nickname: x
""",
    )
    found = problems(path)
    assert len(found) == 6
    expected = [
        (4, "people[0].status: Input should be 'active', 'suspended' or 'terminated'"),
        (7, "people[0].credentials[0].valid_until:"),
        (10, "sites[0].country:"),
        (11, "sites[0].latitude: Input should be less than or equal to 90"),
        (13, "sites[0].timezone: Value error, unknown time zone 'Mars/Olympus'"),
        (14, "sites[0].nickname: Extra inputs are not permitted"),
    ]
    for line, text in expected:
        assert any(p.startswith(f"{path}:{line} {text}") for p in found), (line, text, found)


def test_missing_field_points_at_its_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path, "sites:\n  - id: hq\n    country: FR\n    latitude: 1\n    longitude: 2\n"
    )
    assert problems(path) == [f"{path}:2 sites[0].timezone: Field required"]


def test_duplicates_name_both_entries_and_all_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
people:
  - id: p-a
    name: A
    credentials: [{badge: "77"}]
    accounts: [{username: a, domain: CORP}]
  - id: p-a
    name: A again
  - id: p-b
    name: B
    credentials: [{badge: "77"}]
    accounts: [{username: x, domain: CORP, aliases: ["corp\\\\A"]}]
assets:
  - {id: h1, ips: [10.0.0.1]}
  - {id: h2, ips: [10.0.0.1], owner: p-nobody}
""",
    )
    found = problems(path)
    assert (
        f"{path}:6 people[1].id: duplicate people id 'p-a' (first defined at line 2, people[0].id)"
        in found
    )
    assert (
        f"{path}:10 people[2].credentials[0].badge: duplicate badge '77' "
        "(first defined at line 4, people[0].credentials[0].badge)" in found
    )
    assert any("people[2].accounts[0].aliases[0]: duplicate account 'corp\\A'" in p for p in found)
    assert any("assets[1].ips[0]: duplicate ip '10.0.0.1'" in p and "line 13" in p for p in found)
    assert any("assets[1].owner: unknown person 'p-nobody'" in p for p in found)
    assert len(found) == 5


def test_references_must_exist_and_agree_on_the_site(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
sites:
  - {id: hq, country: FR, latitude: 1, longitude: 2, timezone: Europe/Paris}
  - {id: b, country: FR, latitude: 1, longitude: 2, timezone: Europe/Paris}
zones:
  - {id: z-b, site: b}
doors:
  - {id: d1, site: hq, zone: z-b}
cameras:
  - {id: c1, site: hq, doors: [d-missing]}
""",
    )
    found = problems(path)
    assert f"{path}:7 doors[0].zone: zone 'z-b' is on site 'b', not 'hq'" in found
    assert any(
        p.startswith(f"{path}:9 cameras[0].doors[0]: unknown door 'd-missing'") for p in found
    )


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "people:\n  - id: [unclosed\n")
    (message,) = problems(path)
    assert message.startswith(f"{path}:3:1: not valid YAML/JSON")


def test_a_key_given_twice_is_a_problem_naming_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "sites:\n  - id: hq\n    country: FR\n    country: DE\n")
    assert problems(path) == [
        f"{path}:4: key 'country' is given twice (first at line 3); YAML would keep only this one"
    ]


def test_a_directory_built_in_code_is_checked_too() -> None:
    person = Person(id="p", name="P")
    with pytest.raises(DirectoryError, match=r"people\[1\]\.id: duplicate people id 'p'"):
        Identity(Directory(people=(person, person)))
