"""Runtime engine profiles: what vLLM, SGLang, llama.cpp and transformers reserve, and how they allocate.

Each profile is a small frozen record of one runtime's defaults, citing the file (and commit) it was read
from; `plain` is paramcalc's own stated model (the numbers `infer` gives without an engine). Four pure
functions turn a profile into bytes, each saying its formula and source:

- reserve(profile, device_memory): the bytes the engine lets weights + KV cache (and the buffers it counts
  inside that budget) use on one device;
- kv_allocation(profile, tokens_per_seq, seqs, bytes_per_token): the KV cache as the engine allocates it
  (vLLM's 16-token blocks, SGLang's pages, llama.cpp's padded cells);
- runtime_buffers(profile, config, context, batch, dtype_bytes): the engine's own buffers by name
  (activation peak, compute buffer, logits, CUDA graphs); `profile.outside_budget` names the ones that come
  out of the headroom reserve() leaves, `profile.on_host` the ones in CPU RAM;
- llama_cpp_offload(profile, per_layer_bytes, output_bytes, gpu_bytes): llama.cpp's -ngl placement, how many
  layers fit on the GPU and what stays in CPU RAM.

Bytes are exact ints (GiB = 2**30, MiB = 2**20); fractions are read as the decimals they are typed as.
Nothing here imports torch or any engine: the profiles are data, read once from the sources below.

Sources (read 2026; each profile's `source` names its files):
- vLLM: vllm/config/cache.py (CacheConfig: DEFAULT_BLOCK_SIZE 16; gpu_memory_utilization 0.9, raised to
  0.92 by the stored snapshot at commit 002f10e0 - set it to match your version), vllm/v1/worker/gpu_worker.py
  at 35d5cda1 (determine_available_memory: KV = total x utilization - weights - profiled peak - non-torch;
  CUDA graphs captured afterwards, "memory_profiling does not consider CUDAGraph memory size"),
  vllm/engine/arg_utils.py at 99d7eb5d (V1 defaults: max_num_batched_tokens 8192 for the LLM class, 2048 for
  the OpenAI server, 16384 / 8192 on >= 70 GiB GPUs other than the A100; max_num_seqs 256, 1024 there).
- SGLang: python/sglang/srt/server_args.py ServerArgs._handle_gpu_memory_settings (PR #10975: the
  chunked_prefill_size and cuda_graph_max_bs buckets by GPU memory, reserved_mem and
  mem_fraction_static = round((gpu_mem - reserved_mem) / gpu_mem, 3)); model_runner.profile_max_num_token
  (KV = total x mem_fraction_static - what is in use, i.e. the weights); page_size 1.
- llama.cpp (ggml-org): common/common.h at 001d906a (n_ctx 0 = the model's, n_batch 2048, n_ubatch 512,
  n_gpu_layers -1 = fit to free memory with a 1 GiB margin per device, flash_attn auto, cache types f16,
  llm_ffn_exps_block_regex for --n-cpu-moe); src/llama-model.cpp load_tensors at 00342301 (layer placement:
  i_gpu_start = max(n_layer - n_gpu_layers, 0), the input layer always on the CPU, the output layer is
  "layer" n_layer); src/llama-kv-cache.cpp get_padding (256 cells with flash attention, else 32).
- transformers: src/transformers/models/llama/modeling_llama.py at 00227283 (eager attention:
  matmul(q, k^T) in the query dtype, softmax in fp32, cast back); the default attn_implementation is sdpa,
  which holds no scores; DynamicCache grows with the tokens (no preallocation).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from paramcalc.errors import SettingError, suggest

if TYPE_CHECKING:
    from paramcalc.config import Config

MiB = 2**20
GiB = 2**30
FP32 = 4  # bytes: logits and softmax are upcast to fp32 by every engine here


@dataclasses.dataclass(frozen=True)
class Engine:
    """One runtime's memory defaults. Fields an engine does not have keep their neutral default."""

    name: str
    label: str
    source: str
    basis: str  # one line for --explain: how this engine budgets memory
    memory_fraction: str | None = None  # of device memory, as typed ("0.9"); None: a rule (sglang) or all
    kv_block: int = 1  # tokens per KV block / page, rounded up per sequence
    kv_pad: int = 1  # llama.cpp: the whole cache's cells rounded up to this
    # vLLM
    max_num_batched_tokens: int | None = None
    max_num_seqs: int | None = None
    cuda_graph_bytes: int = 0
    # SGLang (None: its rule by device memory)
    chunked_prefill_size: int | None = None
    cuda_graph_max_bs: int | None = None
    tp: int = 1
    pp: int = 1
    # llama.cpp
    n_batch: int = 2048
    n_ubatch: int = 512
    flash_attn: bool = True
    n_cpu_moe: int = 0
    n_gpu_layers: int | None = None  # None: -ngl auto (fit to memory), else the -ngl given
    output_first: bool = False  # later trees' i_gpu_start = n_layer + 1 - ngl: the output layer goes first
    fit_margin: int = 0
    # transformers
    attn_implementation: str = "sdpa"
    outside_budget: frozenset[str] = frozenset()
    on_host: frozenset[str] = frozenset()


