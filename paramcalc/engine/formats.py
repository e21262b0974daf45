"""Weight formats as they are stored: the bytes of every tensor of a model in a quantized format.

``stored_weights(report, fmt)`` walks the count's tensor families (``report.components``, each term
one family of identical tensors, e.g. layers x d_model x d_ff) and gives each the bytes its format
stores, scales and zeros included, exactly (ints). Which tensors a format leaves in higher
precision follows the tool that writes it:

- bf16, fp16, fp8, int8, int4: idealised, every parameter at that many bits (today's --dtype,
  unchanged: ``ceil(params x bits / 8)``), no scales.
- GGUF file types (q4_k_m, ...): llama-quantize's mix (paramcalc.engine.gguf_mix), each tensor's
  bytes ggml's blocks (paramcalc.weights.ggml); norms, biases, routers, position tables and other
  1-D tensors F32 as convert_hf_to_gguf.py writes them, other unquantized 2-D tensors F16.
- gptq-4bit, awq-4bit, nf4, bnb-int8, fp8-block, mxfp4: the linear layers of the blocks quantized as
  each library stores them; token embedding, output head, norms, biases (and routers for GPTQ,
  AWQ, fp8-block) 16-bit.

A composite's parts other than its language model (vision towers, projectors) stay 16-bit in every
quantized format (llama.cpp writes them to a separate mmproj file; GPTQ/AWQ/bnb quantize the
language model's linear layers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from paramcalc.engine.layout import BIAS
from paramcalc.engine.memory import DTYPE_BITS
from paramcalc.engine.report import Report
from paramcalc.errors import SettingError, suggest

DEFAULT_GROUP_SIZE = 128  # GPTQ's and AWQ's usual group size (AutoGPTQ / AutoAWQ defaults)

IDEAL_BITS: dict[str, int] = {name: DTYPE_BITS[name] for name in ("bf16", "fp16", "fp8", "int8", "int4")}

# llama.cpp file types, as --dtype spells them -> gguf_mix.FILE_TYPES
GGUF_NAMES: dict[str, str] = {
    "q8_0": "Q8_0",
    "q6_k": "Q6_K",
    "q5_k_m": "Q5_K_M",
    "q5_k_s": "Q5_K_S",
    "q5_1": "Q5_1",
    "q5_0": "Q5_0",
    "q4_k_m": "Q4_K_M",
    "q4_k_s": "Q4_K_S",
    "q4_1": "Q4_1",
    "q4_0": "Q4_0",
    "q3_k_l": "Q3_K_L",
    "q3_k_m": "Q3_K_M",
    "q3_k_s": "Q3_K_S",
    "q2_k": "Q2_K",
    "iq4_xs": "IQ4_XS",
    "iq4_nl": "IQ4_NL",
    "mxfp4_moe": "MXFP4_MOE",
}

_LLAMA_QUANT = "llama.cpp src/llama-quant.cpp llama_tensor_get_type (commit 007dbbf3)"

FORMATS: dict[str, str] = {
    "bf16": "idealised: 16 bits per parameter, no scales",
    "fp16": "idealised: 16 bits per parameter, no scales",
    "fp8": "idealised: 8 bits per parameter, no scales",
    "int8": "idealised: 8 bits per parameter, no scales",
    "int4": "idealised: 4 bits per parameter, no scales",
    **{
        name: f"GGUF {ftype}: llama-quantize's mix ({_LLAMA_QUANT}), ggml blocks (ggml-common.h)"
        for name, ftype in GGUF_NAMES.items()
    },
    "gptq-4bit": "GPTQ (AutoGPTQ/GPTQModel): int4 qweight packed in int32, per group of group_size inputs an "
    "fp16 scale and a 4-bit zero per output, an int32 g_idx per input; head, embedding, norms, routers fp16",
    "awq-4bit": "AWQ (AutoAWQ GEMM): int4 qweight packed in int32, per group of group_size inputs an fp16 scale "
    "and a 4-bit zero per output, no g_idx; head, embedding, norms, routers fp16",
    "nf4": "bitsandbytes 4-bit NF4 with double quantization (Linear4bit, blocksize 64): an 8-bit absmax per 64 "
    "weights, an fp32 scale per 256 absmax, per tensor a 16-value quant map and a 256-value nested map (fp32); "
    "head and embedding 16-bit",
    "bnb-int8": "bitsandbytes LLM.int8 (Linear8bitLt): int8 weights and an fp32 scale (SCB) per output row; "
    "head and embedding 16-bit",
    "fp8-block": "fp8 e4m3 weights and an fp32 scale (weight_scale_inv) per 128x128 block, as DeepSeek-V3 ships; "
    "head, embedding, norms, routers bf16",
    "mxfp4": "OCP MX FP4: e2m1 values and an E8M0 (8-bit) scale per 32 inputs, as gpt-oss ships: only the MoE "
    "experts (every linear layer of the blocks in a dense model), the rest bf16",
}

GROUPED = frozenset({"gptq-4bit", "awq-4bit"})

# The leading factor of a term that counts blocks (one tensor per block).
LAYER_FACTORS = frozenset(
    {"layers", "dense_layers", "moe_layers", "attention_blocks", "linear_blocks", "ssm_blocks"}
    | {"encoder_layers", "decoder_layers"}
)


class StoredTensor(NamedTuple):
    component: str
    part: str
    type: str  # how it is stored: "Q4_K", "F32", "gptq-4bit g128", "bf16", ...
    params: int
    bytes: int


class StoredWeights(NamedTuple):
    total: int  # bytes, exact
    by_type: dict[str, int]  # storage type -> bytes
    tensors: list[StoredTensor]  # (component, part, type, params, bytes), for --explain
    bits_per_weight: float  # total x 8 / parameters
    basis: str  # the rule in words, with its source


def resolve(fmt: str) -> str:
    """The accepted name of `fmt` (case-insensitive), or a SettingError listing the accepted ones."""
    name = fmt.strip().lower()
    if name in FORMATS:
        return name
    raise SettingError(
        [("dtype", f"unknown weight format '{fmt}'{suggest(name, FORMATS)}; accepted: {', '.join(FORMATS)}")]
    )


def _group_size(name: str, group_size: int | None) -> int:
    if group_size is None:
        return DEFAULT_GROUP_SIZE
    if name not in GROUPED:
        raise SettingError(
            [("group_size", f"{name} has no group size (only {' and '.join(sorted(GROUPED))} take one)")]
        )
    if group_size != -1 and group_size < 1:
        raise SettingError(
            [("group_size", f"{group_size} is not a group size: a positive number of inputs, or -1 for one group")]
        )
    return group_size


class _Tensor(NamedTuple):
    """One term, seen as stored: its tensors' count (per block, per expert), shape and role."""

    component: str
    kind: str  # the component's own name: "attention" of "decoder.attention"
    part: str
    term_count: int
    is_bias: bool
    matmul: bool
    n_tensors: int  # tensors in the term: blocks x experts (1 for a lone tensor)
    blocks: tuple[int, ...] | None  # the blocks the tensors belong to, in order (None: not per block)
    experts: int  # experts per block (1: not an expert tensor)
    rows: int  # input dimension (ne[0] in GGUF): the axis blocks and groups run along
    cols: int  # output dimension
    main: bool  # part of the language model (a composite's other parts stay 16-bit)
    moe: bool  # the model (its language model) has routed experts


