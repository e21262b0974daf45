"""Builders of real-looking safetensors checkpoints: headers only, the data left as zeros or sparse holes.

A layout is a list of (name, dtype, shape). The model layouts below are the tensor names and shapes
of real checkpoints: each was checked against ``model.state_dict()`` of the transformers class built
from the config on the meta device (transformers 5.24.0, torch 2.13.0) and its
``sum(p.numel() for p in model.parameters())``, with two differences that real files have and
transformers 5's in-memory modules do not:
- routed experts are stored one expert at a time (Mixtral's ``block_sparse_moe.experts.E.w1``,
  DeepSeek-V3's ``mlp.experts.E.gate_proj``); transformers 5 fuses them on load
  (conversion_mapping.py: ``.experts.*.w1.weight`` + ``w3`` -> ``experts.gate_up_proj``);
- tied weights are stored once (safetensors stores shared tensors once: gpt2 has no lm_head).
Quantized layouts turn a plain layout's linear weights into what each library saves, following
the source cited at each builder.

    header, size = safetensors_bytes(llama(LLAMA_2_7B))
    source = MemoryFile("model.safetensors", header, size)  # a 13.5 GB file in a few kB
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from paramcalc.weights import MemoryFile
from paramcalc.weights.safetensors import DTYPE_BITS

Spec = tuple[str, str, tuple[int, ...]]


def nbytes(dtype: str, shape: tuple[int, ...]) -> int:
    return math.prod(shape) * DTYPE_BITS[dtype] // 8


def data_bytes(layout: Iterable[Spec]) -> int:
    """Bytes of the data area of a file holding `layout`."""
    return sum(nbytes(dtype, shape) for _, dtype, shape in layout)


def header_json(layout: Iterable[Spec], metadata: Mapping[str, str] | None = None) -> dict[str, object]:
    """The header object: tensors laid out contiguously in the order given."""
    header: dict[str, object] = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, dtype, shape in layout:
        size = nbytes(dtype, shape)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    return header


def raw_header(header: object) -> bytes:
    """8-byte length + JSON padded with spaces to a multiple of 8, as the library writes it."""
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text


def safetensors_bytes(layout: Iterable[Spec], metadata: Mapping[str, str] | None = None) -> tuple[bytes, int]:
    """(the header bytes, the size of the whole file) for `layout`."""
    layout = list(layout)
    header = raw_header(header_json(layout, {"format": "pt"} if metadata is None else metadata))
    return header, len(header) + data_bytes(layout)


def memory_file(layout: Iterable[Spec], name: str = "model.safetensors") -> MemoryFile:
    header, size = safetensors_bytes(layout)
    return MemoryFile(name, header, size)


def write_safetensors(path: str | os.PathLike[str], layout: Iterable[Spec]) -> int:
    """Write the header and extend the file to its full size with a sparse hole; the size."""
    header, size = safetensors_bytes(layout)
    with open(path, "wb") as handle:
        handle.write(header)
    os.truncate(path, size)
    return size


def shards(layout: list[Spec], n: int) -> list[tuple[str, list[Spec]]]:
    """`layout` split into n contiguous shards named as save_pretrained names them."""
    per = math.ceil(len(layout) / n)
    return [(f"model-{i + 1:05d}-of-{n:05d}.safetensors", layout[i * per : (i + 1) * per]) for i in range(n)]


def index_json(parts: list[tuple[str, list[Spec]]]) -> bytes:
    """model.safetensors.index.json of `parts` (transformers' save_pretrained: metadata.total_size, weight_map)."""
    weight_map = {name: file for file, layout in parts for name, _, _ in layout}
    total = sum(data_bytes(layout) for _, layout in parts)
    return json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2).encode()


def write_checkpoint(
    folder: str | os.PathLike[str], layout: list[Spec], n_shards: int = 1, config: Mapping[str, object] | None = None
) -> int:
    """A checkpoint folder: model.safetensors, or n shards + the index; config.json if given. Total file bytes."""
    os.makedirs(folder, exist_ok=True)
    total = 0
    if n_shards == 1:
        total += write_safetensors(os.path.join(folder, "model.safetensors"), layout)
    else:
        parts = shards(layout, n_shards)
        for file, part in parts:
            total += write_safetensors(os.path.join(folder, file), part)
        with open(os.path.join(folder, "model.safetensors.index.json"), "wb") as handle:
            handle.write(index_json(parts))
    if config is not None:
        with open(os.path.join(folder, "config.json"), "w") as handle:
            json.dump(config, handle)
    return total


# --- model layouts ------------------------------------------------------------------------------