PLAIN = Engine(
    name="plain",
    label="paramcalc's plain model",
    source="paramcalc/engine/inference.py (stated, not a runtime)",
    basis="usable = memory x (1 - reserve 0.1); KV exact per token; prefill of the whole context at once with "
    "flash attention: batch x context x (d_model + widest inner activation) x bytes, + fp32 logits of the last "
    "position",
    memory_fraction="0.9",
)
VLLM = Engine(
    name="vllm",
    label="vLLM (V1 engine)",
    source="vllm-project/vllm: vllm/config/cache.py (block_size 16, gpu_memory_utilization 0.9; 0.92 at 002f10e0), "
    "vllm/v1/worker/gpu_worker.py@35d5cda1 determine_available_memory, vllm/engine/arg_utils.py@99d7eb5d "
    "(max_num_batched_tokens 8192, max_num_seqs 256 for the LLM class on GPUs under 70 GiB)",
    basis="budget = memory x gpu_memory_utilization for weights + KV + the profile run's peak at "
    "max_num_batched_tokens; KV in 16-token blocks; CUDA graphs are captured afterwards, out of the rest",
    memory_fraction="0.9",
    kv_block=16,
    max_num_batched_tokens=8192,
    max_num_seqs=256,
    cuda_graph_bytes=512 * MiB,
    outside_budget=frozenset({"cuda_graphs"}),
)
SGLANG = Engine(
    name="sglang",
    label="SGLang",
    source="sgl-project/sglang: python/sglang/srt/server_args.py ServerArgs._handle_gpu_memory_settings (PR #10975), "
    "model_runner.profile_max_num_token; page_size 1",
    basis="budget = memory x mem_fraction_static for weights + KV, mem_fraction_static = (gpu_mem - reserved) / "
    "gpu_mem with reserved = 512 MiB + 1.5 MiB x max(chunked_prefill_size, 2048) + 2 MiB x cuda_graph_max_bs "
    "+ tp x pp / 8 GiB (at least 10 GiB above 60 GiB); KV per token (page size 1)",
    outside_budget=frozenset({"metadata", "prefill_activations", "cuda_graphs", "parallel", "floor"}),
)
LLAMA_CPP = Engine(
    name="llama.cpp",
    label="llama.cpp",
    source="ggml-org/llama.cpp: common/common.h@001d906a (n_ctx from the model, n_batch 2048, n_ubatch 512, "
    "-ngl auto with a 1 GiB margin, flash_attn auto), src/llama-model.cpp@00342301 load_tensors (layer "
    "placement), src/llama-kv-cache.cpp get_padding",
    basis="-ngl N puts the last N layers on the GPU (the output layer at N = n_layer + 1, the token embeddings "
    "never); KV for n_ctx cells, padded to 256 (flash attention) or 32; a compute buffer for one n_ubatch; "
    "logits for n_seq_max outputs in host memory; auto -ngl leaves 1 GiB free",
    kv_pad=256,
    fit_margin=GiB,
    on_host=frozenset({"output_buffer"}),
)
TRANSFORMERS = Engine(
    name="transformers",
    label="Hugging Face transformers (generate)",
    source="huggingface/transformers: src/transformers/models/llama/modeling_llama.py@00227283 (eager attention), "
    "DynamicCache; attn_implementation sdpa by default",
    basis="no preallocation: weights, a cache that grows per token, and the prefill's tensors; eager attention "
    "holds batch x heads x context^2 scores (the dtype, their fp32 softmax and its cast back), sdpa none",
)
ENGINES: dict[str, Engine] = {e.name: e for e in (PLAIN, VLLM, SGLANG, LLAMA_CPP, TRANSFORMERS)}

