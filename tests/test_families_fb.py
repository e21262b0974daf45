"""gemma3_text, llama4_text, cohere, cohere2 and exaone4 counted exactly (issue 13).

Every expected number is transformers 5.24.0's: the config built with
``AutoModelForCausalLM.from_config`` under ``torch.device("meta")`` (a multimodal config's
text_config as its text model: Gemma3ForCausalLM, Llama4ForCausalLM), counted as
``sum(p.numel() for p in model.parameters())``. The real configs are copies of
../shared/reference/hf_configs_v2/ (their totals: ../shared/reference/models_v2.json); the
variants of their sizes and switches are in fixtures/hf/variants_fb.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import paramcalc
from paramcalc.config import Config
from paramcalc.engine import analyze
from paramcalc.engine.params import count
from paramcalc.errors import ConfigError
from tests.conftest import Run
from tests.test_layout import from_terms

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
VARIANTS: list[dict[str, Any]] = json.loads((FIXTURES / "variants_fb.json").read_text())

# fixture -> (transformers total, where the config and its total come from)
REAL = {
    "google__gemma-3-1b-pt.json": (999_885_952, "hf_configs_v2/google__gemma-3-1b-pt.json; models_v2.json"),
    "google__gemma-3-12b-it-text.json": (
        11_766_034_176,
        "text_config of hf_configs_v2/google__gemma-3-12b-it.json; models_v2.json's language_model "
        "embed_tokens + layers + norm (the text model, tied)",
    ),
    "meta-llama__Llama-4-Scout-17B-16E-text.json": (
        107_769_861_120,
        "text_config of hf_configs_v2/meta-llama__Llama-4-Scout-17B-16E.json; models_v2.json's language_model",
    ),
    "CohereForAI__c4ai-command-r-v01.json": (
        34_980_831_232,
        "hf_configs_v2/CohereForAI__c4ai-command-r-v01.json; models_v2.json",
    ),
    "LGAI-EXAONE__EXAONE-4.0-32B.json": (
        32_003_216_384,
        "hf_configs_v2/LGAI-EXAONE__EXAONE-4.0-32B.json; models_v2.json",
    ),
}
PRESETS = {"gemma-3-1b": "google__gemma-3-1b-pt.json", "llama-4-scout": "meta-llama__Llama-4-Scout-17B-16E-text.json"}


def variant_id(v: dict[str, Any]) -> str:
    return f"{v['model_type']}: {v['variant']}"


def load_variant(v: dict[str, Any], tmp_path: Path) -> tuple[str, Config]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(v["config"]))
    return str(path), paramcalc.load(str(path))


def test_every_family_has_variants() -> None:
    types = {v["model_type"] for v in VARIANTS}
    assert types == {"gemma3_text", "llama4_text", "cohere", "cohere2", "exaone4"}
    assert all(sum(v["model_type"] == t for v in VARIANTS) >= 6 for t in types)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_configs_exact(name: str) -> None:
    total, source = REAL[name]
    assert analyze(paramcalc.load(str(FIXTURES / name))).total == total, source


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_variants_exact(variant: dict[str, Any], tmp_path: Path) -> None:
    _, config = load_variant(variant, tmp_path)
    assert analyze(config).total == variant["transformers_total"]
    assert count(config) == from_terms(config)  # the totals are the sum of the --detail terms


@pytest.mark.parametrize("path", [*(str(FIXTURES / n) for n in sorted(REAL)), *range(len(VARIANTS))])
def test_convert_round_trip(path: str | int, run: Run, tmp_path: Path) -> None:
    if isinstance(path, int):
        path, _ = load_variant(VARIANTS[path], tmp_path)
    result = run("convert", path)
    assert result.exit_code == 0, result.stderr
    converted = tmp_path / "converted.yaml"
    converted.write_text(result.stdout)
    assert analyze(paramcalc.load(str(converted))).total == analyze(paramcalc.load(path)).total


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_exact(preset: str) -> None:
    assert analyze(paramcalc.load(preset)).total == REAL[PRESETS[preset]][0]


def test_layer_patterns_kept_for_the_planner() -> None:
    gemma = paramcalc.load(str(FIXTURES / "google__gemma-3-1b-pt.json"))
    assert (gemma.sliding_window, gemma.full_attention_every, gemma.qk_norm) == (512, 6, "head")  # 5 local : 1 global
    scout = paramcalc.load(str(FIXTURES / "meta-llama__Llama-4-Scout-17B-16E-text.json"))
    # chunked attention (8192) in the RoPE blocks, every 4th block NoPE and global; experts in every block
    assert (scout.sliding_window, scout.full_attention_every, scout.moe_every, scout.dense_layers) == (8192, 4, 1, 0)
    exaone = paramcalc.load(str(FIXTURES / "LGAI-EXAONE__EXAONE-4.0-32B.json"))
    assert (exaone.sliding_window, exaone.full_attention_every, exaone.norms_per_layer) == (4096, 4, 2)
    command_r = paramcalc.load(str(FIXTURES / "CohereForAI__c4ai-command-r-v01.json"))
    assert (command_r.norm, command_r.norms_per_layer, command_r.sliding_window) == ("layernorm-nobias", 1, 0)


def test_llama4_placement_of_the_experts(tmp_path: Path) -> None:
    by_name = {v["variant"]: v for v in VARIANTS}
    maverick = load_variant(by_name["llama4 maverick-like step 2, 16 experts, top-2"], tmp_path)[1]
    assert (maverick.moe_every, maverick.dense_layers, maverick.moe_layer_count) == (2, 0, 4)
    listed = load_variant(by_name["llama4 moe_layers after 3 dense, every 2"], tmp_path)[1]  # moe_layers [3, 5, 7]
    assert (listed.moe_every, listed.dense_layers, listed.moe_layer_count) == (2, 3, 3)
    irregular = load_variant(by_name["llama4 moe_layers irregular"], tmp_path)[1]  # [0, 2, 3]: the count only
    assert irregular.moe_layer_count == 3
    dense = load_variant(by_name["llama4 moe_layers empty (dense)"], tmp_path)[1]
    assert (dense.experts, dense.d_ff) == (1, 384)  # intermediate_size_mlp


def test_llama4_scout_active() -> None:
    # "17B active parameters" (meta-llama/Llama-4-Scout-17B-16E): one routed expert of 16 and the shared one
    report = analyze(paramcalc.load("llama-4-scout"))
    assert round(report.active / 1e9) == 17


def test_sparse_text_config_takes_the_class_defaults() -> None:
    # Gemma 3 12B's text_config has no vocab_size nor head_dim: Gemma3TextConfig's 262208 and 256
    config = paramcalc.load(str(FIXTURES / "google__gemma-3-12b-it-text.json"))
    assert (config.vocab, config.head_dim) == (262_208, 256)


def test_llama4_single_expert_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "llama4_text", "num_hidden_layers": 2, "num_local_experts": 1}))
    with pytest.raises(ConfigError, match="num_local_experts: 1 is not supported in MoE blocks"):
        paramcalc.load(str(path))
