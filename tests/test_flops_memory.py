from __future__ import annotations

import json

import pytest

import paramcalc
from paramcalc.config import parse_config, parse_count
from paramcalc.engine import analyze
from paramcalc.engine.inference import weight_bytes_per_step
from paramcalc.engine.memory import weight_bytes
from paramcalc.errors import ConfigError
from tests.conftest import Run


def test_gpt3_175b_six_nd_table_d1() -> None:
    # Brown et al. 2020, Table D.1: GPT-3 175B, 300B tokens, 3.14e23 training FLOPs.
    report = analyze(paramcalc.load("gpt3-175b"))
    assert report.flops.training_tokens == 300 * 10**9
    assert report.flops.tokens_source == "config"
    assert report.flops.six_nd is not None
    assert abs(report.flops.six_nd - 3.14e23) / 3.14e23 < 0.015


def test_forward_flops_convention_by_hand() -> None:
    # GPT-2: matmul weights = attention + MLP weights + the tied head (vocab x d_model);
    # attention products = 2 x 2 x layers x context x d_attn.
    report = analyze(paramcalc.load("gpt2"))
    matmul = 12 * (4 * 768 * 768 + 2 * 768 * 3072) + 50257 * 768
    attention = 2 * 2 * 12 * 1024 * 768
    assert report.flops.forward_per_token == 2 * matmul + attention
    assert report.flops.training_per_token == 3 * report.flops.forward_per_token
    assert report.flops.training_tokens is not None
    assert report.flops.training_total == report.flops.training_per_token * report.flops.training_tokens


def test_moe_flops_use_active_experts() -> None:
    dense = analyze(paramcalc.load("mistral-7b"))
    moe = analyze(paramcalc.load("mixtral-8x7b"))
    expert = 32 * 3 * 4096 * 14336
    router = 32 * 4096 * 8
    assert moe.flops.forward_per_token - dense.flops.forward_per_token == 2 * (expert + router)


def test_tokens_default_chinchilla() -> None:
    report = analyze(paramcalc.load("gpt2"))
    assert report.flops.tokens_source == "chinchilla_20x_params"
    assert report.flops.training_tokens == 20 * report.total
    assert report.flops.six_nd == 6 * report.total * 20 * report.total


def test_tokens_override() -> None:
    report = analyze(paramcalc.load("gpt2"), tokens=10**9)
    assert (report.flops.training_tokens, report.flops.tokens_source) == (10**9, "option")


@pytest.mark.parametrize("text", ["300e9", "3e11", "300B", "300b", "0.3T", "300_000_000_000", 3e11, 300 * 10**9])
def test_parse_count(text: object) -> None:
    assert parse_count(text) == 300 * 10**9


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "1.5", "1e-3", True, None, [1], "nan", float("inf")])
def test_parse_count_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_count(text)


def test_memory_from_bits() -> None:
    report = analyze(parse_config({"architecture": "mlp", "layer_sizes": [2, 2, 1]}))  # 9 params
    assert report.memory_bytes == {"fp32": 36, "fp16": 18, "bf16": 18, "int8": 9, "int4": 5}
    assert weight_bytes(1, 4) == 1  # never 0 bytes for int4


def test_memory_llama_2_7b() -> None:
    report = analyze(paramcalc.load("llama-2-7b"))
    assert report.memory_bytes["fp16"] == 2 * 6_738_415_616
    assert report.memory_bytes["int4"] == 6_738_415_616 // 2


LLAMA_31_8B = "tests/fixtures/hf/meta-llama__Llama-3.1-8B.json"


