"""Per-key state behind a small interface, so a dict, rocksdict and a Faust Table can back it."""

from correlator.state.store import DictStore, RocksdictStore, Store, StoreValue

__all__ = ["DictStore", "RocksdictStore", "Store", "StoreValue"]
