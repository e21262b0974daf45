"""Image-text models (<X>ForConditionalGeneration): qwen2_5_vl, mistral3, llama4, llava, gemma3,
exact against transformers, part by part.

The real configs: copies of ../shared/reference/hf_configs_v2/, their totals from
../shared/reference/models_v2.json (transformers 5.24.0, AutoModelForImageTextToText on the meta
device). Variants (fixtures/hf/variants_imagetext.json, from ../notes/i14/imagetext.json: each
record's `source` and `note` say how it was built): sparse sub-configs (class defaults, not the
outer init_kwargs), absent sub-configs (init_kwargs), the legacy flat layout of Qwen2.5-VL,
attribute_map aliases, merge sizes, feature-layer lists, projector biases, every tie rule, other
text models inside an outer type. Each record's `parts_top` (transformers' top-level modules)
is matched by the parts paramcalc names (PARTS).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import paramcalc
from paramcalc.errors import ConfigError
from tests.conftest import Run
from tests.conftest import write_config as write

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
VARIANTS = json.loads((FIXTURES / "variants_imagetext.json").read_text())
# transformers' kv heads default (8) does not divide the 4 heads this record gives: transformers
# builds it (its k_proj is 8 x 16 wide) but cannot run it; paramcalc refuses it with the reason
REFUSED = {"qwen2_5_vl-vision-sparse"}
REAL = {  # models_v2.json
    "Qwen__Qwen2.5-VL-7B-Instruct.json": 8_292_166_656,
    "mistralai__Mistral-Small-3.1-24B-Instruct-2503.json": 24_011_361_280,
    "meta-llama__Llama-4-Scout-17B-16E.json": 108_641_793_536,
    "llava-hf__llava-1.5-7b-hf.json": 7_063_427_072,
    "google__gemma-3-12b-it.json": 12_187_325_040,
}
# transformers' top-level modules -> the paramcalc parts (and loose tensors) that hold them
PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    "qwen2_5_vl": {"model.visual": ("vision", "merger", "merger_norm"), "model.language_model+lm_head": ("language",)},
    "mistral3": {
        "model.vision_tower": ("vision",),
        "model.multi_modal_projector": ("projector_norm", "patch_merger", "projector"),
        "model.language_model+lm_head": ("language",),
    },
    "llama4": {
        "vision_model": ("vision", "vision_adapter", "vision_adapter_fc1", "vision_adapter_fc2"),
        "multi_modal_projector": ("projector",),
        "language_model": ("language",),
    },
    "llava": {
        "model.vision_tower": ("vision",),
        "model.multi_modal_projector": ("projector",),
        "model.language_model+lm_head": ("language",),
    },
    "gemma3": {
        "model.vision_tower": ("vision",),
        "model.multi_modal_projector": ("mm_soft_emb_norm", "mm_input_projection"),
        "model.language_model+lm_head": ("language",),
    },
}
COUNTED = [v for v in VARIANTS if v["name"] not in REFUSED]


def by_part(result: Any) -> dict[str, int]:
    data = result.to_dict()
    out = {p["name"]: p["params"] for p in data["parts"]}
    known = {f"{p}." for p in out}
    out.update({c["name"]: c["params"] for c in data["components"] if not any(c["name"].startswith(k) for k in known)})
    return out


def grouped(parts_top: dict[str, int], model_type: str) -> dict[str, int]:
    """transformers' top-level modules, summed into the groups of PARTS."""
    out: dict[str, int] = {}
    for group in PARTS[model_type]:
        out[group] = sum(parts_top.get(name, 0) for name in group.split("+"))
    return out


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_configs(name: str) -> None:
    assert paramcalc.count(str(FIXTURES / name)).total == REAL[name]


def test_every_type_checked_at_least_six_times() -> None:
    for model_type in PARTS:
        assert sum(v["model_type"] == model_type for v in COUNTED) >= 6, model_type


@pytest.mark.parametrize("index", range(len(COUNTED)), ids=[v["name"] for v in COUNTED])
def test_variants_exact_by_part_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = COUNTED[index]
    path = write(variant["config"], tmp_path)
    result = paramcalc.count(path)
    assert result.total == variant["transformers_total"], variant["note"]
    ours = by_part(result)
    expected = grouped(variant["parts_top"], variant["model_type"])
    assert {g: sum(ours.get(p, 0) for p in PARTS[variant["model_type"]][g]) for g in expected} == expected
    converted = run("convert", path)
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == variant["transformers_total"]


