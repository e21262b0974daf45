"""GGUF file types: each tensor of the count typed as llama-quantize types it (gguf_mix), in ggml bytes.

A GGUF tensor of n elements of type T stores n / block_size(T) blocks of type_size(T) bytes
(paramcalc.weights.ggml). An expert tensor is one 3-D tensor per block (ffn_up_exps: experts x
rows x cols), as convert_hf_to_gguf.py merges them. Tensors llama-quantize does not quantize
(tensor_allows_quantization: 1-D tensors, norms, biases, ffn_gate_inp routers, position and
token-type tables, ssm_conv1d) keep the type convert_hf_to_gguf.py gave them: F32 (it writes 1-D
tensors, norms, routers, position tables and every tensor not named .weight as F32). A file's
tensor bytes do not include its header (metadata, the tokenizer's vocabulary) and the padding of
each tensor to 32 bytes: a few MB (see tests/test_fmt_published.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paramcalc.engine import gguf_mix as mix
from paramcalc.engine.report import Report

if TYPE_CHECKING:
    from paramcalc.engine.formats import StoredTensor, _Tensor

ATTENTION_PARTS = {"q": mix.ATTN_Q, "k": mix.ATTN_K, "v": mix.ATTN_V, "o": mix.ATTN_OUTPUT, "qkv": mix.ATTN_QKV}
FFN_PARTS = {"up": mix.FFN_UP, "gate": mix.FFN_GATE, "down": mix.FFN_DOWN}
FFN_COMPONENTS = frozenset({"feed_forward", "experts", "shared_expert"})
F32_PARTS = frozenset({"router", "shared_gate", "conv1d"})  # ffn_gate_inp(_shexp), ssm_conv1d: never quantized


def category(t: _Tensor) -> str | None:
    """The llama-quant.cpp category of a tensor family, or None: not quantized (kept F32)."""
    if t.is_bias or not t.main:
        return None
    if t.kind == "token_embedding" and t.part == "token":
        return mix.TOKEN_EMBD
    if not t.matmul or t.part in F32_PARTS or t.cols == 1:
        return None
    if t.kind == "output_head":
        return mix.OUTPUT
    if "attention" in t.kind:
        if t.part == "kv_b":
            return mix.ATTN_KV_B
        return ATTENTION_PARTS.get(t.part, mix.OTHER)
    if t.kind in FFN_COMPONENTS:
        return FFN_PARTS.get(t.part, mix.OTHER)
    return mix.OTHER


def gguf_rows(report: Report, tensors: list[_Tensor], ftype: str) -> tuple[list[StoredTensor], str]:
    from paramcalc.engine.formats import StoredTensor
    from paramcalc.weights.ggml import TYPES_BY_NAME, tensor_nbytes

    config = report.config.main_part
    cats = [category(t) for t in tensors]
    per_block = [t.n_tensors // t.experts if t.experts > 1 else t.n_tensors for t in tensors]  # experts: one 3-D tensor
    model = mix.Model(
        n_expert=config.experts if config.is_moe else 0,
        n_gqa=config.heads // config.kv_heads if config.kv_heads else 1,
        n_layer=config.layers,
        n_attention_wv=sum(n for c, n in zip(cats, per_block, strict=True) if c in mix.ATTN_V_LIKE),
        tied=mix.OUTPUT not in cats,
        is_70b=config.layers == 80 and 0 < config.kv_heads < config.heads,
    )
    i_attention_wv = i_ffn_down = 0
    merged: dict[tuple[str, str, str], list[int]] = {}
    for t, cat, n in zip(tensors, cats, per_block, strict=True):
        numel = t.term_count // n
        for j in range(n):
            if cat is None:
                kind = "F32" if t.main else ("F16" if t.cols > 1 and not t.is_bias else "F32")
            else:
                if cat in mix.ATTN_V_LIKE:
                    i = i_attention_wv
                    i_attention_wv += 1
                elif cat == mix.FFN_DOWN:
                    i = t.blocks[j] if model.n_expert > 1 and t.blocks else i_ffn_down
                    i_ffn_down += 1
                else:
                    i = 0
                kind = mix.tensor_type(ftype, cat, t.rows, i, model, experts_3d=t.experts > 1)
            row = merged.setdefault((t.component, t.part, kind), [0, 0])
            row[0] += numel
            row[1] += tensor_nbytes(TYPES_BY_NAME[kind], numel)
    rows = [StoredTensor(c, p, k, v[0], v[1]) for (c, p, k), v in merged.items()]
    basis = (
        f"GGUF {ftype}: each tensor typed as llama-quantize does (llama.cpp src/llama-quant.cpp "
        "llama_tensor_get_type, commit 007dbbf3, no importance matrix), bytes = elements / block size x "
        "block bytes (ggml-common.h); norms, biases and routers F32 as convert_hf_to_gguf.py writes them; "
        "the file's header and 32-byte tensor alignment not counted"
    )
    return rows, basis
