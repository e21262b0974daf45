"""Several reports side by side: aligned rows, deltas and ratios computed from the numbers.

Pure: the renderers format what this module computes; nothing here is re-parsed from text.
"""

from __future__ import annotations

from typing import NamedTuple

from paramcalc.engine.memory import MEMORY_DTYPES
from paramcalc.engine.report import Report

COMPONENTS = "components"
TOTALS = "totals"
MEMORY = "memory"
FLOPS = "flops"

# Fields that name a config rather than shape it: left out of "what differs".
_DESCRIPTIVE = ("name", "source", "extends")


class Row(NamedTuple):
    key: str  # stable id: "attention", "total", "memory.fp16", "flops.forward_per_token"
    label: str
    group: str
    values: tuple[int | None, ...]  # one per config; None where a config has no such component

    def delta(self, index: int, baseline: int) -> int | None:
        a, b = self.values[baseline], self.values[index]
        return None if a is None or b is None else b - a

    def ratio(self, index: int, baseline: int) -> float | None:
        a, b = self.values[baseline], self.values[index]
        return None if a is None or b is None or a == 0 else b / a


class Comparison(NamedTuple):
    reports: tuple[Report, ...]
    labels: tuple[str, ...]
    baseline: int
    rows: tuple[Row, ...]
    differences: tuple[tuple[str, tuple[object, ...]], ...]  # (field, value per config)


def _labels(reports: list[Report]) -> tuple[str, ...]:
    """Column names: the config names, numbered where two are the same."""
    names = [r.config.name for r in reports]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} #{seen[name]}")
    return tuple(out)


def _differences(reports: list[Report]) -> tuple[tuple[str, tuple[object, ...]], ...]:
    dicts = [r.config.to_dict() for r in reports]
    keys: list[str] = []
    for d in dicts:
        keys += [k for k in d if k not in keys and k not in _DESCRIPTIVE]
    out = []
    for key in keys:
        values = tuple(d.get(key) for d in dicts)
        if any(v != values[0] for v in values):
            out.append((key, values))
    return tuple(out)


def compare(reports: list[Report], baseline: int = 0) -> Comparison:
    if not 0 <= baseline < len(reports):
        raise ValueError(f"baseline {baseline} is not one of 0..{len(reports) - 1}")
    order: list[str] = []
    for report in reports:
        order += [c.name for c in report.components if c.name not in order]
    by_report = [{c.name: c.params for c in r.components} for r in reports]
    rows = [Row(name, name, COMPONENTS, tuple(b.get(name) for b in by_report)) for name in order]
    rows += [
        Row("total", "total params", TOTALS, tuple(r.total for r in reports)),
        Row("non_embedding", "non-embedding params", TOTALS, tuple(r.non_embedding for r in reports)),
        Row("active", "active params per token", TOTALS, tuple(r.active for r in reports)),
    ]
    rows += [
        Row(f"memory.{d}", f"weights in {d}", MEMORY, tuple(r.memory_bytes[d] for r in reports)) for d in MEMORY_DTYPES
    ]
    rows += [
        Row(
            "flops.forward_per_token",
            "forward FLOPs per token",
            FLOPS,
            tuple(r.flops.forward_per_token for r in reports),
        ),
        Row(
            "flops.training_per_token",
            "training FLOPs per token",
            FLOPS,
            tuple(r.flops.training_per_token for r in reports),
        ),
        Row("flops.training_tokens", "training tokens", FLOPS, tuple(r.flops.training_tokens for r in reports)),
        Row("flops.training_total", "training FLOPs total", FLOPS, tuple(r.flops.training_total for r in reports)),
        Row("flops.six_nd", "6ND", FLOPS, tuple(r.flops.six_nd for r in reports)),
    ]
    return Comparison(tuple(reports), _labels(reports), baseline, tuple(rows), _differences(reports))
