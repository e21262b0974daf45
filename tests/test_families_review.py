"""Findings of a perturbation review of the newer model types, each now exact against transformers
5.24.0 on the meta device (fixtures/hf/variants_review.json): configs that leave every size out
take the config class's defaults (glm4, glm4_moe, olmoe, gpt_bigcode, mpt, xlm-roberta), and a
config that holds both an attribute_map alias and the attribute it names is read as transformers
reads it, the alias winning (head_dim over d_kv in mT5/UMT5, hidden_size over d_model, n_embd,
num_attention_heads over n_heads, num_experts over num_local_experts in gpt-oss, ...)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import paramcalc

VARIANTS = json.loads((Path(__file__).parent / "fixtures" / "hf" / "variants_review.json").read_text())


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(VARIANTS)])
def test_review_variants_exact(index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(variant["config"]))
    assert paramcalc.count(str(path)).total == variant["transformers_total"], variant["config"]