# --explain: each runtime_buffers() term's formula and source
TERM_BASIS: dict[str, str] = {
    "activations": "batch x context x (d_model + widest inner activation) x dtype bytes (the whole prompt at once)",
    "logits": "batch x vocab x fp32 for the last position (plain); transformers: x (dtype + fp32), the logits "
    "and generate's fp32 copy (logits_to_keep = 1)",
    "activation_peak": "vLLM's profile run: max_num_batched_tokens x (d_model + widest inner activation) x dtype "
    "bytes (chunked prefill caps every step at that many tokens)",
    "sampler_logits": "vLLM's profile run samples min(max_num_seqs, max_num_batched_tokens) rows: x vocab x "
    "(dtype + fp32)",
    "cuda_graphs": "vLLM: an allowance (512 MiB; its log 'Graph capturing finished ... took X GiB' is the "
    "measurement), outside gpu_memory_utilization; SGLang: 2 MiB x cuda_graph_max_bs (its own estimate)",
    "metadata": "SGLang: 512 MiB of attention-backend metadata (its own estimate)",
    "prefill_activations": "SGLang: 1.5 MiB x max(chunked_prefill_size, 2048) (its own estimate)",
    "parallel": "SGLang: tp x pp / 8 x 1 GiB (its own estimate)",
    "floor": "SGLang: what raises the reserve to 10 GiB on GPUs above 60 GiB",
    "compute_buffer": "llama.cpp, one n_ubatch u of tokens: max(KQ scores heads x u x n_kv x 4 without flash "
    "attention, FFN u x d_ff (x2 gated) x 4, logits u x vocab x 4) + residual 2 x u x d_model x 4 (ggml-alloc "
    "reuses memory, so the largest live tensor sets it)",
    "output_buffer": "llama.cpp: vocab x n_seq_max x 4 bytes of logits in pinned host memory (output_reserve)",
    "attention_scores": "transformers eager: batch x heads x context^2 x (2 x dtype + 4): the scores, their fp32 "
    "softmax and its cast back live together",
}

SETTINGS = tuple(f.name for f in dataclasses.fields(Engine) if f.name not in ("name", "label", "source", "basis"))


def lookup(name: str) -> Engine:
    """A profile by name (`llamacpp`, `llama-cpp` and `hf` also answer); SettingError naming `engine`."""
    key = name.strip().lower().replace("_", "-")
    key = {"llamacpp": "llama.cpp", "llama-cpp": "llama.cpp", "hf": "transformers"}.get(key, key)
    if key in ENGINES:
        return ENGINES[key]
    hint = suggest(key, ENGINES) or f"; one of: {', '.join(ENGINES)}"
    raise SettingError([("engine", f"unknown engine '{name}'{hint}")])


def _fraction_in_range(value: object) -> bool:
    try:
        return 0 < Fraction(str(value)) <= 1
    except (ValueError, ZeroDivisionError):
        return False


def with_settings(profile: Engine, **settings: Any) -> Engine:
    """The profile with some defaults replaced (gpu_memory_utilization as memory_fraction, n_ubatch, ...);
    every problem at once, as a SettingError naming each setting."""
    problems: list[tuple[str, str]] = []
    for key, value in settings.items():
        if key not in SETTINGS:
            problems.append((key, f"not a setting of an engine{suggest(key, SETTINGS)}"))
        elif key == "memory_fraction" and not _fraction_in_range(value):
            problems.append((key, f"{value} is out of range: above 0, at most 1"))
        elif key in ("kv_block", "kv_pad", "n_batch", "n_ubatch", "tp", "pp") and not (
            isinstance(value, int) and value >= 1
        ):
            problems.append((key, f"{value!r} must be a whole number, at least 1"))
        elif key == "attn_implementation" and value not in ("sdpa", "eager"):
            problems.append((key, f"'{value}' is not sdpa or eager"))
        elif key in ("n_cpu_moe", "cuda_graph_bytes", "fit_margin") and not (isinstance(value, int) and value >= 0):
            problems.append((key, f"{value!r} must be a whole number, at least 0"))
        elif key == "n_gpu_layers" and value is not None and not (isinstance(value, int) and value >= 0):
            problems.append((key, f"{value!r} must be a whole number of layers, at least 0 (leave it out for auto)"))
    if problems:
        raise SettingError(problems)
    if "memory_fraction" in settings:  # kept as the decimal typed: 0.85 is 85/100, not the float near it
        settings["memory_fraction"] = str(settings["memory_fraction"])
    return dataclasses.replace(profile, **settings)


