"""xlm-roberta, modernbert, deberta-v2, electra and albert: encoders exact against transformers,
the bare model (AutoModel) and with `--head` its masked-LM class (AutoModelForMaskedLM).

The real configs: copies of ../shared/reference/hf_configs_v2/<name>.json, their totals from
../shared/reference/models_v2.json (transformers 5.24.0, AutoModel on the meta device). Variants
(fixtures/hf/variants_encoders.json): records of /work/notes/i14/encoders.json, each built by
transformers 5.24.0 on the meta device (its `source` and `note` say which class and what it
varies): tiny and realistic sizes, keys left out (the config class's defaults), tying on and off,
type vocabularies of 0, 1 and 2, and per family its switches. The roberta records check the
relation xlm-roberta = roberta (the same modules).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import paramcalc
from paramcalc.errors import ConfigError
from tests.conftest import Run
from tests.conftest import write_config as write

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
VARIANTS = json.loads((FIXTURES / "variants_encoders.json").read_text())
REAL = {  # models_v2.json: AutoModel totals
    "FacebookAI__xlm-roberta-base.json": 278_043_648,
    "answerdotai__ModernBERT-base.json": 149_014_272,
    "google__electra-small-discriminator.json": 13_483_008,
    "albert__albert-xxlarge-v2.json": 222_595_584,
    "microsoft__deberta-v3-base.json": 183_831_552,
}


def is_head(variant: dict[str, object]) -> bool:
    return "MaskedLM" in str(variant["class"])


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_configs(name: str) -> None:
    assert paramcalc.count(str(FIXTURES / name)).total == REAL[name]


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['class']}-{i}" for i, v in enumerate(VARIANTS)])
def test_variants_exact_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = write(variant["config"], tmp_path)
    head = is_head(variant)
    assert paramcalc.count(path, head=head).total == variant["transformers_total"], variant["note"]
    converted = run("convert", path)
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout), head=head).total == variant["transformers_total"]


def test_every_type_checked_at_least_six_times() -> None:
    types = {v["model_type"] for v in VARIANTS}
    for model_type in types:
        assert sum(v["model_type"] == model_type for v in VARIANTS) >= 6, model_type


def test_cross_attention_is_refused(tmp_path: Path) -> None:
    config = {"model_type": "xlm-roberta", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
    with pytest.raises(ConfigError, match="add_cross_attention: true"):
        paramcalc.load(write({**config, "is_decoder": True, "add_cross_attention": True}, tmp_path))


def test_roberta_untied_head_keeps_two_vocab_biases(tmp_path: Path) -> None:
    """RobertaForMaskedLM with tie_word_embeddings false: decoder weight and its bias are its own
    (transformers 5 ties nothing): 242768 (encoders.json, RobertaForMaskedLM on the meta device)."""
    config = {
        "model_type": "roberta",
        "hidden_size": 64,
        "intermediate_size": 256,
        "max_position_embeddings": 130,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "pad_token_id": 1,
        "tie_word_embeddings": False,
        "type_vocab_size": 1,
        "vocab_size": 1000,
    }
    assert paramcalc.count(write(config, tmp_path), head=True).total == 242_768


def test_albert_parameters_once_compute_every_layer(tmp_path: Path) -> None:
    """ALBERT: 48 layers hold the parameters of 4 (one shared group: 55808, encoders.json) but run
    twelve times the block matmuls: forward FLOPs per token grow by 2 x 44 x the block's weights."""
    base = {
        "model_type": "albert",
        "embedding_size": 16,
        "hidden_size": 64,
        "intermediate_size": 128,
        "max_position_embeddings": 64,
        "num_attention_heads": 4,
        "vocab_size": 1000,
    }
    four = paramcalc.count(write({**base, "num_hidden_layers": 4}, tmp_path)).to_dict()
    many = paramcalc.count(write({**base, "num_hidden_layers": 48}, tmp_path)).to_dict()
    assert four["params"]["total"] == many["params"]["total"] == 55_808
    block = 4 * 64 * 64 + 2 * 64 * 128  # q, k, v, o and up, down
    attention = 2 * 2 * 4 * 16 * 64  # per block: scores and values, 4 heads of 16 at 64 tokens
    growth = many["flops"]["forward_per_token"] - four["flops"]["forward_per_token"]
    assert growth == 44 * (2 * block + attention)


