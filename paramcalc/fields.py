"""Every config field: name, kind, default, bounds and the words the README and schema show.

:data:`FIELDS` is the single list: validation (config.py), the README and tests read it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

DECODER = "decoder"
ENCODER = "encoder"
ENCODER_DECODER = "encoder-decoder"
MLP = "mlp"
ARCHITECTURES = (DECODER, ENCODER, ENCODER_DECODER, MLP)
TRANSFORMERS = (DECODER, ENCODER, ENCODER_DECODER)

# activation -> number of d_model x d_ff matrices in one feed-forward block
ACTIVATIONS = {"gelu": 2, "relu": 2, "silu": 2, "swiglu": 3, "geglu": 3, "reglu": 3}
NORMS = ("layernorm", "rmsnorm", "nonparametric")
QK_NORMS = ("none", "head", "full")
POSITIONS = ("learned", "rotary", "alibi", "sinusoidal", "none", "relative", "xl")

REQUIRED = object()  # marker: the field has no default
MAX_LAYER_SIZES = 10_001  # an MLP's widths: 10,000 layers, far deeper than any real MLP


class Field(NamedTuple):
    """One config field as a person sees it in the README and the schema."""

    name: str
    kind: str  # "str" | "int" | "bool" | "enum" | "count" | "sizes"
    help: str
    default: Any = None  # a value, REQUIRED, or None (derived: see `derived`)
    derived: str = ""  # how the default is derived from other fields, in words
    choices: tuple[str, ...] = ()
    minimum: int = 1
    maximum: int = 10**12  # far above any real size; keeps every figure finite and fast
    only: tuple[str, ...] = TRANSFORMERS  # architectures the field applies to


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("name", "str", "display name", derived="the file's stem", only=ARCHITECTURES),
        Field("source", "str", "where the numbers come from (paper, model card)", only=ARCHITECTURES),
        Field(
            "extends",
            "str",
            "start from a preset or another file (relative to this one), then apply this file's fields",
            only=ARCHITECTURES,
        ),
        Field(
            "architecture",
            "enum",
            "decoder (GPT), encoder (BERT), encoder-decoder (T5) or mlp (plain feed-forward net)",
            default=DECODER,
            choices=ARCHITECTURES,
            only=ARCHITECTURES,
        ),
        Field("layers", "int", "transformer blocks", default=REQUIRED),
        Field(
            "encoder_layers",
            "int",
            "encoder blocks (encoder-decoder only)",
            derived="layers",
            only=(ENCODER_DECODER,),
        ),
        Field(
            "decoder_layers",
            "int",
            "decoder blocks (encoder-decoder only)",
            derived="layers",
            only=(ENCODER_DECODER,),
        ),
        Field("d_model", "int", "hidden size", default=REQUIRED),
        Field("heads", "int", "attention (query) heads", default=REQUIRED),
        Field("vocab", "int", "vocabulary size", default=REQUIRED),
        Field("context", "int", "maximum sequence length", default=REQUIRED),
        Field(
            "seq_len",
            "int",
            "training sequence length: the attention FLOPs per token are counted at this length "
            "(Llama-3.1: context 131072, trained at 8192); at most context",
            derived="context",
        ),
        Field(
            "kv_heads",
            "int",
            "key/value heads: heads = MHA, 1 = MQA, in between = GQA",
            derived="heads",
        ),
        Field(
            "head_dim",
            "int",
            "size of one attention head",
            derived="d_model / heads (must divide unless head_dim is given)",
        ),
        Field("d_ff", "int", "feed-forward inner size", derived="4 * d_model"),
        Field(
            "activation",
            "enum",
            "gelu, relu, silu (2 matrices) or gated swiglu, geglu, reglu (3 matrices)",
            default="gelu",
            choices=tuple(ACTIVATIONS),
        ),
        Field(
            "norm",
            "enum",
            "layernorm (weight + bias), rmsnorm (weight only), nonparametric (no parameters)",
            default="layernorm",
            choices=NORMS,
        ),
        Field("bias", "bool", "biases in the linear layers", default=True, only=(*TRANSFORMERS, MLP)),
        Field("qkv_bias", "bool", "biases on the q, k, v projections", derived="bias"),
        Field("out_bias", "bool", "bias on the attention output projection", derived="bias"),
        Field("ffn_bias", "bool", "biases in the feed-forward layers", derived="bias"),
        Field("head_bias", "bool", "bias on the output head (phi, GPT-J)", default=False),
        Field(
            "position",
            "enum",
            "learned (a context x d_model table), rotary, alibi, sinusoidal, none (no parameters), "
            "relative (T5: a buckets x heads bias table in the first block of each stack), "
            "xl (Transformer-XL, Gopher, Chinchilla: per layer a d_model x heads*head_dim "
            "projection of the relative positions and two heads*head_dim biases)",
            default="learned",
            choices=POSITIONS,
        ),
        Field(
            "position_offset",
            "int",
            "extra rows in a learned position table (OPT and RoBERTa keep 2)",
            default=0,
            minimum=0,
        ),
        Field("relative_buckets", "int", "buckets of a relative position table", default=32),
        Field("tie_embeddings", "bool", "the output head shares the token embedding", default=True),
        Field("experts", "int", "mixture-of-experts FFN: experts per layer", default=1),
        Field("experts_per_token", "int", "routed experts per token", default=1),
        Field(
            "type_vocab",
            "int",
            "token-type embeddings (encoder only; BERT: 2)",
            default=2,
            minimum=0,
            only=(ENCODER,),
        ),
        Field(
            "pooler",
            "bool",
            "the pooler: a d_model x d_model dense layer with bias (encoder only)",
            default=True,
            only=(ENCODER,),
        ),
        Field(
            "embedding_norm",
            "bool",
            "a norm right after the embeddings (BERT, BLOOM)",
            derived="true for encoder, else false",
        ),
        Field(
            "final_norm",
            "bool",
            "a norm after the last block (pre-LN models)",
            derived="false for encoder (post-LN), else true",
        ),
        Field(
            "norms_per_layer",
            "int",
            "norms in each block (1 for a parallel block like GPT-J; decoder blocks of an "
            "encoder-decoder get one more for cross-attention)",
            default=2,
            minimum=0,
        ),
        Field(
            "embedding_dim",
            "int",
            "width of the token embedding when it differs from d_model (OPT-350m: 512); adds "
            "project_in and project_out, embedding_dim x d_model each, no bias",
            derived="d_model",
        ),
        Field(
            "qk_norm",
            "enum",
            "norms on queries and keys: head = a head_dim gain each for q and k (Qwen3), full = "
            "heads*head_dim for q and kv_heads*head_dim for k (OLMo-2, StableLM)",
            default="none",
            choices=QK_NORMS,
        ),
        Field(
            "qk_norm_bias",
            "bool",
            "the q and k norms also have a shift (Phi with qk_layernorm)",
            default=False,
        ),
        Field(
            "expert_d_ff",
            "int",
            "mixture of experts: inner size of one routed expert",
            derived="d_ff",
        ),
        Field(
            "dense_layers",
            "int",
            "mixture of experts: blocks with a dense feed-forward of d_ff instead of experts "
            "(DeepSeek-V3: the first 3)",
            default=0,
            minimum=0,
        ),
        Field(
            "shared_expert_d_ff",
            "int",
            "mixture of experts: inner size of the always-active shared expert feed-forward "
            "(DeepSeek: shared experts x their size; Qwen2-MoE: 5632); 0 = none",
            default=0,
            minimum=0,
        ),
        Field(
            "shared_expert_gate",
            "bool",
            "a d_model x 1 sigmoid gate on the shared expert (Qwen2-MoE)",
            default=False,
        ),
        Field(
            "kv_lora_rank",
            "int",
            "multi-head latent attention (DeepSeek-V2/V3): width of the compressed key/value "
            "latent; 0 = ordinary attention",
            default=0,
            minimum=0,
        ),
        Field(
            "q_lora_rank",
            "int",
            "MLA: width of the compressed query latent; 0 = queries projected directly",
            default=0,
            minimum=0,
        ),
        Field(
            "rope_head_dim",
            "int",
            "MLA: rotary part of each query/key head, on top of head_dim (DeepSeek: 64)",
            default=0,
            minimum=0,
        ),
        Field("v_head_dim", "int", "MLA: size of each value head", derived="head_dim"),
        Field(
            "mlm_head",
            "bool",
            "encoder only: the masked-LM head (a d_model x d_model transform with bias, a norm, and a "
            "vocab bias on the output layer tied to the embedding); the pooler is then usually off",
            default=False,
            only=(ENCODER,),
        ),
        Field(
            "layer_sizes",
            "sizes",
            "mlp only: widths from input to output, e.g. [2, 2, 1]; 2 to 10,001 of them",
            default=REQUIRED,
            only=(MLP,),
        ),
        Field(
            "tokens",
            "count",
            "training tokens for the FLOPs estimate; 300e9, 3e11 and 300B are accepted",
            maximum=10**18,
            only=ARCHITECTURES,
        ),
    )
}
