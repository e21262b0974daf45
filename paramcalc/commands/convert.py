from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.commands._options import HeadOption, SetOption
from paramcalc.results.lists import ConvertResult


@command(ConvertResult, default="yaml")
def convert(
    config: Annotated[
        str,
        typer.Argument(
            help="A HuggingFace config.json (or its folder); also any config count accepts.", show_default=False
        ),
    ],
    set_: SetOption = None,
    head: HeadOption = False,
) -> ConvertResult:
    """Print the paramcalc config equivalent to a HuggingFace config.json.

    Every field the count needs is written out, so 'paramcalc count' gives the same total from
    the YAML as from the config.json. Also flattens a YAML config's extends: chain and overrides.
    """
    from paramcalc import api

    return api.convert(config, set=set_ or (), head=head)