def test_training_flops_at_the_training_sequence_length() -> None:
    # Llama-3.1-8B: context 131,072 (max_position_embeddings), trained at 8,192 (Dubey et al. 2024,
    # Section 3.4.1), on 15T tokens. At the maximum context the attention products make the
    # estimate 5x 6ND; at the training length it comes close to 6ND.
    config = paramcalc.load(LLAMA_31_8B)
    assert (config.context, config.seq_len) == (131_072, 131_072)  # the importer keeps the maximum as context
    tokens = 15 * 10**12
    ratio = analyze(config, tokens=tokens).flops.ratio_to_six_nd
    assert ratio is not None and ratio > 5
    report = analyze(paramcalc.load(LLAMA_31_8B + ":seq_len=8192"), tokens=tokens)
    layers, d_model, vocab, d_ff, kv_dim = 32, 4096, 128_256, 14_336, 8 * 128
    total = 8_030_261_248
    assert report.total == total
    # matmul weights: q, k, v, o and up, gate, down per block, and the untied head (the embedding is a lookup)
    matmul = layers * (2 * d_model * d_model + 2 * d_model * kv_dim + 3 * d_model * d_ff) + d_model * vocab
    attention = 2 * 2 * layers * 8192 * d_model  # QK^T and AV: 2 FLOPs x seq_len x heads*head_dim each
    forward = 2 * matmul + attention
    f = report.flops
    assert (f.seq_len, f.causal, f.unit) == (8192, False, "token")
    assert f.forward_per_token == forward
    assert f.training_total == 3 * forward * tokens
    assert f.six_nd == 6 * total * tokens
    assert f.ratio_to_six_nd == 3 * forward * tokens / (6 * total * tokens)
    assert abs(f.ratio_to_six_nd - 1) < 0.21
    flops = report.to_dict()["flops"]
    assert (flops["seq_len"], flops["causal"], flops["unit"]) == (8192, False, "token")
    assert flops["ratio_to_six_nd"] == f.ratio_to_six_nd


def test_causal_halves_exactly_the_attention_part() -> None:
    config = paramcalc.load(LLAMA_31_8B + ":seq_len=8192")
    full, causal = analyze(config).flops, analyze(config, causal=True).flops
    attention = 2 * 2 * 32 * 8192 * 4096
    assert full.forward_per_token - causal.forward_per_token == attention // 2
    assert causal.causal and causal.training_per_token == 3 * causal.forward_per_token
    assert analyze(config, causal=True).to_dict()["flops"]["causal"] is True


def test_causal_leaves_bidirectional_attention_full() -> None:
    bert = paramcalc.load("bert-base")
    assert analyze(bert, causal=True).flops == analyze(bert).flops._replace(causal=True)
    # T5: the decoder's self-attention is masked; the encoder and the cross-attention are not.
    t5 = paramcalc.load("t5-small")
    per_layer = 2 * 2 * t5.seq_len * t5.heads * t5.head_dim
    assert analyze(t5).flops.forward_per_token - analyze(t5, causal=True).flops.forward_per_token == (
        t5.decoder_layers * per_layer // 2
    )


def test_default_seq_len_is_the_context_and_changes_nothing() -> None:
    for name in ("gpt2", "gpt3-175b", "t5-small", "deepseek-v3"):
        config = paramcalc.load(name)
        assert config.seq_len == config.context
        assert "seq_len" not in config.to_dict()  # shown only when set apart from context
    shorter = paramcalc.load("gpt2:seq_len=512")
    assert shorter.to_dict()["seq_len"] == 512
    assert analyze(shorter).total == analyze(paramcalc.load("gpt2")).total  # a length adds no parameters
    assert analyze(paramcalc.load("gpt2")).flops.forward_per_token - analyze(shorter).flops.forward_per_token == (
        2 * 2 * 12 * (1024 - 512) * 768
    )


def test_seq_len_beyond_the_context_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"layers": 12, "d_model": 768, "heads": 12, "vocab": 50257, "context": 1024, "seq_len": 2048}, "g.yaml"
        )
    assert [str(p) for p in caught.value.problems] == [
        "g.yaml: seq_len: 2048 is more than context 1024 (the longest sequence the model takes)"
    ]


