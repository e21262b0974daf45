"""Invariants over random valid configs (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from paramcalc.config import ACTIVATIONS, NORMS, POSITIONS, parse_config
from paramcalc.engine import analyze
from paramcalc.engine.layout import TOKEN_EMBEDDING
from tests._profiles import budget


@st.composite
def transformer_configs(draw: Any) -> dict[str, Any]:
    heads = draw(st.integers(1, 64))
    kv_heads = draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0]))
    arch = draw(st.sampled_from(["decoder", "encoder", "encoder-decoder"]))
    positions = [p for p in POSITIONS if not (p == "relative" and arch == "encoder")]
    experts = draw(st.integers(1, 16))
    raw = {
        "architecture": arch,
        "layers": draw(st.integers(1, 200)),
        "d_model": heads * draw(st.integers(1, 256)),
        "heads": heads,
        "kv_heads": kv_heads,
        "vocab": draw(st.integers(1, 300_000)),
        "context": draw(st.integers(1, 1 << 20)),
        "d_ff": draw(st.integers(1, 1 << 16)),
        "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
        "norm": draw(st.sampled_from(NORMS)),
        "bias": draw(st.booleans()),
        "position": draw(st.sampled_from(positions)),
        "tie_embeddings": draw(st.booleans()),
        "experts": experts,
        "experts_per_token": draw(st.integers(1, experts)),
    }
    if draw(st.booleans()):
        raw["head_dim"] = draw(st.integers(1, 512))
    return raw


@budget(ci=50, slow=300)
@given(transformer_configs())
def test_components_sum_to_total(raw: dict[str, Any]) -> None:
    report = analyze(parse_config(raw))
    assert sum(c.params for c in report.components) == report.total
    assert report.weights + report.biases == report.total
    assert 0 < report.active <= report.total
    assert report.non_embedding <= report.total
    assert report.memory_bytes["int4"] > 0
    assert all(isinstance(c.params, int) for c in report.components)


@budget(ci=30, slow=200)
@given(transformer_configs())
def test_untying_adds_exactly_one_table(raw: dict[str, Any]) -> None:
    if raw["architecture"] == "encoder":
        return  # no output head to tie
    tied = analyze(parse_config({**raw, "tie_embeddings": True}))
    untied = analyze(parse_config({**raw, "tie_embeddings": False}))
    assert untied.total - tied.total == raw["vocab"] * raw["d_model"]
    embedding = next(c for c in tied.components if c.name == TOKEN_EMBEDDING)
    assert embedding.params == raw["vocab"] * raw["d_model"]


@budget(ci=30, slow=200)
@given(transformer_configs(), st.integers(1, 50))
def test_more_layers_never_fewer_params(raw: dict[str, Any], extra: int) -> None:
    bigger = {**raw, "layers": raw["layers"] + extra}
    assert analyze(parse_config(bigger)).total > analyze(parse_config(raw)).total


@budget(ci=30, slow=200)
@given(transformer_configs())
def test_gqa_never_adds_params(raw: dict[str, Any]) -> None:
    mha = analyze(parse_config({**raw, "kv_heads": raw["heads"]}))
    assert analyze(parse_config(raw)).total <= mha.total


@budget(ci=30, slow=100)
@given(st.lists(st.integers(1, 4096), min_size=2, max_size=8), st.booleans())
def test_mlp_counts(sizes: list[int], bias: bool) -> None:
    report = analyze(parse_config({"architecture": "mlp", "layer_sizes": sizes, "bias": bias}))
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    biases = sum(sizes[1:]) if bias else 0
    assert (report.weights, report.biases) == (weights, biases)
