"""glm4, glm4_moe, kimi_k2 (as deepseek_v3), olmoe, gpt_bigcode, mpt and dbrx, exact against transformers.

Real configs: copies of ../shared/reference/hf_configs_v2/<org>__<name>.json, their totals from
../shared/reference/models_v2.json (transformers 5.24.0, AutoModelForCausalLM on the meta device,
sum(p.numel() for p in model.parameters())). Variants (fixtures/hf/variants_fc.json): sizes,
switches and configs that leave keys out, each built and counted the same way; kimi_k2 is built
as DeepseekV3Config, which is what transformers makes of it (Kimi_K25Config maps the type so).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import paramcalc
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError
from paramcalc.hf import supported
from tests.conftest import Run

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
REAL = {  # fixture -> (model_type, transformers 5.24.0 total, from models_v2.json)
    "zai-org__GLM-4.5-Air.json": ("glm4_moe", 106_852_245_504),
    "bigcode__starcoder.json": ("gpt_bigcode", 15_517_456_384),
    "mosaicml__mpt-7b.json": ("mpt", 6_649_286_656),
    "databricks__dbrx-instruct.json": ("dbrx", 131_596_523_520),
}
VARIANTS = json.loads((FIXTURES / "variants_fc.json").read_text())
TYPES = {"glm4", "glm4_moe", "kimi_k2", "olmoe", "gpt_bigcode", "mpt", "dbrx"}


def total_of(config: object, tmp_path: Path) -> int:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return analyze(paramcalc.load(str(path))).total


def test_types_supported_and_each_checked_six_times() -> None:
    assert TYPES <= set(supported())
    for model_type in TYPES:
        assert sum(v["model_type"] == model_type for v in VARIANTS) >= 6, model_type


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_configs_exact(name: str) -> None:
    model_type, total = REAL[name]
    path = FIXTURES / name
    assert json.loads(path.read_text())["model_type"] == model_type
    assert analyze(paramcalc.load(str(path))).total == total


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(VARIANTS)])
def test_variants_exact_and_round_trip(index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(variant["config"]))
    assert analyze(paramcalc.load(str(path))).total == variant["transformers_total"], variant["config"]
    converted = paramcalc.convert(str(path))
    assert converted.total == variant["transformers_total"]
    again = tmp_path / "converted.yaml"
    again.write_text(yaml.safe_dump(converted.fields, sort_keys=False))
    assert analyze(paramcalc.load(str(again))).total == variant["transformers_total"]


@pytest.mark.parametrize("name", sorted(REAL))
def test_convert_cli_round_trip(name: str, run: Run, tmp_path: Path) -> None:
    result = run("convert", str(FIXTURES / name))
    assert result.exit_code == 0, result.stderr
    converted = tmp_path / "converted.yaml"
    converted.write_text(result.stdout)
    assert analyze(paramcalc.load(str(converted))).total == REAL[name][1]


def test_glm_45_air_layers() -> None:
    # 1 dense block then 45 MoE blocks of 128 experts (top-8) and one shared expert; the MTP layer
    # (num_nextn_predict_layers) is not built by Glm4MoeForCausalLM, so not counted.
    config = paramcalc.load(str(FIXTURES / "zai-org__GLM-4.5-Air.json"))
    assert (config.dense_layers, config.moe_layer_count, config.experts, config.experts_per_token) == (1, 45, 128, 8)
    assert (config.shared_expert_d_ff, config.head_dim, config.qkv_bias, config.out_bias) == (1408, 128, True, False)
    report = analyze(config)
    assert report.total - report.active == 45 * (128 - 8) * 3 * 4096 * 1408
    # GLM-4.5-Air card: 106B total, 12B active, which leaves out the embedding and the lm_head
    assert report.active - report.input_embedding == 12_803_366_912
    assert round((report.active - 2 * 151552 * 4096) / 1e9) == 12


def test_glm_45_air_preset_exact() -> None:
    assert analyze(paramcalc.load("glm-4.5-air")).total == REAL["zai-org__GLM-4.5-Air.json"][1]


def test_starcoder_is_multi_query() -> None:
    config = paramcalc.load(str(FIXTURES / "bigcode__starcoder.json"))
    assert (config.kv_heads, config.position, config.tie_embeddings) == (1, "learned", True)


def test_dbrx_reads_its_sub_configs() -> None:
    config = paramcalc.load(str(FIXTURES / "databricks__dbrx-instruct.json"))
    assert (config.kv_heads, config.experts, config.experts_per_token, config.expert_d_ff) == (8, 16, 4, 10752)
    assert (config.norm, config.activation) == ("layernorm-nobias", "swiglu")


def test_kimi_k2_counts_as_deepseek_v3(tmp_path: Path) -> None:
    kimi = next(v for v in VARIANTS if v["model_type"] == "kimi_k2")
    as_v3 = {**kimi["config"], "model_type": "deepseek_v3"}
    assert total_of(kimi["config"], tmp_path) == total_of(as_v3, tmp_path) == kimi["transformers_total"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"model_type": "dbrx", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10,
             "ffn_config": {"moe_num_experts": "many"}},
            "ffn_config.moe_num_experts: must be a whole number, not 'many'",
        ),
        (
            {"model_type": "dbrx", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10,
             "attn_config": {"kv_n_heads": 3}},
            "attn_config.kv_n_heads: 3 does not divide n_heads 4",
        ),
        (
            {"model_type": "dbrx", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10,
             "tie_word_embeddings": True},
            "tie_word_embeddings: true is not supported for DBRX",
        ),
        (
            {"model_type": "olmoe", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
             "vocab_size": 10, "num_experts": 1},
            "num_experts: 1 is not supported: a mixture of experts needs 2 or more",
        ),
        (
            {"model_type": "olmoe", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
             "vocab_size": 10, "head_dim": 32},
            "head_dim: olmoe's q_norm is hidden_size wide",
        ),
        (
            {"model_type": "glm4_moe", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
             "vocab_size": 10, "num_key_value_heads": 2, "n_routed_experts": 4, "num_experts_per_tok": 5},
            "experts_per_token: 5 is more than experts 4",
        ),
        (
            {"model_type": "gpt_bigcode", "n_embd": 64, "n_head": 4, "n_layer": 1, "vocab_size": 10,
             "add_cross_attention": True},
            "add_cross_attention: true is not supported",
        ),
    ],
)  # fmt: skip
def test_what_cannot_be_counted_is_named(config: dict[str, object], message: str, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        paramcalc.load(str(path))


def test_default_top_k_capped_at_the_experts(tmp_path: Path) -> None:
    # OlmoeConfig's top-8 default with 4 experts: transformers builds it; the count is the same,
    # and every expert is active.
    config = {"model_type": "olmoe", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
              "vocab_size": 10, "num_experts": 4, "intermediate_size": 32}  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    report = analyze(paramcalc.load(str(path)))
    assert report.config.experts_per_token == 4 and report.active == report.total