def _block_indices(config: object, name: str, value: int) -> tuple[int, ...]:
    """Which blocks (from 0) a term's leading factor counts: MoE blocks after dense_layers with
    i % moe_every == moe_offset, attending blocks i % attention_every == attention_offset, ..."""
    layers: int = getattr(config, "layers", value)
    moe: list[int] = []
    if getattr(config, "is_moe", False):
        every, offset, dense = config.moe_every, config.moe_offset, config.dense_layers  # type: ignore[attr-defined]
        moe = [i for i in range(layers) if i >= dense and i % max(every, 1) == offset]
    every, offset = getattr(config, "attention_every", 1), getattr(config, "attention_offset", 0)
    attn = [i for i in range(layers) if every == 1 or (every > 1 and i % every == offset)]
    found: list[int] = {
        "moe_layers": moe,
        "dense_layers": [i for i in range(layers) if i not in set(moe)],
        "attention_blocks": attn,
        "linear_blocks": [i for i in range(layers) if i not in set(attn)],
        "ssm_blocks": [i for i in range(layers) if i not in set(attn)],
    }.get(name, [])
    return tuple(found) if len(found) == value else tuple(range(value))


def _tensors(report: Report) -> Iterator[_Tensor]:
    config = report.config
    main = config.main_part_name if config.parts else ""
    moe = config.main_part.is_moe
    for component in report.components:
        prefix, _, last = component.name.rpartition(".")
        in_main = not config.parts or prefix.split(".")[0] == main
        part_config = dict(config.parts).get(prefix.split(".")[0], config) if prefix else config.main_part
        for term in component.terms:
            factors = list(term.factors)
            blocks: tuple[int, ...] | None = None
            count = experts = 1
            if len(factors) > 1 and factors[0][0] in LAYER_FACTORS:
                name, value = factors.pop(0)
                blocks = _block_indices(part_config, name, value)
                count = value
            if len(factors) > 1 and factors[0][0] == "experts" and term.routed:
                experts = factors.pop(0)[1]
                count *= experts
            sizes = [v for _, v in factors]
            if term.matmul and len(sizes) >= 2:
                rows, cols = sizes[-2], sizes[-1]
            else:
                rows, cols = sizes[-1], 1
                for v in sizes[:-1]:
                    cols *= v
            yield _Tensor(
                component.name,
                last,
                term.part,
                term.count,
                term.kind == BIAS,
                term.matmul,
                count,
                blocks,
                experts,
                rows,
                cols,
                in_main,
                moe,
            )


