"""Will it fit, and how long will it take: per-GPU training memory and time.

Sources, stated next to each formula:
- Model states: Rajbhandari et al. 2020 (ZeRO), Section 3 and Figure 1. Mixed-precision Adam
  holds 2 bytes of 16-bit weights and 2 of gradients per parameter, and K = 12 bytes of
  optimizer state (fp32 master weights, momentum and variance). ZeRO stage 1 shards the
  optimizer states over the data-parallel GPUs, stage 2 also the gradients, stage 3 also the
  weights. Tensor and pipeline parallelism split all three over tp x pp GPUs first (evenly: the
  embedding's placement on the first and last stage is ignored).
- Activations: Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer
  Models"), Section 4 and Table 2, per layer in bytes: sbh(34 + 5as/h) with no parallelism,
  sbh(10 + 24/t + 5as/(ht)) with tensor parallelism t, sbh(34/t + 5as/(ht)) with sequence
  parallelism, the 5as/h term dropped by selective recomputation (or flash attention, which
  never stores the attention scores), 2sbh with full recomputation. The 34 and 24 are written
  out term by term so that other shapes (GQA, gated and mixture-of-experts MLPs) are counted
  with the same rules; for a GPT block they reduce to the paper's coefficients exactly. The
  output layer adds 4sbh/t (1 + v/h) (Section 4.3). With 1F1B pipelining the first stage holds
  p micro-batches of its L/p layers: L layers' worth (Section 4.2.3).
- Time: FLOPs executed / (GPUs x dense peak x MFU), where FLOPs executed = tokens x (3 x forward
  per token, + 1 forward with full recomputation, + the attention products with selective
  recomputation) (Narayanan et al. 2021: 8TP/(nX) with full recomputation, 6TP/(nX) without).
  LoRA fine-tuning: the backward pass computes activation gradients only, so 2 x forward.
"""

from __future__ import annotations

from typing import NamedTuple

from paramcalc.config import Config
from paramcalc.engine.flops import attention_products_per_token, tied_head, training_tokens
from paramcalc.engine.hardware import Gpu
from paramcalc.engine.layout import BIAS
from paramcalc.engine.params import Component, count
from paramcalc.errors import UsageError
from paramcalc.fields import ACTIVATIONS, ENCODER_DECODER, MLP
from paramcalc.report import Report

# bytes per parameter: (16-bit or fp32 weights, gradients, fp32 master copy kept by the optimizer)
PRECISIONS = {"bf16-mixed": (2, 2, 4), "fp16-mixed": (2, 2, 4), "fp8-mixed": (2, 2, 4), "fp32": (4, 4, 0)}
# optimizer state bytes per trainable parameter, beside the master copy
OPTIMIZERS = {"adamw": 8, "adamw-8bit": 2, "sgd-momentum": 4, "adafactor": None}
RECOMPUTE = ("none", "selective", "full")
FINETUNE = ("full", "lora")
LORA_TARGETS = {
    "attention": ("q", "k", "v", "o", "q_a", "q_b", "kv_a", "kv_b"),
    "all": ("q", "k", "v", "o", "q_a", "q_b", "kv_a", "kv_b", "up", "gate", "down"),
}
SECONDS_PER_DAY = 86_400


class TrainSettings(NamedTuple):
    gpu: Gpu
    gpus: int = 1
    micro_batch: int = 1
    seq: int | None = None
    precision: str = "bf16-mixed"
    optimizer: str = "adamw"
    zero: int = 0
    tp: int = 1
    pp: int = 1
    sp: bool = False
    recompute: str = "none"
    flash_attention: bool = True
    tokens: int | None = None
    mfu: float = 0.4
    finetune: str = "full"
    lora_rank: int = 16
    lora_targets: str = "attention"
    reserve: float = 0.1


class TrainEstimate(NamedTuple):
    settings: TrainSettings
    seq: int
    data_parallel: int
    params: int
    trainable: int
    weights: int
    gradients: int
    optimizer: int
    activations: int
    activations_per_sample: int
    usable: int
    max_micro_batch: int
    model_flops: float
    training_flops: float
    tokens: int
    tokens_source: str
    peak_flops: float
    seconds: float

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations

    @property
    def fits(self) -> bool:
        return self.total <= self.usable

    @property
    def days(self) -> float:
        return self.seconds / SECONDS_PER_DAY

    @property
    def gpu_hours(self) -> float:
        return self.seconds / 3600 * self.settings.gpus


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _divisors(zero: int, data_parallel: int, model_parallel: int) -> tuple[int, int, int]:
    """How many GPUs share the weights, the gradients and the optimizer states (ZeRO 1-3)."""
    return (
        model_parallel * (data_parallel if zero >= 3 else 1),
        model_parallel * (data_parallel if zero >= 2 else 1),
        model_parallel * (data_parallel if zero >= 1 else 1),
    )


