from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paramcalc.config import FIELDS, REQUIRED, Config, parse_config
from paramcalc.errors import ConfigError
from tests.conftest import Run

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
        ({"d_ff": 1.5}, "m.yaml: d_ff: must be a whole number, not 1.5"),
        ({"layers": True}, "m.yaml: layers: must be a whole number, not a boolean (True)"),
        ({"d_model": -64}, "m.yaml: d_model: must be positive, not -64"),
        ({"vocab": None}, "m.yaml: vocab: has no value (remove the line to use the default)"),
        ({"pooler": False}, "m.yaml: pooler: does not apply to architecture 'decoder' (only to encoder, vision)"),
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
        "m.yaml: heads: does not apply to architecture 'mlp' (only to decoder, encoder, encoder-decoder, vision)"
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
        kinds = {"str", "int", "bool", "enum", "count", "sizes", "parts", "tensors", "shape", "modules"}
        assert field.help and field.kind in kinds


# ---- one place per field: FIELDS holds every default, the record none ----------------------


def test_the_record_is_built_from_fields_and_holds_no_defaults() -> None:
    from typing import get_type_hints

    assert Config._fields == tuple(FIELDS)
    assert Config._field_defaults == {}  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        # every attribute must be given: parse_config fills them from FIELDS
        Config("m", "decoder")  # type: ignore[call-arg]
    kinds = {"str": str, "int": int, "bool": bool, "enum": str, "count": int, "sizes": tuple}
    kinds.update(parts=tuple, tensors=tuple, shape=tuple, modules=tuple)
    for name, hint in get_type_hints(Config).items():
        assert name in FIELDS, name  # the annotations only type the fields, they add none
        assert kinds[FIELDS[name].kind].__name__ in str(hint), (name, hint)


MINIMAL: dict[str, dict[str, Any]] = {
    "decoder": BASE,
    "encoder": {**BASE, "architecture": "encoder"},
    "encoder-decoder": {**BASE, "architecture": "encoder-decoder"},
    "mlp": {"architecture": "mlp", "layer_sizes": [2, 2, 1]},
    "moe": {**BASE, "experts": 4},
    "mla": {**BASE, "kv_lora_rank": 8},
}


@pytest.mark.parametrize("case", sorted(MINIMAL))
def test_every_filled_value_is_what_fields_declares(case: str) -> None:
    """For every field and architecture, parse_config fills in what FIELDS says: the default,
    the derivation, or the off value where the field does not apply."""
    raw = MINIMAL[case]
    c = parse_config(raw, "m.yaml", name="m")
    values = c._asdict()
    for field in FIELDS.values():
        value = values[field.name]
        if field.name in raw:
            continue
        applies = c.architecture in field.only and (field.when is None or field.when.holds(values))
        if not applies:
            off = field.off_value()
            assert value == (off(values) if callable(off) else off), field.name
        elif field.name == "name":
            assert value == "m"
        elif field.derivation() is not None:
            assert value == field.derivation()(values), field.name  # type: ignore[misc]
        elif field.default is REQUIRED:
            assert field.unless, field.name
        else:
            assert value == field.default, field.name


