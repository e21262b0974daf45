"""What tensors a model has, written as shapes: the layout of a model, without its sizes.

A model's layout depends only on its switches (architecture, norm, biases, tying, experts or
not, ...), never on how big it is: every shape here is a product of named dimensions
(``layers x d_model x heads*head_dim``), and :data:`DIMENSIONS` says, once, how each name is
computed from a config. params.py fills the sizes in: as :class:`~paramcalc.engine.params.Term`
objects for ``--detail`` and ``--explain``, and as plain sums of products for the totals.

Shapes follow the PyTorch modules of the reference implementations (nanoGPT, HuggingFace
transformers): a linear layer ``d_in -> d_out`` holds a ``d_in x d_out`` weight and, with bias,
``d_out`` biases. A norm gain counts as a weight, a norm shift as a bias.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from functools import lru_cache
from operator import attrgetter, gt
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from paramcalc.config import Config
from paramcalc.fields import ACTIVATIONS, COMPOSITE, DECODER, ENCODER_DECODER, FIELDS, MLP, SSM, VISION

# Component names: constants, not strings typed in three places.
TOKEN_EMBEDDING = "token_embedding"  # noqa: S105 (a name, not a password)
POSITION_EMBEDDING = "position_embedding"
TYPE_EMBEDDING = "token_type_embedding"
EMBEDDING_NORM = "embedding_norm"
ATTENTION = "attention"
CROSS_ATTENTION = "cross_attention"
FEED_FORWARD = "feed_forward"
EXPERTS = "experts"
ROUTER = "router"
NORMS = "norms"
OUTPUT_HEAD = "output_head"
POOLER = "pooler"
RELATIVE_POSITION = "relative_position"
EMBEDDING_PROJECTION = "embedding_projection"
SHARED_EXPERT = "shared_expert"
MLM_TRANSFORM = "mlm_transform"
MIXER = "mixer"  # a state-space block's mixer (Mamba's in_proj ... out_proj)
LINEAR_ATTENTION = "linear_attention"  # a gated DeltaNet block's mixer (Qwen3-Next)
PATCH_EMBEDDING = "patch_embedding"  # a vision tower's patch projection
SPECIAL_TOKENS = "special_tokens"  # a vision tower's learned [CLS], register and mask vectors
LAYER_SCALE = "layer_scale"
POOL_HEAD = "pool_head"  # SigLIP's attention-pooling head
AUDIO_CONV = "audio_conv"  # a speech encoder's conv1d front end (Whisper)

# Components left out of Kaplan et al. 2020's non-embedding count (Section 2.1): token and
# position embeddings (and token types), and an untied output head.
EMBEDDING_COMPONENTS = frozenset({TOKEN_EMBEDDING, POSITION_EMBEDDING, TYPE_EMBEDDING, OUTPUT_HEAD})
# The input embedding: tables a token's vector is looked up in, not multiplied by. Model cards
# that quote active parameters "without embeddings" (gpt-oss: 3.6B of 20.9B) leave these out.
LOOKUP_COMPONENTS = frozenset({TOKEN_EMBEDDING, POSITION_EMBEDDING, TYPE_EMBEDDING})


def is_embedding(component: str) -> bool:
    """Whether a component (``decoder.position_embedding`` as well) is an embedding one."""
    return component.rsplit(".", 1)[-1] in EMBEDDING_COMPONENTS


WEIGHT = "weight"
BIAS = "bias"

# Every dimension a shape is written in, and how it is computed from a config: a small
# function of the config's fields, read once per config by params.py. The names are what
# --explain shows (``q weight: layers x d_model x heads*head_dim``).
DIMENSIONS: dict[str, Callable[[Config], int]] = {
    "layers": attrgetter("layers"),
    "encoder_layers": attrgetter("encoder_layers"),
    "decoder_layers": attrgetter("decoder_layers"),
    "d_model": attrgetter("d_model"),
    "vocab": attrgetter("vocab"),
    "embedding_dim": attrgetter("embedding_dim"),
    "context": attrgetter("context"),
    "context+position_offset": lambda c: c.context + c.position_offset,
    "type_vocab": attrgetter("type_vocab"),
    "heads": attrgetter("heads"),
    "head_dim": attrgetter("head_dim"),
    "heads*head_dim": lambda c: c.heads * c.head_dim,
    "kv_heads*head_dim": lambda c: c.kv_heads * c.head_dim,
    "d_ff": attrgetter("d_ff"),
    "norms_per_layer": attrgetter("norms_per_layer"),
    "norms_per_layer+1": lambda c: c.norms_per_layer + 1,  # a decoder block's cross-attention adds one
    "relative_buckets": attrgetter("relative_buckets"),
    "experts": attrgetter("experts"),
    "expert_d_ff": attrgetter("expert_d_ff"),
    "dense_layers": lambda c: c.layers - c.moe_layer_count,  # with moe_every 1: the first dense_layers
    # a hybrid decoder's blocks with attention, and those with a gated DeltaNet or a Mamba mixer
    "attention_blocks": attrgetter("attention_layers"),
    "linear_blocks": attrgetter("recurrent_layers"),
    "ssm_blocks": attrgetter("recurrent_layers"),
    "2*heads*head_dim": lambda c: 2 * c.heads * c.head_dim,
    "2*linear_keys+2*linear_values": lambda c: (
        2 * c.linear_key_heads * c.linear_key_dim + 2 * c.linear_value_heads * c.linear_value_dim
    ),
    "2*linear_value_heads": lambda c: 2 * c.linear_value_heads,
    "2*linear_keys+linear_values": lambda c: (
        2 * c.linear_key_heads * c.linear_key_dim + c.linear_value_heads * c.linear_value_dim
    ),
    "linear_values": lambda c: c.linear_value_heads * c.linear_value_dim,
    "linear_value_heads": attrgetter("linear_value_heads"),
    "linear_value_dim": attrgetter("linear_value_dim"),
    "linear_conv": attrgetter("linear_conv"),
    # state-space mixers (architecture: ssm)
    "ssm_inner": attrgetter("ssm_inner"),
    "2*ssm_inner": lambda c: 2 * c.ssm_inner,
    "ssm_conv": attrgetter("ssm_conv"),
    "ssm_state": attrgetter("ssm_state"),
    "ssm_dt_rank": attrgetter("ssm_dt_rank"),
    "ssm_dt_rank+2*ssm_state": lambda c: c.ssm_dt_rank + 2 * c.ssm_state,
    "2*ssm_state": lambda c: 2 * c.ssm_state,
    "ssm_heads": attrgetter("ssm_heads"),
    "2*ssm_inner+2*ssm_groups*ssm_state+ssm_heads": lambda c: (
        2 * c.ssm_inner + 2 * c.ssm_groups * c.ssm_state + c.ssm_heads
    ),
    "ssm_inner+2*ssm_groups*ssm_state": lambda c: c.ssm_inner + 2 * c.ssm_groups * c.ssm_state,
    "moe_layers": lambda c: c.moe_layer_count,
    "shared_expert_d_ff": attrgetter("shared_expert_d_ff"),
    "q_lora_rank": attrgetter("q_lora_rank"),
    "kv_lora_rank": attrgetter("kv_lora_rank"),
    "kv_lora_rank+rope_head_dim": lambda c: c.kv_lora_rank + c.rope_head_dim,
    "heads*(head_dim+rope_head_dim)": lambda c: c.heads * (c.head_dim + c.rope_head_dim),
    "heads*(head_dim+v_head_dim)": lambda c: c.heads * (c.head_dim + c.v_head_dim),
    "heads*v_head_dim": lambda c: c.heads * c.v_head_dim,
    "u,v": lambda c: 2,  # Transformer-XL's two query biases
    # vision towers
    "channels*temporal_patch*patch_size^2": lambda c: c.channels * c.temporal_patch * c.patch_size**2,
    "patches+class_tokens": lambda c: c.patches + c.class_tokens,
    "class_tokens": attrgetter("class_tokens"),
    "register_tokens": attrgetter("register_tokens"),
    "3*d_model": lambda c: 3 * c.d_model,
    "2": lambda c: 2,
    # seq2seq and speech (issue 14)
    "decoder_d_ff": attrgetter("decoder_d_ff"),
    "encoder_context": attrgetter("encoder_context"),
    "encoder_context+position_offset": lambda c: c.encoder_context + c.position_offset,
    "mel_bins": attrgetter("mel_bins"),
    "3": lambda c: 3,  # Whisper's conv1d kernel width
    "1": lambda c: 1,
    # encoders (issue 14): ALBERT's stored blocks, ModernBERT's norms, DeBERTa's relative positions
    "shared_layers": attrgetter("shared_layers"),
    "layers*norms_per_layer-1": lambda c: c.layers * c.norms_per_layer - 1,
    "mlm_vocab_biases": attrgetter("mlm_vocab_biases"),
    "relative_positions": attrgetter("relative_positions"),
    "position_projections": attrgetter("position_projections"),
    "d_model/conv_groups": lambda c: c.d_model // c.conv_groups,
    "conv_kernel": attrgetter("conv_kernel"),
    # vision and two-tower models (issue 14)
    "pooler_dim": attrgetter("pooler_dim"),  # ViT's pooler_output_size, SigLIP's text head
}


def dimension(name: str) -> Callable[[Config], int]:
    """How a dimension is computed; an MLP's widths are n0, n1, ... (its layer_sizes)."""
    if name in DIMENSIONS:
        return DIMENSIONS[name]
    if name[:1] == "n" and name[1:].isdigit():
        index = int(name[1:])
        return lambda c: c.layer_sizes[index]
    raise KeyError(name)


