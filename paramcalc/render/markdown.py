"""Markdown: the same document as the terminal table, fit for a pull-request comment or a report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from paramcalc.view import BOLD, DIM, HEADING, ITEM, RIGHT, Choice, Document, Table, Text

NAME = "markdown"
NEEDS = "view"
HONOURS = frozenset({"detail", "explain"})


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", "<br>")


def _table(table: Table) -> list[str]:
    keep = [i for i, c in enumerate(table.columns) if not c.decor]
    lines = [f"### {table.title}", ""] if table.title else []
    lines += [
        "| " + " | ".join(table.columns[i].label for i in keep) + " |",
        "|" + "|".join("---:" if table.columns[i].align == RIGHT else "---" for i in keep) + "|",
    ]
    for n, row in enumerate(table.rows):
        bold = n < len(table.styles) and table.styles[n] == BOLD
        cells = [_escape(row[i].strip()) for i in keep]
        if bold and cells[0]:
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    if table.caption:
        lines += ["", table.caption]
    return lines


def _text(block: Text) -> list[str]:
    if not block.text:
        return []
    if block.style == HEADING:
        return [f"### {block.text}"]
    if block.style == BOLD:
        return [f"#### {block.text}"]
    if block.style == DIM:
        return [f"_{block.text}_"]
    if block.style == ITEM:
        return [f"- `{block.text.strip()}`"]
    return [block.text]


def draw(document: Document, out: TextIO) -> None:
    parts: list[list[str]] = []
    for block in document:
        if isinstance(block, Text):
            lines = _text(block)
            if lines and block.style == ITEM and parts and parts[-1][-1].startswith("- "):
                parts[-1] += lines  # consecutive items make one list
                continue
        else:
            options: Sequence[Table] = block.options if isinstance(block, Choice) else (block,)
            lines = _table(options[0])
        if lines:
            parts.append(lines)
    out.write("\n\n".join("\n".join(p) for p in parts) + "\n")


def render(result: Any, out: TextIO) -> None:
    draw(result.view(), out)
