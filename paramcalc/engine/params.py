"""Exact parameter counts, component by component.

Every count is a product of named factors (a :class:`Term`), so a count can be explained with the
config's numbers filled in (``--explain``) and is a Python int, exact to the last parameter.
Shapes follow the PyTorch modules of the reference implementations (nanoGPT, HuggingFace
transformers): a linear layer ``d_in -> d_out`` holds a ``d_in x d_out`` weight and, with bias,
``d_out`` biases. A norm gain counts as a weight, a norm shift as a bias.
"""

from __future__ import annotations

from paramcalc.config import Config
from paramcalc.fields import ACTIVATIONS, ENCODER_DECODER, MLP

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

# Components left out of Kaplan et al. 2020's non-embedding count (Section 2.1): token and
# position embeddings (and token types), and an untied output head.
EMBEDDING_COMPONENTS = frozenset({TOKEN_EMBEDDING, POSITION_EMBEDDING, TYPE_EMBEDDING, OUTPUT_HEAD})

WEIGHT = "weight"
BIAS = "bias"


class Term:
    """One family of identical tensors: the product of its factors, e.g. layers x d_model x d_ff.

    ``matmul`` marks weights that multiply every token's activations (they count in FLOPs);
    ``routed`` marks mixture-of-experts weights of which only experts_per_token / experts are
    used per token. The count is computed once, here. (A slotted class rather than a NamedTuple
    so the count is stored: the engine reads it several times per term.)
    """

    __slots__ = ("part", "kind", "factors", "matmul", "routed", "count")

    def __init__(
        self, part: str, kind: str, factors: tuple[tuple[str, int], ...], matmul: bool = False, routed: bool = False
    ) -> None:
        self.part = part
        self.kind = kind
        self.factors = factors
        self.matmul = matmul
        self.routed = routed
        count = 1
        for _, value in factors:
            count *= value
        self.count = count

    def __repr__(self) -> str:
        return f"Term({self.part!r}, {self.kind!r}, {self.factors!r}, count={self.count})"


class Component:
    """A named group of terms (attention, feed_forward, ...) with its totals, computed once."""

    __slots__ = ("name", "terms", "weights", "biases", "params")

    def __init__(self, name: str, terms: tuple[Term, ...]) -> None:
        self.name = name
        self.terms = terms
        weights = biases = 0
        for term in terms:
            if term.kind == BIAS:
                biases += term.count
            else:
                weights += term.count
        self.weights = weights
        self.biases = biases
        self.params = weights + biases

    @property
    def is_embedding(self) -> bool:
        return self.name.rsplit(".", 1)[-1] in EMBEDDING_COMPONENTS

    def __repr__(self) -> str:
        return f"Component({self.name!r}, params={self.params})"


def _linear(
    part: str,
    layers: tuple[tuple[str, int], ...],
    d_in: tuple[str, int],
    d_out: tuple[str, int],
    bias: bool,
    routed: bool = False,
) -> list[Term]:
    """A linear layer d_in -> d_out repeated over `layers`: weight d_in x d_out, bias d_out."""
    terms = [Term(part, WEIGHT, (*layers, d_in, d_out), matmul=True, routed=routed)]
    if bias:
        terms.append(Term(part, BIAS, (*layers, d_out), routed=routed))
    return terms


def _norm(
    part: str, config: Config, repeat: tuple[tuple[str, int], ...], width: tuple[str, int] | None = None
) -> list[Term]:
    """LayerNorm: gain + shift of `width` (d_model) each; RMSNorm: gain only; nonparametric: nothing."""
    if config.norm == "nonparametric":
        return []
    d = width or ("d_model", config.d_model)
    terms = [Term(part, WEIGHT, (*repeat, d))]
    if config.norm == "layernorm":
        terms.append(Term(part, BIAS, (*repeat, d)))
    return terms


def _attention(config: Config, layers: tuple[str, int]) -> list[Term]:
    """q, k, v, o. q and o are d_model x heads*head_dim; k and v are d_model x kv_heads*head_dim."""
    if config.is_mla:
        return _latent_attention(config, layers)
    d = ("d_model", config.d_model)
    q_dim = ("heads*head_dim", config.heads * config.head_dim)
    kv_dim = ("kv_heads*head_dim", config.kv_heads * config.head_dim)
    terms = [
        *_linear("q", (layers,), d, q_dim, config.qkv_bias),
        *_linear("k", (layers,), d, kv_dim, config.qkv_bias),
        *_linear("v", (layers,), d, kv_dim, config.qkv_bias),
        *_linear("o", (layers,), q_dim, d, config.out_bias),
    ]
    if config.qk_norm != "none":
        # head: one head_dim gain shared by all heads (Qwen3); full: a gain per channel of q
        # and of k (OLMo-2, StableLM). With qk_norm_bias each also has a shift (Phi).
        head = ("head_dim", config.head_dim)
        q_width, k_width = (head, head) if config.qk_norm == "head" else (q_dim, kv_dim)
        for part, width in (("q_norm", q_width), ("k_norm", k_width)):
            terms.append(Term(part, WEIGHT, (layers, width)))
            if config.qk_norm_bias:
                terms.append(Term(part, BIAS, (layers, width)))
    return terms


