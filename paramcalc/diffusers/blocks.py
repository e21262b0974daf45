"""diffusers' building blocks written in the layer-list language, as raw config items.

Each function returns what a config file would hold (a layer item, a module definition), so the
converted model reads like a YAML a person could write, and `paramcalc convert` writes it back.
Names follow diffusers' module names (norm1, conv1, time_emb_proj, attn1, ff.proj, ...), so the
table of a converted model matches ``model.named_modules()``.
"""

from __future__ import annotations

from typing import Any

Item = dict[str, Any]

# CLIP's text encoder gives the U-Net 77 tokens to attend to (only FLOPs depend on it)
CONTEXT_TOKENS = 77


def named(kind: str, args: Any, name: str) -> Item:
    return {kind: args, "name": name}


def conv(out: int | str, kernel: int, name: str, stride: int = 1) -> Item:
    # nn.Conv2d(in, out, kernel, stride, padding=kernel // 2), with bias (diffusers' convs all have one)
    args: dict[str, Any] = {"out": out, "kernel": kernel, "padding": kernel // 2}
    if stride != 1:
        args["stride"] = stride
    return named("conv2d", args, name)


def resnet2d(groups: int, temb: int | None, scale_shift: bool = False) -> Item:
    """ResnetBlock2D(in, out, temb_channels): GroupNorm, SiLU, conv3x3, + time_emb_proj(temb)
    (2 x out with resnet_time_scale_shift scale_shift; none in the VAE: temb None), GroupNorm,
    SiLU, conv3x3; a 1x1 conv_shortcut with bias where in != out."""
    layers: list[Any] = [named("groupnorm", groups, "norm1"), "silu", conv("$out", 3, "conv1")]
    if temb is not None:
        out = "$out * 2" if scale_shift else "$out"
        layers.append(named("side_linear", {"features": temb, "out": out}, "time_emb_proj"))
    layers += [named("groupnorm", groups, "norm2"), "silu", conv("$out", 3, "conv2")]
    return {"args": {"out": None}, "layers": layers, "shortcut": [conv("$out", 1, "conv_shortcut")]}


def _to_tokens() -> list[Any]:
    return [{"flatten": {"start": 1}}, {"permute": [1, 0]}]  # [C, H, W] -> [H*W, C]


def _to_map() -> list[Any]:
    return [{"permute": [1, 0]}, {"reshape": ["$channels", "$height", "$width"]}]  # and back


def transformer2d(groups: int, linear_projection: bool) -> Item:
    """Transformer2DModel (continuous input): GroupNorm(C), proj_in (1x1 conv, or a Linear with
    use_linear_projection: the same count), `layers` BasicTransformerBlocks on the H*W tokens,
    proj_out; added to its input. Its inner width is C whatever the head settings."""
    blocks = {"name": "transformer_blocks", "repeat": "$layers", "layer": {"basic_transformer_block": None}}
    if linear_projection:
        proj_in, proj_out = named("linear", "$channels", "proj_in"), named("linear", "$channels", "proj_out")
        layers = [named("groupnorm", {"groups": groups, "eps": 1e-6}, "norm"), *_to_tokens(), proj_in, blocks]
        layers += [proj_out, *_to_map()]
    else:
        layers = [
            named("groupnorm", {"groups": groups, "eps": 1e-6}, "norm"),
            conv("$channels", 1, "proj_in"),
            *_to_tokens(),
            blocks,
            *_to_map(),
            conv("$channels", 1, "proj_out"),
        ]
    return {"args": {"channels": None, "height": None, "width": None, "layers": 1}, "layers": layers, "residual": True}


def basic_transformer_block(heads: int, context: int, only_cross: bool) -> Item:
    """BasicTransformerBlock: LayerNorm, self-attention (k/v from the text with
    only_cross_attention), LayerNorm, cross-attention (k/v from the `context`-wide text
    embedding), LayerNorm, GEGLU feed-forward (D -> 2 x 4D with bias, gated, 4D -> D). Attention
    is diffusers': to_q/k/v without bias, to_out with one. The residual adds hold nothing."""
    attention: dict[str, Any] = {"heads": heads, "bias": False, "out_bias": True}
    cross = {**attention, "kdim": context, "vdim": context, "kv_length": CONTEXT_TOKENS}
    geglu = [named("linear", "in * 8", "proj"), {"glu": {"activation": "gelu"}}, named("linear", "in // 4", "out")]
    ff = {"name": "ff", "layers": geglu}
    return {
        "layers": [
            named("layernorm", None, "norm1"),
            named("multihead_attention", cross if only_cross else attention, "attn1"),
            named("layernorm", None, "norm2"),
            named("multihead_attention", cross, "attn2"),
            named("layernorm", None, "norm3"),
            ff,
        ]
    }


def vae_attention(groups: int) -> Item:
    """The VAE mid-block's Attention: GroupNorm(C), then one head over the H*W positions with
    q, k, v and out projections all with bias; added to its input."""
    layers = [
        named("groupnorm", {"groups": groups, "eps": 1e-6}, "group_norm"),
        *_to_tokens(),
        named("multihead_attention", {"heads": 1}, "attention"),
        *_to_map(),
    ]
    return {"args": {"channels": None, "height": None, "width": None}, "layers": layers, "residual": True}


def embedding(features: int, width: int, name: str) -> Item:
    """TimestepEmbedding(features, width): linear_1, SiLU, linear_2 (width x width)."""
    return {
        "name": name,
        "layers": [named("linear", width, "linear_1"), "silu", named("linear", width, "linear_2")],
    }


def part(input_shape: list[int], layers: list[Any], modules: dict[str, Item] | None = None) -> Item:
    out: Item = {"architecture": "sequential", "input": input_shape, "layers": layers}
    if modules:
        out["modules"] = modules
    return out
