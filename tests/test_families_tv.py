"""torchvision's classification zoo and Keras Applications as sequential presets (issue 16), exact.

Reference numbers: torchvision 0.28.0 on torch 2.13.0, each builder with weights=None on
torch.device("meta"), sum(p.numel() for p in model.parameters()), equal to the published weights'
meta["num_params"] except where noted (notes/i16/torchvision.json, "published_weights"). Keras
3.15.1 (torch backend): keras.applications.X(weights=None).count_params() and its trainable part;
its RNN layers on input 10, hidden 20 (notes/i16/keras.json, "applications" and "rnn").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import paramcalc
from paramcalc.catalog import hyphenated, preset_path
from paramcalc.config import parse_config
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError
from paramcalc.sequential.counts import net

CONFIGS = Path(__file__).resolve().parent.parent / "configs"

# preset (torchvision's builder name) -> torchvision 0.28.0's count, the published weights' num_params
TORCHVISION = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "wide_resnet50_2": 68_883_240,
    "wide_resnet101_2": 126_886_696,
    "resnext50_32x4d": 25_028_904,
    "resnext101_32x8d": 88_791_336,
    "resnext101_64x4d": 83_455_272,
    "vgg11": 132_863_336,
    "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848,
    "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544,
    "vgg16_bn": 138_365_992,
    "vgg19": 143_667_240,
    "vgg19_bn": 143_678_248,
    "alexnet": 61_100_840,
    "squeezenet1_0": 1_248_424,
    "squeezenet1_1": 1_235_496,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_small": 2_542_856,
    "mobilenet_v3_large": 5_483_032,
    "efficientnet_b0": 5_288_548,
    "efficientnet_b1": 7_794_184,
    "efficientnet_b2": 9_109_994,
    "efficientnet_b3": 12_233_232,
    "efficientnet_b4": 19_341_616,
    "efficientnet_b5": 30_389_784,
    "efficientnet_b6": 43_040_704,
    "efficientnet_b7": 66_347_960,
    "densenet121": 7_978_856,
    "densenet161": 28_681_000,
    "densenet169": 14_149_480,
    "densenet201": 20_013_928,
    "convnext_tiny": 28_589_128,
    "convnext_small": 50_223_688,
    "convnext_base": 88_591_464,
    "convnext_large": 197_767_336,
    "shufflenet_v2_x0_5": 1_366_792,
    "shufflenet_v2_x1_0": 2_278_604,
    "shufflenet_v2_x1_5": 3_503_624,
    "shufflenet_v2_x2_0": 7_393_996,
    "regnet_y_400mf": 4_344_144,
    "regnet_y_800mf": 6_432_512,
    "regnet_y_1_6gf": 11_202_430,
    "regnet_y_3_2gf": 19_436_338,
    "regnet_y_8gf": 39_381_472,
    "regnet_y_16gf": 83_590_140,
    "regnet_y_32gf": 145_046_770,
    "regnet_y_128gf": 644_812_894,
    "regnet_x_400mf": 5_495_976,
    "regnet_x_800mf": 7_259_656,
    "regnet_x_1_6gf": 9_190_136,
    "regnet_x_3_2gf": 15_296_552,
    "regnet_x_8gf": 39_572_648,
    "regnet_x_16gf": 54_278_536,
    "regnet_x_32gf": 107_811_560,
    # the published IMAGENET1K_V1 weights (aux heads dropped on load); the builder default
    # GoogLeNet(aux_logits=True) is 13,004,888
    "googlenet": 6_624_904,
    "mnasnet0_5": 2_218_512,
    "mnasnet0_75": 3_170_208,
    "mnasnet1_0": 4_383_312,
    "mnasnet1_3": 6_282_256,
    "vit_b_16": 86_567_656,  # image_size 224 (IMAGENET1K_V1, SWAG_LINEAR); SWAG_E2E at 384: 86,859,496
}


@pytest.mark.parametrize(("preset", "expected"), TORCHVISION.items(), ids=list(TORCHVISION))
def test_torchvision_presets_are_exact(preset: str, expected: int) -> None:
    config = paramcalc.load(preset)
    assert analyze(config).total == expected
    text = (CONFIGS / f"{preset}.yaml").read_text(encoding="utf-8")
    assert f"torchvision.models.{preset}" in text and f"{expected:,}" in text  # each file cites builder and count


def test_every_sequential_preset_is_counted_here() -> None:
    """A torchvision preset added without a number to test it against fails here."""
    diffusion = {"sd3-medium", "flux-1-dev", "sd-1.5-unet", "sdxl-unet"}  # in test_families_diffusers.py
    tested = {*TORCHVISION, *KERAS, "lenet-5", "lenet-5-modern", *diffusion}
    nets = {p.stem for p in CONFIGS.glob("*.yaml") if "architecture: sequential" in p.read_text(encoding="utf-8")}
    assert nets - tested == set()


def test_the_children_match_torchvisions() -> None:
    """named_children of resnet18, googlenet and densenet121 (torchvision.json "children")."""
    children = {c.name: c.params for c in net(paramcalc.load("resnet18")).children if c.params}
    assert children == {
        "conv1": 9408,
        "bn1": 128,
        "layer1": 147968,
        "layer2": 525568,
        "layer3": 2099712,
        "layer4": 8393728,
        "fc": 513000,
    }
    goog = {c.name: c.params for c in net(paramcalc.load("googlenet")).children if c.params}
    assert goog["inception3a"] == 155872 and goog["inception5b"] == 1347040 and goog["fc"] == 1025000
    inception = net(paramcalc.load("googlenet")).children[5]
    assert [(b.name, b.params) for b in inception.children] == [
        ("branch1", 12416),
        ("branch2", 129472),
        ("branch3", 7776),
        ("branch4", 6208),
    ]
    assert inception.shape == (256, 28, 28)
    features = net(paramcalc.load("densenet121")).children[0]
    assert {c.name: c.params for c in features.children if c.name.startswith("denseblock")} == {
        "denseblock1": 335040,
        "denseblock2": 919680,
        "denseblock3": 2837760,
        "denseblock4": 2158080,
    }
    assert net(paramcalc.load("densenet121")).buffers == 83_648 + 121  # running stats + num_batches_tracked


def test_googlenet_says_what_it_counts() -> None:
    text = (CONFIGS / "googlenet.yaml").read_text(encoding="utf-8")
    assert "13,004,888" in text and "aux" in text


@pytest.mark.parametrize(
    ("alias", "stem"),
    [
        ("resnet-50", "resnet50"),
        ("resnet-18", "resnet18"),
        ("ResNet-152", "resnet152"),
        ("wide-resnet50-2", "wide_resnet50_2"),
        ("wide-resnet-50-2", "wide_resnet50_2"),
        ("vgg-16-bn", "vgg16_bn"),
        ("efficientnet-b0", "efficientnet_b0"),
        ("mobilenet-v3-large", "mobilenet_v3_large"),
        ("vit-b-16", "vit_b_16"),
        ("densenet-121", "densenet121"),
        ("regnet-y-400mf", "regnet_y_400mf"),
        ("shufflenet-v2-x1-0", "shufflenet_v2_x1_0"),
    ],
)
def test_torchvision_names_with_hyphens(alias: str, stem: str) -> None:
    path = preset_path(alias)
    assert path is not None and path.stem == stem


def test_the_hyphen_rule() -> None:
    assert hyphenated("wide_resnet50_2") == ("wide-resnet50-2", "wide-resnet-50-2")
    assert hyphenated("efficientnet_b0") == ("efficientnet-b0", "efficientnet-b0")  # not efficientnet-b-0
    assert preset_path("vit-base-16") is not None and preset_path("vit-base-16").stem == "vit-base-16"  # type: ignore[union-attr]


# --- the sequential core: branches and chunk ----------------------------------------------------------


def seq(layers: list[Any], input: list[int], **extra: Any) -> Any:
    return parse_config({"architecture": "sequential", "input": input, "layers": layers, **extra})


def test_branches_concatenate_along_channels() -> None:
    modules = {
        "fire": {
            "branches": True,
            "layers": [
                {"conv2d": {"out": 4, "kernel": 1}},
                {"name": "wide", "layers": [{"conv2d": {"out": 6, "kernel": 3, "padding": 1}}, "relu"]},
            ],
        }
    }
    root = net(seq(["fire"], [2, 5, 5], modules=modules))
    # nn.Conv2d(2, 4, 1): 12; nn.Conv2d(2, 6, 3, padding=1): 114
    assert root.shape == (10, 5, 5) and root.params == 12 + 114
    assert [c.name for c in root.children[0].children] == ["branch1", "wide"]


def test_branches_must_agree_on_the_spatial_size() -> None:
    modules = {
        "bad": {"branches": True, "layers": [{"conv2d": {"out": 4, "kernel": 1}}, {"conv2d": {"out": 4, "kernel": 3}}]}
    }
    with pytest.raises(ConfigError) as caught:
        seq(["bad"], [2, 5, 5], modules=modules)
    text = str(caught.value)
    assert "branch 1 gives [4, 3, 3], branch 0 [4, 5, 5]; only channels may differ" in text and "\n" not in text
    with pytest.raises(ConfigError, match="branch 1 .conv2d.: needs kernel"):
        seq(["bad"], [2, 5, 5], modules={"bad": {"branches": True, "layers": ["relu", {"conv2d": {"out": 4}}]}})
    with pytest.raises(ConfigError, match="choose one of residual, concat, multiply and branches"):
        seq(["bad"], [2, 5, 5], modules={"bad": {"branches": True, "concat": True, "layers": ["relu"]}})


def test_chunk_keeps_the_first_piece() -> None:
    assert net(seq([{"chunk": 2}], [116, 28, 28])).shape == (58, 28, 28)
    assert net(seq([{"chunk": 197}], [197, 768])).shape == (1, 768)  # ViT's x[:, 0]
    assert net(seq([{"chunk": 2}], [5, 3])).shape == (3, 3)  # torch.chunk: ceil(5 / 2)
    with pytest.raises(ConfigError, match="chunks 9: more than the 8 channels"):
        seq([{"chunk": 9}], [8, 3])


def test_branches_round_trip() -> None:
    for name in ("squeezenet1_0", "shufflenet_v2_x1_0", "googlenet"):
        config = paramcalc.load(name)
        assert parse_config({k: v for k, v in config.to_dict().items() if v is not None}) == config


# --- Keras --------------------------------------------------------------------------------------------

# preset -> Keras' trainable count (keras.json "applications")
KERAS = {"keras-resnet50": 25_583_592}


def test_keras_resnet50() -> None:
    """keras.applications.ResNet50: count_params() 25,636,712 = 25,583,592 trainable + 53,120 non-trainable
    (the batch norms' moving mean and variance); trainable = torchvision's 25,557,032 + 26,560 conv biases."""
    config = paramcalc.load("keras-resnet50")
    root = net(config)
    assert analyze(config).total == KERAS["keras-resnet50"] == 25_557_032 + 26_560
    assert root.buffers - 53 == 53_120  # the moving statistics, without torch's 53 num_batches_tracked
    assert root.params + root.buffers - 53 == 25_636_712  # model.count_params()
    assert paramcalc.load("keras-resnet-50") == config


# keras.json "rnn": input 10, hidden 20; layers 1 or 2, one direction or two
RNN_GRID = {
    (1, False): {"torch.lstm": 2560, "torch.lstm.nobias": 2400, "torch.gru": 1920, "torch.rnn": 640},
    (1, True): {"torch.lstm": 5120, "torch.lstm.nobias": 4800, "torch.gru": 3840, "torch.rnn": 1280},
    (2, False): {"torch.lstm": 5920, "torch.lstm.nobias": 5600, "torch.gru": 4440, "torch.rnn": 1480},
    (2, True): {"torch.lstm": 15040, "torch.lstm.nobias": 14400, "torch.gru": 11280, "torch.rnn": 3760},
}
KERAS_RNN = {
    (1, False): {"keras.lstm": 2480, "keras.gru": 1920, "keras.gru.reset_after_false": 1860, "keras.simplernn": 620},
    (1, True): {"keras.lstm": 4960, "keras.gru": 3840, "keras.gru.reset_after_false": 3720, "keras.simplernn": 1240},
    (2, False): {"keras.lstm": 5760, "keras.gru": 4440, "keras.gru.reset_after_false": 4320, "keras.simplernn": 1440},
    (2, True): {"keras.lstm": 14720, "keras.gru": 11280, "keras.gru.reset_after_false": 11040, "keras.simplernn": 3680},
}
LAYER: dict[str, tuple[str, dict[str, Any]]] = {
    "torch.lstm": ("lstm", {}),
    "torch.lstm.nobias": ("lstm", {"bias": False}),
    "torch.gru": ("gru", {}),
    "torch.rnn": ("rnn", {}),
    "keras.lstm": ("lstm", {"bias_style": "keras"}),
    "keras.gru": ("gru", {"bias_style": "keras"}),  # reset_after=True, Keras' default: two biases, as torch
    "keras.gru.reset_after_false": ("gru", {"bias_style": "keras", "reset_after": False}),
    "keras.simplernn": ("rnn", {"bias_style": "keras"}),
}
GRID = [(shape, key, n) for grid in (RNN_GRID, KERAS_RNN) for shape, row in grid.items() for key, n in row.items()]


@pytest.mark.parametrize(
    ("shape", "key", "expected"), GRID, ids=[f"{k}-l{s[0]}-{'bi' if s[1] else 'uni'}" for s, k, _ in GRID]
)
def test_rnn_bias_styles_match_torch_and_keras(shape: tuple[int, bool], key: str, expected: int) -> None:
    layers, bidirectional = shape
    kind, extra = LAYER[key]
    args = {"hidden": 20, "layers": layers, "bidirectional": bidirectional, **extra}
    assert analyze(seq([{kind: args}], [5, 10])).total == expected


# --- HuggingFace config.json: resnet, convnext, mobilenet_v2, efficientnet ------------------------------

# fixtures/hf/variants_cnn.json: the records of notes/i16/hf_vision.json, XForImageClassification(XConfig(**config))
# on the meta device, transformers 5.24.0: the total, the named_children with parameters, the buffers
HF_RECORDS = json.loads(
    (CONFIGS.parent / "tests" / "fixtures" / "hf" / "variants_cnn.json").read_text(encoding="utf-8")
)


def hf(model_type: str, **keys: Any) -> Any:
    from paramcalc.hf import convert

    return parse_config(convert({"model_type": model_type, **keys}, "config.json", "x"))


@pytest.mark.parametrize("record", HF_RECORDS, ids=[r["note"][:40] for r in HF_RECORDS])
def test_hf_cnn_families_are_exact(record: dict[str, Any]) -> None:
    config = hf(**record["config"])
    assert config.architecture == "sequential"
    assert analyze(config).total == record["transformers_total"]
    root = net(config)
    assert {c.name: c.params for c in root.children if c.params} == record["children"]
    assert root.buffers == record["buffers"]


def test_hf_cnn_labels_and_the_bare_model() -> None:
    labels = {str(i): f"class {i}" for i in range(1000)}
    assert analyze(hf("resnet", id2label=labels)).total == 25_557_032  # a hub config.json keeps id2label
    assert analyze(hf("resnet")).total == 23_508_032 + 2048 * 2 + 2  # PretrainedConfig's 2 labels
    assert analyze(hf("resnet", architectures=["ResNetModel"])).total == 23_508_032  # ResNetModel: no classifier


@pytest.mark.parametrize(
    ("model_type", "keys", "message"),
    [
        ("efficientnet", {"width_coefficient": 1.0, "depth_coefficient": 1.0}, "hidden_dim: 2560 is not the top conv"),
        ("resnet", {"depths": [3, 4]}, "depths: must be a list of 4 positive whole numbers, not [3, 4]"),
        ("resnet", {"layer_type": "wide"}, "layer_type: must be basic or bottleneck, not 'wide'"),
        ("convnext", {"hidden_sizes": [96, 0, 384, 768]}, "hidden_sizes: must be a list of 4 positive whole numbers"),
    ],
)
def test_hf_cnn_problems_are_one_line(model_type: str, keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        hf(model_type, **keys)
    assert message in str(caught.value) and "\n" not in str(caught.value)
