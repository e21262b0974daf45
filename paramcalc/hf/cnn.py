"""Convolutional image classifiers (issue 16): transformers' resnet, convnext, mobilenet_v2 and efficientnet.

Each config.json becomes a sequential net (architecture: sequential, paramcalc/sequential/), layer
by layer as transformers 5.x builds it (modeling_resnet.py, modeling_convnext.py,
modeling_mobilenet_v2.py, modeling_efficientnet.py). What is counted is XForImageClassification,
the class of the hub checkpoints (microsoft/resnet-50, facebook/convnext-tiny-224,
google/mobilenet_v2_1.0_224, google/efficientnet-b0): the backbone (its top-level component named as
transformers names it: resnet, convnext, mobilenet_v2, efficientnet) and a classifier of num_labels
(len(id2label), else num_labels, else PretrainedConfig's 2). A config whose `architectures` names only
the bare XModel is counted without the classifier. Batch-norm running statistics are buffers.
"""

from __future__ import annotations

import math
from typing import Any

from paramcalc.errors import Problem, show
from paramcalc.hf import Family, Keys
from paramcalc.hf.defaults import DEFAULTS

# The class defaults of the keys that change a count (configuration_<type>.py, transformers 5.24).
DEFAULTS.update(
    {
        "resnet": {
            "num_channels": 3,
            "embedding_size": 64,
            "hidden_sizes": [256, 512, 1024, 2048],
            "depths": [3, 4, 6, 3],
            "layer_type": "bottleneck",
            "downsample_in_first_stage": False,
            "downsample_in_bottleneck": False,
        },
        "convnext": {
            "num_channels": 3,
            "patch_size": 4,
            "num_stages": 4,
            "hidden_sizes": [96, 192, 384, 768],
            "depths": [3, 3, 9, 3],
            "layer_scale_init_value": 1e-6,
            "image_size": 224,
        },
        "mobilenet_v2": {
            "num_channels": 3,
            "image_size": 224,
            "depth_multiplier": 1.0,
            "depth_divisible_by": 8,
            "min_depth": 8,
            "expand_ratio": 6.0,
            "first_layer_is_expansion": True,
            "finegrained_output": True,
        },
        "efficientnet": {  # EfficientNetConfig's defaults are B7's
            "num_channels": 3,
            "image_size": 600,
            "width_coefficient": 2.0,
            "depth_coefficient": 3.1,
            "depth_divisor": 8,
            "kernel_sizes": [3, 3, 5, 3, 5, 5, 3],
            "in_channels": [32, 16, 24, 40, 80, 112, 192],
            "out_channels": [16, 24, 40, 80, 112, 192, 320],
            "strides": [1, 2, 2, 2, 1, 2, 1],
            "num_block_repeats": [1, 2, 2, 3, 3, 4, 1],
            "expand_ratios": [1, 6, 6, 6, 6, 6, 6],
            "squeeze_expansion_ratio": 0.25,
            "hidden_dim": 2560,
        },
    }
)

Layer = dict[str, Any]

# conv without bias, then batch norm: every family's ConvLayer (the activation holds nothing)
CONV_BN: Layer = {
    "args": {"out": None, "kernel": 1, "stride": 1, "groups": 1},
    "layers": [
        {
            "conv2d": {
                "out": "$out",
                "kernel": "$kernel",
                "stride": "$stride",
                "padding": "$kernel // 2",
                "groups": "$groups",
                "bias": False,
            }
        },
        "batchnorm2d",
    ],
}


MAX_BLOCKS = 1000  # blocks in one stage: checked before any is laid out


def _sizes(k: Keys, key: str, n: int | None = None) -> list[int]:
    """A list of positive whole numbers (of n entries where n is given); a problem otherwise."""
    value = k.get(key)
    if (
        not isinstance(value, list)
        or not value
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > 10**7 for v in value)
        or (n is not None and len(value) != n)
    ):
        length = f"{n} " if n is not None else ""
        k.problems.append(Problem(k.label, key, f"must be a list of {length}positive whole numbers, not {show(value)}"))
        return [1] * (n or 1)
    return list(value)


def _number(k: Keys, key: str) -> float:
    value = k.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        k.problems.append(Problem(k.label, key, f"must be a positive number, not {show(value)}"))
        return 1.0
    return float(value)


def _labels(k: Keys) -> int | None:
    """num_labels of XForImageClassification, or None when `architectures` names only XModel."""
    arch = k.get("architectures")
    if isinstance(arch, list) and arch and not any(str(a).endswith("ForImageClassification") for a in arch):
        return None
    id2label = k.raw.get("id2label")
    if isinstance(id2label, dict) and id2label:
        return len(id2label)
    return k.size("num_labels", default=2)  # PretrainedConfig's default