def test_albert_explain_says_parameters_versus_compute(run: Run) -> None:
    result = run("count", str(FIXTURES / "albert__albert-xxlarge-v2.json"), "--explain")
    assert "shared_layers: 1 stored blocks, counted once each, serve the 12 blocks that run" in result.stdout


def test_modernbert_first_block_has_no_attention_norm() -> None:
    """ModernBERT-base: 22 blocks, 2 norms each but layer 0's attn_norm (an Identity), of 768 gains
    (norm_bias false); the embedding norm and the final norm beside."""
    config = paramcalc.load(str(FIXTURES / "answerdotai__ModernBERT-base.json"))
    assert (config.first_attention_norm, config.norm) == (False, "layernorm-nobias")
    norms = next(c for c in paramcalc.count(config).to_dict()["components"] if c["name"] == "norms")
    assert norms["params"] == (2 * 22 - 1 + 1) * 768


def test_shared_layers_field(tmp_path: Path) -> None:
    yaml_text = "architecture: encoder\nlayers: 12\nd_model: 64\nheads: 4\nvocab: 100\ncontext: 64\n"
    path = tmp_path / "m.yaml"
    path.write_text(yaml_text + "shared_layers: 1\n")
    shared = paramcalc.count(str(path)).total
    path.write_text(yaml_text)
    assert paramcalc.count(str(path)).total - shared == 11 * (4 * 64 * 64 + 4 * 64 + 2 * 64 * 256 + 256 + 64 + 4 * 64)
    path.write_text(yaml_text + "shared_layers: -1\n")
    with pytest.raises(ConfigError, match="shared_layers"):
        paramcalc.load(str(path))


def test_deberta_v3_base_parts() -> None:
    """DeBERTa-v3-base: share_att_key (no pos_key_proj / pos_query_proj), 2 x 256 relative rows
    of 768, the encoder's LayerNorm on them, no absolute positions, no token types."""
    config = paramcalc.load(str(FIXTURES / "microsoft__deberta-v3-base.json"))
    assert (config.relative_positions, config.position_projections, config.relative_norm) == (512, 0, True)
    assert (config.position, config.type_vocab) == ("none", 0)


def test_conv_groups_must_divide(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("architecture: encoder\nlayers: 2\nd_model: 64\nheads: 4\nvocab: 100\ncontext: 64\n")
    path.write_text(path.read_text() + "conv_kernel: 3\nconv_groups: 3\n")
    with pytest.raises(ConfigError, match="conv_groups: 3 does not divide d_model 64"):
        paramcalc.load(str(path))


def test_embedding_projection_none_needs_equal_widths(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "architecture: encoder\nlayers: 2\nd_model: 64\nheads: 4\nvocab: 100\ncontext: 64\n"
        "embedding_dim: 32\nembedding_projection: none\n"
    )
    with pytest.raises(ConfigError, match="embedding_projection: none leaves embedding_dim 32 apart from d_model 64"):
        paramcalc.load(str(path))


def test_deberta_legacy_false_needs_equal_widths(tmp_path: Path) -> None:
    config = {"model_type": "deberta-v2", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2}
    with pytest.raises(ConfigError, match="legacy: false needs embedding_size = hidden_size"):
        paramcalc.load(write({**config, "vocab_size": 100, "embedding_size": 32, "legacy": False}, tmp_path))


@pytest.mark.parametrize(
    ("preset", "model", "masked_lm"),
    [
        ("xlm-roberta-large", 559_890_432, 560_142_482),  # encoders.json: XLMRobertaModel / ForMaskedLM
        ("modernbert-base", 149_014_272, 149_655_232),  # models_v2.json; encoders.json ModernBertForMaskedLM
    ],
)
def test_presets(preset: str, model: int, masked_lm: int) -> None:
    assert paramcalc.count(preset).total == model
    assert paramcalc.count(preset, head=True).total == masked_lm


def test_modernbert_preset_is_the_converted_reference(run: Run) -> None:
    converted = yaml.safe_load(run("convert", str(FIXTURES / "answerdotai__ModernBERT-base.json")).stdout)
    preset = paramcalc.load("modernbert-base").to_dict()
    assert {k: v for k, v in paramcalc.load(converted).to_dict().items() if k not in ("name", "source")} == {
        k: v for k, v in preset.items() if k not in ("name", "source")
    }
