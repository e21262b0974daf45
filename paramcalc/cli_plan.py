"""`paramcalc train`, `infer` and `gpus`: will it fit, how long will it take.

Registered on the app of cli.py; kept apart so each file stays readable.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from paramcalc.cli import (
    Debug,
    Format,
    FormatOption,
    JsonFlag,
    SetOption,
    TokensOption,
    command,
    emit,
    handle_errors,
    tokens_option,
)
from paramcalc.engine.inference import Dtype, MlaCache
from paramcalc.engine.training import Finetune, LoraTargets, Optimizer, Precision, Recompute

ConfigArg = Annotated[
    str,
    typer.Argument(
        help="A YAML file, a HuggingFace config.json (or its folder), a preset name, or -.", show_default=False
    ),
]


ZERO_NAMES = {"0": 0, "1": 1, "2": 2, "3": 3, "no-shard": 0, "os": 1, "shard-grad-op": 2, "full-shard": 3, "fsdp": 3}

GpuOption = Annotated[
    str | None,
    typer.Option("--gpu", help="GPU preset (see 'paramcalc gpus'). Default: h100-sxm.", show_default=False),
]
GpusOption = Annotated[int, typer.Option("--gpus", help="Number of GPUs.", min=1)]
GpuMemory = Annotated[
    str | None, typer.Option("--gpu-memory", help="Custom GPU memory: 48GB, 80GiB.", show_default=False)
]
GpuFlops = Annotated[
    str | None, typer.Option("--gpu-flops", help="Custom dense peak FLOP/s: 150e12, 150TFLOPS.", show_default=False)
]
GpuBandwidth = Annotated[
    str | None, typer.Option("--gpu-bandwidth", help="Custom memory bandwidth: 3.35TB/s, 936GB/s.", show_default=False)
]
Reserve = Annotated[
    float, typer.Option("--reserve", help="Fraction of GPU memory kept free (framework, fragmentation).")
]
Explain = Annotated[bool, typer.Option("--explain", help="Show where each figure comes from.")]


def _load(config: str, set_: list[str] | None) -> Any:
    from paramcalc.engine import analyze
    from paramcalc.loading import load

    return analyze(load(config, set_ or ()))


def _output(fmt: Format, title: str, rows: Any, data: dict[str, Any], explain: bool) -> None:
    if fmt is Format.table:
        from paramcalc.render.table import print_plan

        print_plan(title, rows, explain)
        sys.stdout.flush()
    elif fmt is Format.json:
        import json

        emit(json.dumps(data, indent=2) + "\n")
    elif fmt is Format.csv:
        import csv
        import io

        from paramcalc.render.plan import flatten

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["key", "value"])
        writer.writerows(flatten(data))
        emit(out.getvalue())
    else:
        from paramcalc.render.plan import markdown

        emit(markdown(title, rows, explain))


@command("train")
@handle_errors
def train(
    config: ConfigArg,
    gpus: GpusOption = 1,
    gpu: GpuOption = None,
    micro_batch: Annotated[int, typer.Option("--micro-batch", help="Sequences per GPU per step.", min=1)] = 1,
    seq: Annotated[
        int | None,
        typer.Option("--seq", help="Sequence length. Default: the config's context.", min=1, show_default=False),
    ] = None,
    precision: Annotated[Precision, typer.Option("--precision", help="Training precision.")] = Precision.bf16_mixed,
    optimizer: Annotated[
        Optimizer, typer.Option("--optimizer", help="Optimizer (its state per parameter).")
    ] = Optimizer.adamw,
    zero: Annotated[
        str, typer.Option("--zero", help="ZeRO stage 0-3, or FSDP's no-shard, shard-grad-op, full-shard.")
    ] = "0",
    tp: Annotated[int, typer.Option("--tp", help="Tensor-parallel degree.", min=1)] = 1,
    pp: Annotated[int, typer.Option("--pp", help="Pipeline-parallel degree.", min=1)] = 1,
    sp: Annotated[bool, typer.Option("--sp", help="Sequence parallelism (with --tp).")] = False,
    recompute: Annotated[Recompute, typer.Option("--recompute", help="Activation recomputation.")] = Recompute.none,
    flash_attention: Annotated[
        bool,
        typer.Option("--flash-attention/--no-flash-attention", help="Flash attention: no attention scores stored."),
    ] = True,
    tokens: TokensOption = None,
    mfu: Annotated[float, typer.Option("--mfu", help="Model FLOPs utilization: achieved / dense peak.")] = 0.4,
    finetune: Annotated[
        Finetune, typer.Option("--finetune", help="full, or lora (adapters only train).")
    ] = Finetune.full,
    lora_rank: Annotated[
        int | None,
        typer.Option("--lora-rank", help="LoRA rank r (with --finetune lora). Default: 16.", show_default=False),
    ] = None,
    lora_targets: Annotated[
        LoraTargets | None,
        typer.Option(
            "--lora-targets",
            help="LoRA on attention projections, or all linear layers (with --finetune lora). Default: attention.",
            show_default=False,
        ),
    ] = None,
    reserve: Reserve = 0.1,
    gpu_memory: GpuMemory = None,
    gpu_flops: GpuFlops = None,
    gpu_bandwidth: GpuBandwidth = None,
    set_: SetOption = None,
    format: FormatOption = Format.table,
    json_: JsonFlag = False,
    explain: Explain = False,
    debug: Debug = False,
) -> None:
    """Per-GPU training memory, whether it fits, the largest micro-batch, and the time.

    Memory per GPU: weights, gradients and optimizer states (ZeRO, Rajbhandari et al. 2020, with
    tensor and pipeline parallelism splitting them first), and activations (Korthikanti et al.
    2022, Table 2, for the tensor/sequence parallelism and recomputation in force; flash attention
    stores no attention scores). Time: training FLOPs (3 x forward per token, + recomputation) /
    (GPUs x dense peak x MFU). --explain names the source of every figure.
    """
    from paramcalc.engine.hardware import resolve_gpu
    from paramcalc.engine.training import TrainSettings, estimate, to_dict
    from paramcalc.render.plan import train_rows

    stage = ZERO_NAMES.get(zero.lower())
    if stage is None:
        raise typer.BadParameter(
            f"'{zero}' is not 0, 1, 2, 3, no-shard, shard-grad-op or full-shard", param_hint="--zero"
        )
    report = _load(config, set_)
    settings = TrainSettings(
        gpu=resolve_gpu(gpu, gpu_memory, gpu_flops, gpu_bandwidth),
        gpus=gpus,
        micro_batch=micro_batch,
        seq=seq,
        precision=precision,
        optimizer=optimizer,
        zero=stage,
        tp=tp,
        pp=pp,
        sp=sp,
        recompute=recompute,
        flash_attention=flash_attention,
        tokens=tokens_option(tokens),
        mfu=mfu,
        finetune=finetune,
        lora_rank=lora_rank,
        lora_targets=lora_targets,
        reserve=reserve,
    )
    result = estimate(report, settings)
    data = {"name": report.config.name, **to_dict(result)}
    _output(Format.json if json_ else format, f"train {report.config.name}", train_rows(result), data, explain)


@command("infer")
@handle_errors
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
    format: FormatOption = Format.table,
    json_: JsonFlag = False,
    explain: Explain = False,
    debug: Debug = False,
) -> None:
    """Serving memory: weights, KV cache, activations; whether it fits; limits; decode speed.

    KV cache = 2 x layers x kv_heads x head_dim x tokens x batch x bytes (K and V; MLA models
    cache their latent). Also the longest context and the largest batch that fit, and an upper
    bound on decode tokens/s from memory bandwidth: bytes read per step / bandwidth.
    """
    from paramcalc.engine.inference import InferSettings, estimate, resolve_gpu, to_dict
    from paramcalc.render.plan import infer_rows

    report = _load(config, set_)
    settings = InferSettings(
        gpu=resolve_gpu(gpu, gpu_memory, gpu_flops, gpu_bandwidth),
        gpus=gpus,
        batch=batch,
        context=context,
        dtype=dtype,
        kv_dtype=kv_dtype,
        mla_cache=mla_cache,
        reserve=reserve,
    )
    result = estimate(report, settings)
    data = {"name": report.config.name, **to_dict(result)}
    _output(Format.json if json_ else format, f"infer {report.config.name}", infer_rows(result), data, explain)


@command("gpus")
@handle_errors
def gpus(json_: JsonFlag = False, debug: Debug = False) -> None:
    """List the GPU presets: memory, dense BF16 and FP8 peak, bandwidth, and their datasheets."""
    from paramcalc.engine.hardware import presets
    from paramcalc.render._format import size

    if json_:
        import json

        emit(json.dumps([g.to_dict() for g in presets().values()], indent=2) + "\n")
        return
    lines = [f"{'gpu':10}  {'memory':>7}  {'bf16 TFLOP/s':>12}  {'fp8 TFLOP/s':>11}  {'bandwidth':>10}  source"]
    for g in presets().values():
        fp8 = f"{g.fp8_flops / 1e12:,.0f}" if g.fp8_flops else "-"
        lines.append(
            f"{g.name:10}  {size(g.memory):>7}  {(g.bf16_flops or 0) / 1e12:12,.0f}  {fp8:>11}  "
            f"{size(int(g.bandwidth or 0)) + '/s':>10}  {g.source}"
        )
    emit("\n".join(lines) + "\n")
