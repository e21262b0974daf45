"""CSV: rows of raw numbers for a spreadsheet. A result gives its own rows (``csv_rows()``: the
component table of count, the aligned rows of compare); any other is flattened from its JSON
form into ``key,value`` lines (``per_gpu_bytes.weights,123``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TextIO

NAME = "csv"
NEEDS = "to_dict"
HONOURS = frozenset({"detail"})


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, object]]:
    """{"a": {"b": 1}, "c": [2, 3]} -> ("a.b", 1), ("c.0", 2), ("c.1", 3)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}{key}.")
    elif isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        for i, value in enumerate(data):
            yield from flatten(value, f"{prefix}{i}.")
    else:
        value = ";".join(str(v) for v in data) if isinstance(data, list) else data
        yield prefix.rstrip("."), "" if value is None else value


def rows(result: Any) -> Iterable[Iterable[object]]:
    own = getattr(result, "csv_rows", None)
    if own is not None:
        return own()  # type: ignore[no-any-return]
    return [("key", "value"), *flatten(result.to_dict())]


def render(result: Any, out: TextIO) -> None:
    import csv  # here, not at the top: listing the formats should cost nothing

    writer = csv.writer(out, lineterminator="\n")
    for row in rows(result):
        writer.writerow(row)
