"""SD3Transformer2DModel (MMDiT) and FluxTransformer2DModel, each one sequential net.

The main path is the image tokens, [tokens, D]. What a joint block does to the text stream
(add_q/k/v_proj, to_add_out, ff_context, norm1_context) and what conditions on the timestep
(AdaLN-Zero's modulation linears, time_text_embed) are `side_linear` layers: linear layers on a
second input, counted exactly, the main path's shape unchanged. Blocks are named as diffusers
names them (transformer_blocks.0 ...). FLOPs count every linear layer on its own tokens; the
attention scores (QK^T and the weighted sum) are not counted. diffusers 0.42.1.
"""

from __future__ import annotations

from typing import Any

from paramcalc.diffusers import Keys
from paramcalc.diffusers.blocks import named

SD3_DEFAULTS: dict[str, Any] = {
    "sample_size": 128,
    "patch_size": 2,
    "in_channels": 16,
    "num_layers": 18,
    "attention_head_dim": 64,
    "num_attention_heads": 18,
    "joint_attention_dim": 4096,
    "caption_projection_dim": 1152,
    "pooled_projection_dim": 2048,
    "out_channels": 16,
    "pos_embed_max_size": 96,
    "dual_attention_layers": [],
    "qk_norm": None,
}
FLUX_DEFAULTS: dict[str, Any] = {
    "patch_size": 1,
    "in_channels": 64,
    "out_channels": None,
    "num_layers": 19,
    "num_single_layers": 38,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 4096,
    "pooled_projection_dim": 768,
    "guidance_embeds": False,
}
SD3_TEXT_TOKENS = 333  # 77 CLIP + 256 T5 tokens (StableDiffusion3Pipeline's default); only FLOPs depend on it
FLUX_TEXT_TOKENS = 512  # FluxPipeline's max_sequence_length for FLUX.1-dev
FLUX_IMAGE_TOKENS = 4096  # a 1024 x 1024 image: 128 x 128 latents packed 2 x 2
TIMESTEP_FEATURES = 256  # Timesteps(num_channels=256): sinusoidal, nothing learned


class Dims:
    def __init__(self, tokens: int, heads: int, head_dim: int, text: int, qk_norm: str | None) -> None:
        self.tokens, self.heads, self.head_dim = tokens, heads, head_dim
        self.d = heads * head_dim
        self.text, self.qk_norm = text, qk_norm

    def side(self, out: int, name: str, features: int | None = None, text: bool = False) -> Any:
        args = {"features": features or self.d, "out": out}
        if text:
            args["length"] = self.text
        return named("side_linear", args, name)

    def norms(self, *names: str) -> list[Any]:
        """qk-norm over each head's head_dim (RMSNorm: a gain; LayerNorm: gain and shift)."""
        if self.qk_norm is None:
            return []
        kind = "rmsnorm" if self.qk_norm == "rms_norm" else "layernorm"
        return [
            {"reshape": [self.tokens, self.heads, self.head_dim]},
            *(named(kind, None, n) for n in names),
            {"reshape": [self.tokens, self.d]},
        ]

    def attention(self, joint: bool, to_out: bool = True, to_add_out: bool = True) -> Any:
        """diffusers' Attention with bias on every projection: to_q/k/v on the image tokens,
        add_q/k/v_proj on the text tokens (joint), to_out.0 and to_add_out."""
        d = self.d
        items: list[Any] = [named("linear", d, n) for n in ("to_q", "to_k", "to_v")]
        items += self.norms("norm_q", "norm_k")
        if joint:
            items += [self.side(d, n, text=True) for n in ("add_q_proj", "add_k_proj", "add_v_proj")]
            items += self.norms("norm_added_q", "norm_added_k")
        if to_out:
            items.append(named("linear", d, "to_out"))
        if joint and to_add_out:
            items.append(self.side(d, "to_add_out", text=True))
        return items

    def ff(self, name: str, text: bool = False) -> Any:
        # FeedForward(D, activation gelu-approximate): net.0.proj D -> 4D, GELU(tanh), net.2 4D -> D
        d = self.d
        if text:
            layers = [self.side(4 * d, "proj", text=True), self.side(d, "out", 4 * d, text=True)]
        else:
            layers = [named("linear", 4 * d, "proj"), {"gelu": {"approximate": "tanh"}}, named("linear", d, "out")]
        return {"name": name, "layers": layers}

    def joint_block(self, last: bool, dual: bool) -> dict[str, Any]:
        """JointTransformerBlock: AdaLN-Zero modulation of both streams (norm1 6D, or 9D with a
        second self-attention; norm1_context 6D, or 2D on the last block, context_pre_only,
        which has no to_add_out and no ff_context), joint attention, the feed-forwards."""
        d = self.d
        layers = [self.side((9 if dual else 6) * d, "norm1"), self.side((2 if last else 6) * d, "norm1_context")]
        layers.append({"name": "attn", "layers": self.attention(True, to_add_out=not last)})
        if dual:
            layers.append({"name": "attn2", "layers": self.attention(False)})
        layers += [named("layernorm", {"elementwise_affine": False}, "norm2"), self.ff("ff")]
        if not last:
            layers.append(self.ff("ff_context", text=True))
        return {"layers": layers}

    def embedder(self, features: int, name: str) -> Any:
        # TimestepEmbedding / PixArtAlphaTextProjection: linear_1 features -> D, SiLU, linear_2 D -> D
        return {"name": name, "layers": [self.side(self.d, "linear_1", features), self.side(self.d, "linear_2")]}