GPT2_PARAMS = 124_439_808  # gpt2, GPT2LMHeadModel (shared/reference/models.json)


def gpt2(dtype: str = "F32", masks: bool = True) -> list[Spec]:
    """gpt2 as the Hub's model.safetensors stores it: no 'transformer.' prefix, no lm_head (tied to
    wte), and each block's causal mask buffer attn.bias F32 [1, 1, 1024, 1024] (the file is
    548,105,171 bytes: 124,439,808 x 4 + 12 x 4 MiB of masks + the header)."""
    d, ff, ctx = 768, 3072, 1024
    layout: list[Spec] = [("wte.weight", dtype, (50257, d)), ("wpe.weight", dtype, (ctx, d))]
    for i in range(12):
        h = f"h.{i}."
        layout += [(h + "ln_1.weight", dtype, (d,)), (h + "ln_1.bias", dtype, (d,))]
        if masks:
            layout.append((h + "attn.bias", "F32", (1, 1, ctx, ctx)))
        layout += [
            (h + "attn.c_attn.weight", dtype, (d, 3 * d)),  # Conv1D: [in, out]
            (h + "attn.c_attn.bias", dtype, (3 * d,)),
            (h + "attn.c_proj.weight", dtype, (d, d)),
            (h + "attn.c_proj.bias", dtype, (d,)),
            (h + "ln_2.weight", dtype, (d,)),
            (h + "ln_2.bias", dtype, (d,)),
            (h + "mlp.c_fc.weight", dtype, (d, ff)),
            (h + "mlp.c_fc.bias", dtype, (ff,)),
            (h + "mlp.c_proj.weight", dtype, (ff, d)),
            (h + "mlp.c_proj.bias", dtype, (d,)),
        ]
    return layout + [("ln_f.weight", dtype, (d,)), ("ln_f.bias", dtype, (d,))]


class LlamaShape(NamedTuple):
    vocab: int
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    tied: bool
    params: int  # sum(p.numel() for p in LlamaForCausalLM(config).parameters()), transformers 5.24.0


# meta-llama/Llama-2-7b-hf (shared/reference/hf_configs; total in shared/reference/models.json)
LLAMA_2_7B = LlamaShape(32000, 4096, 11008, 32, 32, 32, False, 6_738_415_616)
# A small Llama for quick tests: LlamaConfig(vocab_size=32000, hidden_size=512, intermediate_size=1536,
# num_hidden_layers=2, num_attention_heads=8, num_key_value_heads=4, tie_word_embeddings=False)
LLAMA_SMALL = LlamaShape(32000, 512, 1536, 2, 8, 4, False, 39_062_016)


def llama(shape: LlamaShape, dtype: str = "BF16") -> list[Spec]:
    """LlamaForCausalLM's state_dict (without lm_head when tied)."""
    d, kv = shape.hidden, shape.hidden // shape.heads * shape.kv_heads
    layout: list[Spec] = [("model.embed_tokens.weight", dtype, (shape.vocab, d))]
    for i in range(shape.layers):
        p = f"model.layers.{i}."
        layout += [
            (p + "self_attn.q_proj.weight", dtype, (d, d)),  # nn.Linear: [out, in]
            (p + "self_attn.k_proj.weight", dtype, (kv, d)),
            (p + "self_attn.v_proj.weight", dtype, (kv, d)),
            (p + "self_attn.o_proj.weight", dtype, (d, d)),
            (p + "mlp.gate_proj.weight", dtype, (shape.intermediate, d)),
            (p + "mlp.up_proj.weight", dtype, (shape.intermediate, d)),
            (p + "mlp.down_proj.weight", dtype, (d, shape.intermediate)),
            (p + "input_layernorm.weight", dtype, (d,)),
            (p + "post_attention_layernorm.weight", dtype, (d,)),
        ]
    layout.append(("model.norm.weight", dtype, (d,)))
    if not shape.tied:
        layout.append(("lm_head.weight", dtype, (shape.vocab, d)))
    return layout


MIXTRAL_8X7B_PARAMS = 46_702_792_704  # mistralai/Mixtral-8x7B-v0.1 (shared/reference/models.json)


