"""vit, dinov2, dinov2_with_registers, clip (and its towers alone), siglip (and its towers),
siglip2: vision towers and two-tower image-text models, exact against transformers.

The real configs: copies of ../shared/reference/hf_configs_v2/ (google/vit-base-patch16-224,
facebook/dinov2-large, openai/clip-vit-base-patch32, google/siglip-base-patch16-224), their totals
from ../shared/reference/models_v2.json (transformers 5.24.0 on the meta device). Variants
(fixtures/hf/variants_vision.json, each with its source line): the records of notes/i14/vision.json,
built with transformers 5.24.0 on the meta device, summing p.numel() over model.parameters():
published sizes (ViT-L/H, DINOv2-S/g, CLIP-L/14 and its 336 px tower, SigLIP so400m and large,
from knowledge, not read from a stored copy), defaults only, qkv_bias off, floors of image / patch,
one channel, pooler_output_size, a head_dim key, heads that do not divide hidden_size, SwiGLU
sizes, no mask token, registers, CLIP's top-level projection_dim and legacy *_config_dict keys,
SigLIP's text head projection_size and vision_use_head off, SigLIP 2's num_patches; and records of
the classes a config.json does not choose (image classification, masked image modeling, the
towers with a projection), counted here as composites of the converted tower and their head.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import paramcalc
from paramcalc.errors import ConfigError
from paramcalc.loading import load_fields
from tests.conftest import Run
from tests.conftest import write_config as write

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
VARIANTS = json.loads((FIXTURES / "variants_vision.json").read_text())
# the class AutoModel (or the tower's own class) builds from each model_type: what convert counts
AUTO = {
    "ViTModel",
    "Dinov2Model",
    "Dinov2WithRegistersModel",
    "CLIPModel",
    "CLIPTextModel",
    "CLIPVisionModel",
    "SiglipModel",
    "SiglipVisionModel",
    "SiglipTextModel",
    "Siglip2Model",
    "Siglip2VisionModel",
    "Siglip2TextModel",
}
RECTANGULAR = [v for v in VARIANTS if isinstance(v["config"].get("image_size"), list)]
COUNTED = [v for v in VARIANTS if v["class"] in AUTO and v not in RECTANGULAR]
HEADS = [v for v in VARIANTS if v["class"] not in AUTO]


@pytest.mark.parametrize(
    ("file", "total"),
    [
        ("google__vit-base-patch16-224.json", 86_389_248),
        ("facebook__dinov2-large.json", 304_368_640),
        ("openai__clip-vit-base-patch32.json", 151_277_313),
        ("google__siglip-base-patch16-224.json", 203_155_970),
    ],
)
def test_real_configs(file: str, total: int) -> None:
    assert paramcalc.count(str(FIXTURES / file)).total == total  # models_v2.json


def test_every_type_checked() -> None:
    types = {v["model_type"] for v in COUNTED}
    assert types == {
        "vit",
        "dinov2",
        "dinov2_with_registers",
        "clip",
        "clip_text_model",
        "clip_vision_model",
        "siglip",
        "siglip_vision_model",
        "siglip_text_model",
        "siglip2",
        "siglip2_vision_model",
        "siglip2_text_model",
    }
    for model_type in ("vit", "dinov2", "clip", "siglip"):
        assert sum(v["model_type"] == model_type for v in COUNTED) >= 6, model_type


@pytest.mark.parametrize("index", range(len(COUNTED)), ids=[f"{v['model_type']}-{i}" for i, v in enumerate(COUNTED)])
def test_variants_exact_and_round_trip(run: Run, index: int, tmp_path: Path) -> None:
    variant = COUNTED[index]
    path = write(variant["config"], tmp_path)
    assert paramcalc.count(path).total == variant["transformers_total"], variant["note"]
    converted = run("convert", path)
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == variant["transformers_total"]


def _labels(config: dict[str, Any]) -> int:
    """num_labels as PretrainedConfig reads it: len(id2label), else num_labels, else 2."""
    if "id2label" in config:
        return len(config["id2label"])
    return int(config.get("num_labels", 2))


def _with_head(variant: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The record's class as a composite: the converted tower (the one the class embeds) and
    its head as an mlp part or a loose tensor."""
    config, cls = variant["config"], variant["class"]
    fields = load_fields(write(config, tmp_path))[0]
    tower = fields["parts"]["vision"] if fields["architecture"] == "composite" else fields
    tower = {k: v for k, v in tower.items() if k not in ("name", "source", "pooler_dim")}
    tower["pooler"] = False  # only ViTModel has the pooler
    labels = _labels(config)
    width = tower["d_model"]
    parts: dict[str, Any] = {"tower": tower}
    tensors: dict[str, Any] = {}
    if cls.startswith("Dinov2"):  # the classifier reads [CLS] and the mean patch token, concatenated
        width *= 2
    if cls == "ViTForMaskedImageModeling":  # mask token; decoder: a 1x1 conv to stride^2 x channels
        tower["mask_token"] = True
        parts["decoder"] = {"architecture": "mlp", "layer_sizes": [width, 8**2 * 3], "bias": True}
    elif cls.endswith("WithProjection"):  # the sub-config's own projection_dim, no bias
        parts = {"tower": {k: v for k, v in fields.items() if k not in ("name", "source")}}
        tensors["projection"] = [config["projection_dim"], width]
    elif labels:  # num_labels 0: an Identity
        parts["classifier"] = {"architecture": "mlp", "layer_sizes": [width, labels], "bias": True}
    out: dict[str, Any] = {"architecture": "composite", "parts": parts}
    if tensors:
        out["tensors"] = tensors
    return out


