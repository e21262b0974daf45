"""qwen3_next (Qwen3-Next: gated DeltaNet linear attention in three blocks of four, gated full
attention in the fourth, a mixture of experts with a gated shared expert), exact against transformers.

The real config: a copy of ../shared/reference/hf_configs_v2/Qwen__Qwen3-Next-80B-A3B-Instruct.json,
its total from ../shared/reference/models_v2.json (transformers 5.24.0, AutoModelForCausalLM on the
meta device). Variants (fixtures/hf/variants_q3n.json): class defaults only, attention intervals 1 to
4, an explicit layer_types list, dense blocks (mlp_only_layers, decoder_sparse_step), biases, tying,
head shapes and linear-attention head shapes, each built and counted the same way.
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
REAL = FIXTURES / "Qwen__Qwen3-Next-80B-A3B-Instruct.json"
VARIANTS = json.loads((FIXTURES / "variants_q3n.json").read_text())


def test_qwen3_next_80b() -> None:
    result = paramcalc.count(str(REAL))
    assert result.total == 79_674_391_296  # models_v2.json
    components = {c["name"]: c["params"] for c in result.to_dict()["components"]}
    assert components["attention"] > 0 and components["linear_attention"] > components["attention"]
    config = paramcalc.load(str(REAL))
    assert config.attention_every == 4 and config.attention_layers == 12 and config.recurrent_layers == 36


def test_variants_cover_the_switches() -> None:
    assert len(VARIANTS) >= 6


@pytest.mark.parametrize("index", range(len(VARIANTS)))
def test_variants_exact_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = write(variant["config"], tmp_path)
    assert paramcalc.count(path).total == variant["transformers_total"], variant["config"]
    converted = run("convert", path)
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == variant["transformers_total"]


def test_what_the_fields_cannot_say_is_refused(tmp_path: Path) -> None:
    short = {"model_type": "qwen3_next", "num_hidden_layers": 3, "layer_types": ["full_attention"]}
    with pytest.raises(ConfigError, match=r"layer_types: must list num_hidden_layers \(3\)"):
        paramcalc.count(write(short, tmp_path))
    gate_only = {"model_type": "qwen3_next", "shared_expert_intermediate_size": 0}
    with pytest.raises(ConfigError, match="shared expert's gate"):
        paramcalc.count(write(gate_only, tmp_path))


def test_preset() -> None:
    assert paramcalc.count("qwen3-next-80b").total == 79_674_391_296