# The switches, from FIELDS (each field that chooses tensors says so with `switch=`): the
# fields whose value is the switch (norm, bias, ...), those that switch above a threshold (moe:
# experts > 1), and those computed from the config (projected_embedding).
_SAME = tuple(f.name for f in FIELDS.values() if f.switch is True)
_ABOVE = tuple(
    (f.switch[0], f.name, f.switch[1])
    for f in FIELDS.values()
    if isinstance(f.switch, tuple) and isinstance(f.switch[1], int)
)
_COMPUTED = tuple(f.switch for f in FIELDS.values() if isinstance(f.switch, tuple) and callable(f.switch[1]))
_THRESHOLDS = tuple(n for _, _, n in _ABOVE)
_TESTS: tuple[Callable[[Config], Any], ...] = tuple(test for _, test in _COMPUTED)  # type: ignore[misc]

if TYPE_CHECKING:

    class Switches(tuple[Any, ...]):
        """Every choice that adds or removes a tensor (see below)."""

        _fields: ClassVar[tuple[str, ...]]

        def __getattr__(self, name: str) -> Any: ...

else:
    # Every choice that adds or removes a tensor; two configs with equal switches have the same
    # layout, whatever their sizes. Hashable: the key of the layout cache.
    Switches = collections.namedtuple("Switches", (*_SAME, *(s for s, _, _ in _ABOVE), *(s for s, _ in _COMPUTED)))

