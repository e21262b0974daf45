"""JSON: each result's ``to_dict()``, the stable contract documented in the README.

NaN and infinities are refused (``allow_nan=False``): they are not JSON, and a result never holds
one on purpose. A stream (sweep) is written as an array, one element per row as it is computed.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

NAME = "json"
NEEDS = "to_dict"
HONOURS = frozenset({"detail", "explain"})  # JSON always holds the parts; --explain adds the terms


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, allow_nan=False)


def render(result: Any, out: TextIO) -> None:
    records = getattr(result, "records", None)
    if records is None:
        out.write(dumps(result.to_dict()) + "\n")
        return
    out.write("[")
    for i, record in enumerate(records()):
        out.write(("," if i else "") + "\n" + json.dumps(record, allow_nan=False))
        out.flush()
    out.write("\n]\n")
