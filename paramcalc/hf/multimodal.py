"""Image-text models (<X>ForConditionalGeneration): a vision tower, a projector, a language model.

Each HuggingFace type becomes a composite config (architecture: composite) whose parts are
ordinary paramcalc configs: the tower an `architecture: vision`, each projector layer stack an
`architecture: mlp`, the language model what the text family of its text_config says (its
output head included, tied as the outer class ties it), and a projector's gains that no part
holds as loose tensors. Every layer of a tower is counted, whatever vision_feature_layer picks
(transformers builds them all), as is a head the model never calls (CLIP's post_layernorm,
SigLIP's pooling head).

A sub-config's missing keys take the defaults of its own config class, which differ from the
outer class's init_kwargs (used only when the sub-config is absent): a `vision_config: {}` is
CLIPVisionConfig's 12 x 768 tower, an absent one llava's CLIP-L/14-336.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paramcalc.errors import Problem, show
from paramcalc.hf import Keys, gated, plain
from paramcalc.hf.vision import clip_vision, image, siglip_vision

# The size keys of a text config class that the text families require, as the class defaults
# them (transformers 5.x): a text_config of a multimodal model may leave any of them out.
TEXT_SIZES: dict[str, dict[str, int]] = {
    "llama": {
        "vocab_size": 32000,
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
    },
    "mistral": {
        "vocab_size": 32000,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
    },
    "qwen2": {
        "vocab_size": 151936,
        "hidden_size": 4096,
        "intermediate_size": 22016,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
    },
}

# Mistral3Config's init_kwargs, used when a sub-config is absent: Mistral-Small-3.1's tower and
# text model (a sub-config given, even {}, takes PixtralVisionConfig's / MistralConfig's own).
MISTRAL3_VISION: dict[str, Any] = {
    "model_type": "pixtral",
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "patch_size": 14,
    "image_size": 1540,
}
MISTRAL3_TEXT: dict[str, Any] = {
    "model_type": "mistral",
    "vocab_size": 131072,
    "hidden_size": 5120,
    "intermediate_size": 32768,
    "num_hidden_layers": 40,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "max_position_embeddings": 131072,
}


def _mapping(k: Keys, name: str, absent: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The sub-config under `name`: a mapping, or `absent` (the outer class's init_kwargs) when
    the key is missing or null."""
    sub = k.raw.get(name)
    if sub is None:
        return dict(absent or {})
    if not isinstance(sub, Mapping):
        k.problems.append(Problem(k.label, name, f"must be a mapping of config keys, not {show(sub)}"))
        return dict(absent or {})
    return dict(sub)


def _sub(k: Keys, name: str | None, raw: Mapping[str, Any], model_type: str) -> Keys:
    """Keys over a sub-config, read with the defaults of `model_type` (its config class); its
    problems are named `file: name: key` (`name` None: keys of the outer config itself)."""
    label = f"{k.label}: {name}" if name else k.label
    return Keys({**TEXT_SIZES.get(model_type, {}), **raw, "model_type": model_type}, label)


def _merge(k: Keys, sub: Keys) -> None:
    k.problems.extend(sub.problems)


def _text(
    k: Keys, name: str | None, raw: Mapping[str, Any], model_type: str, config: str | None = None
) -> dict[str, Any]:
    """The language model: the text family of `model_type` over the sub-config, read with the
    defaults of `config` (its config class, when it is not the family's own)."""
    from paramcalc.hf.families import FAMILIES

    family = FAMILIES.get(model_type)
    if family is None or model_type in MULTIMODAL:
        reason = f"model_type {show(model_type)} is not supported as a text model"
        k.problems.append(Problem(k.label, f"{name}.model_type" if name else "model_type", reason))
        return {}
    sub = _sub(k, name, raw, config or model_type)
    out = family(sub)
    _merge(k, sub)
    return out


def _sub_type(k: Keys, name: str, raw: Mapping[str, Any], default: str, allowed: tuple[str, ...]) -> str:
    """The sub-config's model_type (AutoConfig picks its class by it), `default` when absent."""
    value = raw.get("model_type", default)
    if value not in allowed:
        k.problems.append(
            Problem(
                k.label, f"{name}.model_type", f"{show(value)} is not supported here; supported: {', '.join(allowed)}"
            )
        )
        return default
    return str(value)


def _feature_layers(k: Keys) -> int:
    """Vision features concatenated into the projector's input: one per listed layer."""
    layer = k.raw.get("vision_feature_layer", -1)
    return max(len(layer), 1) if isinstance(layer, list) else 1


def _mlp(sizes: list[int], bias: bool) -> dict[str, Any]:
    return {"architecture": "mlp", "layer_sizes": sizes, "bias": bias}


