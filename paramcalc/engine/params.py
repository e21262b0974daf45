"""Exact parameter counts: a layout (layout.py) with the config's sizes filled in.

Two ways to fill them in, from the one layout:

- :func:`components` builds a :class:`Term` for each family of tensors, with every factor's
  name and value, so a count can be explained (``--explain``) and shown part by part.
- :func:`count` gives the totals only: a plain loop over the layout's shapes, each a product
  of dimensions, summed into weights, biases, embedding, routed, active and matmul. What a
  layout needs is worked out once per switches (:func:`_plan`: which dimensions, which shape
  goes into which sum); each config then costs one evaluation of each dimension and one
  product per shape. ``sweep`` and ``solve`` count thousands of configs of one layout, at
  over 100,000 configs a second (benchmarks/startup.py).

Counts are Python ints, exact to the last parameter; a test (test_layout.py) checks that
both ways agree.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from paramcalc.config import Config
from paramcalc.engine.layout import (
    BIAS,
    LOOKUP_COMPONENTS,
    WEIGHT,
    ComponentLayout,
    Switches,
    dimension,
    is_embedding,
    layout,
    switches,
)


class Term:
    """One family of identical tensors with its sizes: the product of its factors, e.g.
    layers x d_model x d_ff, each factor a (name, value) pair. ``matmul`` and ``routed`` as in
    :class:`~paramcalc.engine.layout.Shape`. The count is computed once, here.
    """

    __slots__ = ("part", "kind", "factors", "matmul", "routed", "count")

    def __init__(
        self, part: str, kind: str, factors: tuple[tuple[str, int], ...], matmul: bool = False, routed: bool = False
    ) -> None:
        self.part = part
        self.kind = kind
        self.factors = factors
        self.matmul = matmul
        self.routed = routed
        count = 1
        for _, value in factors:
            count *= value
        self.count = count

    def __repr__(self) -> str:
        return f"Term({self.part!r}, {self.kind!r}, {self.factors!r}, count={self.count})"


class Component:
    """A named group of terms (attention, feed_forward, ...) with its totals, computed once."""

    __slots__ = ("name", "terms", "weights", "biases", "params")

    def __init__(self, name: str, terms: tuple[Term, ...]) -> None:
        self.name = name
        self.terms = terms
        weights = biases = 0
        for term in terms:
            if term.kind == BIAS:
                biases += term.count
            else:
                weights += term.count
        self.weights = weights
        self.biases = biases
        self.params = weights + biases

    @property
    def is_embedding(self) -> bool:
        return is_embedding(self.name)

    def __repr__(self) -> str:
        return f"Component({self.name!r}, params={self.params})"


class Counts(NamedTuple):
    """The totals of one config. `embedding`: Kaplan's embedding parameters (token, position
    and type tables, an untied head); `routed`: the parameters of all routed experts (every
    expert of every MoE block; 0 for a dense model); `active`: parameters used per token (a
    routed expert's weights count experts_per_token / experts); `matmul`: the weights among
    them that multiply each token's activations (a tied head's matmul is added by flops.py)."""

    total: int
    weights: int
    biases: int
    embedding: int
    active: int
    matmul: int
    routed: int
    lookup: int  # the input embedding tables (token, position, type): looked up, not multiplied


class Sized(NamedTuple):
    """One shape of a layout, ready to count: its dimensions as positions in Plan.dimensions,
    and the sums it goes into. `repeat` shapes with the same factors and sums are counted once
    and multiplied (q and o, k and v, up and gate are the same size)."""

    dims: tuple[int, ...]
    repeat: int
    bias: bool
    embedding: bool
    matmul: bool
    routed: bool
    lookup: bool


class Plan(NamedTuple):
    """A layout, the dimension names its shapes use, how each is computed, and its shapes."""

    layout: tuple[ComponentLayout, ...]
    names: tuple[str, ...]
    dimensions: tuple[Callable[[Config], int], ...]  # the value of each name, in order
    shapes: tuple[Sized, ...]
    # ALBERT: the matmul shapes of shared blocks, as (dims without shared_layers, repeat); each
    # stored block runs layers / shared_layers times, so their FLOPs are per block x layers
    shared: tuple[tuple[tuple[int, ...], int], ...] = ()


@lru_cache(maxsize=1024)
def _plan(s: Switches) -> Plan:
    """What counting a layout needs, worked out once per switches; every config with the
    same switches reuses it."""
    comps = layout(s)
    names = tuple(dict.fromkeys(n for comp in comps for shape in comp.shapes for n in shape.dims))
    index = {name: i for i, name in enumerate(names)}
    repeats: dict[tuple[tuple[int, ...], bool, bool, bool, bool, bool], int] = {}
    for comp in comps:
        for shape in comp.shapes:
            # The product does not depend on the order of its factors: sort them to merge equal shapes.
            key = (
                tuple(sorted(index[n] for n in shape.dims)),
                shape.kind == BIAS,
                comp.is_embedding,
                shape.matmul,
                shape.routed,
                comp.name.rsplit(".", 1)[-1] in LOOKUP_COMPONENTS,
            )
            repeats[key] = repeats.get(key, 0) + 1
    shapes = tuple(Sized(dims, n, *flags) for (dims, *flags), n in repeats.items())
    shared: tuple[tuple[tuple[int, ...], int], ...] = ()
    if "shared_layers" in index:
        at = index["shared_layers"]
        shared = tuple(
            (tuple(i for i in shape.dims if i != at), shape.repeat)
            for shape in shapes
            if shape.matmul and not shape.bias and at in shape.dims
        )
    return Plan(comps, names, tuple(dimension(n) for n in names), shapes, shared)


def _loose(config: Config) -> int:
    """A composite's named tensors (CLIP's logit_scale, ...): weights of no part."""
    total = 0
    for _, dims in config.tensors or ():  # none given: None
        n = 1
        for d in dims:
            n *= d
        total += n
    return total


def _composite(config: Config) -> Counts:
    """A composite's totals: its parts', summed, and its loose tensors (as weights)."""
    sums = [0] * len(Counts._fields)
    for _, part in config.parts:
        for i, value in enumerate(count(part)):
            sums[i] += value
    loose = _loose(config)
    sums[0] += loose  # total
    sums[1] += loose  # weights
    sums[4] += loose  # active
    return Counts(*sums)


def count(config: Config) -> Counts:
    """The totals of `config`: each shape's product of dimensions, summed."""
    if config.parts:
        return _composite(config)
    if config.is_sequential:  # a net written layer by layer: its own builder, no layout
        from paramcalc.sequential.counts import counts

        return counts(config)
    plan = _plan(switches(config))
    size = [dim(config) for dim in plan.dimensions]
    weights = biases = embedding = routed = matmul = routed_matmul = lookup = 0
    for dims, repeat, is_bias, in_embedding, is_matmul, is_routed, is_lookup in plan.shapes:
        n = repeat
        for i in dims:
            n *= size[i]
        if is_lookup:
            lookup += n
        if is_bias:
            biases += n
        else:
            weights += n
        if in_embedding:
            embedding += n
        if is_routed:
            routed += n
            if is_matmul:
                routed_matmul += n
        elif is_matmul:
            matmul += n
    total = weights + biases
    if routed:  # of each routed tensor family (one per expert), experts_per_token of experts run per token
        used = config.experts_per_token
        active = total - routed + routed // config.experts * used
        matmul += routed_matmul // config.experts * used
    else:
        active = total
    return Counts(total, weights, biases, embedding, active, matmul, routed, lookup)


