from __future__ import annotations

from pathlib import Path

from correlator import schemas

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def test_published_schemas_match_the_models() -> None:
    stale = schemas.stale(SCHEMA_DIR)
    assert stale == [], f"run `correlator schemas write`: stale {stale}"


def test_a_changed_schema_is_detected(tmp_path: Path) -> None:
    schemas.write(tmp_path)
    assert schemas.stale(tmp_path) == []
    (tmp_path / "event.schema.json").write_text("{}\n")
    assert schemas.stale(tmp_path) == ["event.schema.json"]
