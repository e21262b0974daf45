"""A JSON Schema (draft 2020-12) of the YAML config, built from the one list of fields.

Editors that speak the YAML language server autocomplete and check configs with it:
``# yaml-language-server: $schema=paramcalc.schema.json`` (see the README).
"""

from __future__ import annotations

from typing import Any

from paramcalc.config import COUNT_LIMIT
from paramcalc.fields import ARCHITECTURES, FIELDS, MAX_LAYER_SIZES, MLP, REQUIRED, Field

DRAFT = "https://json-schema.org/draft/2020-12/schema"
COUNT_PATTERN = r"^\s*[0-9][0-9_,]*(\.[0-9]*)?([eE][+-]?[0-9]+)?\s*[kKmMbBgGtT]?\s*$"


def _property(field: Field) -> dict[str, Any]:
    description = field.help
    if field.derived:
        description += f". Default: {field.derived}"
    applies = [a for a in ARCHITECTURES if a in field.only]
    if len(applies) < len(ARCHITECTURES):
        description += f". Applies to: {', '.join(applies)}"
    prop: dict[str, Any] = {"description": description}
    if field.kind == "str":
        prop["type"] = "string"
    elif field.kind == "bool":
        prop["type"] = "boolean"
    elif field.kind == "enum":
        prop.update(type="string", enum=list(field.choices))
    elif field.kind == "int":
        prop.update(type="integer", minimum=field.minimum, maximum=field.maximum)
    elif field.kind == "count":
        prop["anyOf"] = [
            {"type": "number", "minimum": 1, "maximum": float(min(field.maximum, COUNT_LIMIT))},
            {"type": "string", "pattern": COUNT_PATTERN, "description": "300e9, 3e11, 300B, 1.5T"},
        ]
    elif field.kind == "sizes":
        item = {"type": "integer", "minimum": 1, "maximum": field.maximum}
        prop.update(type="array", minItems=2, maxItems=MAX_LAYER_SIZES, items=item)
    if field.default is not None and field.default is not REQUIRED:
        prop["default"] = field.default
    return prop


def config_schema() -> dict[str, Any]:
    transformer_required = {
        "required": ["d_model", "heads", "vocab", "context"],
        "anyOf": [{"required": ["layers"]}, {"required": ["encoder_layers", "decoder_layers"]}],
    }
    return {
        "$schema": DRAFT,
        "title": "paramcalc architecture config",
        "description": "Hyperparameters of a neural network, for paramcalc count, compare, train and infer.",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _property(field) for name, field in FIELDS.items()},
        # A config that extends another inherits its required fields; otherwise an mlp needs
        # its layer sizes and a transformer its sizes.
        "if": {"required": ["extends"]},
        "then": {},
        "else": {
            "if": {"required": ["architecture"], "properties": {"architecture": {"const": MLP}}},
            "then": {"required": ["layer_sizes"]},
            "else": transformer_required,
        },
    }
