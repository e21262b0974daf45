"""Pure arithmetic from a validated :class:`~paramcalc.config.Config` to a :class:`Report`.

No typer, rich or yaml in here: the engine returns numbers, never strings.
"""

from __future__ import annotations

from paramcalc.config import Config
from paramcalc.engine.flops import estimate
from paramcalc.engine.memory import memory_by_dtype
from paramcalc.engine.params import components, per_token
from paramcalc.report import Report


def analyze(config: Config, tokens: int | None = None) -> Report:
    """Count every parameter of `config`, its memory at each dtype and its training FLOPs.

    `tokens` overrides the config's training tokens for the FLOPs estimate.
    """
    comps = components(config)
    weights = biases = embedding = 0
    for comp in comps:
        weights += comp.weights
        biases += comp.biases
        if comp.is_embedding:
            embedding += comp.params
    total = weights + biases
    active, matmul = per_token(comps, config)
    return Report(
        config=config,
        components=tuple(comps),
        total=total,
        weights=weights,
        biases=biases,
        non_embedding=total - embedding,
        active=active,
        memory_bytes=memory_by_dtype(total),
        flops=estimate(config, matmul, active, total, tokens),
    )
