"""How the torchvision and Keras presets in configs/ were written (issue 16): one function per family
that writes its YAML file, with the numbers torchvision's builder computes (make_divisible, EfficientNet's
width and depth multipliers, RegNet's quantized widths) already worked out, so that each preset reads as
plain layers and modules.

Not a test: `python tests/tv_presets.py` rewrites the files (then `python -m paramcalc.catalog`);
tests/test_families_tv.py counts every one against torchvision's own number. Sources: torchvision
0.28.0's models/*.py (the builders named in each file) and its weights' meta["num_params"].
"""

from __future__ import annotations

import math
from pathlib import Path

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
TV = "torchvision 0.28.0"


def make_div(v: float, d: int = 8) -> int:
    """torchvision.models._utils._make_divisible: round to a multiple of d, never 10% below v."""
    nv = max(d, int(v + d / 2) // d * d)
    return nv + d if nv < 0.9 * v else nv


def header(title: str, builder: str, count: int, extra: str = "") -> str:
    lines = [f"# {title} as torchvision builds it: torchvision.models.{builder} ({TV}).", f"# {count:,} parameters,"]
    lines[-1] += " as torchvision counts them on the meta device (sum of p.numel() over model.parameters()),"
    lines.append(
        "# the number in its published weights' meta['num_params']. Batch-norm running statistics are buffers."
    )
    if extra:
        lines += [f"# {line}" for line in extra.strip().splitlines()]
    return "\n".join(lines) + "\n"


def head(name: str, source: str, builder: str, count: int) -> str:
    return (
        f"name: {name}\n"
        f'source: "{source}; torchvision.models.{builder} ({count:,} parameters)"\n'
        "architecture: sequential\n"
        "input: [3, 224, 224]\n"
    )


# --- ResNet, Wide ResNet, ResNeXt ---------------------------------------------------------------

RESNET = {  # builder: (display name, block, depths, groups, width_per_group, count)
    "resnet18": ("ResNet-18", "basic", [2, 2, 2, 2], 1, 64, 11_689_512),
    "resnet34": ("ResNet-34", "basic", [3, 4, 6, 3], 1, 64, 21_797_672),
    "resnet101": ("ResNet-101", "bottleneck", [3, 4, 23, 3], 1, 64, 44_549_160),
    "resnet152": ("ResNet-152", "bottleneck", [3, 8, 36, 3], 1, 64, 60_192_808),
    "wide_resnet50_2": ("Wide ResNet-50-2", "bottleneck", [3, 4, 6, 3], 1, 128, 68_883_240),
    "wide_resnet101_2": ("Wide ResNet-101-2", "bottleneck", [3, 4, 23, 3], 1, 128, 126_886_696),
    "resnext50_32x4d": ("ResNeXt-50 32x4d", "bottleneck", [3, 4, 6, 3], 32, 4, 25_028_904),
    "resnext101_32x8d": ("ResNeXt-101 32x8d", "bottleneck", [3, 4, 23, 3], 32, 8, 88_791_336),
    "resnext101_64x4d": ("ResNeXt-101 64x4d", "bottleneck", [3, 4, 23, 3], 64, 4, 83_455_272),
}

BASIC = """  basic:                   # torchvision's BasicBlock: two 3x3 convs
    args: {out: null, stride: 1}
    layers:
      - {conv2d: {out: $out, kernel: 3, stride: $stride, padding: 1, bias: false}, name: conv1}
      - {batchnorm2d: null, name: bn1}
      - relu
      - {conv2d: {out: $out, kernel: 3, padding: 1, bias: false}, name: conv2}
      - {batchnorm2d: null, name: bn2}
    shortcut:              # torchvision's downsample: only where the shape changes
      - conv2d: {out: $out, kernel: 1, stride: $stride, bias: false}
      - batchnorm2d
"""

BOTTLENECK = """  bottleneck:              # torchvision's Bottleneck: 1x1 to width, 3x3 (grouped), 1x1 to out
    args: {width: null, out: null, groups: 1, stride: 1}
    layers:
      - {conv2d: {out: $width, kernel: 1, bias: false}, name: conv1}
      - {batchnorm2d: null, name: bn1}
      - relu
      - {conv2d: {out: $width, kernel: 3, stride: $stride, padding: 1, groups: $groups, bias: false}, name: conv2}
      - {batchnorm2d: null, name: bn2}
      - relu
      - {conv2d: {out: $out, kernel: 1, bias: false}, name: conv3}
      - {batchnorm2d: null, name: bn3}
    shortcut:              # torchvision's downsample: only where the shape changes
      - conv2d: {out: $out, kernel: 1, stride: $stride, bias: false}
      - batchnorm2d
"""


def resnet(builder: str) -> str:
    name, block, depths, groups, wpg, count = RESNET[builder]
    extra = ""
    if block == "bottleneck":
        extra = (
            f"Bottleneck width = int(planes x width_per_group / 64) x groups, here width_per_group {wpg}, groups "
            f"{groups};\nthe block's output is 4 x planes."
        )
    text = header(name, builder, count, extra)
    text += head(name, "He et al. 2016, Deep Residual Learning, Table 1", builder, count)
    text += "modules:\n" + (BASIC if block == "basic" else BOTTLENECK)
    text += """layers:
  - {conv2d: {out: 64, kernel: 7, stride: 2, padding: 3, bias: false}, name: conv1}
  - {batchnorm2d: null, name: bn1}
  - relu
  - {maxpool2d: {kernel: 3, stride: 2, padding: 1}, name: maxpool}
"""
    for i, (planes, n) in enumerate(zip((64, 128, 256, 512), depths)):
        if block == "basic":
            call = f"{{basic: {{out: {planes}}}}}"
        else:
            width = int(planes * wpg / 64) * groups
            g = f", groups: {groups}" if groups > 1 else ""
            call = f"{{bottleneck: {{width: {width}, out: {4 * planes}{g}}}}}"
        first = ", first: {stride: 2}" if i else ""
        text += f"  - {{name: layer{i + 1}, repeat: {n}, layer: {call}{first}}}\n"
    fc = 512 if block == "basic" else 2048
    text += f"""  - {{adaptive_avgpool2d: 1, name: avgpool}}
  - flatten
  - {{linear: 1000, name: fc}}        # {fc} -> 1000
"""
    return text


# --- VGG, AlexNet --------------------------------------------------------------------------------

VGG = {
    "vgg11": ("VGG-11", [1, 1, 2, 2, 2], 132_863_336, 132_868_840),
    "vgg13": ("VGG-13", [2, 2, 2, 2, 2], 133_047_848, 133_053_736),
    "vgg16": ("VGG-16", [2, 2, 3, 3, 3], 138_357_544, 138_365_992),
    "vgg19": ("VGG-19", [2, 2, 4, 4, 4], 143_667_240, 143_678_248),
}


def vgg(builder: str) -> str:
    bn = builder.endswith("_bn")
    base = builder.removesuffix("_bn")
    name, convs, plain_count, bn_count = VGG[base]
    name += "-BN" if bn else ""
    count = bn_count if bn else plain_count
    letter = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}[base]
    extra = "The 3x3 convolutions keep their bias with batch norm too." if bn else ""
    text = header(name, builder, count, extra)
    text += head(
        name, f"Simonyan and Zisserman 2015, Very Deep Convolutional Networks, Table 1 ({letter})", builder, count
    )
    text += "modules:\n  conv:                    # 3x3 conv, padding 1, with bias" + (
        ", then batch norm" if bn else ""
    )
    text += "\n    args: {out: null}\n    layers:\n      - conv2d: {out: $out, kernel: 3, padding: 1}\n"
    text += "      - batchnorm2d\n" if bn else ""
    text += "      - relu\n"
    text += "layers:\n  - name: features\n    layers:\n"
    for n, width in zip(convs, (64, 128, 256, 512, 512)):
        text += f"      - {{repeat: {n}, layer: {{conv: {width}}}}}\n" if n > 1 else f"      - {{conv: {width}}}\n"
        text += "      - maxpool2d: {kernel: 2, stride: 2}\n"
    text += """  - {adaptive_avgpool2d: 7, name: avgpool}
  - flatten                # 512 x 7 x 7 = 25,088
  - name: classifier
    layers: [{linear: 4096}, relu, dropout, {linear: 4096}, relu, dropout, {linear: 1000}]
"""
    return text


