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
  p micro-batches of its L/p layers: L layers' worth (Section 4.2.3). Layers that p does not
  divide are split as evenly as possible, the fuller stages first (61 on 16: 13 stages of 4, 3
  of 3); the fullest stage sets the memory: its share of the model states, and p micro-batches
  of its layers. Bytes are exact integers (activations per sequence rounded up).
- Time: FLOPs executed / (GPUs x dense peak x MFU), where FLOPs executed = tokens x (3 x forward
  per token, + 1 forward with full recomputation, + the attention products with selective
  recomputation) (Narayanan et al. 2021: 8TP/(nX) with full recomputation, 6TP/(nX) without).
  LoRA fine-tuning: the backward pass computes activation gradients only, so 2 x forward.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

from paramcalc.config import Config
from paramcalc.engine.flops import attention_products_per_token, forward_per_token, training_tokens
from paramcalc.engine.hardware import Gpu, amount, gpu_problems, usable_bytes
from paramcalc.engine.layout import BIAS
from paramcalc.engine.params import Component, count
from paramcalc.engine.report import Report
from paramcalc.errors import SettingError
from paramcalc.fields import FIELDS

if TYPE_CHECKING:
    from fractions import Fraction


class Precision(enum.StrEnum):
    bf16_mixed = "bf16-mixed"
    fp16_mixed = "fp16-mixed"
    fp32 = "fp32"
    fp8_mixed = "fp8-mixed"


class Optimizer(enum.StrEnum):
    adamw = "adamw"
    adamw_8bit = "adamw-8bit"
    sgd_momentum = "sgd-momentum"
    adafactor = "adafactor"


class Recompute(enum.StrEnum):
    none = "none"
    selective = "selective"
    full = "full"


class Finetune(enum.StrEnum):
    full = "full"
    lora = "lora"


class LoraTargets(enum.StrEnum):
    attention = "attention"
    all = "all"


# bytes per parameter: (16-bit or fp32 weights, gradients, fp32 master copy kept by the optimizer)
PRECISIONS = {
    Precision.bf16_mixed: (2, 2, 4),
    Precision.fp16_mixed: (2, 2, 4),
    Precision.fp8_mixed: (2, 2, 4),
    Precision.fp32: (4, 4, 0),
}
# optimizer state bytes per trainable parameter, beside the master copy
OPTIMIZERS = {Optimizer.adamw: 8, Optimizer.adamw_8bit: 2, Optimizer.sgd_momentum: 4, Optimizer.adafactor: None}
LORA_TARGETS = {
    LoraTargets.attention: ("q", "k", "v", "o", "q_a", "q_b", "kv_a", "kv_b"),
    LoraTargets.all: ("q", "k", "v", "o", "q_a", "q_b", "kv_a", "kv_b", "up", "gate", "down"),
}
LORA_DEFAULTS = (16, LoraTargets.attention)  # rank and targets when finetune is lora
SECONDS_PER_DAY = 86_400
# Bounds on the settings, so that every figure stays finite (stated in the README):
MAX_GPUS = 10**6  # gpus, tp, pp
MAX_BATCH = 10**12  # micro_batch (and infer's batch): bytes are ints, only FLOP/s figures are floats
MAX_SEQ = 10**8  # tokens per sequence
MAX_LORA_RANK = 10**6
MFU_RANGE = (0.001, 1.0)
MAX_RESERVE = 0.99
LEARNED = "learned"


class TrainSettings(NamedTuple):
    gpu: Gpu
    gpus: int = 1
    micro_batch: int = 1
    seq: int | None = None
    precision: Precision = Precision.bf16_mixed
    optimizer: Optimizer = Optimizer.adamw
    zero: int = 0
    tp: int = 1
    pp: int = 1
    sp: bool = False
    recompute: Recompute = Recompute.none
    flash_attention: bool = True
    tokens: int | None = None
    mfu: float = 0.4
    finetune: Finetune = Finetune.full
    lora_rank: int | None = None  # 16 when finetune is lora; refused without it
    lora_targets: LoraTargets | None = None  # attention when finetune is lora; refused without it
    reserve: float = 0.1
    stored_bytes: int | None = None  # LoRA on weights as a checkpoint stores them (QLoRA: 4-bit)


