"""Exact parameter counts: a layout (layout.py) with the config's sizes filled in.

Two ways to fill them in, from the one layout:

- :func:`components` builds a :class:`Term` for each family of tensors, with every factor's
  name and value, so a count can be explained (``--explain``) and shown part by part.
- :func:`count` gives the totals only. The first time a layout is seen, its totals are written
  out as one Python function of the config, a sum of products
  (``c.layers * c.d_model * (c.heads * c.head_dim) + ...``), and compiled; every later config
  with the same switches is counted by calling it. ``sweep`` and ``solve`` count thousands of
  configs of one layout, and the engine counts over 100,000 configs a second this way
  (benchmarks/startup.py). The source is built only from the fixed expressions in
  :data:`~paramcalc.engine.layout.DIMENSIONS`: no text from a config file is ever compiled.

Counts are Python ints, exact to the last parameter; a test (test_layout.py) checks that
both ways agree.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from paramcalc.config import Config
from paramcalc.engine.layout import BIAS, ComponentLayout, Switches, dimension, is_embedding, layout, switches


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
    and type tables, an untied head); `active`: parameters used per token (a routed expert's
    weights count experts_per_token / experts); `matmul`: the weights among them that multiply
    each token's activations (a tied head's matmul is added by flops.py)."""

    total: int
    weights: int
    biases: int
    embedding: int
    active: int
    matmul: int


class Plan(NamedTuple):
    """A layout, the dimension names its shapes use, and two compiled functions of the config."""

    layout: tuple[ComponentLayout, ...]
    names: tuple[str, ...]
    sizes: Callable[[Config], tuple[int, ...]]  # the value of each name, in order
    totals: Callable[[Config], Counts]


def source(comps: tuple[ComponentLayout, ...], names: tuple[str, ...]) -> str:
    """Python source of a layout's two functions of the config `c`.

    ``sizes(c)``: the value of each dimension in `names`. ``totals(c)``: the layout's totals
    as sums of products, one product per shape; e.g. GPT-2's q weight is ``d0 * d1 * d2`` with
    ``d0 = c.layers``, ``d1 = c.d_model``, ``d2 = c.heads * c.head_dim``. The source holds only
    the fixed expressions of DIMENSIONS, local variable names, operators and calls of sum() and
    Counts().
    """
    var = {name: f"d{i}" for i, name in enumerate(names)}
    sums: dict[str, list[str]] = {"weights": [], "biases": [], "embedding": [], "active": [], "matmul": []}
    for comp in comps:
        for shape in comp.shapes:
            product = " * ".join(var[n] for n in shape.dims)
            sums["biases" if shape.kind == BIAS else "weights"].append(product)
            if comp.is_embedding:
                sums["embedding"].append(product)
            used = f"{product} // c.experts * c.experts_per_token" if shape.routed else product
            sums["active"].append(used)
            if shape.matmul:
                sums["matmul"].append(used)
    return "\n".join(
        [
            f"def sizes(c):\n    return ({''.join(dimension(n) + ', ' for n in names)})\n",
            "def totals(c):",
            *(f"    {var[n]} = {dimension(n)}" for n in names),
            # sum() of a flat tuple, not a chain of +: a chain as long as a deep MLP's would
            # nest past the compiler's recursion limit.
            *(f"    {key} = sum(({''.join(t + ', ' for t in terms)}))" for key, terms in sums.items()),
            "    return Counts(weights + biases, weights, biases, embedding, active, matmul)",
        ]
    )


@lru_cache(maxsize=1024)
def _plan(s: Switches) -> Plan:
    """Compile a layout's functions once (about half a millisecond); every config with the
    same switches reuses them."""
    comps = layout(s)
    names = tuple(dict.fromkeys(n for comp in comps for shape in comp.shapes for n in shape.dims))
    namespace: dict[str, object] = {"Counts": Counts, "sum": sum, "__builtins__": {}}
    code = compile(source(comps, names), f"<paramcalc layout: {s.architecture}>", "exec")
    exec(code, namespace)  # noqa: S102 (only our own expressions, see source)
    return Plan(comps, names, namespace["sizes"], namespace["totals"])  # type: ignore[arg-type]


def count(config: Config) -> Counts:
    """The totals of `config`, from its layout's compiled sums."""
    return _plan(switches(config)).totals(config)


def components(config: Config) -> list[Component]:
    """Every component of the model, in the order data flows through it, term by term."""
    plan = _plan(switches(config))
    size = dict(zip(plan.names, plan.sizes(config)))
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
