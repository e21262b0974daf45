from __future__ import annotations

import pytest

import paramcalc
from paramcalc.config import parse_config, parse_count
from paramcalc.engine import analyze
from paramcalc.engine.inference import weight_bytes_per_step
from paramcalc.engine.memory import weight_bytes


def test_gpt3_175b_six_nd_table_d1() -> None:
    # Brown et al. 2020, Table D.1: GPT-3 175B, 300B tokens, 3.14e23 training FLOPs.
    report = analyze(paramcalc.load("gpt3-175b"))
    assert report.flops.training_tokens == 300 * 10**9
    assert report.flops.tokens_source == "config"
    assert abs(report.flops.six_nd - 3.14e23) / 3.14e23 < 0.015


def test_forward_flops_convention_by_hand() -> None:
    # GPT-2: matmul weights = attention + MLP weights + the tied head (vocab x d_model);
    # attention products = 2 x 2 x layers x context x d_attn.
    report = analyze(paramcalc.load("gpt2"))
    matmul = 12 * (4 * 768 * 768 + 2 * 768 * 3072) + 50257 * 768
    attention = 2 * 2 * 12 * 1024 * 768
    assert report.flops.forward_per_token == 2 * matmul + attention
    assert report.flops.training_per_token == 3 * report.flops.forward_per_token
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


def test_infer_with_every_expert_active(run) -> None:  # type: ignore[no-untyped-def]
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
