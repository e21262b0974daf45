"""Serving memory, whether it fits, its limits, and its speed.

- Weights: every parameter at --dtype (bits / 8 bytes, rounded up), or the bytes a checkpoint
  stores; quantization scales of the idealised int8/int4 are not counted.
- KV cache: layer kind by layer kind (kvcache.py): full attention keeps every token, a
  sliding-window layer its window, MLA its latent, a recurrent block a fixed state, an
  encoder-decoder its self-attention and its cross-attention over the encoder's length. With
  --gpus N (tensor parallelism) each GPU holds kv_heads / N heads (at least one) and 1/N of the
  weights and activations.
- Context: by default the smaller of the model's maximum and WORKING_CONTEXT (8,192 tokens), a
  working length; the model's maximum is shown beside it (a plan for 128k tokens is what people
  mean least often and costs most).
- Activations: a working-set estimate for prefilling the whole context at once with flash
  attention (no context x context scores): batch x context x (d_model + the widest inner
  activation of a layer) x 2 bytes, plus fp32 logits of the last position, batch x vocab x 4.
- Decode bound: each generated token reads the weights used per step and the whole KV cache
  once, so tokens/s <= batch x (GPUs x bandwidth) / (weight bytes read + KV cache bytes). For a
  mixture of experts, a step reads min(experts, batch x experts_per_token) experts per layer.
  The decode estimate is that bound at DECODE_EFFICIENCY (80%) of the bandwidth. A custom
  device without a bandwidth has no bound (None, and a warning that says so).
- Prefill (time to first token): batch x (2 x active matmul weights x context + the causal
  attention products) FLOPs at PREFILL_MFU (50%) of the GPUs' dense bf16 (fp8 for fp8 weights)
  peak. No speed is given for a plan that does not fit.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from paramcalc.config import Config
from paramcalc.engine import hardware, kvcache
from paramcalc.engine.flops import attention_products_per_token, tied_head
from paramcalc.engine.hardware import Gpu, amount, gpu_problems, usable_bytes
from paramcalc.engine.memory import DTYPE_BITS, weight_bytes
from paramcalc.engine.params import count as count_params
from paramcalc.engine.report import Report
from paramcalc.engine.training import MAX_BATCH, MAX_GPUS, MAX_RESERVE, MAX_SEQ, context_problem
from paramcalc.errors import SettingError

WORKING_CONTEXT = 8192  # the default context when the model's is longer (the model's maximum is shown)
PREFILL_MFU = 0.5  # of the dense peak: prefill is compute-bound (large matmuls over the context)
DECODE_EFFICIENCY = 0.8  # of the memory bandwidth a decode step reaches (STREAM-like kernels reach 80-90%)


class Dtype(enum.StrEnum):
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    int8 = "int8"
    int4 = "int4"


class KvDtype(enum.StrEnum):
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    q8_0 = "q8_0"
    q4_0 = "q4_0"


class MlaCache(enum.StrEnum):
    latent = "latent"
    full = "full"


class InferSettings(NamedTuple):
    gpu: Gpu
    gpus: int = 1
    batch: int = 1
    context: int | None = None
    dtype: Dtype = Dtype.bf16
    kv_dtype: KvDtype | None = None
    mla_cache: MlaCache = MlaCache.latent
    reserve: float = 0.1
    stored_bytes: int | None = None  # the weights as a checkpoint stores them; replaces params x dtype


class InferEstimate(NamedTuple):
    """Per GPU: weights, KV cache and activations (with --gpus N, each GPU's share)."""

    settings: InferSettings
    context: int
    kv_dtype: str
    weights: int
    kv_cache: int
    activations: int
    kv_cache_bytes_per_token: int  # at a context every window is full of: the growth per token
    usable: int
    max_context: int
    max_batch: int
    decode_tokens_per_s_bound: float | None  # None: the device's bandwidth is unknown
    warnings: tuple[str, ...] = ()
    model_context: int = 0
    kinds: tuple[kvcache.LayerKind, ...] = ()
    prefill_seconds: float | None = None  # None: no peak FLOP/s known, or it does not fit
    decode_tokens_per_s: float | None = None

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.activations

    @property
    def fits(self) -> bool:
        return self.total <= self.usable


def kv_bytes_per_token(config: Config, bits: int, mla_cache: str = "latent") -> int:
    """Bytes cached for one more token of one sequence, all layers that keep every token (a
    sliding-window layer's window is full past it; a recurrent state does not grow)."""
    cache = {16: "bf16", 8: "fp8"}.get(bits, "bf16")
    return sum(k.per_token for k in kvcache.layer_kinds(config, cache, mla_cache) if k.tokens_kept is None)


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
    """hardware.resolve_gpu: the FLOP/s time the prefill, the bandwidth the decode."""
    return hardware.resolve_gpu(name, memory, flops, bandwidth)


def check(settings: InferSettings, config: Config) -> list[str]:
    """Every problem at once (a SettingError naming the settings); the warnings of a run that can."""
    s = settings
    if not (config.generates or config.is_ssm):
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
        elif config.context:  # a state-space model has no trained length to exceed
            errors, warnings = context_problem(config, s.context, "context")
            problems += errors
    if not 0 <= s.reserve <= MAX_RESERVE:
        problems.append(("reserve", f"must be from 0 to {MAX_RESERVE:g}, not {s.reserve:g}"))
    if s.kv_dtype in (KvDtype.q8_0, KvDtype.q4_0) and config.head_dim % 32:
        warnings.append(f"a {s.kv_dtype} cache packs blocks of 32: head_dim {config.head_dim} rounds up per head")
    if problems:
        raise SettingError(problems)
    if s.gpus > 1 and config.attention_layers:
        heads, kv = config.heads, config.kv_heads
        if heads % s.gpus or (kv % s.gpus and s.gpus % kv):
            warnings.append(
                f"tensor parallelism over {s.gpus} GPUs: {heads} heads / {kv} KV heads do not split evenly "
                "(vLLM refuses it; the figures assume an even share)"
            )
    if s.gpu.bandwidth is None:
        warnings.append(f"the decode bound needs gpu_bandwidth: the bandwidth of a {s.gpu.label} is not known")
    return warnings


def _prefill_flops(report: Report, context: int, batch: int) -> int:
    """Forward FLOPs of prefilling `batch` sequences of `context` tokens: 2 x the matmul
    weights a token uses x tokens, and the causal attention products (flops.py's conventions)."""
    config = report.config.main_part
    matmul = 2 * tied_head(config, count_params(config).matmul)
    attention = attention_products_per_token(config, context, causal=True) if config.attention_layers else 0
    return batch * context * (matmul + attention)


def estimate(report: Report, settings: InferSettings) -> InferEstimate:
    config = report.config.main_part
    warnings = check(settings, config)
    s = settings
    tp = s.gpus
    context = s.context or (min(config.context, WORKING_CONTEXT) if config.context else WORKING_CONTEXT)
    if s.kv_dtype is not None:
        kv_dtype = str(s.kv_dtype)
    else:
        kv_dtype = str(s.dtype) if s.dtype in (Dtype.bf16, Dtype.fp16, Dtype.fp8) else "bf16"
    bits = DTYPE_BITS[s.dtype]
    stored = weight_bytes(report.total, bits) if s.stored_bytes is None else s.stored_bytes
    weights = -(-stored // tp)  # each GPU's share under tensor parallelism
    kinds = tuple(kvcache.layer_kinds(config, kv_dtype, s.mla_cache, tp))
    per_token_act = -(-activation_bytes_per_token(config) // tp)
    logits = 4 * config.vocab

    def kv_at(tokens: int) -> int:
        return sum(k.bytes(tokens) for k in kinds)

    def need(tokens: int, batch: int) -> int:
        return weights + batch * (kv_at(tokens) + per_token_act * tokens + logits)

    kv_cache = kv_at(context) * s.batch
    activations = per_token_act * context * s.batch + logits * s.batch
    usable = usable_bytes(s.gpu.memory, s.reserve)
    room = usable - weights
    # the longest context that fits at this batch: the need grows with the context (windows cap
    # some layers' growth), so a search over it finds the last that fits
    low, high = 0, MAX_SEQ
    while low < high:
        mid = (low + high + 1) // 2
        if need(mid, s.batch) <= usable:
            low = mid
        else:
            high = mid - 1
    max_context = low
    per_sequence = kv_at(context) + per_token_act * context + logits
    max_batch = max(0, room // per_sequence) if per_sequence else 0
    if s.stored_bytes is None:
        read = weight_bytes_per_step(report, bits, s.batch)
    else:  # the stored bytes, in the share of the parameters a step reads (a MoE reads some experts)
        read = -(-s.stored_bytes * weight_bytes_per_step(report, 8, s.batch) // max(1, report.total))
    step = -(-read // tp) + kv_cache
    bound = None if s.gpu.bandwidth is None else s.batch * s.gpu.bandwidth / step
    fits = weights + kv_cache + activations <= usable
    decode = bound * DECODE_EFFICIENCY if bound is not None and fits else None
    peak = s.gpu.peak("fp8" if s.dtype == Dtype.fp8 else "bf16") or s.gpu.peak("bf16")
    prefill = None
    if peak and fits:
        prefill = _prefill_flops(report, context, s.batch) / (tp * peak * PREFILL_MFU)
    grows = sum(k.per_token for k in kinds if k.tokens_kept is None)
    return InferEstimate(
        settings=s,
        context=context,
        kv_dtype=kv_dtype,
        weights=weights,
        kv_cache=kv_cache,
        activations=activations,
        kv_cache_bytes_per_token=grows,
        usable=usable,
        max_context=max_context,
        max_batch=max_batch,
        decode_tokens_per_s_bound=bound,
        warnings=tuple(warnings),
        model_context=config.context,
        kinds=kinds,
        prefill_seconds=prefill,
        decode_tokens_per_s=decode,
    )


def to_dict(e: InferEstimate) -> dict[str, object]:
    """The JSON contract of `infer --json` (README)."""
    s = e.settings
    return {
        "bytes": {"weights": e.weights, "kv_cache": e.kv_cache, "activations": e.activations, "total": e.total},
        "per_gpu": s.gpus > 1,
        "kv_cache_bytes_per_token": e.kv_cache_bytes_per_token,
        "kv_cache_by_kind": [
            {
                "kind": k.kind,
                "layers": k.layers,
                "bytes": k.bytes(e.context) * s.batch,
                "bytes_per_token": k.per_token,
                "tokens_kept": k.tokens_kept,
                "fixed_bytes_per_sequence": k.fixed,
                "basis": k.basis,
            }
            for k in e.kinds
        ],
        "model_context": e.model_context,
        "prefill_seconds": e.prefill_seconds,
        "decode_tokens_per_s": e.decode_tokens_per_s,
        "conventions": {
            "default_context": f"min(model context, {WORKING_CONTEXT})",
            "prefill_mfu": PREFILL_MFU,
            "decode_bandwidth_efficiency": DECODE_EFFICIENCY,
        },
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
