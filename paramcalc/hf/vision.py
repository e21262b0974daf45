"""Vision towers and image-text models (issue 14): ViT, DINOv2, CLIP, SigLIP, SigLIP 2.

One function per model_type, as in families.py, plus the tower converters other families embed
(a VLM's vision_config is a CLIP or SigLIP vision config): each takes a Keys over the sub-config,
with model_type set to the sub-config's type so that its class's defaults apply, and returns the
part's paramcalc fields. Everything follows transformers 5.x: modeling_vit.py, modeling_dinov2.py,
modeling_dinov2_with_registers.py, modeling_clip.py, modeling_siglip.py, modeling_siglip2.py.

The defaults of the config classes (the sub-configs' own, which the outer configs' text_config
and vision_config fall back to) are written down here, once, and added to DEFAULTS when this
module is imported, so that a family that embeds a tower finds them with the tower.
"""

from __future__ import annotations

from typing import Any

from paramcalc.errors import Problem, show
from paramcalc.hf import Keys
from paramcalc.hf.defaults import DEFAULTS

# The class defaults of the keys that change a count (configuration_<type>.py, transformers 5.24).
_CLIP_TEXT = {
    "hidden_act": "quick_gelu",
    "hidden_size": 512,
    "intermediate_size": 2048,
    "max_position_embeddings": 77,
    "num_attention_heads": 8,
    "num_hidden_layers": 12,
    "projection_dim": 512,
    "vocab_size": 49408,
}
_CLIP_VISION = {
    "hidden_act": "quick_gelu",
    "hidden_size": 768,
    "image_size": 224,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_channels": 3,
    "num_hidden_layers": 12,
    "patch_size": 32,
    "projection_dim": 512,
}
_SIGLIP_TEXT = {
    "hidden_act": "gelu_pytorch_tanh",
    "hidden_size": 768,
    "intermediate_size": 3072,
    "max_position_embeddings": 64,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "projection_size": None,  # -> hidden_size (SiglipTextConfig.__post_init__)
    "vocab_size": 32000,
}
_SIGLIP_VISION = {
    "hidden_act": "gelu_pytorch_tanh",
    "hidden_size": 768,
    "image_size": 224,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_channels": 3,
    "num_hidden_layers": 12,
    "patch_size": 16,
    "vision_use_head": True,
}
VISION_DEFAULTS: dict[str, dict[str, Any]] = {
    "clip": {"projection_dim": 512},
    "clip_text_model": _CLIP_TEXT,
    "clip_vision_model": _CLIP_VISION,
    "siglip": {},
    "siglip_text_model": _SIGLIP_TEXT,
    "siglip_vision_model": _SIGLIP_VISION,
    "siglip2": {},
    "siglip2_text_model": _SIGLIP_TEXT,
    "siglip2_vision_model": {**{k: v for k, v in _SIGLIP_VISION.items() if k != "image_size"}, "num_patches": 256},
}
DEFAULTS.update(VISION_DEFAULTS)


def sub_keys(k: Keys, name: str, model_type: str) -> Keys:
    """The Keys of a sub-config (`text_config`, `vision_config`) read as `model_type`, whose
    defaults it falls back to (an absent or null sub-config: all defaults). Its problems are the
    outer Keys' own list, so every problem of the whole file is reported at once.

    CLIP's legacy `text_config_dict` / `vision_config_dict` (openai/clip-vit-large-patch14 still
    carries them): CLIPConfig expands one with all the sub-config class's defaults and lets it
    override `text_config` key by key, so a key the dict lacks takes the class default even where
    `text_config` gives it; reading the dict alone over the defaults is the same."""
    sub = k.raw.get(name)
    legacy = f"{name}_dict"
    if model_type.startswith("clip_") and isinstance(k.raw.get(legacy), dict):
        sub, name = k.raw[legacy], legacy
    if sub is not None and not isinstance(sub, dict):
        k.problems.append(Problem(k.label, name, f"must be a mapping of config keys, not {show(sub)}"))
        sub = None
    keys = Keys({**(sub or {}), "model_type": model_type}, f"{k.label}: {name}")
    keys.problems = k.problems
    return keys


