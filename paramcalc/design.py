"""Design from a budget: compute-optimal sizes (Hoffmann et al. 2022, "Chinchilla") and the
shapes of a base model that hit a parameter target. Pure arithmetic over the engine.

- Rule of thumb (Approach 1, Table 3): D = 20 N tokens. With C = 6ND, N = sqrt(C / 120).
- Approach 3 (Section 3.3, Equation 4 and Appendix D.2): L(N, D) = E + A / N^a + B / D^b with
  E = 1.69, A = 406.4, B = 410.7, a = 0.34, b = 0.28. Minimising L under C = 6ND gives
  N = G (C/6)^(b/(a+b)) and D = (C/6) / N, with G = (aA / (bB))^(1/(a+b)).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from paramcalc.config import Config, parse_config
from paramcalc.engine import analyze
from paramcalc.engine.flops import CHINCHILLA_TOKENS_PER_PARAM as TOKENS_PER_PARAM
from paramcalc.errors import ConfigError, UsageError
from paramcalc.report import Report

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
LAWS = ("chinchilla", "chinchilla-3")
ASPECT = (48, 160)  # d_model / layers of released models: GPT-2 64 ... Llama-3.1-405B 130


class Optimum(NamedTuple):
    law: str
    params: float
    tokens: float
    flops: float
    loss: float | None


def loss(params: float, tokens: float) -> float:
    """Chinchilla Approach 3's fitted loss (nats per token)."""
    return float(E + A / params**ALPHA + B / tokens**BETA)


def compute_optimal(flops: float, law: str = "chinchilla") -> Optimum:
    """The parameters and tokens that spend `flops` (= 6ND) best, by the chosen law."""
    if law == "chinchilla":
        params = math.sqrt(flops / (6 * TOKENS_PER_PARAM))
        tokens = TOKENS_PER_PARAM * params
        return Optimum(law, params, tokens, 6 * params * tokens, None)
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    params = g * (flops / 6) ** (BETA / (ALPHA + BETA))
    tokens = flops / 6 / params
    return Optimum(law, params, tokens, flops, loss(params, tokens))


def tokens_for(params: float, law: str) -> float:
    """Training tokens for a model of `params`: 20 N, or Approach 3's optimum for that N."""
    if law == "chinchilla":
        return TOKENS_PER_PARAM * params
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    c6 = (params / g) ** ((ALPHA + BETA) / BETA)  # invert N = G (C/6)^(b/(a+b))
    return float(c6 / params)


class Candidate(NamedTuple):
    fields: dict[str, Any]  # the fields that differ from the base
    report: Report
    value: int  # total or active, whichever is the target
    error: float  # (value - target) / target


def _round(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def shape(base: Config, base_fields: dict[str, Any], layers: int, d_model: int, multiple: int) -> dict[str, Any]:
    """Fields of a model shaped like `base` at `layers` x `d_model`: head_dim, the heads per
    KV head, and the d_ff / d_model ratios are kept; inner sizes are rounded to `multiple`."""
    fields: dict[str, Any] = {"layers": layers, "d_model": d_model}
    if base.architecture == "encoder-decoder":
        fields = {"encoder_layers": layers, "decoder_layers": layers, "d_model": d_model}
    heads = d_model // base.head_dim
    group = base.heads // base.kv_heads
    fields.update(heads=heads, head_dim=base.head_dim)
    if "kv_heads" in base_fields or group > 1:  # about heads / group KV heads, one that divides heads
        wanted = max(1, round(heads / group))
        fields["kv_heads"] = max(d for d in range(1, wanted + 1) if heads % d == 0)
    fields["d_ff"] = _round(base.d_ff * d_model / base.d_model, multiple)
    if base.is_moe and "expert_d_ff" in base_fields:
        fields["expert_d_ff"] = _round(base.expert_d_ff * d_model / base.d_model, multiple)
    if base.shared_expert_d_ff:
        fields["shared_expert_d_ff"] = _round(base.shared_expert_d_ff * d_model / base.d_model, multiple)
    if base.embedding_dim != base.d_model:
        fields["embedding_dim"] = d_model
    return fields


def _evaluate(base_fields: dict[str, Any], fields: dict[str, Any]) -> Report | None:
    try:
        return analyze(parse_config({**base_fields, **fields}))
    except ConfigError:
        return None


def search(
    base: Config,
    base_fields: dict[str, Any],
    target: int,
    active: bool = False,
    layers: int | None = None,
    multiple: int = 64,
    aspect: tuple[float, float] = ASPECT,
    top: int = 5,
) -> list[Candidate]:
    """Shapes of `base` whose total (or active) parameters come closest to `target`.

    For each depth (or the pinned one), binary search over d_model in steps of
    lcm(multiple, head_dim) for the width whose count is nearest the target (counts grow with
    width), keeping d_model / layers within `aspect` unless the depth is pinned. Exact counts
    from the engine throughout; best first by relative error.
    """
    if base.architecture == "mlp":
        raise UsageError("solve shapes transformers; an mlp has no layers x d_model to solve for")
    step = math.lcm(multiple, base.head_dim)
    depths = [layers] if layers else range(1, 257)
    found: list[Candidate] = []
    for depth in depths:
        lo_w = 1 if layers else max(1, math.ceil(aspect[0] * depth / step))
        hi_w = max(lo_w, (1 << 20) // step if layers else int(aspect[1] * depth // step))
        if hi_w < lo_w:
            continue

        def value(k: int, depth: int = depth) -> tuple[int, Report | None, dict[str, Any]]:
            fields = shape(base, base_fields, depth, k * step, multiple)
            report = _evaluate(base_fields, fields)
            if report is None:
                return -1, None, fields
            return (report.active if active else report.total), report, fields

        lo, hi = lo_w, hi_w
        while lo < hi:  # smallest width whose count reaches the target
            mid = (lo + hi) // 2
            if value(mid)[0] < target:
                lo = mid + 1
            else:
                hi = mid
        for k in {lo - 1, lo} & set(range(lo_w, hi_w + 1)):
            count, report, fields = value(k)
            if report is not None:
                found.append(Candidate(fields, report, count, (count - target) / target))
    found.sort(key=lambda c: (abs(c.error), c.fields.get("layers", 0)))
    return found[:top]