_values_of = attrgetter(*_SAME)
_above_of = attrgetter(*(name for _, name, _ in _ABOVE))


def switches(c: Config) -> Switches:
    return tuple.__new__(Switches, (*_values_of(c), *map(gt, _above_of(c), _THRESHOLDS), *[test(c) for test in _TESTS]))


class Shape(NamedTuple):
    """One family of identical tensors: `part` of a component, a weight or a bias, whose size
    is the product of `dims`. ``matmul`` marks weights that multiply every token's activations
    (they count in FLOPs); ``routed`` marks mixture-of-experts weights of which only
    experts_per_token / experts are used per token."""

    part: str
    kind: str
    dims: tuple[str, ...]
    matmul: bool = False
    routed: bool = False


class ComponentLayout(NamedTuple):
    name: str
    shapes: tuple[Shape, ...]

    @property
    def is_embedding(self) -> bool:
        return is_embedding(self.name)


def _linear(part: str, repeat: tuple[str, ...], d_in: str, d_out: str, bias: bool, routed: bool = False) -> list[Shape]:
    """A linear layer d_in -> d_out repeated over `repeat`: weight d_in x d_out, bias d_out."""
    shapes = [Shape(part, WEIGHT, (*repeat, d_in, d_out), True, routed)]
    if bias:
        shapes.append(Shape(part, BIAS, (*repeat, d_out), False, routed))
    return shapes


def _norm(part: str, s: Switches, repeat: tuple[str, ...], width: str = "d_model") -> list[Shape]:
    """LayerNorm: gain + shift of `width` each; RMSNorm and LayerNorm without bias: gain only;
    nonparametric: nothing."""
    if s.norm == "nonparametric":
        return []
    shapes = [Shape(part, WEIGHT, (*repeat, width))]
    if s.norm == "layernorm":  # "layernorm-nobias" (Cohere, DBRX, OLMo-style): the gain only
        shapes.append(Shape(part, BIAS, (*repeat, width)))
    return shapes


def _attention(s: Switches, layers: str) -> list[Shape]:
    """q, k, v, o. q and o are d_model x heads*head_dim; k and v are d_model x kv_heads*head_dim."""
    if s.mla:
        return _latent_attention(s, layers)
    q_dim, kv_dim = "heads*head_dim", "kv_heads*head_dim"
    q_out = "2*heads*head_dim" if s.attention_gate else q_dim  # Qwen3-Next: queries and their output gate
    shapes = [
        *_linear("q", (layers,), "d_model", q_out, s.qkv_bias),
        *_linear("k", (layers,), "d_model", kv_dim, s.k_bias),
        *_linear("v", (layers,), "d_model", kv_dim, s.qkv_bias),
        *_linear("o", (layers,), q_dim, "d_model", s.out_bias),
    ]
    if s.qk_norm != "none":
        # head: one head_dim gain shared by all heads (Qwen3); full: a gain per channel of q
        # and of k (OLMo-2, StableLM). With qk_norm_bias each also has a shift (Phi).
        q_width, k_width = ("head_dim", "head_dim") if s.qk_norm == "head" else (q_dim, kv_dim)
        for part, width in (("q_norm", q_width), ("k_norm", k_width)):
            shapes.append(Shape(part, WEIGHT, (layers, width)))
            if s.qk_norm_bias:
                shapes.append(Shape(part, BIAS, (layers, width)))
    if s.attention_sinks:  # gpt-oss: a learned logit per head, in the softmax's denominator
        shapes.append(Shape("sinks", WEIGHT, (layers, "heads")))
    return shapes


