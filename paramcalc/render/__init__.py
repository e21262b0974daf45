"""One door for every output: ``render(result, fmt)``.

Each format is one module in this package (table, json, csv, markdown, yaml, jsonl, ...), found by
listing the package: adding a format is adding a file. A format module says

- ``NAME``: the name typed after --format;
- ``NEEDS``: the method a result must have for this format (``view`` for the human tables,
  ``to_dict`` for JSON and CSV, ``config_doc`` for YAML, ``records`` for JSON Lines);
- ``HONOURS``: the view options (``detail``, ``explain``) it can show; asking a format for one it
  cannot show is a usage error, never silently ignored;
- ``render(result, out)``: write the result to the stream `out`.

Format modules import their heavy libraries (rich, yaml) inside ``render``, so listing them is cheap.
"""

from __future__ import annotations

import importlib
import os
import sys
from functools import cache
from types import ModuleType
from typing import Any, TextIO

from paramcalc.errors import UsageError

# The order formats are listed in --help; any format not named here follows, alphabetically.
_FIRST = ("table", "json", "csv", "markdown")


@cache
def formats() -> tuple[str, ...]:
    folder = os.path.dirname(__file__)
    names = sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_"))
    return tuple(sorted(names, key=lambda n: (_FIRST.index(n) if n in _FIRST else len(_FIRST), n)))


def module(fmt: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{fmt}")


def available(result_type: type) -> tuple[str, ...]:
    """The formats a kind of result can be written in."""
    return tuple(f for f in formats() if hasattr(result_type, module(f).NEEDS))


def check(result_type: type, fmt: str, options: tuple[str, ...] = ()) -> None:
    """Refuse a format the result has no form for, and view options the format cannot show."""
    offered = available(result_type)
    if fmt not in offered:
        raise UsageError(f"--format {fmt}: this command writes {', '.join(offered)}")
    unshown = [o for o in options if o not in module(fmt).HONOURS]
    if unshown:
        shown = [f for f in offered if all(o in module(f).HONOURS for o in unshown)]
        flags = " and ".join(f"--{o}" for o in unshown)
        raise UsageError(f"{flags} has no {fmt} form; use --format {' or '.join(shown) or 'table'}")


def render(result: Any, fmt: str, out: TextIO | None = None) -> None:
    """Write `result` in format `fmt` to `out` (stdout by default), and flush."""
    stream = out or sys.stdout
    module(fmt).render(result, stream)
    stream.flush()
