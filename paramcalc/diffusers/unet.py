"""UNet2DConditionModel (Stable Diffusion 1.x/2.x, SDXL) as a composite of its blocks.

A U-Net's skip connections do not fit one layer list: each up block's resnets take the previous
output concatenated with a feature map saved on the way down. So the model is a composite whose
parts are diffusers' children, each a sequential net with its own input shape: conv_in,
time_embedding (and class_embedding, add_embedding), down_blocks_0.., mid_block, up_blocks_0..
(a `skip` layer before each resnet adds the saved channels), and conv_out (with conv_norm_out).
diffusers 0.42.1, ``UNet2DConditionModel.__init__`` and ``get_down_block`` / ``get_up_block``.
"""

from __future__ import annotations

from typing import Any

from paramcalc.diffusers import Keys
from paramcalc.diffusers.blocks import Item, basic_transformer_block, conv, named, part, resnet2d, transformer2d

DEFAULTS: dict[str, Any] = {
    "sample_size": None,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "only_cross_attention": False,
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "downsample_padding": 1,
    "norm_num_groups": 32,
    "cross_attention_dim": 1280,
    "transformer_layers_per_block": 1,
    "reverse_transformer_layers_per_block": None,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "attention_head_dim": 8,
    "num_attention_heads": None,
    "dual_cross_attention": False,
    "use_linear_projection": False,
    "class_embed_type": None,
    "addition_embed_type": None,
    "num_class_embeds": None,
    "resnet_time_scale_shift": "default",
    "time_embedding_type": "positional",
    "time_embedding_dim": None,
    "time_cond_proj_dim": None,
    "conv_in_kernel": 3,
    "conv_out_kernel": 3,
    "projection_class_embeddings_input_dim": None,
    "attention_type": "default",
    "class_embeddings_concat": False,
}
DOWN = ("CrossAttnDownBlock2D", "DownBlock2D")
UP = ("CrossAttnUpBlock2D", "UpBlock2D")
SAMPLE = 64  # latent size for the shapes when sample_size is null (SD 1.5's 64 x 64); counts do not depend on it


def _check(k: Keys) -> None:
    k.unsupported("num_attention_heads", (None,), "UNet2DConditionModel refuses it in diffusers 0.42.1")
    k.unsupported("encoder_hid_dim", (None,), "encoder_hid_proj is not written")
    k.unsupported("encoder_hid_dim_type", (None,), "encoder_hid_proj is not written")
    k.unsupported("dual_cross_attention", (False,), "dual cross-attention is not written")
    k.unsupported("class_embed_type", (None, "timestep", "projection", "identity"), "class embeddings written")
    k.unsupported("addition_embed_type", (None, "text_time"), "addition embeddings written")
    k.unsupported("time_embedding_type", ("positional",), "time embeddings written")
    k.unsupported("time_cond_proj_dim", (None,), "cond_proj is not written")
    k.unsupported("attention_type", ("default",), "attention types written")
    k.unsupported("class_embeddings_concat", (False,), "concatenated class embeddings are not written")
    k.unsupported("mid_block_type", ("UNetMidBlock2DCrossAttn", None), "mid blocks written")
    k.unsupported("resnet_time_scale_shift", ("default", "scale_shift"), "resnet time conditioning")


def _sample(k: Keys) -> tuple[int, int]:
    value = k.get("sample_size")
    if value is None:
        return SAMPLE, SAMPLE
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, value
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int and v > 0 for v in value):
        return value[0], value[1]
    k.fail("sample_size", f"must be a whole number or [height, width], not {value!r}")
    return SAMPLE, SAMPLE


def _heads(k: Keys, n: int, channels: list[int]) -> list[int]:
    # SD's attention_head_dim is the number of heads (diffusers' naming: num_attention_heads =
    # num_attention_heads or attention_head_dim); Transformer2DModel's inner dim is heads x
    # (C // heads), which is C only where the heads divide C
    heads = k.per_block("attention_head_dim", n)
    for c, h in zip(channels, heads):
        if c % h:
            k.fail("attention_head_dim", f"{h} heads do not divide the {c} channels of a block")
    return heads