def alexnet() -> str:
    count = 61_100_840
    text = header(
        "AlexNet", "alexnet", count, "The one-GPU variant of Krizhevsky's net (64, 192, 384, 256, 256 filters)."
    )
    text += head("AlexNet", "Krizhevsky et al. 2012; Krizhevsky 2014, One weird trick", "alexnet", count)
    text += """layers:
  - name: features
    layers:
      - {conv2d: {out: 64, kernel: 11, stride: 4, padding: 2}}
      - relu
      - maxpool2d: {kernel: 3, stride: 2}
      - {conv2d: {out: 192, kernel: 5, padding: 2}}
      - relu
      - maxpool2d: {kernel: 3, stride: 2}
      - {conv2d: {out: 384, kernel: 3, padding: 1}}
      - relu
      - {conv2d: {out: 256, kernel: 3, padding: 1}}
      - relu
      - {conv2d: {out: 256, kernel: 3, padding: 1}}
      - relu
      - maxpool2d: {kernel: 3, stride: 2}
  - {adaptive_avgpool2d: 6, name: avgpool}
  - flatten                # 256 x 6 x 6 = 9,216
  - name: classifier
    layers: [dropout, {linear: 4096}, relu, dropout, {linear: 4096}, relu, {linear: 1000}]
"""
    return text


# --- SqueezeNet ----------------------------------------------------------------------------------

FIRE = """  fire:                    # torchvision's Fire: squeeze 1x1, then expand 1x1 and 3x3 side by side
    args: {squeeze: null, expand: null}
    layers:
      - {conv2d: {out: $squeeze, kernel: 1}, name: squeeze}
      - relu
      - {expand: {out: $expand}}
  expand:                  # the two expand convolutions on the same input, concatenated
    args: {out: null}
    branches: true
    layers:
      - {name: expand1x1, layers: [{conv2d: {out: $out, kernel: 1}}, relu]}
      - {name: expand3x3, layers: [{conv2d: {out: $out, kernel: 3, padding: 1}}, relu]}
"""


def squeezenet(version: str) -> str:
    count = {"1_0": 1_248_424, "1_1": 1_235_496}[version]
    builder = f"squeezenet{version}"
    name = f"SqueezeNet {version.replace('_', '.')}"
    text = header(
        name, builder, count, "The classifier is a 1x1 convolution to 1000 channels, averaged: no linear layer."
    )
    text += head(name, "Iandola et al. 2016, SqueezeNet", builder, count)
    text += "modules:\n" + FIRE + "layers:\n  - name: features\n    layers:\n"
    pool = "      - maxpool2d: {kernel: 3, stride: 2, ceil_mode: true}\n"

    def fire(s: int, e: int) -> str:
        return f"      - {{fire: {{squeeze: {s}, expand: {e}}}}}\n"

    if version == "1_0":
        text += "      - {conv2d: {out: 96, kernel: 7, stride: 2}}\n      - relu\n" + pool
        text += fire(16, 64) + fire(16, 64) + fire(32, 128) + pool + fire(32, 128) + fire(48, 192) + fire(48, 192)
        text += fire(64, 256) + pool + fire(64, 256)
    else:
        text += "      - {conv2d: {out: 64, kernel: 3, stride: 2}}\n      - relu\n" + pool
        text += fire(16, 64) + fire(16, 64) + pool + fire(32, 128) + fire(32, 128) + pool
        text += fire(48, 192) + fire(48, 192) + fire(64, 256) + fire(64, 256)
    text += """  - name: classifier
    layers: [dropout, {conv2d: {out: 1000, kernel: 1}}, relu, {adaptive_avgpool2d: 1}]
  - flatten
"""
    return text


# --- MobileNetV2, MobileNetV3 --------------------------------------------------------------------

MBV2 = """  conv_bn:                 # torchvision's Conv2dNormActivation: conv without bias, batch norm, ReLU6
    args: {out: null, kernel: 1, stride: 1, groups: 1}
    layers:
      - conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", groups: $groups, bias: false}
      - batchnorm2d
      - relu6
  inverted:                # InvertedResidual: expand 1x1 to hidden, depthwise 3x3, project 1x1 (+ x where it fits)
    args: {hidden: null, out: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: $hidden}}
      - {conv_bn: {out: $hidden, kernel: 3, stride: $stride, groups: $hidden}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
  inverted_t1:             # expansion 1: no expand convolution
    args: {out: null}
    layers:
      - {conv_bn: {out: in, kernel: 3, groups: in}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
"""


