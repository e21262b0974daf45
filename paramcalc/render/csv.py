"""CSV: the component table and the totals, one row each, for a spreadsheet."""

from __future__ import annotations

import csv
import io

from paramcalc.engine.memory import memory_by_dtype
from paramcalc.render._format import DTYPES
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
                writer.writerow(_row(f"{comp.name}.{part['name']}", int(part["params"]),
                                     int(part["weights"]), int(part["biases"]), total))
    writer.writerow(_row("total", total, report.weights, report.biases, total))
    embedding = [c for c in report.components if c.is_embedding]
    writer.writerow(_row("non_embedding", report.non_embedding,
                         report.weights - sum(c.weights for c in embedding),
                         report.biases - sum(c.biases for c in embedding), total))
    writer.writerow(_row("active", report.active, "", "", total))
    return out.getvalue()
