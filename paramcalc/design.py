"""Design from a budget: compute-optimal sizes (Hoffmann et al. 2022, "Chinchilla") and the
shapes of a base model that hit a parameter target. Pure arithmetic over the engine.

- Rule of thumb (Approach 1, Table 3): D = 20 N tokens. With C = 6ND, N = sqrt(C / 120).
- Approach 3 (Section 3.3, Equation 4 and Appendix D.2): L(N, D) = E + A / N^a + B / D^b with
  E = 1.69, A = 406.4, B = 410.7, a = 0.34, b = 0.28. Minimising L under C = 6ND gives
  N = G (C/6)^(b/(a+b)) and D = (C/6) / N, with G = (aA / (bB))^(1/(a+b)).

:func:`solve` is the one entry point: it checks the settings, searches, and returns a
:class:`Solution` whose ``to_dict()`` is the JSON contract of ``paramcalc solve`` (README).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from paramcalc.config import Config, parse_config, parse_count
from paramcalc.engine.flops import CHINCHILLA_TOKENS_PER_PARAM as TOKENS_PER_PARAM
from paramcalc.engine.params import count
from paramcalc.errors import ConfigError, ParamcalcError, SettingError, show

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
LAWS = ("chinchilla", "chinchilla-3")
TARGETS = ("params", "active", "flops")
ASPECT = (48.0, 160.0)  # d_model / layers of released models: GPT-2 64 ... Llama-3.1-405B 130

# Bounds of the search, so that any accepted setting ends in well under a second: at most
# MAX_DEPTH depths, each a binary search over at most MAX_D_MODEL / multiple_of widths.
MAX_DEPTH = 256  # free depth: 1 .. 256 layers (Llama-3.1-405B has 126)
MAX_LAYERS = 10_000  # a pinned depth
MAX_D_MODEL = 2**20
MAX_HEADS = 2**16
MAX_MULTIPLE = 4096  # multiple_of
MAX_PARALLEL = 256  # tp_multiple, pp_multiple
MAX_TOP = 100
ASPECT_LIMITS = (1.0, 100_000.0)
WITHIN = 0.5  # candidates are shapes within 50% of the target; none: the target is out of reach


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


# The result ---------------------------------------------------------------------------------


class Candidate(NamedTuple):
    """One shape of the base: the fields that differ from it, and its exact counts."""

    config: dict[str, Any]
    params: int
    active: int
    error: float  # (count - target) / target, count = params or active, whichever is the target
    tokens: int  # training tokens by the law (or the compute-optimal D of a --flops budget)
    flops: int  # 6ND with N = active parameters, exact

    @property
    def layers(self) -> int:
        return int(self.config.get("layers") or self.config["encoder_layers"])

    @property
    def aspect(self) -> float:
        return float(self.config["d_model"] / self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": dict(self.config),
            "params": self.params,
            "active": self.active,
            "error": self.error,
            "tokens": self.tokens,
            "flops": self.flops,
            "aspect": self.aspect,
        }


class Target(NamedTuple):
    setting: str  # params, active or flops: what was given
    text: str  # as given
    given: int  # parsed, exact
    kind: str  # params or active: what the shapes aim at
    value: int  # the parameter target


class Solution(NamedTuple):
    """What `paramcalc solve` prints; ``to_dict()`` has the same keys in every mode."""

    target: Target
    law: str
    optimum: Optimum | None  # the law's split of the budget, or the optimum for the given size
    base: str | None  # the base as named (what the YAML `extends:`)
    constraints: dict[str, Any]
    candidates: tuple[Candidate, ...]

    def to_dict(self) -> dict[str, Any]:
        opt = self.optimum
        t = self.target
        return {
            "target": {"kind": t.kind, "value": t.value, "setting": t.setting, "text": t.text, "given": t.given},
            "law": self.law,
            "compute_optimal": None
            if opt is None
            else {
                "params": round(opt.params),
                "tokens": round(opt.tokens),
                # a budget is echoed exactly; from a size, C = 6ND of the rounded N and D
                "flops": t.given if t.setting == "flops" else 6 * round(opt.params) * round(opt.tokens),
                "loss": opt.loss,
            },
            "base": self.base,
            "constraints": dict(self.constraints),
            "candidates": [c.to_dict() for c in self.candidates],
        }


class TargetOutOfReach(ParamcalcError):
    """No shape of the base comes within WITHIN of the target (exit 1)."""


# Settings ------------------------------------------------------------------------------------


def parse_aspect(text: str) -> tuple[float, float]:
    """'48..160' -> (48.0, 160.0), within ASPECT_LIMITS."""
    low, sep, high = text.partition("..")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        sep = ""
    lo, hi = ASPECT_LIMITS
    if not sep or not lo <= bounds[0] <= bounds[1] <= hi:
        raise SettingError(
            [("aspect", f"'{text}' is not MIN..MAX with {lo:g} <= MIN <= MAX <= {hi:,.0f} (e.g. 48..160)")]
        )
    return bounds


def _bounded(name: str, value: int | None, low: int, high: int, problems: list[tuple[str, str]]) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        problems.append((name, f"{show(value)} is not a whole number from {low} to {high:,}"))


def _target(
    params: int | str | None, active: int | str | None, flops: int | str | None, law: str
) -> tuple[Target, Optimum]:
    given = [(name, v) for name, v in (("params", params), ("active", active), ("flops", flops)) if v is not None]
    if len(given) != 1:
        raise SettingError([("target", "give exactly one of params, active, flops")])
    setting, raw = given[0]
    try:
        number = parse_count(raw)
    except ValueError as exc:
        raise SettingError([(setting, str(exc))]) from None
    if law not in LAWS:
        raise SettingError([("law", f"{law!r} is not one of {', '.join(LAWS)}")])
    if setting == "flops":
        optimum = compute_optimal(float(number), law)
        if optimum.params < 0.5:
            raise SettingError([("flops", f"{raw} FLOPs buy less than one parameter")])
        value = round(optimum.params)
    else:
        value = number
        tokens = tokens_for(number, law)
        optimum = Optimum(
            law, number, tokens, 6 * number * tokens, loss(number, tokens) if law != "chinchilla" else None
        )
    kind = "active" if setting == "active" else "params"
    return Target(setting, str(raw), number, kind, value), optimum


# Shapes --------------------------------------------------------------------------------------


class Heads(NamedTuple):
    """How a base's attention scales: query heads allowed, and the KV heads of each."""

    allowed: list[int]  # query head counts, increasing
    group: int  # query heads per KV head (0: multi-query, one KV head whatever the heads)
    tp_multiple: int

    def rule(self) -> str:
        """The rule in words, for messages: 'heads a multiple of 32 (tp_multiple 8, 4 query heads per KV head)'."""
        h = self.allowed
        kind = {0: "one KV head", 1: "one query head per KV head"}.get(
            self.group, f"{self.group} query heads per KV head"
        )
        if h == list(range(h[0], h[-1] + 1, h[0])):
            return f"heads a multiple of {h[0]} (tp_multiple {self.tp_multiple}, {kind})"
        return f"heads in {', '.join(map(str, h[:4]))}, ... (tp_multiple {self.tp_multiple}, {kind})"

    def kv(self, heads: int) -> int:
        return 1 if self.group == 0 else heads // self.group