def _latent_attention(config: Config, layers: tuple[str, int]) -> list[Term]:
    """Multi-head latent attention (DeepSeek-V2, Section 2.1): queries through an optional
    low-rank latent, keys and values through a shared kv_lora_rank latent plus a rotary key.

    q_a: d_model x q_lora_rank, a norm, q_b: q_lora_rank x heads*(head_dim + rope_head_dim)
    (or q: d_model x heads*(head_dim + rope_head_dim)); kv_a: d_model x (kv_lora_rank +
    rope_head_dim), a norm, kv_b: kv_lora_rank x heads*(head_dim + v_head_dim);
    o: heads*v_head_dim x d_model. Only q_a, kv_a and o take the attention bias.
    """
    d = ("d_model", config.d_model)
    q_out = ("heads*(head_dim+rope_head_dim)", config.heads * config.qk_head_dim)
    terms: list[Term] = []
    if config.q_lora_rank:
        q_rank = ("q_lora_rank", config.q_lora_rank)
        terms += _linear("q_a", (layers,), d, q_rank, config.qkv_bias)
        terms += _norm("q_a_norm", config, (layers,), q_rank)
        terms += _linear("q_b", (layers,), q_rank, q_out, False)
    else:
        terms += _linear("q", (layers,), d, q_out, False)
    kv_rank = ("kv_lora_rank", config.kv_lora_rank)
    kv_a_out = ("kv_lora_rank+rope_head_dim", config.kv_lora_rank + config.rope_head_dim)
    terms += _linear("kv_a", (layers,), d, kv_a_out, config.qkv_bias)
    terms += _norm("kv_a_norm", config, (layers,), kv_rank)
    kv_b_out = ("heads*(head_dim+v_head_dim)", config.heads * (config.head_dim + config.v_head_dim))
    terms += _linear("kv_b", (layers,), kv_rank, kv_b_out, False)
    terms += _linear("o", (layers,), ("heads*v_head_dim", config.heads * config.v_head_dim), d, config.out_bias)
    return terms


def _feed_forward(
    config: Config, repeat: tuple[tuple[str, int], ...], routed: bool = False, ff: tuple[str, int] | None = None
) -> list[Term]:
    """up (and gate, for gated activations): d_model x d_ff; down: d_ff x d_model."""
    d = ("d_model", config.d_model)
    ff = ff or ("d_ff", config.d_ff)
    terms = _linear("up", repeat, d, ff, config.ffn_bias, routed)
    if ACTIVATIONS[config.activation] == 3:  # GLU variants, Shazeer 2020
        terms += _linear("gate", repeat, d, ff, config.ffn_bias, routed)
    return terms + _linear("down", repeat, ff, d, config.ffn_bias, routed)


def _block(config: Config, prefix: str, n_layers: int, cross: bool) -> list[Component]:
    """The repeated transformer blocks of one stack, and the stack's final norm."""
    layers = ("layers", n_layers)
    out = [Component(prefix + ATTENTION, tuple(_attention(config, layers)))]
    if config.position == "xl":
        out.append(_xl_position(config, layers, prefix))
    if cross:  # decoder of an encoder-decoder: attends to the encoder's output, same shapes
        out.append(Component(prefix + CROSS_ATTENTION, tuple(_attention(config, layers))))
    if config.is_moe:
        out += _mixture(config, prefix)
    else:
        out.append(Component(prefix + FEED_FORWARD, tuple(_feed_forward(config, (layers,)))))
    per_layer = ("norms_per_layer", config.norms_per_layer + (1 if cross else 0))
    norms = _norm("per_layer", config, (layers, per_layer)) if per_layer[1] else []
    if config.final_norm:
        norms += _norm("final", config, ())
    out.append(Component(prefix + NORMS, tuple(norms)))
    return out


def _mixture(config: Config, prefix: str) -> list[Component]:
    """A mixture of experts (Shazeer et al. 2017; Mixtral; DeepSeekMoE): in each MoE block a
    router d_model x experts (no bias) and `experts` feed-forwards of expert_d_ff, of which
    experts_per_token run per token; optionally a shared expert that always runs (and its
    d_model x 1 gate); the first `dense_layers` blocks keep a dense feed-forward of d_ff."""
    out = []
    if config.dense_layers:
        dense = _feed_forward(config, (("dense_layers", config.dense_layers),))
        out.append(Component(prefix + FEED_FORWARD, tuple(dense)))
    moe_layers = ("moe_layers", config.moe_layers) if config.dense_layers else ("layers", config.layers)
    d, experts = ("d_model", config.d_model), ("experts", config.experts)
    out.append(Component(prefix + ROUTER, tuple(_linear("router", (moe_layers,), d, experts, False))))
    expert_ff = ("expert_d_ff", config.expert_d_ff)
    out.append(Component(prefix + EXPERTS, tuple(_feed_forward(config, (moe_layers, experts), True, expert_ff))))
    if config.shared_expert_d_ff:
        shared = _feed_forward(config, (moe_layers,), False, ("shared_expert_d_ff", config.shared_expert_d_ff))
        if config.shared_expert_gate:
            shared += _linear("shared_gate", (moe_layers,), d, ("1", 1), False)
        out.append(Component(prefix + SHARED_EXPERT, tuple(shared)))
    return out


