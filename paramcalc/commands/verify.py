from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.results.weights import VerifyResult


@command(VerifyResult)
def verify(
    weights: Annotated[
        str,
        typer.Argument(
            help="A folder of .safetensors files with its config.json (or a .safetensors file, an index, ORG/NAME).",
            show_default=False,
        ),
    ],
) -> VerifyResult:
    """Check that a checkpoint holds what its config.json says: the config's exact count against the
    parameters stored in the weights, component by component. Exit 0 when they agree; exit 1 with
    the differences (a tied head stored anyway, an extra layer, a tower the config omits) when not:
    a check for CI. Only the headers of the weights are read."""
    from paramcalc import api

    return api.verify(weights)
