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

from math import isqrt
from typing import Any

from paramcalc.errors import Problem, show
from paramcalc.hf import Family, Keys, plain
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
    return plain(k.text("hidden_act", default))


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


def image(k: Keys) -> dict[str, int]:
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
        **image(k),
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
    return _siglip_vision(k, image(k))


def _siglip_vision(k: Keys, image: dict[str, int]) -> dict[str, Any]:
    return {
        "architecture": "vision",
        **_tower(k),
        **image,
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


# --- the families ----------------------------------------------------------------------------

DEFAULTS.update(
    vit={
        "hidden_act": "gelu",
        "hidden_size": 768,
        "image_size": 224,
        "intermediate_size": 3072,
        "num_attention_heads": 12,
        "num_channels": 3,
        "num_hidden_layers": 12,
        "patch_size": 16,
        "pooler_output_size": None,  # -> hidden_size (ViTConfig.__post_init__)
        "qkv_bias": True,
    },
    dinov2={
        "hidden_act": "gelu",
        "hidden_size": 768,
        "image_size": 224,
        "mlp_ratio": 4,
        "num_attention_heads": 12,
        "num_channels": 3,
        "num_hidden_layers": 12,
        "patch_size": 14,
        "qkv_bias": True,
        "use_mask_token": True,
        "use_swiglu_ffn": False,
    },
)
DEFAULTS["dinov2_with_registers"] = {**DEFAULTS["dinov2"], "patch_size": 16, "num_register_tokens": 4}
del DEFAULTS["dinov2_with_registers"]["use_mask_token"]  # not a field there: the mask token is always built


def _side(k: Keys, name: str) -> int:
    """image_size or patch_size: an int, or a [height, width] list (ViT, DINOv2 take both) whose
    sides are equal; paramcalc's tower is square."""
    value = k.get(name)
    if not isinstance(value, list):
        return k.size(name, required=True, positive=name == "patch_size")
    if len(value) != 2 or value[0] != value[1]:
        k.problems.append(Problem(k.label, name, f"{show(value)}: only square images and patches are supported"))
        return 1
    side = value[0]
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        k.problems.append(Problem(k.label, name, f"must hold positive whole numbers, not {show(value)}"))
        return 1
    return side


def _vit_core(k: Keys) -> dict[str, Any]:
    """What ViT and DINOv2 share: sizes, a square image, a Conv2d patch embedding with bias, one
    [CLS] and (patches + 1) learned positions, pre-LN blocks whose q, k, v are heads x head_dim
    wide (a head_dim key is read; heads need not divide hidden_size: head_dim is then
    hidden_size // heads), the final layernorm."""
    out: dict[str, Any] = {
        "architecture": "vision",
        "layers": k.size("num_hidden_layers", required=True),
        "d_model": k.size("hidden_size", required=True),
        "heads": k.size("num_attention_heads", required=True),
        "image_size": _side(k, "image_size"),
        "patch_size": _side(k, "patch_size"),
        "channels": k.size("num_channels", required=True),
    }
    head_dim = k.size("head_dim", default=max(1, out["d_model"] // out["heads"]), positive=True)
    if head_dim * out["heads"] != out["d_model"]:
        out["head_dim"] = head_dim
    return {
        **out,
        "norm": "layernorm",
        "bias": True,
        "qkv_bias": k.flag("qkv_bias", True),
        "patch_bias": True,
        "class_tokens": 1,
        "position": "learned",
        "embedding_norm": False,
        "final_norm": True,
    }


def vit(k: Keys) -> dict[str, Any]:
    """ViTModel (AutoModel): with its pooler, a dense hidden_size -> pooler_output_size with tanh
    on [CLS] (ViTForImageClassification, the class of the published checkpoints, has none)."""
    out = _vit_core(k)
    out.update(d_ff=k.size("intermediate_size", required=True), activation=_act(k, "gelu"), pooler=True)
    pooled = k.size("pooler_output_size", default=out["d_model"], positive=True)
    if pooled != out["d_model"]:
        out["pooler_dim"] = pooled
    return out


def _dinov2(k: Keys, registers: int, mask: bool) -> dict[str, Any]:
    """Dinov2Model: layer_scale1/2 in every block (built whatever layerscale_value is), a mask
    token, a feed-forward of int(hidden_size * mlp_ratio) or, with use_swiglu_ffn, a SwiGLU of
    (2/3 of that, rounded up to a multiple of 8) with biases (Dinov2SwiGLUFFN)."""
    out = _vit_core(k)
    d_ff = out["d_model"] * k.size("mlp_ratio", required=True)
    if k.flag("use_swiglu_ffn", False):
        out.update(d_ff=(2 * d_ff // 3 + 7) // 8 * 8, activation="swiglu")
    else:
        out.update(d_ff=d_ff, activation=_act(k, "gelu"))
    out.update(layer_scale=True, mask_token=mask)
    if registers:
        out["register_tokens"] = registers
    return out


def dinov2(k: Keys) -> dict[str, Any]:
    return _dinov2(k, 0, k.flag("use_mask_token", True))


def dinov2_with_registers(k: Keys) -> dict[str, Any]:
    # register_tokens 1 x R x d after [CLS], without positions; no use_mask_token key: always a mask token
    registers = k.size("num_register_tokens", default=4)
    return _dinov2(k, registers, True)


def clip(k: Keys) -> dict[str, Any]:
    """CLIPModel: the text and vision towers, visual_projection (projection_dim x vision width)
    and text_projection (projection_dim x text width), both without bias, and logit_scale (one
    value). projection_dim is the top-level key's: CLIPModel does not read the sub-configs'."""
    vision = clip_vision(sub_keys(k, "vision_config", "clip_vision_model"))
    text = clip_text(sub_keys(k, "text_config", "clip_text_model"))
    projection = k.size("projection_dim", required=True)
    return {
        "architecture": "composite",
        "parts": {"vision": vision, "text": text},
        "tensors": {
            "visual_projection": [projection, vision["d_model"]],
            "text_projection": [projection, text["d_model"]],
            "logit_scale": [1],
        },
    }


def _siglip_pair(vision: dict[str, Any], text: dict[str, Any]) -> dict[str, Any]:
    """SiglipModel / Siglip2Model: the towers (the text tower's head is its pooler) and
    logit_scale and logit_bias, one value each; no projection matrices."""
    return {
        "architecture": "composite",
        "parts": {"vision": vision, "text": text},
        "tensors": {"logit_scale": [1], "logit_bias": [1]},
    }


def siglip(k: Keys) -> dict[str, Any]:
    vision = siglip_vision(sub_keys(k, "vision_config", "siglip_vision_model"))
    return _siglip_pair(vision, siglip_text(sub_keys(k, "text_config", "siglip_text_model")))


def siglip2_vision(k: Keys) -> dict[str, Any]:
    """Siglip2VisionTransformer: as SigLIP's, but the patch embedding is a Linear over channels x
    patch_size^2 (with bias: the same count as the conv) and the position table has num_patches
    rows, a square grid resized to each image (no image_size key); counted as a square image of
    sqrt(num_patches) patches a side."""
    patch = k.size("patch_size", required=True, positive=True)
    patches = k.size("num_patches", required=True)
    side = isqrt(patches)
    if side * side != patches:
        k.problems.append(Problem(k.label, "num_patches", f"{patches} is not a square grid (side x side patches)"))
    image = {"image_size": max(side, 1) * patch, "patch_size": patch, "channels": k.size("num_channels", required=True)}
    return _siglip_vision(k, image)


def siglip2(k: Keys) -> dict[str, Any]:
    vision = siglip2_vision(sub_keys(k, "vision_config", "siglip2_vision_model"))
    return _siglip_pair(vision, siglip_text(sub_keys(k, "text_config", "siglip2_text_model")))


# model_type -> family, registered in families.FAMILIES
FAMILIES_VISION: dict[str, Family] = {
    "vit": vit,
    "dinov2": dinov2,
    "dinov2_with_registers": dinov2_with_registers,
    "clip": clip,
    "clip_vision_model": clip_vision,  # CLIPVisionModel alone (llava's tower), without visual_projection
    "clip_text_model": clip_text,  # CLIPTextModel alone, without text_projection
    "siglip": siglip,
    "siglip_vision_model": siglip_vision,  # SiglipVisionModel alone (what PaliGemma and Gemma 3 embed)
    "siglip_text_model": siglip_text,
    "siglip2": siglip2,
    "siglip2_vision_model": siglip2_vision,
    "siglip2_text_model": siglip_text,
}
