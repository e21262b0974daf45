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
from paramcalc.engine.inference import Attention, Dtype, Engine, KvDtype, MlaCache
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
    dtype: Annotated[
        Dtype,
        typer.Option(
            "--dtype",
            help="Weight format as stored: the idealised bf16, fp16, fp8, int8, int4 (bits x params, no scales); "
            "GGUF types and llama.cpp mixes (q8_0, q6_k, q5_k_m, q4_k_m, q4_0, q3_k_m, q2_k, iq4_xs, ...) with "
            "llama-quantize's per-tensor rules; gptq-4bit, awq-4bit (scales and zeros per --group-size); nf4 "
            "(double quantization), bnb-int8; fp8-block; mxfp4 (the experts).",
            case_sensitive=False,
        ),
    ] = Dtype.bf16,  # type: ignore[attr-defined]
    group_size: Annotated[
        int | None,
        typer.Option(
            "--group-size",
            help="GPTQ / AWQ: inputs per scale and zero (default 128; -1: one per row).",
            show_default=False,
        ),
    ] = None,
    kv_dtype: Annotated[
        KvDtype | None,
        typer.Option(
            "--kv-dtype",
            help="KV cache type: bf16, fp16, fp8, f32, or llama.cpp's q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl (q8_0: "
            "34 and q4_0: 18 bytes per block of 32). Default: --dtype where it is bf16, fp16 or fp8, else bf16.",
            show_default=False,
        ),
    ] = None,
    mla_cache: Annotated[
        MlaCache,
        typer.Option("--mla-cache", help="MLA models: cache the compressed latent, or the full keys and values."),
    ] = MlaCache.latent,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="Runtime: plain (paramcalc's stated model), vllm (0.9 of memory, 16-token KV blocks, the profile "
            "peak at max_num_batched_tokens), sglang (mem_fraction_static), llama.cpp (-ngl layer offload, compute "
            "and output buffers), transformers (no preallocation).",
        ),
    ] = Engine.plain,  # type: ignore[attr-defined]
    n_gpu_layers: Annotated[
        int | None,
        typer.Option(
            "--ngl", help="llama.cpp: layers on the GPU (-ngl). Default: as many as fit.", min=0, show_default=False
        ),
    ] = None,
    n_cpu_moe: Annotated[
        int, typer.Option("--n-cpu-moe", help="llama.cpp: keep the experts of the first N layers in CPU RAM.", min=0)
    ] = 0,
    cpu_memory: Annotated[
        str | None,
        typer.Option(
            "--cpu-memory", help="CPU RAM for what llama.cpp leaves off the GPU, with a unit: 64GB.", show_default=False
        ),
    ] = None,
    attention: Annotated[
        Attention,
        typer.Option(
            "--attention",
            help="llama.cpp: flash (-fa on) or eager (-fa off: the KQ scores take a compute buffer); "
            "transformers: flash (sdpa) or eager (the heads x context^2 scores of prefill held). "
            "auto: the engine's default.",
        ),
    ] = Attention.auto,
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
        group_size=group_size,
        engine=engine,
        n_gpu_layers=n_gpu_layers,
        n_cpu_moe=n_cpu_moe,
        cpu_memory=cpu_memory,
        attention=attention,
    )
