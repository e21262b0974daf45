"""Quantized Hugging Face checkpoints: GPTQ, AWQ, bitsandbytes (nf4, LLM.int8), fp8-block, mxfp4.

Each quantizes the linear layers of the transformer blocks, tensor by tensor; a linear layer of K
inputs and N outputs stores (the same layouts paramcalc.weights.quant reads back):

- gptq-4bit (AutoGPTQ/GPTQModel ``QuantLinear``): qweight int32 [K*4/32, N], qzeros int32
  [G, N*4/32], scales fp16 [G, N], g_idx int32 [K], with G = ceil(K / group_size) groups (1 for
  group_size -1). The output head, embeddings, norms and MoE routers stay fp16 (AutoGPTQ's
  ``inside_layer_modules`` list only attention, MLP and expert projections).
- awq-4bit (AutoAWQ ``WQLinear_GEMM``): qweight int32 [K, N*4/32], qzeros int32 [G, N*4/32],
  scales fp16 [G, N]; no g_idx. Same modules as GPTQ.
- nf4 (bitsandbytes ``Linear4bit``, ``bnb_4bit_use_double_quant``): the weight packed two per
  byte; its absmax per block of 64 quantized to uint8 (blockwise, blocksize 256) with an fp32
  absmax per 256 blocks; per tensor the 16-value NF4 quant map and the 256-value nested code
  (fp32) (bitsandbytes functional.quantize_4bit, QuantState.as_dict). The JSON blob of the
  remaining scalars (quant_state.bitsandbytes__nf4, ~200 bytes a tensor) is not counted. Every
  nn.Linear of the blocks, routers included; the head is skipped (transformers'
  get_keys_to_not_convert), embeddings are not linear layers.
- bnb-int8 (bitsandbytes ``Linear8bitLt``, LLM.int8, Dettmers et al. 2022): int8 [N, K] + SCB,
  an fp32 absmax per output row [N]. Same modules as nf4.
- fp8-block (DeepSeek-V3's ``weight_block_size: [128, 128]``): e4m3 [N, K] + weight_scale_inv,
  fp32 [ceil(N/128), ceil(K/128)]. Embedding, head, norms and the MoE router (``mlp.gate``) bf16.
- mxfp4 (OCP Microscaling Formats v1.0, MXFP4; gpt-oss's checkpoint): per 32 inputs 16 bytes of
  e2m1 pairs (``*_blocks``) and one E8M0 scale (``*_scales``). Only the routed experts (a dense
  model: every linear layer of its blocks); everything else bf16, expert biases included.

Everything not quantized is 16-bit (fp16 for GPTQ/AWQ, which store fp16; bf16 for the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paramcalc.engine.report import Report

if TYPE_CHECKING:
    from paramcalc.engine.formats import StoredTensor, _Tensor

ROUTER_PARTS = frozenset({"router", "shared_gate"})  # MoE gates: GPTQ/AWQ/fp8-block leave them 16-bit
NOT_LINEAR = frozenset({"conv1d"})  # Mamba's depthwise conv is an nn.Conv1d, no quantizer's linear layer

NF4_BLOCK = 64  # bitsandbytes Linear4bit's default blocksize
NESTED_BLOCK = 256  # double quantization: the absmax quantized blockwise in blocks of 256
NF4_MAPS = 16 * 4 + 256 * 4  # quant_map (16 fp32 NF4 levels) + nested_quant_map (256 fp32 code) per tensor
FP8_BLOCK = 128
MX_BLOCK = 32


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _linear(t: _Tensor, name: str) -> bool:
    """Whether `name` quantizes this tensor family."""
    if t.is_bias or not t.main or not t.matmul or t.blocks is None or t.part in NOT_LINEAR:
        return False
    if name == "mxfp4":
        return t.experts > 1 or not t.moe
    if name in ("gptq-4bit", "awq-4bit", "fp8-block"):
        return t.part not in ROUTER_PARTS
    return True  # bitsandbytes replaces every nn.Linear but the head


def _linear_bytes(name: str, k: int, n: int, group: int) -> list[tuple[str, int, bool]]:
    """(storage type, bytes, holds the parameters) of one K-input, N-output linear layer."""
    g = 1 if group == -1 else _ceil(k, group)
    if name == "gptq-4bit":
        return [
            ("int4", _ceil(k * 4, 32) * 4 * n, True),
            ("int4 zeros", g * _ceil(n * 4, 32) * 4, False),
            ("fp16 scales", g * n * 2, False),
            ("int32 g_idx", k * 4, False),
        ]
    if name == "awq-4bit":
        return [
            ("int4", k * _ceil(n * 4, 32) * 4, True),
            ("int4 zeros", g * _ceil(n * 4, 32) * 4, False),
            ("fp16 scales", g * n * 2, False),
        ]
    numel = k * n
    if name == "nf4":
        blocks = _ceil(numel, NF4_BLOCK)
        return [
            ("nf4", _ceil(numel, 2), True),
            ("uint8 absmax", blocks, False),
            ("fp32 nested absmax", _ceil(blocks, NESTED_BLOCK) * 4, False),
            ("fp32 quant maps", NF4_MAPS, False),
        ]
    if name == "bnb-int8":
        return [("int8", numel, True), ("fp32 row scales", n * 4, False)]
    if name == "fp8-block":
        return [("e4m3", numel, True), ("fp32 block scales", _ceil(n, FP8_BLOCK) * _ceil(k, FP8_BLOCK) * 4, False)]
    blocks = n * _ceil(k, MX_BLOCK)  # mxfp4: blocks of 32 along the inputs
    return [("e2m1", blocks * MX_BLOCK // 2, True), ("e8m0 scales", blocks, False)]


BASIS = {
    "gptq-4bit": "GPTQ 4-bit, group size {g}: per linear layer of the blocks qweight K*N/2 + qzeros G*N/2 + "
    "fp16 scales G*N*2 + int32 g_idx K*4 bytes (G = ceil(K/{g})), AutoGPTQ QuantLinear; head, embedding, "
    "norms, biases, routers fp16",
    "awq-4bit": "AWQ 4-bit GEMM, group size {g}: per linear layer of the blocks qweight K*N/2 + qzeros G*N/2 + "
    "fp16 scales G*N*2 bytes (G = ceil(K/{g})), AutoAWQ WQLinear_GEMM; head, embedding, norms, biases, "
    "routers fp16",
    "nf4": "bitsandbytes NF4, double quantization: per linear layer n/2 + ceil(n/64) uint8 absmax + "
    "4*ceil(n/64/256) fp32 + 1088 bytes of quant maps (bitsandbytes quantize_4bit, blocksize 64); head, "
    "embedding, norms, biases bf16",
    "bnb-int8": "bitsandbytes LLM.int8: per linear layer K*N int8 + an fp32 scale per output row (SCB); "
    "head, embedding, norms, biases bf16",
    "fp8-block": "fp8 e4m3 + an fp32 scale per 128x128 block (DeepSeek-V3 weight_block_size [128, 128]); "
    "head, embedding, norms, biases, routers bf16",
    "mxfp4": "OCP MXFP4 (e2m1 + an E8M0 scale per 32 inputs, 17 bytes per 32 weights) for the routed "
    "experts as gpt-oss ships them (a dense model: every linear layer of its blocks); the rest bf16",
}


def hf_rows(report: Report, tensors: list[_Tensor], name: str, group: int) -> tuple[list[StoredTensor], str]:
    from paramcalc.engine.formats import StoredTensor

    plain = "fp16" if name in ("gptq-4bit", "awq-4bit") else "bf16"
    merged: dict[tuple[str, str, str], list[int]] = {}
    for t in tensors:
        if _linear(t, name):
            for kind, nbytes, holds in _linear_bytes(name, t.rows, t.cols, group):
                row = merged.setdefault((t.component, t.part, kind), [0, 0])
                row[0] += t.term_count if holds else 0
                row[1] += nbytes * t.n_tensors
        else:
            row = merged.setdefault((t.component, t.part, plain), [0, 0])
            row[0] += t.term_count
            row[1] += 2 * t.term_count
    rows = [StoredTensor(c, p, k, v[0], v[1]) for (c, p, k), v in merged.items()]
    return rows, BASIS[name].format(g=group)
