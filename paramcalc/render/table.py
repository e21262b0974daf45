"""The terminal table: the only module that imports rich (typer's habit: rich behind one door)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from paramcalc.comparison import COMPONENTS, Comparison
from paramcalc.engine.memory import memory_by_dtype
from paramcalc.render._format import (
    FLOPS_NOTE,
    UNITS_NOTE,
    bar,
    component_formulas,
    count,
    differences,
    ratio,
    row_value,
    share,
    short_value,
    signed,
    size,
    summary_rows,
)
from paramcalc.report import Report

PIPE_WIDTH = 140


def _pipe_width() -> int:
    """Width when piped: $COLUMNS if set, else wide enough for a three-way comparison."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return PIPE_WIDTH


def console(file: TextIO | None = None) -> Console:
    """Colour on a terminal; plain text when piped or when NO_COLOR is set (httpie's rule)."""
    out = file or sys.stdout
    tty = out.isatty()
    plain = not tty or "NO_COLOR" in os.environ
    return Console(
        file=out,
        no_color=plain,
        highlight=False,
        markup=False,
        width=None if tty else _pipe_width(),
        color_system=None if plain else "auto",
        emoji=False,
    )


def count_table(report: Report, detail: bool = False) -> Table:
    total = report.total
    title = f"{report.config.name} ({report.config.architecture})"
    table = Table(title=title, caption=report.config.source, title_justify="left", caption_justify="left")
    table.add_column("component")
    for name in ("params", "share", "", "weights", "biases", "fp32", "fp16"):
        table.add_column(name, justify="right" if name else "left", no_wrap=True)

    def add(name: str, params: int, weights: int, biases: int, style: str = "") -> None:
        memory = memory_by_dtype(params)
        cells = [
            name,
            count(params),
            share(params, total),
            bar(params / total) if total else "",
            count(weights),
            count(biases),
            size(memory["fp32"]),
            size(memory["fp16"]),
        ]
        table.add_row(*cells, style=style)

    for comp in report.components:
        add(comp.name, comp.params, comp.weights, comp.biases)
        if detail:
            for part in report.detail_parts(comp):
                add(
                    f"  {comp.name}.{part['name']}",
                    int(part["params"]),
                    int(part["weights"]),
                    int(part["biases"]),
                    style="dim",
                )
    table.add_section()
    add("total", total, report.weights, report.biases, style="bold")
    return table


def summary_table(report: Report) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in summary_rows(report):
        table.add_row(label, value)
    return table


def print_count(report: Report, detail: bool = False, explain: bool = False, file: TextIO | None = None) -> None:
    out = console(file)
    out.print(count_table(report, detail))
    if explain:
        out.print(Text("Where the counts come from", style="bold"))
        for comp in report.components:
            out.print(Text(comp.name, style="bold"), Text("\n  ".join(["", *component_formulas(comp)])))
        out.print()
    out.print(summary_table(report))
    out.print(Text(f"{UNITS_NOTE} {FLOPS_NOTE}", style="dim"))


# Widths that decide between the full table and the transposed one: the row labels, a config's
# column with two configs ("68,976,648,192 ██····") and with more (also "(0.401x)").
LABEL_WIDTH = 26
PAIR_WIDTH = 60  # two columns + delta + ratio
COLUMN_WIDTH = 30


def compare_table(comp: Comparison) -> Table:
    n = len(comp.labels)
    table = Table(title="comparison", title_justify="left")
    table.add_column("")
    for i, label in enumerate(comp.labels):
        header = f"{label}\n(baseline)" if n > 2 and i == comp.baseline else label
        table.add_column(header, justify="right")
    if n == 2:
        b, a = 1 - comp.baseline, comp.baseline
        table.add_column(
            f"delta ({comp.labels[b]} - {comp.labels[a]})" if len(comp.labels[b]) < 12 else "delta", justify="right"
        )
        table.add_column("ratio", justify="right")
    group = None
    for row in comp.rows:
        if group is not None and row.group != group:
            table.add_section()
        group = row.group
        cells = [row.label]
        for i, value in enumerate(row.values):
            text = row_value(row.group, row.key, value)
            if row.group == COMPONENTS and value is not None and n <= 3:
                text += " " + bar(value / comp.reports[i].total if comp.reports[i].total else 0, 6)
            relative = row.ratio(i, comp.baseline) if n > 2 and i != comp.baseline else None
            if relative is not None:
                text += f" ({ratio(relative)})"
            cells.append(text)
        if n == 2:
            other = 1 - comp.baseline
            cells += [
                signed(row.group, row.key, row.delta(other, comp.baseline)),
                ratio(row.ratio(other, comp.baseline)),
            ]
        table.add_row(*cells, style="bold" if row.key == "total" else "")
    return table


def transposed_table(comp: Comparison) -> Table:
    """Too many configs for the terminal's width: one row per config, the key figures as columns,
    rounded (124.4M) to fit; --format csv or json has every exact figure."""
    keys = ("total", "non_embedding", "active", "memory.fp16", "flops.forward_per_token", "flops.training_total")
    rows = {r.key: r for r in comp.rows}
    table = Table(
        title="comparison (one row per config; rounded, see --format csv for exact figures)", title_justify="left"
    )
    table.add_column("config")
    for key in keys:
        table.add_column(rows[key].label, justify="right")
    table.add_column(f"total / {comp.labels[comp.baseline]}", justify="right")
    for i, label in enumerate(comp.labels):
        cells = [label] + [short_value(rows[k].group, k, rows[k].values[i]) for k in keys]
        cells.append(ratio(rows["total"].ratio(i, comp.baseline)))
        table.add_row(*cells)
    return table


def print_compare(comp: Comparison, file: TextIO | None = None) -> None:
    out = console(file)
    lines = differences(comp.differences)
    out.print(Text("what differs", style="bold"))
    for line in lines or ["(nothing: the configs are the same)"]:
        out.print(Text("  " + line))
    out.print()
    n = len(comp.labels)
    needed = LABEL_WIDTH + (PAIR_WIDTH if n == 2 else COLUMN_WIDTH * n)
    out.print(compare_table(comp) if needed <= out.width else transposed_table(comp))
    out.print(Text(f"{UNITS_NOTE} {FLOPS_NOTE}", style="dim"))


def print_plan(title: str, rows: list[tuple[str, str, str]], explain: bool, file: TextIO | None = None) -> None:
    """train / infer: one row per figure; --explain adds where each comes from."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    if explain:
        table.add_column(style="dim")
    for label, value, note in rows:
        style = "bold" if label in ("fits", "total", "total per GPU", "time") else ""
        cells = (label, value, note) if explain else (label, value)
        table.add_row(*cells, style=style)
    console(file).print(table)
