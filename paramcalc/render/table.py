"""The terminal table: the only module that imports rich (typer's habit: rich behind one door)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from paramcalc.engine.memory import memory_by_dtype
from paramcalc.render._format import (
    FLOPS_NOTE, UNITS_NOTE, component_formulas, count, share, size, summary_rows,
)
from paramcalc.report import Report

BAR_WIDTH = 12


def console(file: TextIO | None = None) -> Console:
    """Colour on a terminal; plain text when piped or when NO_COLOR is set (httpie's rule)."""
    out = file or sys.stdout
    tty = out.isatty()
    plain = not tty or "NO_COLOR" in os.environ
    return Console(file=out, no_color=plain, highlight=False, width=None if tty else 110,
                   color_system=None if plain else "auto", emoji=False)


def _bar(fraction: float) -> str:
    filled = round(fraction * BAR_WIDTH)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def count_table(report: Report, detail: bool = False) -> Table:
    total = report.total
    title = f"{report.config.name} ({report.config.architecture})"
    table = Table(title=title, caption=report.config.source, title_justify="left", caption_justify="left")
    table.add_column("component")
    for name in ("params", "share", "", "weights", "biases", "fp32", "fp16"):
        table.add_column(name, justify="right" if name else "left", no_wrap=True)

    def add(name: str, params: int, weights: int, biases: int, style: str = "") -> None:
        memory = memory_by_dtype(params)
        cells = [name, count(params), share(params, total), _bar(params / total) if total else "",
                 count(weights), count(biases), size(memory["fp32"]), size(memory["fp16"])]
        table.add_row(*cells, style=style)

    for comp in report.components:
        add(comp.name, comp.params, comp.weights, comp.biases)
        if detail:
            for part in report.detail_parts(comp):
                add(f"  {comp.name}.{part['name']}", int(part["params"]), int(part["weights"]),
                    int(part["biases"]), style="dim")
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