def mixtral_8x7b(dtype: str = "BF16") -> list[Spec]:
    """mistralai/Mixtral-8x7B-v0.1 as its shards store it: block_sparse_moe.gate [8, 4096] and
    experts.E.w1 / w3 [14336, 4096], w2 [4096, 14336] (transformers 5 fuses w1 + w3 into
    mlp.experts.gate_up_proj [8, 28672, 4096] and w2 into down_proj [8, 4096, 14336] on load)."""
    d, ff, kv, experts = 4096, 14336, 1024, 8
    layout: list[Spec] = [("model.embed_tokens.weight", dtype, (32000, d))]
    for i in range(32):
        p = f"model.layers.{i}."
        layout += [
            (p + "self_attn.q_proj.weight", dtype, (d, d)),
            (p + "self_attn.k_proj.weight", dtype, (kv, d)),
            (p + "self_attn.v_proj.weight", dtype, (kv, d)),
            (p + "self_attn.o_proj.weight", dtype, (d, d)),
            (p + "block_sparse_moe.gate.weight", dtype, (experts, d)),
        ]
        for e in range(experts):
            x = f"{p}block_sparse_moe.experts.{e}."
            layout += [
                (x + "w1.weight", dtype, (ff, d)),
                (x + "w2.weight", dtype, (d, ff)),
                (x + "w3.weight", dtype, (ff, d)),
            ]
        layout += [(p + "input_layernorm.weight", dtype, (d,)), (p + "post_attention_layernorm.weight", dtype, (d,))]
    return layout + [("model.norm.weight", dtype, (d,)), ("lm_head.weight", dtype, (32000, d))]


GPT_OSS_20B_PARAMS = 20_914_757_184  # openai/gpt-oss-20b (shared/reference/models_v2.json)


