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
from paramcalc.engine import engines, formats, hardware, kvcache
from paramcalc.engine.flops import forward_per_token
from paramcalc.engine.hardware import Gpu, amount, gpu_problems, usable_bytes
from paramcalc.engine.memory import weight_bytes
from paramcalc.engine.params import count as count_params
from paramcalc.engine.report import Report
from paramcalc.engine.training import MAX_BATCH, MAX_GPUS, MAX_RESERVE, MAX_SEQ, context_problem
from paramcalc.errors import SettingError

WORKING_CONTEXT = 8192  # the default context when the model's is longer (the model's maximum is shown)
PREFILL_MFU = 0.5  # of the dense peak: prefill is compute-bound (large matmuls over the context)
DECODE_EFFICIENCY = 0.8  # of the memory bandwidth a decode step reaches (STREAM-like kernels reach 80-90%)


# Every weight format formats.py stores (the idealised bf16 ... int4, GGUF mixes, GPTQ, AWQ, nf4, ...)
# and every KV cache type it packs, as the CLI's choices.
Dtype = enum.StrEnum("Dtype", {name: name for name in formats.FORMATS})  # type: ignore[misc]
KvDtype = enum.StrEnum("KvDtype", {name: name for name in formats.KV_TYPES})  # type: ignore[misc]
Engine = enum.StrEnum("Engine", {name: name for name in engines.ENGINES})  # type: ignore[misc]


class Attention(enum.StrEnum):
    auto = "auto"
    flash = "flash"
    eager = "eager"


class MlaCache(enum.StrEnum):
    latent = "latent"
    full = "full"


class InferSettings(NamedTuple):
    gpu: Gpu
    gpus: int = 1
    batch: int = 1
    context: int | None = None
    dtype: str = "bf16"
    kv_dtype: str | None = None
    mla_cache: MlaCache = MlaCache.latent
    reserve: float = 0.1
    stored_bytes: int | None = None  # the weights as a checkpoint stores them; replaces params x dtype
    group_size: int | None = None  # GPTQ / AWQ: inputs per scale (formats.DEFAULT_GROUP_SIZE)
    engine: str = "plain"
    n_gpu_layers: int | None = None  # llama.cpp -ngl (None: fit to memory)
    n_cpu_moe: int = 0  # llama.cpp --n-cpu-moe
    cpu_memory: int | None = None  # bytes of CPU RAM for what llama.cpp leaves off the GPU
    attention: str = "auto"  # flash | eager: llama.cpp's flash attention on or off, transformers' sdpa or eager


class InferEstimate(NamedTuple):
    """Per GPU: weights, KV cache and activations (with --gpus N, each GPU's share)."""

    settings: InferSettings
    context: int
    kv_dtype: str
    weights: int
    kv_cache: int
    activations: int  # the engine's buffers that count against the budget (plain: the prefill working set)
    kv_cache_bytes_per_token: int  # the growth per token: the layers that keep every token
    usable: int  # the engine's budget for weights, KV and its in-budget buffers
    max_context: int
    max_batch: int
    decode_tokens_per_s_bound: float | None  # None: the device's bandwidth is unknown
    warnings: tuple[str, ...] = ()
    model_context: int = 0
    kinds: tuple[kvcache.LayerKind, ...] = ()
    prefill_seconds: float | None = None  # None: no peak FLOP/s known, or it does not fit
    decode_tokens_per_s: float | None = None
    buffers: tuple[tuple[str, int, str], ...] = ()  # (name, bytes, where: budget | headroom | host)
    stored: formats.StoredWeights | None = None
    layers_on_gpu: int | None = None  # llama.cpp: the -ngl that fits (n_layer + 1: all, the output layer too)
    cpu_bytes: int = 0  # llama.cpp: weights and cache left in CPU RAM
    device_memory: int = 0

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.activations

    @property
    def fits(self) -> bool:
        headroom = sum(b for _, b, where in self.buffers if where == "headroom")
        on_device = self.total - self.cpu_bytes + headroom <= self.device_memory or not self.device_memory
        in_ram = self.settings.cpu_memory is None or self.cpu_bytes <= self.settings.cpu_memory
        if self.layers_on_gpu is not None:  # llama.cpp: what does not fit on the GPU runs from CPU RAM
            return in_ram and on_device
        return self.total <= self.usable and on_device


