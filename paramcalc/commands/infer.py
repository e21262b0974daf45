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
from paramcalc.engine.inference import Dtype, KvDtype, MlaCache
from paramcalc.results.plan import InferResult


@command(InferResult, view_options=("explain",))
def infer(
    config: ConfigArg,
    batch: Annotated[int, typer.Option("--batch", help="Sequences served at once.", min=1)] = 1,
    context: Annotated[
        int | None,
        typer.Option(
            "--context",
            help="Tokens per sequence. Default: the config's context, at most 8,192 (a working length; the "
            "model's maximum is shown beside it).",
            min=1,
            show_default=False,
        ),
    ] = None,
    dtype: Annotated[Dtype, typer.Option("--dtype", help="Weight precision.")] = Dtype.bf16,
    kv_dtype: Annotated[
        KvDtype | None,
        typer.Option(
            "--kv-dtype",
            help="KV cache type: bf16, fp16, fp8, or llama.cpp's q8_0 and q4_0 (34 and 18 bytes per block of 32). "
            "Default: --dtype (bf16 when the weights are int8/int4).",
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
    """Serving memory: weights, KV cache, activations; whether it fits; limits; speed.

    KV cache layer kind by layer kind: full attention 2 x kv_heads x head_dim per layer and token;
    a sliding-window layer only its window; MLA its latent; a Mamba or DeltaNet block a fixed fp32
    state; an encoder-decoder also its cross-attention over the encoder's length. With --gpus N
    (tensor parallelism) every figure is per GPU. Also the longest context and the largest batch
    that fit, prefill time at 50% of the peak FLOP/s, and decode tokens/s at 80% of the memory
    bandwidth (and its upper bound at 100%); no speed for a plan that does not fit.
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