# reserve ----------------------------------------------------------------------------------------


def _fraction_of(memory: int, fraction: str) -> int:
    f = Fraction(fraction)
    return memory * f.numerator // f.denominator


def sglang_defaults(profile: Engine, device_memory: int) -> tuple[int, int]:
    """SGLang's (chunked_prefill_size, cuda_graph_max_bs) for a GPU of device_memory bytes, unless the profile
    sets them: server_args.py's buckets by gpu_mem in MiB (T4 / 4080, A10 / 4090 / 5090, A100-40GB / L40,
    H100 / A100, H20 / H200, B200 / MI300); the smaller cuda_graph_max_bs below tp 4."""
    gpu_mem = device_memory / MiB
    small_tp = profile.tp < 4
    if gpu_mem < 20 * 1024:
        chunk, graphs = 2048, 8
    elif gpu_mem < 35 * 1024:
        chunk, graphs = 2048, 24 if small_tp else 80
    elif gpu_mem < 60 * 1024:
        chunk, graphs = 4096, 32 if small_tp else 160
    elif gpu_mem < 160 * 1024:  # the <90 GiB (H100, A100) and <160 GiB (H20, H200) buckets agree
        chunk, graphs = 8192, 256 if small_tp else 512
    else:
        chunk, graphs = 16384, 512
    chunk = chunk if profile.chunked_prefill_size is None else profile.chunked_prefill_size
    graphs = graphs if profile.cuda_graph_max_bs is None else profile.cuda_graph_max_bs
    return chunk, graphs


def _sglang_reserved_mib(profile: Engine, device_memory: int) -> dict[str, Fraction]:
    """SGLang's reserved_mem terms, in MiB (server_args.py: without DP attention or speculative decoding)."""
    chunk, graphs = sglang_defaults(profile, device_memory)
    terms = {
        "metadata": Fraction(512),
        "prefill_activations": Fraction(max(chunk, 2048)) * Fraction(3, 2),
        "cuda_graphs": Fraction(graphs * 2),
        "parallel": Fraction(profile.tp * profile.pp * 1024, 8),
    }
    total = sum(terms.values(), Fraction(0))
    gpu_mem = Fraction(device_memory, MiB)
    terms["floor"] = max(Fraction(0), 10 * 1024 - total) if gpu_mem > 60 * 1024 else Fraction(0)
    return terms


def mem_fraction_static(profile: Engine, device_memory: int) -> Fraction:
    """SGLang's default: round((gpu_mem - reserved_mem) / gpu_mem, 3), gpu_mem in MiB, as the decimal it
    rounds to (0.858, not the float near it); the profile's memory_fraction when set."""
    if profile.memory_fraction is not None:
        return Fraction(profile.memory_fraction)
    gpu_mem = device_memory / MiB
    reserved = float(sum(_sglang_reserved_mib(profile, device_memory).values(), Fraction(0)))
    return Fraction(str(round((gpu_mem - reserved) / gpu_mem, 3)))


def reserve(profile: Engine, device_memory: int) -> int:
    """Bytes of one device the engine lets weights + KV cache use (and, for vLLM and llama.cpp, the buffers
    it counts in that budget: everything in runtime_buffers() not in profile.outside_budget or on_host).

    - plain: memory x 0.9 (infer's --reserve 0.1);
    - vllm: memory x gpu_memory_utilization (0.9): requested_memory in gpu_worker.py; the KV cache gets it
      less the weights, the profile run's peak and non-torch memory (NCCL, cuBLAS workspaces);
    - sglang: memory x mem_fraction_static (its rule above): model_runner's KV pool is that less the
      weights; the activations and CUDA graphs live in the rest;
    - llama.cpp: memory less the 1 GiB auto -ngl leaves free per device (common.h fit_params_target); an
      explicit -ngl leaves nothing, so set fit_margin 0 with n_gpu_layers;
    - transformers: all of it (no preallocation; PyTorch's caching allocator takes what the tensors need).
    """
    if device_memory < 0:
        raise SettingError([("gpu_memory", f"{device_memory} bytes is negative")])
    if profile.name == "sglang":
        f = mem_fraction_static(profile, device_memory)
        return device_memory * f.numerator // f.denominator
    if profile.memory_fraction is not None:
        return _fraction_of(device_memory, profile.memory_fraction)
    return max(0, device_memory - profile.fit_margin)


