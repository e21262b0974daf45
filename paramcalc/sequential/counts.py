"""A sequential net's counts in the engine's terms: components (the top-level layers and modules,
by name, each with a Term per tensor under it) and the totals (params.Counts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from paramcalc.sequential.net import Node, build

if TYPE_CHECKING:
    from paramcalc.config import Config
    from paramcalc.engine.params import Component, Counts


def net(config: Config) -> Node:
    """The built net of a sequential config (cached: parse_config built it once already)."""
    from paramcalc.sequential.spec import Call

    return build(cast("tuple[int, ...]", config.input), cast("tuple[Call, ...]", config.layers), config.modules)


def components(config: Config) -> list[Component]:
    """One component per top-level layer or module that holds parameters, named as the user
    named it (else kind_index); its terms are its layers' tensors, the part being the layer's
    path inside it (layer1: 0.conv1, 0.bn1, ..., 0.shortcut.0)."""
    from paramcalc.engine.layout import BIAS, WEIGHT
    from paramcalc.engine.params import Component, Term

    out = []
    for top in net(config).children:
        if not top.params:
            continue
        terms = []
        for path, leaf in top.leaves():
            inside = path if top.children else top.name
            for t in leaf.tensors:
                part = inside if t.part in ("weight", "bias") else f"{inside}.{t.part}"
                terms.append(Term(part, BIAS if t.kind == "bias" else WEIGHT, t.factors))
        out.append(Component(top.name, tuple(terms)))
    return out


def counts(config: Config) -> Counts:
    """The totals: every parameter is active; no embedding components unless a layer is named so."""
    from paramcalc.engine.layout import LOOKUP_COMPONENTS, is_embedding
    from paramcalc.engine.params import Counts

    root = net(config)
    tops = [c for c in root.children if c.params]
    embedding = sum(c.params for c in tops if is_embedding(c.name))
    lookup = sum(c.params for c in tops if c.name in LOOKUP_COMPONENTS)
    return Counts(root.params, root.weights, root.biases, embedding, root.params, 0, 0, lookup)
