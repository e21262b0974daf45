from __future__ import annotations

from typing import Annotated

import typer

from paramcalc.cli import command
from paramcalc.commands._options import (
    ConfigArg,
    ExplainOption,
    GpuBandwidth,
    GpuFlops,
    GpuMemory,
    GpuOption,
    GpusOption,
    Reserve,
    SetOption,
)
from paramcalc.engine.inference import Dtype, MlaCache
from paramcalc.results.plan import InferResult


@command(InferResult, view_options=("explain",))
def infer(
    config: ConfigArg,
    batch: Annotated[int, typer.Option("--batch", help="Sequences served at once.", min=1)] = 1,
    context: Annotated[
        int | None,
        typer.Option(
            "--context", help="Tokens per sequence. Default: the config's context.", min=1, show_default=False
        ),
    ] = None,
    dtype: Annotated[Dtype, typer.Option("--dtype", help="Weight precision.")] = Dtype.bf16,
    kv_dtype: Annotated[
        Dtype | None,
        typer.Option(
            "--kv-dtype",
            help="KV cache precision. Default: --dtype (bf16 when the weights are int8/int4).",
            show_default=False,
        ),
    ] = None,
    mla_cache: Annotated[
        MlaCache,
        typer.Option("--mla-cache", help="MLA models: cache the compressed latent, or the full keys and values."),
    ] = MlaCache.latent,
    gpu: GpuOption = None,
    gpus: GpusOption = 1,
    reserve: Reserve = 0.1,
    gpu_memory: GpuMemory = None,
    gpu_flops: GpuFlops = None,
    gpu_bandwidth: GpuBandwidth = None,
    set_: SetOption = None,
    explain: ExplainOption = False,
) -> InferResult:
    """Serving memory: weights, KV cache, activations; whether it fits; limits; decode speed.

    KV cache = 2 x layers x kv_heads x head_dim x tokens x batch x bytes (K and V; MLA models
    cache their latent). Also the longest context and the largest batch that fit, and an upper
    bound on decode tokens/s from memory bandwidth: bytes read per step / bandwidth.
    """
    from paramcalc import api

    return api.infer(
        config,
        batch=batch,
        context=context,
        dtype=dtype,
        kv_dtype=kv_dtype,
        mla_cache=mla_cache,
        gpu=gpu,
        gpus=gpus,
        reserve=reserve,
        gpu_memory=gpu_memory,
        gpu_flops=gpu_flops,
        gpu_bandwidth=gpu_bandwidth,
        set=set_ or (),
        explain=explain,
    )
