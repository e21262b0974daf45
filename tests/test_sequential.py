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