def _net(
    k: Keys, backbone: str, layers: list[Any], modules: dict[str, Layer], dropout: bool = False, side: int | None = None
) -> dict[str, Any]:
    """`side`: the image side to propagate shapes at, for a family whose count does not depend on
    the image (ResNet, ConvNeXt: every block is sized by channels; a pool ends the backbone), large
    enough that no stride shrinks a map to one pixel and so hides a strided shortcut or empties it."""
    size = side if side is not None else k.size("image_size", default=224, positive=True)
    top: list[Any] = [{"name": backbone, "layers": layers}]
    labels = _labels(k)
    if labels is not None:
        top += ["flatten", {"dropout": None, "name": "dropout"}] if dropout else ["flatten"]
        top.append({"name": "classifier", "layers": [{"linear": labels}] if labels else ["identity"]})
    channels = k.size("num_channels", default=3, positive=True)
    return {"architecture": "sequential", "input": [channels, size, size], "modules": modules, "layers": top}


# --- ResNet -------------------------------------------------------------------------------------


def resnet(k: Keys) -> dict[str, Any]:
    """ResNetForImageClassification: embedder (7x7 ConvLayer, max pool), stages of basic or bottleneck
    layers (ResNetShortCut, 1x1 conv + BN, where channels or stride change), pooler, classifier."""
    hidden = _sizes(k, "hidden_sizes")
    depths = _sizes(k, "depths", len(hidden))
    kind = k.text("layer_type", "bottleneck")
    if kind not in ("basic", "bottleneck"):
        k.problems.append(Problem(k.label, "layer_type", f"must be basic or bottleneck, not {show(kind)}"))
    first = 2 if k.flag("downsample_in_first_stage", False) else 1
    in_bottleneck = k.flag("downsample_in_bottleneck", False)
    shortcut = [{"conv_bn": {"out": "$out", "stride": "$stride"}}]
    if kind == "basic":  # ResNetBasicLayer: two 3x3 ConvLayers
        block: Layer = {
            "args": {"out": None, "stride": 1},
            "layers": [
                {"conv_bn": {"out": "$out", "kernel": 3, "stride": "$stride"}},
                "relu",
                {"conv_bn": {"out": "$out", "kernel": 3}},
            ],
            "shortcut": shortcut,
        }
    else:  # ResNetBottleNeckLayer: 1x1 to out // 4, 3x3, 1x1 to out (the stride on the 1x1 or the 3x3)
        s1, s3 = ("$stride", 1) if in_bottleneck else (1, "$stride")
        block = {
            "args": {"out": None, "stride": 1},
            "layers": [
                {"conv_bn": {"out": "$out // 4", "stride": s1}},
                "relu",
                {"conv_bn": {"out": "$out // 4", "kernel": 3, "stride": s3}},
                "relu",
                {"conv_bn": "$out"},
            ],
            "shortcut": shortcut,
        }
    embedder = {
        "name": "embedder",
        "layers": [
            {"conv_bn": {"out": k.size("embedding_size", default=64, positive=True), "kernel": 7, "stride": 2}},
            "relu",
            {"maxpool2d": {"kernel": 3, "stride": 2, "padding": 1}},
        ],
    }
    stages = []
    for i, (width, depth) in enumerate(zip(hidden, depths)):
        stages.append({"repeat": depth, "layer": {"block": width}, "first": {"stride": 2 if i else first}})
    layers = [embedder, {"name": "encoder", "layers": stages}, {"adaptive_avgpool2d": 1, "name": "pooler"}]
    strided = len(hidden) - 1 + (first == 2)  # ResNetConfig has no image size: its count needs none
    return _net(k, "resnet", layers, {"conv_bn": CONV_BN, "block": block}, side=max(224, 4 * 2 ** (strided + 2)))


# --- ConvNeXt -----------------------------------------------------------------------------------


