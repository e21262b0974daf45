"""How many parameters a stored tensor stands for: quantized checkpoints unpacked, from names and shapes.

A quantized checkpoint stores a linear layer's weight packed (a GPTQ ``qweight`` int32 holds
32 / bits values) beside the numbers needed to unpack it (scales, zeros, indices, absmax, ...).
:func:`logical_params` gives each stored tensor the parameters it stands for: a packed weight
the parameters of the layer it was made from, its scales and zeros none (they are bytes, role
``quant``). Everything else is a plain tensor: its element count. The rules read names and shapes
only, never data, and each says where its layout comes from.

Each rule needs its whole signature (a ``qweight`` *and* its ``scales``; an ``SCB`` *beside* an
int8 ``weight``), so a model that happens to name a parameter ``scales`` is not mistaken for a
quantized one. Buffers a checkpoint stores (rotary ``inv_freq``, masks) are plain tensors here;
telling them apart is names.py's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from paramcalc.weights import Tensor

# roles
WEIGHT = "weight"  # parameters of the model (possibly packed)
QUANT = "quant"  # scales, zeros, indices, absmax, quant maps, serialized state: bytes, no parameters

# methods
PLAIN = "none"
GPTQ = "gptq"
AWQ = "awq"
BNB_4BIT = "bitsandbytes-4bit"
BNB_8BIT = "bitsandbytes-8bit"
FP8 = "fp8"
FP8_BLOCK = "fp8-block"
INT8 = "int8"
MXFP4 = "mxfp4"
CT_PACKED = "compressed-tensors-pack"
CT_NVFP4 = "compressed-tensors-nvfp4"

PACK_BITS = 32  # GPTQ, AWQ and compressed-tensors pack into int32
FP8_DTYPES = frozenset({"F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ"})
# What each quantized linear stores beside its packed weight, by method (suffixes of the module's name).
GPTQ_AWQ_SIDE = (".qzeros", ".scales", ".g_idx")
BNB_4BIT_SIDE = (".weight.absmax", ".weight.quant_map", ".weight.nested_absmax", ".weight.nested_quant_map")
BNB_4BIT_STATE = ".weight.quant_state.bitsandbytes__"  # + nf4 | fp4: the QuantState as JSON bytes
BNB_8BIT_SIDE = (".SCB", ".weight_format")
FP8_SIDE = (".weight_scale_inv", ".weight_scale", ".input_scale", ".input_scale_ub", ".weight_zero_point")
CT_SIDE = (
    ".weight_scale",
    ".weight_zero_point",
    ".weight_shape",
    ".weight_g_idx",
    ".weight_global_scale",
    ".input_global_scale",
    ".input_scale",
    ".input_zero_point",
)
KV_CACHE_SCALES = (".k_scale", ".v_scale")  # FP8 KV-cache scales on attention modules (compressed-tensors, vLLM)


class Stored(NamedTuple):
    """One stored tensor and what it stands for: `params` logical parameters (a packed weight
    unpacked; 0 for a scale), its `role` (WEIGHT or QUANT) and the `method` it was recognised as
    (PLAIN for an ordinary tensor)."""

    tensor: Tensor
    params: int
    role: str
    method: str


class Quantization(NamedTuple):
    """What a checkpoint says of its quantization: the method, the bits of a quantized weight,
    the group size (values per scale) or a block shape (FP8 blocks: [128, 128]), and where that
    came from ("config": its quantization_config; "tensors": inferred from shapes)."""

    method: str
    bits: int | None
    group_size: int | None
    block_size: tuple[int, ...] | None
    source: str


def _int(value: object) -> int | None:
    return value if type(value) is int and value > 0 else None


def _config_bits(config: Mapping[str, Any] | None) -> int | None:
    """bits of a GPTQ/AWQ/compressed-tensors quantization_config: `bits` (transformers' GPTQConfig,
    AwqConfig; gptqmodel's quantize_config.json), `w_bit` (AutoAWQ), or config_groups.*.weights.num_bits
    (compressed-tensors' QuantizationConfig)."""
    if not config:
        return None
    for key in ("bits", "w_bit"):
        if _int(config.get(key)):
            return _int(config.get(key))
    groups = config.get("config_groups")
    if isinstance(groups, Mapping):
        for group in groups.values():
            weights = group.get("weights") if isinstance(group, Mapping) else None
            if isinstance(weights, Mapping) and _int(weights.get("num_bits")):
                return _int(weights.get("num_bits"))
    return None


def _config_method(config: Mapping[str, Any] | None) -> str:
    method = config.get("quant_method") if config else None
    return method.lower() if isinstance(method, str) else ""


def _packed_bits(qweight: Tensor, by_name: Mapping[str, Tensor], prefix: str, config_bits: int | None) -> int:
    """GPTQ/AWQ bits: the config's, else from qzeros [groups, out*bits/32] beside scales [groups, out]."""
    if config_bits:
        return config_bits
    qzeros, scales = by_name.get(prefix + ".qzeros"), by_name.get(prefix + ".scales")
    if qzeros is not None and scales is not None and len(qzeros.shape) == len(scales.shape) == 2:
        packed, out = qzeros.shape[1], scales.shape[1]
        if out and (packed * PACK_BITS) % out == 0 and (packed * PACK_BITS) // out in (2, 3, 4, 8):
            return (packed * PACK_BITS) // out
    return 4  # the common case; stated by Quantization.source == "tensors"


def _qweight_params(qweight: Tensor, by_name: Mapping[str, Tensor], prefix: str, method: str, bits: int) -> int:
    """GPTQ (GPTQModel nn_modules/qlinear/__init__.py): qweight int32 [ceil(in*bits/32), out],
    g_idx [in]; params = in x out, `in` from g_idx where stored (exact), else rows*32/bits.
    AWQ (AutoAWQ awq/modules/linear/gemm.py, WQLinear_GEMM): qweight int32 [in, out/(32/bits)];
    params = in x cols*32/bits."""
    if len(qweight.shape) != 2:
        return qweight.numel * PACK_BITS // bits
    rows, cols = qweight.shape
    if method == GPTQ:
        g_idx = by_name.get(prefix + ".g_idx")
        in_features = g_idx.shape[0] if g_idx is not None and len(g_idx.shape) == 1 else rows * PACK_BITS // bits
        return in_features * cols
    return rows * (cols * PACK_BITS // bits)


def _gptq_or_awq(qweight: Tensor, by_name: Mapping[str, Tensor], prefix: str, config_method: str) -> str:
    """The config says which; else the layout does: GPTQ packs along `in` (qweight's columns are
    scales' columns, `out`), AWQ along `out`."""
    if config_method in (GPTQ, AWQ):
        return config_method
    scales = by_name.get(prefix + ".scales")
    if scales is not None and len(scales.shape) == 2 and len(qweight.shape) == 2:
        return GPTQ if qweight.shape[1] == scales.shape[1] else AWQ
    return GPTQ


def logical_params(tensors: list[Tensor], quantization_config: Mapping[str, Any] | None = None) -> list[Stored]:
    """Each stored tensor with the logical parameters it stands for, in the order given.

    `quantization_config` is the config.json's (or quantize_config.json's) object, when there is
    one: it gives GPTQ/AWQ/compressed-tensors bits; without it bits are inferred from shapes.
    """
    by_name = {t.name: t for t in tensors}
    config_method = _config_method(quantization_config)
    config_bits = _config_bits(quantization_config)
    has_fp8 = any(t.dtype in FP8_DTYPES for t in tensors)
    found: dict[str, tuple[int, str, str]] = {}  # name -> (params, role, method)

    def side(prefix: str, suffixes: tuple[str, ...], method: str) -> None:
        for suffix in suffixes:
            if prefix + suffix in by_name and prefix + suffix not in found:
                found[prefix + suffix] = (0, QUANT, method)

    for t in tensors:
        name = t.name
        if name.endswith(".qweight") and t.dtype == "I32":
            # GPTQ / AWQ: int32 words, each packing 32/bits values; qzeros, scales, g_idx alongside.
            prefix = name.removesuffix(".qweight")
            method = _gptq_or_awq(t, by_name, prefix, config_method)
            bits = _packed_bits(t, by_name, prefix, config_bits)
            found[name] = (_qweight_params(t, by_name, prefix, method, bits), WEIGHT, method)
            side(prefix, GPTQ_AWQ_SIDE, method)
        elif name.endswith("_blocks") and t.dtype == "U8" and len(t.shape) >= 2:
            # MXFP4 (gpt-oss; transformers integrations/mxfp4.py, convert_moe_packed_tensors): blocks
            # U8 [..., n_blocks, 16], two FP4 (E2M1) values a byte, 32 a block; scales U8 [..., n_blocks]
            # hold one E8M0 exponent a block. Unpacked: [..., n_blocks * 32] values.
            prefix = name.removesuffix("_blocks")
            scales = by_name.get(prefix + "_scales")
            if scales is not None and scales.dtype == "U8" and scales.shape == t.shape[:-1]:
                found[name] = (t.numel * 2, WEIGHT, MXFP4)
                found[prefix + "_scales"] = (0, QUANT, MXFP4)
        elif name.endswith(".weight_packed"):
            # compressed-tensors (compressors/quantized_compressors/pack_quantized.py): weight_packed
            # I32 [out, ceil(in / (32/bits))], weight_shape [2], weight_scale [out, in/group],
            # weight_zero_point [ceil(out / (32/bits)), in/group]. Exact when in is a multiple of
            # 32/bits (the true `in` is in weight_shape's data, which is never read).
            # nvfp4-pack-quantized (fp4_quantized.py): weight_packed U8 [out, in/2], two FP4 a byte.
            prefix = name.removesuffix(".weight_packed")
            if t.dtype == "I32":
                bits = config_bits or 4
                found[name] = (t.numel * (PACK_BITS // bits), WEIGHT, CT_PACKED)
                side(prefix, CT_SIDE, CT_PACKED)
            elif t.dtype == "U8":
                found[name] = (t.numel * 2, WEIGHT, CT_NVFP4)
                side(prefix, CT_SIDE, CT_NVFP4)
        elif name.endswith(".weight"):
            prefix = name.removesuffix(".weight")
            state = [s for s in ("nf4", "fp4") if name + ".quant_state.bitsandbytes__" + s in by_name]
            if state or name + ".absmax" in by_name:
                # bitsandbytes 4-bit (bitsandbytes/functional.py quantize_4bit, QuantState.as_dict(packed=True);
                # backends/cuda/ops.py): weight [ceil(n / (2 * itemsize)), 1] of the quant storage dtype
                # (U8 by default), two 4-bit values a byte: params = 2 x bytes (n is even for every linear).
                found[name] = (t.nbytes * 2, WEIGHT, BNB_4BIT)
                side(prefix, BNB_4BIT_SIDE, BNB_4BIT)
                for s in state:
                    found[name + ".quant_state.bitsandbytes__" + s] = (0, QUANT, BNB_4BIT)
            elif t.dtype == "I8" and prefix + ".SCB" in by_name:
                # bitsandbytes LLM.int8 (bitsandbytes/nn/modules.py, Linear8bitLt._save_to_state_dict):
                # weight I8 [out, in] as is, SCB F32 [out] row scales, weight_format U8 [] (always 0, "row").
                found[name] = (t.numel, WEIGHT, BNB_8BIT)
                side(prefix, BNB_8BIT_SIDE, BNB_8BIT)
            elif t.dtype in FP8_DTYPES:
                # FP8 weights are stored one value a byte: params = numel. DeepSeek-V3 block scales
                # (transformers integrations/finegrained_fp8.py): weight_scale_inv F32 [ceil(out/128),
                # ceil(in/128)]; per-tensor or per-channel FP8 (compressed-tensors float-quantized, FBGEMM):
                # weight_scale [] / [1] / [out, 1], input_scale, input_scale_ub.
                method = FP8_BLOCK if prefix + ".weight_scale_inv" in by_name else FP8
                found[name] = (t.numel, WEIGHT, method)
                side(prefix, FP8_SIDE, method)
            elif t.dtype == "I8" and prefix + ".weight_scale" in by_name:
                # compressed-tensors int-quantized / naive-quantized (naive_quantized.py): weight I8 as is,
                # weight_scale, weight_zero_point.
                found[name] = (t.numel, WEIGHT, INT8)
                side(prefix, CT_SIDE, INT8)
        elif has_fp8 and name.endswith(KV_CACHE_SCALES) and t.numel <= 1:
            found[name] = (0, QUANT, FP8)

    return [Stored(t, *found.get(t.name, (t.numel, WEIGHT, PLAIN))) for t in tensors]


def quantization(stored: list[Stored], quantization_config: Mapping[str, Any] | None = None) -> Quantization | None:
    """The checkpoint's quantization (method, bits, group or block size), from its quantization_config
    where it has one, else from what :func:`logical_params` recognised; None when nothing is quantized."""
    methods = {s.method for s in stored if s.method != PLAIN}
    config = quantization_config or {}
    if not methods and not config:
        return None
    if config:
        method = _config_method(config) or "unknown"
        bits = _config_bits(config)
        if bits is None:
            if config.get("load_in_4bit") or config.get("_load_in_4bit") or method == "mxfp4":
                bits = 4
            elif config.get("load_in_8bit") or config.get("_load_in_8bit") or method in ("fp8", "fbgemm_fp8"):
                bits = 8
        group = _int(config.get("group_size")) or _int(config.get("q_group_size"))
        groups = config.get("config_groups")
        if group is None and isinstance(groups, Mapping):
            for g in groups.values():
                weights = g.get("weights") if isinstance(g, Mapping) else None
                if isinstance(weights, Mapping) and _int(weights.get("group_size")):
                    group = _int(weights.get("group_size"))
                    break
        if group is None and method == "mxfp4":
            group = 32  # one E8M0 scale per 32 values (OCP MX spec; transformers integrations/mxfp4.py)
        block = config.get("weight_block_size")
        block_size = tuple(block) if isinstance(block, list) and all(_int(b) for b in block) else None
        return Quantization(method, bits, group, block_size, "config")
    method = sorted(methods)[0] if len(methods) == 1 else "+".join(sorted(methods))
    bits_of = {GPTQ: None, AWQ: None, BNB_4BIT: 4, BNB_8BIT: 8, FP8: 8, FP8_BLOCK: 8, INT8: 8, MXFP4: 4, CT_NVFP4: 4}
    bits, group = bits_of.get(method), 32 if method == MXFP4 else None
    if method in (GPTQ, AWQ):
        by_name = {s.tensor.name: s.tensor for s in stored}
        qweight = next(s.tensor for s in stored if s.tensor.name.endswith(".qweight"))
        prefix = qweight.name.removesuffix(".qweight")
        bits = _packed_bits(qweight, by_name, prefix, None)
        scales = by_name.get(prefix + ".scales")
        if scales is not None and len(scales.shape) == 2 and len(qweight.shape) == 2 and scales.shape[0]:
            # in / groups: GPTQ's `in` is params / out, AWQ's is qweight's rows
            in_features = _qweight_params(qweight, by_name, prefix, method, bits) // scales.shape[1]
            group = in_features // scales.shape[0] if in_features % scales.shape[0] == 0 else None
    return Quantization(method, bits, group, None, "tensors")