def rerun_matmul(config: Config) -> int:
    """ALBERT: the matmul weights that shared blocks apply beyond their stored copies, per token
    (layers - shared_layers blocks' worth; negative when more are stored than run). Counts.matmul
    holds each stored weight once; FLOPs add this. 0 without shared blocks."""
    if not config.shared_layers:
        return 0
    plan = _plan(switches(config))
    size = [dim(config) for dim in plan.dimensions]
    total = 0
    for dims, repeat in plan.shared:
        n = repeat * (config.layers - config.shared_layers)
        for i in dims:
            n *= size[i]
        total += n
    return total


def components(config: Config) -> list[Component]:
    """Every component of the model, in the order data flows through it, term by term; a
    composite's are its parts' (``vision.attention``), then its loose tensors."""
    if config.parts:
        out = [Component(f"{name}.{comp.name}", comp.terms) for name, part in config.parts for comp in components(part)]
        for name, dims in config.tensors or ():
            out.append(Component(name, (Term(name, WEIGHT, tuple((f"d{i}", d) for i, d in enumerate(dims))),)))
        return out
    if config.is_sequential:
        from paramcalc.sequential.counts import components as layers

        return layers(config)
    plan = _plan(switches(config))
    size = {name: dim(config) for name, dim in zip(plan.names, plan.dimensions)}
    return [
        Component(
            comp.name,
            tuple(
                Term(shape.part, shape.kind, tuple([(n, size[n]) for n in shape.dims]), shape.matmul, shape.routed)
                for shape in comp.shapes
            ),
        )
        for comp in plan.layout
    ]


