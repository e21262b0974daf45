"""`paramcalc schema`: a JSON Schema that every preset satisfies and that rejects what we reject."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from paramcalc import _yaml
from paramcalc.catalog import preset_names, presets_dir
from paramcalc.fields import FIELDS


@pytest.fixture(scope="module")
def validator(request: pytest.FixtureRequest) -> Draft202012Validator:
    from paramcalc.schemas import config_schema

    schema = config_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_schema_command(run) -> None:  # type: ignore[no-untyped-def]
    result = run("schema")
    assert result.exit_code == 0 and result.stderr == ""
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == set(FIELDS)
    for name, prop in schema["properties"].items():
        assert prop["description"], name
    assert schema["properties"]["layers"]["minimum"] == 1
    assert schema["properties"]["activation"]["enum"] == ["gelu", "relu", "silu", "swiglu", "geglu", "reglu"]
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
