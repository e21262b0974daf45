"""What a result shows a person, before any format draws it: a neutral document.

Every result (count, compare, train, ...) describes itself once as a list of blocks: tables of
already formatted cells and lines of text. The terminal table (render/table.py) and Markdown
(render/markdown.py) draw the same document, so a figure is formatted in one place. Machines read
``to_dict()`` instead (JSON, CSV); nothing here is parsed back.

A column says how it behaves when the terminal is narrow: ``drop`` orders the columns that may be
left out (highest first; 0 = never), ``wrap`` marks text that may fold onto several lines (names,
sources). Numbers never wrap and are never cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

LEFT = "left"
RIGHT = "right"

BOLD = "bold"  # a row that sums the others (count's total): bold everywhere
DIM = "dim"
STRONG = "strong"  # a row to catch the eye on a terminal (train's "fits"); plain in Markdown
HEADING = "heading"  # the title of a whole document: bold on a terminal, a heading in Markdown
ITEM = "item"  # a line of a list: indented on a terminal, a bullet in Markdown


class Column(NamedTuple):
    label: str
    align: str = RIGHT
    drop: int = 0  # 0: always shown; when too narrow, the highest `drop` goes first
    wrap: bool = False  # may fold onto several lines (text); numbers never do
    decor: bool = False  # a visual aid (a share bar) that only the terminal draws


class Table(NamedTuple):
    """Rows of formatted cells. ``styles`` holds one style per row ("" | BOLD | DIM);
    ``sections`` the indices of rows that start a new section (a rule is drawn above them).
    A table whose ``rows`` is an iterator is a stream: drawn line by line as rows arrive."""

    columns: tuple[Column, ...]
    rows: Sequence[Sequence[str]] | Iterable[Sequence[str]]
    title: str = ""
    caption: str = ""
    styles: tuple[str, ...] = ()
    sections: frozenset[int] = frozenset()
    header: bool = True
    boxed: bool = True


class Text(NamedTuple):
    text: str
    style: str = ""


class Choice(NamedTuple):
    """Alternative tables for one thing, best first: the first that fits the width with all its
    columns but the decorations is drawn; else the last one, dropping what it must, or, if even
    that does not fit, vertically."""

    options: tuple[Table, ...]


Block = Table | Text | Choice
Document = list[Block]


def pairs(rows: Iterable[tuple[str, str]], labels: tuple[str, str] = ("", "value"), title: str = "") -> Table:
    """A label/value table drawn without a header on a terminal (the summary under a count);
    Markdown, which needs a header, uses `labels`."""
    columns = (Column(labels[0], LEFT, wrap=True), Column(labels[1], wrap=True))
    return Table(columns, [list(r) for r in rows], title=title, header=False, boxed=False)