def convnext(k: Keys) -> dict[str, Any]:
    """ConvNextForImageClassification: patch embedding (conv patch x patch with bias, channels-first
    LayerNorm), stages (a LayerNorm + strided conv where width or stride change; ConvNextLayers:
    depthwise 7x7, LayerNorm, Linear(d, 4d), Linear(4d, d), layer scale when layer_scale_init_value > 0),
    then a LayerNorm on the pooled features and the classifier."""
    stages = k.size("num_stages", default=4, positive=True)
    hidden = _sizes(k, "hidden_sizes", stages)  # longer lists: transformers' last norm and classifier read
    depths = _sizes(k, "depths", stages)  # hidden_sizes[-1], a model that cannot run: refused
    patch = k.size("patch_size", default=4, positive=True)
    scale = k.get("layer_scale_init_value", 1e-6)
    scaled = not isinstance(scale, (int, float)) or scale > 0
    norm2d: Layer = {"layers": [{"permute": [1, 2, 0]}, "layernorm", {"permute": [2, 0, 1]}]}
    layer: Layer = {
        "residual": True,
        "layers": [
            {"conv2d": {"out": "in", "kernel": 7, "padding": 3, "groups": "in"}},
            {"permute": [1, 2, 0]},
            "layernorm",
            {"linear": "in * 4"},
            "gelu",
            {"linear": "in // 4"},
            {"permute": [2, 0, 1]},
            *(["layer_scale"] if scaled else []),
        ],
    }
    body: list[Any] = []
    previous = hidden[0]
    for i, (width, depth) in enumerate(zip(hidden, depths)):
        stride = 2 if i else 1
        stage: list[Any] = []
        if previous != width or stride > 1:  # downsampling_layer
            stage += ["layernorm2d", {"conv2d": {"out": width, "kernel": stride, "stride": stride}}]
        stage.append({"repeat": depth, "layer": "convnext_layer"})
        body.append({"layers": stage})
        previous = width
    layers = [
        {
            "name": "embeddings",
            "layers": [{"conv2d": {"out": hidden[0], "kernel": patch, "stride": patch}}, "layernorm2d"],
        },
        {"name": "encoder", "layers": body},
        {"adaptive_avgpool2d": 1},
        "flatten",
        {"layernorm": None, "name": "layernorm"},
    ]
    side = max(224, patch * 2 ** (stages + 1))  # the count depends on no image size
    return _net(k, "convnext", layers, {"layernorm2d": norm2d, "convnext_layer": layer}, side=side)


# --- MobileNetV2 --------------------------------------------------------------------------------