def _heads(k: Keys) -> tuple[int, int]:
    return k.size("num_attention_heads"), k.size("attention_head_dim")


def sd3(k: Keys) -> dict[str, Any]:
    heads, head_dim = _heads(k)
    d = heads * head_dim
    p, n, size = k.size("patch_size"), k.size("num_layers"), k.size("sample_size")
    c_in = k.size("in_channels")
    c_out = k.optional("out_channels") or c_in
    k.unsupported("qk_norm", (None, "rms_norm", "layer_norm"), "qk norms written")
    dual = k.get("dual_attention_layers") or []
    if not isinstance(dual, (list, tuple)) or any(type(i) is not int or not 0 <= i < n for i in dual):
        k.fail("dual_attention_layers", f"must be a list of block indices below num_layers {n}, not {dual!r}")
        dual = []
    if k.size("caption_projection_dim") != d:
        k.fail("caption_projection_dim", f"must equal num_attention_heads x attention_head_dim = {d} (diffusers')")
    if size % p:
        k.fail("sample_size", f"{size} is not a multiple of patch_size {p}")
    if k.problems:
        return {}
    side = size // p
    dims = Dims(side * side, heads, head_dim, SD3_TEXT_TOKENS, k.get("qk_norm"))
    modules: dict[str, Any] = {}
    blocks = []
    for i in range(n):
        last, x = i == n - 1, i in dual
        name = "joint_block" + ("_x" if x else "") + ("_last" if last else "")
        modules.setdefault(name, dims.joint_block(last, x))
        blocks.append(name)
    time_text = [dims.embedder(TIMESTEP_FEATURES, "timestep_embedder")]
    time_text.append(dims.embedder(k.size("pooled_projection_dim"), "text_embedder"))
    layers = [
        named("conv2d", {"out": d, "kernel": p, "stride": p}, "pos_embed"),  # PatchEmbed; its sincos table is a buffer
        {"flatten": {"start": 1}},
        {"permute": [1, 0]},
        {"name": "time_text_embed", "layers": time_text},
        dims.side(d, "context_embedder", k.size("joint_attention_dim"), text=True),
        {"name": "transformer_blocks", "layers": blocks},
        dims.side(2 * d, "norm_out"),  # AdaLayerNormContinuous: Linear(D, 2D) on the conditioning
        named("linear", p * p * c_out, "proj_out"),
    ]
    return {"architecture": "sequential", "input": [c_in, size, size], "layers": layers, "modules": modules}


def flux(k: Keys) -> dict[str, Any]:
    heads, head_dim = _heads(k)
    d = heads * head_dim
    p, c_in = k.size("patch_size"), k.size("in_channels")
    c_out = k.optional("out_channels") or c_in
    n, n_single = k.size("num_layers", minimum=0), k.size("num_single_layers", minimum=0)
    guidance = k.flag("guidance_embeds")
    if k.problems:
        return {}
    dims = Dims(FLUX_IMAGE_TOKENS, heads, head_dim, FLUX_TEXT_TOKENS, "rms_norm")
    time_text = [dims.embedder(TIMESTEP_FEATURES, "timestep_embedder")]
    if guidance:  # FLUX.1-dev's distilled guidance scale, embedded like the timestep
        time_text.append(dims.embedder(TIMESTEP_FEATURES, "guidance_embedder"))
    time_text.append(dims.embedder(k.size("pooled_projection_dim"), "text_embedder"))
    double = dims.joint_block(False, False)
    single = {  # FluxSingleTransformerBlock: attention and MLP in parallel, one proj_out over both
        "layers": [
            dims.side(3 * d, "norm"),
            {"name": "attn", "layers": dims.attention(False, to_out=False)},
            named("linear", 4 * d, "proj_mlp"),
            {"gelu": {"approximate": "tanh"}},
            {"skip": {"channels": d, "dim": 1}},  # torch.cat([attn_output, mlp], dim=2)
            named("linear", d, "proj_out"),
        ]
    }
    layers: list[Any] = [
        named("linear", d, "x_embedder"),
        {"name": "time_text_embed", "layers": time_text},
        dims.side(d, "context_embedder", k.size("joint_attention_dim"), text=True),
    ]
    modules: dict[str, Any] = {}
    if n:
        modules["double_block"] = double
        layers.append({"name": "transformer_blocks", "layers": ["double_block"] * n})
    if n_single:
        modules["single_block"] = single
        layers.append({"name": "single_transformer_blocks", "layers": ["single_block"] * n_single})
    layers += [dims.side(2 * d, "norm_out"), named("linear", p * p * c_out, "proj_out")]
    return {"architecture": "sequential", "input": [FLUX_IMAGE_TOKENS, c_in], "layers": layers, "modules": modules}
