"""Keys given twice in a YAML mapping.

PyYAML keeps the last value of a key given twice and says nothing: a rule with two
``where:`` blocks, or a directory entry with two ``zone:`` lines, would load with one of
them silently dropped. The rule and directory loaders reject such files, naming both lines.
"""

from __future__ import annotations

import yaml

MERGE = "tag:yaml.org,2002:merge"
"""The tag of ``<<`` (merge) keys, which may appear more than once."""


def duplicate_keys(root: yaml.Node | None) -> list[tuple[str, int, int]]:
    """``(key, line, first line)`` for every key given again in a mapping of the composed
    tree ``root`` (lines from 1), in document order."""
    found: list[tuple[str, int, int]] = []
    seen: set[int] = set()  # an alias composes to the node it names: visit each node once
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                todo.append(value)
                if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE:
                    continue
                line = key.start_mark.line + 1
                if key.value in first:
                    found.append((key.value, line, first[key.value]))
                else:
                    first[key.value] = line
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return sorted(found, key=lambda item: item[1])


def duplicate_key_problems(where: str, root: yaml.Node | None) -> list[str]:
    """One line per key given twice: ``<where>:<line>: key 'k' is given twice ...``."""
    return [
        f"{where}:{line}: key {key!r} is given twice (first at line {first}); "
        "YAML would keep only this one"
        for key, line, first in duplicate_keys(root)
    ]