def test_an_mlp_is_counted_per_example_without_a_chinchilla_default() -> None:
    report = analyze(paramcalc.load("mlp-2-2-1"))  # 6 weights, 3 biases
    f = report.flops
    assert (f.unit, f.forward_per_token, f.training_per_token) == ("example", 2 * 6, 3 * 2 * 6)
    assert (f.training_tokens, f.tokens_source, f.training_total, f.six_nd) == (None, "none", None, None)
    assert (f.seq_len, f.ratio_to_six_nd) == (None, None)
    flops = report.to_dict()["flops"]
    assert flops["training_tokens"] is None and flops["unit"] == "example"
    given = analyze(paramcalc.load("mlp-2-2-1"), tokens=60_000).flops  # 60,000 examples (MNIST's training set)
    assert (given.training_tokens, given.tokens_source, given.unit) == (60_000, "option", "example")
    assert given.training_total == 3 * 2 * 6 * 60_000 and given.six_nd == 6 * 9 * 60_000


def test_count_mlp_cli_has_no_chinchilla_tokens(run: Run) -> None:
    result = run("count", "mlp-2-2-1", "--json")
    assert result.exit_code == 0, result.stderr
    flops = json.loads(result.stdout)["flops"]
    assert (flops["training_tokens"], flops["tokens_source"], flops["unit"]) == (None, "none", "example")
    table = run("count", "mlp-2-2-1")
    assert table.exit_code == 0, table.stderr
    assert "Chinchilla" not in table.stdout


def test_infer_with_every_expert_active(run: Run) -> None:
    # Was "internal error: ZeroDivisionError": the expert sizes were recovered from total - active.
    result = run("infer", "mixtral-8x7b", "--set", "experts_per_token=8", "--json")
    assert result.exit_code == 0, result.stderr
    report = analyze(paramcalc.load("mixtral-8x7b:experts_per_token=8"))
    for batch in (1, 4):
        assert weight_bytes_per_step(report, 16, batch) == weight_bytes(report.total, 16)  # every expert read


def test_weights_read_per_step_of_mixtral() -> None:
    report = analyze(paramcalc.load("mixtral-8x7b"))
    expert = 3 * 4096 * 14336  # one expert of one block
    dense = report.total - 32 * 8 * expert
    assert weight_bytes_per_step(report, 16, 1) == 2 * (dense + 32 * 2 * expert) == 2 * report.active
    assert weight_bytes_per_step(report, 16, 3) == 2 * (dense + 32 * 6 * expert)
    assert weight_bytes_per_step(report, 4, 64) == weight_bytes(report.total, 4)


def test_one_vocabulary() -> None:
    from paramcalc import design
    from paramcalc.engine import flops, formats, memory

    assert vars(formats)["DTYPE_BITS"] is memory.DTYPE_BITS  # one table, imported, not a copy
    assert memory.DTYPE_BITS == {"fp32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8, "int4": 4}
    assert tuple(memory.memory_by_dtype(9)) == memory.MEMORY_DTYPES == ("fp32", "fp16", "bf16", "int8", "int4")
    assert vars(design)["TOKENS_PER_PARAM"] is flops.CHINCHILLA_TOKENS_PER_PARAM == 20


def test_sliding_window_layers_attend_to_their_window() -> None:
    """6 blocks, a window of 16, every 3rd block full: 2 full layers at seq_len 64 and 4 local ones
    at 16 keys per query; causal: 32 keys per query in a full layer, 16 - 16^2 / 128 = 14 in a
    local one."""
    from paramcalc.engine.flops import attention_products_per_token

    base = {"layers": 6, "d_model": 64, "heads": 4, "vocab": 100, "context": 64}
    width = 2 * 4 * (16 + 16)  # 2 FLOPs x heads x (qk + v head dims)
    config = paramcalc.load({**base, "sliding_window": 16, "full_attention_every": 3})
    assert attention_products_per_token(config) == width * (2 * 64 + 4 * 16)
    assert attention_products_per_token(config, causal=True) == width * (2 * 32 + 4 * 14)
    everywhere = paramcalc.load({**base, "sliding_window": 16, "full_attention_every": 0})
    assert attention_products_per_token(everywhere) == width * 6 * 16
    wide = paramcalc.load({**base, "sliding_window": 64, "full_attention_every": 0})  # no narrower than seq_len
    assert attention_products_per_token(wide) == attention_products_per_token(paramcalc.load(base)) == width * 6 * 64
