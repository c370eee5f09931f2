"""Where `opsbook oncall override` puts its line: at the end of the rotation's overrides,
whatever the layout, and nowhere else; the result reads back as the new override."""

from __future__ import annotations

import pytest
import yaml

from opsbook.errors import Refused
from opsbook.oncall.overrides import plan_insertion

pytestmark = pytest.mark.unit
ITEM = '- {who: "Max", from: "2026-03-01", to: "2026-03-02"}'


def _apply(text: str, rotation: str) -> str:
    after, expected, lines = plan_insertion(text, rotation, ITEM)
    rows = text.splitlines()
    assert rows[after - 1] == expected
    return "\n".join(rows[:after] + lines + rows[after:]) + "\n"


def _front(text: str) -> dict[str, object]:
    loaded = yaml.safe_load(text.split("---")[1])
    assert isinstance(loaded, dict)
    return loaded


def test_the_second_rotation_gets_a_new_overrides_list_and_the_first_is_untouched() -> None:
    text = """---
title: x
oncall:
  ops:
    layers:
      - {people: [A], length: 1 week, start: 2026-01-05}
    overrides:
    - {who: B, from: 2026-02-01, to: 2026-02-02}

  db:
    zone: UTC
    layers:
      - {people: [C], length: 1 day, start: 2026-01-05}
# a comment after
other: 1
---
# Runbook
"""
    done = _front(_apply(text, "db"))
    assert done["oncall"]["db"]["overrides"] == [  # type: ignore[index]
        {"who": "Max", "from": "2026-03-01", "to": "2026-03-02"}
    ]
    assert len(done["oncall"]["ops"]["overrides"]) == 1  # type: ignore[index]
    assert done["other"] == 1
    first = _front(_apply(text, "ops"))
    assert [o["who"] for o in first["oncall"]["ops"]["overrides"]] == ["B", "Max"]  # type: ignore[index]


def test_a_rotation_in_flow_style_or_missing_is_refused() -> None:
    flow = (
        "---\noncall:\n  ops: {layers: [{people: [A], length: 1 week, start: 2026-01-05}]}\n---\n"
    )
    with pytest.raises(Refused, match=r"flow style|no rotation"):
        plan_insertion(flow, "ops", ITEM)
    with pytest.raises(Refused, match="no front matter"):
        plan_insertion("# Runbook\n", "ops", ITEM)
    listed = "---\noncall:\n  ops:\n    layers: []\n    overrides: []\n---\n"
    with pytest.raises(Refused, match=r"flow style \(\[\.\.\.\]\)"):
        plan_insertion(listed, "ops", ITEM)
