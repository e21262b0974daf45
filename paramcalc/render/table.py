"""The terminal table: the only module that imports rich (typer's habit: rich behind one door).

Drawn from a result's :mod:`~paramcalc.view` document. Colour on a terminal; plain when piped or
with NO_COLOR (httpie's rule). The width is the terminal's, or $COLUMNS, or 140 when piped.

Narrow terminals, in this order (an exact number is never cut or wrapped):

1. text columns marked ``wrap`` (labels, sources) fold at spaces onto several lines;
2. columns marked ``drop`` are left out, the highest first (count: the share bar, then fp16, fp32,
   biases, weights, share);
3. text folds inside words (long names), down to 12 characters;
4. if the table still does not fit, it is drawn vertically: one block per row, one line per cell.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from paramcalc.view import BOLD, HEADING, ITEM, LEFT, STRONG, Choice, Column, Document, Table, Text

if TYPE_CHECKING:
    from rich.console import Console

NAME = "table"
NEEDS = "view"
HONOURS = frozenset({"detail", "explain"})

PIPE_WIDTH = 140
MIN_WIDTH = 40
MIN_WRAP = 12  # a folding text column keeps at least this many characters
_NUMBER = r"\S*\d\S*"  # a word holding a digit: compiled by re on first use


def width(out: TextIO | None = None) -> int:
    """$COLUMNS if set; else the terminal's width; else (piped) 140."""
    try:
        return max(MIN_WIDTH, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        pass
    stream = out or sys.stdout
    if stream.isatty():
        try:
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError):
            pass
    return PIPE_WIDTH


def _console(out: TextIO, columns: int) -> Console:
    from rich.console import Console

    class Quiet(Console):
        def on_broken_pipe(self) -> None:
            """A reader that closed the pipe is no error: the CLI's handler ends with exit 0
            (rich itself would exit 1)."""
            self.quiet = True
            raise BrokenPipeError

    plain = not out.isatty() or "NO_COLOR" in os.environ
    return Quiet(
        file=out,
        no_color=plain,
        highlight=False,
        markup=False,
        width=columns,
        color_system=None if plain else "auto",
        emoji=False,
        soft_wrap=False,
    )


def _longest(cells: list[str]) -> int:
    return max((len(line) for cell in cells for line in cell.splitlines() or [""]), default=0)


def _natural(table: Table, i: int, fold_header: bool = False) -> int:
    """A column's width with nothing folded (with `fold_header`, a header longer than its cells
    breaking at spaces)."""
    widest = _longest([row[i] for row in table.rows])
    if table.header:
        label = table.columns[i].label
        folded = fold_header and not table.columns[i].wrap
        widest = max(widest, max(map(len, label.split() or [""])) if folded else len(label))
    return widest


def _header(label: str, columns: int) -> str:
    """A header broken at spaces onto lines of at most `columns` characters."""
    return "\n".join(textwrap.wrap(label, max(columns, 1), break_long_words=False)) or label


def _minimum(table: Table, i: int, mid_word: bool = False) -> int:
    """The narrowest a column can be: its natural width; for folding text its longest word, or
    with `mid_word` MIN_WRAP characters (but never less than its longest number: numbers never
    fold)."""
    natural = _natural(table, i, fold_header=True)
    if not table.columns[i].wrap:
        return natural
    cells = [row[i] for row in table.rows]
    numbers = [len(m) for cell in cells for m in re.findall(_NUMBER, cell)]
    words = [len(w) for cell in cells for w in cell.split()]
    floor = max(numbers, default=0)
    return min(natural, max(floor, MIN_WRAP if mid_word else max(words, default=0)))


def _overhead(table: Table, n: int) -> int:
    """Characters around the cells: borders and padding (boxed), or the gaps between columns."""
    return 3 * n + 1 if table.boxed else 2 * (n - 1)