def _latent_attention(s: Switches, layers: str) -> list[Shape]:
    """Multi-head latent attention (DeepSeek-V2, Section 2.1): queries through an optional
    low-rank latent, keys and values through a shared kv_lora_rank latent plus a rotary key.

    q_a: d_model x q_lora_rank, a norm, q_b: q_lora_rank x heads*(head_dim + rope_head_dim)
    (or q: d_model x heads*(head_dim + rope_head_dim)); kv_a: d_model x (kv_lora_rank +
    rope_head_dim), a norm, kv_b: kv_lora_rank x heads*(head_dim + v_head_dim);
    o: heads*v_head_dim x d_model. Only q_a, kv_a and o take the attention bias.
    """
    q_out = "heads*(head_dim+rope_head_dim)"
    shapes: list[Shape] = []
    if s.q_lora:
        shapes += _linear("q_a", (layers,), "d_model", "q_lora_rank", s.qkv_bias)
        shapes += _norm("q_a_norm", s, (layers,), "q_lora_rank")
        shapes += _linear("q_b", (layers,), "q_lora_rank", q_out, False)
    else:
        shapes += _linear("q", (layers,), "d_model", q_out, False)
    shapes += _linear("kv_a", (layers,), "d_model", "kv_lora_rank+rope_head_dim", s.qkv_bias)
    shapes += _norm("kv_a_norm", s, (layers,), "kv_lora_rank")
    shapes += _linear("kv_b", (layers,), "kv_lora_rank", "heads*(head_dim+v_head_dim)", False)
    shapes += _linear("o", (layers,), "heads*v_head_dim", "d_model", s.out_bias)
    return shapes


def _feed_forward(
    s: Switches, repeat: tuple[str, ...], routed: bool = False, ff: str = "d_ff", bias: bool | None = None
) -> list[Shape]:
    """up (and gate, for gated activations): d_model x d_ff; down: d_ff x d_model. Biases as
    ffn_bias says, unless `bias` says otherwise (routed experts: expert_bias)."""
    bias = s.ffn_bias if bias is None else bias
    shapes = _linear("up", repeat, "d_model", ff, bias, routed)
    if ACTIVATIONS[s.activation] == 3:  # GLU variants, Shazeer 2020
        shapes += _linear("gate", repeat, "d_model", ff, bias, routed)
    return shapes + _linear("down", repeat, ff, "d_model", bias, routed)


def _component(name: str, shapes: list[Shape]) -> ComponentLayout:
    return ComponentLayout(name, tuple(shapes))


def _linear_attention() -> list[Shape]:
    """A gated DeltaNet block's mixer (Yang et al. 2025, Gated Delta Networks; transformers'
    Qwen3NextGatedDeltaNet): in_proj_qkvz d_model -> 2 x keys + 2 x values (q, k, v and the output
    gate z; keys = linear_key_heads x linear_key_dim, values = linear_value_heads x
    linear_value_dim); in_proj_ba d_model -> 2 x linear_value_heads (the write strength b and decay
    a); a depthwise conv of linear_conv taps over q, k and v, no bias; per value head dt_bias and
    A_log; a gated RMSNorm of linear_value_dim; out_proj values -> d_model."""
    blocks = ("linear_blocks",)
    shapes = _linear("in_proj_qkvz", blocks, "d_model", "2*linear_keys+2*linear_values", False)
    shapes += _linear("in_proj_ba", blocks, "d_model", "2*linear_value_heads", False)
    shapes.append(Shape("conv1d", WEIGHT, ("linear_blocks", "2*linear_keys+linear_values", "linear_conv"), True))
    shapes += [Shape(part, WEIGHT, ("linear_blocks", "linear_value_heads")) for part in ("dt_bias", "A_log")]
    shapes.append(Shape("norm", WEIGHT, ("linear_blocks", "linear_value_dim")))
    return shapes + _linear("out_proj", blocks, "linear_values", "d_model", False)


