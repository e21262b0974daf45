from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.commands._options import CausalOption, HeadOption, SeqLenOption, SetOption, TokensOption
from paramcalc.results.count import CompareResult


@command(CompareResult)
def compare(
    configs: Annotated[
        list[str],
        typer.Argument(
            help="Two or more configs: files, presets, - (stdin, once), each optionally with "
            "overrides after colons: llama-2-70b:kv_heads=8.",
            show_default=False,
        ),
    ],
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            "-b",
            help="The column others are compared to: a config as typed, its "
            "name, or its position (1 = the first). Default: the first.",
            show_default=False,
        ),
    ] = None,
    set_: SetOption = None,
    tokens: TokensOption = None,
    seq_len: SeqLenOption = None,
    causal: CausalOption = False,
    head: HeadOption = False,
) -> CompareResult:
    """Compare configs side by side: components, totals, memory and FLOPs, with deltas and ratios.

    Above the table, "what differs" lists the config fields whose values differ. With two
    configs the table has a delta (second - first) and a ratio (second / first) column; with
    more, each value carries its ratio to the baseline. --set applies to every config; to
    change one, put the overrides after its name: 'paramcalc compare llama-2-70b
    llama-2-70b:kv_heads=64'. JSON is an array, element i exactly what 'count --json' prints
    for config i.
    """
    from paramcalc import api

    return api.compare(
        configs, baseline=baseline, set=set_ or (), tokens=tokens, head=head, seq_len=seq_len, causal=causal
    )
