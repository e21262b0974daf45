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

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
VARIANTS = json.loads((FIXTURES / "variants_encoders.json").read_text())
REAL = {  # models_v2.json: AutoModel totals
    "FacebookAI__xlm-roberta-base.json": 278_043_648,
}


def write(config: object, tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


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
