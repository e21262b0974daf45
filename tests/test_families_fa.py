"""gpt_oss, smollm3, granite, granitemoe, ernie4_5 and ernie4_5_moe counted exactly (issue 13).

Every expected number is transformers 5.24.0's: the config built with AutoModelForCausalLM
under torch.device("meta"), total = sum(p.numel() for p in model.parameters()). The real
configs and their totals come from shared/reference (hf_configs_v2/ and models_v2.json); the
variants (fixtures/hf/variants_fa.json) change sizes and switches and leave keys out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import paramcalc
from paramcalc.config import parse_config
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError
from paramcalc.hf import convert, supported
from tests.conftest import Run

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
FAMILIES = {"gpt_oss", "smollm3", "granite", "granitemoe", "ernie4_5", "ernie4_5_moe"}

# file -> transformers 5.24.0 total (shared/reference/models_v2.json, whose config_source says where
# each config's values come from)
REAL = {
    "openai__gpt-oss-20b.json": 20_914_757_184,
    "HuggingFaceTB__SmolLM3-3B.json": 3_075_098_624,
    "ibm-granite__granite-3.1-3b-a800m-instruct.json": 3_298_793_472,
    "baidu__ERNIE-4.5-0.3B-PT.json": 360_748_032,
    "baidu__ERNIE-4.5-21B-A3B-PT.json": 21_825_437_888,
}
VARIANTS: list[dict[str, Any]] = json.loads((FIXTURES / "variants_fa.json").read_text())


def _total(raw: dict[str, Any]) -> int:
    return analyze(parse_config(convert(raw, "config.json", "variant"))).total


def test_families_supported_and_covered() -> None:
    assert FAMILIES <= set(supported())
    assert {json.loads((FIXTURES / f).read_text())["model_type"] for f in REAL} | {
        v["model_type"] for v in VARIANTS
    } == FAMILIES
    for family in FAMILIES:  # at least 6 variants of each
        assert sum(v["model_type"] == family for v in VARIANTS) >= 6, family


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_config_exact(name: str) -> None:
    assert analyze(paramcalc.load(str(FIXTURES / name))).total == REAL[name]


@pytest.mark.parametrize("variant", VARIANTS, ids=[v["name"] for v in VARIANTS])
def test_variant_exact(variant: dict[str, Any]) -> None:
    assert _total(variant["config"]) == variant["transformers_total"]


@pytest.mark.parametrize("name", sorted(REAL))
def test_convert_round_trip_real(name: str, run: Run, tmp_path: Path) -> None:
    result = run("convert", str(FIXTURES / name))
    assert result.exit_code == 0, result.stderr
    converted = tmp_path / "converted.yaml"
    converted.write_text(result.stdout)
    assert analyze(paramcalc.load(str(converted))).total == REAL[name]


@pytest.mark.parametrize("variant", VARIANTS, ids=[v["name"] for v in VARIANTS])
def test_convert_round_trip_variant(variant: dict[str, Any], run: Run, tmp_path: Path) -> None:
    source = tmp_path / "config.json"
    source.write_text(json.dumps(variant["config"]))
    result = run("convert", str(source))
    assert result.exit_code == 0, result.stderr
    converted = tmp_path / "converted.yaml"
    converted.write_text(result.stdout)
    assert analyze(paramcalc.load(str(converted))).total == variant["transformers_total"]


def test_gpt_oss_20b_active_as_the_card_says() -> None:
    # OpenAI's model card: 20.9B total, 3.6B active (without the token embedding).
    report = analyze(paramcalc.load("gpt-oss-20b"))
    assert report.total == 20_914_757_184
    assert report.active == 4_187_440_704
    assert report.active - report.input_embedding == 3_608_307_264
    config = report.config
    assert (config.sliding_window, config.full_attention_every, config.attention_sinks) == (128, 2, True)


def test_gpt_oss_120b_preset() -> None:
    # transformers 5.24's GptOssConfig defaults are gpt-oss-120b's sizes: the preset counts what
    # transformers builds from them; the model card says 116.8B total, 5.1B active.
    report = analyze(paramcalc.load("gpt-oss-120b"))
    default = next(v for v in VARIANTS if v["model_type"] == "gpt_oss" and v["config"] == {"model_type": "gpt_oss"})
    assert report.total == default["transformers_total"] == 116_829_156_672
    assert report.active - report.input_embedding == 5_132_849_472


def test_ernie_moe_experts_without_biases() -> None:
    # use_bias puts biases on attention, the dense and shared MLPs and the lm_head, not on the
    # routed experts (Ernie4_5_MoeExperts has none): expert_bias false while ffn_bias is true.
    raw = json.loads((FIXTURES / "baidu__ERNIE-4.5-21B-A3B-PT.json").read_text())
    fields = convert({**raw, "use_bias": True}, "config.json", "x")
    assert (fields["bias"], fields["expert_bias"], fields["head_bias"]) == (True, False, True)
    config = parse_config(fields)
    with_expert_bias = analyze(config._replace(expert_bias=True)).total
    moe_layers, experts = 27, 64
    assert with_expert_bias - analyze(config).total == moe_layers * experts * (2 * 1536 + 2560)


def test_ernie_moe_placement() -> None:
    # ERNIE-4.5-21B-A3B: block 0 dense, blocks 1..27 with experts (moe_layer_start_index 1).
    fields = convert(json.loads((FIXTURES / "baidu__ERNIE-4.5-21B-A3B-PT.json").read_text()), "c", "x")
    assert (fields["dense_layers"], fields.get("moe_every", 1)) == (1, 1)
    assert parse_config(fields).moe_layer_count == 27


@pytest.mark.parametrize(
    ("model_type", "key"),
    [("gpt_oss", "num_local_experts"), ("granitemoe", "num_local_experts"), ("ernie4_5_moe", "moe_num_experts")],
)
def test_one_expert_behind_a_router_is_refused(model_type: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        convert({"model_type": model_type, key: 1}, "config.json", "x")


def test_smollm3_sliding_on_every_nope_layer_is_left_to_full_attention() -> None:
    # SmolLM3 slides on its NoPE layers (every 4th): full_attention_every cannot say "every 4th
    # slides", so the planner takes every layer as full attention (the larger KV cache).
    fields = convert({"model_type": "smollm3", "use_sliding_window": True, "sliding_window": 4096}, "c", "x")
    assert "sliding_window" not in fields
    every_layer = {"model_type": "smollm3", "use_sliding_window": True, "sliding_window": 4096}
    fields = convert({**every_layer, "layer_types": ["sliding_attention"] * 36}, "c", "x")
    assert (fields["sliding_window"], fields["full_attention_every"]) == (4096, 0)