@pytest.mark.parametrize("index", range(len(HEADS)), ids=[v["class"] for v in HEADS])
def test_other_classes_as_composites(index: int, tmp_path: Path) -> None:
    """The classes a config.json does not choose are a tower plus a head: parts paramcalc has."""
    variant = HEADS[index]
    assert paramcalc.count(_with_head(variant, tmp_path)).total == variant["transformers_total"], variant["note"]


def test_rectangular_images_are_refused(tmp_path: Path) -> None:
    assert len(RECTANGULAR) == 2
    for variant in RECTANGULAR:
        with pytest.raises(ConfigError, match="image_size: .*only square images and patches are supported"):
            paramcalc.count(write(variant["config"], tmp_path))


def test_composite_layout_of_clip(tmp_path: Path) -> None:
    """CLIP-B/32: towers as parts, the projections and logit_scale as loose tensors; the text
    tower is an encoder with a final norm and no token types, pooler or embedding norm."""
    config = paramcalc.load(str(FIXTURES / "openai__clip-vit-base-patch32.json"))
    parts = dict(config.parts)
    assert [name for name, _ in config.parts] == ["vision", "text"]
    vision, text = parts["vision"], parts["text"]
    assert (vision.patch_bias, vision.class_tokens, vision.embedding_norm, vision.final_norm) == (False, 1, True, True)
    assert (text.type_vocab, text.pooler, text.embedding_norm, text.final_norm) == (0, False, False, True)
    assert dict(config.tensors) == {"visual_projection": (512, 768), "text_projection": (512, 512), "logit_scale": (1,)}
    assert vision.context == 50  # 7 x 7 patches + [CLS]


def test_siglip_layout(tmp_path: Path) -> None:
    config = paramcalc.load(str(FIXTURES / "google__siglip-base-patch16-224.json"))
    vision, text = dict(config.parts)["vision"], dict(config.parts)["text"]
    assert (vision.patch_bias, vision.class_tokens, vision.pool_head, vision.context) == (True, 0, True, 196)
    assert (text.pooler, text.pooler_dim) == (True, 768)  # the text head: hidden_size -> projection_size
    assert dict(config.tensors) == {"logit_scale": (1,), "logit_bias": (1,)}


