"""Pure arithmetic from a validated :class:`~paramcalc.config.Config` to a :class:`Report`.

No typer, rich or yaml in here: the engine returns numbers, never strings.
"""

from __future__ import annotations

from paramcalc.config import Config
from paramcalc.engine.flops import estimate
from paramcalc.engine.memory import memory_by_dtype
from paramcalc.engine.params import active_params, components
from paramcalc.report import Report


def analyze(config: Config, tokens: int | None = None) -> Report:
    """Count every parameter of `config`, its memory at each dtype and its training FLOPs.

    `tokens` overrides the config's training tokens for the FLOPs estimate.
    """
    comps = components(config)
    total = sum(c.params for c in comps)
    active = active_params(comps, config)
    return Report(
        config=config,
        components=tuple(comps),
        total=total,
        weights=sum(c.weights for c in comps),
        biases=sum(c.biases for c in comps),
        non_embedding=total - sum(c.params for c in comps if c.is_embedding),
        active=active,
        memory_bytes=memory_by_dtype(total),
        flops=estimate(comps, config, active, total, tokens),
    )