def _block(s: Switches, prefix: str, layers: str, cross: bool) -> list[ComponentLayout]:
    """The repeated transformer blocks of one stack, and the stack's final norm. With
    attention_every other than 1 only some blocks attend; the others mix by a gated DeltaNet
    linear attention or a Mamba mixer (ssm)."""
    attended = "attention_blocks" if s.hybrid else layers
    out = [_component(prefix + ATTENTION, _attention(s, attended))]
    if s.hybrid and s.ssm == "deltanet":
        out.append(_component(prefix + LINEAR_ATTENTION, _linear_attention()))
    elif s.hybrid:  # Jamba, Granite-4.0-H: Mamba or Mamba-2 blocks between the attending ones
        mixer = _mamba(s, "ssm_blocks") if s.ssm == "mamba" else _mamba2(s, "ssm_blocks")
        out.append(_component(prefix + MIXER, mixer))
    if s.position == "xl":
        out.append(_xl_position(s, layers, prefix))
    if cross:  # decoder of an encoder-decoder: attends to the encoder's output, same shapes
        out.append(_component(prefix + CROSS_ATTENTION, _attention(s, layers)))
    if s.moe:
        out += _mixture(s, prefix)
    else:
        ff = "decoder_d_ff" if cross and s.decoder_ff else "d_ff"  # BART: decoder_ffn_dim may differ
        out.append(_component(prefix + FEED_FORWARD, _feed_forward(s, (layers,), ff=ff)))
    norms: list[Shape] = []
    if cross:
        norms = _norm("per_layer", s, (layers, "norms_per_layer+1"))
    elif s.per_layer_norms and not s.first_attention_norm:  # ModernBERT: block 0 has no attention norm
        norms = _norm("per_layer", s, ("layers*norms_per_layer-1",))
    elif s.per_layer_norms:
        norms = _norm("per_layer", s, (layers, "norms_per_layer"))
    if s.final_norm:
        norms += _norm("final", s, ())
    out.append(_component(prefix + NORMS, norms))
    return out


def _mixture(s: Switches, prefix: str) -> list[ComponentLayout]:
    """A mixture of experts (Shazeer et al. 2017; Mixtral; DeepSeekMoE): in each MoE block a
    router d_model x experts (no bias) and `experts` feed-forwards of expert_d_ff, of which
    experts_per_token run per token; optionally a shared expert that always runs (and its
    d_model x 1 gate); the first `dense_layers` blocks keep a dense feed-forward of d_ff, and
    with moe_every k only every k-th block after them has experts (Llama 4), the others dense."""
    out = []
    if s.dense_layers:
        out.append(_component(prefix + FEED_FORWARD, _feed_forward(s, ("dense_layers",))))
    moe_layers = "moe_layers" if s.dense_layers else "layers"
    # the router: d_model x experts, with a bias where the model has one (gpt-oss)
    out.append(_component(prefix + ROUTER, _linear("router", (moe_layers,), "d_model", "experts", s.router_bias)))
    # the routed experts take their biases from expert_bias (= ffn_bias unless given): ERNIE-4.5's have none
    # while its dense and shared feed-forwards do (modeling_ernie4_5_moe.py, Ernie4_5_MoeExperts)
    experts = _feed_forward(s, (moe_layers, "experts"), True, "expert_d_ff", s.expert_bias)
    out.append(_component(prefix + EXPERTS, experts))
    if s.shared_expert:
        shared = _feed_forward(s, (moe_layers,), False, "shared_expert_d_ff")
        if s.shared_expert_gate:
            shared += _linear("shared_gate", (moe_layers,), "d_model", "1", False)
        out.append(_component(prefix + SHARED_EXPERT, shared))
    return out


def _relative_table(s: Switches, prefix: str, layers: str) -> ComponentLayout:
    """T5's relative attention bias: buckets x heads, held by the first block of a stack; UMT5's
    (relative_per_layer): one in every self-attention layer (modeling_umt5.py, UMT5Attention with
    has_relative_attention_bias in each block; cross-attention has none)."""
    dims = (layers, "relative_buckets", "heads") if s.relative_per_layer else ("relative_buckets", "heads")
    return _component(prefix + POSITION_EMBEDDING, [Shape("relative", WEIGHT, dims)])


def _xl_position(s: Switches, layers: str, prefix: str) -> ComponentLayout:
    """Transformer-XL relative positions (Dai et al. 2019, Section 3.3): each layer projects the
    sinusoidal relative encodings with W_k,R (d_model x heads*head_dim) and adds two learned
    biases u, v (heads*head_dim each) to the queries. The projection is a per-layer weight, not
    an embedding table, so it stays in the non-embedding count; it costs 2 x d_model x
    heads*head_dim FLOPs per token, like any weight matrix.
    """
    shapes = _linear("projection", (layers,), "d_model", "heads*head_dim", False)
    shapes.append(Shape("u_v", BIAS, (layers, "u,v", "heads*head_dim")))
    return _component(prefix + RELATIVE_POSITION, shapes)


