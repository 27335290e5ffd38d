from __future__ import annotations

from pathlib import Path

from correlator.runtime.playback import Feed, schedule


def test_records_of_all_feeds_are_merged_by_event_time(tmp_path: Path) -> None:
    from correlator.sim import Scenario, simulate

    out = tmp_path / "sim"
    manifest = simulate(Scenario(seed=2, people=20, sites=2, hours=24, incidents=1), out)
    feeds = [Feed(f["name"], f["format"], out / f["path"]) for f in manifest["feeds"]]
    planned = schedule(feeds)

    times = [s.time for s in planned]
    assert times == sorted(times)
    assert len({s.feed for s in planned}) == len(feeds)
    zeek = next(i for i, f in enumerate(feeds) if f.format == "zeek")
    # a header has no events: it keeps its place in front of the records it describes
    records = [s.record.data for s in planned if s.feed == zeek]
    fields = next(i for i, data in enumerate(records) if data.startswith(b"#fields"))
    first_lease = next(i for i, data in enumerate(records) if not data.startswith(b"#"))
    assert fields < first_lease
