"""Findings of a perturbation review of the newer model types, each now exact against transformers
5.24.0 on the meta device (fixtures/hf/variants_review.json): configs that leave every size out
take the config class's defaults (glm4, glm4_moe, olmoe, gpt_bigcode, mpt, xlm-roberta), and a
config that holds both an attribute_map alias and the attribute it names is read as transformers
reads it, the alias winning (head_dim over d_kv in mT5/UMT5, hidden_size over d_model, n_embd,
num_attention_heads over n_heads, num_experts over num_local_experts in gpt-oss, ...)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import paramcalc

VARIANTS = json.loads((Path(__file__).parent / "fixtures" / "hf" / "variants_review.json").read_text())


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(VARIANTS)])
def test_review_variants_exact(index: int, tmp_path: Path) -> None:
    variant = VARIANTS[index]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(variant["config"]))
    assert paramcalc.count(str(path)).total == variant["transformers_total"], variant["config"]


REVIEW16 = json.loads((Path(__file__).parent / "fixtures" / "review16.json").read_text())


@pytest.mark.parametrize("index", range(len(REVIEW16)), ids=[f"{v['family']}-{i}" for i, v in enumerate(REVIEW16)])
def test_cnn_and_diffusers_review_cases_exact(index: int, tmp_path: Path) -> None:
    """ResNet's strided shortcut where a small map hides the stride (HF's ResNetConfig has no image
    size: the shapes are worked out on a map large enough), ConvNeXt likewise, and a Flux
    transformer without blocks."""
    case = REVIEW16[index]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(case["config"]))
    assert paramcalc.count(str(path)).total == case["library_total"], case["config"]


def test_efficientnet_stages_that_do_not_chain_are_refused(tmp_path: Path) -> None:
    config = {
        "model_type": "efficientnet",
        "hidden_dim": 2560,  # B7's widths, the class default
        "in_channels": [32, 48, 24, 40, 80, 112, 192],  # stage 1 expects 48 channels, stage 0 gives 16
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(paramcalc.errors.ConfigError, match="in_channels: stage 1: round_filters"):
        paramcalc.count(str(path))


def test_hostile_sizes_are_refused_before_anything_is_built(tmp_path: Path) -> None:
    """A review's hostile inputs: huge block counts in diffusers and EfficientNet configs, a pipeline
    component named like a path, and a vision tower without a patch."""
    import time

    from paramcalc.errors import ConfigError, LoadError

    cases = [
        ({"_class_name": "FluxTransformer2DModel", "num_single_layers": 10**9}, "num_single_layers: 1,000,000,000"),
        ({"_class_name": "SD3Transformer2DModel", "num_layers": 10**7}, "num_layers: 10,000,000 is more than"),
        ({"_class_name": "AutoencoderKL", "layers_per_block": 10**6}, "layers_per_block: 1,000,000 is more than"),
        ({"model_type": "efficientnet", "depth_coefficient": 1e7}, "depth_coefficient:"),
    ]
    for config, message in cases:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        start = time.perf_counter()
        with pytest.raises(ConfigError, match=message):
            paramcalc.count(str(path))
        assert time.perf_counter() - start < 30  # a guard against laying the blocks out, not a timing
    folder = tmp_path / "pipe"
    folder.mkdir()
    (folder / "model_index.json").write_text(
        json.dumps({"_class_name": "X", "../../etc": ["diffusers", "UNet2DModel"]})
    )
    with pytest.raises(LoadError, match="is not a folder name"):
        paramcalc.count(str(folder))
    with pytest.raises(ConfigError, match="no patch fits"):
        paramcalc.count({"architecture": "vision", "layers": 2, "d_model": 64, "heads": 4, "image_size": 8})


def test_a_problem_found_in_several_blocks_is_said_once(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"_class_name": "UNet2DConditionModel", "down_block_types": ["Nope"] * 4}))
    result = run("count", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == len(set(lines)) >= 1


def test_commands_that_do_not_plan_a_kind_of_model_name_the_argument(run: Any) -> None:
    result = run("infer", "vit-base-16")
    assert result.exit_code == 2 and result.stderr.startswith("paramcalc: CONFIG: infer is for models")
    swept = run("sweep", "resnet50", "--vary", "input=1")
    assert swept.exit_code == 2 and swept.stdout == "" and "layer-by-layer" in swept.stderr


def test_sizes_bounded_in_product(run: Any) -> None:
    huge_tensor = "architecture: composite\nparts:\n  a: gpt2\ntensors: {x: [100000000, 100000000, 100]}\n"
    result = run("count", "-", input=huge_tensor)
    assert result.exit_code == 1 and "more than one tensor holds" in result.stderr and result.stdout == ""
    huge_flatten = "architecture: sequential\ninput: [1000000, 1000000, 1000000]\nlayers: [flatten]\n"
    result = run("count", "-", input=huge_flatten)
    assert result.exit_code == 1 and "flattened size comes out larger" in result.stderr
