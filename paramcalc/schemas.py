"""A JSON Schema (draft 2020-12) of the YAML config, built from FIELDS and RULES: the same
kinds, bounds, case-insensitive words, applicability and rules as parse_config.

Editors that speak the YAML language server autocomplete and check configs with it:
``# yaml-language-server: $schema=paramcalc.schema.json`` (see the README).

What JSON Schema cannot say, and parse_config alone checks: rules that compare two fields
(heads divides d_model, kv_heads divides heads, experts_per_token <= experts, dense_layers <=
layers), the size of a count written as text (`tokens: 1e19`), and, in a file with `extends:`,
anything that depends on the fields it inherits (the schema sees one file, not the merge).
"""

from __future__ import annotations

from typing import Any

from paramcalc.fields import (
    ARCHITECTURES,
    COUNT_LIMIT,
    FIELDS,
    MAX_LAYER_SIZES,
    REQUIRED,
    RULES,
    Field,
    When,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
COUNT_PATTERN = r"^\s*[0-9][0-9_,]*(\.[0-9]*)?([eE][+-]?[0-9]+)?\s*[kKmMbBgGtT]?\s*$"


def _any_case(word: str) -> str:
    """A regex for `word` in any case, portable to ECMA-262 (no inline (?i) flag): rmsnorm ->
    [rR][mM][sS]..."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


def value_schema(name: str, value: object) -> dict[str, Any]:
    """A value exactly as parse_config reads it: enum words in any case, anything else as is."""
    if FIELDS[name].kind == "enum":
        return {"type": "string", "pattern": f"^{_any_case(str(value))}$"}
    return {"const": value}


def _property(field: Field) -> dict[str, Any]:
    description = field.help
    if field.derived:
        description += f". Default: {field.derived}"
    applies = [a for a in ARCHITECTURES if a in field.only]
    if len(applies) < len(ARCHITECTURES):
        description += f". Applies to: {', '.join(applies)}"
    if field.when is not None:
        description += f", with {field.when.words}"
    prop: dict[str, Any] = {"description": description}
    if field.kind == "str":
        prop["type"] = ["string", "number"]  # `name: 2024` is the text "2024"
    elif field.kind == "bool":
        prop["type"] = "boolean"
    elif field.kind == "enum":
        words = "|".join(_any_case(c) for c in field.choices)
        # The lower-case words for completion; any case is accepted, as by parse_config.
        prop.update(type="string", anyOf=[{"enum": list(field.choices)}, {"pattern": f"^(?:{words})$"}])
    elif field.kind == "int" and field.name == "layers":  # sequential: a list of layers (checked by parse_config)
        prop.update(type=["integer", "array"], minimum=field.minimum, maximum=field.maximum, minItems=1)
    elif field.kind == "int":
        prop.update(type="integer", minimum=field.minimum, maximum=field.maximum)
    elif field.kind == "count":
        prop["anyOf"] = [
            {"type": "integer", "minimum": 1, "maximum": min(field.maximum, COUNT_LIMIT)},
            {"type": "string", "pattern": COUNT_PATTERN, "description": "300e9, 3e11, 300B, 1.5T"},
        ]
    elif field.kind == "sizes":
        item = {"type": "integer", "minimum": 1, "maximum": field.maximum}
        prop.update(type="array", minItems=2, maxItems=MAX_LAYER_SIZES, items=item)
    elif field.kind == "parts":  # each part is a config of its own (checked by parse_config) or a preset
        part = {"anyOf": [{"type": "string"}, {"type": "object"}]}
        prop.update(type="object", minProperties=1, additionalProperties=part)
    elif field.kind == "shape":
        dims = {"type": "integer", "minimum": 1}
        prop.update(type="array", minItems=1, maxItems=4, items=dims)
    elif field.kind == "modules":  # each a mapping with layers (checked by parse_config)
        prop.update(type="object", minProperties=1, additionalProperties={"type": "object", "required": ["layers"]})
    elif field.kind == "tensors":
        dims = {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": field.maximum}}
        prop.update(type="object", additionalProperties=dims)
    if field.default is not None and field.default is not REQUIRED:
        prop["default"] = field.default
    return prop


def _architecture_is(arch: str) -> dict[str, Any]:
    given = {"required": ["architecture"], "properties": {"architecture": value_schema("architecture", arch)}}
    if arch == FIELDS["architecture"].default:
        return {"anyOf": [{"not": {"required": ["architecture"]}}, given]}
    return given


def _per_architecture(arch: str) -> dict[str, Any]:
    """Fields that do not apply are refused; the required ones are required."""
    then: dict[str, Any] = {"properties": {f.name: False for f in FIELDS.values() if arch not in f.only}}
    required = [
        f
        for f in FIELDS.values()
        if arch in f.only and f.default is REQUIRED and (not f.required_in or arch in f.required_in)
    ]
    then["required"] = [f.name for f in required if not f.unless]
    alternatives = [{"anyOf": [{"required": [f.name]}, {"required": list(f.unless)}]} for f in required if f.unless]
    if alternatives:
        then["allOf"] = alternatives
    return {"if": _architecture_is(arch), "then": then}


def _condition(when: When, arch: str) -> dict[str, Any]:
    """JSON Schema: the condition holds in a file of this architecture (a field not given
    holds its default there)."""
    field = FIELDS[when.field]
    if when.among or when.besides:
        words = {"anyOf": [value_schema(when.field, v) for v in when.among or when.besides]}
        value: dict[str, Any] = words if when.among else {"not": words}
    else:
        value = {"minimum": when.minimum}
    given = {"required": [when.field], "properties": {when.field: value}}
    default = field.default
    if field.derive is not None:
        default = field.derive({"architecture": arch})  # the defaults these conditions read: by architecture
    if when.test(default):
        return {"anyOf": [{"not": {"required": [when.field]}}, given]}
    return given


def _per_condition(when: When) -> dict[str, Any]:
    """Without experts (or latent attention, or blocks without attention) their fields may only
    hold their off value; a scoped condition is checked in its architectures only."""
    fields = [f for f in FIELDS.values() if f.when == when]
    off = {"properties": {f.name: {"const": f.off_value()} for f in fields}}
    if not when.scope and FIELDS[when.field].derive is None:  # the same everywhere
        return {"if": {"not": _condition(when, FIELDS["architecture"].default)}, "then": off}
    archs = [a for a in ARCHITECTURES if when.checked_in(a) and any(a in f.only for f in fields)]
    checks = [{"if": {"allOf": [_architecture_is(a), {"not": _condition(when, a)}]}, "then": off} for a in archs]
    return checks[0] if len(checks) == 1 else {"allOf": checks}


def config_schema() -> dict[str, Any]:
    whens = list(dict.fromkeys(f.when for f in FIELDS.values() if f.when is not None))
    checks = [
        *(_per_architecture(arch) for arch in ARCHITECTURES),
        *(_per_condition(when) for when in whens),
        *(rule.schema() for rule in RULES if rule.schema is not None),
    ]
    return {
        "$schema": DRAFT,
        "title": "paramcalc architecture config",
        "description": "Hyperparameters of a neural network, for paramcalc count, compare, train and infer.",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _property(field) for name, field in FIELDS.items()},
        # A config that extends another inherits its architecture and required fields: only
        # each value's kind and bounds can be checked in the file alone.
        "if": {"required": ["extends"]},
        "then": {},
        "else": {"allOf": checks},
    }
