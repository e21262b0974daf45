from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.results.design import SolveResult


@command(SolveResult)
def solve(
    params: Annotated[
        str | None, typer.Option("--params", help="Target total parameters: 7e9, 7B.", show_default=False)
    ] = None,
    active: Annotated[
        str | None, typer.Option("--active", help="Target active parameters per token (MoE).", show_default=False)
    ] = None,
    flops: Annotated[
        str | None, typer.Option("--flops", help="Training compute budget, FLOPs: 1e23.", show_default=False)
    ] = None,
    law: Annotated[
        str,
        typer.Option(
            "--law",
            help="chinchilla: 20 tokens per parameter; chinchilla-3: "
            "Hoffmann et al.'s fitted L(N, D), which also predicts the loss.",
        ),
    ] = "chinchilla",
    base: Annotated[
        str | None,
        typer.Option(
            "--base", help="A preset, file or config.json whose shape the solution keeps.", show_default=False
        ),
    ] = None,
    layers: Annotated[
        int | None, typer.Option("--layers", help="Pin the depth; solve the width only.", show_default=False)
    ] = None,
    multiple_of: Annotated[int, typer.Option("--multiple-of", help="d_model and d_ff are multiples of this.")] = 64,
    tp_multiple: Annotated[
        int | None,
        typer.Option(
            "--tp-multiple",
            help="heads and kv_heads are multiples of this, for tensor parallelism "
            "[default: 8 where the base has at least 8 heads, else 1]",
            show_default=False,
        ),
    ] = None,
    pp_multiple: Annotated[
        int, typer.Option("--pp-multiple", help="layers are a multiple of this, for pipeline stages.")
    ] = 1,
    aspect: Annotated[str, typer.Option("--aspect", help="Allowed d_model / layers, MIN..MAX.")] = "48..160",
    top: Annotated[int, typer.Option("--top", help="How many candidates to show (1 to 100).")] = 5,
) -> SolveResult:
    """Find a model for a budget: a parameter target, or a training compute budget.

    --flops C gives the compute-optimal parameters N and tokens D with C = 6ND: by Chinchilla's
    20 tokens per parameter (N = sqrt(C / 120)), or with --law chinchilla-3 by the fitted
    L(N, D) = 1.69 + 406.4 / N^0.34 + 410.7 / D^0.28 (Hoffmann et al. 2022, Approach 3), which
    also predicts the loss. With --base, the shapes of that model (its activation, norms,
    vocabulary, tying, d_ff / d_model and head_dim) whose exact count comes closest, best first.
    --format yaml writes the best candidate as a config that extends the base.
    """
    from paramcalc import api

    return api.solve(
        params=params,
        active=active,
        flops=flops,
        law=law,
        base=base,
        layers=layers,
        multiple_of=multiple_of,
        tp_multiple=tp_multiple,
        pp_multiple=pp_multiple,
        aspect=aspect,
        top=top,
    )
