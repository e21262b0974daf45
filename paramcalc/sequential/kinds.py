"""Every layer kind of the layer-list language: its arguments, output shape, tensors and MACs.

PyTorch's semantics and parameter layout throughout (torch.nn, 2.x): a layer's weight and bias
are the tensors its module registers as parameters; running statistics are buffers. Shapes
leave the batch out: ``(C, H, W)`` for images, ``(C, L)`` for conv1d, ``(C, D, H, W)`` for conv3d,
``(F,)`` for features, ``(L, F)`` for sequences and ``(L,)`` for token ids.

MACs are multiply-accumulates per example; net.py reports FLOPs = 2 x MACs (fvcore's and
torchinfo's convention for convolutions, linear layers and attention). Bias adds, norms,
activations, pools and lookups are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from paramcalc.errors import show, suggest
from paramcalc.sequential.spec import MAX_SIZE, Value, evaluate, parse_expression

WEIGHT = "weight"
BIAS = "bias"

Shape = tuple[int, ...]
Factors = tuple[tuple[str, int], ...]


class Tensor(NamedTuple):
    """One parameter tensor of a layer: `part` (weight, bias, weight_ih_l0, ...), WEIGHT or
    BIAS (a norm's shift counts as a bias, its gain as a weight, as elsewhere in paramcalc)."""

    part: str
    kind: str
    factors: Factors

    @property
    def size(self) -> int:
        n = 1
        for _, v in self.factors:
            n *= v
        return n


class Leaf(NamedTuple):
    """What one layer does to the shape, and what it holds."""

    shape: Shape
    tensors: tuple[Tensor, ...] = ()
    macs: int = 0
    buffers: int = 0  # running statistics (not parameters: not learned by gradient descent)
    equation: str = ""  # what --explain writes: the equation each parameter enters


class Args:
    """A layer's arguments, evaluated on demand in the module's environment; after the layer
    is built, `leftover` names any argument it did not read (a typo)."""

    def __init__(self, given: tuple[tuple[str, Value], ...], env: dict[str, Value], arriving: int | None) -> None:
        self.given = dict(given)
        self.env = env
        self.arriving = arriving
        self.read: set[str] = set()

    def _raw(self, name: str, default: Value) -> Value:
        self.read.add(name)
        value = self.given.get(name, default)
        if isinstance(value, str) and value.startswith("$") and value[1:].isidentifier():
            if value[1:] not in self.env:
                evaluate(("$", value[1:]), self.env, None)  # raises with the arguments known
            value = self.env[value[1:]]
        return value

    def _number(self, name: str, value: Value) -> int:
        if isinstance(value, str):
            try:
                value = evaluate(parse_expression(value), self.env, self.arriving)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        if type(value) is not int:
            raise ValueError(f"{name}: must be a whole number, not {show(value)}")
        return value

    def whole(self, name: str, default: Value = None, minimum: int = 1) -> int:
        value = self._raw(name, default)
        if value is None:
            raise ValueError(f"needs {name}")
        n = self._number(name, value)
        if not minimum <= n <= MAX_SIZE:
            raise ValueError(f"{name}: must be at least {minimum}, not {n}")
        return n

    def optional(self, name: str) -> int | None:
        return None if self.given.get(name) is None else self.whole(name)

    def wholes(self, name: str, n: int, default: Value = None, minimum: int = 1) -> tuple[int, ...]:
        """An int for every spatial dimension, or a list of n of them."""
        value = self._raw(name, default)
        if value is None:
            raise ValueError(f"needs {name}")
        if isinstance(value, tuple):
            if len(value) != n:
                raise ValueError(f"{name}: {len(value)} values for {n} spatial dimensions")
            values = tuple(self._number(name, v) for v in value)
        else:
            values = (self._number(name, value),) * n
        if any(not minimum <= v <= MAX_SIZE for v in values):
            raise ValueError(f"{name}: must be at least {minimum}, not {show(value)}")
        return values

    def flag(self, name: str, default: bool) -> bool:
        value = self._raw(name, default)
        if value is not True and value is not False:
            raise ValueError(f"{name}: must be true or false, not {show(value)}")
        return value

    def word(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._raw(name, default)
        if not isinstance(value, str) or value.lower() not in choices:
            raise ValueError(f"{name}: one of {', '.join(choices)}, not {show(value)}")
        return value.lower()

    def rate(self, name: str, default: float) -> float:
        value = self._raw(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{name}: a number from 0 to 1, not {show(value)}")
        return float(value)

    def leftover(self) -> str | None:
        for name in self.given:
            if name not in self.read:
                return f"unknown argument {name!r}{suggest(name, sorted(self.read))}"
        return None


Build = Callable[[Args, Shape], Leaf]
KINDS: dict[str, Build] = {}
PRIMARY: dict[str, str] = {}  # the argument a bare value gives: `linear: 10` is out 10


def kind(*names: str, primary: str = "") -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        for name in names:
            KINDS[name] = build
            if primary:
                PRIMARY[name] = primary
        return build

    return register


def _dims(shape: Shape, n: int, what: str) -> None:
    if len(shape) != n + 1:
        layout = {1: "[channels, length]", 2: "[channels, height, width]", 3: "[channels, depth, height, width]"}
        raise ValueError(f"{what} takes {layout[n]}, and {list(shape)} arrives")


def _check_in(a: Args, arriving: int, what: str = "input channels") -> None:
    expected = a.optional("in")
    if expected is not None and expected != arriving:
        raise ValueError(f"{expected} {what} expected, {arriving} arrive")


def _prod(values: tuple[int, ...]) -> int:
    n = 1
    for v in values:
        n *= v
    return n


def _size(value: int, what: str) -> int:
    if value < 1:
        raise ValueError(f"the {what} comes out {value}: the input is too small for this kernel and stride")
    if value > MAX_SIZE:
        raise ValueError(f"the {what} comes out larger than {MAX_SIZE:.0e}")
    return value


# --- linear and convolutions ---------------------------------------------------------------


@kind("linear", "dense", primary="out")
def _linear(a: Args, shape: Shape) -> Leaf:
    # nn.Linear(in, out): weight (out, in), bias (out); applied to the last dimension
    d_in = shape[-1]
    a.arriving = d_in
    _check_in(a, d_in, "input features")
    out = a.whole("out")
    bias = a.flag("bias", True)
    tensors = [Tensor(WEIGHT, WEIGHT, (("out", out), ("in", d_in)))]
    if bias:
        tensors.append(Tensor(BIAS, BIAS, (("out", out),)))
    rows = _prod(shape[:-1])
    plus = " + 1 bias" if bias else ""
    eq = f"y_j = sum_i w(j,i) x_i{' + b_j' if bias else ''}: {out} units, each {d_in} weights{plus}"
    return Leaf((*shape[:-1], out), tuple(tensors), rows * d_in * out, 0, eq)


def _conv(n: int, transpose: bool) -> Build:
    def build(a: Args, shape: Shape) -> Leaf:
        what = f"conv{'_transpose' if transpose else ''}{n}d"
        _dims(shape, n, what)
        c_in, spatial = shape[0], shape[1:]
        a.arriving = c_in
        _check_in(a, c_in)
        out = a.whole("out")
        kernel = a.wholes("kernel", n)
        stride = a.wholes("stride", n, 1)
        dilation = a.wholes("dilation", n, 1)
        groups = a.whole("groups", 1)
        bias = a.flag("bias", True)
        raw_padding = a._raw("padding", 0)
        if c_in % groups or out % groups:
            raise ValueError(f"groups {groups} must divide the {c_in} input and {out} output channels")
        if isinstance(raw_padding, str) and raw_padding.lower() in ("same", "valid"):
            if transpose:
                raise ValueError("padding: a transposed convolution takes numbers")
            if raw_padding.lower() == "same" and stride != (1,) * n:
                raise ValueError("padding 'same' needs stride 1 (as in PyTorch)")
            pads = tuple(d * (k - 1) for d, k in zip(dilation, kernel)) if raw_padding.lower() == "same" else (0,) * n
            total = pads  # 'same': total padding d(k-1), split over both sides
        else:
            pads = a.wholes("padding", n, 0, minimum=0)
            total = tuple(2 * p for p in pads)
        if transpose:
            extra = a.wholes("output_padding", n, 0, minimum=0)
            sizes = tuple(
                _size((L - 1) * s - t + d * (k - 1) + e + 1, "output size")
                for L, s, t, d, k, e in zip(spatial, stride, total, dilation, kernel, extra)
            )
            # nn.ConvTranspose: weight (in, out / groups, *kernel)
            factors: Factors = (("in", c_in), ("out/groups", out // groups), *_kernel(kernel))
            macs = c_in * (out // groups) * _prod(kernel) * _prod(spatial)
        else:
            # floor((L + 2p - d(k-1) - 1) / s) + 1 (torch.nn.Conv2d's shape formula)
            sizes = tuple(
                _size((L + t - d * (k - 1) - 1) // s + 1, "output size")
                for L, s, t, d, k in zip(spatial, stride, total, dilation, kernel)
            )
            # nn.Conv: weight (out, in / groups, *kernel)
            factors = (("out", out), ("in/groups", c_in // groups), *_kernel(kernel))
            macs = out * (c_in // groups) * _prod(kernel) * _prod(sizes)
            pairs = a.optional("connections")
            if pairs is not None:  # LeNet-5's C3: a table connects some (input, output) map pairs only
                if groups != 1 or pairs > out * c_in:
                    raise ValueError(f"connections {pairs}: at most {out} x {c_in} map pairs, without groups")
                factors = (("connections", pairs), *_kernel(kernel))
                macs = pairs * _prod(kernel) * _prod(sizes)
        tensors = [Tensor(WEIGHT, WEIGHT, factors)]
        if bias:
            tensors.append(Tensor(BIAS, BIAS, (("out", out),)))
        k = "x".join(map(str, kernel))
        per = (c_in // groups) if not transpose else (out // groups)
        eq = (
            f"each of {out} filters: {k} x {per} {'input' if not transpose else 'output'} channels = "
            f"{_prod(kernel) * per} weights{' + 1 bias' if bias else ''}, slid over the input"
        )
        if groups > 1:
            eq += f" ({groups} groups{', depthwise' if groups == c_in else ''})"
        return Leaf((out, *sizes), tuple(tensors), macs, 0, eq)

    return build


def _kernel(kernel: tuple[int, ...]) -> Factors:
    names = {1: ("k",), 2: ("k_h", "k_w"), 3: ("k_d", "k_h", "k_w")}[len(kernel)]
    return tuple(zip(names, kernel))


for _n in (1, 2, 3):
    KINDS[f"conv{_n}d"] = _conv(_n, False)
    KINDS[f"conv_transpose{_n}d"] = _conv(_n, True)

# --- norms ----------------------------------------------------------------------------------


def _batchnorm(a: Args, shape: Shape) -> Leaf:
    # nn.BatchNorm: weight (gamma) and bias (beta) of C, learned; running_mean, running_var (C
    # each) and num_batches_tracked (1) are buffers, updated by the forward pass, not learned
    c = shape[0]
    a.arriving = c
    _check_in(a, c, "channels")
    affine = a.flag("affine", True)
    track = a.flag("track_running_stats", True)
    a.rate("momentum", 0.1)
    a.rate("eps", 1e-5)
    tensors = (Tensor(WEIGHT, WEIGHT, (("channels", c),)), Tensor(BIAS, BIAS, (("channels", c),))) if affine else ()
    eq = (
        "y_c = gamma_c * (x_c - mean_c) / sqrt(var_c + eps) + beta_c: gamma and beta learned per channel"
        if affine
        else "y_c = (x_c - mean_c) / sqrt(var_c + eps): nothing learned (affine false)"
    )
    if track:
        eq += f"; running mean and variance ({2 * c:,}) and num_batches_tracked are buffers, not parameters"
    return Leaf(shape, tensors, 0, 2 * c + 1 if track else 0, eq)


for _name in ("batchnorm", "batchnorm1d", "batchnorm2d", "batchnorm3d"):
    KINDS[_name] = _batchnorm


@kind("layernorm")
def _layernorm(a: Args, shape: Shape) -> Leaf:
    # nn.LayerNorm(normalized_shape): weight and bias of that shape (the last `dims` dimensions)
    dims = a.whole("dims", 1)
    if dims > len(shape):
        raise ValueError(f"dims {dims}: the input {list(shape)} has {len(shape)}")
    affine = a.flag("elementwise_affine", True)
    bias = a.flag("bias", True) and affine
    a.rate("eps", 1e-5)
    size = _prod(shape[-dims:])
    tensors = []
    if affine:
        tensors.append(Tensor(WEIGHT, WEIGHT, (("normalized", size),)))
    if bias:
        tensors.append(Tensor(BIAS, BIAS, (("normalized", size),)))
    learned = (" * gamma" if affine else "") + (" + beta" if bias else "")
    eq = f"y = (x - mean) / sqrt(var + eps){learned} over the last {dims} dims"
    return Leaf(shape, tuple(tensors), 0, 0, eq)


@kind("groupnorm", primary="groups")
def _groupnorm(a: Args, shape: Shape) -> Leaf:
    # nn.GroupNorm(groups, C, affine): weight and bias of C
    c = shape[0]
    groups = a.whole("groups")
    affine = a.flag("affine", True)
    a.rate("eps", 1e-5)
    if c % groups:
        raise ValueError(f"groups {groups} must divide the {c} channels")
    tensors = (Tensor(WEIGHT, WEIGHT, (("channels", c),)), Tensor(BIAS, BIAS, (("channels", c),))) if affine else ()
    return Leaf(
        shape, tensors, 0, 0, f"normalised over {groups} groups of {c // groups} channels; gamma, beta per channel"
    )


# --- embeddings, recurrent layers, attention ----------------------------------------------------


@kind("embedding")
def _embedding(a: Args, shape: Shape) -> Leaf:
    # nn.Embedding(vocab, dim): weight (vocab, dim); a lookup, no MACs
    if len(shape) != 1:
        raise ValueError(f"takes token ids, [length], and {list(shape)} arrives")
    vocab, dim = a.whole("vocab"), a.whole("dim")
    tensor = Tensor(WEIGHT, WEIGHT, (("vocab", vocab), ("dim", dim)))
    return Leaf((shape[0], dim), (tensor,), 0, 0, f"row t of the {vocab} x {dim} table is token t's vector")


GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _recurrent(gates: int, what: str) -> Build:
    def build(a: Args, shape: Shape) -> Leaf:
        if len(shape) != 2:
            raise ValueError(f"takes a sequence, [length, features], and {list(shape)} arrives")
        length, features = shape
        a.arriving = features
        _check_in(a, features, "input features")
        hidden = a.whole("hidden")
        layers = a.whole("layers", 1)
        directions = 2 if a.flag("bidirectional", False) else 1
        bias = a.flag("bias", True)
        style = a.word("bias_style", ("pytorch", "keras"), "pytorch")
        # Keras' GRU with reset_after (its default since TF 2) keeps an input and a recurrent bias,
        # as PyTorch does; without it one. Keras' SimpleRNN and LSTM keep one bias vector.
        reset_after = a.flag("reset_after", True) if what == "gru" and style == "keras" else True
        sequences = a.flag("sequences", True)
        g = gates * hidden
        tensors: list[Tensor] = []
        macs = 0
        two = style == "pytorch" or (what == "gru" and reset_after)
        for layer in range(layers):
            d_in = features if layer == 0 else directions * hidden
            for direction in range(directions):
                suffix = f"_l{layer}{'_reverse' if direction else ''}"
                gate = ("gates x hidden", g)
                tensors += [
                    Tensor(f"weight_ih{suffix}", WEIGHT, (gate, ("in", d_in))),
                    Tensor(f"weight_hh{suffix}", WEIGHT, (gate, ("hidden", hidden))),
                ]
                if bias:
                    tensors.append(Tensor(f"bias_ih{suffix}", BIAS, (gate,)))
                    if two:
                        tensors.append(Tensor(f"bias_hh{suffix}", BIAS, (gate,)))
                macs += length * g * (d_in + hidden)
        out = directions * hidden
        eq = (
            f"h_t = f(W_ih x_t + W_hh h_(t-1) + b) for each of {gates} gate{'s' if gates > 1 else ''}: "
            + ("two bias vectors (b_ih, b_hh)" if bias and two else "one bias vector" if bias else "no bias")
            + " per gate set"
        )
        return Leaf((length, out) if sequences else (out,), tuple(tensors), macs, 0, eq)

    return build


for _name, _gates in GATES.items():
    KINDS[_name] = _recurrent(_gates, _name)


@kind("multihead_attention", "attention")
def _attention(a: Args, shape: Shape) -> Leaf:
    # nn.MultiheadAttention(E, heads, bias, kdim, vdim): in_proj_weight (3E, E) when kdim = vdim
    # = E, else q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim);
    # in_proj_bias (3E); out_proj (E, E) + bias (E); add_bias_kv: bias_k, bias_v (E each)
    if len(shape) != 2:
        raise ValueError(f"takes a sequence, [length, embed dim], and {list(shape)} arrives")
    length, e = shape
    heads = a.whole("heads")
    if e % heads:
        raise ValueError(f"heads {heads} must divide the embed dim {e}")
    bias = a.flag("bias", True)
    out_bias = a.flag("out_bias", bias)  # diffusers' Attention: to_q/k/v without bias, to_out with
    kdim, vdim = a.whole("kdim", e), a.whole("vdim", e)
    kv = a.whole("kv_length", length)
    add_bias_kv = a.flag("add_bias_kv", False)
    tensors: list[Tensor] = []
    if kdim == e and vdim == e:
        tensors.append(Tensor("in_proj_weight", WEIGHT, (("3", 3), ("embed", e), ("embed", e))))
    else:
        tensors += [
            Tensor("q_proj_weight", WEIGHT, (("embed", e), ("embed", e))),
            Tensor("k_proj_weight", WEIGHT, (("embed", e), ("kdim", kdim))),
            Tensor("v_proj_weight", WEIGHT, (("embed", e), ("vdim", vdim))),
        ]
    if bias:
        tensors.append(Tensor("in_proj_bias", BIAS, (("3", 3), ("embed", e))))
    if add_bias_kv:
        tensors += [Tensor("bias_k", BIAS, (("embed", e),)), Tensor("bias_v", BIAS, (("embed", e),))]
    tensors.append(Tensor("out_proj.weight", WEIGHT, (("embed", e), ("embed", e))))
    if out_bias:
        tensors.append(Tensor("out_proj.bias", BIAS, (("embed", e),)))
    # q and out projections over the queries, k and v over the keys; QK^T and the weighted sum
    macs = length * e * e * 2 + kv * e * (kdim + vdim) + 2 * length * kv * e
    eq = f"softmax(Q K^T / sqrt({e // heads})) V over {heads} heads; Q, K, V and the output: learned projections"
    return Leaf(shape, tuple(tensors), macs, 0, eq)


# --- learned tables a ViT prepends and adds ------------------------------------------------------


@kind("class_token", primary="tokens")
def _class_token(a: Args, shape: Shape) -> Leaf:
    # torchvision ViT's class_token (1, 1, D): prepended to the sequence
    if len(shape) != 2:
        raise ValueError(f"takes a sequence, [length, features], and {list(shape)} arrives")
    n = a.whole("tokens", 1)
    return Leaf((shape[0] + n, shape[1]), (Tensor(WEIGHT, WEIGHT, (("tokens", n), ("dim", shape[1]))),))


@kind("position_embedding")
def _position_embedding(a: Args, shape: Shape) -> Leaf:
    # a learned table of the whole input's shape, added (torchvision ViT's pos_embedding)
    factors = tuple((f"d{i}", d) for i, d in enumerate(shape))
    return Leaf(shape, (Tensor(WEIGHT, WEIGHT, factors),), 0, 0, "a learned vector added at every position")


@kind("layer_scale")
def _layer_scale(a: Args, shape: Shape) -> Leaf:
    # ConvNeXt's layer_scale (C, 1, 1): one learned factor per channel (dimension 0)
    return Leaf(shape, (Tensor(WEIGHT, WEIGHT, (("channels", shape[0]),)),), 0, 0, "y_c = gamma_c x_c")


@kind("scale")
def _scale(a: Args, shape: Shape) -> Leaf:
    # LeNet-5's subsampling units: y_c = w_c * x_c + b_c, one trainable coefficient and bias per map
    bias = a.flag("bias", True)
    c = shape[0]
    tensors = [Tensor(WEIGHT, WEIGHT, (("channels", c),))]
    if bias:
        tensors.append(Tensor(BIAS, BIAS, (("channels", c),)))
    return Leaf(shape, tuple(tensors), 0, 0, "y_c = w_c x_c + b_c: a coefficient and a bias per channel")


@kind("rbf", primary="out")
def _rbf(a: Args, shape: Shape) -> Leaf:
    # LeNet-5's output layer: Euclidean radial basis units y_i = sum_j (x_j - w_ij)^2 (LeCun et
    # al. 1998, Section II.B); their parameter vectors "were chosen by hand and kept fixed": not
    # learned, so buffers here unless trainable
    if len(shape) != 1:
        raise ValueError(f"takes features, [features], and {list(shape)} arrives")
    out = a.whole("out")
    factors = (("out", out), ("in", shape[0]))
    if a.flag("trainable", False):
        return Leaf((out,), (Tensor(WEIGHT, WEIGHT, factors),), out * shape[0], 0, "y_i = sum_j (x_j - w_ij)^2")
    eq = f"y_i = sum_j (x_j - w_ij)^2 with {out} x {shape[0]} fixed codes (not trained: buffers, not parameters)"
    return Leaf((out,), (), out * shape[0], out * shape[0], eq)


# --- parameter-free ------------------------------------------------------------------------


def _free(a: Args, shape: Shape) -> Leaf:
    for name in ("p", "inplace", "negative_slope", "alpha", "approximate", "dim"):
        if name in a.given:
            a.read.add(name)
    return Leaf(shape)


ACTIVATIONS = (
    "relu",
    "relu6",
    "gelu",
    "silu",
    "swish",
    "tanh",
    "sigmoid",
    "softmax",
    "hardswish",
    "hardsigmoid",
    "leaky_relu",
    "elu",
    "mish",
    "dropout",
    "identity",
    "add",
)
for _name in ACTIVATIONS:
    KINDS[_name] = _free


def _pool(n: int, op: str) -> Build:
    def build(a: Args, shape: Shape) -> Leaf:
        _dims(shape, n, f"{op}pool{n}d")
        kernel = a.wholes("kernel", n)
        stride = a.wholes("stride", n, a.given.get("kernel"))
        pads = a.wholes("padding", n, 0, minimum=0)
        dilation = a.wholes("dilation", n, 1) if op == "max" else (1,) * n
        ceil = a.flag("ceil_mode", False)
        if op == "avg":
            a.flag("count_include_pad", True)
        sizes = []
        for L, k, s, p, d in zip(shape[1:], kernel, stride, pads, dilation):
            if 2 * p > k:
                raise ValueError(f"padding {p} must be at most half the kernel {k}")
            span = L + 2 * p - d * (k - 1) - 1
            size = (span + (s - 1 if ceil else 0)) // s + 1
            if ceil and (size - 1) * s >= L + p:  # PyTorch: the last window must start inside the input
                size -= 1
            sizes.append(_size(size, "output size"))
        return Leaf((shape[0], *sizes))

    return build


def _adaptive(n: int) -> Build:
    def build(a: Args, shape: Shape) -> Leaf:
        _dims(shape, n, f"adaptive pool {n}d")
        return Leaf((shape[0], *a.wholes("output", n, 1)))

    return build


for _n in (1, 2, 3):
    KINDS[f"maxpool{_n}d"] = _pool(_n, "max")
    KINDS[f"avgpool{_n}d"] = _pool(_n, "avg")
    KINDS[f"adaptive_avgpool{_n}d"] = _adaptive(_n)
    KINDS[f"adaptive_maxpool{_n}d"] = _adaptive(_n)
    PRIMARY[f"adaptive_avgpool{_n}d"] = PRIMARY[f"adaptive_maxpool{_n}d"] = "output"
    PRIMARY[f"maxpool{_n}d"] = PRIMARY[f"avgpool{_n}d"] = "kernel"


@kind("flatten")
def _flatten(a: Args, shape: Shape) -> Leaf:
    # nn.Flatten: dimensions start .. end (of the example, without the batch: torch's start_dim - 1)
    start, end = a.whole("start", 0, minimum=0), a.whole("end", len(shape) - 1, minimum=0)
    if not start <= end < len(shape):
        raise ValueError(f"start {start} and end {end} must be dimensions of {list(shape)}, in order")
    return Leaf((*shape[:start], _size(_prod(shape[start : end + 1]), "flattened size"), *shape[end + 1 :]))


@kind("chunk", primary="chunks")
def _chunk(a: Args, shape: Shape) -> Leaf:
    # x.chunk(chunks, dim=0 of the example): the first piece, ceil(C / chunks) channels
    # (ShuffleNetV2's channel split: one half kept, the other through the branch)
    chunks = a.whole("chunks")
    if chunks > shape[0]:
        raise ValueError(f"chunks {chunks}: more than the {shape[0]} channels")
    return Leaf((-(-shape[0] // chunks), *shape[1:]))


@kind("permute", primary="dims")
def _permute(a: Args, shape: Shape) -> Leaf:
    dims = a._raw("dims", None)
    if not isinstance(dims, tuple) or sorted(dims) != list(range(len(shape))):
        raise ValueError(f"dims: a permutation of 0..{len(shape) - 1}, not {show(dims)}")
    return Leaf(tuple(shape[d] for d in dims))


@kind("reshape", primary="shape")
def _reshape(a: Args, shape: Shape) -> Leaf:
    new = a.wholes("shape", len(a.given.get("shape") or ()) or 1)
    if _prod(new) != _prod(shape):
        raise ValueError(f"shape {list(new)} does not hold the {_prod(shape):,} values of {list(shape)}")
    return Leaf(new)


# --- diffusion models (diffusers): a second input, a U-Net's skip, upsampling, gates -----------


@kind("side_linear", primary="out")
def _side_linear(a: Args, shape: Shape) -> Leaf:
    # nn.Linear(features, out) on a second input: a U-Net resnet's time_emb_proj on the timestep
    # embedding, an AdaLN modulation, a joint block's text-stream projections. Its output is added
    # to (or scales and shifts) the main path, whose shape it leaves unchanged.
    features, out = a.whole("features"), a.whole("out")
    length = a.whole("length", 1)  # the second input's tokens (1: one embedding vector)
    bias = a.flag("bias", True)
    tensors = [Tensor(WEIGHT, WEIGHT, (("out", out), ("features", features)))]
    if bias:
        tensors.append(Tensor(BIAS, BIAS, (("out", out),)))
    eq = f"a linear layer on a second input of {features} features: {out} units, each {features} weights"
    return Leaf(shape, tuple(tensors), length * features * out, 0, eq + (" + 1 bias" if bias else ""))


@kind("skip", primary="channels")
def _skip(a: Args, shape: Shape) -> Leaf:
    # a U-Net's skip connection: `channels` saved by an earlier block, concatenated along `dim`
    # (0: an image's channels; 1: a sequence's features); torch.cat, nothing learned
    channels, dim = a.whole("channels"), a.whole("dim", 0, minimum=0)
    if dim >= len(shape):
        raise ValueError(f"dim {dim}: the input {list(shape)} has {len(shape)} dimensions")
    return Leaf((*shape[:dim], shape[dim] + channels, *shape[dim + 1 :]))


@kind("upsample", primary="scale")
def _upsample(a: Args, shape: Shape) -> Leaf:
    # nn.Upsample(scale_factor, mode="nearest") / F.interpolate: every spatial size times `scale`
    scale = a.whole("scale", 2)
    if len(shape) < 2:
        raise ValueError(f"takes [channels, ...spatial], and {list(shape)} arrives")
    return Leaf((shape[0], *(_size(s * scale, "output size") for s in shape[1:])))


@kind("glu")
def _glu(a: Args, shape: Shape) -> Leaf:
    # nn.GLU / diffusers' GEGLU: the last dimension split in two halves, one gating the other
    a.word("activation", ("sigmoid", "gelu"), "sigmoid")
    if shape[-1] % 2:
        raise ValueError(f"an even last dimension to split in two, not {shape[-1]}")
    return Leaf((*shape[:-1], shape[-1] // 2))


@kind("rmsnorm")
def _rmsnorm(a: Args, shape: Shape) -> Leaf:
    # nn.RMSNorm(normalized_shape): a gain (weight) over the last `dims` dimensions, no shift
    dims = a.whole("dims", 1)
    if dims > len(shape):
        raise ValueError(f"dims {dims}: the input {list(shape)} has {len(shape)}")
    a.rate("eps", 1e-6)
    size = _prod(shape[-dims:])
    eq = f"y = x / sqrt(mean(x^2) + eps) * gamma over the last {dims} dims"
    return Leaf(shape, (Tensor(WEIGHT, WEIGHT, (("normalized", size),)),), 0, 0, eq)


ALL_KINDS = tuple(sorted(KINDS))
