"""bart, mbart, mt5, umt5, longt5 and whisper: sequence-to-sequence and speech models, exact
against transformers.

The real configs: copies of ../shared/reference/hf_configs_v2/ (facebook/bart-large,
facebook/mbart-large-cc25, google/mt5-base, openai/whisper-large-v3), their totals from
../shared/reference/models_v2.json (transformers 5.24.0, *ForConditionalGeneration on the meta
device; mt5 with the head untied as its checkpoint holds it). Variants
(fixtures/hf/variants_seq2seq.json, each with the record it was copied from): built and counted
the same way: class defaults only, asymmetric stacks, untied embeddings, aliases that win
(num_hidden_layers over encoder_layers), gated and plain T5 feed-forwards, inner widths other
than d_model, per-layer relative tables, mel bins and position tables of odd sizes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import paramcalc
from paramcalc.config import parse_config
from paramcalc.engine.flops import audio_encoder_flops
from paramcalc.errors import ConfigError
from paramcalc.results.count import CountResult
from tests.conftest import Run
from tests.conftest import write_config as write

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
VARIANTS = json.loads((FIXTURES / "variants_seq2seq.json").read_text())
REAL = {
    "facebook__bart-large.json": 406_291_456,
    "facebook__mbart-large-cc25.json": 610_851_840,
    "google__mt5-base.json": 582_401_280,
    "openai__whisper-large-v3.json": 1_543_490_560,
}


@pytest.mark.parametrize("file", REAL)
def test_real_configs(file: str) -> None:
    assert paramcalc.count(str(FIXTURES / file)).total == REAL[file]  # models_v2.json


def test_preset_is_the_real_config() -> None:
    assert paramcalc.count("whisper-large-v3").total == 1_543_490_560


def test_every_type_checked_at_least_three_times() -> None:
    for model_type in ("bart", "mbart", "mt5", "umt5", "whisper"):
        assert sum(v["model_type"] == model_type for v in VARIANTS) >= 6, model_type
    assert sum(v["model_type"] == "longt5" for v in VARIANTS) >= 1


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(VARIANTS)])
def test_variants_exact_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = write(variant["config"], tmp_path)
    assert paramcalc.count(path).total == variant["transformers_total"], variant["note"]
    converted = run("convert", path)
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == variant["transformers_total"]


def parts(spec: Path | str | dict[str, object]) -> dict[str, int]:
    result = paramcalc.count(spec if isinstance(spec, dict) else str(spec))
    assert isinstance(result, CountResult)
    return {c.name: c.params for c in result.report.components}


def test_bart_large_by_stack() -> None:
    """bart-large: the shared embedding once, (1024 + 2) x 1024 positions and an embedding norm in
    each stack, no final norm (transformers' parts: model.encoder 152,207,360 with its table)."""
    got = parts(FIXTURES / "facebook__bart-large.json")
    assert got["token_embedding"] == 50265 * 1024
    assert got["encoder.position_embedding"] == got["decoder.position_embedding"] == 1026 * 1024
    assert got["encoder.embedding_norm"] == got["decoder.embedding_norm"] == 2 * 1024
    encoder = sum(n for name, n in got.items() if name.startswith("encoder."))
    assert encoder == 152_207_360


def test_untied_bart_holds_four_embeddings(tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v["model_type"] == "bart" and "untied" in v["note"])
    got = parts(write(variant["config"], tmp_path))
    v, d = 1000, 64
    assert got["token_embedding"] == got["encoder.token_embedding"] == got["decoder.token_embedding"] == v * d
    assert got["output_head"] == v * d


def test_umt5_has_a_table_in_every_self_attention_layer(tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v["model_type"] == "umt5" and v["note"] == "tiny untied")
    got = parts(write(variant["config"], tmp_path))
    assert got["encoder.position_embedding"] == 3 * 32 * 4  # 3 encoder blocks x buckets x heads
    assert got["decoder.position_embedding"] == 2 * 32 * 4  # self-attention only, not cross


def test_whisper_front_end_and_positions() -> None:
    """whisper-large-v3: conv1 1280 x 128 x 3 + 1280, conv2 1280 x 1280 x 3 + 1280; the encoder's
    sinusoidal table 1500 x 1280 counts; the decoder's 448 x 1280; k_proj has no bias."""
    got = parts(FIXTURES / "openai__whisper-large-v3.json")
    assert got["encoder.audio_conv"] == 1280 * 128 * 3 + 1280 + 1280 * 1280 * 3 + 1280
    assert got["encoder.position_embedding"] == 1500 * 1280
    assert got["decoder.position_embedding"] == 448 * 1280
    assert got["encoder.attention"] == 32 * (4 * 1280 * 1280 + 3 * 1280)


def test_whisper_flops_convention() -> None:
    """Per token: encoder self-attention and cross-attention over 1500 frames, decoder
    self-attention over 448 tokens; per 30 s window: the convs over 3000 and 1500 frames, the
    encoder's matmul weights and its attention over 1500 x 1500."""
    config = paramcalc.load("whisper-large-v3")
    flops = paramcalc.count("whisper-large-v3").to_dict()["flops"]
    width = 2 * 20 * (64 + 64)
    assert flops["attention_per_token"] == 32 * width * 1500 * 2 + 32 * width * 448
    d, ff = 1280, 5120
    conv = 2 * 3 * 128 * d * 3000 + 2 * 3 * d * d * 1500
    blocks = 1500 * 2 * 32 * (4 * d * d + 2 * d * ff) + 32 * width * 1500 * 1500
    assert audio_encoder_flops(config) == conv + blocks
    assert audio_encoder_flops(paramcalc.load("t5-small")) == 0


def test_text_encoder_decoders_unchanged() -> None:
    """The new switches are off for T5: its presets count as before."""
    assert paramcalc.count("t5-small").total == 60_506_624
    assert paramcalc.count("t5-base").total == 222_903_552


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"decoder_layers": 0}, "decoder_layers", "must be a positive whole number, not 0"),
        ({"encoder_attention_type": "transient-global"}, "encoder_attention_type", "is not supported"),
        ({"decoder_attention_heads": 5}, "decoder_attention_heads", "does not divide d_model 1024"),
        ({"pad_token_id": 51866}, "pad_token_id", "must be less than vocab_size 51866"),
    ],
)
def test_refusals_name_the_key(change: dict[str, object], key: str, words: str, tmp_path: Path) -> None:
    model_type = "longt5" if key == "encoder_attention_type" else "whisper" if key == "pad_token_id" else "bart"
    base = next(v["config"] for v in VARIANTS if v["model_type"] == model_type)
    with pytest.raises(ConfigError) as error:
        paramcalc.count(write({**base, **change}, tmp_path))
    assert f"{key}: " in str(error.value) and words in str(error.value)