def check(settings: TrainSettings, config: Config) -> None:
    """Reject combinations that cannot run, with the reason (exit 2)."""
    s = settings
    problems = []
    if config.architecture == MLP:
        problems.append("train needs a transformer config, not an mlp")
    if s.gpus < 1 or s.micro_batch < 1 or s.tp < 1 or s.pp < 1:
        problems.append("--gpus, --micro-batch, --tp and --pp must be at least 1")
    elif s.gpus % (s.tp * s.pp):
        problems.append(f"--gpus {s.gpus} is not a multiple of --tp x --pp = {s.tp * s.pp}")
    if config.heads and s.tp > 0 and config.heads % s.tp:
        problems.append(f"--tp {s.tp} does not divide the {config.heads} attention heads")
    layers = config.layers or max(config.encoder_layers, config.decoder_layers)
    if s.pp > 0 and layers % s.pp:
        problems.append(f"--pp {s.pp} does not divide the {layers} layers")
    if s.sp and s.tp == 1:
        problems.append("--sp (sequence parallelism) works with tensor parallelism: give --tp 2 or more")
    if s.zero and s.tp * s.pp > 0 and s.gpus // (s.tp * s.pp) < 2:
        problems.append(
            f"ZeRO stage {s.zero} shards over data-parallel GPUs, and there is only one "
            f"(--gpus {s.gpus} with --tp {s.tp} --pp {s.pp})"
        )
    if not 0 < s.mfu <= 1:
        problems.append(f"--mfu must be in (0, 1], not {s.mfu}")
    if not 0 <= s.reserve < 1:
        problems.append(f"--reserve must be in [0, 1), not {s.reserve}")
    if s.finetune == "lora" and s.lora_rank < 1:
        problems.append("--lora-rank must be at least 1")
    if s.seq is not None and s.seq < 1:
        problems.append("--seq must be at least 1")
    if s.gpu.peak(s.precision) is None:
        problems.append(f"{s.gpu.label} has no FP8 tensor cores: choose another --precision or --gpu")
    if problems:
        raise UsageError("; ".join(problems))


def lora_params(components: tuple[Component, ...], rank: int, targets: str) -> int:
    """LoRA (Hu et al. 2021): each targeted d_in x d_out weight gains A (d_in x r) and B (r x d_out)."""
    parts = LORA_TARGETS[targets]
    total = 0
    for comp in components:
        for term in comp.terms:
            if term.matmul and term.part in parts and term.kind != BIAS:
                *repeat, (_, d_in), (_, d_out) = term.factors
                copies = 1
                for _, n in repeat:
                    copies *= n
                total += copies * rank * (d_in + d_out)
    return total


def adafactor_state(components: tuple[Component, ...]) -> int:
    """Adafactor (Shazeer & Stern 2018) keeps a row and a column second-moment vector per
    weight matrix (rows + cols numbers) and a full one per vector; no momentum (beta1 = 0)."""
    total = 0
    for comp in components:
        for term in comp.terms:
            if term.matmul or (term.kind != BIAS and term.part in ("token", "position", "type", "relative")):
                *repeat, (_, rows), (_, cols) = term.factors
                copies = 1
                for _, n in repeat:
                    copies *= n
                total += copies * (rows + cols)
            else:
                total += term.count
    return total


def layer_activation_bytes(config: Config, seq: int, tp: int, sp: bool, recompute: str, flash: bool) -> float:
    """Activation bytes of one transformer layer for one sequence (b = 1), 16-bit activations
    and 1-byte dropout masks (Korthikanti et al. 2022, Section 4.1), term by term."""
    h = config.d_model
    if recompute == "full":  # only the layer input is kept
        return 2 * seq * h / (tp if sp else 1)
    v_dim = config.v_head_dim if config.is_mla else config.head_dim
    q = config.heads * config.qk_head_dim
    k = q if config.is_mla else config.kv_heads * config.head_dim
    v = config.heads * v_dim if config.is_mla else config.kv_heads * config.head_dim
    out = config.heads * v_dim
    # replicated across tensor-parallel ranks (unless sequence-parallel): norm inputs (2 bytes
    # each), the attention and MLP inputs (2h each), two dropout masks (h each): 10h for GPT.
    replicated = 2 * h * config.norms_per_layer + 2 * h + 2 * h + 2 * h
    # inside the tensor-parallel regions: Q, K, V, the attention output, and the MLP's inner
    # activations (4h wide for GPT: GeLU input and output, 2 bytes each: 16h); 24h for GPT.
    per_unit = 8 if ACTIVATIONS[config.activation] == 3 else 4  # gated: gate, up, act, product
    if config.is_moe:
        inner = config.experts_per_token * config.expert_d_ff + config.shared_expert_d_ff
    else:
        inner = config.d_ff
    sharded = 2 * (q + k + v + out) + per_unit * inner
    per_token = (replicated / (tp if sp else 1)) + sharded / tp
    if recompute == "none" and not flash:  # softmax output, dropout mask and output: 5as per token
        per_token += 5 * config.heads * seq / tp
    return per_token * seq


