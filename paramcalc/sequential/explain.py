"""`count --explain` for a sequential net: every layer's tensors and the equation they enter.

Each layer that holds parameters gets one line: its tensors as products of their dimensions
(a conv filter's out x in/groups x k_h x k_w weights and its out biases; a batch norm's gain and
shift, and the running statistics that are buffers, not parameters), and the equation. Layers
repeated with the same shapes are written once, with how many more there are. A net of at most
TEXTBOOK_MAX_PARAMS parameters also gets each unit of its linear layers written out with every
weight by name, as the mlp textbook does (engine/params.py): z_j^(l) = sum_i a_i^(l-1) w(i,j)^(l) + b_j^(l).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paramcalc.sequential.counts import net
from paramcalc.sequential.kinds import Tensor

if TYPE_CHECKING:
    from paramcalc.config import Config


def _tensor(t: Tensor) -> str:
    names = " x ".join(n for n, _ in t.factors)
    values = " x ".join(str(v) for _, v in t.factors)
    what = "bias" if t.kind == "bias" else "weight"
    label = t.part if t.part not in ("weight", "bias") else what
    return f"{label}: {names} = {values} = {t.size:,}" if len(t.factors) > 1 else f"{label}: {names} = {t.size:,}"


def explanation(config: Config) -> list[str]:
    from paramcalc.engine.params import TEXTBOOK_MAX_PARAMS

    root = net(config)
    lines = []
    seen: dict[tuple[object, ...], int] = {}
    order: list[tuple[tuple[object, ...], str]] = []
    for path, leaf in root.leaves():
        if not leaf.tensors and not leaf.buffers:
            continue
        key: tuple[object, ...] = (leaf.kind, leaf.tensors, leaf.equation)
        if key in seen:
            seen[key] += 1
            continue
        seen[key] = 0
        tensors = "; ".join(_tensor(t) for t in leaf.tensors) or "no parameters"
        order.append((key, f"{path} ({leaf.kind}): {tensors}. {leaf.equation}"))
    for seen_key, line in order:
        more = seen[seen_key]
        lines.append(line + (f" (and {more} more layer{'s' if more > 1 else ''} alike)" if more else ""))
    buffers = root.buffers
    if buffers:
        lines.append(
            f"buffers: {buffers:,} values (batch-norm running mean and variance, num_batches_tracked) are saved "
            "with the weights but not learned by gradient descent: not parameters"
        )
    if root.params <= TEXTBOOK_MAX_PARAMS:
        lines += textbook(config)
    return lines


def textbook(config: Config) -> list[str]:
    """Every unit of the linear layers of a small net, each weight and bias by name (layer l
    counts linear layers from 1; inputs x_i, then a_i^(l-1), the previous layer's outputs after
    its activation)."""
    lines = []
    layer = 0
    for _, leaf in net(config).leaves():
        if leaf.kind not in ("linear", "dense"):
            continue
        layer += 1
        weight = leaf.tensors[0]
        units, inputs = weight.factors[0][1], weight.factors[1][1]
        bias = len(leaf.tensors) > 1
        for j in range(1, units + 1):
            terms = [
                f"{'x' + str(i) if layer == 1 else f'a{i}^({layer - 1})'}*w({i},{j})^({layer})"
                for i in range(1, inputs + 1)
            ]
            if bias:
                terms.append(f"b{j}^({layer})")
            lines.append(f"z{j}^({layer}) = " + " + ".join(terms))
    return lines