BASE = {"architecture": "encoder-decoder", "layers": 2, "d_model": 64, "heads": 4, "vocab": 100, "context": 32}


def test_new_fields_count_what_they_say() -> None:
    plain = paramcalc.count(BASE).total
    assert paramcalc.count({**BASE, "decoder_d_ff": 300}).total - plain == 2 * (2 * 64 * (300 - 256) + 300 - 256)
    assert plain - paramcalc.count({**BASE, "k_bias": False}).total == 2 * 3 * 64  # encoder self, decoder self + cross
    assert paramcalc.count({**BASE, "stack_positions": True}).total - plain == 32 * 64  # a second table
    assert paramcalc.count({**BASE, "stack_embeddings": True}).total - plain == 2 * 100 * 64
    assert paramcalc.count({**BASE, "mel_bins": 10}).total - plain == 64 * 10 * 3 + 64 + 64 * 64 * 3 + 64
    rel = {**BASE, "position": "relative", "bias": False}
    assert paramcalc.count({**rel, "relative_per_layer": True}).total - paramcalc.count(rel).total == 2 * 32 * 4


def test_stack_positions_without_a_norm_and_with_an_encoder_length() -> None:
    per_stack = {**BASE, "stack_positions": True, "embedding_norm": False, "encoder_context": 100}
    got = parts(per_stack)
    assert (got["encoder.position_embedding"], got["decoder.position_embedding"]) == (100 * 64, 32 * 64)
    assert "embedding_norm" not in got and "encoder.embedding_norm" not in got


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"encoder_context": 100}, "encoder_context: applies only to a position table per stack"),
        ({"relative_per_layer": True}, "relative_per_layer: applies only to relative positions"),
        ({"architecture": "decoder", "mel_bins": 80}, "mel_bins"),
        ({"architecture": "decoder", "stack_embeddings": True}, "stack_embeddings"),
        ({"mel_bins": -1}, "mel_bins"),
    ],
)
def test_new_fields_refused_where_they_mean_nothing(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({**BASE, **change}, "x.yaml")
    assert message in str(error.value)
