"""The two ways of filling a layout in agree: the totals (count, what analyze reports) and the
term-by-term components (what --detail, --explain and the JSON components show)."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import strategies as st

import paramcalc
from paramcalc.catalog import preset_names
from paramcalc.config import ACTIVATIONS, NORMS, POSITIONS, QK_NORMS, Config, parse_config
from paramcalc.engine import analyze
from paramcalc.engine.layout import DIMENSIONS, LOOKUP_COMPONENTS, dimension, layout, switches
from paramcalc.engine.params import Counts, components, count
from paramcalc.errors import ConfigError
from paramcalc.fields import MAX_LAYER_SIZES
from tests._profiles import budget

FIXTURES = sorted(
    str(p)
    for p in (Path(__file__).parent / "fixtures" / "hf").rglob("*.json")
    if p.name != "expected.json" and not p.name.startswith("variants_")  # variants_*.json: lists of configs
)


def from_terms(config: Config) -> Counts:
    """The totals summed term by term over the materialized components: a routed expert's
    weights count experts_per_token / experts of its term. A composite's: its parts' (each with
    its own experts) and its loose tensors (weights, active, no matmul)."""
    if config.parts:
        loose = sum(c.params for c in components(config) if "." not in c.name)
        total, weights, *rest = (sum(values) for values in zip(*(from_terms(part) for _, part in config.parts)))
        embedding, active, *others = rest[1:]
        return Counts(total + loose, weights + loose, rest[0], embedding, active + loose, *others)
    comps = components(config)
    weights = sum(c.weights for c in comps)
    biases = sum(c.biases for c in comps)
    embedding = sum(c.params for c in comps if c.is_embedding)
    active = matmul = routed = 0
    lookup = sum(c.params for c in comps if c.name.rsplit(".", 1)[-1] in LOOKUP_COMPONENTS)
    for term in (t for c in comps for t in c.terms):
        n = term.count // config.experts * config.experts_per_token if term.routed else term.count
        active += n
        matmul += n if term.matmul else 0
        routed += term.count if term.routed else 0
    return Counts(weights + biases, weights, biases, embedding, active, matmul, routed, lookup)


def loaded(name: str) -> Config:
    return paramcalc.load(name)


@pytest.mark.parametrize("name", [*preset_names(), *FIXTURES])
def test_totals_equal_the_terms(name: str) -> None:
    config = loaded(name)
    assert count(config) == from_terms(config)


def test_the_layout_depends_on_switches_not_sizes() -> None:
    small = loaded("llama-2-7b")
    d_model = small.d_model * 2
    big = small._replace(layers=small.layers * 3, d_model=d_model, embedding_dim=d_model, vocab=7)
    assert switches(small) == switches(big)
    assert layout(switches(small)) is layout(switches(big))
    assert count(big) == from_terms(big) != count(small)


def test_every_dimension_is_a_function_of_the_config() -> None:
    config = loaded("deepseek-v3")
    for name, size in DIMENSIONS.items():
        assert isinstance(size(config), int), name
    assert DIMENSIONS["heads*(head_dim+v_head_dim)"](config) == 128 * (128 + 128)
    mlp = loaded("mlp-2-3-1")
    assert [dimension(f"n{i}")(mlp) for i in range(3)] == [2, 3, 1]
    with pytest.raises(KeyError):
        dimension("no_such_dimension")


ENGINE = Path(paramcalc.__file__).parent / "engine"


@pytest.mark.parametrize("module", sorted(m.name for m in pkgutil.iter_modules([str(ENGINE)])))
def test_the_engine_compiles_no_code(module: str) -> None:
    """Plain code over generated code: a formula is found by reading, not by rebuilding a string."""
    tree = ast.parse((ENGINE / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            assert name not in ("exec", "eval", "compile"), f"engine/{module}.py:{node.lineno} calls {name}()"


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


@budget(ci=60, slow=400, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.sampled_from([n for n in preset_names() if not n.startswith("mlp")]), st.data())
def test_totals_equal_the_terms_for_any_switches(preset: str, data: Any) -> None:
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
