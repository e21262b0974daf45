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
    TokensOption,
)
from paramcalc.engine.training import Finetune, LoraTargets, Optimizer, Precision, Recompute
from paramcalc.results.plan import TrainResult


@command(TrainResult, view_options=("explain",))
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
    explain: ExplainOption = False,
) -> TrainResult:
    """Per-GPU training memory, whether it fits, the largest micro-batch, and the time.

    Memory per GPU: weights, gradients and optimizer states (ZeRO, Rajbhandari et al. 2020, with
    tensor and pipeline parallelism splitting them first), and activations (Korthikanti et al.
    2022, Table 2, for the tensor/sequence parallelism and recomputation in force; flash attention
    stores no attention scores). Time: training FLOPs (3 x forward per token, + recomputation) /
    (GPUs x dense peak x MFU). --explain names the source of every figure.
    """
    from paramcalc import api

    return api.train(
        config,
        gpus=gpus,
        gpu=gpu,
        micro_batch=micro_batch,
        seq=seq,
        precision=precision,
        optimizer=optimizer,
        zero=zero,
        tp=tp,
        pp=pp,
        sp=sp,
        recompute=recompute,
        flash_attention=flash_attention,
        tokens=tokens,
        mfu=mfu,
        finetune=finetune,
        lora_rank=lora_rank,
        lora_targets=lora_targets,
        reserve=reserve,
        gpu_memory=gpu_memory,
        gpu_flops=gpu_flops,
        gpu_bandwidth=gpu_bandwidth,
        set=set_ or (),
        explain=explain,
    )
