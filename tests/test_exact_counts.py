"""Exact parameter counts against numbers from outside the project, each with its source.

REFERENCE: HuggingFace transformers 5.23.0 instantiated on the meta device,
sum(p.numel() for p in model.parameters()) (tied weights once), from the models' published
config.json files (copied from the project's shared reference set, models.json).
"""

from __future__ import annotations

import pytest

import paramcalc
from paramcalc.config import parse_config
from paramcalc.engine import analyze

REFERENCE = "transformers 5.23.0, meta device, sum(p.numel())"

# preset -> (exact total, class counted, source of the number)
EXACT = {
    "gpt2": (124_439_808, "GPT2LMHeadModel"),
    "gpt2-medium": (354_823_168, "GPT2LMHeadModel"),
    "bert-base": (109_482_240, "BertModel"),
    "t5-small": (60_506_624, "T5ForConditionalGeneration"),
    "pythia-160m": (162_322_944, "GPTNeoXForCausalLM"),
    "pythia-1.4b": (1_414_647_808, "GPTNeoXForCausalLM"),
    "llama-2-7b": (6_738_415_616, "LlamaForCausalLM"),
    "llama-2-70b": (68_976_648_192, "LlamaForCausalLM"),
    "mistral-7b": (7_241_732_096, "MistralForCausalLM"),
    "mixtral-8x7b": (46_702_792_704, "MixtralForCausalLM"),
}


@pytest.mark.parametrize("preset", sorted(EXACT))
def test_reference_models_exact(preset: str) -> None:
    total, _cls = EXACT[preset]
    assert analyze(paramcalc.load(preset)).total == total


# Per-module breakdowns of the same reference models (models.json "breakdown"): the engine's
# components must put each parameter where transformers has it.
BREAKDOWN = {
    # preset: {our component: reference count}
    "gpt2": {
        "token_embedding": 38_597_376,
        "position_embedding": 786_432,
        "attention": 28_348_416,
        "feed_forward": 56_669_184,
        "norms": 38_400,
        "output_head": 0,
    },
    "bert-base": {
        "token_embedding": 23_440_896,
        "position_embedding": 393_216,
        "token_type_embedding": 1_536,
        "attention": 28_348_416,
        "feed_forward": 56_669_184,
        "pooler": 590_592,
    },
    "pythia-1.4b": {
        "token_embedding": 103_022_592,
        "attention": 402_849_792,
        "feed_forward": 805_552_128,
        "norms": 200_704,
        "output_head": 103_022_592,
    },
    "llama-2-70b": {
        "token_embedding": 262_144_000,
        "attention": 12_079_595_520,
        "feed_forward": 56_371_445_760,
        "norms": 1_318_912,
        "output_head": 262_144_000,
    },
    "mixtral-8x7b": {
        "attention": 1_342_177_280,
        "experts": 45_097_156_608,
        "router": 1_048_576,
        "norms": 266_240,
        "output_head": 131_072_000,
    },
}


@pytest.mark.parametrize("preset", sorted(BREAKDOWN))
def test_reference_breakdown(preset: str) -> None:
    by_name = {c.name: c.params for c in analyze(paramcalc.load(preset)).components}
    for name, expected in BREAKDOWN[preset].items():
        assert by_name[name] == expected, name


def test_bert_norms_include_embedding_norm() -> None:
    # models.json counts BERT's embedding LayerNorm among its 38,400 norm parameters.
    by_name = {c.name: c.params for c in analyze(paramcalc.load("bert-base")).components}
    assert by_name["norms"] + by_name["embedding_norm"] == 38_400


def test_reference_bias_split() -> None:
    # models.json breakdown_detail for gpt2: 19,200 norm shifts, 36,864 attention and 46,080 MLP biases.
    comps = {c.name: c for c in analyze(paramcalc.load("gpt2")).components}
    assert comps["norms"].biases == 19_200
    assert comps["attention"].biases == 36_864
    assert comps["feed_forward"].biases == 46_080


