"""Which ggml type llama-quantize gives each tensor of a GGUF file, per file type ("Q4_K_M", ...).

A llama.cpp file type is a mix: most tensors take the type's default (Q4_K_M: Q4_K) and some are
bumped. The rules below are ``llama_tensor_get_type_impl``, ``tensor_type_fallback``,
``tensor_allows_quantization`` and ``llama_ftype_get_default_type`` of src/llama-quant.cpp at
llama.cpp commit 007dbbf3fd17eefe9b47fee45f48f7ba5e62b714, for the file types paramcalc accepts
(none of the IQ1/IQ2/IQ3 ones, which need an importance matrix; no imatrix is assumed), without
user overrides (--output-tensor-type, --token-embedding-type, --tensor-type, --pure):

- output.weight, and token_embd.weight when the head is tied (no output.weight): Q8_0 if its row
  (d_model) is not a whole number of the default type's blocks, or for MXFP4_MOE; else the default
  if that is Q8_0; else Q6_K. An untied token_embd.weight takes the default type.
- attn_v (and the attn_v-like attn_qkv, attn_kv_b), counted in order over the file: Q2_K: Q4_K with
  grouped KV of ratio >= 4, else Q3_K; Q3_K_M: Q5_K for the first two, then Q4_K; Q3_K_L: Q5_K;
  IQ4_NL/IQ4_XS with GQA >= 4: Q5_K; Q4_K_M/Q5_K_M: Q6_K where ``use_more_bits`` (the first 1/8,
  the last 1/8 and every third between); Q4_K_S: Q5_K for the first four. A "70B" model (80
  layers, grouped KV) bumps Q3_K/Q4_K to Q5_K; a model of exactly 8 experts takes Q8_0.
- attn_k: Q8_0 for a model of exactly 8 experts.
- ffn_down (dense, shared and routed experts: one tensor per layer), layer i of n: Q2_K: Q3_K;
  Q3_K_M: Q5_K for i < n/16, else Q4_K; Q3_K_L: Q5_K; Q4_K_M and Q5_K_M: Q6_K where
  use_more_bits; IQ4_NL/IQ4_XS: Q5_K for i < n/8; Q4_K_S: Q5_K for i < n/8. A model with experts
  reads i from the tensor's name (its block); a dense one counts ffn_down tensors in order.
- attn_output: with 8 experts, Q5_K for Q2_K, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ4_XS;
  otherwise Q2_K: Q3_K, Q3_K_M: Q4_K, Q3_K_L: Q5_K.
- MXFP4_MOE: the 3-D expert tensors MXFP4, every other quantized tensor Q8_0.
- A row (ne[0], the input dimension) that is not a whole number of blocks falls back: Q4_K to
  Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, Q2_K/Q3_K to Q4_0, IQ4_XS to IQ4_NL; F16 if still not whole.

Left out: Falcon's own rules (llama.cpp keys them on the architecture, which a config does not
name) and models that llama.cpp stores with a fused attn_qkv (Phi-3, GPT-2, Falcon, BLOOM): their
q, k and v are typed as three tensors here.
"""

from __future__ import annotations

from typing import NamedTuple

# tensor categories (llama-quant.cpp tensor_category)
TOKEN_EMBD = "token_embd"  # noqa: S105 (a tensor name, not a password)
OUTPUT = "output"
ATTN_Q = "attn_q"
ATTN_K = "attn_k"
ATTN_V = "attn_v"  # with attn_qkv and attn_kv_b: category_is_attn_v
ATTN_QKV = "attn_qkv"
ATTN_KV_B = "attn_kv_b"
ATTN_OUTPUT = "attn_output"
FFN_UP = "ffn_up"
FFN_GATE = "ffn_gate"
FFN_DOWN = "ffn_down"
OTHER = "other"

ATTN_V_LIKE = frozenset({ATTN_V, ATTN_QKV, ATTN_KV_B})

# file type (as llama-quantize and file names spell it) -> its default tensor type
# (llama_ftype_get_default_type)
FILE_TYPES: dict[str, str] = {
    "Q8_0": "Q8_0",
    "Q6_K": "Q6_K",
    "Q5_K_M": "Q5_K",
    "Q5_K_S": "Q5_K",
    "Q5_1": "Q5_1",
    "Q5_0": "Q5_0",
    "Q4_K_M": "Q4_K",
    "Q4_K_S": "Q4_K",
    "Q4_1": "Q4_1",
    "Q4_0": "Q4_0",
    "Q3_K_L": "Q3_K",
    "Q3_K_M": "Q3_K",
    "Q3_K_S": "Q3_K",
    "Q2_K": "Q2_K",
    "IQ4_XS": "IQ4_XS",
    "IQ4_NL": "IQ4_NL",
    "MXFP4_MOE": "MXFP4",
}