def kv_bytes_per_token(config: Config, bits: int, mla_cache: str = "latent") -> int:
    """Bytes cached for one more token of one sequence, all layers that keep every token (a
    sliding-window layer's window is full past it; a recurrent state does not grow)."""
    cache = {16: "bf16", 8: "fp8"}.get(bits, "bf16")
    return sum(k.per_token for k in kvcache.layer_kinds(config, cache, mla_cache) if k.tokens_kept is None)


def activation_bytes_per_token(config: Config) -> int:
    """16-bit working set per token of prefill (the plain engine's activations, per token): the
    residual stream + the widest inner tensor (engines.inner_width)."""
    return 2 * (config.d_model + engines.inner_width(config))


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
                    f"infer is for models that generate tokens; {_a(config.architecture)} model does not "
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
    if s.kv_dtype is not None and s.kv_dtype not in ("f32", "f16", "fp16", "bf16", "fp8") and config.head_dim % 32:
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


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" or word in ("mlp", "ssm") else f"a {word}"  # by sound: an mlp


def _prefill_flops(report: Report, context: int, batch: int) -> int:
    """Forward FLOPs of prefilling `batch` sequences of `context` tokens (flops.py's conventions,
    the attention products causal)."""
    config = report.config.main_part
    return batch * context * forward_per_token(config, count_params(config).matmul, context, causal=True)


def _engine(s: InferSettings) -> engines.Engine:
    profile = engines.lookup(s.engine)
    if profile.name == "llama.cpp" and (s.n_gpu_layers is not None or s.n_cpu_moe):
        profile = engines.with_settings(profile, n_gpu_layers=s.n_gpu_layers, n_cpu_moe=s.n_cpu_moe)
    elif s.n_gpu_layers is not None or s.n_cpu_moe:
        raise SettingError([("engine", "n_gpu_layers and n_cpu_moe are llama.cpp's: give engine llama.cpp")])
    if s.attention == "auto":
        return profile
    if s.attention not in ("flash", "eager"):
        raise SettingError([("attention", f"must be auto, flash or eager, not {s.attention!r}")])
    if profile.name == "llama.cpp":  # -fa on / off: without it the KQ scores take a buffer of their own
        return engines.with_settings(profile, flash_attn=s.attention == "flash")
    if profile.name == "transformers":  # eager materialises the scores in prefill; sdpa does not
        return engines.with_settings(profile, attn_implementation="eager" if s.attention == "eager" else "sdpa")
    raise SettingError([("attention", f"{profile.name} always uses its fused kernels: leave attention auto")])