def _act(k: Keys, default: str) -> str:
    """gelu, quick_gelu, gelu_pytorch_tanh: two matrices, counted as gelu; relu/silu by name."""
    act = k.text("hidden_act", default)
    return {"relu": "relu", "silu": "silu", "swish": "silu"}.get(act, "gelu")


def _tower(k: Keys) -> dict[str, Any]:
    """The sizes of a CLIP or SigLIP encoder (CLIPEncoderLayer, SiglipEncoderLayer: q, k, v and
    out_proj d x d with bias, fc1/fc2 with bias, layer_norm1/2; their attention has no head_dim
    key and refuses heads that do not divide hidden_size)."""
    out = {
        "layers": k.size("num_hidden_layers", required=True),
        "d_model": k.size("hidden_size", required=True),
        "heads": k.size("num_attention_heads", required=True),
        "d_ff": k.size("intermediate_size", required=True),
    }
    if out["d_model"] % out["heads"]:
        k.problems.append(
            Problem(
                k.label,
                "num_attention_heads",
                f"{out['heads']} does not divide hidden_size {out['d_model']} ({k.model_type} requires it)",
            )
        )
    return {**out, "norm": "layernorm", "bias": True}


def _text(k: Keys, act: str) -> dict[str, Any]:
    """A text tower (CLIPTextTransformer, SiglipTextTransformer): token and learned position
    embeddings, pre-LN blocks, final_layer_norm; no token types, no embedding norm."""
    return {
        "architecture": "encoder",
        **_tower(k),
        "vocab": k.size("vocab_size", required=True),
        "context": k.size("max_position_embeddings", required=True),
        "activation": _act(k, act),
        "position": "learned",
        "type_vocab": 0,
        "embedding_norm": False,
        "final_norm": True,
        "pooler": False,
    }


def _image(k: Keys) -> dict[str, int]:
    """image_size, patch_size and num_channels; CLIP and SigLIP take ints only (a list fails in
    their embeddings)."""
    return {
        "image_size": k.size("image_size", required=True),
        "patch_size": k.size("patch_size", required=True, positive=True),
        "channels": k.size("num_channels", required=True),
    }


def clip_vision(k: Keys) -> dict[str, Any]:
    """CLIPVisionTransformer (model_type clip_vision_model): class_embedding, a Conv2d patch
    embedding without bias, (patches + 1) learned positions, pre_layrnorm (embedding_norm), the
    blocks, post_layernorm (final_norm)."""
    return {
        "architecture": "vision",
        **_tower(k),
        **_image(k),
        "activation": _act(k, "quick_gelu"),
        "patch_bias": False,
        "class_tokens": 1,
        "position": "learned",
        "embedding_norm": True,
        "final_norm": True,
    }


def clip_text(k: Keys) -> dict[str, Any]:
    """CLIPTextTransformer (model_type clip_text_model), without a projection."""
    return _text(k, "quick_gelu")


def siglip_vision(k: Keys) -> dict[str, Any]:
    """SiglipVisionTransformer (model_type siglip_vision_model): a Conv2d patch embedding with
    bias, patches learned positions (no class token), the blocks, post_layernorm, and with
    vision_use_head the attention-pooling head (what VLMs embed sets it false)."""
    return {
        "architecture": "vision",
        **_tower(k),
        **_image(k),
        "activation": _act(k, "gelu_pytorch_tanh"),
        "patch_bias": True,
        "class_tokens": 0,
        "position": "learned",
        "embedding_norm": False,
        "final_norm": True,
        "pool_head": k.flag("vision_use_head", True),
    }


def siglip_text(k: Keys) -> dict[str, Any]:
    """SiglipTextTransformer (model_type siglip_text_model) with its head: a Linear hidden_size ->
    projection_size with bias on the last token (projection_size: hidden_size when null), counted
    as the tower's pooler of pooler_dim outputs."""
    out = _text(k, "gelu_pytorch_tanh")
    projection = k.size("projection_size", default=out["d_model"])
    out["pooler"] = True
    if projection != out["d_model"]:
        out["pooler_dim"] = projection
    return out
