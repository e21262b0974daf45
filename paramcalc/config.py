"""The architecture config: an immutable record and its validation. No I/O here.

A config is a plain mapping (from YAML, JSON or code) turned into a frozen :class:`Config` by
:func:`parse_config`, which reports every problem at once as a :class:`ConfigError`.
The fields themselves (names, kinds, defaults, help) are listed once, in fields.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from paramcalc.errors import ConfigError, Problem, show
from paramcalc.errors import suggest as _suggest
from paramcalc.fields import (  # noqa: F401  (re-exported: the public names of the schema)
    ACTIVATIONS,
    ARCHITECTURES,
    DECODER,
    ENCODER,
    ENCODER_DECODER,
    FIELDS,
    MAX_LAYER_SIZES,
    MLP,
    NORMS,
    POSITIONS,
    QK_NORMS,
    REQUIRED,
    TRANSFORMERS,
    Field,
)


class Config(NamedTuple):
    """A validated architecture with every default filled in."""

    name: str
    architecture: str
    source: str | None = None
    extends: str | None = None
    layers: int = 0
    encoder_layers: int = 0
    decoder_layers: int = 0
    d_model: int = 0
    heads: int = 0
    vocab: int = 0
    context: int = 0
    seq_len: int = 0
    kv_heads: int = 0
    head_dim: int = 0
    d_ff: int = 0
    activation: str = "gelu"
    norm: str = "layernorm"
    bias: bool = True
    qkv_bias: bool = True
    out_bias: bool = True
    ffn_bias: bool = True
    head_bias: bool = False
    position: str = "learned"
    position_offset: int = 0
    relative_buckets: int = 32
    tie_embeddings: bool = True
    experts: int = 1
    experts_per_token: int = 1
    type_vocab: int = 0
    pooler: bool = False
    embedding_norm: bool = False
    final_norm: bool = True
    norms_per_layer: int = 2
    embedding_dim: int = 0
    qk_norm: str = "none"
    qk_norm_bias: bool = False
    expert_d_ff: int = 0
    dense_layers: int = 0
    shared_expert_d_ff: int = 0
    shared_expert_gate: bool = False
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    rope_head_dim: int = 0
    v_head_dim: int = 0
    mlm_head: bool = False
    layer_sizes: tuple[int, ...] = ()
    tokens: int | None = None

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def moe_layers(self) -> int:
        return self.layers - self.dense_layers if self.is_moe else 0

    @property
    def qk_head_dim(self) -> int:
        """Per-head size of the query-key product (MLA adds the rotary part)."""
        return self.head_dim + self.rope_head_dim

    @property
    def has_lm_head(self) -> bool:
        return self.architecture in (DECODER, ENCODER_DECODER) or self.mlm_head

    # Architecture knowledge in one place: the engine asks these, never `architecture == ...`.
    @property
    def is_mlp(self) -> bool:
        return self.architecture == MLP

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
        """Attention sublayers that attend over the context: self-attention in every block, and
        cross-attention in each decoder block of an encoder-decoder; none in an mlp."""
        if self.is_mlp:
            return 0
        return self.encoder_layers + 2 * self.decoder_layers if self.is_encoder_decoder else self.layers

    @property
    def v_dim(self) -> int:
        """Per-head size of the values (MLA has its own v_head_dim)."""
        return self.v_head_dim if self.is_mla else self.head_dim

    def to_dict(self) -> dict[str, Any]:
        """The fields that apply to this architecture, defaults filled in."""
        hidden: set[str] = set()
        if not self.is_moe:
            hidden |= _MOE_FIELDS
        if not self.is_mla:
            hidden |= _MLA_FIELDS
        return {
            name: (list(value) if isinstance(value, tuple) else value)
            for name, value in self._asdict().items()
            if self.architecture in FIELDS[name].only
            and name not in hidden
            and not (name == "seq_len" and value == self.context)  # shown only when set apart from context
        }


# Fields that mean nothing unless the model has experts, or multi-head latent attention.
_MOE_FIELDS = frozenset(
    {"experts_per_token", "expert_d_ff", "dense_layers", "shared_expert_d_ff", "shared_expert_gate"}
)
_MLA_FIELDS = frozenset({"q_lora_rank", "rope_head_dim", "v_head_dim"})


_COUNT_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_COUNT_RE = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*$", re.I)


COUNT_LIMIT = 10**30  # parse_count refuses more, before building a huge integer


def parse_count(value: object) -> int:
    """A positive whole number from 300000000000, 3e11, '300e9', '300B', '1.5T' or '300_000'.

    Raises ValueError with a reason a person can act on.
    """
    if isinstance(value, bool):
        raise ValueError(f"{show(value)} is not a number")
    if isinstance(value, int):
        number: int = value
    elif isinstance(value, float):
        if math.isfinite(value) and value > COUNT_LIMIT:
            raise ValueError(f"{show(value)} is too large")
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{show(value)} is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        match = _COUNT_RE.match(value)
        if not match:
            raise ValueError(f"{show(value)} is not a number (examples: 300e9, 3e11, 300B, 1.5T)")
        digits, suffix = match.group(1).replace("_", "").replace(",", ""), match.group(2).lower()
        from decimal import Decimal, InvalidOperation

        try:
            exact = Decimal(digits) * _COUNT_SUFFIX[suffix]
        except InvalidOperation:
            raise ValueError(f"{show(value)} is not a number") from None
        except ArithmeticError:  # decimal.Overflow: an exponent beyond Decimal's range
            raise ValueError(f"{show(value)} is too large") from None
        if exact > COUNT_LIMIT:
            raise ValueError(f"{show(value)} is too large")
        if exact != exact.to_integral_value():
            raise ValueError(f"{show(value)} is not a whole number")
        number = int(exact)
    else:
        raise ValueError(f"{show(value)} is not a number")
    if number <= 0:
        raise ValueError(f"{show(value)} must be positive")
    if number > COUNT_LIMIT:
        raise ValueError(f"{show(value)} is too large")
    return number


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _check(field: Field, value: object) -> tuple[object, str | None]:
    """(parsed value, None) or (None, reason)."""
    if field.kind == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value), None
        return None, f"must be text, not {_type_name(value)}"
    if field.kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, f"must be true or false, not {show(value)}"
    if field.kind == "enum":
        if isinstance(value, str) and value.lower() in field.choices:
            return value.lower(), None
        hint = _suggest(str(value), field.choices)
        return None, f"{show(value)} is not one of {', '.join(field.choices)}{hint}"
    if field.kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if value < field.minimum:
                limit = "positive" if field.minimum == 1 else f"at least {field.minimum}"
                return None, f"must be {limit}, not {value}"
            if value > field.maximum:
                return None, f"must be at most {field.maximum:,}, not {value:.3g}"
            return value, None
        return None, f"must be a whole number, not {_type_name(value)} ({show(value)})"
    if field.kind == "count":
        try:
            number = parse_count(value)
        except ValueError as exc:
            return None, str(exc)
        if number > field.maximum:
            return None, f"must be at most {field.maximum:.0e}, not {number:.3g}"
        return number, None
    if field.kind == "sizes":
        if not (
            isinstance(value, list)
            and len(value) >= 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            return None, f"must be a list of at least two positive whole numbers, not {show(value)}"
        if len(value) > MAX_LAYER_SIZES:
            return None, f"has {len(value):,} widths; paramcalc counts at most {MAX_LAYER_SIZES:,} (10,000 layers)"
        if max(value) > field.maximum:
            return None, f"widths must be at most {field.maximum:,}, not {max(value):.3g}"
        return tuple(value), None
    raise AssertionError(field.kind)  # pragma: no cover


def parse_config(raw: Mapping[str, Any], source: str = "<config>", name: str | None = None) -> Config:
    """Validate a mapping of fields and fill in defaults.

    ``source`` names the file in messages; ``name`` is the display name when the mapping has none.
    Every problem is collected and raised together as one :class:`ConfigError`.
    """
    problems: list[Problem] = []

    def problem(field: str | None, message: str) -> None:
        problems.append(Problem(source, field, message))

    if not isinstance(raw, Mapping):
        raise ConfigError([Problem(source, None, f"must be a mapping of fields, not {_type_name(raw)}")])

    values: dict[str, Any] = {}
    for key, value in raw.items():
        field = FIELDS.get(key) if isinstance(key, str) else None
        if field is None:
            problem(str(key), f"unknown field{_suggest(str(key), FIELDS)}")
            continue
        if value is None:
            problem(key, "has no value (remove the line to use the default)")
            continue
        parsed, reason = _check(field, value)
        if reason is not None:
            problem(key, reason)
        else:
            values[key] = parsed

    arch = values.get("architecture", FIELDS["architecture"].default)
    if "architecture" in raw and "architecture" not in values:
        arch = DECODER  # already reported; check the rest as a decoder
    for key in values:
        if arch not in FIELDS[key].only:
            allowed = ", ".join(FIELDS[key].only)
            problem(key, f"does not apply to architecture '{arch}' (only to {allowed})")

    def given(key: str, default: Any) -> Any:
        return values.get(key, default)

    if arch == MLP:
        if "layer_sizes" not in raw:
            problem("layer_sizes", "is required for architecture 'mlp'")
        if problems:
            raise ConfigError(problems)
        return Config(
            name=given("name", name or "mlp"),
            architecture=MLP,
            source=values.get("source"),
            extends=values.get("extends"),
            bias=given("bias", True),
            layer_sizes=values["layer_sizes"],
            layers=len(values["layer_sizes"]) - 1,
            tokens=values.get("tokens"),
        )

    needed = ["d_model", "heads", "vocab", "context"]
    if arch != ENCODER_DECODER or not ("encoder_layers" in raw and "decoder_layers" in raw):
        needed.insert(0, "layers")
    for key in needed:
        if key not in raw:
            problem(key, f"is required for architecture '{arch}'")

    d_model = values.get("d_model", 0)
    heads = values.get("heads", 0)
    if "head_dim" not in raw and d_model and heads and d_model % heads:
        problem("heads", f"{heads} does not divide d_model {d_model} (or give head_dim)")
    kv_heads = given("kv_heads", heads)
    if heads and kv_heads and heads % kv_heads:
        problem("kv_heads", f"{kv_heads} does not divide heads {heads}")
    experts = given("experts", 1)
    per_token = given("experts_per_token", 1)
    if per_token > experts:
        problem("experts_per_token", f"{per_token} is more than experts {experts}")
    layers_n = values.get("layers", 0)
    dense = given("dense_layers", 0)
    if "dense_layers" in values and experts == 1:
        problem("dense_layers", "applies only to a mixture of experts (experts > 1)")
    elif layers_n and dense > layers_n:
        problem("dense_layers", f"{dense} is more than layers {layers_n}")
    for key in ("expert_d_ff", "shared_expert_d_ff", "shared_expert_gate"):
        if key in values and experts == 1:
            problem(key, "applies only to a mixture of experts (experts > 1)")
    if values.get("qk_norm_bias") and given("qk_norm", "none") == "none":
        problem("qk_norm_bias", "needs qk_norm (head or full)")
    if values.get("shared_expert_gate") and not values.get("shared_expert_d_ff"):
        problem("shared_expert_gate", "needs a shared expert (shared_expert_d_ff > 0)")
    for key in ("q_lora_rank", "rope_head_dim", "v_head_dim"):
        if values.get(key) and not values.get("kv_lora_rank"):
            problem(key, "applies only to multi-head latent attention (kv_lora_rank > 0)")
    if values.get("kv_lora_rank") and arch != DECODER:
        problem("kv_lora_rank", "multi-head latent attention is supported for decoders only")
    if "seq_len" in values and "context" in values and values["seq_len"] > values["context"]:
        problem(
            "seq_len",
            f"{values['seq_len']} is more than context {values['context']} (the longest sequence the model takes)",
        )
    position = given("position", "learned")
    if position == "relative" and arch == ENCODER:
        problem("position", "'relative' (T5 buckets) applies to decoder and encoder-decoder stacks")
    if problems:
        raise ConfigError(problems)

    layers = values.get("layers", 0)
    bias = given("bias", True)
    encoder = arch == ENCODER
    return Config(
        name=given("name", name or "config"),
        architecture=arch,
        source=values.get("source"),
        extends=values.get("extends"),
        layers=layers,
        encoder_layers=given("encoder_layers", layers) if arch == ENCODER_DECODER else 0,
        decoder_layers=given("decoder_layers", layers) if arch == ENCODER_DECODER else 0,
        d_model=d_model,
        heads=heads,
        vocab=values["vocab"],
        context=values["context"],
        seq_len=given("seq_len", values["context"]),
        kv_heads=kv_heads,
        head_dim=given("head_dim", d_model // heads),
        d_ff=given("d_ff", 4 * d_model),
        activation=given("activation", "gelu"),
        norm=given("norm", "layernorm"),
        bias=bias,
        qkv_bias=given("qkv_bias", bias),
        out_bias=given("out_bias", bias),
        ffn_bias=given("ffn_bias", bias),
        head_bias=given("head_bias", False),
        position=position,
        position_offset=given("position_offset", 0),
        relative_buckets=given("relative_buckets", 32),
        tie_embeddings=given("tie_embeddings", True),
        experts=experts,
        experts_per_token=per_token,
        type_vocab=given("type_vocab", 2) if encoder else 0,
        pooler=given("pooler", True) if encoder else False,
        embedding_norm=given("embedding_norm", encoder),
        final_norm=given("final_norm", not encoder),
        norms_per_layer=given("norms_per_layer", 2),
        embedding_dim=given("embedding_dim", d_model),
        qk_norm=given("qk_norm", "none"),
        qk_norm_bias=given("qk_norm_bias", False),
        expert_d_ff=given("expert_d_ff", given("d_ff", 4 * d_model)) if experts > 1 else 0,
        dense_layers=given("dense_layers", 0),
        shared_expert_d_ff=given("shared_expert_d_ff", 0),
        shared_expert_gate=given("shared_expert_gate", False),
        kv_lora_rank=given("kv_lora_rank", 0),
        q_lora_rank=given("q_lora_rank", 0),
        rope_head_dim=given("rope_head_dim", 0),
        v_head_dim=given("v_head_dim", given("head_dim", d_model // heads)) if values.get("kv_lora_rank") else 0,
        mlm_head=given("mlm_head", False),
        tokens=values.get("tokens"),
    )