# tensor_type_fallback: a row that is not a whole number of the type's blocks
FALLBACK: dict[str, str] = {
    "IQ4_XS": "IQ4_NL",
    "Q2_K": "Q4_0",
    "Q3_K": "Q4_0",
    "Q4_K": "Q5_0",
    "Q5_K": "Q5_1",
    "Q6_K": "Q8_0",
}


class Model(NamedTuple):
    """What the rules ask of the model (llama.cpp's hparams and model type)."""

    n_expert: int  # experts per MoE layer, 0 for a dense model
    n_gqa: int  # heads / kv_heads
    n_layer: int  # hparams.n_layer_all: every block
    n_attention_wv: int  # attn_v-like tensors in the file
    tied: bool  # no output.weight: token_embd is typed as the output
    is_70b: bool  # LLM_TYPE_70B: 80 layers with grouped KV (Llama-2/3-70B, Qwen2-72B)


def use_more_bits(i_layer: int, n_layers: int) -> bool:
    """llama-quant.cpp's use_more_bits: the first and last eighth, and every third layer between."""
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or (i_layer - n_layers // 8) % 3 == 2


def _mixed(ftype: str, default: str, category: str, row: int, i: int, model: Model, experts_3d: bool) -> str:
    """llama_tensor_get_type_impl for one tensor; `i` is i_attention_wv for attn_v-like tensors and
    the layer (or the ffn_down counter) for ffn_down."""
    from paramcalc.weights.ggml import TYPES_BY_NAME

    if category == OUTPUT or (model.tied and category == TOKEN_EMBD):
        if ftype == "MXFP4_MOE" or row % TYPES_BY_NAME[default].block_size:
            return "Q8_0"
        return default if default == "Q8_0" else "Q6_K"
    if ftype == "MXFP4_MOE":
        return "MXFP4" if experts_3d else "Q8_0"
    new = default
    if category == TOKEN_EMBD:
        return new
    if category in ATTN_V_LIKE:
        if ftype == "Q2_K":
            new = "Q4_K" if model.n_gqa >= 4 else "Q3_K"
        elif ftype == "Q3_K_M":
            new = "Q5_K" if i < 2 else "Q4_K"
        elif ftype == "Q3_K_L":
            new = "Q5_K"
        elif ftype in ("IQ4_NL", "IQ4_XS") and model.n_gqa >= 4:
            new = "Q5_K"
        elif ftype in ("Q4_K_M", "Q5_K_M") and use_more_bits(i, model.n_attention_wv):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and i < 4:
            new = "Q5_K"
        if model.is_70b and new in ("Q3_K", "Q4_K"):
            new = "Q5_K"
        if model.n_expert == 8:
            new = "Q8_0"
    elif category == ATTN_K:
        if model.n_expert == 8:
            new = "Q8_0"
    elif category == FFN_DOWN:
        n = model.n_layer
        if ftype == "Q2_K":
            new = "Q3_K"
        elif ftype == "Q3_K_M":
            new = "Q5_K" if i < n // 16 else "Q4_K"  # (Falcon's Q3_K for the others: left out)
        elif ftype == "Q3_K_L":
            new = "Q5_K"
        elif ftype == "Q4_K_M":
            if use_more_bits(i, n):
                new = "Q6_K"
        elif i < n // 8 and ftype in ("IQ4_NL", "IQ4_XS"):
            new = "Q5_K"
        elif ftype == "Q5_K_M" and use_more_bits(i, n):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and i < n // 8:
            new = "Q5_K"
    elif category == ATTN_OUTPUT:
        if model.n_expert == 8:
            if ftype in ("Q2_K", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ4_XS"):
                new = "Q5_K"
        elif ftype == "Q2_K":
            new = "Q3_K"
        elif ftype == "Q3_K_M":
            new = "Q4_K"
        elif ftype == "Q3_K_L":
            new = "Q5_K"
    elif category == ATTN_QKV:
        if ftype in ("Q3_K_M", "Q3_K_L"):
            new = "Q4_K"
        elif ftype == "Q4_K_M":
            new = "Q5_K"
        elif ftype == "Q5_K_M":
            new = "Q6_K"
    return new


def tensor_type(ftype: str, category: str, row: int, i: int, model: Model, experts_3d: bool = False) -> str:
    """The ggml type of one quantizable tensor of a file of type `ftype`: the mix's choice, then
    tensor_type_fallback for a row (ne[0]) that is not a whole number of its blocks."""
    from paramcalc.weights.ggml import TYPES_BY_NAME

    new = _mixed(ftype, FILE_TYPES[ftype], category, row, i, model, experts_3d)
    if row % TYPES_BY_NAME[new].block_size:
        new = FALLBACK.get(new, "F16")
        if row % TYPES_BY_NAME[new].block_size:
            new = "F16"
    return new