class TrainEstimate(NamedTuple):
    settings: TrainSettings
    seq: int
    data_parallel: int
    layers_per_stage: tuple[int, ...]  # pipeline stages, the fullest first
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
    peak_flops: float | None  # None: the device's FLOP/s are unknown (a custom GPU without gpu_flops)
    seconds: float | None
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations

    @property
    def fits(self) -> bool:
        return self.total <= self.usable

    @property
    def days(self) -> float | None:
        return None if self.seconds is None else self.seconds / SECONDS_PER_DAY

    @property
    def gpu_hours(self) -> float | None:
        return None if self.seconds is None else self.seconds / 3600 * self.settings.gpus

    @property
    def lora_rank(self) -> int | None:
        return (self.settings.lora_rank or LORA_DEFAULTS[0]) if self.settings.finetune == Finetune.lora else None

    @property
    def lora_targets(self) -> LoraTargets | None:
        return (self.settings.lora_targets or LORA_DEFAULTS[1]) if self.settings.finetune == Finetune.lora else None


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def pipeline_stages(layers: int, stages: int) -> tuple[int, ...]:
    """Layers per pipeline stage, as even as possible, the fuller stages first: 61 on 16 ->
    (4,) * 13 + (3,) * 3. The fuller stages go first because the first stage holds the most
    micro-batches under 1F1B."""
    per_stage, extra = divmod(layers, stages)
    return (per_stage + 1,) * extra + (per_stage,) * (stages - extra)


def _bounded(problems: list[tuple[str, str]], setting: str, value: int, low: int, high: int) -> bool:
    if not low <= value <= high:
        problems.append((setting, f"{amount(value)} is out of range: {low:,} to {high:,}"))
        return False
    return True


def context_problem(config: Config, tokens: int, setting: str) -> tuple[list[tuple[str, str]], list[str]]:
    """A context longer than the config's: an error for a learned position table (it has no row
    for those positions), else a warning (the memory holds; the model was not trained there)."""
    if tokens <= config.context:
        return [], []
    if config.position == LEARNED:
        return [
            (
                setting,
                f"{tokens:,} tokens is beyond {config.name}'s {config.context:,} learned positions: its position "
                f"table has no row past {config.context:,} (use {config.context:,} or less)",
            )
        ], []
    return [], [
        f"{setting} {tokens:,} is beyond {config.name}'s context of {config.context:,} tokens "
        f"({config.position} positions): the memory figures hold, but the model was not trained that long"
    ]


