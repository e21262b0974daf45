from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.results.design import SweepResult


@command(SweepResult)
def sweep(
    base: Annotated[
        str, typer.Argument(help="The config every row starts from (file, preset, config.json).", show_default=False)
    ],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary", help="KEY=V1,V2,... or KEY=START..STOP[:STEP] (inclusive); repeat for a grid.", show_default=False
        ),
    ],
    where: Annotated[
        str | None,
        typer.Option("--where", help="Keep rows where, e.g. 'params < 3e9 and layers >= 24'.", show_default=False),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first invalid combination (exit 1).")] = False,
    tokens: Annotated[
        str | None, typer.Option("--tokens", help="Training tokens for six_nd.", show_default=False)
    ] = None,
) -> SweepResult:
    """Count every combination of the varied fields, one row each, streamed as computed.

    Rows: the varied fields, then params, non_embedding, active, fp16_bytes, int4_bytes,
    forward_flops_per_token and six_nd. Invalid combinations (heads not dividing d_model, ...)
    are skipped and counted on stderr; --strict makes them errors. For a spreadsheet or a
    program, --format csv or jsonl.
    """
    from paramcalc import api

    return api.sweep(base, vary, where=where, strict=strict, tokens=tokens)