def _mamba(s: Switches, blocks: str = "layers") -> list[Shape]:
    """Mamba's mixer (Gu & Dao 2023, Section 3; transformers' MambaMixer): in_proj d_model ->
    2 x ssm_inner (x and the gate z); a depthwise conv of ssm_conv taps over ssm_inner channels;
    x_proj ssm_inner -> dt_rank + 2 x ssm_state (the step size's low rank, B and C); dt_proj
    dt_rank -> ssm_inner with a bias; A_log (ssm_inner x ssm_state) and D (ssm_inner); out_proj
    ssm_inner -> d_model. The conv's taps multiply every token, so they count with the matmuls.
    With ssm_norms, RMSNorm gains on dt (dt_rank), B and C (ssm_state each): Jamba's
    dt_layernorm, b_layernorm and c_layernorm (transformers' JambaMambaMixer)."""
    layers = (blocks,)
    shapes = _linear("in_proj", layers, "d_model", "2*ssm_inner", s.ssm_bias)
    shapes.append(Shape("conv1d", WEIGHT, (blocks, "ssm_inner", "ssm_conv"), True))
    if s.ssm_conv_bias:
        shapes.append(Shape("conv1d", BIAS, (blocks, "ssm_inner")))
    shapes += _linear("x_proj", layers, "ssm_inner", "ssm_dt_rank+2*ssm_state", False)
    shapes += _linear("dt_proj", layers, "ssm_dt_rank", "ssm_inner", True)
    shapes += [
        Shape("A_log", WEIGHT, (blocks, "ssm_inner", "ssm_state")),
        Shape("D", WEIGHT, (blocks, "ssm_inner")),
    ]
    if s.ssm_norms:
        shapes.append(Shape("dt_norm", WEIGHT, (blocks, "ssm_dt_rank")))
        shapes.append(Shape("bc_norms", WEIGHT, (blocks, "2*ssm_state")))
    return shapes + _linear("out_proj", layers, "ssm_inner", "d_model", s.ssm_bias)


def _mamba2(s: Switches, blocks: str = "layers") -> list[Shape]:
    """Mamba-2's mixer (Dao & Gu 2024, Section 7; transformers' Mamba2Mixer): one in_proj
    d_model -> 2 x ssm_inner + 2 x groups x ssm_state + heads (z, x, B, C and dt); a depthwise
    conv over x, B and C (ssm_inner + 2 x groups x ssm_state channels); per head dt_bias, A_log
    and D; a gated RMSNorm over ssm_inner; out_proj ssm_inner -> d_model."""
    layers = (blocks,)
    shapes = _linear("in_proj", layers, "d_model", "2*ssm_inner+2*ssm_groups*ssm_state+ssm_heads", s.ssm_bias)
    conv = "ssm_inner+2*ssm_groups*ssm_state"
    shapes.append(Shape("conv1d", WEIGHT, (blocks, conv, "ssm_conv"), True))
    if s.ssm_conv_bias:
        shapes.append(Shape("conv1d", BIAS, (blocks, conv)))
    shapes += [Shape(part, WEIGHT, (blocks, "ssm_heads")) for part in ("dt_bias", "A_log", "D")]
    shapes.append(Shape("norm", WEIGHT, (blocks, "ssm_inner")))
    return shapes + _linear("out_proj", layers, "ssm_inner", "d_model", s.ssm_bias)


def _state_space(s: Switches) -> list[ComponentLayout]:
    """A state-space language model: the token embedding, per block a norm and a mixer (no
    attention, no feed-forward), a final norm, and the output head (tied or not)."""
    out = [_component(TOKEN_EMBEDDING, [Shape("token", WEIGHT, ("vocab", "d_model"))])]
    out.append(_component(MIXER, _mamba(s) if s.ssm == "mamba" else _mamba2(s)))
    norms = _norm("per_layer", s, ("layers",))
    if s.final_norm:
        norms += _norm("final", s, ())
    out.append(_component(NORMS, norms))
    head = [] if s.tie_embeddings else [Shape("head", WEIGHT, ("d_model", "vocab"), True)]
    out.append(_component(OUTPUT_HEAD, head))
    return out


def _mlp(s: Switches) -> list[ComponentLayout]:
    return [
        _component(f"linear_{i}", _linear("linear", (), f"n{i - 1}", f"n{i}", s.bias)) for i in range(1, s.mlp_sizes)
    ]