def _make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """transformers' make_divisible (as torchvision's _make_divisible)."""
    low = min_value if min_value is not None else divisor
    new = max(low, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def mobilenet_v2(k: Keys) -> dict[str, Any]:
    """MobileNetV2ForImageClassification: stem (3x3 stride 2, [expand 1x1], depthwise 3x3, reduce 1x1),
    16 inverted residuals, conv_1x1 to 1280 x multiplier, pooler, dropout, classifier."""
    multiplier = _number(k, "depth_multiplier")
    divisor = k.size("depth_divisible_by", default=8, positive=True)
    low = k.size("min_depth", default=8, positive=True)
    ratio = _number(k, "expand_ratio")

    def depth(c: float) -> int:  # apply_depth_multiplier
        return _make_divisible(int(round(c * multiplier)), divisor, low)

    channels = [depth(c) for c in (16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320)]
    strides = [2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]
    stem_width = depth(32)
    stem: list[Any] = [{"conv_bn": {"out": stem_width, "kernel": 3, "stride": 2}}, "relu6"]
    if not k.flag("first_layer_is_expansion", True):
        stem += [{"conv_bn": stem_width}, "relu6"]
    stem += [{"conv_bn": {"out": stem_width, "kernel": 3, "groups": stem_width}}, "relu6", {"conv_bn": channels[0]}]
    blocks = []
    for i in range(16):
        hidden = _make_divisible(int(round(channels[i] * ratio)), divisor, low)
        blocks.append({"inverted": {"hidden": hidden, "out": channels[i + 1], "stride": strides[i]}})
    last = 1280 if k.flag("finegrained_output", True) and multiplier < 1.0 else depth(1280)
    inverted: Layer = {
        "args": {"hidden": None, "out": None, "stride": 1},
        "residual": "same_shape",
        "layers": [
            {"conv_bn": "$hidden"},
            "relu6",
            {"conv_bn": {"out": "$hidden", "kernel": 3, "stride": "$stride", "groups": "$hidden"}},
            "relu6",
            {"conv_bn": "$out"},
        ],
    }
    layers = [
        {"name": "conv_stem", "layers": stem},
        {"name": "layer", "layers": blocks},
        {"name": "conv_1x1", "layers": [{"conv_bn": last}, "relu6"]},
        {"adaptive_avgpool2d": 1, "name": "pooler"},
    ]
    return _net(k, "mobilenet_v2", layers, {"conv_bn": CONV_BN, "inverted": inverted}, dropout=True)


# --- EfficientNet -------------------------------------------------------------------------------


def efficientnet(k: Keys) -> dict[str, Any]:
    """EfficientNetForImageClassification: stem 3x3 stride 2, blocks (expand 1x1 when the ratio is
    not 1, depthwise k x k, squeeze-excite of max(1, int(block input x squeeze_expansion_ratio)) with
    biases, project 1x1), top conv 1x1 to round_filters(1280) + BN of hidden_dim, classifier."""
    width, depth_c = _number(k, "width_coefficient"), _number(k, "depth_coefficient")
    divisor = k.size("depth_divisor", default=8, positive=True)
    squeeze = _number(k, "squeeze_expansion_ratio")
    kernels = _sizes(k, "kernel_sizes")
    n = len(kernels)
    ins, outs = _sizes(k, "in_channels", n), _sizes(k, "out_channels", n)
    strides, repeats, ratios = _sizes(k, "strides", n), _sizes(k, "num_block_repeats", n), _sizes(k, "expand_ratios", n)

    def filters(c: int) -> int:  # round_filters
        scaled = c * width
        new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
        return int(new + divisor if new < 0.9 * scaled else new)

    top = filters(1280)
    hidden_dim = k.size("hidden_dim", default=2560, positive=True)
    if hidden_dim != top and not k.problems:
        k.problems.append(
            Problem(
                k.label,
                "hidden_dim",
                f"{hidden_dim} is not the top convolution's round_filters(1280) = {top}: transformers would build "
                f"its top batch norm and classifier on {hidden_dim} channels, a model that cannot run (google/"
                f"efficientnet-b0's config.json has hidden_dim {top}; EfficientNetConfig's default 2560 is B7's)",
            )
        )
    blocks: list[Any] = []
    flowing = filters(32)  # the stem's width
    for i in range(n):
        out = filters(outs[i])
        if filters(ins[i]) != flowing and not k.problems:
            k.problems.append(
                Problem(
                    k.label,
                    "in_channels",
                    f"stage {i}: round_filters({ins[i]}) = {filters(ins[i])} channels expected, {flowing} arrive from "
                    "the stage before: transformers would size its first block for the former, a model that cannot run",
                )
            )
        repeat = int(math.ceil(depth_c * repeats[i])) if depth_c * repeats[i] <= MAX_BLOCKS else MAX_BLOCKS + 1
        if repeat > MAX_BLOCKS and not k.problems:
            k.problems.append(
                Problem(k.label, "depth_coefficient", f"{depth_c:g} x {repeats[i]} blocks is more than {MAX_BLOCKS:,}")
            )
            repeat = 1
        flowing = out if repeat else flowing
        for j in range(repeat):
            cin = filters(ins[i]) if j == 0 else out
            args = {"kernel": kernels[i], "out": out, "squeeze": max(1, int(cin * squeeze))}
            args["stride"] = strides[i] if j == 0 else 1
            if ratios[i] == 1:
                blocks.append({"block1": args})
            else:
                blocks.append({"block": {"hidden": cin * ratios[i], **args}})
    se: Layer = {
        "args": {"squeeze": None, "channels": None},
        "multiply": True,
        "layers": [
            {"adaptive_avgpool2d": 1},
            {"conv2d": {"out": "$squeeze", "kernel": 1}, "name": "reduce"},
            "silu",
            {"conv2d": {"out": "$channels", "kernel": 1}, "name": "expand"},
            "sigmoid",
        ],
    }
    tail = [{"se": {"squeeze": "$squeeze", "channels": "in"}}, {"conv_bn": "$out"}]
    block: Layer = {
        "args": {"hidden": None, "kernel": None, "out": None, "squeeze": None, "stride": 1},
        "residual": "same_shape",
        "layers": [
            {"conv_bn": "$hidden"},
            "silu",
            {"conv_bn": {"out": "$hidden", "kernel": "$kernel", "stride": "$stride", "groups": "$hidden"}},
            "silu",
            *tail,
        ],
    }
    block1: Layer = {
        "args": {"kernel": None, "out": None, "squeeze": None, "stride": 1},
        "residual": "same_shape",
        "layers": [{"conv_bn": {"out": "in", "kernel": "$kernel", "stride": "$stride", "groups": "in"}}, "silu", *tail],
    }
    layers = [
        {"name": "embeddings", "layers": [{"conv_bn": {"out": filters(32), "kernel": 3, "stride": 2}}, "silu"]},
        {"name": "encoder", "layers": [*blocks, {"conv_bn": top}, "silu"]},
        {"adaptive_avgpool2d": 1, "name": "pooler"},
    ]
    modules = {"conv_bn": CONV_BN, "se": se, "block": block, "block1": block1}
    return _net(k, "efficientnet", layers, modules, dropout=True)


FAMILIES_CNN: dict[str, Family] = {
    "resnet": resnet,
    "convnext": convnext,
    "mobilenet_v2": mobilenet_v2,
    "efficientnet": efficientnet,
}