def _spread(counts: list[int], bits: int) -> list[int]:
    """Bytes of consecutive runs of `bits`-bit numbers whose sum is ceil(total x bits / 8): each run
    ends where the rounded-up running total does (today's weight_bytes of the whole count)."""
    out, done, prev = [], 0, 0
    for n in counts:
        done += n
        upto = -(-done * bits // 8)
        out.append(upto - prev)
        prev = upto
    return out


def stored_weights(report: Report, fmt: str, group_size: int | None = None) -> StoredWeights:
    """The bytes of `report`'s weights stored in format `fmt` (one of FORMATS), tensor by tensor.

    group_size: GPTQ's and AWQ's inputs per scale (default 128; -1: one group per output column).
    """
    name = resolve(fmt)
    groups = _group_size(name, group_size)
    tensors = list(_tensors(report))
    rows: list[StoredTensor] = []
    by_type: dict[str, int] = {}
    if name in IDEAL_BITS:
        bits = IDEAL_BITS[name]
        for t, nbytes in zip(tensors, _spread([t.term_count for t in tensors], bits), strict=True):
            rows.append(StoredTensor(t.component, t.part, name, t.term_count, nbytes))
        basis = f"every parameter at {bits} bits, ceil(params x {bits} / 8) bytes; no scales (idealised)"
    elif name in GGUF_NAMES:
        from paramcalc.engine.formats_gguf import gguf_rows

        rows, basis = gguf_rows(report, tensors, GGUF_NAMES[name])
    else:
        from paramcalc.engine.formats_hf import hf_rows

        rows, basis = hf_rows(report, tensors, name, groups)
    for row in rows:
        by_type[row.type] = by_type.get(row.type, 0) + row.bytes
    total = sum(by_type.values())
    params = report.total
    return StoredWeights(total, by_type, rows, total * 8 / params if params else 0.0, basis)


# KV cache element types: llama.cpp's --cache-type-k/-v (common/arg.cpp kv_cache_types) and vLLM's fp8.
KV_TYPES: dict[str, str] = {
    "f32": "llama.cpp F32: 4 bytes",
    "f16": "16-bit: 2 bytes (llama.cpp's default)",
    "fp16": "16-bit: 2 bytes",
    "bf16": "16-bit: 2 bytes",
    "fp8": "8-bit (vLLM --kv-cache-dtype fp8, e4m3/e5m2): 1 byte, per-tensor scales not counted",
    "q8_0": "llama.cpp Q8_0: 32 int8 + an fp16 scale per block, 34 bytes per 32",
    "q5_1": "llama.cpp Q5_1: 22+2 bytes per 32",
    "q5_0": "llama.cpp Q5_0: 22 bytes per 32",
    "q4_1": "llama.cpp Q4_1: 20 bytes per 32",
    "q4_0": "llama.cpp Q4_0: 32 4-bit + an fp16 scale per block, 18 bytes per 32",
    "iq4_nl": "llama.cpp IQ4_NL: 18 bytes per 32",
}
_KV_GGML = {"q8_0": "Q8_0", "q5_1": "Q5_1", "q5_0": "Q5_0", "q4_1": "Q4_1", "q4_0": "Q4_0", "iq4_nl": "IQ4_NL"}
_KV_PLAIN = {"f32": 4, "f16": 2, "fp16": 2, "bf16": 2, "fp8": 1}


def kv_cache_types() -> dict[str, str]:
    """The KV cache element types kv_bytes accepts, each with its layout."""
    return dict(KV_TYPES)


def kv_bytes(elements: int, kv_type: str, head_dim: int | None = None) -> int:
    """Bytes of `elements` cached K or V numbers of `kv_type`. A block type (q8_0, q4_0, ...) stores
    whole blocks of 32 along the head dimension: each head_dim-long row rounds up to a whole number
    of blocks (without head_dim, the elements are one row)."""
    name = kv_type.strip().lower()
    if name in _KV_PLAIN:
        return elements * _KV_PLAIN[name]
    if name not in _KV_GGML:
        hint = suggest(name, KV_TYPES)
        raise SettingError([("kv_dtype", f"unknown KV cache type '{kv_type}'{hint}; accepted: {', '.join(KV_TYPES)}")])
    from paramcalc.weights.ggml import TYPES_BY_NAME

    t = TYPES_BY_NAME[_KV_GGML[name]]
    row = head_dim or elements
    if row <= 0:
        return 0
    rows = -(-elements // row)
    return rows * -(-row // t.block_size) * t.type_size