def test_t5_relative_tables() -> None:
    # models.json: t5-small holds one 32 x 8 relative_attention_bias per stack (512 in all).
    comps = {c.name: c.params for c in analyze(paramcalc.load("t5-small")).components}
    assert comps["encoder.position_embedding"] == comps["decoder.position_embedding"] == 256


def test_gpt2_without_biases_is_nanogpt_figure() -> None:
    # nanoGPT (Karpathy), transformer_sizing.ipynb: GPT-2 124M has 124,337,664 parameters
    # without biases and LayerNorm shifts: our weights column.
    report = analyze(paramcalc.load("gpt2"))
    assert report.weights == 124_337_664
    assert report.weights + report.biases == report.total


# Other published counts of the same architectures (HuggingFace model cards / transformers).
OTHER = {
    "gpt2-large": 774_030_080,  # transformers GPT2LMHeadModel, openai-community/gpt2-large
    "gpt2-xl": 1_557_611_200,  # transformers GPT2LMHeadModel, openai-community/gpt2-xl
    "bert-large": 335_141_888,  # transformers BertModel, bert-large-uncased
    "t5-base": 222_903_552,  # transformers T5ForConditionalGeneration, t5-base
    "llama-2-13b": 13_015_864_320,  # transformers LlamaForCausalLM, meta-llama/Llama-2-13b-hf
    "llama-3-8b": 8_030_261_248,  # transformers LlamaForCausalLM, meta-llama/Meta-Llama-3-8B
}


@pytest.mark.parametrize("preset", sorted(OTHER))
def test_other_published_counts(preset: str) -> None:
    assert analyze(paramcalc.load(preset)).total == OTHER[preset]


# GPT-3 paper (Brown et al. 2020), Table D.1 "Params" column, in millions.
GPT3_TABLE_D1 = {
    "gpt3-small": 125,
    "gpt3-medium": 356,
    "gpt3-large": 760,
    "gpt3-xl": 1_320,
    "gpt3-2.7b": 2_650,
    "gpt3-6.7b": 6_660,
    "gpt3-13b": 12_850,
    "gpt3-175b": 174_600,
}


@pytest.mark.parametrize("preset", sorted(GPT3_TABLE_D1))
def test_gpt3_table_d1_within_one_percent(preset: str) -> None:
    total = analyze(paramcalc.load(preset)).total
    paper = GPT3_TABLE_D1[preset] * 10**6
    assert abs(total - paper) / paper < 0.01


def test_gpt3_is_the_175b() -> None:
    assert analyze(paramcalc.load("gpt3")).total == analyze(paramcalc.load("gpt3-175b")).total


def test_chinchilla_70b() -> None:
    # Hoffmann et al. 2022, Table 4: 70B parameters.
    total = analyze(paramcalc.load("chinchilla-70b")).total
    assert abs(total - 70e9) / 70e9 < 0.01


@pytest.mark.parametrize(
    ("sizes", "bias", "weights", "biases"),
    [
        ([2, 2, 1], True, 6, 3),  # textbook: 2x2 + 2x1 weights, 2 + 1 biases = 9
        ([2, 3, 1], False, 9, 0),  # 2x3 + 3x1 weights = 9
        ([784, 128, 10], True, 784 * 128 + 128 * 10, 138),
    ],
)
def test_textbook_mlp(sizes: list[int], bias: bool, weights: int, biases: int) -> None:
    report = analyze(parse_config({"architecture": "mlp", "layer_sizes": sizes, "bias": bias}))
    assert (report.weights, report.biases, report.total) == (weights, biases, weights + biases)


@pytest.mark.parametrize(("preset", "total"), [("mlp-2-2-1", 9), ("mlp-2-3-1", 9)])
def test_textbook_presets(preset: str, total: int) -> None:
    assert analyze(paramcalc.load(preset)).total == total