# The textbook view of a small mlp: every parameter by name, and the sum each unit computes.
# Weights are indexed as in Goodfellow, Bengio & Courville 2016, Deep Learning, Section 6.1
# (the XOR network h = g(W^T x + c): W_{i,j} joins input i to hidden unit j), with the layer as a
# superscript as in Nielsen 2015, Neural Networks and Deep Learning, Chapter 2 (b_j^l, z_j^l;
# Nielsen orders a weight's indices the other way, w^l_{jk} from unit k to unit j). So
# w(i,j)^(l) joins unit i of layer l-1 (input x_i for l = 1) to unit j of layer l, b_j^(l) is
# unit j's bias, z_j^(l) = sum_i a_i^(l-1) * w(i,j)^(l) + b_j^(l) its weighted sum, and
# a_j^(l) = g(z_j^(l)) its output (a^(0) = x). In PyTorch, nn.Linear's weight[j-1, i-1] is w(i,j).
TEXTBOOK_MAX_PARAMS = 100  # beyond this a list of every parameter stops being readable


class TextbookParameter(NamedTuple):
    """One parameter of an mlp: ``w(i,j)^(l)`` (kind WEIGHT, source i) or ``b_j^(l)`` (kind
    BIAS, source None); layers and units counted from 1."""

    name: str
    kind: str
    layer: int
    source: int | None
    unit: int


class TextbookUnit(NamedTuple):
    """Unit j of layer l and the sum it computes: `output` = sum of inputs[k] * weights[k], + bias."""

    layer: int
    unit: int
    output: str  # z_j^(l)
    inputs: tuple[str, ...]  # x_i for the first layer, a_i^(l-1) after it
    weights: tuple[TextbookParameter, ...]
    bias: TextbookParameter | None


def mlp_widths(config: Config) -> tuple[tuple[str, str, int], ...]:
    """What the dimensions n0, n1, ... of an mlp are: (name, role, width), role "input",
    "hidden layer l" or "output"."""
    last = len(config.layer_sizes) - 1
    roles = ["input", *(f"hidden layer {k}" for k in range(1, last)), "output"]
    return tuple((f"n{k}", role, width) for k, (role, width) in enumerate(zip(roles, config.layer_sizes)))


def textbook_units(config: Config) -> tuple[TextbookUnit, ...]:
    """Every unit of an mlp of at most TEXTBOOK_MAX_PARAMS parameters, layer by layer, with
    the parameters it uses (each parameter belongs to exactly one unit)."""
    if not config.is_mlp:
        raise ValueError(f"{config.name} is not an mlp: the textbook names are for plain feed-forward nets")
    total = count(config).total
    if total > TEXTBOOK_MAX_PARAMS:
        raise ValueError(
            f"{config.name} has {total:,} parameters; the textbook names list at most {TEXTBOOK_MAX_PARAMS}"
        )
    units = []
    sizes = config.layer_sizes
    for layer in range(1, len(sizes)):
        inputs = tuple(f"x{i}" if layer == 1 else f"a{i}^({layer - 1})" for i in range(1, sizes[layer - 1] + 1))
        for j in range(1, sizes[layer] + 1):
            weights = tuple(
                TextbookParameter(f"w({i},{j})^({layer})", WEIGHT, layer, i, j) for i in range(1, sizes[layer - 1] + 1)
            )
            bias = TextbookParameter(f"b{j}^({layer})", BIAS, layer, None, j) if config.bias else None
            units.append(TextbookUnit(layer, j, f"z{j}^({layer})", inputs, weights, bias))
    return tuple(units)


def textbook_parameters(config: Config) -> tuple[TextbookParameter, ...]:
    """Every parameter of a small mlp by its textbook name, unit by unit: w(1,1)^(1),
    w(2,1)^(1), b1^(1), w(1,2)^(1), ..."""
    return tuple(p for unit in textbook_units(config) for p in (*unit.weights, *((unit.bias,) if unit.bias else ())))