def _vision(s: Switches) -> list[ComponentLayout]:
    """A vision transformer (Dosovitskiy et al. 2021, ViT, Section 3.1; transformers' ViTModel,
    CLIPVisionModel, SiglipVisionModel, Dinov2Model): the patch embedding, a convolution of
    patch_size stride over channels x temporal_patch frames (a d_model x channels x
    temporal_patch x patch_size^2 weight, a bias with patch_bias), the [CLS] and register
    vectors and DINOv2's mask token, a position table of patches + class_tokens rows (learned),
    an optional norm before the blocks (CLIP's pre_layrnorm), the blocks (as an encoder's, with
    DINOv2's layer scales), a final norm, a pooler, and SigLIP's attention-pooling head."""
    patch = _linear("patch", (), "channels*temporal_patch*patch_size^2", "d_model", s.patch_bias)
    out = [_component(PATCH_EMBEDDING, patch)]
    special = []
    if s.class_tokens:
        special.append(Shape("class", WEIGHT, ("class_tokens", "d_model")))
    if s.register_tokens:
        special.append(Shape("registers", WEIGHT, ("register_tokens", "d_model")))
    if s.mask_token:
        special.append(Shape("mask", WEIGHT, ("d_model",)))
    if special:
        out.append(_component(SPECIAL_TOKENS, special))
    if s.position == "learned":
        out.append(_component(POSITION_EMBEDDING, [Shape("position", WEIGHT, ("patches+class_tokens", "d_model"))]))
    if s.embedding_norm:
        out.append(_component(EMBEDDING_NORM, _norm("pre", s, ())))
    out += _block(s, "", "layers", False)
    if s.layer_scale:  # DINOv2's layer_scale1 and layer_scale2: a d_model gain on each residual branch
        out.append(_component(LAYER_SCALE, [Shape("layer_scale", WEIGHT, ("layers", "2", "d_model"))]))
    if s.pooler:  # ViTModel's pooler: dense d_model -> d_model with bias, on [CLS]
        out.append(_component(POOLER, _linear("pooler", (), "d_model", "pooler_dim", True)))
    if s.pool_head:  # SigLIP's MultiheadAttentionPoolingHead: a probe query, torch's MultiheadAttention
        head = [Shape("probe", WEIGHT, ("d_model",))]  # (in_proj d_model -> 3 d_model, out_proj), a norm, an MLP
        head += [Shape("in_proj", WEIGHT, ("d_model", "3*d_model")), Shape("in_proj", BIAS, ("3*d_model",))]
        head += _linear("out_proj", (), "d_model", "d_model", True) + _norm("norm", s, ())
        head += _linear("fc1", (), "d_model", "d_ff", True) + _linear("fc2", (), "d_ff", "d_model", True)
        out.append(_component(POOL_HEAD, [shape._replace(matmul=False) for shape in head]))  # once per image
    return out


@lru_cache(maxsize=1024)
def layout(s: Switches) -> tuple[ComponentLayout, ...]:
    """Every component of the model, in the order data flows through it (a composite's are its
    parts', counted by params.py part by part)."""
    if s.architecture == MLP:
        return tuple(_mlp(s))
    if s.architecture == SSM:
        return tuple(_state_space(s))
    if s.architecture == VISION:
        return tuple(_vision(s))
    if s.architecture == COMPOSITE:
        return ()
    projection = s.embedding_projection
    e = "embedding_dim" if projection != "none" else "d_model"
    tables = e if projection in ("in", "in_nobias") else "d_model"  # ELECTRA, ALBERT, DeBERTa: all at e
    out = [_component(TOKEN_EMBEDDING, [Shape("token", WEIGHT, ("vocab", e))])]
    per_stack = s.architecture == ENCODER_DECODER and s.stack_positions  # BART, Whisper: tables in each stack
    positions: list[Shape] = []
    if s.position == "learned" and not per_stack:
        rows = "context+position_offset" if s.position_offset else "context"
        positions.append(Shape("position", WEIGHT, (rows, tables)))
    if s.disentangled:  # DeBERTa: one relative table (2 x position_buckets rows) shared by every block
        positions.append(Shape("relative", WEIGHT, ("relative_positions", "d_model")))
    if positions:
        out.append(_component(POSITION_EMBEDDING, positions))
    if s.type_vocab:
        out.append(_component(TYPE_EMBEDDING, [Shape("type", WEIGHT, ("type_vocab", tables))]))
    if s.embedding_norm and projection != "in_nobias" and not per_stack:  # ELECTRA, ALBERT: at embedding_dim
        out.append(_component(EMBEDDING_NORM, _norm("embedding", s, (), tables)))
    if projection == "in_out":  # OPT-350m: embeddings narrower than the model, projected in and out, no bias
        projections = _linear("project_in", (), e, "d_model", False) + _linear("project_out", (), "d_model", e, False)
        out.append(_component(EMBEDDING_PROJECTION, projections))
    elif projection != "none":  # ELECTRA embeddings_project, ALBERT embedding_hidden_mapping_in (bias); DeBERTa
        out.append(_component(EMBEDDING_PROJECTION, _linear("project_in", (), e, "d_model", projection == "in")))
    if s.embedding_norm and projection == "in_nobias":  # DeBERTa: embed_proj, then the norm at d_model
        out.append(_component(EMBEDDING_NORM, _norm("embedding", s, ())))

    if s.architecture == ENCODER_DECODER:
        for prefix, layers, cross in (("encoder.", "encoder_layers", False), ("decoder.", "decoder_layers", True)):
            out += _stack_embeddings(s, prefix, e, cross)
            if s.position == "relative":
                out.append(_relative_table(s, prefix, layers))
            out += _block(s, prefix, layers, cross)
    else:
        if s.position == "relative":
            out.append(_relative_table(s, "", "layers"))
        out += _block(s, "", "shared_layers" if s.shared else "layers", False)
        out += _encoder_extras(s)

    if s.mlm_head:  # BERT's masked-LM transform: dense d_model -> d_model with bias, a norm
        # (ELECTRA, ALBERT, DeBERTa: back to embedding_dim, the width of the tied decoder)
        transform = _linear("dense", (), "d_model", tables, s.mlm_transform_bias) + _norm("norm", s, (), tables)
        out.append(_component(MLM_TRANSFORM, transform))
    if s.architecture in (DECODER, ENCODER_DECODER) or s.mlm_head:
        head: list[Shape] = []
        if not s.tie_embeddings:  # lm_head: embedding_dim -> vocab, no bias unless head_bias
            head.append(Shape("head", WEIGHT, (e, "vocab"), True))
        if s.mlm_head and s.mlm_vocab_bias:  # two when an untied head keeps the decoder's bias apart
            head.append(Shape("head", BIAS, ("vocab",) if s.mlm_vocab_bias == 1 else ("mlm_vocab_biases", "vocab")))
        elif s.head_bias and not s.mlm_head:
            head.append(Shape("head", BIAS, ("vocab",)))
        out.append(_component(OUTPUT_HEAD, head))
    if s.pooler:  # BERT's pooler: dense d_model -> d_model with bias, on the first token
        out.append(
            _component(
                POOLER, [Shape("pooler", WEIGHT, ("d_model", "pooler_dim")), Shape("pooler", BIAS, ("pooler_dim",))]
            )
        )
    return tuple(out)


