"""Quantities typed on the command line: bytes (48GB, 80GiB, 2e9), rates (3.35TB/s), FLOP/s."""

from __future__ import annotations

import math
import re

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*(/s)?\s*$", re.I)


def parse_bytes(text: str) -> int:
    """'48GB' (10**9), '80GiB' (2**30), '2e9', '3.35TB/s' -> bytes (or bytes per second)."""
    match = _QUANTITY.match(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size (examples: 48GB, 80GiB, 2e9, 3.35TB/s)")
    value = float(match.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r} must be positive")
    return int(value)


def parse_positive(text: str) -> float:
    """'150e12', '1.5e14' -> a positive number."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number (example: 150e12)") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r} must be positive")
    return value
