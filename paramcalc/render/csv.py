"""CSV: the component table and the totals, one row each, for a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from paramcalc.engine.memory import memory_by_dtype
from paramcalc.render._format import DTYPES

if TYPE_CHECKING:
    from paramcalc.comparison import Comparison, Row
    from paramcalc.report import Report

HEADER = ["component", "params", "weights", "biases", "share", *(f"{d}_bytes" for d in DTYPES)]


def _row(name: str, params: int, weights: int | str, biases: int | str, total: int) -> list[object]:
    memory = memory_by_dtype(params)
    return [name, params, weights, biases, f"{params / total:.6f}" if total else "", *(memory[d] for d in DTYPES)]


def render_count(report: Report, detail: bool = False, explain: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    total = report.total
    for comp in report.components:
        writer.writerow(_row(comp.name, comp.params, comp.weights, comp.biases, total))
        if detail:
            for part in report.detail_parts(comp):
                writer.writerow(
                    _row(
                        f"{comp.name}.{part['name']}",
                        int(part["params"]),
                        int(part["weights"]),
                        int(part["biases"]),
                        total,
                    )
                )
    writer.writerow(_row("total", total, report.weights, report.biases, total))
    embedding = [c for c in report.components if c.is_embedding]
    writer.writerow(
        _row(
            "non_embedding",
            report.non_embedding,
            report.weights - sum(c.weights for c in embedding),
            report.biases - sum(c.biases for c in embedding),
            total,
        )
    )
    writer.writerow(_row("active", report.active, "", "", total))
    return out.getvalue()


def compare_header(comparison: Comparison) -> list[str]:
    labels = list(comparison.labels)
    base = comparison.baseline
    if len(labels) == 2:
        return ["row", *labels, "delta", "ratio"]
    return ["row", *labels, *(f"{labels[i]} / {labels[base]}" for i in range(len(labels)) if i != base)]


def compare_cells(comparison: Comparison, row: Row, fmt_ratio: Callable[[float | None], str]) -> list[object]:
    """The trailing cells of a compare row: delta and ratio (2 configs) or ratios to the baseline."""
    base = comparison.baseline
    if len(comparison.labels) == 2:
        other = 1 - base
        delta = row.delta(other, base)
        return ["" if delta is None else delta, fmt_ratio(row.ratio(other, base))]
    return [fmt_ratio(row.ratio(i, base)) for i in range(len(comparison.labels)) if i != base]


def render_compare(comparison: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(compare_header(comparison))
    for row in comparison.rows:
        values = ["" if v is None else v for v in row.values]
        writer.writerow([row.key, *values, *compare_cells(comparison, row, _ratio)])
    return out.getvalue()


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