def test_the_readme_defaults_come_from_fields() -> None:
    """The README's default column says what FIELDS says (a derivation in words, or the value)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for field in FIELDS.values():
        row = re.search(rf"^\| `{field.name}` \|.*\| (.*) \|$", readme, re.M)
        assert row, field.name
        shown = row.group(1).replace("`", "")
        if field.default is REQUIRED:
            assert shown.startswith("required"), field.name
        elif field.derived:
            assert shown == field.derived, field.name
        elif field.default is None:
            assert shown == "none", field.name
        else:
            assert shown == str(field.default).lower(), field.name


def test_type_vocab_and_pooler_defaults_agree_everywhere() -> None:
    """The old record said type_vocab 0 and pooler false, FIELDS said 2 and true: one place now."""
    bert = parse_config({**BASE, "architecture": "encoder"})
    pooler = FIELDS["pooler"].derivation()
    assert pooler is not None and pooler({"architecture": "encoder"})
    assert (bert.type_vocab, bert.pooler) == (FIELDS["type_vocab"].default, True) == (2, True)
    gpt = parse_config(BASE)
    assert (gpt.type_vocab, gpt.pooler) == (0, False)  # off: no token types and no pooler in a decoder
    assert not hasattr(gpt, "moe_layers")


def test_to_dict_round_trips_for_every_preset() -> None:
    import paramcalc
    from paramcalc.catalog import preset_names

    for name in preset_names():
        c = paramcalc.load(name)
        fields = {k: v for k, v in c.to_dict().items() if v is not None}  # null: "no value" in a file
        assert parse_config(fields, name) == c, name


def test_to_dict_round_trips_an_encoder_decoder_given_its_stacks_only() -> None:
    """An encoder-decoder may give encoder_layers and decoder_layers without layers: to_dict
    used to write layers 0, which parse_config refuses."""
    given = {k: v for k, v in BASE.items() if k != "layers"}
    c = parse_config({**given, "architecture": "encoder-decoder", "encoder_layers": 3, "decoder_layers": 2})
    fields = {k: v for k, v in c.to_dict().items() if v is not None}
    assert "layers" not in fields
    assert parse_config(fields) == c


def test_enum_words_in_any_case() -> None:
    c = parse_config({**BASE, "norm": "RMSNorm", "activation": "SwiGLU", "architecture": "Decoder"})
    assert (c.norm, c.activation, c.architecture) == ("rmsnorm", "swiglu", "decoder")


def test_whole_floats_are_integers_as_in_json_schema() -> None:
    assert parse_config({**BASE, "d_model": 64.0}).d_model == 64
    assert problems({**BASE, "d_model": 64.5}) == ["m.yaml: d_model: must be a whole number, not 64.5"]


def test_off_values_are_accepted_and_others_refused() -> None:
    assert parse_config({**BASE, "dense_layers": 0, "shared_expert_gate": False}).dense_layers == 0
    assert problems({**BASE, "dense_layers": 2}) == [
        "m.yaml: dense_layers: applies only to a mixture of experts (experts > 1)"
    ]
    assert problems({**BASE, "v_head_dim": 8}) == [
        "m.yaml: v_head_dim: applies only to multi-head latent attention (kv_lora_rank > 0)"
    ]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (10**400, "a 401-digit number"),
        (10**5000, "a 5,001-digit number"),
        (-(10**400), "a negative 401-digit number"),
        (2 * 10**12, "2e+12"),
    ],
    ids=["400-digits", "5000-digits", "negative", "2e12"],
)
def test_huge_integers_in_messages(value: int, words: str) -> None:
    """`--set layers=<400 digits>` raised OverflowError formatting the message ({value:.3g})."""
    lines = problems({**BASE, "layers": value})
    limit = "positive" if value < 0 else "at most 1,000,000,000,000"
    assert lines == [f"m.yaml: layers: must be {limit}, not {words}"]


def test_huge_integer_override_through_the_cli(run: Run) -> None:
    result = run("count", "gpt2", "--set", f"layers={10**400}")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "paramcalc: gpt2: layers (override): must be at most 1,000,000,000,000, not a 401-digit number\n"
    )


def test_parse_value_gives_an_option_the_reason_a_file_gets() -> None:
    from paramcalc.fields import parse_value

    assert parse_value("tokens", "300B") == 300 * 10**9
    assert parse_value("norm", "RMSNorm") == "rmsnorm"
    in_file = problems({**BASE, "tokens": "1e30"})
    with pytest.raises(ValueError) as info:
        parse_value("tokens", "1e30")
    assert in_file == [f"m.yaml: tokens: {info.value}"] == ["m.yaml: tokens: must be at most 1e+18, not 1e+30"]
    with pytest.raises(ValueError, match="did you mean 'layers'"):
        parse_value("layer", 3)


# ---- root cause first, follow-ons suppressed -------------------------------------------------


def test_hf_config_without_model_type(run: Run, tmp_path: Path) -> None:
    import json

    fixture = Path(__file__).parent / "fixtures" / "hf" / "Qwen__Qwen2.5-7B.json"
    data = json.loads(fixture.read_text())
    del data["model_type"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    result = run("count", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f'paramcalc: {path}: looks like a HuggingFace config.json without "model_type": '
        'add it (e.g. "model_type": "qwen2") and paramcalc converts it\n'
    )


def test_hf_keys_without_architectures_suggest_llama() -> None:
    lines = problems({"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10})
    assert lines == [
        'm.yaml: looks like a HuggingFace config.json without "model_type": '
        'add it (e.g. "model_type": "llama") and paramcalc converts it'
    ]


def test_layer_sizes_without_architecture_is_one_hint(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("layer_sizes: [2, 2, 1]\nbias: true\n")
    result = run("count", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert (
        result.stderr
        == f"paramcalc: {path}: layer_sizes: describes a plain feed-forward net: add 'architecture: mlp'\n"
    )


def test_unknown_architecture_suppresses_what_follows_from_it(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "cnn.yaml"
    path.write_text("architecture: cnn\nlayer_sizes: [2, 2, 1]\npooler: true\nlayers: 0\n")
    result = run("count", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"paramcalc: {path}: architecture: 'cnn' is not one of decoder, encoder, encoder-decoder, mlp, ssm, vision, "
        "composite, sequential\n"
        f"paramcalc: {path}: layers: must be positive, not 0\n"  # a problem of its own, still reported
    )
    path.write_text("architecture: decodr\nlayers: 2\n")
    assert run("count", str(path)).stderr == (
        f"paramcalc: {path}: architecture: 'decodr' is not one of decoder, encoder, encoder-decoder, mlp, ssm, vision, "
        "composite, sequential "
        "(did you mean 'decoder'?)\n"
    )
