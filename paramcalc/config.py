"""The architecture config: an immutable record and its validation. No I/O here.

A config is a plain mapping (from YAML, JSON or code) turned into a frozen :class:`Config` by
:func:`parse_config`, which reports every problem at once as a :class:`ConfigError`. The fields
(names, kinds, defaults and derivations, bounds, where each applies) are listed once, in
fields.py: the record's attributes, the defaults filled in here and the checks all come from
:data:`FIELDS` and :data:`RULES`.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from paramcalc.errors import ConfigError, Problem
from paramcalc.errors import suggest as _suggest
from paramcalc.fields import (  # noqa: F401  (re-exported: the public names of the schema)
    ACTIVATIONS,
    ARCHITECTURES,
    COMPOSITE,
    COUNT_LIMIT,
    DECODER,
    ENCODER,
    ENCODER_DECODER,
    FIELDS,
    MAX_LAYER_SIZES,
    MLP,
    NORMS,
    PARSERS,
    POSITIONS,
    QK_NORMS,
    REQUIRED,
    RULES,
    SEQUENTIAL,
    SSM,
    TRANSFORMERS,
    VISION,
    Field,
    Rule,
    Values,
    When,
    blocks_at,
    parse_count,
    parse_value,
    patches,
)
from paramcalc.values import parse_layer_list, type_name

__all__ = [
    "ACTIVATIONS",
    "ARCHITECTURES",
    "COUNT_LIMIT",
    "DECODER",
    "ENCODER",
    "ENCODER_DECODER",
    "FIELDS",
    "MAX_LAYER_SIZES",
    "MLP",
    "NORMS",
    "POSITIONS",
    "QK_NORMS",
    "REQUIRED",
    "TRANSFORMERS",
    "Config",
    "Field",
    "parse_config",
    "parse_count",
    "parse_value",
]

if TYPE_CHECKING:
    from typing import Self

    class _Record(tuple[Any, ...]):
        _fields: ClassVar[tuple[str, ...]]

        @classmethod
        def _make(cls, values: Iterable[Any]) -> Self: ...
        def _asdict(self) -> dict[str, Any]: ...
        def _replace(self, **changes: Any) -> Self: ...
        def __getattr__(self, name: str) -> Any: ...  # a field not annotated on Config

else:
    _Record = collections.namedtuple("_Record", tuple(FIELDS))  # one attribute per field, in FIELDS order


class Config(_Record):
    """A validated architecture with every default filled in: one attribute per entry of FIELDS,
    none with a default of its own (parse_config fills them all)."""

    __slots__ = ()

    # The types mypy sees; the attributes themselves come from FIELDS (a field not listed here is Any).
    name: str
    architecture: str
    source: str | None
    extends: str | None
    layers: int
    encoder_layers: int
    decoder_layers: int
    d_model: int
    heads: int
    vocab: int
    context: int
    seq_len: int
    kv_heads: int
    head_dim: int
    d_ff: int
    activation: str
    norm: str
    bias: bool
    qkv_bias: bool
    out_bias: bool
    ffn_bias: bool
    head_bias: bool
    position: str
    position_offset: int
    relative_buckets: int
    tie_embeddings: bool
    experts: int
    experts_per_token: int
    type_vocab: int
    pooler: bool
    embedding_norm: bool
    final_norm: bool
    norms_per_layer: int
    embedding_dim: int
    qk_norm: str
    qk_norm_bias: bool
    expert_d_ff: int
    dense_layers: int
    shared_expert_d_ff: int
    shared_expert_gate: bool
    kv_lora_rank: int
    q_lora_rank: int
    rope_head_dim: int
    v_head_dim: int
    mlm_head: bool
    layer_sizes: tuple[int, ...]
    tokens: int | None
    attention_sinks: bool
    sliding_window: int
    full_attention_every: int
    moe_every: int
    moe_offset: int
    router_bias: bool
    attention_every: int
    attention_offset: int
    attention_gate: bool
    linear_key_heads: int
    linear_value_heads: int
    linear_key_dim: int
    linear_value_dim: int
    linear_conv: int
    ssm: str
    ssm_inner: int
    ssm_state: int
    ssm_conv: int
    ssm_dt_rank: int
    ssm_heads: int
    ssm_groups: int
    ssm_bias: bool
    ssm_conv_bias: bool
    ssm_norms: bool
    expert_bias: bool
    image_size: int
    patch_size: int
    channels: int
    temporal_patch: int
    patch_bias: bool
    class_tokens: int
    register_tokens: int
    mask_token: bool
    layer_scale: bool
    pool_head: bool
    parts: tuple[tuple[str, Config], ...]
    tensors: tuple[tuple[str, tuple[int, ...]], ...]
    # seq2seq and speech (issue 14)
    decoder_d_ff: int
    k_bias: bool
    stack_positions: bool
    encoder_context: int
    stack_embeddings: bool
    relative_per_layer: bool
    mel_bins: int
    embedding_projection: str
    mlm_transform_bias: bool
    mlm_vocab_biases: int
    first_attention_norm: bool
    shared_layers: int
    relative_positions: int
    position_projections: int
    relative_norm: bool
    conv_kernel: int
    conv_groups: int
    # vision and two-tower models (issue 14)
    pooler_dim: int
    # sequential nets (issue 16); `layers` holds the list of layers there (sequential.spec.Call)
    input: tuple[int, ...] | None
    modules: tuple[Any, ...] | None

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def moe_layer_count(self) -> int:
        """Blocks with experts: after the first dense_layers, those i (from 0) with i % moe_every
        == moe_offset; 0 for a dense model."""
        if not self.is_moe:
            return 0
        every, offset = self.moe_every, self.moe_offset
        return blocks_at(self.layers, every, offset) - blocks_at(self.dense_layers, every, offset)

    @property
    def qk_head_dim(self) -> int:
        """Per-head size of the query-key product (MLA adds the rotary part)."""
        return self.head_dim + self.rope_head_dim

    @property
    def has_lm_head(self) -> bool:
        return self.architecture in (DECODER, ENCODER_DECODER, SSM) or self.mlm_head

    @property
    def is_ssm(self) -> bool:
        """A state-space language model (Mamba, Mamba-2): no attention, no feed-forward."""
        return self.architecture == SSM

    # Architecture knowledge in one place: the engine asks these, never `architecture == ...`.
    @property
    def is_mlp(self) -> bool:
        return self.architecture == MLP

    @property
    def is_composite(self) -> bool:
        """A model made of parts (towers, projectors, a language model), each a config."""
        return self.architecture == COMPOSITE

    @property
    def is_sequential(self) -> bool:
        """A net written layer by layer (paramcalc/sequential): `layers` is its list of layers."""
        return self.architecture == SEQUENTIAL

    @property
    def per_example(self) -> bool:
        """Counted per example, not per token: an mlp and a sequential net."""
        return self.architecture == MLP or self.architecture == SEQUENTIAL

    @property
    def is_vision(self) -> bool:
        return self.architecture == VISION

    @property
    def patches(self) -> int:
        """A vision tower's patches per image (0 for any other architecture)."""
        return patches(self._asdict()) if self.architecture == VISION else 0

    @property
    def main_part(self) -> Config:
        """The part whose FLOPs per token a composite reports (see main_part_name); a plain
        config is its own."""
        return dict(self.parts)[self.main_part_name] if self.parts else self

    @property
    def main_part_name(self) -> str:
        """A composite's language model: the last part that generates text, else its last part."""
        names = [name for name, part in self.parts if part.generates or part.is_ssm]
        return names[-1] if names else self.parts[-1][0] if self.parts else ""

    @property
    def is_encoder_decoder(self) -> bool:
        return self.architecture == ENCODER_DECODER

    @property
    def generates(self) -> bool:
        """Produces tokens one at a time with a KV cache (decoders and encoder-decoders)."""
        return self.architecture in (DECODER, ENCODER_DECODER)

    @property
    def is_gated(self) -> bool:
        """A GLU feed-forward (SwiGLU, GeGLU, ReGLU): three matrices, not two (Shazeer 2020)."""
        return ACTIVATIONS[self.activation] == 3

    @property
    def blocks(self) -> int:
        """Transformer blocks in all stacks (an encoder-decoder: encoder + decoder); an mlp's layers."""
        return self.encoder_layers + self.decoder_layers if self.is_encoder_decoder else self.layers

    @property
    def deepest_stack(self) -> int:
        """Blocks of the deepest stack: what pipeline stages split."""
        return max(self.encoder_layers, self.decoder_layers) if self.is_encoder_decoder else self.layers

    @property
    def attention_layers(self) -> int:
        """Attention sublayers that attend over the context: self-attention in every block (in a
        hybrid decoder, the attending ones), and cross-attention in each decoder block of an
        encoder-decoder; none in an mlp or a state-space model."""
        arch = self.architecture  # a hot path: compared here directly
        if arch == DECODER:
            every = self.attention_every
            return self.layers if every == 1 else blocks_at(self.layers, every, self.attention_offset)
        if arch == ENCODER or arch == VISION:
            return self.layers
        if arch == ENCODER_DECODER:
            return self.encoder_layers + 2 * self.decoder_layers
        return 0

    @property
    def sliding_layers(self) -> int:
        """Attention layers that attend within sliding_window (those full_attention_every leaves
        local: all with 0, none with 1 or without a window); the rest attend to the context."""
        every = self.full_attention_every
        if not self.sliding_window or every == 1:
            return 0
        layers = self.attention_layers
        return layers if every == 0 else layers - layers // every

    @property
    def recurrent_layers(self) -> int:
        """Blocks whose mixer is recurrent (a gated DeltaNet or a Mamba block): a fixed state per
        sequence instead of keys and values. All of a state-space model's, a hybrid decoder's
        blocks without attention, else none."""
        arch, every = self.architecture, self.attention_every
        if arch == DECODER:
            return 0 if every == 1 else self.layers - blocks_at(self.layers, every, self.attention_offset)
        return self.layers if arch == SSM else 0

    @property
    def v_dim(self) -> int:
        """Per-head size of the values (MLA has its own v_head_dim)."""
        return self.v_head_dim if self.is_mla else self.head_dim

    def to_dict(self) -> dict[str, Any]:
        """The fields that apply to this architecture (and, for MoE or MLA fields, to this
        model), defaults filled in."""
        plan = _PLANS[self.architecture]
        return {
            name: _shown(name, value)
            for name, value, when in zip(plan.shown, plan.getter(self), plan.shown_when)
            if (when is None or when.test(getattr(self, when.field)))
            and not (name in _QUIET and value == _QUIET[name](self))
        }