def _composite(parts: dict[str, Any], tensors: dict[str, list[int]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"architecture": "composite", "parts": {n: p for n, p in parts.items() if p}}
    if tensors:
        out["tensors"] = tensors
    return out


def _tie(language: dict[str, Any], tied: bool) -> dict[str, Any]:
    return {**language, "tie_embeddings": tied} if language else language


def qwen2_5_vl(k: Keys) -> dict[str, Any]:
    # Qwen2.5-VL (Qwen2_5_VLForConditionalGeneration): model.visual is a patch Conv3d without
    # bias (in_channels x temporal_patch_size x patch_size^2 -> hidden_size), depth blocks of two
    # RMSNorms, a fused qkv and proj with biases and a gated MLP with biases, 2D rotary positions
    # (a buffer), no final norm; the merger is an RMSNorm ln_q over hidden_size and an MLP
    # hidden_size*m^2 -> hidden_size*m^2 -> out_hidden_size with biases (m = spatial_merge_size).
    v = _sub(k, "vision_config", _mapping(k, "vision_config"), "qwen2_5_vl_vision")
    width = v.size("hidden_size", required=True)
    merged = width * v.size("spatial_merge_size", positive=True) ** 2
    vision = {
        "architecture": "vision",
        # attribute_map aliases (num_hidden_layers -> depth, num_attention_heads -> num_heads) win
        "layers": v.size("num_hidden_layers", "depth", required=True),
        "d_model": width,
        "heads": v.size("num_attention_heads", "num_heads", required=True),
        "d_ff": v.size("intermediate_size", required=True),
        "activation": gated(v.text("hidden_act", "silu")),
        "norm": "rmsnorm",
        "bias": True,
        "position": "rotary",
        "patch_size": v.size("patch_size", required=True),
        "channels": v.size("in_channels", required=True),  # a num_channels key is not read
        "temporal_patch": v.size("temporal_patch_size", required=True),
        "patch_bias": False,
        "class_tokens": 0,
        "final_norm": False,
    }
    merger = _mlp([merged, merged, v.size("out_hidden_size", required=True)], True)
    _merge(k, v)
    # The text model: text_config if there is one, else the legacy flat layout (the top-level
    # keys are Qwen2_5_VLTextConfig's). Qwen2's layer, except head_dim: always hidden // heads.
    nested = "text_config" in k.raw and k.raw["text_config"] is not None
    raw = _mapping(k, "text_config") if nested else {n: x for n, x in k.raw.items() if n != "vision_config"}
    raw.pop("head_dim", None)
    language = _text(k, "text_config" if nested else None, raw, "qwen2", "qwen2_5_vl_text")
    tied = k.flag("tie_word_embeddings", False) or _flag(raw, "tie_word_embeddings")
    parts = {"vision": vision, "merger": merger, "language": _tie(language, tied)}
    return _composite(parts, {"merger_norm": [width]})


def mistral3(k: Keys) -> dict[str, Any]:
    # Mistral Small 3.1 (Mistral3ForConditionalGeneration): a Pixtral tower (patch conv without
    # bias, ln_pre RMSNorm, 2D rotary positions, blocks of two RMSNorms, q/k/v/o and a gated MLP
    # without biases, no final norm); the projector an RMSNorm, a patch merger (hidden*m^2 ->
    # hidden, no bias), linear_1 (hidden x feature layers -> text hidden) and linear_2, biased iff
    # multimodal_projector_bias; a Mistral (or any) text model. The head ties only by the
    # top-level key, true by default.
    raw_v = _mapping(k, "vision_config", MISTRAL3_VISION)
    v = _sub(k, "vision_config", raw_v, _sub_type(k, "vision_config", raw_v, "pixtral", ("pixtral",)))
    width = v.size("hidden_size", required=True)
    vision = {
        "architecture": "vision",
        "layers": v.size("num_hidden_layers", required=True),
        "d_model": width,
        "heads": v.size("num_attention_heads", required=True),
        "d_ff": v.size("intermediate_size", required=True),
        "activation": gated(v.text("hidden_act", "gelu")),
        "norm": "rmsnorm",
        "bias": False,
        "position": "rotary",
        **image(v),
        "patch_bias": False,
        "class_tokens": 0,
        "embedding_norm": True,  # ln_pre
        "final_norm": False,
    }
    _merge(k, v)
    raw_t = _mapping(k, "text_config", MISTRAL3_TEXT)
    language = _text(k, "text_config", raw_t, str(raw_t.get("model_type", "mistral")))
    merge = k.size("spatial_merge_size", default=2, positive=True)
    bias = k.flag("multimodal_projector_bias", False)
    text_width = language.get("d_model", 1)
    parts = {
        "vision": vision,
        "patch_merger": _mlp([width * merge**2, width], False),
        "projector": _mlp([width * _feature_layers(k), text_width, text_width], bias),
        "language": _tie(language, k.flag("tie_word_embeddings", True)),
    }
    return _composite(parts, {"projector_norm": [width]})


def llama4(k: Keys) -> dict[str, Any]:
    # Llama 4 (Llama4ForConditionalGeneration): a vision model of a patch Linear without bias
    # (an Unfold: channels x patch_size^2 -> hidden), a class embedding, a learned position table
    # of patches + 1 rows, layernorm_pre and layernorm_post, CLIP-like blocks (LayerNorms, q/k/v/o
    # and fc1/fc2 with biases); its vision_adapter fc1 (intermediate_size -> projector_input_dim)
    # and fc2 (projector_output_dim -> projector_output_dim), no biases; the projector
    # vision_output_dim -> text hidden without bias; the text model is Llama4ForCausalLM with its
    # own head and its own tie (the top-level key is not read).
    v = _sub(k, "vision_config", _mapping(k, "vision_config"), "llama4_vision_model")
    width = v.size("hidden_size", required=True)
    inner = v.size("intermediate_size", required=True)
    vision = {
        "architecture": "vision",
        "layers": v.size("num_hidden_layers", required=True),
        "d_model": width,
        "heads": v.size("num_attention_heads", required=True),
        "d_ff": inner,
        "activation": plain(v.text("hidden_act", "gelu")),
        "norm": "layernorm",
        "bias": True,
        "position": "learned",
        **image(v),
        "patch_bias": False,
        "embedding_norm": True,  # layernorm_pre
    }
    into, out = v.size("projector_input_dim", required=True), v.size("projector_output_dim", required=True)
    if into == out:
        adapter = {"vision_adapter": _mlp([inner, into, out], False)}
    else:  # fc2 takes projector_output_dim inputs whatever fc1 gives: two layers of their own
        adapter = {"vision_adapter_fc1": _mlp([inner, into], False), "vision_adapter_fc2": _mlp([out, out], False)}
    projector_in = v.size("vision_output_dim", required=True)
    _merge(k, v)
    raw_t = _mapping(k, "text_config")
    language = _text(k, "text_config", raw_t, "llama4_text")
    parts = {"vision": vision, **adapter, "projector": _mlp([projector_in, language.get("d_model", 1)], False)}
    return _composite({**parts, "language": language})


# LlavaConfig's init_kwargs for an absent vision_config: CLIP ViT-L/14 at 336 px (a vision_config
# given, even {}, takes CLIPVisionConfig's own: 12 x 768 at 224/32).
LLAVA_VISION: dict[str, Any] = {
    "model_type": "clip_vision_model",
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "image_size": 336,
    "patch_size": 14,
}
TOWERS = {"clip_vision_model": clip_vision, "siglip_vision_model": siglip_vision}


def llava(k: Keys) -> dict[str, Any]:
    # LLaVA (LlavaForConditionalGeneration): a CLIP (or SigLIP) vision tower, every layer and
    # post_layernorm counted though features come from vision_feature_layer; the projector
    # linear_1 (hidden x feature layers -> text hidden) and linear_2, biased iff
    # multimodal_projector_bias (true by default); any text model (llama by default). The head is
    # tied if either the top-level key or the text config's (its class's default) says so.
    raw_v = _mapping(k, "vision_config", LLAVA_VISION)
    kind = _sub_type(k, "vision_config", raw_v, "clip_vision_model", tuple(TOWERS))
    v = _sub(k, "vision_config", raw_v, kind)
    vision = TOWERS[kind](v)
    _merge(k, v)
    raw_t = _mapping(k, "text_config")
    language = _text(k, "text_config", raw_t, str(raw_t.get("model_type", "llama")))
    tied = k.flag("tie_word_embeddings", False) or language.get("tie_embeddings", False) is True
    text_width = language.get("d_model", 1)
    bias = k.flag("multimodal_projector_bias", True)
    parts = {
        "vision": vision,
        "projector": _mlp([vision["d_model"] * _feature_layers(k), text_width, text_width], bias),
        "language": _tie(language, tied),
    }
    return _composite(parts)


def gemma3(k: Keys) -> dict[str, Any]:
    # Gemma 3 (Gemma3ForConditionalGeneration): a SigLIP tower (its pooling head built, unused,
    # when vision_use_head is true: the class default; real files say false); the projector an
    # RMSNorm mm_soft_emb_norm over the vision width and mm_input_projection_weight (vision
    # hidden x text hidden, a bare Parameter) after an average pool (no parameters); the text
    # model Gemma3TextModel, whatever model_type its dict says. The head ties only by the
    # top-level key, true by default.
    v = _sub(k, "vision_config", _mapping(k, "vision_config"), "siglip_vision_model")
    vision = siglip_vision(v)
    _merge(k, v)
    language = _text(k, "text_config", _mapping(k, "text_config"), "gemma3_text")
    width, text_width = vision["d_model"], language.get("d_model", 1)
    parts = {"vision": vision, "language": _tie(language, k.flag("tie_word_embeddings", True))}
    return _composite(parts, {"mm_soft_emb_norm": [width], "mm_input_projection": [width, text_width]})


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    return raw.get(name) is True


MULTIMODAL = ("qwen2_5_vl", "mistral3", "llama4", "llava", "gemma3")
