"""Quantities typed on the command line: bytes (48GB, 80GiB), rates (3.35TB/s), FLOP/s (150e12, 150TFLOPS).

A memory or a bandwidth needs its unit: a bare `24` could be 24 bytes or 24 GB, so it is refused
with a suggestion. GB = 10**9 bytes, GiB = 2**30 bytes. Values are read exactly (as fractions, not
floats), so `--gpu-memory 1e15B` is 10**15 bytes to the last byte.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BYTES = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "pb": 10**15,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
    "pib": 2**50,
}
_FLOPS = {"": 1, "flops": 1, "gflops": 10**9, "tflops": 10**12, "pflops": 10**15}
_NUMBER = r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:e([+-]?[0-9]+))?"
_QUANTITY = re.compile(rf"^\s*{_NUMBER}\s*([a-z]*)\s*(/s)?\s*$", re.I)
_MAX_EXPONENT = 400  # past any bound the callers state; larger exponents are refused unread
UNITS_HELP = "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB (GB = 10^9 bytes, GiB = 2^30)"


def _number(mantissa: str, exponent: str | None, text: str) -> Fraction:
    power = int(exponent or 0)
    if abs(power) > _MAX_EXPONENT:
        raise ValueError(f"{text!r} is out of range")
    value = Fraction(mantissa) * Fraction(10) ** power
    if value <= 0:
        raise ValueError(f"{text!r} must be positive")
    return value


def _bytes(text: str, rate: bool) -> int:
    example = "3.35TB/s" if rate else "48GB"
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a {'bandwidth' if rate else 'size'} (examples: {example}, 80GiB)")
    mantissa, exponent, unit, per_second = match.groups()
    if per_second and not rate:
        raise ValueError(f"{text!r} is a rate; a memory size has no /s (example: 48GB)")
    value = _number(mantissa, exponent, text)
    if not unit:
        suffix = "GB" if value < 10**5 else "B"  # 24 means 24 GB; 2e9 means 2e9 bytes
        guess = f"{text.strip()}{suffix}{'/s' if rate else ''}"
        raise ValueError(f"{text!r} has no unit (did you mean '{guess}'?); units: {UNITS_HELP}")
    if unit.lower() not in _BYTES:
        raise ValueError(f"{text!r}: unknown unit '{unit}'; units: {UNITS_HELP}")
    return int(value * _BYTES[unit.lower()])  # whole bytes, rounded down


def parse_bytes(text: str) -> int:
    """'48GB' (48 x 10**9), '80GiB' (80 x 2**30), '2e9B' -> bytes, exactly; a bare number is refused."""
    return _bytes(text, rate=False)


def parse_rate(text: str) -> int:
    """'3.35TB/s', '2e12B/s', '1TB' -> bytes per second, exactly; a bare number is refused."""
    return _bytes(text, rate=True)


def parse_flops(text: str) -> float:
    """'150e12', '150TFLOPS', '1.5 PFLOP/s' -> FLOP/s. A bare number is FLOP/s (no ambiguity)."""
    spaced = re.sub(r"flop/s$", "flops", text.strip(), flags=re.I)
    match = _QUANTITY.match(spaced)
    if not match or match.group(4) or match.group(3).lower() not in _FLOPS:
        raise ValueError(f"{text!r} is not a FLOP/s figure (examples: 150e12, 150TFLOPS)")
    mantissa, exponent, unit, _ = match.groups()
    value = _number(mantissa, exponent, text) * _FLOPS[unit.lower()]
    if value > 10**100:  # a float holds it; the caller's bounds refuse it
        raise ValueError(f"{text!r} is out of range")
    return float(value)


def parse_positive(text: str) -> float:
    """'150e12', '1.5e14' -> a positive number (kept for callers of the old name; see parse_flops)."""
    return parse_flops(text)