def activation_bytes(config: Config, settings: TrainSettings, seq: int) -> float:
    """Activation bytes per GPU for one micro-batch sequence (multiply by the micro-batch)."""
    s = settings
    if config.architecture == ENCODER_DECODER:
        layers = config.encoder_layers + config.decoder_layers
    else:
        layers = config.layers
    per_layer = layer_activation_bytes(config, seq, s.tp, s.sp, s.recompute, s.flash_attention)
    total = per_layer * layers  # 1F1B: the first stage holds p micro-batches of L/p layers
    if s.pp == 1 and config.has_lm_head:  # output layer and loss: 4sbh/t (1 + v/h)
        total += 4 * seq * config.d_model / s.tp * (1 + config.vocab / config.d_model)
    return total


def estimate(report: Report, settings: TrainSettings) -> TrainEstimate:
    config = report.config
    check(settings, config)
    s = settings
    seq = s.seq or config.context
    mp = s.tp * s.pp
    dp = s.gpus // mp
    w_bytes, g_bytes, master = PRECISIONS[s.precision]
    lora = s.finetune == "lora"
    trainable = lora_params(report.components, s.lora_rank, s.lora_targets) if lora else report.total
    state = OPTIMIZERS[s.optimizer]
    if state is None:  # adafactor: factored second moments, 4 bytes each
        factored = adafactor_state(report.components) if not lora else trainable
        optimizer_total = 4 * factored + master * trainable
    else:
        optimizer_total = (state + master) * trainable
    weight_params = report.total + (trainable if lora else 0)  # LoRA: frozen base + adapters
    w_div, g_div, o_div = _divisors(s.zero, dp, mp)
    weights = _ceil_div(weight_params * w_bytes, w_div)
    gradients = _ceil_div(trainable * g_bytes, g_div)
    optimizer = _ceil_div(optimizer_total, o_div)
    per_sample = activation_bytes(config, s, seq)
    activations = round(per_sample * s.micro_batch)
    usable = int(s.gpu.memory * (1 - s.reserve))
    room = usable - weights - gradients - optimizer
    max_micro_batch = max(0, int(room // per_sample)) if per_sample > 0 else 0

    matmul = 2 * tied_head(config, count(config).matmul)  # routed experts count k of E
    attention = attention_products_per_token(config, seq)
    forward = matmul + attention
    per_token = (2 if lora else 3) * forward
    executed = per_token + (forward if s.recompute == "full" else attention if s.recompute == "selective" else 0)
    tokens, source = training_tokens(config, report.total, s.tokens)
    peak = s.gpu.peak(s.precision) or 0.0
    seconds = executed * tokens / (s.gpus * peak * s.mfu)
    return TrainEstimate(
        settings=s,
        seq=seq,
        data_parallel=dp,
        params=report.total,
        trainable=trainable,
        weights=weights,
        gradients=gradients,
        optimizer=optimizer,
        activations=activations,
        activations_per_sample=round(per_sample),
        usable=usable,
        max_micro_batch=max_micro_batch,
        model_flops=float(per_token * tokens),
        training_flops=float(executed * tokens),
        tokens=tokens,
        tokens_source=source,
        peak_flops=peak,
        seconds=seconds,
    )


def model_states(params: int, precision: str, optimizer: str, zero: int, data_parallel: int) -> tuple[int, int, int]:
    """(weights, gradients, optimizer) bytes per GPU for full training under ZeRO (Figure 1)."""
    w_bytes, g_bytes, master = PRECISIONS[precision]
    k = (OPTIMIZERS[optimizer] or 0) + master
    w_div, g_div, o_div = _divisors(zero, data_parallel, 1)
    return _ceil_div(params * w_bytes, w_div), _ceil_div(params * g_bytes, g_div), _ceil_div(params * k, o_div)


def to_dict(e: TrainEstimate) -> dict[str, object]:
    """The JSON contract of `train --json` (README)."""
    s = e.settings
    return {
        "per_gpu_bytes": {
            "weights": e.weights,
            "gradients": e.gradients,
            "optimizer": e.optimizer,
            "activations": e.activations,
            "total": e.total,
        },
        "usable_bytes": e.usable,
        "fits": e.fits,
        "max_micro_batch": e.max_micro_batch,
        "activations_per_sample_bytes": e.activations_per_sample,
        "params": e.params,
        "trainable_params": e.trainable,
        "training_flops": e.training_flops,
        "model_flops": e.model_flops,
        "training_tokens": e.tokens,
        "tokens_source": e.tokens_source,
        "peak_flops_per_gpu": e.peak_flops,
        "days": e.days,
        "gpu_hours": e.gpu_hours,
        "gpu": s.gpu.to_dict(),
        "settings": {
            "gpus": s.gpus,
            "data_parallel": e.data_parallel,
            "micro_batch": s.micro_batch,
            "seq": e.seq,
            "precision": s.precision,
            "optimizer": s.optimizer,
            "zero": s.zero,
            "tp": s.tp,
            "pp": s.pp,
            "sp": s.sp,
            "recompute": s.recompute,
            "flash_attention": s.flash_attention,
            "mfu": s.mfu,
            "finetune": s.finetune,
            "lora_rank": s.lora_rank if s.finetune == "lora" else None,
            "lora_targets": s.lora_targets if s.finetune == "lora" else None,
            "reserve": s.reserve,
        },
    }
