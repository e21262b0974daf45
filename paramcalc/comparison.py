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


def _aligned(report: Report, part: str | None) -> dict[str, object]:
    """The fields of a config as "what differs" lists them. Beside a composite (`part`: its
    language part's name), a composite's parts are flattened (`language.vocab`, `tensors.name`)
    and a plain config's fields are those of that part (its architecture also stands as the whole's)."""
    fields = {k: v for k, v in report.config.to_dict().items() if k not in _DESCRIPTIVE}
    if part is None:
        return fields
    if not report.config.is_composite:
        return {"architecture": fields.get("architecture"), **{f"{part}.{k}": v for k, v in fields.items()}}
    out: dict[str, object] = {}
    for key, value in fields.items():
        if key in ("parts", "tensors") and isinstance(value, dict):
            for name, inner in value.items():
                if key == "parts" and isinstance(inner, dict):
                    out.update({f"{name}.{k}": v for k, v in inner.items() if k not in _DESCRIPTIVE})
                else:
                    out[f"{key}.{name}"] = inner
        else:
            out[key] = value
    return out


def _differences(reports: list[Report], part: str | None) -> tuple[tuple[str, tuple[object, ...]], ...]:
    dicts = [_aligned(r, part) for r in reports]
    keys: list[str] = []
    for d in dicts:
        keys += [k for k in d if k not in keys]
    out = []
    each = [_parts_of(r, part) for r in reports]
    missing = {p for names in each for p in names if any(p not in other for other in each)}
    shown_missing: set[str] = set()
    for key in keys:
        values = tuple(d.get(key) for d in dicts)
        head = key.split(".", 1)[0]
        if head in missing:  # a part only some configs have: one line, its architecture
            if head not in shown_missing:
                shown_missing.add(head)
                out.append((head, tuple(d.get(f"{head}.architecture") for d in dicts)))
            continue
        if any(v != values[0] for v in values):
            out.append((key, tuple(_brief(v) for v in values)))
    return tuple(out)


def _brief(value: object) -> object:
    """A layer list or a mapping of modules, as "what differs" shows it: its size and names,
    not its whole text (a sequential net's layers are in the component table)."""
    if isinstance(value, list) and value and all(isinstance(v, (dict, str)) for v in value):
        return f"{len(value)} layers"
    if isinstance(value, dict):
        return ", ".join(str(k) for k in value) or "none"
    return value


def _parts_of(report: Report, part: str | None) -> list[str]:
    """A composite's parts; a plain config beside one stands for its language part."""
    return [n for n, _ in report.config.parts] if report.config.is_composite else [part] if part else []


def _language(reports: list[Report]) -> str | None:
    """The part of a composite that a plain config lines up with (its language model), when a
    composite is among the configs; None when none is."""
    return next((r.config.main_part_name for r in reports if r.config.is_composite), None)


def _component_names(report: Report, part: str | None) -> list[tuple[str, int]]:
    """(row key, params) of each component; a plain config's beside a composite as that part's."""
    prefix = f"{part}." if part and not report.config.is_composite else ""
    return [(prefix + c.name, c.params) for c in report.components]


def compare(reports: list[Report], baseline: int = 0) -> Comparison:
    if not 0 <= baseline < len(reports):
        raise ValueError(f"baseline {baseline} is not one of 0..{len(reports) - 1}")
    part = _language(reports)
    order: list[str] = []
    by_report = []
    for report in reports:
        named = _component_names(report, part)
        order += [name for name, _ in named if name not in order]
        by_report.append(dict(named))
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
    return Comparison(tuple(reports), _labels(reports), baseline, tuple(rows), _differences(reports, part))