# --- seq2seq and speech (issue 14): bart, mbart, mt5, umt5, whisper -------------------------------


def _stack_embeddings(s: Switches, prefix: str, e: str, decoder: bool) -> list[ComponentLayout]:
    """What one stack of an encoder-decoder holds before its blocks. stack_embeddings: a token
    embedding of its own besides the shared one (BART and Switch with tie_word_embeddings false:
    modeling_bart.py's encoder and decoder embed_tokens, untied from model.shared). audio_conv
    (the encoder only): Whisper's conv1 mel_bins -> d_model and conv2 d_model -> d_model, kernel 3,
    with biases (modeling_whisper.py, WhisperEncoder); their FLOPs are per audio frame, not per
    token, so they are not marked as matmuls (flops.audio_encoder_flops counts them).
    stack_positions: a learned position table per stack, encoder_context (the encoder) or context
    rows, + position_offset (BART's BartLearnedPositionalEmbedding keeps 2 more; Whisper's encoder
    table is sinusoidal at init but an nn.Embedding parameter all the same), and the stack's
    embedding norm (BART's layernorm_embedding)."""
    out = []
    if s.stack_embeddings:
        out.append(_component(prefix + TOKEN_EMBEDDING, [Shape("token", WEIGHT, ("vocab", e))]))
    if s.audio_conv and not decoder:
        shapes = [
            Shape("conv1", WEIGHT, ("d_model", "mel_bins", "3")),
            Shape("conv1", BIAS, ("d_model",)),
            Shape("conv2", WEIGHT, ("d_model", "d_model", "3")),
            Shape("conv2", BIAS, ("d_model",)),
        ]
        out.append(_component(prefix + AUDIO_CONV, shapes))
    if s.stack_positions and s.position == "learned":
        context = "context" if decoder else "encoder_context"
        rows = f"{context}+position_offset" if s.position_offset else context
        out.append(_component(prefix + POSITION_EMBEDDING, [Shape("position", WEIGHT, (rows, "d_model"))]))
    if s.stack_positions and s.embedding_norm:
        out.append(_component(prefix + EMBEDDING_NORM, _norm("embedding", s, ())))
    return out


# --- encoders (issue 14) ------------------------------------------------------------------------


def _encoder_extras(s: Switches) -> list[ComponentLayout]:
    """DeBERTa-v2 (transformers' modeling_deberta_v2.py, DebertaV2Encoder and DisentangledSelfAttention):
    per block pos_key_proj (c2p) and pos_query_proj (p2c), d_model x heads*head_dim with bias, unless
    share_att_key reuses key_proj and query_proj; the encoder's LayerNorm on the relative table
    (norm_rel_ebd); the ConvLayer after the first block (Conv1d d_model -> d_model of conv_kernel
    taps in conv_groups groups, with bias, and a LayerNorm). The position projections and the table
    act on the 2 x buckets relative positions once per sequence, not per token: not in the FLOPs."""
    layers = "shared_layers" if s.shared else "layers"
    out = []
    if s.position_projection:
        dims = (layers, "position_projections")
        shapes = [
            Shape("position_proj", WEIGHT, (*dims, "d_model", "heads*head_dim")),
            Shape("position_proj", BIAS, (*dims, "heads*head_dim")),
        ]
        out.append(_component(RELATIVE_POSITION, shapes))
    if s.relative_norm:
        out.append(_component("relative_norm", _norm("relative_norm", s, ())))
    if s.conv:
        conv = [
            Shape("conv", WEIGHT, ("d_model", "d_model/conv_groups", "conv_kernel"), True),
            Shape("conv", BIAS, ("d_model",)),
        ]
        out.append(_component("conv", conv + _norm("conv_norm", s, ())))
    return out