def check(settings: TrainSettings, config: Config) -> list[str]:
    """Reject combinations that cannot run, every problem at once (a SettingError naming the
    settings); return the warnings of a run that can."""
    s = settings
    if config.is_mlp:
        raise SettingError([("config", "train needs a transformer config, not an mlp")])
    if config.is_composite:
        raise SettingError(
            [("config", "train plans one transformer; a composite's parts train together (plan its language part)")]
        )
    if config.is_sequential:  # Korthikanti's activation terms are a transformer block's
        raise SettingError(
            [("config", "train needs a transformer config, not a sequential net (count gives its FLOPs)")]
        )
    if config.recurrent_layers:  # Korthikanti's activation terms are a transformer block's
        raise SettingError(
            [
                (
                    "config",
                    "train plans transformers; a state-space or linear-attention block's memory is not modelled yet",
                )
            ]
        )
    problems = gpu_problems(s.gpu)
    counts_ok = all(
        [
            _bounded(problems, "gpus", s.gpus, 1, MAX_GPUS),
            _bounded(problems, "micro_batch", s.micro_batch, 1, MAX_BATCH),
            _bounded(problems, "tp", s.tp, 1, MAX_GPUS),
            _bounded(problems, "pp", s.pp, 1, MAX_GPUS),
        ]
    )
    layers = config.deepest_stack
    if counts_ok:
        if s.gpus % (s.tp * s.pp):
            problems.append(("gpus", f"{s.gpus} is not a multiple of tp x pp = {s.tp * s.pp}"))
        if config.heads % s.tp:
            problems.append(("tp", f"{s.tp} does not divide the {config.heads} attention heads"))
        if s.pp > layers:
            problems.append(("pp", f"{s.pp} stages is more than the {layers} layers (a stage holds at least one)"))
        if s.zero and s.gpus // (s.tp * s.pp) < 2:
            problems.append(
                (
                    "zero",
                    f"ZeRO stage {s.zero} shards over data-parallel GPUs, and there is only one "
                    f"(gpus {s.gpus} with tp {s.tp}, pp {s.pp})",
                )
            )
    if s.zero not in (0, 1, 2, 3):
        problems.append(("zero", f"stage {s.zero} is not 0, 1, 2 or 3"))
    if s.sp and s.tp == 1:
        problems.append(("sp", "sequence parallelism works with tensor parallelism: set tp to 2 or more"))
    if not MFU_RANGE[0] <= s.mfu <= MFU_RANGE[1]:
        problems.append(("mfu", f"must be from {MFU_RANGE[0]:g} to {MFU_RANGE[1]:g}, not {s.mfu:g}"))
    if not 0 <= s.reserve <= MAX_RESERVE:
        problems.append(("reserve", f"must be from 0 to {MAX_RESERVE:g}, not {s.reserve:g}"))
    if s.finetune == Finetune.lora:
        if s.lora_rank is not None:
            _bounded(problems, "lora_rank", s.lora_rank, 1, MAX_LORA_RANK)
    else:
        for setting, value in (("lora_rank", s.lora_rank), ("lora_targets", s.lora_targets)):
            if value is not None:
                problems.append(
                    (setting, f"applies to LoRA fine-tuning only: set finetune to lora, or leave {setting} out")
                )
    tokens_max = FIELDS["tokens"].maximum
    if s.tokens is not None:
        _bounded(problems, "tokens", s.tokens, 1, tokens_max)
    warnings: list[str] = []
    if s.seq is not None and _bounded(problems, "seq", s.seq, 1, MAX_SEQ):
        errors, warnings = context_problem(config, s.seq, "seq")
        problems += errors
    if s.gpu.bf16_flops is not None and s.gpu.peak(s.precision) is None:
        problems.append(("precision", f"{s.gpu.label} has no FP8 tensor cores: choose another precision or gpu"))
    if problems:
        raise SettingError(problems)
    if s.gpu.peak(s.precision) is None:
        warnings.append(f"time needs gpu_flops: the FLOP/s of a {s.gpu.label} are not known")
    return warnings


def lora_params(components: tuple[Component, ...], rank: int, targets: LoraTargets) -> int:
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


def layer_activation_bytes(config: Config, seq: int, tp: int, sp: bool, recompute: str, flash: bool) -> Fraction:
    """Activation bytes of one transformer layer for one sequence (b = 1), 16-bit activations
    and 1-byte dropout masks (Korthikanti et al. 2022, Section 4.1), term by term; exact."""
    from fractions import Fraction

    h = config.d_model
    if recompute == Recompute.full:  # only the layer input is kept
        return Fraction(2 * seq * h, tp if sp else 1)
    q = config.heads * config.qk_head_dim
    k = q if config.is_mla else config.kv_heads * config.head_dim
    v = config.heads * config.v_dim if config.is_mla else config.kv_heads * config.head_dim
    out = config.heads * config.v_dim
    # replicated across tensor-parallel ranks (unless sequence-parallel): norm inputs (2 bytes
    # each), the attention and MLP inputs (2h each), two dropout masks (h each): 10h for GPT.
    replicated = 2 * h * config.norms_per_layer + 2 * h + 2 * h + 2 * h
    # inside the tensor-parallel regions: Q, K, V, the attention output, and the MLP's inner
    # activations (4h wide for GPT: GeLU input and output, 2 bytes each: 16h); 24h for GPT.
    per_unit = 8 if config.is_gated else 4  # gated: gate, up, act, product
    if config.is_moe:
        inner = config.experts_per_token * config.expert_d_ff + config.shared_expert_d_ff
    else:
        inner = config.d_ff
    sharded = 2 * (q + k + v + out) + per_unit * inner
    per_token = Fraction(replicated, tp if sp else 1) + Fraction(sharded, tp)
    if recompute == Recompute.none and not flash:  # softmax output, dropout mask and output: 5as per token
        per_token += Fraction(5 * config.heads * seq, tp)
    return per_token * seq


