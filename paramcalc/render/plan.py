"""Rows of the train and infer reports, as (label, value, where the figure comes from).

Shared by the table and Markdown renderers; JSON and CSV use the engine's to_dict().
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paramcalc.render._format import TOKEN_SOURCES, count, sci, short_count, size

if TYPE_CHECKING:
    from paramcalc.engine.inference import InferEstimate
    from paramcalc.engine.training import TrainEstimate

Row = tuple[str, str, str]
ZERO = "ZeRO (Rajbhandari et al. 2020, Figure 1): stage 1 shards optimizer states, 2 gradients, 3 weights"
KORTHIKANTI = "Korthikanti et al. 2022, Table 2"


def _yes(flag: bool, total: int, usable: int) -> str:
    if flag:
        return f"yes ({size(usable - total)} to spare)"
    return f"no ({size(total - usable)} short)"


def train_rows(e: TrainEstimate) -> list[Row]:
    s = e.settings
    tp_pp = f" = {e.data_parallel} data x {s.tp} tensor x {s.pp} pipeline" if s.tp * s.pp > 1 else ""
    recompute = {"none": "none", "selective": "selective (attention)", "full": "full"}[s.recompute]
    lora = f", LoRA rank {e.lora_rank} on {e.lora_targets} projections" if s.finetune == "lora" else ""
    rows: list[Row] = [
        ("GPUs", f"{s.gpus} x {s.gpu.label}{tp_pp}", s.gpu.source),
        ("precision, optimizer", f"{s.precision}, {s.optimizer}, ZeRO {s.zero}{lora}", ZERO),
        ("micro-batch x sequence", f"{s.micro_batch} x {e.seq:,}", ""),
        ("recomputation, flash attention", f"{recompute}, {'on' if s.flash_attention else 'off'}", KORTHIKANTI),
        *_pipeline_row(e),
        (
            "parameters (trainable)",
            f"{count(e.params)} ({count(e.trainable)})",
            "LoRA (Hu et al. 2021): r x (d_in + d_out) per adapted matrix" if s.finetune == "lora" else "",
        ),
        ("weights per GPU", size(e.weights), "params x weight bytes / (tp x pp), / data-parallel with ZeRO 3"),
        ("gradients per GPU", size(e.gradients), "trainable x gradient bytes, / data-parallel with ZeRO 2+"),
        (
            "optimizer states per GPU",
            size(e.optimizer),
            "trainable x (fp32 master 4 + AdamW 8 | 8-bit AdamW 2 | momentum 4 | Adafactor factored), "
            "/ data-parallel with ZeRO 1+",
        ),
        (
            "activations per GPU",
            size(e.activations),
            f"{KORTHIKANTI}: per layer x layers (1F1B) x micro-batch, + output layer 4sbh/t(1 + v/h)",
        ),
        ("total per GPU", size(e.total), ""),
        ("usable per GPU", size(e.usable), f"{size(s.gpu.memory)} less a {s.reserve:.0%} reserve"),
        ("fits", _yes(e.fits, e.total, e.usable), ""),
        ("largest micro-batch that fits", str(e.max_micro_batch), "(usable - model states) / activations per sequence"),
        ("training tokens", f"{short_count(e.tokens)} ({TOKEN_SOURCES[e.tokens_source]})", ""),
        (
            "training FLOPs",
            sci(e.training_flops),
            "tokens x (3 x forward | 2 x forward for LoRA) + recomputation (Narayanan et al. 2021: 8TP with full)",
        ),
    ]
    if e.days is None or e.gpu_hours is None or e.peak_flops is None:
        rows.append(("time", "unknown (needs --gpu-flops)", "the custom GPU's FLOP/s are not known"))
        return rows
    rows += [
        (
            "time",
            f"{e.days:,.1f} days on {s.gpus} GPU{'s' if s.gpus > 1 else ''}",
            f"FLOPs / (GPUs x {sci(e.peak_flops)} FLOP/s dense peak x MFU {s.mfu:g})",
        ),
        ("GPU-hours", f"{e.gpu_hours:,.0f}", "days x 24 x GPUs"),
    ]
    return rows


def _pipeline_row(e: TrainEstimate) -> list[Row]:
    """'16 stages: 13 of 4 layers, 3 of 3' where the stages do not split the layers evenly."""
    stages = e.layers_per_stage
    if len(set(stages)) < 2:
        return []
    fuller = stages.count(stages[0])
    split = f"{len(stages)} stages: {fuller} of {stages[0]} layers, {len(stages) - fuller} of {stages[-1]}"
    return [
        (
            "pipeline stages",
            split,
            "as even as possible; the first (fullest) stage sets the memory: its share of the model states, "
            "and p micro-batches of its layers (1F1B)",
        )
    ]


def infer_rows(e: InferEstimate) -> list[Row]:
    s = e.settings
    beyond = " (beyond the model's trained context)" if e.max_context > e.context and s.context is None else ""
    return [
        ("GPUs", f"{s.gpus} x {s.gpu.label}", s.gpu.source),
        ("batch x context", f"{s.batch} x {e.context:,}", ""),
        ("weights", f"{size(e.weights)} at {s.dtype}", "params x bits / 8; quantization scales not counted"),
        (
            "KV cache",
            f"{size(e.kv_cache)} at {e.kv_dtype}",
            "2 x layers x kv_heads x head_dim x tokens x batch x bytes "
            "(MLA: the latent, layers x (kv_lora_rank + rope_head_dim))",
        ),
        ("KV cache per token", f"{e.kv_cache_bytes_per_token:,} bytes", ""),
        (
            "activations (working set)",
            size(e.activations),
            "prefill of the whole context with flash attention: "
            "batch x context x (d_model + widest inner) x 2, + fp32 logits",
        ),
        ("total", size(e.total), ""),
        ("usable", size(e.usable), f"GPUs x {size(s.gpu.memory)} less a {s.reserve:.0%} reserve"),
        ("fits", _yes(e.fits, e.total, e.usable), ""),
        ("longest context that fits", f"{e.max_context:,} tokens{beyond}", f"at batch {s.batch}"),
        ("largest batch that fits", f"{e.max_batch:,}", f"at context {e.context:,}"),
        (
            ("decode speed bound", "unknown (needs --gpu-bandwidth)", "the custom GPU's bandwidth is not known")
            if e.decode_tokens_per_s_bound is None or s.gpu.bandwidth is None
            else (
                "decode speed bound",
                f"{e.decode_tokens_per_s_bound:,.1f} tokens/s",
                f"batch x GPUs x {size(int(s.gpu.bandwidth))}/s / (weight bytes read + KV cache) per step",
            )
        ),
    ]


def markdown(title: str, rows: list[Row], explain: bool) -> str:
    header = "| | value | source |" if explain else "| | value |"
    rule = "|---|---|---|" if explain else "|---|---|"
    lines = [f"### {title}", "", header, rule]
    for label, value, note in rows:
        lines.append(f"| {label} | {value} | {note} |" if explain else f"| {label} | {value} |")
    return "\n".join(lines) + "\n"


def flatten(data: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """{"a": {"b": 1}} -> [("a.b", 1)], for CSV."""
    out: list[tuple[str, object]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += flatten(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", "" if value is None else value))
    return out