# KV allocation -----------------------------------------------------------------------------------


def kv_allocation(profile: Engine, tokens_per_seq: int, seqs: int, bytes_per_token: int) -> int:
    """The KV cache as the engine allocates it, for `seqs` sequences of `tokens_per_seq` tokens at
    `bytes_per_token` (all layers):

    - vllm: each sequence holds ceil(tokens / 16) blocks of 16 tokens (block_size; a partly filled block is
      allocated whole): seqs x ceil(tokens / 16) x 16 x bytes_per_token;
    - sglang: pages of page_size 1 token: exact;
    - llama.cpp: n_ctx = tokens x seqs cells (-np seqs share -c), padded to 256 with flash attention or 32
      without (llama_kv_cache::get_padding), all allocated at start;
    - transformers, plain: exact (DynamicCache grows with the tokens).
    Returns bytes.
    """
    for setting, value in (("context", tokens_per_seq), ("batch", seqs), ("kv_bytes_per_token", bytes_per_token)):
        if value < 0:
            raise SettingError([(setting, f"{value} is negative")])
    block = profile.kv_block
    cells = seqs * (-(-tokens_per_seq // block) * block)
    pad = (256 if profile.flash_attn else 32) if profile.kv_pad > 1 else 1
    cells = -(-cells // pad) * pad
    return cells * bytes_per_token


# runtime buffers ---------------------------------------------------------------------------------


def inner_width(config: Config) -> int:
    """The widest tensor a layer computes per token: the (gated) FFN's hidden, or q + k + v."""
    inner = config.expert_d_ff * config.experts_per_token if config.is_moe else config.d_ff
    return max(
        inner * (2 if config.is_gated else 1), config.heads * config.qk_head_dim + 2 * config.kv_heads * config.head_dim
    )


def runtime_buffers(
    profile: Engine, config: Config, context: int, batch: int, dtype_bytes: int, *, device_memory: int | None = None
) -> dict[str, int]:
    """The engine's own buffers on one device (and in host memory: profile.on_host), by name, in bytes.
    Each term's formula is TERM_BASIS[name]; width = d_model + inner_width(config).

    - plain: activations = batch x context x width x dtype_bytes; logits = batch x vocab x 4;
    - vllm: activation_peak = max_num_batched_tokens x width x dtype_bytes (the profile run: chunked prefill
      never runs more tokens at once, whatever the context); sampler_logits = min(max_num_seqs,
      max_num_batched_tokens) x vocab x (dtype_bytes + 4); cuda_graphs = the profile's allowance, outside
      gpu_memory_utilization;
    - sglang: its own reserved_mem terms (metadata, prefill_activations, cuda_graphs, parallel, floor), which
      need device_memory for its buckets; all outside the mem_fraction_static budget;
    - llama.cpp: compute_buffer for one ubatch u = min(n_ubatch, n_batch, batch x context) (see TERM_BASIS),
      KQ over n_kv = context cells when flash attention is off; output_buffer = vocab x batch x 4 in host
      memory (n_seq_max = batch);
    - transformers: activations as plain (the whole prompt in one forward), logits = batch x vocab x
      (dtype_bytes + 4), and with attn_implementation eager, attention_scores = batch x heads x context^2 x
      (2 x dtype_bytes + 4).
    """
    width = config.d_model + inner_width(config)
    if profile.name == "vllm":
        tokens = profile.max_num_batched_tokens or 0
        rows = min(profile.max_num_seqs or 0, tokens)
        return {
            "activation_peak": tokens * width * dtype_bytes,
            "sampler_logits": rows * config.vocab * (dtype_bytes + FP32),
            "cuda_graphs": profile.cuda_graph_bytes,
        }
    if profile.name == "sglang":
        if device_memory is None and (profile.chunked_prefill_size is None or profile.cuda_graph_max_bs is None):
            raise SettingError([("gpu_memory", "SGLang's defaults depend on the device's memory: give it")])
        terms = _sglang_reserved_mib(profile, device_memory or 0)
        return {name: int(mib * MiB) for name, mib in terms.items()}
    if profile.name == "llama.cpp":
        u = min(profile.n_ubatch, profile.n_batch, max(1, batch * context))
        inner = config.expert_d_ff * config.experts_per_token if config.is_moe else config.d_ff
        kq = 0 if profile.flash_attn else config.heads * u * context * FP32
        ffn = u * inner * (2 if config.is_gated else 1) * FP32
        logits = u * config.vocab * FP32
        return {
            "compute_buffer": max(kq, ffn, logits) + 2 * u * config.d_model * FP32,
            "output_buffer": config.vocab * batch * FP32,
        }
    activations = batch * context * width * dtype_bytes
    if profile.name == "transformers":
        buffers = {"activations": activations, "logits": batch * config.vocab * (dtype_bytes + FP32)}
        if profile.attn_implementation == "eager":
            buffers["attention_scores"] = batch * config.heads * context * context * (2 * dtype_bytes + FP32)
        return buffers
    return {"activations": activations, "logits": batch * config.vocab * FP32}


# llama.cpp offload -------------------------------------------------------------------------------


class Offload(NamedTuple):
    layers_on_gpu: int  # the -ngl value, counting the output layer as llama.cpp does: n_layer + 1 is all
    bytes_in_cpu: int  # weights (and whatever per_layer_bytes holds) left in CPU RAM


def _placement(profile: Engine, n_layer: int, ngl: int) -> tuple[set[int], bool]:
    """(repeating layers on the GPU, output layer on the GPU) for -ngl ngl: load_tensors' slots 0..n_layer,
    slot n_layer the output layer. At 00342301 i_gpu_start = max(n_layer - ngl, 0) and at most ngl slots, so
    -ngl k <= n_layer is the last k layers and the output joins at n_layer + 1; later trees
    (output_first) use max(n_layer + 1 - ngl, 0): the output layer first, then layers from the top."""
    ngl = max(0, min(ngl, n_layer + 1))
    start = max(n_layer + 1 - ngl, 0) if profile.output_first else max(n_layer - ngl, 0)
    slots = {s for s in range(start, n_layer + 1) if s - start < ngl}
    return {s for s in slots if s < n_layer}, n_layer in slots


def llama_cpp_offload(
    profile: Engine,
    per_layer_bytes: list[int],
    output_bytes: int,
    gpu_bytes: int,
    *,
    input_bytes: int = 0,
    expert_bytes: list[int] | None = None,
) -> Offload:
    """llama.cpp's -ngl: how many layers fit in gpu_bytes, and what stays in CPU RAM.

    per_layer_bytes[i]: layer i's weights on its device, with its K/V cache (llama.cpp keeps a layer's
    cache with the layer: offload_kqv on by default); output_bytes: the output norm and lm_head;
    input_bytes: the token embeddings, always in CPU RAM ("very little benefit to offloading the input
    layer"). With n_cpu_moe N, the experts of layers 0..N-1 (expert_bytes[i], part of per_layer_bytes[i])
    stay in CPU RAM even on an offloaded layer (--n-cpu-moe: blk.i.ffn_(up|down|gate)_exps overridden to
    the CPU buffer). profile.n_gpu_layers given: that placement; None (auto): the largest -ngl whose GPU
    share fits gpu_bytes (llama.cpp's fit also shrinks n_ctx, which this leaves to the caller).
    """
    n_layer = len(per_layer_bytes)
    if any(b < 0 for b in per_layer_bytes) or min(output_bytes, gpu_bytes, input_bytes) < 0:
        raise SettingError([("gpu_memory", "layer, output and GPU bytes must not be negative")])
    experts = expert_bytes or [0] * n_layer
    if len(experts) != n_layer:
        raise SettingError([("n_cpu_moe", f"expert_bytes has {len(experts)} layers, per_layer_bytes {n_layer}")])
    kept = [experts[i] if i < profile.n_cpu_moe else 0 for i in range(n_layer)]
    total = sum(per_layer_bytes) + output_bytes + input_bytes

    def on_gpu(ngl: int) -> int:
        layers, output = _placement(profile, n_layer, ngl)
        return sum(per_layer_bytes[i] - kept[i] for i in layers) + (output_bytes if output else 0)

    if profile.n_gpu_layers is not None:
        ngl = max(0, min(profile.n_gpu_layers, n_layer + 1))
    else:
        ngl = max((k for k in range(n_layer + 2) if on_gpu(k) <= gpu_bytes), default=0)
    return Offload(ngl, total - on_gpu(ngl))