def _shown(name: str, value: Any) -> Any:
    """A value as JSON and YAML hold it: parts as their configs' fields, tensors and sizes as lists."""
    if name == "parts":  # each part's fields, without the empty ones (a file writes no null)
        return {part: {k: v for k, v in config.to_dict().items() if v is not None} for part, config in value}
    if name == "layers" and isinstance(value, tuple):  # a sequential net's, as written
        from paramcalc.sequential.spec import layers_raw

        return layers_raw(value)
    if name == "modules" and value is not None:
        from paramcalc.sequential.spec import modules_raw

        return modules_raw(value)
    if name == "tensors":  # None: the composite has none
        return None if value is None else {tensor: list(dims) for tensor, dims in value}
    return list(value) if isinstance(value, tuple) else value


# Fields shown only when set apart from what they derive from: seq_len from context, an offset
# from its period (the last block of each k).
_QUIET: dict[str, Callable[[Config], Any]] = {
    "seq_len": attrgetter("context"),
    "layers": lambda c: 0,  # an encoder-decoder given encoder_layers and decoder_layers only
    "moe_offset": lambda c: c.moe_every - 1,
    "attention_offset": lambda c: max(c.attention_every - 1, 0),
    # encoders (issue 14): shown where a model has them
    "embedding_projection": lambda c: "in_out" if c.embedding_dim != c.d_model else "none",
    "mlm_transform_bias": lambda c: True,
    "mlm_vocab_biases": lambda c: 1,
    "first_attention_norm": lambda c: True,
    "shared_layers": lambda c: 0,
    "relative_positions": lambda c: 0,
    "position_projections": lambda c: 0,
    "relative_norm": lambda c: False,
    "conv_kernel": lambda c: 0,
    "conv_groups": lambda c: 1,
}


