"""`paramcalc schema`: a JSON Schema that every preset satisfies and that rejects what we reject."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from paramcalc import _yaml
from paramcalc.catalog import preset_names, presets_dir
from paramcalc.fields import FIELDS
from tests.conftest import Run


@pytest.fixture(scope="module")
def validator(request: pytest.FixtureRequest) -> Draft202012Validator:
    from paramcalc.schemas import config_schema

    schema = config_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_schema_command(run: Run) -> None:
    result = run("schema")
    assert result.exit_code == 0 and result.stderr == ""
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == set(FIELDS)
    for name, prop in schema["properties"].items():
        assert prop["description"], name
    assert schema["properties"]["layers"]["minimum"] == 1
    assert schema["properties"]["activation"]["anyOf"][0]["enum"] == [
        "gelu",
        "relu",
        "silu",
        "swiglu",
        "geglu",
        "reglu",
    ]
    assert schema["properties"]["bias"]["default"] is True


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_validates(validator: Draft202012Validator, preset: str) -> None:
    data = _yaml.load((presets_dir() / f"{preset}.yaml").read_text(), preset)
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(
    "data",
    [
        {"layers": 2, "d_model": 64, "heads": 4, "vocab": 10, "context": 8, "kv_head": 2},  # unknown key
        {"layers": 0, "d_model": 64, "heads": 4, "vocab": 10, "context": 8},  # below minimum
        {"d_model": 64, "heads": 4, "vocab": 10, "context": 8},  # layers missing
        {"architecture": "mlp"},  # layer_sizes missing
        {"layers": 2, "d_model": 64, "heads": 4, "vocab": 10, "context": 8, "activation": "swish"},
        {"layers": 2, "d_model": 64, "heads": 4, "vocab": 10, "context": 8, "tokens": "lots"},
    ],
)
def test_schema_rejects(validator: Draft202012Validator, data: dict[str, object]) -> None:
    assert list(validator.iter_errors(data))


def test_extends_needs_no_required_fields(validator: Draft202012Validator) -> None:
    assert not list(validator.iter_errors({"extends": "llama-2-7b", "kv_heads": 8}))


T = {"layers": 2, "d_model": 64, "heads": 4, "vocab": 10, "context": 8}  # a valid decoder
MLP_NET = {"architecture": "mlp", "layer_sizes": [2, 2, 1]}

# One case per kind, bound, word, applicability and rule that JSON Schema can say: the schema
# and parse_config give the same verdict on each (True = valid).
VERDICTS: list[tuple[str, dict[str, Any], bool]] = [
    ("valid decoder", T, True),
    ("valid mlp", MLP_NET, True),
    ("encoder-decoder with both stacks and no layers", {**{k: v for k, v in T.items() if k != "layers"},
        "architecture": "encoder-decoder", "encoder_layers": 2, "decoder_layers": 1}, True),
    ("encoder-decoder with one stack and no layers", {**{k: v for k, v in T.items() if k != "layers"},
        "architecture": "encoder-decoder", "encoder_layers": 2}, False),
    ("enum in any case", {**T, "norm": "RMSNorm", "activation": "SwiGLU", "position": "Rotary"}, True),
    ("architecture in any case", {**MLP_NET, "architecture": "MLP"}, True),
    ("unknown enum word", {**T, "activation": "swish"}, False),
    ("enum as a number", {**T, "norm": 3}, False),
    ("unknown architecture", {**T, "architecture": "cnn"}, False),
    ("unknown field", {**T, "kv_head": 2}, False),
    ("null value", {**T, "vocab": None}, False),
    ("int below minimum", {**T, "layers": 0}, False),
    ("int above maximum", {**T, "d_model": 10**12 + 1}, False),
    ("int as text", {**T, "d_model": "64"}, False),
    ("whole float is an integer", {**T, "d_model": 64.0}, True),
    ("fraction", {**T, "d_ff": 64.5}, False),
    ("boolean for an int", {**T, "layers": True}, False),
    ("minimum 0 field at 0", {**T, "position_offset": 0}, True),
    ("bool as text", {**T, "bias": "yes"}, False),
    ("name as a number", {**T, "name": 2024}, True),
    ("name as a boolean", {**T, "name": True}, False),
    ("tokens as text", {**T, "tokens": "300B"}, True),
    ("tokens not a number", {**T, "tokens": "lots"}, False),
    ("tokens above 1e18", {**T, "tokens": 10**19}, False),
    ("tokens 1e30 as a float", {**T, "tokens": 1e30}, False),
    ("tokens a fraction", {**T, "tokens": 2.5}, False),
    ("layer_sizes too short", {**MLP_NET, "layer_sizes": [2]}, False),
    ("layer_sizes zero width", {**MLP_NET, "layer_sizes": [2, 0]}, False),
    ("layer_sizes too wide", {**MLP_NET, "layer_sizes": [2, 10**13]}, False),
    ("mlp without layer_sizes", {"architecture": "mlp"}, False),
    ("decoder without context", {k: v for k, v in T.items() if k != "context"}, False),
    ("mlp with heads", {**MLP_NET, "heads": 4}, False),
    ("mlp with a transformer size", {**MLP_NET, "d_model": 64}, False),
    ("decoder with layer_sizes", {**T, "layer_sizes": [2, 1]}, False),
    ("decoder with pooler", {**T, "pooler": False}, False),
    ("encoder with pooler", {**T, "architecture": "encoder", "pooler": False, "type_vocab": 0}, True),
    ("encoder-decoder stacks on a decoder", {**T, "encoder_layers": 2}, False),
    ("MoE field without experts", {**T, "dense_layers": 1}, False),
    ("MoE field at its off value", {**T, "dense_layers": 0, "experts_per_token": 1}, True),
    ("MoE fields with experts", {**T, "experts": 4, "experts_per_token": 2, "dense_layers": 1}, True),
    ("MLA field without kv_lora_rank", {**T, "q_lora_rank": 8}, False),
    ("MLA fields", {**T, "kv_lora_rank": 8, "q_lora_rank": 8, "rope_head_dim": 4, "v_head_dim": 8}, True),
    ("MLA on an encoder", {**T, "architecture": "encoder", "kv_lora_rank": 8}, False),
    ("qk_norm_bias without qk_norm", {**T, "qk_norm_bias": True}, False),
    ("qk_norm_bias with qk_norm NONE", {**T, "qk_norm_bias": True, "qk_norm": "NONE"}, False),
    ("qk_norm_bias with qk_norm", {**T, "qk_norm_bias": True, "qk_norm": "Head"}, True),
    ("shared_expert_gate without a shared expert", {**T, "experts": 4, "shared_expert_gate": True}, False),
    ("shared_expert_gate", {**T, "experts": 4, "shared_expert_gate": True, "shared_expert_d_ff": 8}, True),
    ("relative position on an encoder", {**T, "architecture": "encoder", "position": "Relative"}, False),
    ("relative position on a decoder", {**T, "position": "relative"}, True),
    ("HuggingFace keys", {"hidden_size": 64, "num_attention_heads": 4}, False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "valid"), VERDICTS, ids=[c for c, _, _ in VERDICTS])
def test_schema_and_parse_config_agree(
    validator: Draft202012Validator, case: str, data: dict[str, object], valid: bool
) -> None:
    from paramcalc.config import parse_config
    from paramcalc.errors import ConfigError

    try:
        parse_config(data, "m.yaml")
        parsed = True
    except ConfigError:
        parsed = False
    errors = [e.message for e in validator.iter_errors(data)]
    assert (parsed, not errors) == (valid, valid), errors


# What JSON Schema cannot say (it compares no two fields): parse_config alone refuses these,
# and the schema says so in its description.
@pytest.mark.parametrize(
    "data",
    [
        {**T, "heads": 5},  # heads divides d_model
        {**T, "kv_heads": 3},  # kv_heads divides heads
        {**T, "experts": 2, "experts_per_token": 3},  # experts_per_token <= experts
        {**T, "experts": 2, "dense_layers": 3},  # dense_layers <= layers
    ],
)
def test_rules_only_parse_config_can_check(validator: Draft202012Validator, data: dict[str, object]) -> None:
    from paramcalc import schemas as schema
    from paramcalc.config import parse_config
    from paramcalc.errors import ConfigError

    assert not list(validator.iter_errors(data))
    with pytest.raises(ConfigError):
        parse_config(data, "m.yaml")
    assert "compare two fields" in (schema.__doc__ or "")