def _relative_table(config: Config, prefix: str) -> Component:
    """T5's relative attention bias: buckets x heads, held by the first block of a stack."""
    factors = (("relative_buckets", config.relative_buckets), ("heads", config.heads))
    return Component(prefix + POSITION_EMBEDDING, (Term("relative", WEIGHT, factors),))


def _xl_position(config: Config, layers: tuple[str, int], prefix: str) -> Component:
    """Transformer-XL relative positions (Dai et al. 2019, Section 3.3): each layer projects the
    sinusoidal relative encodings with W_k,R (d_model x heads*head_dim) and adds two learned
    biases u, v (heads*head_dim each) to the queries. The projection is a per-layer weight, not
    an embedding table, so it stays in the non-embedding count; it costs 2 x d_model x
    heads*head_dim FLOPs per token, like any weight matrix.
    """
    q_dim = ("heads*head_dim", config.heads * config.head_dim)
    terms = _linear("projection", (layers,), ("d_model", config.d_model), q_dim, False)
    terms.append(Term("u_v", BIAS, (layers, ("u,v", 2), q_dim)))
    return Component(prefix + RELATIVE_POSITION, tuple(terms))


def _mlp(config: Config) -> list[Component]:
    sizes = config.layer_sizes
    return [
        Component(
            f"linear_{i}",
            tuple(_linear("linear", (), (f"n{i - 1}", sizes[i - 1]), (f"n{i}", sizes[i]), config.bias)),
        )
        for i in range(1, len(sizes))
    ]


def components(config: Config) -> list[Component]:
    """Every component of the model, in the order data flows through it."""
    if config.architecture == MLP:
        return _mlp(config)
    d = ("d_model", config.d_model)
    vocab = ("vocab", config.vocab)
    e = ("embedding_dim", config.embedding_dim) if config.embedding_dim != config.d_model else d
    out = [Component(TOKEN_EMBEDDING, (Term("token", WEIGHT, (vocab, e)),))]
    if config.position == "learned":
        rows = ("context", config.context)
        if config.position_offset:
            rows = ("context+offset", config.context + config.position_offset)
        out.append(Component(POSITION_EMBEDDING, (Term("position", WEIGHT, (rows, d)),)))
    if config.type_vocab:
        out.append(Component(TYPE_EMBEDDING, (Term("type", WEIGHT, (("type_vocab", config.type_vocab), d)),)))
    if config.embedding_norm:
        out.append(Component(EMBEDDING_NORM, tuple(_norm("embedding", config, ()))))
    if e is not d:  # OPT-350m: embeddings narrower than the model, projected in and out, no bias
        projections = _linear("project_in", (), e, d, False) + _linear("project_out", (), d, e, False)
        out.append(Component(EMBEDDING_PROJECTION, tuple(projections)))

    if config.architecture == ENCODER_DECODER:
        for prefix, n_layers, cross in (
            ("encoder.", config.encoder_layers, False),
            ("decoder.", config.decoder_layers, True),
        ):
            if config.position == "relative":
                out.append(_relative_table(config, prefix))
            out += _block(config, prefix, n_layers, cross)
    else:
        if config.position == "relative":
            out.append(_relative_table(config, ""))
        out += _block(config, "", config.layers, False)

    if config.mlm_head:  # BERT's masked-LM transform: dense d_model -> d_model with bias, a norm
        transform = _linear("dense", (), d, d, True) + _norm("norm", config, ())
        out.append(Component(MLM_TRANSFORM, tuple(transform)))
    if config.has_lm_head:
        head: list[Term] = []
        if not config.tie_embeddings:  # lm_head: embedding_dim -> vocab, no bias unless head_bias
            head.append(Term("head", WEIGHT, (e, vocab), matmul=True))
        if config.head_bias or config.mlm_head:
            head.append(Term("head", BIAS, (vocab,)))
        out.append(Component(OUTPUT_HEAD, tuple(head)))
    if config.pooler:  # BERT's pooler: dense d_model -> d_model with bias, on the first token
        out.append(Component(POOLER, (Term("pooler", WEIGHT, (d, d)), Term("pooler", BIAS, (d,)))))
    return out


def per_token(comps: list[Component], config: Config) -> tuple[int, int]:
    """(parameters used per token, matmul weights used per token), in one pass: a routed
    expert's weights count experts_per_token / experts."""
    active = matmul = 0
    for comp in comps:
        for term in comp.terms:
            count = term.count
            if term.routed:
                count = count // config.experts * config.experts_per_token
            active += count
            if term.matmul:
                matmul += count
    return active, matmul