def estimate(report: Report, settings: InferSettings) -> InferEstimate:
    config = report.config.main_part
    warnings = check(settings, config)
    s = settings
    tp = s.gpus
    profile = _engine(s)
    context = s.context or (min(config.context, WORKING_CONTEXT) if config.context else WORKING_CONTEXT)
    fmt = formats.resolve(str(s.dtype))
    if s.kv_dtype is not None:
        kv_dtype = str(s.kv_dtype)
    else:
        kv_dtype = fmt if fmt in ("bf16", "fp16", "fp8") else "bf16"
    stored = formats.stored_weights(report, fmt, s.group_size) if s.stored_bytes is None else None
    total_bytes = stored.total if stored is not None else s.stored_bytes or 0
    weights = -(-total_bytes // tp)  # each GPU's share under tensor parallelism
    kinds = tuple(kvcache.layer_kinds(config, kv_dtype, s.mla_cache, tp))

    def kv_at(tokens: int, batch: int) -> int:
        """The cache of `batch` sequences of `tokens`, as the engine allocates it (blocks, pages)."""
        held = 0
        for kind in kinds:
            kept = tokens if kind.tokens_kept is None else min(tokens, kind.tokens_kept)
            held += engines.kv_allocation(profile, kept, batch, kind.per_token) + kind.fixed * batch
        return held

    def buffers_at(tokens: int, batch: int) -> dict[str, int]:
        found = engines.runtime_buffers(profile, config, tokens, batch, 2, device_memory=s.gpu.memory)
        return {name: -(-n // tp) for name, n in found.items()}

    def in_budget(found: dict[str, int]) -> int:
        return sum(n for name, n in found.items() if name not in profile.outside_budget and name not in profile.on_host)

    budget = (
        usable_bytes(s.gpu.memory, s.reserve) if profile.name == "plain" else engines.reserve(profile, s.gpu.memory)
    )

    def need(tokens: int, batch: int) -> int:
        return weights + kv_at(tokens, batch) + in_budget(buffers_at(tokens, batch))

    found = buffers_at(context, s.batch)
    kv_cache = kv_at(context, s.batch)
    activations = in_budget(found)
    low, high = 0, MAX_SEQ  # the longest context that fits at this batch (the need grows with it)
    while low < high:
        mid = (low + high + 1) // 2
        if need(mid, s.batch) <= budget:
            low = mid
        else:
            high = mid - 1
    max_context = low
    low, high = 0, MAX_BATCH  # the most sequences at this context
    while low < high:
        mid = (low + high + 1) // 2
        if need(context, mid) <= budget:
            low = mid
        else:
            high = mid - 1
    max_batch = low
    buffer_rows = tuple(
        (name, n, "host" if name in profile.on_host else "headroom" if name in profile.outside_budget else "budget")
        for name, n in found.items()
    )
    layers_on_gpu, cpu_bytes, partial = None, 0, False
    if profile.name == "llama.cpp":
        layers_on_gpu, cpu_bytes = _offload(report, profile, weights, kv_cache, budget - activations, s.batch)
        partial = layers_on_gpu <= config.layers
        if partial:
            warnings.append(
                f"llama.cpp offloads {layers_on_gpu} of {config.layers + 1} layers (-ngl, the output layer counted); "
                f"{cpu_bytes / 1e9:.3g} GB stay in CPU RAM" + ("" if s.cpu_memory else ": give cpu_memory to check it")
            )
    share = total_bytes / max(1, report.total)  # bytes per parameter as stored
    read = -(-int(weight_bytes_per_step(report, 8, s.batch) * share) // tp)
    step = read + kv_cache
    bound = None if s.gpu.bandwidth is None else s.batch * s.gpu.bandwidth / step
    result = InferEstimate(
        settings=s,
        context=context,
        kv_dtype=kv_dtype,
        weights=weights,
        kv_cache=kv_cache,
        activations=activations,
        kv_cache_bytes_per_token=sum(k.per_token for k in kinds if k.tokens_kept is None),
        usable=budget,
        max_context=max_context,
        max_batch=max_batch,
        decode_tokens_per_s_bound=bound,
        warnings=tuple(warnings),
        model_context=config.context,
        kinds=kinds,
        buffers=buffer_rows,
        stored=stored,
        layers_on_gpu=layers_on_gpu,
        cpu_bytes=cpu_bytes,
        device_memory=s.gpu.memory,
    )
    if not result.fits:
        return result
    peak = s.gpu.peak("fp8" if fmt in ("fp8", "fp8-block") else "bf16") or s.gpu.peak("bf16")
    prefill = _prefill_flops(report, context, s.batch) / (tp * peak * PREFILL_MFU) if peak else None
    decode = bound * DECODE_EFFICIENCY if bound is not None and not partial else None
    return result._replace(prefill_seconds=prefill, decode_tokens_per_s=decode)


def _offload(
    report: Report, profile: engines.Engine, weights: int, kv_cache: int, gpu_bytes: int, batch: int
) -> tuple[int, int]:
    """llama.cpp's -ngl placement: each repeating layer an equal share of the block weights and of
    the cache; the token embedding in CPU RAM; the output layer (the head, or the tied embedding's
    copy) last. The experts' share of a layer for --n-cpu-moe."""
    config = report.config.main_part
    layers = max(1, config.layers)
    comps = {c.name: c.params for c in report.components}
    per_param = weights / max(1, report.total)
    embedding = int(comps.get("token_embedding", 0) * per_param)
    head = int(comps.get("output_head", 0) * per_param) or embedding
    blocks = max(0, weights - embedding - int(comps.get("output_head", 0) * per_param))
    per_layer = [blocks // layers + kv_cache // layers] * layers
    experts = [int(comps.get("experts", 0) * per_param) // layers] * layers
    placed = engines.llama_cpp_offload(
        profile, per_layer, head, max(0, gpu_bytes), input_bytes=embedding, expert_bytes=experts
    )
    return placed.layers_on_gpu, placed.bytes_in_cpu


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
        "engine": s.engine,
        "weights_format": None
        if e.stored is None
        else {
            "format": s.dtype,
            "bits_per_weight": e.stored.bits_per_weight,
            "by_type": e.stored.by_type,
            "basis": e.stored.basis,
        },
        "buffers": [{"name": n, "bytes": b, "where": w} for n, b, w in e.buffers],
        "llama_cpp": None if e.layers_on_gpu is None else {"layers_on_gpu": e.layers_on_gpu, "cpu_bytes": e.cpu_bytes},
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
            "group_size": s.group_size,
            "cpu_memory": s.cpu_memory,
        },
        "warnings": list(e.warnings),
    }
