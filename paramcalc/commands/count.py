from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.commands._options import CausalOption, ConfigArg, HeadOption, SeqLenOption, SetOption, TokensOption
from paramcalc.results.count import CountResult


@command(CountResult, view_options=("detail", "explain"))
def count(
    config: ConfigArg,
    detail: Annotated[bool, typer.Option("--detail", help="Add sub-components: q, k, v, o; up, gate, down.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each component's formula with the config's numbers.")
    ] = False,
    tokens: TokensOption = None,
    seq_len: SeqLenOption = None,
    causal: CausalOption = False,
    set_: SetOption = None,
    head: HeadOption = False,
) -> object:  # CountResult, or CheckpointResult for weights without a config
    """Count the parameters of one architecture, component by component.

    Prints parameters (weights and biases) per component, totals (non-embedding after Kaplan et
    al. 2020; active per token for mixtures of experts), weight memory at fp32, fp16, bf16, int8
    and int4 (GB = 10^9 bytes), and training FLOPs: forward = 2 x matmul weights per token +
    2 x 2 x attention layers x seq_len x heads x head_dim (a sliding-window layer at its window;
    a recurrent block's state update instead); training = 3 x forward; also 6ND. A composite
    model (towers, projector, language model) shows a subtotal and FLOPs per part; a
    layer-by-layer net (architecture: sequential) each layer's output shape and FLOPs per example.

    A variant without writing a file: 'paramcalc count llama-2-70b:kv_heads=64' or
    'paramcalc count llama-2-70b --set kv_heads=64'.
    """
    from paramcalc import api

    return api.count(
        config, set=set_ or (), head=head, tokens=tokens, detail=detail, explain=explain, seq_len=seq_len, causal=causal
    )