def mobilenet_v2() -> str:
    count = 3_504_872
    text = header(
        "MobileNetV2",
        "mobilenet_v2",
        count,
        "Each stage (t, c, n, s) of the paper's Table 2: n inverted residuals of expansion t (hidden = in x t),\n"
        "c output channels, stride s on the first.",
    )
    text += head("MobileNetV2", "Sandler et al. 2018, MobileNetV2, Table 2", "mobilenet_v2", count)
    text += "modules:\n" + MBV2 + "layers:\n  - name: features\n    layers:\n"
    text += "      - {conv_bn: {out: 32, kernel: 3, stride: 2}}\n      - {inverted_t1: 16}\n"
    for c, n, s in [(24, 2, 2), (32, 3, 2), (64, 4, 2), (96, 3, 1), (160, 3, 2), (320, 1, 1)]:
        call = f'{{inverted: {{hidden: "in * 6", out: {c}}}}}'
        first = f", first: {{stride: {s}}}" if s > 1 else ""
        text += f"      - {{repeat: {n}, layer: {call}{first}}}\n" if n > 1 else f"      - {call}\n"
    text += """      - {conv_bn: {out: 1280}}
  - {adaptive_avgpool2d: 1}
  - flatten
  - name: classifier
    layers: [dropout, {linear: 1000}]
"""
    return text


MV3 = {  # (in, kernel, expanded, out, se, activation, stride): torchvision's _mobilenet_v3_conf
    "large": [
        (16, 3, 16, 16, 0, "RE", 1),
        (16, 3, 64, 24, 0, "RE", 2),
        (24, 3, 72, 24, 0, "RE", 1),
        (24, 5, 72, 40, 1, "RE", 2),
        (40, 5, 120, 40, 1, "RE", 1),
        (40, 5, 120, 40, 1, "RE", 1),
        (40, 3, 240, 80, 0, "HS", 2),
        (80, 3, 200, 80, 0, "HS", 1),
        (80, 3, 184, 80, 0, "HS", 1),
        (80, 3, 184, 80, 0, "HS", 1),
        (80, 3, 480, 112, 1, "HS", 1),
        (112, 3, 672, 112, 1, "HS", 1),
        (112, 5, 672, 160, 1, "HS", 2),
        (160, 5, 960, 160, 1, "HS", 1),
        (160, 5, 960, 160, 1, "HS", 1),
    ],
    "small": [
        (16, 3, 16, 16, 1, "RE", 2),
        (16, 3, 72, 24, 0, "RE", 2),
        (24, 3, 88, 24, 0, "RE", 1),
        (24, 5, 96, 40, 1, "HS", 2),
        (40, 5, 240, 40, 1, "HS", 1),
        (40, 5, 240, 40, 1, "HS", 1),
        (40, 5, 120, 48, 1, "HS", 1),
        (48, 5, 144, 48, 1, "HS", 1),
        (48, 5, 288, 96, 1, "HS", 2),
        (96, 5, 576, 96, 1, "HS", 1),
        (96, 5, 576, 96, 1, "HS", 1),
    ],
}

MBV3 = """  conv_bn:                 # Conv2dNormActivation: conv without bias, batch norm (then ReLU or hardswish)
    args: {out: null, kernel: 1, stride: 1, groups: 1}
    layers:
      - conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", groups: $groups, bias: false}
      - batchnorm2d
      - hardswish
  se:                      # SqueezeExcitation: two 1x1 convs with bias, squeeze = make_divisible(expanded // 4, 8)
    args: {squeeze: null, channels: null}
    multiply: true
    layers:
      - {adaptive_avgpool2d: 1}
      - {conv2d: {out: $squeeze, kernel: 1}, name: fc1}
      - relu
      - {conv2d: {out: $channels, kernel: 1}, name: fc2}
      - hardsigmoid
  block:                   # InvertedResidual: expand 1x1, depthwise k x k, project 1x1 (+ x where it fits)
    args: {expanded: null, kernel: null, out: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: $expanded}}
      - {conv_bn: {out: $expanded, kernel: $kernel, stride: $stride, groups: $expanded}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
  block_se:                # the same with squeeze-and-excitation after the depthwise convolution
    args: {expanded: null, kernel: null, out: null, squeeze: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: $expanded}}
      - {conv_bn: {out: $expanded, kernel: $kernel, stride: $stride, groups: $expanded}}
      - {se: {squeeze: $squeeze, channels: in}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
  block_dw:                # expanded = in: no expand convolution
    args: {kernel: null, out: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: in, kernel: $kernel, stride: $stride, groups: in}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
  block_dw_se:
    args: {kernel: null, out: null, squeeze: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: in, kernel: $kernel, stride: $stride, groups: in}}
      - {se: {squeeze: $squeeze, channels: in}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
"""


def mobilenet_v3(kind: str) -> str:
    count = {"large": 5_483_032, "small": 2_542_856}[kind]
    builder = f"mobilenet_v3_{kind}"
    name = f"MobileNetV3-{kind.title()}"
    text = header(
        name,
        builder,
        count,
        "Activations (ReLU where the paper's table says RE, hardswish for HS) hold no parameters; the modules\n"
        "write hardswish throughout, so the counts are exact and the activation names approximate.",
    )
    text += head(
        name, f"Howard et al. 2019, Searching for MobileNetV3, Table {1 if kind == 'large' else 2}", builder, count
    )
    text += "modules:\n" + MBV3 + "layers:\n  - name: features\n    layers:\n"
    text += "      - {conv_bn: {out: 16, kernel: 3, stride: 2}}\n"
    for cin, k, e, out, se, act, s in MV3[kind]:
        kind_ = ("block_dw" if e == cin else "block") + ("_se" if se else "")
        args = ([] if e == cin else [f"expanded: {e}"]) + [f"kernel: {k}", f"out: {out}"]
        args += [f"squeeze: {make_div(e // 4)}"] if se else []
        args += [f"stride: {s}"] if s > 1 else []
        text += f"      - {{{kind_}: {{{', '.join(args)}}}}}   # {act}\n"
    last = 6 * MV3[kind][-1][3]
    hidden = 1280 if kind == "large" else 1024
    text += f"""      - {{conv_bn: {{out: {last}}}}}
  - {{adaptive_avgpool2d: 1}}
  - flatten
  - name: classifier
    layers: [{{linear: {hidden}}}, hardswish, dropout, {{linear: 1000}}]
"""
    return text