def fit(table: Table, columns: int, decor_only: bool = False) -> list[int] | None:
    """The columns to draw (indices) so that the table fits `columns` characters; None if even
    the columns that must stay do not fit. In order: text folds at spaces; the droppable columns
    go, highest `drop` first (only decorations with `decor_only`); text folds inside words."""
    keep = list(range(len(table.columns)))

    def needed(mid_word: bool) -> int:
        return sum(_minimum(table, i, mid_word) for i in keep) + _overhead(table, len(keep))

    while needed(False) > columns:
        droppable = [i for i in keep if table.columns[i].drop > 0 and (table.columns[i].decor or not decor_only)]
        if not droppable:
            return keep if needed(True) <= columns else None
        keep.remove(max(droppable, key=lambda i: (table.columns[i].drop, i)))
    return keep


def _rich_table(table: Table, keep: list[int], columns: int) -> Any:
    from rich.table import Table as RichTable

    whole = sum(_natural(table, i) for i in keep) + _overhead(table, len(keep)) <= columns

    unboxed: dict[str, Any] = {} if table.boxed else {"box": None, "padding": (0, 1), "pad_edge": False}
    out = RichTable(
        title=table.title or None,
        caption=table.caption or None,
        title_justify="left",
        caption_justify="left",
        show_header=table.header,
        **unboxed,
    )
    for i in keep:
        column: Column = table.columns[i]
        out.add_column(
            column.label if column.wrap or whole else _header(column.label, _natural(table, i, fold_header=True)),
            justify="left" if column.align == LEFT else "right",
            no_wrap=not column.wrap,
            overflow="fold",
            min_width=_minimum(table, i, mid_word=True) if column.wrap else None,
        )
        if table.boxed is False and i == keep[0]:
            out.columns[-1].style = "bold"
    styles = table.styles
    for n, row in enumerate(table.rows):
        if n in table.sections:
            out.add_section()
        style = styles[n] if n < len(styles) else ""
        out.add_row(*[row[i] for i in keep], style={STRONG: BOLD}.get(style, style) or None)
    return out


def _vertical(table: Table, columns: int) -> list[tuple[str, str]]:
    """Too narrow for any table: each row as a heading and one indented line per cell."""
    lines: list[tuple[str, str]] = []
    if table.title:
        lines.append((table.title, BOLD))
    labels = [c.label for c in table.columns]
    for n, row in enumerate(table.rows):
        style = table.styles[n] if n < len(table.styles) else ""
        heading, *rest = row
        lines.append((heading, style or BOLD))
        for label, cell in zip(labels[1:], rest):
            if not cell:
                continue
            text = f"{label}: {cell}" if label and table.header else cell
            for line in textwrap.wrap(text, columns - 2, break_long_words=False, break_on_hyphens=False) or [""]:
                lines.append(("  " + line, ""))
    if table.caption:
        lines.append((table.caption, ""))
    return lines


def _stream(table: Table, out: TextIO) -> None:
    """A stream (sweep): fixed-width lines written as the rows arrive."""
    widths = [max(len(c.label), 14) for c in table.columns]
    out.write("  ".join(c.label.rjust(w) for c, w in zip(table.columns, widths)) + "\n")
    for row in table.rows:
        out.write("  ".join(cell.rjust(w) for cell, w in zip(row, widths)) + "\n")
        out.flush()


def draw(document: Document, out: TextIO, columns: int | None = None) -> None:
    from rich.text import Text as RichText

    columns = columns or width(out)
    console = _console(out, columns)
    for block in document:
        if isinstance(block, Text):
            text = "  " + block.text if block.style == ITEM else block.text
            style = {ITEM: "", HEADING: BOLD}.get(block.style, block.style)
            console.print(RichText(text, style=style))
            continue
        options: Sequence[Table] = block.options if isinstance(block, Choice) else (block,)
        if not isinstance(options[0].rows, Sequence):
            _stream(options[0], out)
            continue
        for n, table in enumerate(options):
            keep = fit(table, columns, decor_only=n < len(options) - 1)
            if keep is not None:
                console.print(_rich_table(table, keep, columns))
                break
        else:
            for line, style in _vertical(options[-1], columns):
                console.print(RichText(line, style=style))


def render(result: Any, out: TextIO) -> None:
    draw(result.view(), out)