def test_mixtral_active_params() -> None:
    # Jiang et al. 2024 (Mixtral of Experts, Section 1): 47B total, 13B active per token.
    report = analyze(paramcalc.load("mixtral-8x7b"))
    per_expert_layer = 3 * 4096 * 14336
    assert report.total - report.active == 32 * 6 * per_expert_layer  # 6 of 8 experts idle
    assert round(report.active / 1e9) == 13


def test_routed_params_are_counted_directly() -> None:
    # Mixtral-8x7B: 32 blocks x 8 experts x (up, gate, down of 4096 x 14336) routed parameters.
    report = analyze(paramcalc.load("mixtral-8x7b"))
    assert report.routed == 32 * 8 * 3 * 4096 * 14336
    assert report.to_dict()["params"]["routed"] == report.routed
    assert report.active == report.total - report.routed + report.routed // 8 * 2
    # DeepSeek-V3: 58 MoE blocks (61 - 3 dense) x 256 experts x 3 x 7168 x 2048; the shared expert is not routed.
    assert analyze(paramcalc.load("deepseek-v3")).routed == 58 * 256 * 3 * 7168 * 2048
    assert analyze(paramcalc.load("llama-2-7b")).routed == 0


def test_all_experts_active() -> None:
    report = analyze(paramcalc.load("mixtral-8x7b:experts_per_token=8"))
    assert report.active == report.total
    assert report.routed == 32 * 8 * 3 * 4096 * 14336


# The textbook 2-2-1 net, as Goodfellow et al. 2016 (Section 6.1) index W_{i,j}: input i to unit j.
def test_textbook_names_of_a_2_2_1_net() -> None:
    from paramcalc.engine.params import mlp_widths, textbook_parameters, textbook_units

    config = paramcalc.load("mlp-2-2-1")
    assert mlp_widths(config) == (("n0", "input", 2), ("n1", "hidden layer 1", 2), ("n2", "output", 1))
    names = [p.name for p in textbook_parameters(config)]
    assert names == [
        *("w(1,1)^(1)", "w(2,1)^(1)", "b1^(1)", "w(1,2)^(1)", "w(2,2)^(1)", "b2^(1)"),
        *("w(1,1)^(2)", "w(2,1)^(2)", "b1^(2)"),
    ]
    assert len(names) == analyze(config).total == 9
    first, _, output = textbook_units(config)
    # z1 = x1*w(1,1) + x2*w(2,1) + b1
    assert (first.output, first.inputs, [w.name for w in first.weights]) == (
        "z1^(1)",
        ("x1", "x2"),
        ["w(1,1)^(1)", "w(2,1)^(1)"],
    )
    assert first.bias is not None and (first.bias.name, first.bias.kind, first.bias.source) == ("b1^(1)", "bias", None)
    assert output.inputs == ("a1^(1)", "a2^(1)") and output.output == "z1^(2)"
    assert [(w.layer, w.source, w.unit) for w in output.weights] == [(2, 1, 1), (2, 2, 1)]


def test_textbook_names_without_biases_and_their_limit() -> None:
    from paramcalc.engine.params import TEXTBOOK_MAX_PARAMS, textbook_parameters, textbook_units

    no_bias = paramcalc.load("mlp-2-3-1")
    assert all(u.bias is None for u in textbook_units(no_bias))
    assert len(textbook_parameters(no_bias)) == 9
    assert mlp_widths_of([4, 3, 3, 2]) == ["input", "hidden layer 1", "hidden layer 2", "output"]
    wide = parse_config({"architecture": "mlp", "layer_sizes": [10, 9, 1]})  # 90 + 9 weights, 10 biases: 109
    with pytest.raises(ValueError, match=f"at most {TEXTBOOK_MAX_PARAMS}"):
        textbook_units(wide)
    with pytest.raises(ValueError, match="not an mlp"):
        textbook_units(paramcalc.load("gpt2"))


def mlp_widths_of(sizes: list[int]) -> list[str]:
    from paramcalc.engine.params import mlp_widths

    return [role for _, role, _ in mlp_widths(parse_config({"architecture": "mlp", "layer_sizes": sizes}))]
