"""JSON Lines: one JSON object per line, for streams and lists (sweep rows, presets, GPUs)."""

from __future__ import annotations

import json
from typing import Any, TextIO

NAME = "jsonl"
NEEDS = "records"
HONOURS: frozenset[str] = frozenset()


def render(result: Any, out: TextIO) -> None:
    for record in result.records():
        out.write(json.dumps(record, allow_nan=False) + "\n")
        out.flush()