def test_refused_kv_default_that_does_not_divide(tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v["name"] == "qwen2_5_vl-vision-sparse")
    path = write(variant["config"], tmp_path)
    with pytest.raises(ConfigError) as exc:
        paramcalc.count(path)
    assert str(exc.value) == (
        f"{path}: num_key_value_heads: 8 (transformers' default for qwen2_5_vl_text: the key is absent) "
        "does not divide num_attention_heads 4"
    )


def test_qwen2_5_vl_7b_term_by_term() -> None:
    """Qwen2.5-VL-7B (imagetext.md): patch Conv3d 3 x 2 x 14 x 14 -> 1280 without bias; 32 blocks of
    qkv 1280 -> 3840 and proj with biases, a gated MLP 1280 -> 3420 with biases, two RMSNorms; the
    merger's ln_q (1280) and MLP 5120 -> 5120 -> 3584 with biases; the text model as Qwen2-7B's
    with its own untied head."""
    result = by_part(paramcalc.count(str(FIXTURES / "Qwen__Qwen2.5-VL-7B-Instruct.json")))
    block = 2 * 1280 + 4 * 1280**2 + 4 * 1280 + 3 * 1280 * 3420 + 2 * 3420 + 1280
    assert result["vision"] == 3 * 2 * 14 * 14 * 1280 + 32 * block
    assert result["merger"] + result["merger_norm"] == 1280 + 5120**2 + 5120 + 5120 * 3584 + 3584
    assert result["language"] == 7_070_619_136 + 544_997_376


def test_text_config_of_an_unsupported_type(tmp_path: Path) -> None:
    config = {"model_type": "mistral3", "text_config": {"model_type": "llava"}}
    with pytest.raises(ConfigError) as exc:
        paramcalc.count(write(config, tmp_path))
    assert f"{tmp_path / 'config.json'}: text_config.model_type: model_type 'llava' is not supported" in str(exc.value)


def test_sub_config_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write({"model_type": "llama4", "vision_config": [1], "text_config": {"hidden_size": 64}}, tmp_path)
    with pytest.raises(ConfigError) as exc:
        paramcalc.count(path)
    assert str(exc.value) == f"{path}: vision_config: must be a mapping of config keys, not [1]"


def test_problems_of_a_sub_config_name_it(tmp_path: Path) -> None:
    path = write({"model_type": "mistral3", "vision_config": {"hidden_size": "wide"}}, tmp_path)
    with pytest.raises(ConfigError) as exc:
        paramcalc.count(path)
    assert str(exc.value) == f"{path}: vision_config: hidden_size: must be a whole number, not 'wide'"


def test_composite_without_loose_tensors() -> None:
    """A composite with no `tensors:` counts its parts (it raised a TypeError: tensors was None)."""
    config = {
        "architecture": "composite",
        "parts": {
            "a": {"architecture": "mlp", "layer_sizes": [2, 3]},
            "b": {"architecture": "mlp", "layer_sizes": [3, 1]},
        },
    }
    assert paramcalc.count(config).total == (2 * 3 + 3) + (3 * 1 + 1)


def test_a_tower_llava_does_not_know(tmp_path: Path) -> None:
    path = write({"model_type": "llava", "vision_config": {"model_type": "pixtral"}}, tmp_path)
    with pytest.raises(ConfigError) as exc:
        paramcalc.count(path)
    assert str(exc.value) == (
        f"{path}: vision_config.model_type: 'pixtral' is not supported here; "
        "supported: clip_vision_model, siglip_vision_model"
    )


def test_gemma_3_27b_by_part(tmp_path: Path) -> None:
    """gemma-3-27b-it (imagetext.md): SigLIP 27 x 1152 at 896/14 without its head, the projector
    1152 x 5376 + 1152, the text model tied: 27,432,406,640."""
    variant = next(v for v in VARIANTS if v["name"] == "google/gemma-3-27b-it")
    result = by_part(paramcalc.count(write(variant["config"], tmp_path)))
    assert (result["vision"], result["mm_soft_emb_norm"] + result["mm_input_projection"]) == (416_866_032, 6_194_304)
    assert result["language"] == 27_009_346_304


def test_a_preset_keeps_its_parts_in_order() -> None:
    """configs/index.json kept its keys sorted, so the preset's parts came out language, projector,
    vision; they are in the order the file lists them, the order data flows."""
    assert [name for name, _ in paramcalc.load("llava-1.5-7b").parts] == ["vision", "projector", "language"]


def test_the_readme_example_is_llava_1_5_7b(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("# llava.yaml:", 1)[1].split("```", 1)[0]
    path = tmp_path / "llava.yaml"
    path.write_text("# llava.yaml:" + block)
    assert paramcalc.count(str(path)).total == 7_063_427_072 == paramcalc.count("llava-1.5-7b").total
