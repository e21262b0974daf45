"""mamba, falcon_mamba and mamba2 (architecture: ssm), exact against transformers.

Real configs: copies of ../shared/reference/hf_configs_v2/<org>__<name>.json with their totals
from ../shared/reference/models_v2.json (transformers 5.24.0, AutoModelForCausalLM on the meta
device, sum(p.numel() for p in model.parameters())). Variants (fixtures/hf/variants_ssm.json):
class defaults only, sizes, expand, state and conv sizes, dt rank given or "auto", biases on and
off, tying, Mamba-2 heads and groups, and the mamba-2.8b / mamba2-2.7b shapes, each built and
counted the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import paramcalc
from paramcalc.errors import SettingError
from tests.conftest import Run

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
REAL = {
    "state-spaces__mamba-130m-hf.json": ("mamba", 129_135_360),
    "state-spaces__mamba2-780m.json": ("mamba2", 780_161_280),
    "tiiuae__falcon-mamba-7b.json": ("falcon_mamba", 7_272_665_088),
}
VARIANTS = json.loads((FIXTURES / "variants_ssm.json").read_text())


def total_of(config: object, tmp_path: Path) -> int:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return paramcalc.count(str(path)).total


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_configs_exact(name: str) -> None:
    model_type, total = REAL[name]
    assert json.loads((FIXTURES / name).read_text())["model_type"] == model_type
    assert paramcalc.count(str(FIXTURES / name)).total == total


def test_every_type_checked_at_least_six_times() -> None:
    for model_type in ("mamba", "falcon_mamba", "mamba2"):
        assert sum(v["model_type"] == model_type for v in VARIANTS) >= 6, model_type


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(VARIANTS)])
def test_variants_exact_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    assert total_of(variant["config"], tmp_path) == variant["transformers_total"], variant["config"]
    converted = run("convert", str(tmp_path / "config.json"))
    assert converted.exit_code == 0, converted.stderr
    fields = yaml.safe_load(converted.stdout)
    assert fields["architecture"] == "ssm"
    assert paramcalc.count(fields).total == variant["transformers_total"]


def test_the_mixer_term_by_term(run: Run) -> None:
    """Mamba-130m's mixer, per block: in_proj 768 x 3072, conv 1536 x 4 + 1536, x_proj 1536 x 80,
    dt_proj 48 x 1536 + 1536, A_log 1536 x 16, D 1536, out_proj 1536 x 768."""
    data = json.loads(run("count", str(FIXTURES / "state-spaces__mamba-130m-hf.json"), "--json").stdout)
    mixer = next(c for c in data["components"] if c["name"] == "mixer")
    per_block = 768 * 3072 + 1536 * 4 + 1536 + 1536 * 80 + 48 * 1536 + 1536 + 1536 * 16 + 1536 + 1536 * 768
    assert mixer["params"] == 24 * per_block
    assert data["flops"]["seq_len"] is None  # no attention: no attention products


def test_train_says_what_it_does_not_model_yet() -> None:
    with pytest.raises(SettingError, match="state-space"):
        paramcalc.train(str(FIXTURES / "state-spaces__mamba-130m-hf.json"))


def test_infer_holds_a_fixed_state() -> None:
    """Mamba-130m: per block, fp32, the conv's last 3 inputs of 1536 channels and 1536 x 16 of
    state; the same at any context."""
    path = str(FIXTURES / "state-spaces__mamba-130m-hf.json")
    short, long = (paramcalc.infer(path, context=n, gpu="h100-sxm").to_dict() for n in (1024, 65536))
    per_sequence = 24 * 4 * (1536 * 3 + 1536 * 16)
    assert short["bytes"]["kv_cache"] == long["bytes"]["kv_cache"] == per_sequence
    assert [k["kind"] for k in short["kv_cache_by_kind"]] == ["recurrent_state"]


def test_preset_mamba_2_8b() -> None:
    # state-spaces/mamba-2.8b-hf: the mamba-2.8b shape of variants_ssm.json (transformers total)
    shape = next(v for v in VARIANTS if v["model_type"] == "mamba" and v["config"].get("hidden_size") == 2560)
    assert paramcalc.count("mamba-2.8b").total == shape["transformers_total"] == 2_768_345_600
