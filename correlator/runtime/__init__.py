"""The Faust runtime shell: consuming, tables, producing. Semantics live in the pure core."""