class _Plan(NamedTuple):
    """How parse_config fills and checks a config of one architecture, worked out once from FIELDS."""

    fields: frozenset[str]  # may be given
    required: tuple[Field, ...]
    base: dict[str, Any]  # plain defaults of the fields that apply, off values of those that do not
    derived: tuple[tuple[str, Callable[[Values], Any]], ...]  # ... and with a derivation, in FIELDS order
    whens: tuple[tuple[When, tuple[tuple[str, Any], ...]], ...]  # condition -> (field, off value)
    off_derived: tuple[tuple[str, Callable[[Values], Any]], ...]
    rules: tuple[Rule, ...]
    shown: tuple[str, ...]  # to_dict
    shown_when: tuple[When | None, ...]
    getter: Callable[[Config], tuple[Any, ...]]


def _plan(arch: str) -> _Plan:
    from operator import attrgetter

    applies = [f for f in FIELDS.values() if arch in f.only]
    others = [f for f in FIELDS.values() if arch not in f.only]
    whens: dict[When, list[tuple[str, Any]]] = {}
    for f in applies:
        if f.when is not None and f.when.checked_in(arch):
            whens.setdefault(f.when, []).append((f.name, f.off_value()))
    offs = {f.name: f.off_value() for f in others}
    return _Plan(
        fields=frozenset(f.name for f in applies),
        required=tuple(f for f in applies if f.default is REQUIRED and (not f.required_in or arch in f.required_in)),
        base={
            **{f.name: f.default for f in applies if f.default is not REQUIRED and f.derivation() is None},
            **{k: v for k, v in offs.items() if not callable(v)},
        },
        derived=tuple(
            (f.name, d)
            for f in applies
            if (d := f.derivation()) is not None and not (f.default is REQUIRED and arch in f.required_in)
        ),
        whens=tuple((when, tuple(fields)) for when, fields in whens.items()),
        off_derived=tuple((k, v) for k, v in offs.items() if callable(v)),
        rules=tuple(r for r in RULES if arch in r.only),
        shown=tuple(f.name for f in applies),
        shown_when=tuple(f.when if f.when is not None and f.when.checked_in(arch) else None for f in applies),
        getter=attrgetter(*(f.name for f in applies)),
    )