def head_rule(base: Config, tp_multiple: int) -> Heads:
    """The query head counts a solution may have, keeping the base's query heads per KV head
    (kv_heads = heads / group, exactly).

    - heads are a multiple of `tp_multiple`, so tensor parallelism splits them;
    - kv_heads are a multiple of `tp_multiple` too, or, below it, a divisor of it (2 KV heads
      on 8 ranks: each rank holds a copy of one, as vLLM and Megatron-LM replicate them);
    - a multi-query base (one KV head, several query heads) keeps one KV head: only the heads
      are multiples of `tp_multiple`.
    """
    t = tp_multiple
    if base.kv_heads == 1 and base.heads > 1:
        return Heads(list(range(t, MAX_HEADS + 1, t)), 0, t)
    group = base.heads // base.kv_heads
    kv = set(range(t, MAX_HEADS // group + 1, t)) | {d for d in range(1, t) if t % d == 0}
    return Heads(sorted(group * k for k in kv if group * k % t == 0), group, t)


def _scaled(value: int, d_model: int, base_d_model: int, multiple: int) -> int:
    """`value` scaled with d_model, rounded to a multiple of `multiple` (at least one)."""
    return max(multiple, round(value * d_model / base_d_model / multiple) * multiple)


class Shaper:
    """The shapes of one base: widths allowed and the fields of a (depth, width)."""

    def __init__(self, base: Config, base_fields: Mapping[str, Any], multiple: int, heads: Heads) -> None:
        self.base, self.base_fields, self.multiple, self.heads = base, dict(base_fields), multiple, heads
        # attention width / d_model of the base (1 for most; Gemma-2 and DeepSeek-V3 differ)
        self.ratio = base.heads * base.head_dim / base.d_model
        self.widths: Sequence[int]
        if base.heads * base.head_dim == base.d_model:  # d_model = heads x head_dim, exactly
            self.widths = [
                h * base.head_dim
                for h in heads.allowed
                if h * base.head_dim % multiple == 0 and h * base.head_dim <= MAX_D_MODEL
            ]
        else:  # heads follow d_model to the nearest allowed count
            self.widths = range(multiple, MAX_D_MODEL + 1, multiple)

    def fields(self, depth: int, d_model: int) -> dict[str, Any]:
        """Fields of a model shaped like the base at `depth` x `d_model`: head_dim, the heads per
        KV head and the d_ff / d_model ratios are kept; inner sizes are rounded to `multiple`."""
        base, m = self.base, self.multiple
        fields: dict[str, Any]
        if base.is_encoder_decoder:
            fields = {"encoder_layers": depth, "decoder_layers": depth, "d_model": d_model}
        else:
            fields = {"layers": depth, "d_model": d_model}
        allowed = self.heads.allowed
        want = d_model * self.ratio / base.head_dim
        i = bisect.bisect_left(allowed, want)
        nearby = [allowed[j] for j in (i - 1, i) if 0 <= j < len(allowed)]
        heads = min(nearby, key=lambda h: (abs(h - want), h))
        fields.update(heads=heads, head_dim=base.head_dim)
        kv = self.heads.kv(heads)
        if "kv_heads" in self.base_fields or kv != heads:
            fields["kv_heads"] = kv
        fields["d_ff"] = _scaled(base.d_ff, d_model, base.d_model, m)
        if base.is_moe and "expert_d_ff" in self.base_fields:
            fields["expert_d_ff"] = _scaled(base.expert_d_ff, d_model, base.d_model, m)
        if base.shared_expert_d_ff:
            fields["shared_expert_d_ff"] = _scaled(base.shared_expert_d_ff, d_model, base.d_model, m)
        if base.embedding_dim != base.d_model:
            fields["embedding_dim"] = d_model
        return fields

    def counts(self, depth: int, d_model: int) -> tuple[dict[str, Any], int, int] | None:
        """(fields, total, active) of a shape, or None if it is not a valid config."""
        fields = self.fields(depth, d_model)
        try:
            n = count(parse_config({**self.base_fields, **fields}))
        except ConfigError:
            return None
        return fields, n.total, n.active


def _describe(shape: tuple[dict[str, Any], int, int], kind: str) -> str:
    fields, total, active = shape
    depth = fields.get("layers") or fields["encoder_layers"]
    value = active if kind == "active" else total
    return f"{depth} layers x d_model {fields['d_model']}, {fields['heads']} heads: {value:,} {kind}"


def solve(
    *,
    params: int | str | None = None,
    active: int | str | None = None,
    flops: int | str | None = None,
    law: str = "chinchilla",
    base: str | None = None,
    base_fields: Mapping[str, Any] | None = None,
    base_label: str | None = None,
    layers: int | None = None,
    multiple_of: int = 64,
    tp_multiple: int | None = None,
    pp_multiple: int = 1,
    aspect: tuple[float, float] | str = ASPECT,
    top: int = 5,
) -> Solution:
    """Size a model for one target (`params`, `active` parameters, or a `flops` budget, each
    an int or text such as '7B', '1e23') and, given a base (its name and its loaded fields),
    find its shapes whose exact count comes closest.

    For each depth (a multiple of `pp_multiple` up to MAX_DEPTH, or the pinned `layers`), a
    binary search over the allowed widths (d_model a multiple of `multiple_of`; heads by
    :func:`head_rule` with `tp_multiple`, default 8 where the base has at least 8 heads)
    finds the width whose count is nearest the target, keeping d_model / layers within
    `aspect` unless the depth is pinned. Exact counts from the engine; best first by relative
    error; only shapes within WITHIN (50%) of the target. Raises SettingError for bad settings
    and TargetOutOfReach when no shape comes that close.
    """
    target, optimum = _target(params, active, flops, law)
    bounds = parse_aspect(aspect) if isinstance(aspect, str) else aspect
    problems: list[tuple[str, str]] = []
    _bounded("layers", layers, 1, MAX_LAYERS, problems)
    _bounded("multiple_of", multiple_of, 1, MAX_MULTIPLE, problems)
    _bounded("tp_multiple", tp_multiple, 1, MAX_PARALLEL, problems)
    _bounded("pp_multiple", pp_multiple, 1, MAX_PARALLEL, problems)
    _bounded("top", top, 1, MAX_TOP, problems)
    lo, hi = ASPECT_LIMITS
    if not (len(bounds) == 2 and all(lo <= b <= hi for b in bounds) and bounds[0] <= bounds[1]):
        problems.append(("aspect", f"{bounds!r} is not (MIN, MAX) with {lo:g} <= MIN <= MAX <= {hi:,.0f}"))
    if not problems and layers is not None and layers % pp_multiple:
        problems.append(("layers", f"{layers} is not a multiple of pp_multiple {pp_multiple}"))
    if base_fields is not None and base is None:
        problems.append(("base", "the base's fields need its name (what the YAML extends)"))
    if problems:
        raise SettingError(problems)
    constraints: dict[str, Any] = {
        "layers": layers,
        "multiple_of": multiple_of,
        "tp_multiple": tp_multiple,
        "pp_multiple": pp_multiple,
        "aspect": list(bounds),
        "top": top,
        "within": WITHIN,
    }
    if base is None:
        return Solution(target, law, optimum, None, constraints, ())
    fields = dict(base_fields) if base_fields is not None else {}
    config = parse_config(fields, base_label or base)
    if config.is_mlp:
        raise SettingError([("base", "solve shapes transformers; an mlp has no layers x d_model to solve for")])
    if config.is_sequential:
        raise SettingError(
            [("base", "solve shapes transformers; a sequential net has no layers x d_model to solve for")]
        )
    if config.is_ssm:
        raise SettingError([("base", "solve shapes transformers; a state-space model has no heads to keep")])
    if config.is_composite or config.is_vision:
        raise SettingError(
            [("base", f"solve shapes one language model; a {config.architecture} model is not one (solve a part)")]
        )
    if tp_multiple is None:
        tp_multiple = 8 if config.heads >= 8 else 1
        constraints["tp_multiple"] = tp_multiple
    shaper = Shaper(config, fields, multiple_of, head_rule(config, tp_multiple))
    found = _search(shaper, target, layers, pp_multiple, (float(bounds[0]), float(bounds[1])), base_label or base)
    candidates = []
    for shape_fields, total, active_count in found[:top]:
        n = active_count if target.kind == "active" else total
        tokens = round(optimum.tokens if target.setting == "flops" else tokens_for(n, law))
        error = (n - target.value) / target.value
        candidates.append(Candidate(shape_fields, total, active_count, error, tokens, 6 * active_count * tokens))
    return Solution(target, law, optimum, base, constraints, tuple(candidates))


def _search(
    shaper: Shaper,
    target: Target,
    layers: int | None,
    pp_multiple: int,
    aspect: tuple[float, float],
    label: str,
) -> list[tuple[dict[str, Any], int, int]]:
    """The shapes nearest the target, best first, within WITHIN of it."""
    widths = shaper.widths
    depths = [layers] if layers else range(pp_multiple, MAX_DEPTH + 1, pp_multiple)

    def value(shape: tuple[dict[str, Any], int, int] | None) -> int:
        if shape is None:
            return -1
        return shape[2] if target.kind == "active" else shape[1]

    found: list[tuple[dict[str, Any], int, int]] = []
    smallest: tuple[int, int] | None = None  # (depth, d_model) of the smallest shape allowed
    largest: tuple[int, int] | None = None  # ... and of the largest (counts grow with both)
    for depth in depths:
        if layers:
            first, last = 0, len(widths) - 1
        else:  # d_model / depth within the aspect range
            first = bisect.bisect_left(widths, aspect[0] * depth)
            last = bisect.bisect_right(widths, aspect[1] * depth) - 1
        if first > last:
            continue
        smallest = smallest or (depth, widths[first])
        largest = (depth, widths[last])
        low, high = first, last
        while low < high:  # the narrowest width whose count reaches the target (counts grow with width)
            mid = (low + high) // 2
            if value(shaper.counts(depth, widths[mid])) < target.value:
                low = mid + 1
            else:
                high = mid
        for k in (low - 1, low):
            shape = shaper.counts(depth, widths[k]) if first <= k <= last else None
            if shape is not None:
                found.append(shape)
    rule = shaper.heads.rule() + (f", layers a multiple of {pp_multiple}" if pp_multiple > 1 else "")
    if smallest is None or largest is None:
        raise SettingError(
            [
                (
                    "aspect",
                    f"no shape of {label} with {rule}, d_model a multiple of {shaper.multiple} up to "
                    f"{MAX_D_MODEL:,} has d_model / layers within "
                    f"{aspect[0]:g}..{aspect[1]:g}; "
                    "widen aspect, pin layers, or lower tp_multiple / multiple_of",
                )
            ]
        )

    def error(shape: tuple[dict[str, Any], int, int]) -> float:
        return abs(value(shape) - target.value) / target.value

    found.sort(key=lambda s: (error(s), s[0].get("layers") or s[0]["encoder_layers"]))
    close = [s for s in found if error(s) <= WITHIN]
    if not close:
        low_end, high_end = shaper.counts(*smallest), shaper.counts(*largest)
        if low_end is not None and value(low_end) > target.value:
            reach = f"its smallest shape is {_describe(low_end, target.kind)}"
        elif high_end is not None and value(high_end) < target.value:
            reach = f"its largest shape is {_describe(high_end, target.kind)}"
        elif found:
            reach = f"its nearest shape is {_describe(found[0], target.kind)}"
        else:
            reach = "no shape is a valid config"
        within = "pinned layers" if layers else f"d_model / layers within {aspect[0]:g}..{aspect[1]:g}"
        raise TargetOutOfReach(
            f"a target of {target.value:,} {target.kind} is out of reach for {label} with {rule} "
            f"and {within}: {reach}; "
            f"solve lists shapes within {WITHIN:.0%} of the target"
        )
    return close
