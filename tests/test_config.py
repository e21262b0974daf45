from __future__ import annotations

import pytest

from paramcalc.config import FIELDS, parse_config
from paramcalc.errors import ConfigError

BASE = {"layers": 2, "d_model": 64, "heads": 4, "vocab": 100, "context": 32}


def problems(raw: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "m.yaml")  # type: ignore[arg-type]
    return info.value.lines()


def test_defaults() -> None:
    c = parse_config(BASE, "m.yaml", name="m")
    assert (c.name, c.architecture, c.kv_heads, c.head_dim, c.d_ff) == ("m", "decoder", 4, 16, 256)
    assert (c.activation, c.norm, c.bias, c.position, c.tie_embeddings) == ("gelu", "layernorm", True, "learned", True)
    assert (c.experts, c.experts_per_token) == (1, 1)


def test_unknown_key_suggests() -> None:
    assert problems({**BASE, "kv_head": 2}) == ["m.yaml: kv_head: unknown field (did you mean 'kv_heads'?)"]


def test_all_problems_at_once() -> None:
    lines = problems({"layers": 0, "d_model": "big", "heads": 4, "vocab": 100, "activation": "swishglu"})
    assert "m.yaml: layers: must be positive, not 0" in lines
    assert "m.yaml: d_model: must be a whole number, not a string ('big')" in lines
    assert any(
        line.startswith("m.yaml: activation: 'swishglu' is not one of") and "did you mean 'swiglu'" in line
        for line in lines
    )
    assert "m.yaml: context: is required for architecture 'decoder'" in lines


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"heads": 5}, "m.yaml: heads: 5 does not divide d_model 64 (or give head_dim)"),
        ({"kv_heads": 3}, "m.yaml: kv_heads: 3 does not divide heads 4"),
        ({"experts": 2, "experts_per_token": 3}, "m.yaml: experts_per_token: 3 is more than experts 2"),
        ({"bias": "yes"}, "m.yaml: bias: must be true or false, not 'yes'"),
        ({"d_ff": 1.5}, "m.yaml: d_ff: must be a whole number, not a number (1.5)"),
        ({"layers": True}, "m.yaml: layers: must be a whole number, not a boolean (True)"),
        ({"d_model": -64}, "m.yaml: d_model: must be positive, not -64"),
        ({"vocab": None}, "m.yaml: vocab: has no value (remove the line to use the default)"),
        ({"pooler": False}, "m.yaml: pooler: does not apply to architecture 'decoder' (only to encoder)"),
        ({"tokens": "lots"}, "m.yaml: tokens: 'lots' is not a number (examples: 300e9, 3e11, 300B, 1.5T)"),
    ],
)
def test_validation_messages(change: dict[str, object], message: str) -> None:
    assert message in problems({**BASE, **change})


def test_head_dim_lifts_divisibility() -> None:
    c = parse_config({**BASE, "heads": 5, "head_dim": 16})
    assert c.heads * c.head_dim == 80


def test_not_a_mapping() -> None:
    assert problems([1, 2]) == ["m.yaml: must be a mapping of fields, not a list"]


def test_mlp_requires_layer_sizes() -> None:
    assert problems({"architecture": "mlp"}) == ["m.yaml: layer_sizes: is required for architecture 'mlp'"]
    assert "m.yaml: layer_sizes: must be a list of at least two positive whole numbers, not [2]" in problems(
        {"architecture": "mlp", "layer_sizes": [2]}
    )
    assert (
        "m.yaml: heads: does not apply to architecture 'mlp' (only to decoder, encoder, encoder-decoder)"
        in problems({"architecture": "mlp", "layer_sizes": [2, 1], "heads": 2})
    )


def test_encoder_decoder_layers() -> None:
    c = parse_config({**BASE, "architecture": "encoder-decoder", "decoder_layers": 3})
    assert (c.encoder_layers, c.decoder_layers) == (2, 3)
    no_layers = {k: v for k, v in BASE.items() if k != "layers"}
    c = parse_config({**no_layers, "architecture": "encoder-decoder", "encoder_layers": 1, "decoder_layers": 3})
    assert (c.encoder_layers, c.decoder_layers) == (1, 3)


def test_tokens_strings() -> None:
    assert parse_config({**BASE, "tokens": "300B"}).tokens == 300 * 10**9
    assert parse_config({**BASE, "tokens": "300e9"}).tokens == 300 * 10**9


def test_every_field_has_help() -> None:
    for field in FIELDS.values():
        assert field.help and field.kind in {"str", "int", "bool", "enum", "count", "sizes"}