def gpt_oss_20b() -> list[Spec]:
    """openai/gpt-oss-20b as its shards store it: the experts' weights in MXFP4, everything else BF16.
    transformers' parameter mlp.experts.gate_up_proj [32, 2880, 5760] is stored as gate_up_proj_blocks
    U8 [32, 5760, 90, 16] (90 blocks of 32 FP4 values, 16 bytes each, per output row) and
    gate_up_proj_scales U8 [32, 5760, 90]; down_proj [32, 2880, 2880] as down_proj_blocks
    [32, 2880, 90, 16] + down_proj_scales [32, 2880, 90] (integrations/mxfp4.py). About 13.76 GB,
    as the three published shards are."""
    d, experts, vocab, q, kv = 2880, 32, 201088, 64 * 64, 8 * 64
    bf = "BF16"
    layout: list[Spec] = [("model.embed_tokens.weight", bf, (vocab, d))]
    for i in range(24):
        p = f"model.layers.{i}."
        layout += [
            (p + "input_layernorm.weight", bf, (d,)),
            (p + "mlp.experts.down_proj_bias", bf, (experts, d)),
            (p + "mlp.experts.down_proj_blocks", "U8", (experts, d, d // 32, 16)),
            (p + "mlp.experts.down_proj_scales", "U8", (experts, d, d // 32)),
            (p + "mlp.experts.gate_up_proj_bias", bf, (experts, 2 * d)),
            (p + "mlp.experts.gate_up_proj_blocks", "U8", (experts, 2 * d, d // 32, 16)),
            (p + "mlp.experts.gate_up_proj_scales", "U8", (experts, 2 * d, d // 32)),
            (p + "mlp.router.bias", bf, (experts,)),
            (p + "mlp.router.weight", bf, (experts, d)),
            (p + "post_attention_layernorm.weight", bf, (d,)),
            (p + "self_attn.k_proj.bias", bf, (kv,)),
            (p + "self_attn.k_proj.weight", bf, (kv, d)),
            (p + "self_attn.o_proj.bias", bf, (d,)),
            (p + "self_attn.o_proj.weight", bf, (d, q)),
            (p + "self_attn.q_proj.bias", bf, (q,)),
            (p + "self_attn.q_proj.weight", bf, (q, d)),
            (p + "self_attn.sinks", bf, (64,)),
            (p + "self_attn.v_proj.bias", bf, (kv,)),
            (p + "self_attn.v_proj.weight", bf, (kv, d)),
        ]
    return layout + [("model.norm.weight", bf, (d,)), ("lm_head.weight", bf, (vocab, d))]


# A small DeepSeek-V3: DeepseekV3Config(vocab_size=1024, hidden_size=256, intermediate_size=512,
# moe_intermediate_size=128, num_hidden_layers=2, first_k_dense_replace=1, n_routed_experts=4,
# n_shared_experts=1, num_experts_per_tok=2, n_group=1, topk_group=1, num_attention_heads=4,
# num_key_value_heads=4, q_lora_rank=192, kv_lora_rank=128, qk_rope_head_dim=32, qk_nope_head_dim=64,
# v_head_dim=64, tie_word_embeddings=False): 2,001,792 parameters (transformers 5.24.0), plus the
# router's e_score_correction_bias [4], a buffer the checkpoint stores.
DEEPSEEK_V3_SMALL_PARAMS = 2_001_792
FP8_BLOCK = 128  # DeepSeek-V3's quantization_config weight_block_size [128, 128]


def deepseek_v3_small_fp8() -> list[Spec]:
    """The small DeepSeek-V3 as DeepSeek-V3's own FP8 checkpoint stores it: every linear of the
    decoder layers F8_E4M3 with weight_scale_inv F32 [ceil(out/128), ceil(in/128)]; router (mlp.gate),
    norms, embeddings and head BF16; e_score_correction_bias F32; experts one at a time."""
    d, heads, q_lora, kv_lora, rope, nope, v = 256, 4, 192, 128, 32, 64, 64
    bf, f8 = "BF16", "F8_E4M3"
    layout: list[Spec] = [("model.embed_tokens.weight", bf, (1024, d))]

    def linear(name: str, out: int, inp: int) -> list[Spec]:
        scale = (math.ceil(out / FP8_BLOCK), math.ceil(inp / FP8_BLOCK))
        return [(name + ".weight", f8, (out, inp)), (name + ".weight_scale_inv", "F32", scale)]

    for i in range(2):
        p = f"model.layers.{i}."
        layout += linear(p + "self_attn.q_a_proj", q_lora, d)
        layout.append((p + "self_attn.q_a_layernorm.weight", bf, (q_lora,)))
        layout += linear(p + "self_attn.q_b_proj", heads * (nope + rope), q_lora)
        layout += linear(p + "self_attn.kv_a_proj_with_mqa", kv_lora + rope, d)
        layout.append((p + "self_attn.kv_a_layernorm.weight", bf, (kv_lora,)))
        layout += linear(p + "self_attn.kv_b_proj", heads * (nope + v), kv_lora)
        layout += linear(p + "self_attn.o_proj", d, heads * v)
        if i == 0:  # first_k_dense_replace = 1: a dense MLP
            layout += linear(p + "mlp.gate_proj", 512, d) + linear(p + "mlp.up_proj", 512, d)
            layout += linear(p + "mlp.down_proj", d, 512)
        else:
            layout += [(p + "mlp.gate.weight", bf, (4, d)), (p + "mlp.gate.e_score_correction_bias", "F32", (4,))]
            for e in range(4):
                x = f"{p}mlp.experts.{e}."
                layout += linear(x + "gate_proj", 128, d) + linear(x + "up_proj", 128, d)
                layout += linear(x + "down_proj", d, 128)
            x = p + "mlp.shared_experts."
            layout += linear(x + "gate_proj", 128, d) + linear(x + "up_proj", 128, d) + linear(x + "down_proj", d, 128)
        layout += [(p + "input_layernorm.weight", bf, (d,)), (p + "post_attention_layernorm.weight", bf, (d,))]
    return layout + [("model.norm.weight", bf, (d,)), ("lm_head.weight", bf, (1024, d))]


# --- quantized Llamas -----------------------------------------------------------------------------

LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _is_linear(name: str) -> bool:
    """The decoder layers' linear weights, which every method below quantizes (lm_head stays as is)."""
    return name.startswith("model.layers.") and name.endswith(tuple(f".{x}.weight" for x in LINEARS))


def _quantize(layout: list[Spec], dtype: str, make: Callable[[str, int, int], list[Spec]]) -> list[Spec]:
    """`layout` with each decoder linear [out, in] replaced by make(module, out, in), the rest in `dtype`."""
    out: list[Spec] = []
    for name, _, shape in layout:
        if _is_linear(name):
            out += make(name.removesuffix(".weight"), shape[0], shape[1])
        else:
            out.append((name, dtype, shape))
    return out


def gptq(layout: list[Spec], bits: int = 4, group: int = 128) -> list[Spec]:
    """GPTQModel / AutoGPTQ (gptqmodel/nn_modules/qlinear/__init__.py): qweight I32
    [ceil(in*bits/32), out], qzeros I32 [ceil(in/group), ceil(out*bits/32)], scales F16
    [ceil(in/group), out], g_idx I32 [in]; the rest F16."""

    def make(m: str, out: int, inp: int) -> list[Spec]:
        groups = math.ceil(inp / group)
        return [
            (m + ".g_idx", "I32", (inp,)),
            (m + ".qweight", "I32", (math.ceil(inp * bits / 32), out)),
            (m + ".qzeros", "I32", (groups, math.ceil(out * bits / 32))),
            (m + ".scales", "F16", (groups, out)),
        ]

    return _quantize(layout, "F16", make)


def awq(layout: list[Spec], bits: int = 4, group: int = 128) -> list[Spec]:
    """AutoAWQ GEMM (awq/modules/linear/gemm.py, WQLinear_GEMM): qweight I32 [in, out/(32/bits)],
    qzeros I32 [in/group, out/(32/bits)], scales F16 [in/group, out]; the rest F16."""

    def make(m: str, out: int, inp: int) -> list[Spec]:
        pack = 32 // bits
        return [
            (m + ".qweight", "I32", (inp, out // pack)),
            (m + ".qzeros", "I32", (inp // group, out // pack)),
            (m + ".scales", "F16", (inp // group, out)),
        ]

    return _quantize(layout, "F16", make)


def bnb_4bit(layout: list[Spec], quant_type: str = "nf4", nested: bool = True, blocksize: int = 64) -> list[Spec]:
    """bitsandbytes 4-bit as transformers saves it (bitsandbytes/functional.py quantize_4bit and
    QuantState.as_dict(packed=True); backends/cuda/ops.py): weight U8 [n/2, 1]; with double
    quantization (nested) absmax U8 [n/blocksize], nested_absmax F32 [n/blocksize/256],
    nested_quant_map F32 [256], else absmax F32 [n/blocksize]; quant_map F32 [16]; and
    quant_state.bitsandbytes__nf4 U8 [len(json)], the non-tensor state as JSON bytes; the rest BF16."""

    def make(m: str, out: int, inp: int) -> list[Spec]:
        n = out * inp
        w = m + ".weight"
        state: dict[str, object] = {
            "quant_type": quant_type,
            "blocksize": blocksize,
            "dtype": "bfloat16",
            "shape": [out, inp],
        }
        specs: list[Spec] = [(w, "U8", ((n + 1) // 2, 1))]
        if nested:
            state.update({"nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.0263671875})
            blocks = math.ceil(n / blocksize)
            specs += [
                (w + ".absmax", "U8", (blocks,)),
                (w + ".nested_absmax", "F32", (math.ceil(blocks / 256),)),
                (w + ".nested_quant_map", "F32", (256,)),
            ]
        else:
            specs.append((w + ".absmax", "F32", (math.ceil(n / blocksize),)))
        specs.append((w + ".quant_map", "F32", (16,)))
        specs.append((w + f".quant_state.bitsandbytes__{quant_type}", "U8", (len(json.dumps(state)),)))
        return specs

    return _quantize(layout, "BF16", make)


def bnb_8bit(layout: list[Spec]) -> list[Spec]:
    """bitsandbytes LLM.int8 (bitsandbytes/nn/modules.py, Linear8bitLt._save_to_state_dict): weight I8
    [out, in], SCB F32 [out], weight_format U8 [] (0: row-major); the rest F16."""

    def make(m: str, out: int, inp: int) -> list[Spec]:
        return [(m + ".SCB", "F32", (out,)), (m + ".weight", "I8", (out, inp)), (m + ".weight_format", "U8", ())]

    return _quantize(layout, "F16", make)


def fp8_per_tensor(layout: list[Spec]) -> list[Spec]:
    """compressed-tensors float-quantized FP8 (e.g. neuralmagic's Llama FP8 checkpoints): weight F8_E4M3
    [out, in], weight_scale F32 [1] and input_scale F32 [1] (static per-tensor); the rest BF16."""

    def make(m: str, out: int, inp: int) -> list[Spec]:
        return [
            (m + ".input_scale", "F32", (1,)),
            (m + ".weight", "F8_E4M3", (out, inp)),
            (m + ".weight_scale", "F32", (1,)),
        ]

    return _quantize(layout, "BF16", make)


def compressed_pack(layout: list[Spec], bits: int = 4, group: int = 128, symmetric: bool = True) -> list[Spec]:
    """compressed-tensors pack-quantized (compressors/quantized_compressors/pack_quantized.py):
    weight_packed I32 [out, ceil(in/(32/bits))], weight_scale BF16 [out, in/group], weight_shape I64 [2]
    (torch.tensor(weight.shape)), and when asymmetric weight_zero_point I32 [ceil(out/(32/bits)), in/group];
    the rest BF16."""

    def make(m: str, out: int, inp: int) -> list[Spec]:
        pack = 32 // bits
        specs: list[Spec] = [
            (m + ".weight_packed", "I32", (out, math.ceil(inp / pack))),
            (m + ".weight_scale", "BF16", (out, inp // group)),
            (m + ".weight_shape", "I64", (2,)),
        ]
        if not symmetric:
            specs.append((m + ".weight_zero_point", "I32", (math.ceil(out / pack), inp // group)))
        return specs

    return _quantize(layout, "BF16", make)