_PLANS = {arch: _plan(arch) for arch in ARCHITECTURES}
_NAMES = tuple(FIELDS)
_new = Config._make


# Keys of a HuggingFace config.json: two of them among the unknown fields, and no model_type
# (which would have converted it), mean one root cause rather than a dozen unknown fields.
_HF_KEYS = frozenset(
    {
        "architectures",
        "hidden_size",
        "num_attention_heads",
        "num_hidden_layers",
        "num_key_value_heads",
        "intermediate_size",
        "vocab_size",
        "max_position_embeddings",
        "n_embd",
        "n_layer",
        "n_head",
        "n_positions",
        "num_layers",
        "num_heads",
        "d_kv",
        "torch_dtype",
        "transformers_version",
    }
)
_TRANSFORMER_SIZES = ("layers", "d_model", "heads", "vocab", "context")


def _hf_model_type(raw: Mapping[str, Any]) -> str:
    """The model_type to suggest: from `architectures` (LlamaForCausalLM -> llama) if paramcalc
    knows that family, else llama."""
    from paramcalc.hf.families import FAMILIES

    names = raw.get("architectures")
    if isinstance(names, list) and names and isinstance(names[0], str):
        stem = names[0].lower()
        for suffix in ("forcausallm", "lmheadmodel", "formaskedlm", "forconditionalgeneration", "model"):
            stem = stem.removesuffix(suffix)
        for guess in (stem, stem.replace("-", "_"), stem.replace("moe", "_moe")):
            if guess in FAMILIES:
                return guess
    return "llama"


def looks_like_hf(raw: Mapping[str, Any]) -> bool:
    """A mapping with HuggingFace config keys (hidden_size, num_attention_heads, ...)."""
    return sum(1 for k in raw if k in _HF_KEYS) >= 2


