"""Serving memory and a decode-speed bound.

- Weights: every parameter at --dtype (bits / 8 bytes, rounded up); quantization scales and
  layers a quantizer leaves in 16 bits are not counted.
- KV cache: 2 (K and V) x layers x kv_heads x head_dim x tokens x batch x bytes. An
  encoder-decoder also caches the cross-attention K and V of its decoder layers over the
  encoder's tokens (taken as long as the context). Multi-head latent attention (DeepSeek-V2/V3)
  caches its compressed latent, layers x (kv_lora_rank + rope_head_dim) per token ("latent",
  the paper's Section 2.1.2), or, as implementations that expand it do, the full keys and values,
  layers x heads x (qk head dim + v_head_dim) ("full").
- Activations: a working-set estimate for prefilling the whole context at once with flash
  attention (no context x context scores): batch x context x (d_model + the widest inner
  activation of a layer) x 2 bytes, plus fp32 logits of the last position, batch x vocab x 4.
- Decode bound: each generated token reads the weights used per step and the whole KV cache
  once, so tokens/s <= batch x (GPUs x bandwidth) / (weight bytes read + KV cache bytes). For a
  mixture of experts, a step reads min(experts, batch x experts_per_token) experts per layer.
  A custom device without a bandwidth has no bound (None, and a warning that says so).
- FLOP/s are not used: decode is bound by memory bandwidth, so infer refuses gpu_flops.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from paramcalc.config import Config
from paramcalc.engine import hardware
from paramcalc.engine.hardware import Gpu, amount, gpu_problems, usable_bytes
from paramcalc.engine.memory import DTYPE_BITS, weight_bytes
from paramcalc.engine.report import Report
from paramcalc.engine.training import MAX_BATCH, MAX_GPUS, MAX_RESERVE, MAX_SEQ, context_problem
from paramcalc.errors import SettingError

NO_FLOPS = "infer does not use FLOP/s (decode is bound by memory bandwidth): leave gpu_flops out"


class Dtype(enum.StrEnum):
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    int8 = "int8"
    int4 = "int4"


class MlaCache(enum.StrEnum):
    latent = "latent"
    full = "full"


class InferSettings(NamedTuple):
    gpu: Gpu
    gpus: int = 1
    batch: int = 1
    context: int | None = None
    dtype: Dtype = Dtype.bf16
    kv_dtype: Dtype | None = None
    mla_cache: MlaCache = MlaCache.latent
    reserve: float = 0.1
    stored_bytes: int | None = None  # the weights as a checkpoint stores them; replaces params x dtype


class InferEstimate(NamedTuple):
    settings: InferSettings
    context: int
    kv_dtype: str
    weights: int
    kv_cache: int
    activations: int
    kv_cache_bytes_per_token: int
    usable: int
    max_context: int
    max_batch: int
    decode_tokens_per_s_bound: float | None  # None: the device's bandwidth is unknown
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.activations

    @property
    def fits(self) -> bool:
        return self.total <= self.usable


def kv_bytes_per_token(config: Config, bits: int, mla_cache: str = "latent") -> int:
    """Bytes of K and V cached for one token of one sequence, all layers."""
    if config.is_mla:
        if mla_cache == "latent":
            width = config.layers * (config.kv_lora_rank + config.rope_head_dim)
        else:
            width = config.layers * config.heads * (config.qk_head_dim + config.v_head_dim)
        return weight_bytes(width, bits)
    per_layer = 2 * config.kv_heads * config.head_dim  # K and V
    if config.is_encoder_decoder:
        width = 2 * config.decoder_layers * per_layer  # self-attention + cross-attention caches
    else:
        width = config.layers * per_layer
    return weight_bytes(width, bits)


def activation_bytes_per_token(config: Config) -> int:
    """16-bit working set per token of prefill: the residual stream + the widest inner tensor."""
    inner = config.expert_d_ff * config.experts_per_token if config.is_moe else config.d_ff
    widest = max(
        inner * (2 if config.is_gated else 1), config.heads * config.qk_head_dim + 2 * config.kv_heads * config.head_dim
    )
    return 2 * (config.d_model + widest)


def weight_bytes_per_step(report: Report, bits: int, batch: int) -> int:
    """Weights read to generate one token for each of `batch` sequences: everything but the
    routed experts, and of those the experts the batch's tokens are routed to, at most all of
    them: min(experts, batch x experts_per_token) of `experts` in each MoE block (the count's
    `routed` parameters hold every expert of every block, each block's experts the same size)."""
    config = report.config
    if not report.routed:
        return weight_bytes(report.total, bits)
    touched = min(config.experts, batch * config.experts_per_token)
    read = report.total - report.routed + report.routed // config.experts * touched
    return weight_bytes(read, bits)


def resolve_gpu(name: str | None, memory: str | None, flops: str | None, bandwidth: str | None) -> Gpu:
    """hardware.resolve_gpu for infer, which refuses gpu_flops (every problem at once)."""
    problems = [("gpu_flops", NO_FLOPS)] if flops is not None else []
    try:
        gpu = hardware.resolve_gpu(name, memory, None, bandwidth)
    except SettingError as exc:
        problems = exc.problems + problems
    if problems:
        raise SettingError(problems)
    return gpu


def check(settings: InferSettings, config: Config) -> list[str]:
    """Every problem at once (a SettingError naming the settings); the warnings of a run that can."""
    s = settings
    if config.recurrent_layers:  # a fixed state, not keys and values: the planner's to come
        raise SettingError(
            [
                (
                    "config",
                    "infer plans transformers' KV caches; the fixed state of a state-space or linear-attention "
                    "block is not modelled yet",
                )
            ]
        )
    if not config.generates:
        raise SettingError(
            [
                (
                    "config",
                    f"infer is for models that generate tokens; an {config.architecture} does not "
                    "(count gives its weights' memory)",
                )
            ]
        )
    problems = gpu_problems(s.gpu)
    for setting, value, high in (("gpus", s.gpus, MAX_GPUS), ("batch", s.batch, MAX_BATCH)):
        if not 1 <= value <= high:
            problems.append((setting, f"{amount(value)} is out of range: 1 to {high:,}"))
    warnings: list[str] = []
    if s.context is not None:
        if not 1 <= s.context <= MAX_SEQ:
            problems.append(("context", f"{amount(s.context)} is out of range: 1 to {MAX_SEQ:,}"))
        else:
            errors, warnings = context_problem(config, s.context, "context")
            problems += errors
    if not 0 <= s.reserve <= MAX_RESERVE:
        problems.append(("reserve", f"must be from 0 to {MAX_RESERVE:g}, not {s.reserve:g}"))
    if problems:
        raise SettingError(problems)
    if s.gpu.bandwidth is None:
        warnings.append(f"the decode bound needs gpu_bandwidth: the bandwidth of a {s.gpu.label} is not known")
    return warnings


def estimate(report: Report, settings: InferSettings) -> InferEstimate:
    config = report.config
    warnings = check(settings, config)
    s = settings
    context = s.context or config.context
    kv_dtype = s.kv_dtype or (s.dtype if s.dtype in (Dtype.bf16, Dtype.fp16, Dtype.fp8) else Dtype.bf16)
    bits = DTYPE_BITS[s.dtype]
    weights = weight_bytes(report.total, bits) if s.stored_bytes is None else s.stored_bytes
    per_token_kv = kv_bytes_per_token(config, DTYPE_BITS[kv_dtype], s.mla_cache)
    per_token_act = activation_bytes_per_token(config)
    logits = 4 * config.vocab
    kv_cache = per_token_kv * context * s.batch
    activations = per_token_act * context * s.batch + logits * s.batch
    usable = usable_bytes(s.gpus * s.gpu.memory, s.reserve)
    room = usable - weights
    max_context = max(0, (room - logits * s.batch) // (s.batch * (per_token_kv + per_token_act)))
    max_batch = max(0, room // (context * (per_token_kv + per_token_act) + logits))
    if s.stored_bytes is None:
        read = weight_bytes_per_step(report, bits, s.batch)
    else:  # the stored bytes, in the share of the parameters a step reads (a MoE reads some experts)
        read = -(-s.stored_bytes * weight_bytes_per_step(report, 8, s.batch) // max(1, report.total))
    step = read + kv_cache
    bound = None if s.gpu.bandwidth is None else s.batch * s.gpus * s.gpu.bandwidth / step
    return InferEstimate(
        settings=s,
        context=context,
        kv_dtype=kv_dtype,
        weights=weights,
        kv_cache=kv_cache,
        activations=activations,
        kv_cache_bytes_per_token=per_token_kv,
        usable=usable,
        max_context=max_context,
        max_batch=max_batch,
        decode_tokens_per_s_bound=bound,
        warnings=tuple(warnings),
    )


def to_dict(e: InferEstimate) -> dict[str, object]:
    """The JSON contract of `infer --json` (README)."""
    s = e.settings
    return {
        "bytes": {"weights": e.weights, "kv_cache": e.kv_cache, "activations": e.activations, "total": e.total},
        "kv_cache_bytes_per_token": e.kv_cache_bytes_per_token,
        "fits": e.fits,
        "usable_bytes": e.usable,
        "max_context": e.max_context,
        "max_batch": e.max_batch,
        "decode_tokens_per_s_bound": e.decode_tokens_per_s_bound,
        "gpu": s.gpu.to_dict(),
        "settings": {
            "gpus": s.gpus,
            "batch": s.batch,
            "context": e.context,
            "dtype": s.dtype,
            "kv_dtype": e.kv_dtype,
            "mla_cache": s.mla_cache,
            "reserve": s.reserve,
            "stored_bytes": s.stored_bytes,
        },
        "warnings": list(e.warnings),
    }
