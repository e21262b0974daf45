"""AutoencoderKL (the Stable Diffusion VAE) as a composite: encoder, quant_conv, post_quant_conv,
decoder, each a sequential net (the encoder and decoder have no skips: one list each, their
blocks as named groups). diffusers 0.42.1, ``AutoencoderKL.__init__``, ``Encoder``, ``Decoder``.
"""

from __future__ import annotations

from typing import Any

from paramcalc.diffusers import Keys
from paramcalc.diffusers.blocks import conv, named, part, resnet2d, vae_attention

DEFAULTS: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"],
    "up_block_types": ["UpDecoderBlock2D"],
    "block_out_channels": [64],
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 32,
    "use_quant_conv": True,
    "use_post_quant_conv": True,
    "mid_block_add_attention": True,
}


def autoencoder_kl(k: Keys) -> dict[str, Any]:
    channels = k.per_block("block_out_channels", len(k.get("block_out_channels") or [1]))
    n = len(channels)
    for name, known in (("down_block_types", "DownEncoderBlock2D"), ("up_block_types", "UpDecoderBlock2D")):
        types = k.words(name)
        if len(types) != n:
            k.fail(name, f"has {len(types)} blocks; block_out_channels has {n}")
        if any(t != known for t in types):
            k.fail(name, f"only {known} is supported, not {', '.join(sorted(set(types) - {known}))}")
    lpb = k.size("layers_per_block")
    latent = k.size("latent_channels")
    groups = k.size("norm_num_groups")
    attend = k.flag("mid_block_add_attention")
    quant, post_quant = k.flag("use_quant_conv"), k.flag("use_post_quant_conv")
    size = k.get("sample_size")
    side = size if type(size) is int and size > 0 else size[0] if isinstance(size, list) and size else 512
    if k.problems:
        return {}
    sizes = [side]
    for _ in range(n - 1):
        sizes.append((sizes[-1] - 1) // 2 + 1)
    modules: dict[str, Any] = {"resnet2d": resnet2d(groups, None)}
    if attend:
        modules["attention"] = vae_attention(groups)
    c_last, s_last = channels[-1], sizes[-1]

    def mid() -> Any:
        items = [named("resnet2d", {"out": c_last}, "resnets_0")]
        if attend:
            items.append(named("attention", {"channels": c_last, "height": s_last, "width": s_last}, "attentions_0"))
        items.append(named("resnet2d", {"out": c_last}, "resnets_1"))
        return {"name": "mid_block", "layers": items}

    # Encoder: conv_in, DownEncoderBlock2D x n (lpb resnets, a stride-2 conv but in the last),
    # mid block, GroupNorm, SiLU, conv_out to 2 x latent (mean and log-variance: double_z)
    encoder: list[Any] = [conv(channels[0], 3, "conv_in")]
    for i, c in enumerate(channels):
        block: list[Any] = [named("resnet2d", {"out": c}, f"resnets_{j}") for j in range(lpb)]
        if i < n - 1:
            block.append(conv(c, 3, "downsamplers_0", stride=2))
        encoder.append({"name": f"down_blocks_{i}", "layers": block})
    encoder += [mid(), named("groupnorm", groups, "conv_norm_out"), "silu", conv(2 * latent, 3, "conv_out")]
    # Decoder: conv_in from the latent, mid block, UpDecoderBlock2D x n (lpb + 1 resnets, an
    # upsample and conv but in the last), GroupNorm, SiLU, conv_out
    decoder: list[Any] = [conv(c_last, 3, "conv_in"), mid()]
    for i, c in enumerate(channels[::-1]):
        block = [named("resnet2d", {"out": c}, f"resnets_{j}") for j in range(lpb + 1)]
        if i < n - 1:
            block += [{"upsample": 2}, conv(c, 3, "upsamplers_0")]
        decoder.append({"name": f"up_blocks_{i}", "layers": block})
    decoder += [named("groupnorm", groups, "conv_norm_out"), "silu", conv(k.size("out_channels"), 3, "conv_out")]
    parts: dict[str, Any] = {"encoder": part([k.size("in_channels"), side, side], encoder, modules)}
    if quant:  # a 1x1 conv on the moments
        parts["quant_conv"] = part([2 * latent, s_last, s_last], [conv(2 * latent, 1, "quant_conv")])
    if post_quant:
        parts["post_quant_conv"] = part([latent, s_last, s_last], [conv(latent, 1, "post_quant_conv")])
    parts["decoder"] = part([latent, s_last, s_last], decoder, modules)
    return {"architecture": "composite", "parts": parts}
