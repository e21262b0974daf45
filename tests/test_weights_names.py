"""Tensor names -> components (paramcalc/weights/names.py), against real checkpoints' names.

fixtures/weights/transformers_names.json holds the names and shapes that transformers 5.24.0's
save_pretrained writes for a tiny version of every config in fixtures/hf (its "what" says how it
was made): mapped to components, their parameters add up to paramcalc's own count of the same
config, component by component, and to transformers' total.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path

import pytest

import paramcalc
from paramcalc.engine.params import components as config_components
from paramcalc.weights.names import OTHER, buffer_reason, component, components, is_encoder_decoder

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "weights" / "transformers_names.json").read_text())
MODELS = FIXTURE["models"]


def expand(tensors: dict[str, tuple[list[int], list[list[int]]]]) -> dict[str, tuple[int, ...]]:
    """Every name of a fixture entry, each {} filled with each of its indices."""
    out: dict[str, tuple[int, ...]] = {}
    for template, (shape, axes) in tensors.items():
        for index in itertools.product(*axes):
            out[template.format(*index)] = tuple(shape)
    return out


def numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def checkpoint_components(names: dict[str, tuple[int, ...]], layers: int | None = None) -> dict[str, int]:
    sums: dict[str, int] = {}
    for name, (found, _) in components(names, layers=layers).items():
        if buffer_reason(name, names[name]) is None:
            sums[found] = sums.get(found, 0) + numel(names[name])
    return sums


@pytest.mark.parametrize("key", sorted(MODELS))
def test_components_equal_paramcalc_components(key: str, tmp_path: Path) -> None:
    entry = MODELS[key]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(entry["config"]))
    config = paramcalc.load(str(path), head=key.endswith("+mlm"))
    names = expand(entry["tensors"])
    found = checkpoint_components(names)
    assert OTHER not in found, [n for n, (c, _) in components(names).items() if c == OTHER]
    expected = {c.name: c.params for c in config_components(config) if c.params}
    if key == "google__flan-t5-base":
        # transformers 5 ties T5's head whatever tie_word_embeddings says, so save_pretrained
        # leaves out the lm_head that flan-t5's own checkpoint holds and paramcalc counts.
        assert expected.pop("output_head") == 211 * 64
    assert found == expected
    assert sum(found.values()) == entry["transformers_total"], entry["source"]


def test_buffers_of_the_fixtures_are_named() -> None:
    # DeepSeek-V3's router keeps e_score_correction_bias as a buffer (DeepseekV3TopkRouter) that
    # save_pretrained writes: named, with its module's component, and left out of the count above.
    names = expand(MODELS["deepseek-ai__DeepSeek-V3"]["tensors"])
    bias = "model.layers.1.mlp.gate.e_score_correction_bias"
    assert names[bias] == (4,)
    assert component(bias) == ("router", "router")
    assert buffer_reason(bias) == "DeepSeek-V3's router score correction: a buffer"
    buffers = {n for key in MODELS for n in expand(MODELS[key]["tensors"]) if buffer_reason(n)}
    assert {n.split(".")[-1] for n in buffers} == {"e_score_correction_bias"}


# Multimodal and newer models: the tiny configs of fixture "multimodal" (transformers 5.24.0),
# text T = hidden 64, ffn 96, 2 layers, 4 heads, 2 kv heads, vocab 211; vision V = hidden 32,
# ffn 48, 2 layers, 2 heads, image 32, patch 8: GptOssConfig(T, ffn 32, head_dim 16, 4 experts),
# Gemma3Config(T + head_dim 16, SigLIP V), Llama4Config(T + 2 experts every 2nd layer, V),
# Qwen2_5_VLConfig(T, vision depth 2, hidden 32), LlavaConfig(CLIP V, Llama T),
# WhisperConfig(d_model 64, 2 + 2 layers, 16 mel bins), CLIPConfig(T, V, projection 48).
MULTIMODAL = FIXTURE["multimodal"]
EXPECTED_MULTIMODAL = {
    "gpt_oss": {"token_embedding", "attention", "router", "experts", "norms", "output_head"},
    "gemma3": {
        *("token_embedding", "attention", "feed_forward", "norms", "projector"),
        *("vision.patch_embedding", "vision.position_embedding", "vision.attention", "vision.feed_forward"),
        *("vision.norms", "vision.pooler"),
    },
    "llama4": {
        *("token_embedding", "attention", "feed_forward", "router", "experts", "shared_expert", "norms"),
        *("output_head", "projector", "vision.patch_embedding", "vision.position_embedding"),
        *("vision.attention", "vision.feed_forward", "vision.norms"),
    },
    "qwen2_5_vl": {
        *("token_embedding", "attention", "feed_forward", "norms", "output_head", "projector"),
        *("vision.patch_embedding", "vision.attention", "vision.feed_forward", "vision.norms"),
    },
    "llava": {
        *("token_embedding", "attention", "feed_forward", "norms", "output_head", "projector"),
        *("vision.patch_embedding", "vision.position_embedding", "vision.attention", "vision.feed_forward"),
        "vision.norms",
    },
    "whisper": {
        *("token_embedding", "encoder.conv_stem", "encoder.position_embedding", "encoder.attention"),
        *("encoder.feed_forward", "encoder.norms", "decoder.position_embedding", "decoder.attention"),
        *("decoder.cross_attention", "decoder.feed_forward", "decoder.norms"),
    },
    "clip": {
        *("token_embedding", "position_embedding", "attention", "feed_forward", "norms", "projector"),
        *("vision.patch_embedding", "vision.position_embedding", "vision.attention", "vision.feed_forward"),
        "vision.norms",
    },
}


@pytest.mark.parametrize("key", sorted(MULTIMODAL))
def test_multimodal_towers(key: str) -> None:
    names = expand(MULTIMODAL[key]["tensors"])
    found = checkpoint_components(names)
    assert set(found) == EXPECTED_MULTIMODAL[key]
    assert sum(found.values()) == MULTIMODAL[key]["transformers_total"]


def test_multimodal_parts() -> None:
    assert component("model.layers.0.self_attn.sinks") == ("attention", "sinks")  # gpt-oss attention sinks
    assert component("model.layers.0.mlp.experts.gate_up_proj_blocks") == ("experts", "gate_up")  # MXFP4
    assert component("model.layers.0.mlp.experts.gate_up_proj_scales") == ("experts", "gate_up")
    assert component("model.layers.0.mlp.experts.down_proj_bias") == ("experts", "down")
    assert component("model.layers.0.mlp.router.bias") == ("router", "router")
    assert component("model.visual.merger.mlp.0.weight") == ("projector", "mlp")  # inside the vision tower
    assert component("model.visual.blocks.0.attn.qkv.weight") == ("vision.attention", "qkv")
    assert component("multi_modal_projector.mm_input_projection_weight") == ("projector", "mm_input_projection")
    # Hub checkpoints saved before transformers 5 put the language model first
    assert component("language_model.model.layers.0.mlp.up_proj.weight") == ("feed_forward", "up")
    assert component("language_model.lm_head.weight") == ("output_head", "head")
    assert component("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight") == ("vision.feed_forward", "up")


# Names some checkpoints hold that transformers 5 no longer writes, and quantized layouts:
# (name, component, part). Sources: GPT-2 / GPT-J pytorch_model.bin (attn.bias, attn.masked_bias),
# Llama-2 (rotary_emb.inv_freq), Meta's consolidated Llama (rope.freqs), AutoGPTQ / AutoAWQ
# QuantLinear, bitsandbytes Params4bit / Int8Params, DeepSeek-V3 FP8 and MTP layer 61, gpt-oss
# MXFP4, compressed-tensors.
NAMED = [
    ("model.layers.0.self_attn.q_proj.qweight", "attention", "q"),
    ("model.layers.0.self_attn.q_proj.qzeros", "attention", "q"),
    ("model.layers.0.self_attn.q_proj.scales", "attention", "q"),
    ("model.layers.0.self_attn.q_proj.g_idx", "attention", "q"),
    ("model.layers.0.mlp.down_proj.weight.quant_state.bitsandbytes__nf4", "feed_forward", "down"),
    ("model.layers.0.mlp.down_proj.weight.absmax", "feed_forward", "down"),
    ("model.layers.0.mlp.down_proj.weight.quant_map", "feed_forward", "down"),
    ("model.layers.0.mlp.down_proj.weight.nested_absmax", "feed_forward", "down"),
    ("model.layers.0.self_attn.o_proj.SCB", "attention", "o"),
    ("model.layers.0.self_attn.o_proj.weight_format", "attention", "o"),
    ("model.layers.5.mlp.experts.17.up_proj.weight_scale_inv", "experts", "up"),
    ("model.layers.0.self_attn.kv_b_proj.weight_scale_inv", "attention", "kv_b"),
    ("model.layers.0.mlp.gate_proj.weight_packed", "feed_forward", "gate"),
    ("model.layers.0.mlp.gate_proj.weight_shape", "feed_forward", "gate"),
    ("model.layers.0.mlp.gate_proj.weight_zero_point", "feed_forward", "gate"),
    ("model.layers.0.self_attn.k_scale", "attention", "self_attn"),
    ("model.layers.0.block_sparse_moe.experts.7.w1.weight", "experts", "gate"),
    ("model.layers.0.block_sparse_moe.experts.7.w3.weight", "experts", "up"),
    ("model.layers.0.block_sparse_moe.gate.weight", "router", "router"),
    ("model.layers.61.eh_proj.weight", "mtp", "eh_proj"),
    ("model.layers.61.enorm.weight", "mtp", "enorm"),
    ("model.layers.61.shared_head.head.weight", "mtp", "shared_head"),
    # Meta's consolidated Llama checkpoints
    ("tok_embeddings.weight", "token_embedding", "token"),
    ("layers.0.attention.wq.weight", "attention", "q"),
    ("layers.0.attention.wo.weight", "attention", "o"),
    ("layers.0.feed_forward.w1.weight", "feed_forward", "gate"),
    ("layers.0.feed_forward.w2.weight", "feed_forward", "down"),
    ("layers.0.attention_norm.weight", "norms", "per_layer"),
    ("norm.weight", "norms", "final"),
    ("output.weight", "output_head", "head"),
    # a torch.compile / DDP / PEFT prefix changes nothing
    ("_orig_mod.model.layers.0.self_attn.v_proj.weight", "attention", "v"),
    ("module.transformer.h.0.mlp.c_fc.weight", "feed_forward", "up"),
    ("base_model.model.model.layers.0.mlp.up_proj.weight", "feed_forward", "up"),
    ("score.weight", "classifier", "score"),
    ("cls.seq_relationship.weight", "classifier", "seq_relationship"),
    # GGUF: llama.cpp's names, text and mmproj (vision tower v., projector mm.)
    ("cls.output.weight", "classifier", "output"),
    ("blk.0.ffn_gate_inp_shexp.weight", "shared_expert", "shared_gate"),
    ("blk.0.ffn_gate_up_exps.weight", "experts", "gate_up"),
    ("blk.0.attn_k_b.weight", "attention", "k_b"),
    ("blk.0.attn_sinks.weight", "attention", "sinks"),
    ("blk.0.post_ffw_norm.weight", "norms", "per_layer"),
    ("token_types.weight", "token_type_embedding", "type"),
    ("token_embd_norm.weight", "embedding_norm", "embedding"),
    ("v.blk.0.attn_q.weight", "vision.attention", "q"),
    ("v.blk.0.ln1.weight", "vision.norms", "per_layer"),
    ("v.patch_embd.weight", "vision.patch_embedding", "patch"),
    ("v.post_ln.weight", "vision.norms", "final"),
    ("mm.0.weight", "projector", "mm"),
    ("a.blk.0.attn_k.weight", "audio.attention", "k"),
    # Megatron-LM's older GPT names (megatron/legacy/model): "encoder" without a decoder
    ("language_model.embedding.word_embeddings.weight", "token_embedding", "token"),
    ("language_model.encoder.layers.0.self_attention.query_key_value.weight", "attention", "qkv"),
    ("language_model.encoder.layers.0.mlp.dense_4h_to_h.weight", "feed_forward", "down"),
    ("language_model.encoder.final_layernorm.weight", "norms", "final"),
]


@pytest.mark.parametrize(("name", "expected", "part"), NAMED)
def test_named(name: str, expected: str, part: str) -> None:
    assert component(name) == (expected, part)


@pytest.mark.parametrize(
    "name",
    [
        "model.layers.0.frobnicator.A_log",
        "model.some_new_thing.weight",
        "weird",
        "model.layers.0.adapter.lora_A.weight",
    ],
)
def test_unknown_names_are_other_with_their_name(name: str) -> None:
    assert component(name) == (OTHER, name)


def test_layers_beyond_the_config_are_mtp() -> None:
    # DeepSeek-V3 stores one multi-token-prediction layer after its 61 blocks: model.layers.61
    # holds a full block (attention, experts) plus eh_proj, enorm, hnorm, shared_head and an
    # embedding of its own; DeepseekV3ForCausalLM does not build it.
    assert component("model.layers.61.self_attn.q_a_proj.weight", layers=61) == ("mtp", "attention")
    assert component("model.layers.61.mlp.experts.3.down_proj.weight", layers=61) == ("mtp", "experts")
    assert component("model.layers.61.embed_tokens.weight", layers=61) == ("mtp", "token_embedding")
    assert component("model.layers.60.self_attn.q_a_proj.weight", layers=61) == ("attention", "q_a")
    assert component("model.layers.61.self_attn.q_a_proj.weight") == ("attention", "q_a")  # without a config
    assert component("blk.61.nextn.eh_proj.weight") == ("mtp", "eh_proj")  # GGUF
    assert component("mtp.layers.0.self_attn.q_proj.weight") == ("mtp", "attention")  # Qwen3-Next, GLM-4.5
    # a vision tower's blocks are not counted against the text model's layers
    assert component("vision_tower.vision_model.encoder.layers.30.mlp.fc1.weight", layers=2)[0] == "vision.feed_forward"


@pytest.mark.parametrize(
    ("name", "shape", "reason"),
    [
        ("model.layers.0.self_attn.rotary_emb.inv_freq", None, "rotary inv_freq"),
        ("model.rotary_emb.original_inv_freq", None, "rotary inv_freq"),
        ("rope_freqs.weight", (64,), "GGUF rotary"),
        ("rope.freqs", (64,), "rotary frequencies"),
        ("transformer.h.0.attn.bias", (1, 1, 1024, 1024), "the causal mask"),
        ("transformer.h.0.attn.masked_bias", (), "the causal mask's fill value"),
        ("h.0.attn.attention.bias", None, "the causal mask"),
        ("bert.embeddings.position_ids", (1, 512), "a table of indices"),
        ("bert.embeddings.token_type_ids", (1, 512), "a table of indices"),
        ("model.layers.3.mlp.gate.e_score_correction_bias", (256,), "DeepSeek-V3"),
        ("blk.3.exp_probs_b.bias", (256,), "DeepSeek-V3"),
        ("decoder.layers.0.self_attention.linear_qkv._extra_state", None, "Transformer Engine"),
        ("transformer.h.0.attn.embed_positions", None, "rotary sin/cos"),
    ],
)
def test_buffers(name: str, shape: tuple[int, ...] | None, reason: str) -> None:
    found = buffer_reason(name, shape)
    assert found is not None and found.startswith(reason), found


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("transformer.h.0.attn.c_attn.bias", (2304,)),
        ("transformer.h.0.attn.bias", (768,)),  # a 1-D attn.bias is a real bias, not the mask
        ("model.layers.0.mlp.experts.down_proj_bias", (32, 2880)),
        ("model.layers.0.self_attn.sinks", (64,)),
        ("model.norm.weight", (4096,)),
    ],
)
def test_parameters_are_not_buffers(name: str, shape: tuple[int, ...]) -> None:
    assert buffer_reason(name, shape) is None


def test_many_names_fast() -> None:
    # DeepSeek-V3's checkpoint: 61 blocks x 256 experts x 3 projections, each with an FP8 scale
    names = [
        f"model.layers.{i}.mlp.experts.{e}.{p}_proj.{kind}"
        for i in range(62)
        for e in range(256)
        for p in ("gate", "up", "down")
        for kind in ("weight", "weight_scale_inv")
    ]
    start = time.perf_counter()
    found = components(names, layers=61)
    assert time.perf_counter() - start < 2.0  # about 0.3 s alone; the margin is for a busy machine
    assert found["model.layers.60.mlp.experts.255.down_proj.weight"] == ("experts", "down")
    assert found["model.layers.61.mlp.experts.0.up_proj.weight_scale_inv"] == ("mtp", "experts")
    assert components(["a.1.b", "a.2.b"]) == {"a.1.b": (OTHER, "a.1.b"), "a.2.b": (OTHER, "a.2.b")}


def test_encoder_decoder_from_the_names() -> None:
    t5 = expand(MODELS["google-t5__t5-small"]["tensors"])
    assert is_encoder_decoder(t5)
    assert not is_encoder_decoder(expand(MODELS["google-bert__bert-base-uncased"]["tensors"]))  # bert.encoder only
    assert not is_encoder_decoder(expand(MODELS["facebook__opt-66b"]["tensors"]))  # model.decoder only
    assert not is_encoder_decoder(expand(MULTIMODAL["llava"]["tensors"]))  # the vision tower's encoder
    name = "decoder.block.0.layer.1.EncDecAttention.q.weight"
    assert component(name, encoder_decoder=True) == ("decoder.cross_attention", "q")
    assert component(name) == ("cross_attention", "q")
    assert component("shared.weight", encoder_decoder=True) == ("token_embedding", "token")


# GGUF: the names llama.cpp's convert_hf_to_gguf.py gives the same tensors (gguf-py/gguf/
# tensor_mapping.py -> constants.py TENSOR_NAMES); routed experts are stacked into one
# ffn_*_exps tensor per block. Applied to the fixtures' transformers names, the components must
# again equal paramcalc's.
_B = r"(?:model\.layers|transformer\.h)\.(\d+)\."
_T5 = r"(encoder|decoder)\.block\.(\d+)\.layer\.(\d)\."
TO_GGUF = [
    (r"(?:model\.embed_tokens|transformer\.wte|shared)\.weight", "token_embd.weight"),
    (r"transformer\.wpe\.weight", "position_embd.weight"),
    (r"(?:model\.norm|transformer\.ln_f)\.(weight|bias)", r"output_norm.\1"),
    (r"lm_head\.weight", "output.weight"),
    (_B + r"(?:input_layernorm|ln_1)\.(\w+)", r"blk.\1.attn_norm.\2"),
    (_B + r"(?:post_attention_layernorm|ln_2)\.(\w+)", r"blk.\1.ffn_norm.\2"),
    (_B + r"self_attn\.([qkv])_proj\.(\w+)", r"blk.\1.attn_\2.\3"),
    (_B + r"(?:self_attn\.o_proj|attn\.c_proj)\.(\w+)", r"blk.\1.attn_output.\2"),
    (_B + r"attn\.c_attn\.(\w+)", r"blk.\1.attn_qkv.\2"),
    (_B + r"self_attn\.q_a_proj\.weight", r"blk.\1.attn_q_a.weight"),
    (_B + r"self_attn\.q_a_layernorm\.weight", r"blk.\1.attn_q_a_norm.weight"),
    (_B + r"self_attn\.q_b_proj\.weight", r"blk.\1.attn_q_b.weight"),
    (_B + r"self_attn\.kv_a_proj_with_mqa\.weight", r"blk.\1.attn_kv_a_mqa.weight"),
    (_B + r"self_attn\.kv_a_layernorm\.weight", r"blk.\1.attn_kv_a_norm.weight"),
    (_B + r"self_attn\.kv_b_proj\.weight", r"blk.\1.attn_kv_b.weight"),
    (_B + r"mlp\.(gate|up|down)_proj\.weight", r"blk.\1.ffn_\2.weight"),
    (_B + r"mlp\.c_fc\.(\w+)", r"blk.\1.ffn_up.\2"),
    (_B + r"mlp\.c_proj\.(\w+)", r"blk.\1.ffn_down.\2"),
    (_B + r"mlp\.gate\.weight", r"blk.\1.ffn_gate_inp.weight"),
    (_B + r"mlp\.gate\.e_score_correction_bias", r"blk.\1.exp_probs_b.bias"),
    (_B + r"mlp\.experts\.\d+\.(gate|up|down)_proj\.weight", r"blk.\1.ffn_\2_exps.weight"),
    (_B + r"mlp\.shared_experts?\.(gate|up|down)_proj\.weight", r"blk.\1.ffn_\2_shexp.weight"),
    (_B + r"mlp\.shared_expert_gate\.weight", r"blk.\1.ffn_gate_inp_shexp.weight"),
    (_T5 + r"(?:SelfAttention|EncDecAttention)\.relative_attention_bias\.weight", r"\1.blk.\2.attn_rel_b.weight"),
    (_T5 + r"SelfAttention\.([qkvo])\.weight", r"\1.blk.\2.attn_\4.weight"),
    (_T5 + r"EncDecAttention\.([qkvo])\.weight", r"\1.blk.\2.cross_attn_\4.weight"),
    (_T5 + r"DenseReluDense\.wi\.weight", r"\1.blk.\2.ffn_up.weight"),
    (_T5 + r"DenseReluDense\.wo\.weight", r"\1.blk.\2.ffn_down.weight"),
    (_T5 + r"layer_norm\.weight", r"\1.blk.\2.layer\3_norm"),  # renamed below by its position
    (r"(encoder|decoder)\.final_layer_norm\.weight", r"\1.output_norm.weight"),
]
T5_NORMS = {"encoder": ["attn_norm", "ffn_norm"], "decoder": ["attn_norm", "cross_attn_norm", "ffn_norm"]}


def to_gguf(names: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """GGUF names -> parameters, as llama.cpp would write them (ffn_*_exps summed over experts)."""
    out: dict[str, int] = {}
    for name, shape in names.items():
        for pattern, replacement in TO_GGUF:
            if re.fullmatch(pattern, name):
                new = re.sub(pattern, replacement, name)
                break
        else:
            raise AssertionError(f"no GGUF name for {name}")
        t5 = re.fullmatch(r"(encoder|decoder)\.blk\.(\d+)\.layer(\d)_norm", new)
        if t5:
            stack, block, index = t5.groups()
            new = f"{stack[:3]}.blk.{block}.{T5_NORMS[stack][int(index)]}.weight"
        new = re.sub(r"^(encoder|decoder)\.", lambda m: m.group(1)[:3] + ".", new)
        assert new not in out or "_exps" in new, new
        out[new] = out.get(new, 0) + numel(shape)
    return out


@pytest.mark.parametrize(
    "key",
    ["meta-llama__Meta-Llama-3-8B", "Qwen__Qwen1.5-MoE-A2.7B", "deepseek-ai__DeepSeek-V3", "openai-community__gpt2"]
    + ["google-t5__t5-small"],
)
def test_gguf_names(key: str, tmp_path: Path) -> None:
    entry = MODELS[key]
    gguf = to_gguf(expand(entry["tensors"]))
    if key == "meta-llama__Meta-Llama-3-8B":
        gguf["rope_freqs.weight"] = 8  # llama.cpp stores Llama 3's rotary factors: a buffer
    found: dict[str, int] = {}
    for name, (name_component, _) in components(gguf).items():
        if buffer_reason(name) is None:
            found[name_component] = found.get(name_component, 0) + gguf[name]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(entry["config"]))
    assert found == {c.name: c.params for c in config_components(paramcalc.load(str(path))) if c.params}


# Megatron-core GPT with Transformer Engine layers (megatron/core/models/gpt, the TE layer spec:
# the input norms are fused into linear_qkv and linear_fc1 as layer_norm_weight / _bias), for
# a GPT-2-like config: 2 layers, d_model 64, 4 heads, vocab 211, context 40, d_ff 256, untied.
MEGATRON = {
    "embedding.word_embeddings.weight": (211, 64),
    "embedding.position_embeddings.weight": (40, 64),
    "decoder.layers.{}.self_attention.linear_qkv.layer_norm_weight": (64,),
    "decoder.layers.{}.self_attention.linear_qkv.layer_norm_bias": (64,),
    "decoder.layers.{}.self_attention.linear_qkv.weight": (192, 64),
    "decoder.layers.{}.self_attention.linear_qkv.bias": (192,),
    "decoder.layers.{}.self_attention.linear_qkv._extra_state": (0,),
    "decoder.layers.{}.self_attention.linear_proj.weight": (64, 64),
    "decoder.layers.{}.self_attention.linear_proj.bias": (64,),
    "decoder.layers.{}.mlp.linear_fc1.layer_norm_weight": (64,),
    "decoder.layers.{}.mlp.linear_fc1.layer_norm_bias": (64,),
    "decoder.layers.{}.mlp.linear_fc1.weight": (256, 64),
    "decoder.layers.{}.mlp.linear_fc1.bias": (256,),
    "decoder.layers.{}.mlp.linear_fc2.weight": (64, 256),
    "decoder.layers.{}.mlp.linear_fc2.bias": (64,),
    "decoder.final_layernorm.weight": (64,),
    "decoder.final_layernorm.bias": (64,),
    "output_layer.weight": (211, 64),
}


def test_megatron_names() -> None:
    names = {n.format(i): shape for n, shape in MEGATRON.items() for i in range(2)}
    assert not is_encoder_decoder(names)  # decoder.layers alone
    assert component("decoder.layers.0.self_attention.linear_qkv.weight") == ("attention", "qkv")
    assert component("decoder.layers.0.self_attention.linear_qkv.layer_norm_weight") == ("norms", "per_layer")
    assert component("decoder.layers.0.mlp.linear_fc2.weight") == ("feed_forward", "down")
    gpt = {"architecture": "decoder", "layers": 2, "d_model": 64, "heads": 4, "vocab": 211, "context": 40}
    config = paramcalc.load({**gpt, "d_ff": 256, "activation": "gelu", "norm": "layernorm", "bias": True})
    config = paramcalc.load({**config.to_dict(), "tie_embeddings": False, "position": "learned"})
    assert checkpoint_components(names) == {c.name: c.params for c in config_components(config) if c.params}


def test_mamba_names() -> None:
    """transformers' Mamba and Mamba-2 checkpoints (backbone.*) map to the ssm layout's components."""
    from paramcalc.weights.names import component

    assert component("backbone.embeddings.weight") == ("token_embedding", "token")
    assert component("backbone.layers.0.mixer.in_proj.weight") == ("mixer", "in_proj")
    assert component("backbone.layers.7.mixer.dt_bias") == ("mixer", "dt_bias")
    assert component("backbone.layers.0.norm.weight") == ("norms", "per_layer")
    assert component("backbone.norm_f.weight") == ("norms", "final")
