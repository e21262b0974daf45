"""Every config field, once: name, kind, default or derivation, bounds, where it applies, help.

:data:`FIELDS` is the single list. Validation and the record (config.py), the JSON Schema
(schema.py), the layout switches (engine/layout.py) and the README table test all read it;
nothing else holds a default. Adding a field is one entry here. The rules that tie fields
together (heads divides d_model, ...) are :data:`RULES`, next to the fields they name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from paramcalc.errors import suggest
from paramcalc.values import COUNT_LIMIT as COUNT_LIMIT  # re-exported: one import for the schema's names
from paramcalc.values import KIND_PARSERS, fast_parser
from paramcalc.values import MAX_LAYER_SIZES as MAX_LAYER_SIZES
from paramcalc.values import parse_count as parse_count

DECODER = "decoder"
ENCODER = "encoder"
ENCODER_DECODER = "encoder-decoder"
MLP = "mlp"
SSM = "ssm"
VISION = "vision"
COMPOSITE = "composite"
SEQUENTIAL = "sequential"
ARCHITECTURES = (DECODER, ENCODER, ENCODER_DECODER, MLP, SSM, VISION, COMPOSITE, SEQUENTIAL)
TRANSFORMERS = (DECODER, ENCODER, ENCODER_DECODER, VISION)
TEXT = (DECODER, ENCODER, ENCODER_DECODER)  # transformers over tokens of a vocabulary

# activation -> number of d_model x d_ff matrices in one feed-forward block
ACTIVATIONS = {"gelu": 2, "relu": 2, "silu": 2, "swiglu": 3, "geglu": 3, "reglu": 3}
NORMS = ("layernorm", "rmsnorm", "nonparametric", "layernorm-nobias")
QK_NORMS = ("none", "head", "full")
POSITIONS = ("learned", "rotary", "alibi", "sinusoidal", "none", "relative", "xl")

REQUIRED = object()  # marker: the field has no default
KINDS = ("str", "int", "bool", "enum", "count", "sizes", "parts", "tensors", "shape", "modules")

Values = dict[str, Any]  # the fields resolved so far, by name
Switch = Callable[[Any], Any]  # a config -> the value of a layout switch (hashable)


class When(NamedTuple):
    """A field that means something only while `field` is at least `minimum` (a mixture of
    experts: experts >= 2), or is one of `among`, or none of `besides`. Otherwise it holds its
    `off` value, and giving another is an error. With a `scope`, the condition is checked only in
    those architectures; in the others the field applies whenever it applies at all (the ssm_*
    fields: always in a state-space model, in a decoder only in its Mamba blocks)."""

    field: str
    minimum: int | None
    words: str
    among: tuple[Any, ...] = ()
    besides: tuple[Any, ...] = ()
    scope: tuple[str, ...] = ()

    def test(self, value: Any) -> bool:
        """Whether the condition holds for this value of `field`."""
        if self.among:
            return value in self.among
        if self.besides:
            return value not in self.besides
        return isinstance(value, int) and self.minimum is not None and value >= self.minimum

    def checked_in(self, arch: str) -> bool:
        return not self.scope or arch in self.scope

    def holds(self, values: Mapping[str, Any]) -> bool:
        return self.test(values.get(self.field, FIELDS[self.field].default))


MOE = When("experts", 2, "a mixture of experts (experts > 1)")
# blocks without attention, in a decoder: attention_every 0 (none attends) or k > 1
HYBRID = When(
    "attention_every", None, "blocks without attention (attention_every other than 1)", besides=(1,), scope=(DECODER,)
)
DELTANET = When("ssm", None, "gated DeltaNet blocks (attention_every other than 1, ssm: deltanet)", among=("deltanet",))
MAMBA_BLOCKS = When(
    "ssm",
    None,
    "Mamba blocks (architecture ssm, or a decoder with attention_every other than 1 and ssm mamba or mamba2)",
    among=("mamba", "mamba2"),
    scope=(DECODER,),
)
MLA = When("kv_lora_rank", 1, "multi-head latent attention (kv_lora_rank > 0)")


class Field(NamedTuple):
    """One config field as a person sees it in the README and the schema, and as parse_config
    fills it in."""

    name: str
    kind: str  # one of KINDS
    help: str
    default: Any = None  # a value, REQUIRED, or None (no value unless `derive` gives one)
    derived: str = ""  # the derivation in words (README, schema); a bare field name derives by copying it
    choices: tuple[str, ...] = ()
    minimum: int = 1
    maximum: int = 10**12  # far above any real size; keeps every figure finite and fast
    only: tuple[str, ...] = TRANSFORMERS  # architectures where the field may be given
    derive: Callable[[Values], Any] | None = None  # the default, from fields earlier in FIELDS
    off: Any = None  # the value where the field does not apply (or a function of the values); None: see off_value
    when: When | None = None  # a further condition for the field to apply
    unless: tuple[str, ...] = ()  # a REQUIRED field is not required when all of these are given
    required_in: tuple[str, ...] = ()  # a REQUIRED field is required only in these (elsewhere `derive` gives it)
    # A layout switch (engine/layout.py): True = the value itself chooses tensors (norm, bias);
    # (name, n) = whether the value exceeds n (moe: experts > 1); (name, function of the config).
    switch: bool | tuple[str, int | Switch] = False

    def derivation(self) -> Callable[[Values], Any] | None:
        if self.derive is not None:
            return self.derive
        if self.derived in _NAMES:  # `derived="heads"`: a copy of heads
            copied = self.derived
            return lambda values: values[copied]
        return None

    def off_value(self) -> Any:
        """What the record holds where the field does not apply: `off` (a value, or a function of
        the values), else the default when it is a plain value, else nothing of its kind."""
        if self.off is not None:
            return self.off
        if self.default is not None and self.default is not REQUIRED and self.derivation() is None:
            return self.default
        return self.nothing()

    def nothing(self) -> Any:
        """The empty value of the kind: 0, false, (), or None for text and counts."""
        return {"int": 0, "bool": False, "sizes": (), "parts": (), "tensors": ()}.get(self.kind)

    def parse(self, value: object) -> Any:
        """The value as the record holds it, or ValueError with the reason (no field name)."""
        return KIND_PARSERS[self.kind](self, value)


_MAMBA = (SSM, DECODER)  # the ssm_* fields: a state-space model's, and a hybrid decoder's Mamba blocks


def _mlp_layers(values: Values) -> int:
    return max(len(values["layer_sizes"]) - 1, 0)


def patches(values: Mapping[str, Any]) -> int:
    """Patches of one image: (image_size // patch_size) ** 2 (a remainder is cropped, as the
    patch convolution's stride leaves it)."""
    side: int = values["image_size"] // values["patch_size"]
    return side * side


def tokens_per_image(values: Mapping[str, Any]) -> int:
    """What a vision tower's blocks run over: the patches, the class token(s), the registers."""
    extra: int = values["class_tokens"] + values["register_tokens"]
    return patches(values) + extra


_FIELD_LIST = (
    Field(
        "name",
        "str",
        "display name",
        derived="the file's stem",
        only=ARCHITECTURES,
        derive=lambda v: "mlp" if v["architecture"] == MLP else "config",
    ),
    Field(
        "architecture",
        "enum",
        "decoder (GPT), encoder (BERT), encoder-decoder (T5), mlp (plain feed-forward net), ssm (a "
        "state-space language model: Mamba, Mamba-2), vision (a ViT: an encoder over image patches) or "
        "composite (a model made of parts: towers, projectors, a language model) or sequential (a net "
        "written layer by layer: CNNs, RNNs, LeNet, ResNet)",
        default=DECODER,
        choices=ARCHITECTURES,
        only=ARCHITECTURES,
        switch=True,
    ),
    Field("source", "str", "where the numbers come from (paper, model card)", only=ARCHITECTURES),
    Field(
        "extends",
        "str",
        "start from a preset or another file (relative to this one), then apply this file's fields",
        only=ARCHITECTURES,
    ),
    Field(
        "layers",
        "int",
        "transformer blocks (ssm: state-space blocks); sequential: the list of layers, each a layer kind "
        "with its arguments, a module, or repeat (see Beyond transformers)",
        default=REQUIRED,
        off=_mlp_layers,  # an mlp: one layer per pair of widths
        unless=("encoder_layers", "decoder_layers"),
        only=(*TRANSFORMERS, SSM, SEQUENTIAL),
    ),
    Field("encoder_layers", "int", "encoder blocks (encoder-decoder only)", derived="layers", only=(ENCODER_DECODER,)),
    Field("decoder_layers", "int", "decoder blocks (encoder-decoder only)", derived="layers", only=(ENCODER_DECODER,)),
    Field("d_model", "int", "hidden size", default=REQUIRED, only=(*TRANSFORMERS, SSM)),
    Field("heads", "int", "attention (query) heads", default=REQUIRED),
    # vision towers (architecture: vision): what a patch embedding and its sequence are made of
    Field(
        "image_size",
        "int",
        "vision: the image's side in pixels (the position table's size)",
        default=224,
        only=(VISION,),
    ),
    Field("patch_size", "int", "vision: the side of one patch in pixels", default=16, only=(VISION,)),
    Field("channels", "int", "vision: input channels (3 for RGB)", default=3, only=(VISION,)),
    Field(
        "temporal_patch",
        "int",
        "vision: frames in one patch (Qwen2.5-VL's Conv3d: 2); 1 = a still image's Conv2d",
        default=1,
        only=(VISION,),
    ),
    Field(
        "patch_bias",
        "bool",
        "vision: the patch embedding has a bias (ViT, SigLIP: yes; CLIP, Pixtral, Qwen2.5-VL: no)",
        default=True,
        only=(VISION,),
        switch=True,
    ),
    Field(
        "class_tokens",
        "int",
        "vision: learned [CLS] vectors before the patches (ViT, CLIP: 1; SigLIP, Pixtral: 0); they take "
        "rows of the position table",
        default=1,
        minimum=0,
        only=(VISION,),
        switch=("class_tokens", 0),
    ),
    Field(
        "register_tokens",
        "int",
        "vision: learned register vectors after [CLS], without positions (DINOv2 with registers: 4)",
        default=0,
        minimum=0,
        only=(VISION,),
        switch=("register_tokens", 0),
    ),
    Field(
        "mask_token",
        "bool",
        "vision: a learned d_model vector that replaces masked patches (DINOv2)",
        default=False,
        only=(VISION,),
        switch=True,
    ),
    Field(
        "layer_scale",
        "bool",
        "vision: a learned d_model scale on each block's attention and feed-forward outputs (DINOv2, CaiT)",
        default=False,
        only=(VISION,),
        switch=True,
    ),
    Field(
        "pool_head",
        "bool",
        "vision: SigLIP's attention-pooling head (a probe vector, a multi-head attention, a norm and an MLP "
        "of d_ff); it runs once per image",
        default=False,
        only=(VISION,),
        switch=True,
    ),
    Field("vocab", "int", "vocabulary size", default=REQUIRED, only=(*TEXT, SSM)),
    Field(
        "context",
        "int",
        "maximum sequence length",
        default=REQUIRED,
        derived="vision: the tokens of one image (patches + class_tokens + register_tokens)",
        derive=tokens_per_image,
        required_in=TEXT,
    ),
    Field(
        "seq_len",
        "int",
        "training sequence length: the attention FLOPs per token are counted at this length "
        "(Llama-3.1: context 131072, trained at 8192); at most context",
        derived="context",
    ),
    Field("kv_heads", "int", "key/value heads: heads = MHA, 1 = MQA, in between = GQA", derived="heads"),
    Field(
        "head_dim",
        "int",
        "size of one attention head",
        derived="d_model / heads (must divide unless head_dim is given)",
        derive=lambda v: v["d_model"] // v["heads"],
    ),
    Field("d_ff", "int", "feed-forward inner size", derived="4 * d_model", derive=lambda v: 4 * v["d_model"]),
    Field(
        "activation",
        "enum",
        "gelu, relu, silu (2 matrices) or gated swiglu, geglu, reglu (3 matrices)",
        default="gelu",
        choices=tuple(ACTIVATIONS),
        switch=True,
    ),
    Field(
        "norm",
        "enum",
        "layernorm (weight + bias), rmsnorm (weight only), nonparametric (no parameters), "
        "layernorm-nobias (a LayerNorm with its gain only: Cohere, DBRX, MPT)",
        default="layernorm",
        choices=NORMS,
        switch=True,
        only=(*TRANSFORMERS, SSM),
    ),
    Field("bias", "bool", "biases in the linear layers", default=True, only=(*TRANSFORMERS, MLP), switch=True),
    Field("qkv_bias", "bool", "biases on the q, k, v projections", derived="bias", off=True, switch=True),
    Field("out_bias", "bool", "bias on the attention output projection", derived="bias", off=True, switch=True),
    Field("ffn_bias", "bool", "biases in the feed-forward layers", derived="bias", off=True, switch=True),
    Field("head_bias", "bool", "bias on the output head (phi, GPT-J)", default=False, switch=True),
    Field(
        "position",
        "enum",
        "learned (a context x d_model table), rotary, alibi, sinusoidal, none (no parameters), "
        "relative (T5: a buckets x heads bias table in the first block of each stack), "
        "xl (Transformer-XL, Gopher, Chinchilla: per layer a d_model x heads*head_dim "
        "projection of the relative positions and two heads*head_dim biases)",
        default="learned",
        choices=POSITIONS,
        switch=True,
    ),
    Field(
        "position_offset",
        "int",
        "extra rows in a learned position table (OPT and RoBERTa keep 2)",
        default=0,
        minimum=0,
        switch=("position_offset", 0),
    ),
    Field("relative_buckets", "int", "buckets of a relative position table", default=32),
    Field(
        "tie_embeddings",
        "bool",
        "the output head shares the token embedding",
        default=True,
        switch=True,
        only=(*TEXT, SSM),
    ),
    Field(
        "experts",
        "int",
        "mixture-of-experts FFN: experts per layer",
        default=1,
        switch=("moe", 1),
    ),
    Field("experts_per_token", "int", "routed experts per token", default=1, when=MOE),
    Field(
        "type_vocab",
        "int",
        "token-type embeddings (encoder only; BERT: 2)",
        default=2,
        minimum=0,
        only=(ENCODER,),
        off=0,
        switch=("type_vocab", 0),
    ),
    Field(
        "pooler",
        "bool",
        "the pooler: a d_model x d_model dense layer with bias, on the first token (encoders, ViT)",
        derived="true for encoder, else false",
        derive=lambda v: v["architecture"] == ENCODER,
        only=(ENCODER, VISION),
        off=False,
        switch=True,
    ),
    Field(
        "embedding_norm",
        "bool",
        "a norm right after the embeddings (BERT, BLOOM)",
        derived="true for encoder, else false",
        derive=lambda v: v["architecture"] == ENCODER,
        switch=True,
    ),
    Field(
        "final_norm",
        "bool",
        "a norm after the last block (pre-LN models)",
        derived="false for encoder (post-LN), else true",
        derive=lambda v: v["architecture"] != ENCODER,
        off=True,
        switch=True,
        only=(*TRANSFORMERS, SSM),
    ),
    Field(
        "norms_per_layer",
        "int",
        "norms in each block (1 for a parallel block like GPT-J; decoder blocks of an "
        "encoder-decoder get one more for cross-attention)",
        default=2,
        minimum=0,
        switch=("per_layer_norms", 0),
    ),
    Field(
        "embedding_dim",
        "int",
        "width of the token embedding when it differs from d_model (OPT-350m: 512); adds "
        "project_in and project_out, embedding_dim x d_model each, no bias",
        derived="d_model",
        switch=("projected_embedding", lambda c: c.embedding_dim != c.d_model),
    ),
    Field(
        "qk_norm",
        "enum",
        "norms on queries and keys: head = a head_dim gain each for q and k (Qwen3), full = "
        "heads*head_dim for q and kv_heads*head_dim for k (OLMo-2, StableLM)",
        default="none",
        choices=QK_NORMS,
        switch=True,
    ),
    Field(
        "qk_norm_bias",
        "bool",
        "the q and k norms also have a shift (Phi with qk_layernorm)",
        default=False,
        switch=True,
    ),
    Field(
        "attention_every",
        "int",
        "decoder: block i (from 0) attends when i % k == attention_offset (by default every k-th block: "
        "Qwen3-Next 4, Jamba 8); the others mix by the ssm mixer (a gated DeltaNet or a Mamba block); "
        "1 = every block attends, 0 = none does (Granite-4.0-H with no attention layers)",
        default=1,
        minimum=0,
        only=(DECODER,),
        switch=("hybrid", lambda c: c.attention_every != 1),
    ),
    Field(
        "attention_offset",
        "int",
        "decoder with attention_every k > 1: the block (from 0) of each k that attends (Jamba: 4 of 8)",
        derived="attention_every - 1",
        derive=lambda v: max(v["attention_every"] - 1, 0),
        minimum=0,
        only=(DECODER,),
        when=HYBRID,
    ),
    Field(
        "ssm",
        "enum",
        "the mixer of blocks without attention: mamba (Gu & Dao 2023: in_proj, a depthwise conv, x_proj, "
        "dt_proj, A_log, D, out_proj), mamba2 (Dao & Gu 2024: one in_proj, a conv over x, B and C, per-head "
        "dt_bias, A_log and D, a gated norm, out_proj), or deltanet (a gated DeltaNet linear attention, "
        "Qwen3-Next; hybrid decoders only)",
        derived="mamba for architecture ssm, deltanet in a decoder",
        derive=lambda v: "mamba" if v["architecture"] == SSM else "deltanet",
        choices=("mamba", "mamba2", "deltanet"),
        off="none",
        only=(SSM, DECODER),
        when=HYBRID,
        switch=True,
    ),
    Field(
        "attention_gate",
        "bool",
        "the query projection also makes a sigmoid gate on the attention's output: q is d_model x 2 x "
        "heads*head_dim (Qwen3-Next)",
        default=False,
        only=(DECODER,),
        switch=True,
    ),
    Field(
        "linear_key_heads",
        "int",
        "linear attention: query and key heads of the gated DeltaNet blocks",
        derived="heads",
        only=(DECODER,),
        when=DELTANET,
    ),
    Field(
        "linear_value_heads",
        "int",
        "linear attention: value heads of the gated DeltaNet blocks",
        derived="linear_key_heads",
        only=(DECODER,),
        when=DELTANET,
    ),
    Field(
        "linear_key_dim",
        "int",
        "linear attention: size of one query/key head",
        derived="head_dim",
        only=(DECODER,),
        when=DELTANET,
    ),
    Field(
        "linear_value_dim",
        "int",
        "linear attention: size of one value head",
        derived="linear_key_dim",
        only=(DECODER,),
        when=DELTANET,
    ),
    Field(
        "linear_conv",
        "int",
        "linear attention: the kernel width of its depthwise convolution over q, k and v",
        default=4,
        only=(DECODER,),
        when=DELTANET,
    ),
    Field(
        "attention_sinks",
        "bool",
        "a learned logit per head and layer that joins the softmax's denominator (gpt-oss: heads per layer)",
        default=False,
        switch=True,
    ),
    Field(
        "sliding_window",
        "int",
        "tokens a sliding-window attention layer attends to (Mistral-7B-v0.1: 4096, Gemma 3: 1024); 0 = "
        "every layer attends to the whole context. No parameters: for the serving planner",
        default=0,
        minimum=0,
    ),
    Field(
        "full_attention_every",
        "int",
        "with sliding_window: every k-th block attends to the whole context, the others to the window "
        "(Gemma 3: 6, five local to one global; gpt-oss: 2); 0 = none (Mistral-7B-v0.1: all sliding); 1 = all",
        default=1,
        minimum=0,
        when=When("sliding_window", 1, "a sliding window (sliding_window > 0)"),
    ),
    Field("expert_d_ff", "int", "mixture of experts: inner size of one routed expert", derived="d_ff", when=MOE),
    Field(
        "dense_layers",
        "int",
        "mixture of experts: blocks with a dense feed-forward of d_ff instead of experts (DeepSeek-V3: the first 3)",
        default=0,
        minimum=0,
        when=MOE,
        switch=("dense_layers", lambda c: c.dense_layers > 0 or c.moe_every > 1),
    ),
    Field(
        "moe_every",
        "int",
        "mixture of experts: after the dense_layers, every k-th block has experts and the others a dense "
        "feed-forward of d_ff (Llama 4 Maverick: 2; block i, from 0, has experts when i % k == moe_offset, by "
        "default the last block of each k)",
        default=1,
        when=MOE,
    ),
    Field(
        "moe_offset",
        "int",
        "mixture of experts with moe_every k: the block (from 0) of each k that has experts (Jamba: 1 of 2)",
        derived="moe_every - 1",
        derive=lambda v: v["moe_every"] - 1,
        minimum=0,
        when=MOE,
    ),
    Field(
        "shared_expert_d_ff",
        "int",
        "mixture of experts: inner size of the always-active shared expert feed-forward "
        "(DeepSeek: shared experts x their size; Qwen2-MoE: 5632); 0 = none",
        default=0,
        minimum=0,
        when=MOE,
        switch=("shared_expert", 0),
    ),
    Field(
        "shared_expert_gate",
        "bool",
        "a d_model x 1 sigmoid gate on the shared expert (Qwen2-MoE)",
        default=False,
        when=MOE,
        switch=True,
    ),
    Field(
        "router_bias",
        "bool",
        "mixture of experts: the router has a bias of experts (gpt-oss)",
        default=False,
        when=MOE,
        switch=True,
    ),
    Field(
        "expert_bias",
        "bool",
        "mixture of experts: biases in the routed experts (gpt-oss: yes; ERNIE-4.5 with use_bias: no, while its "
        "dense and shared feed-forwards have them)",
        derived="ffn_bias",
        when=MOE,
        switch=True,
    ),
    Field(
        "kv_lora_rank",
        "int",
        "multi-head latent attention (DeepSeek-V2/V3): width of the compressed key/value latent; "
        "0 = ordinary attention",
        default=0,
        minimum=0,
        switch=("mla", 0),
    ),
    Field(
        "q_lora_rank",
        "int",
        "MLA: width of the compressed query latent; 0 = queries projected directly",
        default=0,
        minimum=0,
        when=MLA,
        switch=("q_lora", 0),
    ),
    Field(
        "rope_head_dim",
        "int",
        "MLA: rotary part of each query/key head, on top of head_dim (DeepSeek: 64)",
        default=0,
        minimum=0,
        when=MLA,
    ),
    Field("v_head_dim", "int", "MLA: size of each value head", derived="head_dim", when=MLA),
    Field(
        "mlm_head",
        "bool",
        "encoder only: the masked-LM head (a d_model x d_model transform with bias, a norm, and a "
        "vocab bias on the output layer tied to the embedding); the pooler is then usually off",
        default=False,
        only=(ENCODER,),
        switch=True,
    ),
    Field(
        "layer_sizes",
        "sizes",
        "mlp only: widths from input to output, e.g. [2, 2, 1]; 2 to 10,001 of them",
        default=REQUIRED,
        only=(MLP,),
        switch=("mlp_sizes", lambda c: len(c.layer_sizes)),
    ),
    Field(
        "ssm_inner",
        "int",
        "Mamba blocks: the inner width d_inner (expand x d_model)",
        derived="2 * d_model",
        derive=lambda v: 2 * v["d_model"],
        only=_MAMBA,
        when=MAMBA_BLOCKS,
    ),
    Field(
        "ssm_state",
        "int",
        "Mamba blocks: the state size per channel (d_state)",
        default=16,
        only=_MAMBA,
        when=MAMBA_BLOCKS,
    ),
    Field(
        "ssm_conv",
        "int",
        "Mamba blocks: the depthwise convolution's kernel width",
        default=4,
        only=_MAMBA,
        when=MAMBA_BLOCKS,
    ),
    Field(
        "ssm_dt_rank",
        "int",
        "Mamba blocks (mamba): the rank of the step-size projection",
        derived="ceil(d_model / 16)",
        derive=lambda v: -(-v["d_model"] // 16),
        only=_MAMBA,
        when=MAMBA_BLOCKS,
    ),
    Field(
        "ssm_heads",
        "int",
        "Mamba blocks (mamba2): heads, each with its own step size, A and D",
        derived="ssm_inner / 64",
        derive=lambda v: max(1, v["ssm_inner"] // 64),
        only=_MAMBA,
        when=MAMBA_BLOCKS,
    ),
    Field(
        "ssm_groups",
        "int",
        "Mamba blocks (mamba2): groups sharing B and C",
        default=1,
        only=_MAMBA,
        when=MAMBA_BLOCKS,
    ),
    Field(
        "ssm_bias",
        "bool",
        "Mamba blocks: biases on in_proj and out_proj",
        default=False,
        only=_MAMBA,
        when=MAMBA_BLOCKS,
        switch=True,
    ),
    Field(
        "ssm_conv_bias",
        "bool",
        "Mamba blocks: a bias on the convolution",
        default=True,
        only=_MAMBA,
        when=MAMBA_BLOCKS,
        switch=True,
    ),
    Field(
        "ssm_norms",
        "bool",
        "Mamba blocks (mamba): RMSNorm gains on the step size (ssm_dt_rank), B and C (ssm_state each) inside "
        "the mixer (Jamba)",
        default=False,
        only=_MAMBA,
        when=MAMBA_BLOCKS,
        switch=True,
    ),
    # composite models (architecture: composite): parts, each an ordinary config, and loose tensors
    Field(
        "parts",
        "parts",
        "composite: the parts, in the order data flows (vision: {...}, projector: {...}, language: {...}); "
        "each an ordinary config (or a composite of ordinary ones: a pipeline's U-Net) or a preset name; counted one "
        "by one, their components named part.component",
        default=REQUIRED,
        only=(COMPOSITE,),
    ),
    Field(
        "tensors",
        "tensors",
        "composite: named tensors that belong to no part, each a list of its dimensions (CLIP's "
        "logit_scale: [1]; Gemma 3's mm_input_projection: [1152, 3840]); not counted in FLOPs",
        only=(COMPOSITE,),
        derive=lambda v: (),  # none given: no loose tensors (not None, which the counts would iterate)
    ),
    # nets written layer by layer (architecture: sequential, issue 16): paramcalc/sequential/
    Field(
        "input",
        "shape",
        "sequential: the shape of one example without the batch: [channels, height, width] for images, "
        "[channels, length] (conv1d), [channels, depth, height, width] (conv3d), [features], "
        "[length, features] for sequences, [length] for token ids",
        default=REQUIRED,
        only=(SEQUENTIAL,),
    ),
    Field(
        "modules",
        "modules",
        "sequential: named blocks the layers call, name -> {args: {name: default}, layers: [...], shortcut: "
        "[...], residual: true | false | same_shape, concat: true, multiply: true, branches: true}",
        only=(SEQUENTIAL,),
    ),
    # --- seq2seq and speech (issue 14): bart, mbart, mt5, umt5, whisper -----------------------------
    Field(
        "decoder_d_ff",
        "int",
        "encoder-decoder: the decoder's feed-forward inner size when it differs from the encoder's d_ff (BART "
        "configs keep encoder_ffn_dim and decoder_ffn_dim)",
        derived="d_ff",
        only=(ENCODER_DECODER,),
        switch=("decoder_ff", lambda c: c.decoder_d_ff != c.d_ff),
    ),
    Field(
        "k_bias",
        "bool",
        "encoder-decoder: a bias on the key projection (Whisper: q, v and out have one, k has none)",
        derived="qkv_bias",
        off=lambda v: v["qkv_bias"],  # elsewhere the key projection follows qkv_bias
        only=(ENCODER_DECODER,),
        switch=True,
    ),
    Field(
        "stack_positions",
        "bool",
        "encoder-decoder: each stack has its own learned position table (encoder_context and context rows, "
        "each + position_offset) and, with embedding_norm, its own embedding norm (BART, mBART, Whisper); "
        "false: one table and one norm before both stacks",
        default=False,
        only=(ENCODER_DECODER,),
        switch=True,
    ),
    Field(
        "encoder_context",
        "int",
        "encoder-decoder with stack_positions: rows of the encoder's position table, the encoder's input "
        "length (Whisper: 1500 audio frames, max_source_positions)",
        derived="context",
        only=(ENCODER_DECODER,),
        when=When("stack_positions", None, "a position table per stack (stack_positions: true)", among=(True,)),
    ),
    Field(
        "stack_embeddings",
        "bool",
        "encoder-decoder: the encoder and the decoder each hold a vocab x embedding_dim token embedding of "
        "their own besides the shared one (BART, mBART and Switch with tie_word_embeddings false)",
        default=False,
        only=(ENCODER_DECODER,),
        switch=True,
    ),
    Field(
        "relative_per_layer",
        "bool",
        "relative positions: every self-attention layer has its own buckets x heads bias table (UMT5); "
        "false: the first block of each stack holds it (T5)",
        default=False,
        only=(DECODER, ENCODER_DECODER),
        when=When("position", None, "relative positions (position: relative)", among=("relative",)),
        switch=True,
    ),
    Field(
        "mel_bins",
        "int",
        "encoder-decoder with audio input (Whisper): mel filterbank channels; the encoder starts with two "
        "conv1d layers of kernel 3 with biases, mel_bins -> d_model -> d_model (the second with stride 2), "
        "and has no token embedding of its own; 0 = text input",
        default=0,
        minimum=0,
        only=(ENCODER_DECODER,),
        switch=("audio_conv", 0),
    ),
    # --- encoders (issue 14): xlm-roberta, modernbert, deberta-v2, electra, albert ---------------------
    Field(
        "embedding_projection",
        "enum",
        "how embeddings of embedding_dim reach d_model: in_out (OPT: project_in and project_out, no bias, "
        "positions at d_model), in (ELECTRA, ALBERT: every embedding table and the embedding norm at "
        "embedding_dim, then one embedding_dim x d_model projection with bias; the masked-LM transform maps "
        "back to embedding_dim), in_nobias (DeBERTa: the tables at embedding_dim, a projection without bias, "
        "the norm at d_model), none",
        derived="in_out when embedding_dim differs from d_model, else none",
        derive=lambda v: "in_out" if v["embedding_dim"] != v["d_model"] else "none",
        choices=("none", "in_out", "in", "in_nobias"),
        switch=True,
    ),
    Field(
        "mlm_transform_bias",
        "bool",
        "encoder with mlm_head: a bias on the masked-LM transform's dense layer (ModernBERT's classifier_bias)",
        default=True,
        only=(ENCODER,),
        switch=True,
    ),
    Field(
        "mlm_vocab_biases",
        "int",
        "encoder with mlm_head: vocab-sized biases on the output: 1 (BERT's, shared by the decoder), 0 "
        "(ModernBERT without decoder_bias), 2 (an untied RoBERTa, DeBERTa or ALBERT head: transformers 5 "
        "unties the decoder's bias from the head's too)",
        default=1,
        minimum=0,
        maximum=2,
        only=(ENCODER,),
        switch=("mlm_vocab_bias", lambda c: c.mlm_vocab_biases),
    ),
    Field(
        "first_attention_norm",
        "bool",
        "encoder: the first block has a norm before its attention; false for ModernBERT, whose embedding "
        "norm serves (one norm fewer)",
        default=True,
        only=(ENCODER,),
        switch=True,
    ),
    Field(
        "shared_layers",
        "int",
        "encoder: the distinct blocks whose parameters are stored when the `layers` blocks that run share "
        "them (ALBERT: num_hidden_groups x inner_group_num); parameters count the stored ones once, FLOPs "
        "every block that runs; 0 = every block has its own",
        default=0,
        minimum=0,
        only=(ENCODER,),
        switch=("shared", 0),
    ),
    Field(
        "relative_positions",
        "int",
        "encoder: rows of DeBERTa's relative position embedding table (rows x d_model, shared by all "
        "blocks: 2 x position_buckets); 0 = none",
        default=0,
        minimum=0,
        only=(ENCODER,),
        switch=("disentangled", 0),
    ),
    Field(
        "position_projections",
        "int",
        "encoder: per block, projections of the relative positions for disentangled attention (DeBERTa's "
        "pos_key_proj for c2p, pos_query_proj for p2c), d_model x heads*head_dim with bias each; 0 with "
        "share_att_key",
        default=0,
        minimum=0,
        maximum=2,
        only=(ENCODER,),
        switch=("position_projection", 0),
    ),
    Field(
        "relative_norm",
        "bool",
        "encoder: a LayerNorm of d_model on the relative position table (DeBERTa's norm_rel_ebd: layer_norm)",
        default=False,
        only=(ENCODER,),
        switch=True,
    ),
    Field(
        "conv_kernel",
        "int",
        "encoder: DeBERTa-v2's convolution after the first block: a Conv1d of this kernel width (d_model x "
        "d_model / conv_groups x kernel, with bias) and a LayerNorm; 0 = none",
        default=0,
        minimum=0,
        only=(ENCODER,),
        switch=("conv", 0),
    ),
    Field(
        "conv_groups",
        "int",
        "encoder: groups of DeBERTa-v2's convolution (conv_kernel > 0); divides d_model",
        default=1,
        only=(ENCODER,),
    ),
    # vision and two-tower models (issue 14: vit, dinov2, clip, siglip)
    Field(
        "pooler_dim",
        "int",
        "the pooler's output width: ViT's pooler_output_size, SigLIP's text head (projection_size)",
        derived="d_model",
        only=(ENCODER, VISION),
        when=When("pooler", None, "a pooler (pooler: true)", among=(True,)),
    ),
    Field(
        "tokens",
        "count",
        "training tokens for the FLOPs estimate; 300e9, 3e11 and 300B are accepted",
        maximum=10**18,
        only=ARCHITECTURES,
    ),
)
_NAMES = frozenset(f.name for f in _FIELD_LIST)
FIELDS: dict[str, Field] = {f.name: f for f in _FIELD_LIST}


# Rules that tie fields together, each next to the words it reports. `check` gets the resolved
# values of the fields that apply and returns what is wrong, or None; a rule whose fields were
# already reported (a value missing from `values`) is skipped: a root cause, not its echoes.
# `schema`: the same rule as JSON Schema, or None where JSON Schema cannot compare two fields.
class Rule(NamedTuple):
    field: str  # the field the message names
    check: Callable[[Values, Mapping[str, Any]], str | None]  # (values, the mapping as given) -> problem
    schema: Callable[[], dict[str, Any]] | None = None
    only: tuple[str, ...] = TRANSFORMERS


def _heads_divide(v: Values, given: Mapping[str, Any]) -> str | None:
    if "head_dim" not in given and v["d_model"] % v["heads"]:
        return f"{v['heads']} does not divide d_model {v['d_model']} (or give head_dim)"
    return None


def _kv_heads_divide(v: Values, given: Mapping[str, Any]) -> str | None:
    return f"{v['kv_heads']} does not divide heads {v['heads']}" if v["heads"] % v["kv_heads"] else None


def _per_token(v: Values, given: Mapping[str, Any]) -> str | None:
    n, experts = v["experts_per_token"], v["experts"]
    return f"{n} is more than experts {experts}" if n > experts else None


def _dense_layers(v: Values, given: Mapping[str, Any]) -> str | None:
    dense, layers = v["dense_layers"], v["layers"]
    return f"{dense} is more than layers {layers}" if layers and dense > layers else None


def blocks_at(blocks: int, every: int, offset: int) -> int:
    """How many of blocks 0 .. blocks - 1 are i with i % every == offset (offset < every)."""
    return (blocks + every - 1 - offset) // every if every else 0


def _moe_every(v: Values, given: Mapping[str, Any]) -> str | None:
    every, offset, layers, dense = v["moe_every"], v["moe_offset"], v["layers"], v["dense_layers"]
    if offset >= every:
        return None  # moe_offset's rule says it
    if layers and blocks_at(layers, every, offset) - blocks_at(dense, every, offset) < 1:
        return f"{every} leaves no block with experts in {layers} layers (after {dense} dense ones)"
    return None


def _offset(every: str, offset: str) -> Callable[[Values, Mapping[str, Any]], str | None]:
    """An offset within each `every` blocks is less than `every` (attention_every 0: none attends)."""

    def check(v: Values, given: Mapping[str, Any]) -> str | None:
        if v[every] == 0 and v[offset]:
            return f"{v[offset]} has no attending block to place (attention_every 0: no block attends)"
        if v[every] and v[offset] >= v[every]:
            return f"{v[offset]} must be less than {every} {v[every]} (a block of each {v[every]}, from 0)"
        return None

    return check


def _ssm_mixer(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["ssm"] == "deltanet":
        return (
            "deltanet is a decoder's linear attention (attention_every other than 1); architecture ssm "
            "takes mamba or mamba2"
        )
    return None


def _qk_norm_bias(v: Values, given: Mapping[str, Any]) -> str | None:
    return "needs qk_norm (head or full)" if v["qk_norm_bias"] and v["qk_norm"] == "none" else None


def _shared_gate(v: Values, given: Mapping[str, Any]) -> str | None:
    return (
        "needs a shared expert (shared_expert_d_ff > 0)"
        if v["shared_expert_gate"] and not v["shared_expert_d_ff"]
        else None
    )


def _mla_decoders(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["kv_lora_rank"] and v["architecture"] != DECODER:
        return "multi-head latent attention is supported for decoders only"
    return None


def _seq_len(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["seq_len"] > v["context"]:
        return f"{v['seq_len']} is more than context {v['context']} (the longest sequence the model takes)"
    return None


def _relative_position(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["position"] == "relative" and v["architecture"] == ENCODER:
        return "'relative' (T5 buckets) applies to decoder and encoder-decoder stacks"
    return None


def _embedding_projection(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["embedding_projection"] == "none" and v["embedding_dim"] != v["d_model"]:
        return (
            f"none leaves embedding_dim {v['embedding_dim']} apart from d_model {v['d_model']}: "
            "choose in_out, in or in_nobias"
        )
    return None


def _conv_groups(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["conv_kernel"] and v["d_model"] % v["conv_groups"]:
        return f"{v['conv_groups']} does not divide d_model {v['d_model']}"
    return None


def _is(field: str, *values: object) -> dict[str, Any]:
    """JSON Schema: `field` is given and is one of `values` (enum words in any case)."""
    from paramcalc.schemas import value_schema

    return {"required": [field], "properties": {field: {"anyOf": [value_schema(field, v) for v in values]}}}


def _net_builds(v: Values, given: Mapping[str, Any]) -> str | None:
    """A sequential net's shapes flow from input to output; the first layer where they do not is named."""
    from paramcalc.sequential.net import NetError, build

    try:
        build(v["input"], v["layers"], v["modules"])
    except NetError as exc:
        return str(exc)
    return None


def _patches(v: Values, given: Mapping[str, Any]) -> str | None:
    if v["image_size"] < v["patch_size"]:
        return f"{v['patch_size']} is larger than image_size {v['image_size']}: no patch fits in the image"
    return None


RULES: tuple[Rule, ...] = (
    Rule("patch_size", _patches, only=(VISION,)),
    Rule("layers", _net_builds, only=(SEQUENTIAL,)),
    Rule("heads", _heads_divide),
    Rule("kv_heads", _kv_heads_divide),
    Rule("experts_per_token", _per_token),
    Rule("dense_layers", _dense_layers),
    Rule("moe_every", _moe_every),
    Rule("moe_offset", _offset("moe_every", "moe_offset")),
    Rule("attention_offset", _offset("attention_every", "attention_offset"), only=(DECODER,)),
    Rule(
        "ssm",
        _ssm_mixer,
        lambda: {"if": {"allOf": [_is("architecture", SSM), _is("ssm", "deltanet")]}, "then": False},
        only=(SSM,),
    ),
    Rule("seq_len", _seq_len),
    Rule(
        "qk_norm_bias",
        _qk_norm_bias,
        lambda: {"if": _is("qk_norm_bias", True), "then": _is("qk_norm", "head", "full")},
    ),
    Rule(
        "shared_expert_gate",
        _shared_gate,
        lambda: {
            "if": _is("shared_expert_gate", True),
            "then": {"required": ["shared_expert_d_ff"], "properties": {"shared_expert_d_ff": {"minimum": 1}}},
        },
    ),
    Rule(
        "kv_lora_rank",
        _mla_decoders,
        lambda: {
            "if": {"required": ["kv_lora_rank"], "properties": {"kv_lora_rank": {"minimum": 1}}},
            "then": {"not": _is("architecture", ENCODER, ENCODER_DECODER)},
        },
    ),
    Rule(
        "position",
        _relative_position,
        lambda: {"if": _is("position", "relative"), "then": {"not": _is("architecture", ENCODER)}},
    ),
    Rule("embedding_projection", _embedding_projection),
    Rule("conv_groups", _conv_groups, only=(ENCODER,)),
)


PARSERS: dict[str, Callable[[object], Any]] = {name: fast_parser(field) for name, field in FIELDS.items()}


def parse_value(name: str, value: object) -> Any:
    """One field's value from a file or a command-line option (``--tokens``, ``--seq-len``):
    the same kinds, bounds and reasons as in a config file. Raises ValueError naming no field
    (the caller says `--tokens` or `tokens`): ``parse_value("tokens", "1e30")`` ->
    ValueError("must be at most 1e+18, not 1e+30")."""
    if name not in FIELDS:
        raise ValueError(f"unknown field{suggest(name, FIELDS)}")
    return FIELDS[name].parse(value)