def _root_cause(raw: Mapping[str, Any], values: Values, problems: list[Problem], source: str) -> list[Problem] | None:
    """The one problem behind the others, first, with what only follows from it left out; None
    when there is none."""
    if looks_like_hf(raw):
        example = _hf_model_type(raw)
        message = (
            f'looks like a HuggingFace config.json without "model_type": add it (e.g. "model_type": "{example}") '
            "and paramcalc converts it"
        )
        return [Problem(source, None, message)]
    if "architecture" in raw and "architecture" not in values:
        # An unknown architecture: which fields apply, and which are required, is unknown too.
        first = [p for p in problems if p.field == "architecture"]
        return first + [p for p in problems if p.field != "architecture"]
    if "layer_sizes" in values and "architecture" not in raw and not any(k in raw for k in _TRANSFORMER_SIZES):
        hint = Problem(source, "layer_sizes", "describes a plain feed-forward net: add 'architecture: mlp'")
        return [hint, *problems]
    return None


def parse_config(raw: Mapping[str, Any], source: str = "<config>", name: str | None = None) -> Config:
    """Validate a mapping of fields and fill in defaults, all from FIELDS.

    ``source`` names the file in messages; ``name`` is the display name when the mapping has none.
    Every problem is collected and raised together as one :class:`ConfigError`, the root cause
    first and what merely follows from it (a field of an unknown architecture) left out.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError([Problem(source, None, f"must be a mapping of fields, not {type_name(raw)}")])

    # Each value on its own: kind and bounds.
    problems: list[Problem] = []
    values: Values = {}
    arch_given = raw.get("architecture")
    sequential = isinstance(arch_given, str) and arch_given.lower() == SEQUENTIAL
    for key, value in raw.items():
        parse = PARSERS.get(key) if type(key) is str else None
        if sequential and key == "layers":  # a list of layers there, a count of blocks elsewhere
            parse = parse_layer_list
        if parse is None:
            problems.append(Problem(source, str(key), f"unknown field{_suggest(str(key), FIELDS)}"))
        elif value is None:
            problems.append(Problem(source, key, "has no value (remove the line to use the default)"))
        else:
            try:
                values[key] = parse(value)
            except ValueError as exc:
                problems.append(Problem(source, key, str(exc)))
    if problems or ("layer_sizes" in values and "architecture" not in raw):
        root = _root_cause(raw, values, problems, source)
        if root is not None:
            raise ConfigError(root)

    # Where each applies, what is required, then defaults and derivations in FIELDS order.
    arch = values.get("architecture", DECODER)
    plan = _PLANS[arch]
    if not plan.fields.issuperset(values):
        for key in [k for k in values if k not in plan.fields]:
            allowed = ", ".join(FIELDS[key].only)
            problems.append(Problem(source, key, f"does not apply to architecture '{arch}' (only to {allowed})"))
            del values[key]
    for field in plan.required:
        if field.name not in raw:
            if field.unless and all(k in raw for k in field.unless):
                values[field.name] = field.nothing()
            else:
                problems.append(Problem(source, field.name, f"is required for architecture '{arch}'"))
    if name and "name" not in raw:
        values["name"] = name
    given = values
    values = {**plan.base, **given}
    if problems:  # a value that failed its check gets no default either: its rules are skipped
        for key in raw:
            if key not in given and key in values:
                del values[key]
    for key, derive in plan.derived:
        if key not in raw and key not in given:
            try:
                values[key] = derive(values)
            except (KeyError, ArithmeticError):  # a value it needs was reported above
                pass

    # Fields that mean nothing without experts or latent attention hold their off value.
    for when, fields in plan.whens:
        if when.field in raw and when.field not in values:
            continue  # the condition's own field was reported
        if not when.holds(values):
            for key, off in fields:
                if key in raw and key in values and values[key] != off:
                    problems.append(Problem(source, key, f"applies only to {when.words}"))
                values[key] = off

    for rule in plan.rules:
        try:
            message = rule.check(values, raw)
        except KeyError:  # a field it reads was reported above
            continue
        if message is not None:
            problems.append(Problem(source, rule.field, message))
    if problems:
        raise ConfigError(problems)

    for key, off in plan.off_derived:
        values[key] = off(values)
    return _new(map(values.__getitem__, _NAMES))
