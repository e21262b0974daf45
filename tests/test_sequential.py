"""architecture: sequential (issue 16): the layer-list language, exact against PyTorch.

Reference numbers: torch 2.13.0 and torchvision 0.28.0, counted on torch.device("meta")
(sum(p.numel() for p in m.parameters()); buffers likewise), e.g.
``nn.LSTM(10, 20, num_layers=2, bidirectional=True)`` -> 15040.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import paramcalc
from paramcalc.config import parse_config
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError
from paramcalc.sequential.counts import net


def seq(layers: list[Any], input: list[int], **extra: Any) -> Any:
    return parse_config({"architecture": "sequential", "input": input, "layers": layers, **extra})


def total(layers: list[Any], input: list[int], **extra: Any) -> int:
    return analyze(seq(layers, input, **extra)).total


# (layers, input, torch's count, the torch module it stands for)
TORCH = [
    ([{"lstm": {"hidden": 20, "layers": 2, "bidirectional": True}}], [5, 10], 15040, "LSTM(10, 20, 2, bidir)"),
    ([{"gru": {"hidden": 20}}], [5, 10], 1920, "GRU(10, 20)"),
    ([{"rnn": {"hidden": 20, "bias": False}}], [5, 10], 600, "RNN(10, 20, bias=False)"),
    ([{"multihead_attention": {"heads": 8}}], [7, 64], 16640, "MultiheadAttention(64, 8)"),
    (
        [{"multihead_attention": {"heads": 8, "kdim": 32, "vdim": 16, "add_bias_kv": True}}],
        [7, 64],
        11648,
        "MultiheadAttention(64, 8, kdim=32, vdim=16, add_bias_kv=True)",
    ),
    (
        [{"conv_transpose2d": {"out": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "groups": 2}}],
        [16, 7, 7],
        584,
        "ConvTranspose2d(16, 8, 3, 2, 1, 1, groups=2)",
    ),
    ([{"conv2d": {"out": 32, "kernel": 3, "groups": "in"}}], [32, 9, 9], 320, "Conv2d(32, 32, 3, groups=32)"),
    ([{"conv3d": {"out": 8, "kernel": [3, 3, 3]}}], [4, 5, 5, 5], 872, "Conv3d(4, 8, 3)"),
    ([{"layernorm": {"dims": 2}}], [10, 20], 400, "LayerNorm([10, 20])"),
    ([{"groupnorm": {"groups": 4}}], [32, 4, 4], 64, "GroupNorm(4, 32)"),
    ([{"embedding": {"vocab": 1000, "dim": 64}}], [12], 64000, "Embedding(1000, 64)"),
    (["batchnorm2d"], [64, 8, 8], 128, "BatchNorm2d(64)"),
]


@pytest.mark.parametrize(("layers", "input", "expected", "module"), TORCH, ids=[t[3] for t in TORCH])
def test_layer_counts_match_torch(layers: list[Any], input: list[int], expected: int, module: str) -> None:
    assert total(layers, input) == expected


def test_keras_bias_style() -> None:
    """Keras keeps one bias vector per gate set (LSTM: 4h), PyTorch two (b_ih, b_hh); Keras' GRU
    with reset_after (its default) two, without it one. Keras 3: LSTM(20) on 10 features has
    4 x 20 x (10 + 20) + 80 = 2480; GRU(20, reset_after=True) 3 x 20 x 30 + 120 = 1920."""
    lstm = {"hidden": 20, "bias_style": "keras"}
    assert total([{"lstm": lstm}], [5, 10]) == 2480
    assert total([{"lstm": {"hidden": 20}}], [5, 10]) == 2480 + 80
    assert total([{"gru": {"hidden": 20, "bias_style": "keras"}}], [5, 10]) == 1920
    assert total([{"gru": {"hidden": 20, "bias_style": "keras", "reset_after": False}}], [5, 10]) == 1860


def test_resnet50_is_torchvisions() -> None:
    """torchvision 0.28 resnet50(): 25,557,032 parameters and 53,173 buffers; 4.09 GMACs (its
    docs: 4.09 GFLOPS, fvcore's MACs) = 8.18e9 FLOPs at 2 per MAC."""
    config = paramcalc.load("resnet50")
    report = analyze(config)
    assert report.total == 25_557_032
    assert net(config).buffers == 53_173
    assert report.flops.forward_per_token == 8_178_368_512
    assert report.flops.unit == "example"
    names = [c.name for c in report.components]
    assert names == ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"]
    assert paramcalc.load("resnet-50") == config


def test_shapes_follow_pytorchs_formulas() -> None:
    """Shapes from torch 2.13 on CPU: ConvTranspose2d(16, 8, 3, 2, 1, 1) on 7x7 -> 14x14;
    MaxPool2d(3, 2, ceil_mode=True) on 8x8 -> 4x4; MaxPool2d(2, 2, 1, ceil_mode=True) on 5x5 ->
    3x3; Conv1d(3, 6, 5, padding='same', dilation=2) on 10 -> 10."""
    convt = {"out": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}
    assert net(seq([{"conv_transpose2d": convt}], [16, 7, 7])).shape == (8, 14, 14)
    assert net(seq([{"maxpool2d": {"kernel": 3, "stride": 2, "ceil_mode": True}}], [1, 8, 8])).shape == (1, 4, 4)
    pool = {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}
    assert net(seq([{"maxpool2d": pool}], [1, 5, 5])).shape == (1, 3, 3)
    same = {"out": 6, "kernel": 5, "padding": "same", "dilation": 2}
    assert net(seq([{"conv1d": same}], [3, 10])).shape == (6, 10)


def test_a_shape_error_names_the_layer() -> None:
    with pytest.raises(ConfigError) as caught:
        seq([{"conv2d": {"out": 16, "kernel": 3}}, {"conv2d": {"in": 32, "out": 8, "kernel": 3}}], [3, 32, 32])
    assert str(caught.value) == "<config>: layers: layer 1 (conv2d): 32 input channels expected, 16 arrive"


def test_resnet152_counts_fast() -> None:
    """torchvision resnet152(): 60,192,808; counted (parsed, built, analysed) in well under 100 ms."""
    fields = paramcalc.load("resnet50").to_dict()
    fields["layers"][5]["repeat"], fields["layers"][6]["repeat"] = 8, 36
    start = time.perf_counter()
    report = analyze(parse_config({k: v for k, v in fields.items() if v is not None}))
    assert report.total == 60_192_808
    assert time.perf_counter() - start < 0.1


def test_lenet5_as_in_the_paper() -> None:
    """LeCun et al. 1998, Section II.B: C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164
    trainable parameters, 60,000 in all; the RBF output's 840 fixed codes are buffers."""
    config = paramcalc.load("lenet-5")
    report = analyze(config)
    assert [(c.name, c.params) for c in report.components] == [
        ("C1", 156),
        ("S2", 12),
        ("C3", 1516),
        ("S4", 32),
        ("C5", 48120),
        ("F6", 10164),
    ]
    assert report.total == 60_000
    assert net(config).buffers == 840
    assert analyze(paramcalc.load("lenet-5-modern")).total == 61_706  # d2l.ai's LeNet


def test_module_combinations() -> None:
    """concat (DenseNet), multiply (squeeze-excite) and residual same_shape (MobileNetV2)."""
    modules = {
        "dense": {
            "args": {"growth": 4},
            "layers": [{"conv2d": {"out": "$growth", "kernel": 3, "padding": 1}}],
            "concat": True,
        },
        "se": {
            "args": {"channels": 12},
            "layers": [
                {"adaptive_avgpool2d": 1},
                {"conv2d": {"out": "in // 4", "kernel": 1}},
                "relu",
                {"conv2d": {"out": "$channels", "kernel": 1}},
                "sigmoid",
            ],
            "multiply": True,
        },
        "inv": {"args": {"out": None}, "layers": [{"conv2d": {"out": "$out", "kernel": 1}}], "residual": "same_shape"},
    }
    layers = [{"dense": None}, {"dense": {"growth": 4}}, "se", {"inv": 8}, {"inv": {"out": 16}}]
    root = net(seq(layers, [0 + 4, 6, 6], modules=modules))
    assert [c.shape for c in root.children] == [(8, 6, 6), (12, 6, 6), (12, 6, 6), (8, 6, 6), (16, 6, 6)]
    # growth 4: 4 x 4 x 9 + 4 = 148, then 4 x 8 x 9 + 4 = 292; se on 12 channels (12 // 4 = 3)
    assert [c.params for c in root.children][:2] == [148, 292]


def test_resnet_shortcut_only_where_the_shape_changes() -> None:
    config = paramcalc.load("resnet50")
    layer1 = net(config).children[4]
    assert [c.name for c in layer1.children[0].children][-1] == "shortcut"
    assert "shortcut" not in [c.name for c in layer1.children[1].children]


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([{"conv2d": {"out": 8, "kernal": 3}}], "layer 0 (conv2d): needs kernel ([3, 8, 8] arrives)"),
        (
            [{"conv2d": {"out": 8, "kernel": 3, "kernal": 3}}],
            "layer 0 (conv2d): unknown argument 'kernal' (did you mean 'kernel'?)",
        ),
        (["rellu"], "layer 0 (rellu): unknown layer kind 'rellu' (did you mean 'relu'?)"),
        ([{"conv2d": {"out": "8 / 2", "kernel": 3}}], "'8 / 2': '/' is not allowed (integer division is //)"),
        ([{"conv2d": {"out": "$width", "kernel": 3}}], "$width is not an argument here (no module arguments here)"),
        ([{"conv2d": {"out": 8, "kernel": 9}}], "the output size comes out 0"),
        (
            [{"linear": 4}, {"lstm": {"hidden": 3}}],
            "layer 1 (lstm): takes a sequence, [length, features], and [3, 8, 4] arrives",
        ),
        ([{"repeat": 100_001, "layer": "relu"}], "repeat: a whole number from 1 to 10,000"),
    ],
)
def test_problems_are_one_line_naming_the_layer(layers: list[Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        seq(layers, [3, 8, 8])
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_a_module_calling_itself_stops_at_the_depth_limit() -> None:
    with pytest.raises(ConfigError, match="nested more than 16 deep"):
        seq(["loop"], [4], modules={"loop": {"layers": ["loop"]}})


def test_to_dict_round_trips() -> None:
    for name in ("resnet50", "lenet-5", "lenet-5-modern"):
        config = paramcalc.load(name)
        assert parse_config({k: v for k, v in config.to_dict().items() if v is not None}) == config


def test_layers_apply_to_sequential_only_as_a_list() -> None:
    with pytest.raises(ConfigError, match="layers: must be a whole number"):
        parse_config({"layers": ["relu"], "d_model": 8, "heads": 2, "vocab": 10, "context": 4})


def test_count_json_has_the_layers_and_a_cli_error_is_one_line(run: Any, tmp_path: Any) -> None:
    import json

    data = json.loads(run("count", "resnet50", "--json").stdout)
    assert data["layers"][0] == {
        "name": "conv1",
        "kind": "conv2d",
        "output_shape": [64, 112, 112],
        "params": 9408,
        "weights": 9408,
        "biases": 0,
        "buffers": 0,
        "flops": 2 * 9408 * 112 * 112,
    }
    assert data["layers"][4]["layers"][0]["layers"][0]["name"] == "conv1"
    path = tmp_path / "bad.yaml"
    path.write_text("architecture: sequential\ninput: [8]\nlayers:\n  - linear: 4\n  - conv2d: {out: 2, kernel: 1}\n")
    result = run("count", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"paramcalc: {path}: layers: layer 1 (conv2d): conv2d takes [channels, height, width], and [4] arrives\n"
    )


@pytest.mark.parametrize("command", [["train", "resnet50"], ["solve", "--params", "1e9", "--base", "resnet50"]])
def test_commands_for_transformers_refuse_a_sequential_net(run: Any, command: list[str]) -> None:
    """train used to end in a TypeError (layers is a list there); both now say why, in one line."""
    result = run(*command)
    assert (result.exit_code, result.stdout) == (2, "")  # a setting (--config, --base) that cannot run
    assert result.stderr.count("\n") == 1 and "sequential net" in result.stderr