# --- EfficientNet B0-B7 --------------------------------------------------------------------------

EFF = {  # (width, depth, count)
    "b0": (1.0, 1.0, 5_288_548),
    "b1": (1.0, 1.1, 7_794_184),
    "b2": (1.1, 1.2, 9_109_994),
    "b3": (1.2, 1.4, 12_233_232),
    "b4": (1.4, 1.8, 19_341_616),
    "b5": (1.6, 2.2, 30_389_784),
    "b6": (1.8, 2.6, 43_040_704),
    "b7": (2.0, 3.1, 66_347_960),
}
EFF_STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3)]
EFF_STAGES += [(6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]  # (expand, kernel, stride, out, layers), Table 1

MBCONV = """  conv_bn:                 # Conv2dNormActivation: conv without bias, batch norm, SiLU
    args: {out: null, kernel: 1, stride: 1, groups: 1}
    layers:
      - conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", groups: $groups, bias: false}
      - batchnorm2d
      - silu
  se:                      # SqueezeExcitation: two 1x1 convs with bias, squeezed to the BLOCK INPUT's channels // 4
    args: {squeeze: null, channels: null}
    multiply: true
    layers:
      - {adaptive_avgpool2d: 1}
      - {conv2d: {out: $squeeze, kernel: 1}, name: fc1}
      - silu
      - {conv2d: {out: $channels, kernel: 1}, name: fc2}
      - sigmoid
  mbconv:                  # MBConv: expand 1x1, depthwise k x k, squeeze-excite, project 1x1 (+ x where it fits)
    args: {hidden: null, kernel: null, out: null, squeeze: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: $hidden}}
      - {conv_bn: {out: $hidden, kernel: $kernel, stride: $stride, groups: $hidden}}
      - {se: {squeeze: $squeeze, channels: in}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
  mbconv1:                 # expand ratio 1: no expand convolution
    args: {kernel: null, out: null, squeeze: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: in, kernel: $kernel, stride: $stride, groups: in}}
      - {se: {squeeze: $squeeze, channels: in}}
      - {conv2d: {out: $out, kernel: 1, bias: false}}
      - batchnorm2d
"""


def efficientnet(variant: str) -> str:
    width, depth, count = EFF[variant]
    builder = f"efficientnet_{variant}"
    name = f"EfficientNet-{variant.upper()}"
    text = header(
        name,
        builder,
        count,
        f"Width x{width}, depth x{depth}: channels make_divisible(c x {width}, 8),\n"
        f"layers ceil(n x {depth}) per stage."
        " The squeeze-excite width is max(1, block input // 4), from the input, not the expanded width.",
    )
    text += head(name, "Tan and Le 2019, EfficientNet, Table 1 and Section 3.3", builder, count)
    stem = make_div(32 * width)
    text += "modules:\n" + MBCONV + "layers:\n  - name: features\n    layers:\n"
    text += f"      - {{conv_bn: {{out: {stem}, kernel: 3, stride: 2}}}}\n"
    for i, (e, k, s, c, n) in enumerate(EFF_STAGES):
        out, layers = make_div(c * width), int(math.ceil(n * depth))
        if e == 1:
            call = f'{{mbconv1: {{kernel: {k}, out: {out}, squeeze: "in // 4"}}}}'
        else:
            call = f'{{mbconv: {{hidden: "in * {e}", kernel: {k}, out: {out}, squeeze: "in // 4"}}}}'
        first = f", first: {{stride: {s}}}" if s > 1 else ""
        text += f"      - {{name: stage{i + 1}, repeat: {layers}, layer: {call}{first}}}\n"
    last = 4 * make_div(320 * width)
    text += f"""      - {{conv_bn: {{out: {last}}}}}     # 4 x the last stage's channels
  - {{adaptive_avgpool2d: 1}}
  - flatten
  - name: classifier
    layers: [dropout, {{linear: 1000}}]
"""
    return text


# --- DenseNet ------------------------------------------------------------------------------------

DENSE = {  # growth, blocks, initial features, count
    "densenet121": (32, (6, 12, 24, 16), 64, 7_978_856),
    "densenet161": (48, (6, 12, 36, 24), 96, 28_681_000),
    "densenet169": (32, (6, 12, 32, 32), 64, 14_149_480),
    "densenet201": (32, (6, 12, 48, 32), 64, 20_013_928),
}


def densenet(builder: str) -> str:
    growth, blocks, init, count = DENSE[builder]
    name = f"DenseNet-{builder[8:]}"
    text = header(name, builder, count, f"Growth rate {growth}, bottleneck 4 x growth, transitions halve the channels.")
    text += head(name, "Huang et al. 2017, Densely Connected Convolutional Networks, Table 1", builder, count)
    text += f"""modules:
  dense_layer:             # _DenseLayer, pre-activation: BN, ReLU, 1x1 to 4 x growth, BN, ReLU, 3x3 to growth
    concat: true           # its output joins its input along channels
    layers:
      - {{batchnorm2d: null, name: norm1}}
      - relu
      - {{conv2d: {{out: {4 * growth}, kernel: 1, bias: false}}, name: conv1}}
      - {{batchnorm2d: null, name: norm2}}
      - relu
      - {{conv2d: {{out: {growth}, kernel: 3, padding: 1, bias: false}}, name: conv2}}
  transition:              # _Transition: BN, ReLU, 1x1 to half the channels, 2x2 average pool
    layers: [batchnorm2d, relu, {{conv2d: {{out: "in // 2", kernel: 1, bias: false}}}}, {{avgpool2d: 2}}]
layers:
  - name: features
    layers:
      - {{conv2d: {{out: {init}, kernel: 7, stride: 2, padding: 3, bias: false}}, name: conv0}}
      - {{batchnorm2d: null, name: norm0}}
      - relu
      - {{maxpool2d: {{kernel: 3, stride: 2, padding: 1}}, name: pool0}}
"""
    for i, n in enumerate(blocks):
        text += f"      - {{name: denseblock{i + 1}, repeat: {n}, layer: dense_layer}}\n"
        if i < len(blocks) - 1:
            text += f"      - {{transition: null, name: transition{i + 1}}}\n"
    text += """      - {batchnorm2d: null, name: norm5}
  - relu
  - {adaptive_avgpool2d: 1}
  - flatten
  - {linear: 1000, name: classifier}
"""
    return text


# --- ConvNeXt ------------------------------------------------------------------------------------

CONVNEXT = {
    "tiny": ([96, 192, 384, 768], [3, 3, 9, 3], 28_589_128),
    "small": ([96, 192, 384, 768], [3, 3, 27, 3], 50_223_688),
    "base": ([128, 256, 512, 1024], [3, 3, 27, 3], 88_591_464),
    "large": ([192, 384, 768, 1536], [3, 3, 27, 3], 197_767_336),
}


def convnext(size: str) -> str:
    dims, depths, count = CONVNEXT[size]
    builder = f"convnext_{size}"
    name = f"ConvNeXt-{size.title()}"
    text = header(
        name,
        builder,
        count,
        "LayerNorm2d normalizes over channels: written as permute to channels-last, layernorm, permute back.",
    )
    text += head(name, "Liu et al. 2022, A ConvNet for the 2020s", builder, count)
    text += """modules:
  layernorm2d:             # torchvision's LayerNorm2d: a LayerNorm over the channels at every position
    layers: [{permute: [1, 2, 0]}, layernorm, {permute: [2, 0, 1]}]
  cnblock:                 # CNBlock: depthwise 7x7 (bias), LN, Linear(d, 4d), GELU, Linear(4d, d), layer scale; + x
    residual: true
    layers:
      - {conv2d: {out: in, kernel: 7, padding: 3, groups: in}}
      - {permute: [1, 2, 0]}
      - layernorm
      - {linear: "in * 4"}
      - gelu
      - {linear: "in // 4"}
      - {permute: [2, 0, 1]}
      - layer_scale
  downsample:              # LayerNorm2d, then a 2x2 stride-2 conv with bias
    args: {out: null}
    layers: [layernorm2d, {conv2d: {out: $out, kernel: 2, stride: 2}}]
layers:
  - name: features
    layers:
"""
    text += f"      - {{name: stem, layers: [{{conv2d: {{out: {dims[0]}, kernel: 4, stride: 4}}}}, layernorm2d]}}\n"
    for i, (d, n) in enumerate(zip(dims, depths)):
        if i:
            text += f"      - {{downsample: {d}}}\n"
        text += f"      - {{name: stage{i + 1}, repeat: {n}, layer: cnblock}}\n"
    text += """  - {adaptive_avgpool2d: 1, name: avgpool}
  - name: classifier
    layers: [layernorm2d, flatten, {linear: 1000}]
"""
    return text


# --- ShuffleNetV2 --------------------------------------------------------------------------------

SHUFFLE = {
    "x0_5": ([24, 48, 96, 192, 1024], 1_366_792),
    "x1_0": ([24, 116, 232, 464, 1024], 2_278_604),
    "x1_5": ([24, 176, 352, 704, 1024], 3_503_624),
    "x2_0": ([24, 244, 488, 976, 2048], 7_393_996),
}


def shufflenet(size: str) -> str:
    outs, count = SHUFFLE[size]
    builder = f"shufflenet_v2_{size}"
    name = f"ShuffleNetV2 {size.replace('_', '.')}"
    text = header(
        name,
        builder,
        count,
        "A stride-1 unit splits the channels in two (chunk), keeps one half and sends the other through\n"
        "branch2; a stride-2 unit sends the whole input through both branches. Channel shuffles hold nothing.",
    )
    text += head(name, "Ma et al. 2018, ShuffleNet V2, Table 5", builder, count)
    text += """modules:
  conv_bn:                 # conv without bias, batch norm
    args: {out: null, kernel: 1, stride: 1, groups: 1}
    layers:
      - conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", groups: $groups, bias: false}
      - batchnorm2d
  down_unit:               # InvertedResidual, stride 2: both branches see the whole input, out // 2 channels each
    args: {half: null}
    branches: true
    layers:
      - name: branch1
        layers: [{conv_bn: {out: in, kernel: 3, stride: 2, groups: in}}, {conv_bn: {out: $half}}, relu]
      - name: branch2
        layers:
          - {conv_bn: {out: $half}}
          - relu
          - {conv_bn: {out: $half, kernel: 3, stride: 2, groups: $half}}
          - {conv_bn: {out: $half}}
          - relu
  unit:                    # InvertedResidual, stride 1: x.chunk(2) kept, the other half through branch2
    branches: true
    layers:
      - {chunk: 2, name: kept}
      - name: branch2
        layers:
          - {chunk: 2}     # the second half; the same size as the first
          - {conv_bn: {out: in}}
          - relu
          - {conv_bn: {out: in, kernel: 3, groups: in}}
          - {conv_bn: {out: in}}
          - relu
layers:
  - {name: conv1, layers: [{conv_bn: {out: 24, kernel: 3, stride: 2}}, relu]}
  - {maxpool2d: {kernel: 3, stride: 2, padding: 1}, name: maxpool}
"""
    for i, (n, out) in enumerate(zip((4, 8, 4), outs[1:4])):
        text += f"  - name: stage{i + 2}\n    layers: [{{down_unit: {out // 2}}}, {{repeat: {n - 1}, layer: unit}}]\n"
    text += f"""  - {{name: conv5, layers: [{{conv_bn: {{out: {outs[4]}}}}}, relu]}}
  - {{adaptive_avgpool2d: 1}}         # torchvision: x.mean([2, 3])
  - flatten
  - {{linear: 1000, name: fc}}
"""
    return text


# --- RegNet --------------------------------------------------------------------------------------

REGNET = {  # widths, depths, group widths (torchvision's BlockParams.from_init_params, float32), count
    "regnet_y_400mf": ([48, 104, 208, 440], [1, 3, 6, 6], [8, 8, 8, 8], 4_344_144),
    "regnet_y_800mf": ([64, 144, 320, 784], [1, 3, 8, 2], [16, 16, 16, 16], 6_432_512),
    "regnet_y_1_6gf": ([48, 120, 336, 888], [2, 6, 17, 2], [24, 24, 24, 24], 11_202_430),
    "regnet_y_3_2gf": ([72, 216, 576, 1512], [2, 5, 13, 1], [24, 24, 24, 24], 19_436_338),
    "regnet_y_8gf": ([224, 448, 896, 2016], [2, 4, 10, 1], [56, 56, 56, 56], 39_381_472),
    "regnet_y_16gf": ([224, 448, 1232, 3024], [2, 4, 11, 1], [112, 112, 112, 112], 83_590_140),
    "regnet_y_32gf": ([232, 696, 1392, 3712], [2, 5, 12, 1], [232, 232, 232, 232], 145_046_770),
    "regnet_y_128gf": ([528, 1056, 2904, 7392], [2, 7, 17, 1], [264, 264, 264, 264], 644_812_894),
    "regnet_x_400mf": ([32, 64, 160, 400], [1, 2, 7, 12], [16, 16, 16, 16], 5_495_976),
    "regnet_x_800mf": ([64, 128, 288, 672], [1, 3, 7, 5], [16, 16, 16, 16], 7_259_656),
    "regnet_x_1_6gf": ([72, 168, 408, 912], [2, 4, 10, 2], [24, 24, 24, 24], 9_190_136),
    "regnet_x_3_2gf": ([96, 192, 432, 1008], [2, 6, 15, 2], [48, 48, 48, 48], 15_296_552),
    "regnet_x_8gf": ([80, 240, 720, 1920], [2, 5, 15, 1], [80, 120, 120, 120], 39_572_648),
    "regnet_x_16gf": ([256, 512, 896, 2048], [2, 6, 13, 1], [128, 128, 128, 128], 54_278_536),
    "regnet_x_32gf": ([336, 672, 1344, 2520], [2, 7, 13, 1], [168, 168, 168, 168], 107_811_560),
}
REGNET_INIT = {  # depth, w_0, w_a, w_m, group width (torchvision's regnet_* builders)
    "regnet_y_400mf": "16, 48, 27.89, 2.09, 8",
    "regnet_y_800mf": "14, 56, 38.84, 2.4, 16",
    "regnet_y_1_6gf": "27, 48, 20.71, 2.65, 24",
    "regnet_y_3_2gf": "21, 80, 42.63, 2.66, 24",
    "regnet_y_8gf": "17, 192, 76.82, 2.19, 56",
    "regnet_y_16gf": "18, 200, 106.23, 2.48, 112",
    "regnet_y_32gf": "20, 232, 115.89, 2.53, 232",
    "regnet_y_128gf": "27, 456, 160.83, 2.52, 264",
    "regnet_x_400mf": "22, 24, 24.48, 2.54, 16",
    "regnet_x_800mf": "16, 56, 35.73, 2.28, 16",
    "regnet_x_1_6gf": "18, 80, 34.01, 2.25, 24",
    "regnet_x_3_2gf": "25, 88, 26.31, 2.25, 48",
    "regnet_x_8gf": "23, 80, 49.56, 2.88, 120",
    "regnet_x_16gf": "22, 216, 55.59, 2.1, 128",
    "regnet_x_32gf": "23, 320, 69.86, 2.0, 168",
}


def regnet(builder: str) -> str:
    widths, depths, gws, count = REGNET[builder]
    y = builder.startswith("regnet_y")
    name = f"RegNet{'Y' if y else 'X'}-{builder.split('_', 2)[2].upper().replace('_', '.')}"
    text = header(
        name,
        builder,
        count,
        f"BlockParams.from_init_params(depth, w_0, w_a, w_m, group_width = {REGNET_INIT[builder]}) give\n"
        f"stage widths {widths}, depths {depths}, group widths {gws} (quantized to multiples of 8 in float32)."
        + ("\nThe Y models add squeeze-excitation, squeezed to round(0.25 x the block input's channels)." if y else ""),
    )
    text += head(name, "Radosavovic et al. 2020, Designing Network Design Spaces", builder, count)
    se_args = ", squeeze: null" if y else ""
    se_layer = "      - {se: {squeeze: $squeeze, channels: in}}\n" if y else ""
    text += """modules:
  conv_bn:                 # conv without bias, batch norm
    args: {out: null, kernel: 1, stride: 1, groups: 1}
    layers:
      - conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", groups: $groups, bias: false}
      - batchnorm2d
"""
    if y:
        text += """  se:                      # SqueezeExcitation: two 1x1 convs with bias
    args: {squeeze: null, channels: null}
    multiply: true
    layers:
      - {adaptive_avgpool2d: 1}
      - {conv2d: {out: $squeeze, kernel: 1}, name: fc1}
      - relu
      - {conv2d: {out: $channels, kernel: 1}, name: fc2}
      - sigmoid
"""
    text += f"""  block:                   # ResBottleneckBlock: 1x1, grouped 3x3, 1x1; + x or a projection
    args: {{width: null, groups: null, stride: 1{se_args}}}
    layers:
      - {{conv_bn: {{out: $width}}}}
      - relu
      - {{conv_bn: {{out: $width, kernel: 3, stride: $stride, groups: $groups}}}}
      - relu
{se_layer}      - {{conv_bn: {{out: $width}}}}
    shortcut: [{{conv_bn: {{out: $width, stride: $stride}}}}]
layers:
  - {{name: stem, layers: [{{conv_bn: {{out: 32, kernel: 3, stride: 2}}}}, relu]}}
  - name: trunk_output
    layers:
"""
    for i, (w, n, g) in enumerate(zip(widths, depths, gws)):
        sq = ', squeeze: "in // 4"' if y else ""  # round(0.25 x in): in is a multiple of 8
        call = f"{{block: {{width: {w}, groups: {w // g}{sq}}}}}"
        text += f"      - {{name: block{i + 1}, repeat: {n}, layer: {call}, first: {{stride: 2}}}}\n"
    text += """  - {adaptive_avgpool2d: 1, name: avgpool}
  - flatten
  - {linear: 1000, name: fc}
"""
    return text


# --- GoogLeNet -----------------------------------------------------------------------------------

GOOG = [  # name, c1, r3, c3, r5, c5, pool proj (torchvision's Inception arguments)
    ("inception3a", 64, 96, 128, 16, 32, 32),
    ("inception3b", 128, 128, 192, 32, 96, 64),
    ("maxpool3", 3),
    ("inception4a", 192, 96, 208, 16, 48, 64),
    ("inception4b", 160, 112, 224, 24, 64, 64),
    ("inception4c", 128, 128, 256, 24, 64, 64),
    ("inception4d", 112, 144, 288, 32, 64, 64),
    ("inception4e", 256, 160, 320, 32, 128, 128),
    ("maxpool4", 2),
    ("inception5a", 256, 160, 320, 32, 128, 128),
    ("inception5b", 384, 192, 384, 48, 128, 128),
]


def googlenet() -> str:
    count = 6_624_904
    text = header(
        "GoogLeNet",
        "googlenet",
        count,
        "Counted as the published IMAGENET1K_V1 weights hold it: googlenet(weights=...) loads the two auxiliary\n"
        "classifiers and then drops them (aux1 = aux2 = None). The builder's default, GoogLeNet(aux_logits=True)\n"
        "without weights, has 13,004,888: aux1 3,188,968 and aux2 3,191,016 more. The branch torchvision calls\n"
        "5x5 is a 3x3 convolution (kept so the weights load).",
    )
    text += head("GoogLeNet", "Szegedy et al. 2015, Going Deeper with Convolutions, Table 1", "googlenet", count)
    text += """modules:
  basic_conv:              # BasicConv2d: conv without bias, batch norm (eps 0.001), ReLU
    args: {out: null, kernel: 1, stride: 1}
    layers:
      - {conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", bias: false}, name: conv}
      - {batchnorm2d: null, name: bn}
      - relu
  inception:               # four branches on the same input, concatenated along channels
    args: {c1: null, r3: null, c3: null, r5: null, c5: null, pool: null}
    branches: true
    layers:
      - {basic_conv: $c1, name: branch1}
      - {name: branch2, layers: [{basic_conv: $r3}, {basic_conv: {out: $c3, kernel: 3}}]}
      - {name: branch3, layers: [{basic_conv: $r5}, {basic_conv: {out: $c5, kernel: 3}}]}
      - {name: branch4, layers: [{maxpool2d: {kernel: 3, stride: 1, padding: 1, ceil_mode: true}}, {basic_conv: $pool}]}
layers:
  - {basic_conv: {out: 64, kernel: 7, stride: 2}, name: conv1}
  - {maxpool2d: {kernel: 3, stride: 2, ceil_mode: true}, name: maxpool1}
  - {basic_conv: {out: 64}, name: conv2}
  - {basic_conv: {out: 192, kernel: 3}, name: conv3}
  - {maxpool2d: {kernel: 3, stride: 2, ceil_mode: true}, name: maxpool2}
"""
    for row in GOOG:
        if len(row) == 2:
            text += f"  - {{maxpool2d: {{kernel: {row[1]}, stride: 2, ceil_mode: true}}, name: {row[0]}}}\n"
            continue
        name, c1, r3, c3, r5, c5, pp = row
        args = f"c1: {c1}, r3: {r3}, c3: {c3}, r5: {r5}, c5: {c5}, pool: {pp}"
        text += f"  - {{inception: {{{args}}}, name: {name}}}\n"
    text += """  - {adaptive_avgpool2d: 1, name: avgpool}
  - flatten
  - {dropout: null, name: dropout}
  - {linear: 1000, name: fc}
"""
    return text


# --- MNASNet -------------------------------------------------------------------------------------

MNAS = {"0_5": 2_218_512, "0_75": 3_170_208, "1_0": 4_383_312, "1_3": 6_282_256}


def mnasnet(alpha_name: str) -> str:
    count = MNAS[alpha_name]
    alpha = float(alpha_name.replace("_", "."))
    d = [make_div(x * alpha) for x in (32, 16, 24, 40, 80, 96, 192, 320)]
    builder = f"mnasnet{alpha_name}"
    name = f"MNASNet {alpha_name.replace('_', '.')}"
    text = header(
        name,
        builder,
        count,
        f"Depth multiplier {alpha}: stage widths {d} (_round_to_multiple_of(c x {alpha}, 8)).",
    )
    text += head(name, "Tan et al. 2019, MnasNet, Figure 7", builder, count)
    text += """modules:
  conv_bn:                 # conv without bias, batch norm
    args: {out: null, kernel: 1, stride: 1, groups: 1}
    layers:
      - conv2d: {out: $out, kernel: $kernel, stride: $stride, padding: "$kernel // 2", groups: $groups, bias: false}
      - batchnorm2d
  inverted:                # _InvertedResidual: expand 1x1, depthwise k x k, project 1x1 (+ x where it fits)
    args: {expansion: null, kernel: null, out: null, stride: 1}
    residual: same_shape
    layers:
      - {conv_bn: {out: "in * $expansion"}}
      - relu
      - {conv_bn: {out: in, kernel: $kernel, stride: $stride, groups: in}}
      - relu
      - {conv_bn: {out: $out}}
layers:
  - name: layers
    layers:
"""
    text += f"      - {{conv_bn: {{out: {d[0]}, kernel: 3, stride: 2}}}}\n      - relu\n"
    text += f"      - {{conv_bn: {{out: {d[0]}, kernel: 3, groups: {d[0]}}}}}\n      - relu\n"
    text += f"      - {{conv_bn: {{out: {d[1]}}}}}\n"
    for out, k, e, n, s in [(d[2], 3, 3, 3, 2), (d[3], 5, 3, 3, 2), (d[4], 5, 6, 3, 2), (d[5], 3, 6, 2, 1)]:
        first = f", first: {{stride: {s}}}" if s > 1 else ""
        text += f"      - {{repeat: {n}, layer: {{inverted: {{expansion: {e}, kernel: {k}, out: {out}}}}}{first}}}\n"
    for out, k, e, n, s in [(d[6], 5, 6, 4, 2), (d[7], 3, 6, 1, 1)]:
        first = f", first: {{stride: {s}}}" if s > 1 else ""
        text += f"      - {{repeat: {n}, layer: {{inverted: {{expansion: {e}, kernel: {k}, out: {out}}}}}{first}}}\n"
    text += """      - {conv_bn: {out: 1280}}
      - relu
  - {adaptive_avgpool2d: 1}         # torchvision: x.mean([2, 3])
  - flatten
  - name: classifier
    layers: [dropout, {linear: 1000}]
"""
    return text


# --- ViT-B/16 ------------------------------------------------------------------------------------


def vit_b_16() -> str:
    count = 86_567_656
    text = header(
        "ViT-B/16",
        "vit_b_16",
        count,
        "At image_size 224 (the IMAGENET1K_V1 and SWAG_LINEAR weights); the SWAG_E2E weights use 384, whose\n"
        "larger position table gives 86,859,496. torchvision's ViT has no pooler: heads is one Linear on the\n"
        "class token (HuggingFace's ViTModel, the preset vit-base-16, has a pooler and no head: 86,389,248).",
    )
    text += head("ViT-B/16 (torchvision)", "Dosovitskiy et al. 2021, ViT, Table 1", "vit_b_16", count)
    text += """modules:
  attention:               # ln_1, self-attention (nn.MultiheadAttention: in_proj 3D x D + 3D, out_proj D x D + D); + x
    residual: true
    layers: [{layernorm: null, name: ln_1}, {multihead_attention: {heads: 12}, name: self_attention}, dropout]
  mlp:                     # ln_2, MLPBlock: Linear(D, 3072), GELU, Linear(3072, D); + x
    residual: true
    layers: [{layernorm: null, name: ln_2}, {linear: 3072}, gelu, dropout, {linear: 768}, dropout]
layers:
  - {conv2d: {out: 768, kernel: 16, stride: 16}, name: conv_proj}   # 14 x 14 patches
  - {flatten: {start: 1}}
  - {permute: [1, 0]}                                               # 196 tokens of 768
  - {class_token: null, name: class_token}                          # 197 tokens
  - name: encoder
    layers:
      - {position_embedding: null, name: pos_embedding}
      - dropout
      - {repeat: 12, layers: [attention, mlp], name: layers}
      - {layernorm: null, name: ln}
  - {chunk: 197}           # x[:, 0]: the class token (the first of 197 rows)
  - flatten
  - {name: heads, layers: [{linear: 1000, name: head}]}
"""
    return text


# --- Keras Applications --------------------------------------------------------------------------


def keras_resnet50() -> str:
    return """# Keras Applications' ResNet50 (keras 3.15.1, keras.applications.ResNet50(weights=None)): torchvision's
# resnet50 with two differences. Its convolutions keep their bias (use_bias=True) in front of each batch
# norm: + 26,560, one per output channel of the 53 convolutions. And Keras reports the batch norms'
# moving mean and variance (53,120) as non-trainable weights, so model.count_params() is 25,636,712
# = 25,583,592 trainable + 53,120 non-trainable. paramcalc counts what training learns, the trainable
# 25,583,592; the moving statistics are buffers here, as in torch. It is Keras' v1 layout too: the
# stride sits on the first 1x1 convolution of a stage, not on the 3x3 (no count changes).
name: ResNet-50 (Keras)
source: "Keras Applications ResNet50 (keras 3.15.1): 25,583,592 trainable parameters (count_params 25,636,712)"
architecture: sequential
input: [3, 224, 224]
modules:
  bottleneck:              # keras' block1: 1x1 (stride), 3x3, 1x1 (x4), each conv with bias, then BN
    args: {width: null, stride: 1}
    layers:
      - {conv2d: {out: $width, kernel: 1, stride: $stride}, name: conv1}
      - {batchnorm2d: null, name: bn1}
      - relu
      - {conv2d: {out: $width, kernel: 3, padding: 1}, name: conv2}
      - {batchnorm2d: null, name: bn2}
      - relu
      - {conv2d: {out: "$width * 4", kernel: 1}, name: conv3}
      - {batchnorm2d: null, name: bn3}
    shortcut:              # conv_shortcut: a 1x1 conv with bias and BN where the shape changes
      - conv2d: {out: "$width * 4", kernel: 1, stride: $stride}
      - batchnorm2d
layers:
  - {conv2d: {out: 64, kernel: 7, stride: 2, padding: 3}, name: conv1_conv}
  - {batchnorm2d: null, name: conv1_bn}
  - relu
  - {maxpool2d: {kernel: 3, stride: 2, padding: 1}, name: pool1}
  - {name: conv2, repeat: 3, layer: {bottleneck: {width: 64}}}
  - {name: conv3, repeat: 4, layer: {bottleneck: {width: 128}}, first: {stride: 2}}
  - {name: conv4, repeat: 6, layer: {bottleneck: {width: 256}}, first: {stride: 2}}
  - {name: conv5, repeat: 3, layer: {bottleneck: {width: 512}}, first: {stride: 2}}
  - {adaptive_avgpool2d: 1, name: avg_pool}
  - flatten
  - {linear: 1000, name: predictions}
"""


def presets() -> dict[str, str]:
    out = {b: resnet(b) for b in RESNET}
    out |= {b: vgg(b) for base in VGG for b in (base, base + "_bn")}
    out["alexnet"] = alexnet()
    out |= {f"squeezenet{v}": squeezenet(v) for v in ("1_0", "1_1")}
    out["mobilenet_v2"] = mobilenet_v2()
    out |= {f"mobilenet_v3_{k}": mobilenet_v3(k) for k in ("small", "large")}
    out |= {f"efficientnet_{v}": efficientnet(v) for v in EFF}
    out |= {b: densenet(b) for b in DENSE}
    out |= {f"convnext_{s}": convnext(s) for s in CONVNEXT}
    out |= {f"shufflenet_v2_{s}": shufflenet(s) for s in SHUFFLE}
    out |= {b: regnet(b) for b in REGNET}
    out["googlenet"] = googlenet()
    out |= {f"mnasnet{a}": mnasnet(a) for a in MNAS}
    out["vit_b_16"] = vit_b_16()
    out["keras-resnet50"] = keras_resnet50()
    return out


if __name__ == "__main__":
    for stem, text in presets().items():
        (CONFIGS / f"{stem}.yaml").write_text(text, encoding="utf-8")
    print(f"wrote {len(presets())} presets to {CONFIGS}")
