"""The two ways of filling a layout in agree: the compiled totals (count, what analyze reports)
and the term-by-term components (what --detail, --explain and the JSON components show)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import paramcalc
from paramcalc.catalog import preset_names
from paramcalc.config import ACTIVATIONS, NORMS, POSITIONS, QK_NORMS, Config, parse_config
from paramcalc.engine import analyze
from paramcalc.engine.layout import DIMENSIONS, dimension, layout, switches
from paramcalc.engine.params import Counts, components, count, source
from paramcalc.errors import ConfigError
from paramcalc.fields import MAX_LAYER_SIZES

FIXTURES = sorted(
    str(p) for p in (Path(__file__).parent / "fixtures" / "hf").rglob("*.json") if p.name != "expected.json"
)


def from_terms(config: Config) -> Counts:
    """The totals summed term by term over the materialized components: a routed expert's
    weights count experts_per_token / experts of its term."""
    comps = components(config)
    weights = sum(c.weights for c in comps)
    biases = sum(c.biases for c in comps)
    embedding = sum(c.params for c in comps if c.is_embedding)
    active = matmul = 0
    for term in (t for c in comps for t in c.terms):
        n = term.count // config.experts * config.experts_per_token if term.routed else term.count
        active += n
        matmul += n if term.matmul else 0
    return Counts(weights + biases, weights, biases, embedding, active, matmul)


def loaded(name: str) -> Config:
    return paramcalc.load(name)


@pytest.mark.parametrize("name", [*preset_names(), *FIXTURES])
def test_compiled_totals_equal_the_terms(name: str) -> None:
    config = loaded(name)
    assert count(config) == from_terms(config)


def test_the_layout_depends_on_switches_not_sizes() -> None:
    small = loaded("llama-2-7b")
    d_model = small.d_model * 2
    big = small._replace(layers=small.layers * 3, d_model=d_model, embedding_dim=d_model, vocab=7)
    assert switches(small) == switches(big)
    assert layout(switches(small)) is layout(switches(big))
    assert count(big) == from_terms(big) != count(small)


def test_every_dimension_is_an_expression_over_the_config() -> None:
    config = loaded("deepseek-v3")
    for name, expression in DIMENSIONS.items():
        value = eval(expression, {"__builtins__": {}}, {"c": config})  # noqa: S307 (our own constants)
        assert isinstance(value, int), name
    assert dimension("n3") == "c.layer_sizes[3]"
    with pytest.raises(KeyError):
        dimension("no_such_dimension")


# What the compiled source may contain: arithmetic over the config's fields, nothing else.
SAFE_NODES = (
    ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Return, ast.Assign, ast.Tuple, ast.Name,
    ast.Load, ast.Store, ast.Attribute, ast.Subscript, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv,
    ast.Constant, ast.Call,
)  # fmt: skip


@pytest.mark.parametrize("name", [*preset_names(), *FIXTURES])
def test_compiled_source_is_arithmetic_only(name: str) -> None:
    comps = layout(switches(loaded(name)))
    names = tuple(dict.fromkeys(n for comp in comps for shape in comp.shapes for n in shape.dims))
    for node in ast.walk(ast.parse(source(comps, names))):
        assert isinstance(node, SAFE_NODES), ast.dump(node)
        if isinstance(node, ast.Attribute):
            assert isinstance(node.value, ast.Name) and node.value.id == "c"
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in ("Counts", "sum")
        if isinstance(node, ast.Constant):
            assert type(node.value) is int


def test_components_are_built_on_first_use() -> None:
    report = analyze(loaded("gpt2"))
    assert report._parts is None  # analyze itself computes totals only
    assert sum(c.params for c in report.components) == report.total == 124_439_808
    assert report.components is report.components


# Every switch and every size that can add or remove a tensor, drawn over every preset.
OVERRIDES = {
    "norm": st.sampled_from(NORMS),
    "activation": st.sampled_from(sorted(ACTIVATIONS)),
    "position": st.sampled_from(POSITIONS),
    "qk_norm": st.sampled_from(QK_NORMS),
    **{
        key: st.booleans()
        for key in (
            "qkv_bias",
            "out_bias",
            "ffn_bias",
            "head_bias",
            "tie_embeddings",
            "pooler",
            "embedding_norm",
            "final_norm",
            "qk_norm_bias",
            "mlm_head",
            "shared_expert_gate",
        )
    },
    "layers": st.integers(1, 100),
    "norms_per_layer": st.integers(0, 3),
    "position_offset": st.integers(0, 2),
    "type_vocab": st.integers(0, 3),
    "embedding_dim": st.sampled_from([256, 512, 768, 1024]),
    "dense_layers": st.integers(0, 3),
    "shared_expert_d_ff": st.integers(0, 4096),
    "q_lora_rank": st.integers(0, 512),
    "experts": st.integers(1, 16),
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.sampled_from([n for n in preset_names() if not n.startswith("mlp")]), st.data())
def test_compiled_totals_equal_the_terms_for_any_switches(preset: str, data: Any) -> None:
    base = {k: v for k, v in loaded(preset).to_dict().items() if v is not None}
    keys = data.draw(st.lists(st.sampled_from(sorted(OVERRIDES)), max_size=6, unique=True))
    changes = {key: data.draw(OVERRIDES[key], label=key) for key in keys}
    try:
        config = parse_config({**base, **changes})
    except ConfigError:
        assume(False)
        raise
    assert count(config) == from_terms(config)


def test_deepest_mlp_counts_exactly() -> None:
    widths = [(i % 7) + 1 for i in range(MAX_LAYER_SIZES)]
    report = analyze(parse_config({"architecture": "mlp", "layer_sizes": widths}))
    assert report.weights == sum(a * b for a, b in zip(widths, widths[1:]))
    assert report.biases == sum(widths[1:])
    assert report.total == sum(c.params for c in report.components)