def activation_bytes(config: Config, settings: TrainSettings, seq: int) -> int:
    """Activation bytes per GPU for one micro-batch sequence (multiply by the micro-batch), held
    by the first pipeline stage under 1F1B: pp micro-batches of its layers; exact, rounded up."""
    from fractions import Fraction

    s = settings
    stacks = (config.encoder_layers, config.decoder_layers) if config.is_encoder_decoder else (config.layers,)
    held = sum(s.pp * pipeline_stages(layers, s.pp)[0] for layers in stacks)  # = blocks when pp divides
    per_layer = layer_activation_bytes(config, seq, s.tp, s.sp, s.recompute, s.flash_attention)
    total = per_layer * held
    if s.pp == 1 and config.has_lm_head:  # output layer and loss: 4sbh/t (1 + v/h)
        total += Fraction(4 * seq * (config.d_model + config.vocab), s.tp)
    return _ceil_div(total.numerator, total.denominator)


def estimate(report: Report, settings: TrainSettings) -> TrainEstimate:
    config = report.config
    warnings = check(settings, config)
    s = settings
    seq = s.seq or config.context
    if s.seq is None:
        warnings = context_problem(config, seq, "seq")[1] + warnings
    mp = s.tp * s.pp
    dp = s.gpus // mp
    stages = pipeline_stages(config.deepest_stack, s.pp)
    w_bytes, g_bytes, master = PRECISIONS[s.precision]
    lora = s.finetune == Finetune.lora
    rank, targets = s.lora_rank or LORA_DEFAULTS[0], s.lora_targets or LORA_DEFAULTS[1]
    trainable = lora_params(report.components, rank, targets) if lora else report.total
    state = OPTIMIZERS[s.optimizer]
    if state is None:  # adafactor: factored second moments, 4 bytes each
        factored = adafactor_state(report.components) if not lora else trainable
        optimizer_total = 4 * factored + master * trainable
    else:
        optimizer_total = (state + master) * trainable
    weight_params = report.total + (trainable if lora else 0)  # LoRA: frozen base + adapters

    def share(total_bytes: int, zero_stage: int) -> int:
        """The fullest stage's part (stages[0] of the layers) of one tensor-parallel rank, / the
        data-parallel GPUs from this ZeRO stage on (Rajbhandari et al. 2020, Figure 1)."""
        sharded = dp if s.zero >= zero_stage else 1
        return _ceil_div(total_bytes * stages[0], config.deepest_stack * s.tp * sharded)

    if lora and s.stored_bytes is not None:  # the frozen base as stored (QLoRA), the adapters in 16 bits
        weights = share(s.stored_bytes + trainable * w_bytes, 3)
    else:
        weights = share(weight_params * w_bytes, 3)
    gradients = share(trainable * g_bytes, 2)
    optimizer = share(optimizer_total, 1)
    per_sample = activation_bytes(config, s, seq)
    activations = per_sample * s.micro_batch
    usable = usable_bytes(s.gpu.memory, s.reserve)
    room = usable - weights - gradients - optimizer
    max_micro_batch = max(0, room // per_sample) if per_sample > 0 else 0

    forward = forward_per_token(config, count(config).matmul, seq)  # routed experts count k of E
    attention = attention_products_per_token(config, seq)  # what selective recomputation runs again
    per_token = (2 if lora else 3) * forward
    recomputed = {Recompute.full: forward, Recompute.selective: attention, Recompute.none: 0}[s.recompute]
    executed = per_token + recomputed
    tokens, source = training_tokens(config, report.total, s.tokens)
    peak = s.gpu.peak(s.precision)
    seconds = None if peak is None else executed * tokens / (s.gpus * peak * s.mfu)
    return TrainEstimate(
        settings=s,
        seq=seq,
        data_parallel=dp,
        layers_per_stage=stages,
        params=report.total,
        trainable=trainable,
        weights=weights,
        gradients=gradients,
        optimizer=optimizer,
        activations=activations,
        activations_per_sample=per_sample,
        usable=usable,
        max_micro_batch=max_micro_batch,
        model_flops=float(per_token * tokens),
        training_flops=float(executed * tokens),
        tokens=tokens,
        tokens_source=source,
        peak_flops=peak,
        seconds=seconds,
        warnings=tuple(warnings),
    )


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
            "lora_rank": e.lora_rank,
            "lora_targets": e.lora_targets,
            "reserve": s.reserve,
            "stored_bytes": s.stored_bytes,
        },
        "pipeline": {"stages": s.pp, "layers_per_stage": list(e.layers_per_stage)},
        "warnings": list(e.warnings),
    }
