"""Markdown: the same tables as the terminal, fit for a pull-request comment or a report."""

from __future__ import annotations

from paramcalc.comparison import COMPONENTS, Comparison
from paramcalc.engine.memory import memory_by_dtype
from paramcalc.render._format import (
    FLOPS_NOTE,
    UNITS_NOTE,
    component_formulas,
    count,
    differences,
    ratio,
    row_value,
    share,
    signed,
    size,
    summary_rows,
)
from paramcalc.report import Report


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render_count(report: Report, detail: bool = False, explain: bool = False) -> str:
    header = ["Component", "Params", "Share", "Weights", "Biases", "fp32", "fp16"]
    rows: list[list[str]] = []
    total = report.total

    def add(name: str, params: int, weights: int, biases: int) -> None:
        memory = memory_by_dtype(params)
        rows.append(
            [
                name,
                count(params),
                share(params, total),
                count(weights),
                count(biases),
                size(memory["fp32"]),
                size(memory["fp16"]),
            ]
        )

    for comp in report.components:
        add(f"`{comp.name}`", comp.params, comp.weights, comp.biases)
        if detail:
            for part in report.detail_parts(comp):
                add(
                    f"&nbsp;&nbsp;`{comp.name}.{part['name']}`",
                    int(part["params"]),
                    int(part["weights"]),
                    int(part["biases"]),
                )
    add("**total**", total, report.weights, report.biases)
    title = f"### {report.config.name} ({report.config.architecture})"
    lines = [title, ""]
    if report.config.source:
        lines += [f"Source: {report.config.source}", ""]
    lines += _table(header, rows, {1, 2, 3, 4, 5, 6})
    lines += ["", *_table(["Summary", "Value"], [list(r) for r in summary_rows(report)], {1})]
    if explain:
        lines += ["", "#### Where the counts come from", ""]
        for comp in report.components:
            lines.append(f"- `{comp.name}`: " + "; ".join(component_formulas(comp)))
    lines += ["", f"_{UNITS_NOTE} {FLOPS_NOTE}_"]
    return "\n".join(lines) + "\n"


def render_compare(comparison: Comparison) -> str:
    from paramcalc.render.csv import compare_cells, compare_header

    lines = ["### Comparison", "", "What differs:", ""]
    lines += [f"- `{line}`" for line in differences(comparison.differences)] or ["- nothing"]
    rows = []
    for row in comparison.rows:
        cells = [row_value(row.group, row.key, v) for v in row.values]
        trailing = compare_cells(comparison, row, ratio)
        if len(comparison.labels) == 2:
            trailing[0] = signed(row.group, row.key, row.delta(1 - comparison.baseline, comparison.baseline))
        label = f"**{row.label}**" if row.key == "total" else f"`{row.label}`" if row.group == COMPONENTS else row.label
        rows.append([label, *cells, *[str(c) for c in trailing]])
    header = compare_header(comparison)
    header[0] = ""
    lines += ["", *_table(header, rows, set(range(1, len(header))))]
    lines += ["", f"_{UNITS_NOTE} {FLOPS_NOTE}_"]
    return "\n".join(lines) + "\n"