def test_legacy_config_dict_reverts_to_class_defaults(tmp_path: Path) -> None:
    """text_config_dict overrides text_config key by key with the class's defaults: vocab 49408
    and intermediate 2048 come back though text_config says otherwise."""
    base = {"model_type": "clip", "projection_dim": 8, "vision_config": {"hidden_size": 16, "num_attention_heads": 2}}
    text = {"hidden_size": 16, "num_attention_heads": 2, "vocab_size": 100, "intermediate_size": 32}
    legacy = {**base, "text_config": text, "text_config_dict": {"hidden_size": 16, "num_attention_heads": 2}}
    parts = dict(paramcalc.load(write(legacy, tmp_path)).parts)
    assert (parts["text"].vocab, parts["text"].d_ff) == (49408, 2048)
    plain = dict(paramcalc.load(write({**base, "text_config": text}, tmp_path)).parts)
    assert (plain["text"].vocab, plain["text"].d_ff) == (100, 32)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_type": "clip", "text_config": {"num_attention_heads": 5}}, r"num_attention_heads: 5 does not"),
        ({"model_type": "clip", "vision_config": [1]}, r"vision_config: must be a mapping of config keys"),
        ({"model_type": "clip_vision_model", "image_size": [224, 224]}, r"image_size: must be a whole number"),
        ({"model_type": "vit", "patch_size": [16, 0]}, r"patch_size: .*only square"),
        ({"model_type": "vit", "patch_size": [0, 0]}, r"patch_size: must hold positive whole numbers"),
        ({"model_type": "dinov2", "mlp_ratio": 4.5}, r"mlp_ratio: must be a whole number, not 4.5"),
        ({"model_type": "siglip2_vision_model", "num_patches": 200}, r"num_patches: 200 is not a square grid"),
        ({"model_type": "siglip", "text_config": {"hidden_size": 0}}, r"text_config: hidden_size: must be a positive"),
    ],
)
def test_bad_configs(config: dict[str, Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        paramcalc.count(write(config, tmp_path))


def test_pooler_dim() -> None:
    base = {"architecture": "vision", "layers": 1, "d_model": 8, "heads": 2, "image_size": 8, "patch_size": 4}
    plain = paramcalc.count({**base, "pooler": True}).total
    assert paramcalc.count({**base, "pooler": True, "pooler_dim": 5}).total == plain - (8 * 8 + 8) + (8 * 5 + 5)
    with pytest.raises(ConfigError, match="pooler_dim: applies only to a pooler"):
        paramcalc.load({**base, "pooler_dim": 5})
    with pytest.raises(ConfigError, match="pooler_dim: does not apply to architecture 'decoder'"):
        paramcalc.load({"layers": 1, "d_model": 8, "heads": 2, "vocab": 3, "context": 4, "pooler_dim": 4})
    encoder = {"architecture": "encoder", "layers": 1, "d_model": 8, "heads": 2, "vocab": 3, "context": 4}
    assert paramcalc.count({**encoder, "pooler_dim": 3}).total == paramcalc.count(encoder).total - 5 * 8 - 5


def test_composite_without_loose_tensors() -> None:
    """A composite with no `tensors:` counted its parts (it raised an internal TypeError)."""
    config = {"architecture": "composite", "parts": {"a": {"architecture": "mlp", "layer_sizes": [2, 3]}}}
    result = paramcalc.count(config)
    assert result.total == 9
    assert [c["name"] for c in result.to_dict()["components"]] == ["a.linear_1"]


@pytest.mark.parametrize(
    ("preset", "total"),
    [("vit-base-16", 86_389_248), ("clip-vit-l-14", 427_616_513), ("siglip-so400m", 877_960_498)],
)
def test_presets(preset: str, total: int) -> None:
    """Each preset counts what transformers 5.24 counts for the config it was built from."""
    assert paramcalc.count(preset).total == total


def test_so400m_vision_tower_alone() -> None:
    tower = dict(paramcalc.load("siglip-so400m").parts)["vision"]
    assert paramcalc.count(tower.to_dict()).total == 428_225_600  # SiglipVisionModel


def test_preset_index_keeps_the_order_of_parts() -> None:
    """configs/index.json kept each preset's fields sorted: a composite preset read from it had
    its parts in alphabetical order (text before vision), not in the file's."""
    from paramcalc.catalog import indexed_fields, presets_dir

    path = presets_dir() / "clip-vit-l-14.yaml"
    fields = indexed_fields(path, path.read_bytes())
    assert fields is not None  # read from the index, not the YAML
    assert list(fields["parts"]) == ["vision", "text"]
    assert [name for name, _ in paramcalc.load("clip-vit-l-14").parts] == ["vision", "text"]
    assert [name for name, _ in paramcalc.load("clip-vit-l-14").tensors] == [
        "visual_projection",
        "text_projection",
        "logit_scale",
    ]


def test_schema_does_not_require_a_vision_context() -> None:
    """context is derived for a vision tower (the tokens of one image): the schema required it."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(paramcalc.schema().schema)
    tower = {"architecture": "vision", "layers": 1, "d_model": 8, "heads": 2}
    assert [e.message for e in validator.iter_errors(tower)] == []
    assert [e.message for e in validator.iter_errors({"layers": 1, "d_model": 8, "heads": 2, "vocab": 3})] == [
        "'context' is a required property"
    ]
