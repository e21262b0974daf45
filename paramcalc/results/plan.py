"""The results of `train` and `infer`: one row per figure, with where the figure comes from.

JSON and CSV come from the engine's ``to_dict()`` (the README's contract); the terminal and
Markdown draw :meth:`view`, and ``--explain`` adds the source of every figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paramcalc.render._format import TOKEN_SOURCES, count, sci, short_count, size
from paramcalc.view import LEFT, STRONG, Column, Document, Table

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


def _engine_basis(name: str) -> str:
    from paramcalc.engine import engines

    profile = engines.lookup(name)
    return f"{profile.basis} ({profile.source})"


_TERMS = {
    "activations": "prefill of the whole context with flash attention: batch x context x (d_model + widest) x 2",
    "logits": "fp32 logits of the last position: batch x vocab x 4",
}
_PLACES = {"budget": "", "headroom": ", outside the budget", "host": ", in CPU RAM"}


def _weights_row(e: InferEstimate, per_gpu: str) -> Row:
    s = e.settings
    if s.stored_bytes is not None or e.stored is None:
        return (
            "weights" + per_gpu,
            f"{size(e.weights)} as stored",
            "the checkpoint's data bytes, quantization included",
        )
    bits = f" ({e.stored.bits_per_weight:.3g} bits per weight)" if s.dtype not in ("bf16", "fp16") else ""
    return ("weights" + per_gpu, f"{size(e.weights)} at {s.dtype}{bits}", e.stored.basis)


def infer_rows(e: InferEstimate) -> list[Row]:
    s = e.settings
    beyond = " (beyond the model's trained context)" if e.model_context and e.max_context > e.model_context else ""
    per_gpu = " per GPU" if s.gpus > 1 else ""
    shown_max = ""
    if e.model_context and e.model_context != e.context:
        shown_max = f" (the model's maximum: {e.model_context:,})"
    rows: list[Row] = [
        ("GPUs", f"{s.gpus} x {s.gpu.label}" + (" (tensor parallel)" if s.gpus > 1 else ""), s.gpu.source),
        ("engine", s.engine, _engine_basis(s.engine)),
        (
            "batch x context",
            f"{s.batch} x {e.context:,}{shown_max}",
            "" if s.context else "the model's context, at most 8,192 tokens (--context sets it)",
        ),
        _weights_row(e, per_gpu),
    ]
    if e.stored is not None and len(e.stored.by_type) > 1:
        rows += [(f"  in {kind}", size(nbytes), "") for kind, nbytes in e.stored.by_type.items()]
    rows.append(
        ("KV cache" + per_gpu, f"{size(e.kv_cache)} at {e.kv_dtype}", "the sum of the layer kinds below, x batch")
    )
    for kind in e.kinds:
        held = kind.bytes(e.context) * s.batch
        kept = "" if kind.tokens_kept is None else f", {min(e.context, kind.tokens_kept):,} tokens kept"
        rows.append((f"  {kind.kind.replace('_', ' ')} ({kind.layers} layers)", size(held) + kept, kind.basis))
    rows.append(("KV cache per token", f"{e.kv_cache_bytes_per_token:,} bytes", "the layers that keep every token"))
    rows.append(("runtime buffers", size(e.activations), "the engine's buffers inside its budget"))
    for name, nbytes, where in e.buffers:
        rows.append((f"  {name.replace('_', ' ')}", size(nbytes) + _PLACES[where], _TERMS.get(name, "")))
    if e.layers_on_gpu is not None:
        layers = max((k.layers for k in e.kinds), default=0)
        rows.append(
            (
                "layers on the GPU (-ngl)",
                f"{e.layers_on_gpu} of {layers + 1}",
                "llama.cpp: the last layers first, the output layer counted as one; the token embedding in CPU RAM",
            )
        )
        rows.append(("in CPU RAM", size(e.cpu_bytes), "what is not offloaded, with its share of the cache"))
    budget = f"{size(s.gpu.memory)} less a {s.reserve:.0%} reserve" if s.engine == "plain" else "the engine's budget"
    whole = ", every layer on the GPU" if e.layers_on_gpu is not None else ""
    rows += [
        ("total" + per_gpu, size(e.total), ""),
        ("usable" + per_gpu, size(e.usable), budget),
        ("fits", _yes(e.fits, e.total - e.cpu_bytes, e.usable), ""),
        ("longest context that fits", f"{e.max_context:,} tokens{beyond}", f"at batch {s.batch}{whole}"),
        (
            "largest batch that fits",
            f"{e.max_batch:,}",
            f"at context {e.context:,}{whole}" + (" (vLLM's 'Maximum concurrency')" if s.engine == "vllm" else ""),
        ),
    ]
    if not e.fits:
        rows.append(("speed", "none: the plan does not fit", ""))
        return rows
    if e.prefill_seconds is not None:
        rows.append(
            (
                "prefill (time to first token)",
                f"{e.prefill_seconds:,.3g} s",
                "batch x context x (2 x active matmul weights + causal attention products) at 50% of peak FLOP/s",
            )
        )
    if e.decode_tokens_per_s_bound is None or s.gpu.bandwidth is None:
        rows.append(("decode speed", "unknown (needs --gpu-bandwidth)", "the custom GPU's bandwidth is not known"))
    elif e.decode_tokens_per_s is None:
        rows.append(("decode speed", "not estimated", "layers in CPU RAM: bound by the system memory's bandwidth"))
    else:
        rows.append(
            (
                "decode speed",
                f"{e.decode_tokens_per_s:,.1f} tokens/s",
                "the bound below at 80% of the memory bandwidth",
            )
        )
        rows.append(
            (
                "decode speed bound",
                f"{e.decode_tokens_per_s_bound:,.1f} tokens/s",
                f"batch x {size(int(s.gpu.bandwidth))}/s / (weight bytes read + KV cache) per step, per GPU",
            )
        )
    return rows


PLAN_COLUMNS = (Column("", LEFT, wrap=True), Column("value", wrap=True), Column("source", LEFT, wrap=True))
HIGHLIGHT = ("fits", "total", "total per GPU", "time")


def plan_view(title: str, rows: list[Row], explain: bool) -> Document:
    columns = PLAN_COLUMNS if explain else PLAN_COLUMNS[:2]
    cells = [list(row) if explain else [row[0], row[1]] for row in rows]
    styles = tuple(STRONG if row[0] in HIGHLIGHT else "" for row in rows)
    return [Table(columns, cells, title=title, styles=styles, header=False)]


class PlanResult:
    """A plan (train or infer): the engine's estimate, named, and whether --explain asked for the
    source of every figure. The subclasses say which engine module and rows they draw."""

    command = ""

    def __init__(self, name: str, estimate: Any, explain: bool = False) -> None:
        self.name = name
        self.estimate = estimate
        self.explain = explain

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, fits={self.estimate.fits})"

    @property
    def warnings(self) -> list[str]:
        """What stderr says before the figures (a context beyond the model's, ...)."""
        return list(self.estimate.warnings)

    def to_dict(self) -> dict[str, Any]:
        import importlib

        engine = importlib.import_module(f"paramcalc.engine.{self.module}")
        return {"name": self.name, **engine.to_dict(self.estimate)}

    module = ""

    def rows(self) -> list[Row]:
        raise NotImplementedError

    def view(self) -> Document:
        return plan_view(f"{self.command} {self.name}", self.rows(), self.explain)


class TrainResult(PlanResult):
    """Per-GPU training memory, whether it fits, the largest micro-batch, and the time."""

    command, module = "train", "training"
    estimate: TrainEstimate

    def rows(self) -> list[Row]:
        return train_rows(self.estimate)


class InferResult(PlanResult):
    """Serving memory, whether it fits, the longest context and largest batch, decode speed."""

    command, module = "infer", "inference"
    estimate: InferEstimate

    def rows(self) -> list[Row]:
        return infer_rows(self.estimate)