def unet(k: Keys) -> dict[str, Any]:
    _check(k)
    channels = k.per_block("block_out_channels", len(k.get("block_out_channels") or [1]))
    n = len(channels)
    down, up = k.words("down_block_types"), k.words("up_block_types")
    for name, types, known in (("down_block_types", down, DOWN), ("up_block_types", up, UP)):
        if len(types) != n:
            k.fail(name, f"has {len(types)} blocks; block_out_channels has {n}")
        for t in types:
            if t not in known:
                k.fail(name, f"{t!r} is not supported ({', '.join(known)})")
    lpb = k.per_block("layers_per_block", n)
    context = k.per_block("cross_attention_dim", n)
    layers = k.per_block("transformer_layers_per_block", n)
    reverse_layers = (
        k.per_block("reverse_transformer_layers_per_block", n)
        if k.get("reverse_transformer_layers_per_block") is not None
        else layers[::-1]
    )
    only_cross = k.flags("only_cross_attention", n)
    heads = _heads(k, n, channels)
    groups = k.size("norm_num_groups")
    c0 = channels[0]
    temb = k.optional("time_embedding_dim") or 4 * c0
    scale_shift = k.get("resnet_time_scale_shift") == "scale_shift"
    linear = k.flag("use_linear_projection")
    k_in, k_out = k.size("conv_in_kernel"), k.size("conv_out_kernel")
    if k.problems or len(down) != n or len(up) != n:
        return {}
    height, width = _sample(k)
    size = [(height, width)]
    for _ in range(n - 1):  # each Downsample2D: conv 3x3, stride 2, padding 1
        h, w = size[-1]
        size.append(((h - 1) // 2 + 1, (w - 1) // 2 + 1))

    resnet = resnet2d(groups, temb, scale_shift)

    def attention(c: int, i: int, hw: tuple[int, int], n_layers: int) -> Item:
        args = {"channels": c, "height": hw[0], "width": hw[1], "layers": n_layers}
        return named("transformer2d", args, f"attentions_{i}")

    def modules(cross: bool, h: int, x: int, only: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"resnet2d": resnet}
        if cross:
            out["transformer2d"] = transformer2d(groups, linear)
            out["basic_transformer_block"] = basic_transformer_block(h, x, only)
        return out

    parts: dict[str, Any] = {
        "conv_in": part([k.size("in_channels"), height, width], [conv(c0, k_in, "conv_in")]),
        "time_embedding": part([c0], _embedding(temb)),
    }
    parts.update(_extra_embeddings(k, c0, temb))
    skips = [c0]  # the feature maps saved for the up blocks: conv_in's, then each resnet's and downsampler's
    c_in = c0
    for i, (kind, c) in enumerate(zip(down, channels)):
        cross = kind.startswith("CrossAttn")
        items: list[Any] = []
        for j in range(lpb[i]):
            items.append(named("resnet2d", {"out": c}, f"resnets_{j}"))
            if cross:
                items.append(attention(c, j, size[i], layers[i]))
            skips.append(c)
        if i < n - 1:
            items.append(conv(c, 3, "downsamplers_0", stride=2))
            skips.append(c)
        parts[f"down_blocks_{i}"] = part([c_in, *size[i]], items, modules(cross, heads[i], context[i], only_cross[i]))
        c_in = c
    if k.get("mid_block_type") is not None:
        c = channels[-1]
        items = [
            named("resnet2d", {"out": c}, "resnets_0"),
            attention(c, 0, size[-1], layers[-1]),
            named("resnet2d", {"out": c}, "resnets_1"),
        ]
        parts["mid_block"] = part([c, *size[-1]], items, modules(True, heads[-1], context[-1], False))
    rev = channels[::-1]
    prev = rev[0]
    for i, kind in enumerate(up):
        cross = kind.startswith("CrossAttn")
        c, hw = rev[i], size[n - 1 - i]
        items = []
        for j in range(lpb[::-1][i] + 1):
            items.append(named("skip", skips.pop(), f"skip_{j}"))  # torch.cat([h, res_hidden_states], dim=1)
            items.append(named("resnet2d", {"out": c}, f"resnets_{j}"))
            if cross:
                items.append(attention(c, j, hw, reverse_layers[i]))
        if i < n - 1:
            items += [{"upsample": 2}, conv(c, 3, "upsamplers_0")]  # Upsample2D: nearest x2, then conv 3x3
        mods = modules(cross, heads[::-1][i], context[::-1][i], only_cross[::-1][i])
        parts[f"up_blocks_{i}"] = part([prev, *hw], items, mods)
        prev = c
    tail = [named("groupnorm", groups, "conv_norm_out"), "silu", conv(k.size("out_channels"), k_out, "conv_out")]
    parts["conv_out"] = part([c0, height, width], tail)
    return {"architecture": "composite", "parts": parts}


def _embedding(width: int) -> list[Any]:
    # TimestepEmbedding: linear_1 (features -> width), SiLU, linear_2 (width -> width); the
    # sinusoidal Timesteps before it hold nothing
    return [named("linear", width, "linear_1"), "silu", named("linear", width, "linear_2")]


def _extra_embeddings(k: Keys, c0: int, temb: int) -> dict[str, Any]:
    """class_embedding (timestep, projection, or an Embedding of num_class_embeds) and SDXL's
    add_embedding (text_time: pooled text and size conditioning, projected to temb)."""
    out: dict[str, Any] = {}
    kind = k.get("class_embed_type")
    if kind == "timestep":
        out["class_embedding"] = part([c0], _embedding(temb))
    elif kind == "projection":
        out["class_embedding"] = part([k.size("projection_class_embeddings_input_dim")], _embedding(temb))
    elif kind is None and k.get("num_class_embeds") is not None:
        table = named("embedding", {"vocab": k.size("num_class_embeds"), "dim": temb}, "class_embedding")
        out["class_embedding"] = part([1], [table])
    if k.get("addition_embed_type") == "text_time":
        out["add_embedding"] = part([k.size("projection_class_embeddings_input_dim")], _embedding(temb))
    return out
