"""Pure arithmetic from a validated :class:`~paramcalc.config.Config` to a :class:`Report`.

No typer, rich or yaml in here: the engine returns numbers, never strings.
"""

from __future__ import annotations

from paramcalc.config import Config
from paramcalc.engine.flops import estimate
from paramcalc.engine.memory import memory_by_dtype
from paramcalc.engine.params import count
from paramcalc.engine.report import Report


def analyze(config: Config, tokens: int | None = None, causal: bool = False) -> Report:
    """Count every parameter of `config`, its memory at each dtype and its training FLOPs.

    `tokens` overrides the config's training tokens (an mlp's: examples) for the FLOPs
    estimate; `causal` counts the attention products of a decoder's self-attention under a
    causal mask (half), instead of in full (see flops.py). The attention products use the
    config's `seq_len`. The report's components (term by term) are built on first use.
    """
    n = count(config)
    if config.parts:  # FLOPs per token are the language part's (see Report.part_reports for each part's)
        main = config.main_part
        m = count(main)
        flops = estimate(main, m.matmul, m.active, m.total, tokens, causal)
    else:
        flops = estimate(config, n.matmul, n.active, n.total, tokens, causal)
    return Report(
        config,
        n.total,
        n.weights,
        n.biases,
        n.total - n.embedding,
        n.active,
        memory_by_dtype(n.total),
        flops,
        n.routed,
        n.lookup,
    )
