"""jamba and granitemoehybrid: decoders whose blocks without attention are Mamba (Jamba) or
Mamba-2 (Granite-4.0-H) mixers, exact against transformers.

The real config: a copy of ../shared/reference/hf_configs_v2/ai21labs__AI21-Jamba-1.5-Mini.json,
its total from ../shared/reference/models_v2.json (transformers 5.24.0, AutoModelForCausalLM on the
meta device). Variants (fixtures/hf/variants_hybrid.json), built and counted the same way: class
defaults only; attention periods and offsets (every block, none, offset 0); expert periods and
offsets, one expert (dense), experts beyond the last block; Mamba sizes, dt rank given or "auto",
biases on and off, tying; Granite layer_types lists (periodic, all attention, irregular), no
experts (the shared MLP alone), rope or no positions, attention biases, Mamba-2 heads and groups,
and a 40-block shape like granite-4.0-h-tiny's (sizes from memory, not read from a stored copy).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import paramcalc
from paramcalc.errors import ConfigError, SettingError
from tests.conftest import Run
from tests.conftest import write_config as write

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
REAL = FIXTURES / "ai21labs__AI21-Jamba-1.5-Mini.json"
VARIANTS = json.loads((FIXTURES / "variants_hybrid.json").read_text())


def test_jamba_1_5_mini() -> None:
    result = paramcalc.count(str(REAL))
    assert result.total == 51_570_323_328  # models_v2.json
    config = paramcalc.load(str(REAL))
    assert (config.attention_every, config.attention_offset, config.attention_layers) == (8, 4, 4)
    assert (config.moe_every, config.moe_offset, config.moe_layer_count) == (2, 1, 16)
    assert round(result.to_dict()["params"]["active"] / 1e9) == 12  # the model card: 12B active of 52B


def test_preset_is_the_real_config() -> None:
    assert paramcalc.count("jamba-1.5-mini").total == 51_570_323_328


def test_every_type_checked_at_least_six_times() -> None:
    for model_type in ("jamba", "granitemoehybrid"):
        assert sum(v["model_type"] == model_type for v in VARIANTS) >= 6, model_type


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(VARIANTS)])
def test_variants_exact_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = write(variant["config"], tmp_path)
    assert paramcalc.count(path).total == variant["transformers_total"], variant["config"]
    converted = run("convert", path)
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == variant["transformers_total"]


def test_a_jamba_mixer_term_by_term(run: Run) -> None:
    """Jamba-1.5-Mini's Mamba block: in_proj 4096 x 16384, conv 8192 x 4 + 8192, x_proj 8192 x
    (256 + 32), dt_proj 256 x 8192 + 8192, A_log 8192 x 16, D 8192, the dt, B and C norms 256 +
    16 + 16, out_proj 8192 x 4096; in 28 of its 32 blocks."""
    data = json.loads(run("count", str(REAL), "--json").stdout)
    mixer = next(c for c in data["components"] if c["name"] == "mixer")
    per_block = 4096 * 16384 + 8192 * 4 + 8192 + 8192 * 288 + 256 * 8192 + 8192 + 8192 * 16 + 8192 + 288 + 8192 * 4096
    assert mixer["params"] == 28 * per_block
    parts = {p["name"] for p in mixer["parts"]}
    assert {"dt_norm", "bc_norms"} <= parts


def test_state_updates_counted_instead_of_attention() -> None:
    """Jamba-1.5-Mini: 28 Mamba blocks x 7 FLOPs x ssm_inner 8192 x state 16 per token; attention
    products in its 4 attending blocks only."""
    flops = paramcalc.count("jamba-1.5-mini").to_dict()["flops"]
    assert flops["state_updates_per_token"] == 28 * 7 * 8192 * 16
    assert flops["attention_per_token"] == 4 * 2 * 262144 * 32 * (128 + 128)


def test_offsets_in_yaml() -> None:
    base = {"layers": 6, "d_model": 64, "heads": 4, "vocab": 100, "context": 64, "ssm": "mamba"}
    placed = paramcalc.load({**base, "attention_every": 3, "attention_offset": 0})
    assert (placed.attention_layers, placed.recurrent_layers) == (2, 4)  # blocks 0 and 3
    none = paramcalc.load({**base, "attention_every": 0})
    assert (none.attention_layers, none.recurrent_layers) == (0, 6)
    with pytest.raises(ConfigError, match="attention_offset: 3 must be less than attention_every 3"):
        paramcalc.load({**base, "attention_every": 3, "attention_offset": 3})
    with pytest.raises(ConfigError, match="ssm_inner: applies only to Mamba blocks"):
        paramcalc.load({**base, "ssm": "deltanet", "attention_every": 2, "ssm_inner": 128})
    with pytest.raises(ConfigError, match="ssm: applies only to blocks without attention"):
        paramcalc.load({"layers": 6, "d_model": 64, "heads": 4, "vocab": 100, "context": 64, "ssm": "mamba"})
    with pytest.raises(ConfigError, match="deltanet is a decoder's linear attention"):
        paramcalc.load({"architecture": "ssm", "layers": 2, "d_model": 64, "vocab": 100, "ssm": "deltanet"})


def test_moe_offset() -> None:
    base = {"layers": 8, "d_model": 64, "heads": 4, "vocab": 100, "context": 64, "experts": 4}
    assert paramcalc.load({**base, "moe_every": 4, "moe_offset": 0}).moe_layer_count == 2
    assert paramcalc.load({**base, "moe_every": 3, "moe_offset": 1, "dense_layers": 2}).moe_layer_count == 2  # 4, 7
    with pytest.raises(ConfigError, match="moe_offset: 2 must be less than moe_every 2"):
        paramcalc.load({**base, "moe_every": 2, "moe_offset": 2})


def test_granite_layer_types_that_no_period_says(tmp_path: Path) -> None:
    odd = {"model_type": "granitemoehybrid", "num_hidden_layers": 3, "layer_types": ["mamba", "rwkv", "attention"]}
    with pytest.raises(ConfigError, match="layer_types: must list num_hidden_layers"):
        paramcalc.count(write(odd, tmp_path))


def test_train_says_what_it_does_not_model_yet() -> None:
    with pytest.raises(SettingError, match="state-space"):
        paramcalc.train("jamba-1.5-mini")


def test_infer_caches_attention_layers_and_holds_mamba_state() -> None:
    """Jamba-1.5-Mini at 8,192 tokens: K and V in its 4 attention blocks only (8 KV heads x 128,
    bf16), and per Mamba block an fp32 state of 8192 x 3 conv inputs + 8192 x 16."""
    data = paramcalc.infer("jamba-1.5-mini", context=8192, gpus=2, gpu="h100-sxm").to_dict()
    kinds = {k["kind"]: k for k in data["kv_cache_by_kind"]}
    assert kinds["full_attention"]["bytes"] == 4 * 2 * (8 // 2) * 128 * 2 * 8192
    assert kinds["recurrent_state"]["bytes"] == 28 * 4 * (8192 * 3 + 8192 * 16) // 2


def test_state_updates_of_each_mixer() -> None:
    """Per token: Mamba 7 and Mamba-2 5 FLOPs per inner channel and state element, a gated
    DeltaNet 7 per element of each value head's key_dim x value_dim state (flops.py)."""
    mamba = paramcalc.count(str(FIXTURES / "state-spaces__mamba-130m-hf.json")).to_dict()["flops"]
    assert mamba["state_updates_per_token"] == 24 * 7 * 1536 * 16 and mamba["attention_per_token"] == 0
    mamba2 = paramcalc.count(str(FIXTURES / "state-spaces__mamba2-780m.json")).to_dict()["flops"]
    assert mamba2["state_updates_per_token"] == 48 * 5 * 3072 * 128
    qwen = paramcalc.count("qwen3-next-80b").to_dict()["flops"]
    assert qwen["state_updates_per_token"] == 36 * 7 * 32 * 128 * 128
    assert paramcalc.count("gpt2").to_dict()["flops"]["state_updates_per_token"] == 0
