"""infer with real weight formats and runtime engines: the figures come from formats.py and
engines.py, whose own tests check them against llama.cpp's rules, published GGUF sizes and the
engines' sources; here, that infer uses them and says so."""

from __future__ import annotations

import json
from typing import Any

import pytest

import paramcalc
from paramcalc.engine import analyze, engines, formats
from paramcalc.errors import SettingError
from tests.conftest import Run


def plan(model: str, **settings: Any) -> dict[str, Any]:
    data: dict[str, Any] = paramcalc.infer(model, **settings).to_dict()
    return data


def test_weights_as_a_gguf_mix_stores_them() -> None:
    report = analyze(paramcalc.load("llama-3.1-8b"))
    stored = formats.stored_weights(report, "q4_k_m")
    data = plan("llama-3.1-8b", dtype="q4_k_m", gpu="rtx-4090")
    assert data["bytes"]["weights"] == stored.total
    assert data["weights_format"]["by_type"] == stored.by_type and 4.5 < data["weights_format"]["bits_per_weight"] < 5.2


def test_group_size_reaches_gptq() -> None:
    small, large = (plan("llama-3.1-8b", dtype="gptq-4bit", group_size=g, gpu="h100-sxm") for g in (32, 128))
    assert small["bytes"]["weights"] > large["bytes"]["weights"]  # more groups, more scales and zeros
    with pytest.raises(SettingError, match="group_size"):
        plan("llama-3.1-8b", dtype="q4_k_m", group_size=64, gpu="h100-sxm")


def test_vllm_allocates_the_cache_in_16_token_blocks() -> None:
    data = plan("llama-3-8b", engine="vllm", context=8191, gpu="h100-sxm")
    assert data["bytes"]["kv_cache"] == 8192 * 131072  # 512 blocks of 16 tokens, the last one partly used
    assert data["usable_bytes"] == engines.reserve(engines.lookup("vllm"), 80 * 10**9)
    names = {b["name"]: b["where"] for b in data["buffers"]}
    assert names == {"activation_peak": "budget", "sampler_logits": "budget", "cuda_graphs": "headroom"}


def test_llama_cpp_offloads_the_layers_that_fit_and_keeps_the_rest_in_ram() -> None:
    data = plan("llama-3.1-70b", dtype="q4_k_m", engine="llama.cpp", gpu="rtx-4090")
    offload = data["llama_cpp"]
    assert 0 < offload["layers_on_gpu"] < 81 and offload["cpu_bytes"] > 15 * 10**9
    assert data["decode_tokens_per_s"] is None  # the CPU layers' bandwidth is not modelled
    assert not plan("llama-3.1-70b", dtype="q4_k_m", engine="llama.cpp", gpu="rtx-4090", cpu_memory="16GB")["fits"]
    assert plan("llama-3.1-70b", dtype="q4_k_m", engine="llama.cpp", gpu="rtx-4090", cpu_memory="64GB")["fits"]
    all_in = plan("llama-3.1-8b", dtype="q4_k_m", engine="llama.cpp", gpu="rtx-4090")
    assert all_in["llama_cpp"]["layers_on_gpu"] == 33  # 32 layers and the output layer


def test_n_cpu_moe_keeps_experts_in_ram() -> None:
    base = plan("mixtral-8x7b", dtype="q4_k_m", engine="llama.cpp", gpu="h100-sxm", n_gpu_layers=33)
    moved = plan("mixtral-8x7b", dtype="q4_k_m", engine="llama.cpp", gpu="h100-sxm", n_gpu_layers=33, n_cpu_moe=8)
    assert moved["llama_cpp"]["cpu_bytes"] > base["llama_cpp"]["cpu_bytes"]


def test_engine_options_are_checked(run: Run) -> None:
    with pytest.raises(SettingError, match="llama.cpp's"):
        plan("llama-3-8b", engine="vllm", n_gpu_layers=10, gpu="h100-sxm")
    bad = run("infer", "llama-3-8b", "--dtype", "q4_k_mm")
    assert bad.exit_code == 2 and "q4_k_m" in bad.stderr and bad.stdout == ""
    ram = run("infer", "llama-3-8b", "--engine", "llama.cpp", "--cpu-memory", "64")
    assert ram.exit_code == 2 and "--cpu-memory" in ram.stderr and "64GB" in ram.stderr


def test_the_cli_reads_formats_in_any_case(run: Run) -> None:
    data = json.loads(run("infer", "llama-2-7b", "--dtype", "Q4_K_M", "--engine", "llama.cpp", "--json").stdout)
    assert data["settings"]["dtype"] == "q4_k_m" and data["engine"] == "llama.cpp"


def test_attention_switches_the_engines_kernels() -> None:
    """llama.cpp without flash attention holds the KQ scores of a ubatch (heads x 512 x context x 4
    bytes); transformers' eager attention the prefill's heads x context^2 scores."""
    fa, no_fa = (
        plan("llama-3.1-8b", engine="llama.cpp", attention=a, context=32768, gpu="h100-sxm") for a in ("flash", "eager")
    )
    kq = 32 * 512 * 32768 * 4
    assert {b["name"]: b["bytes"] for b in no_fa["buffers"]}["compute_buffer"] >= kq > fa["bytes"]["activations"]
    eager = plan("llama-3.1-8b", engine="transformers", attention="eager", context=4096, gpu="h100-sxm")
    scores = {b["name"]: b["bytes"] for b in eager["buffers"]}["attention_scores"]
    assert scores == 32 * 4096 * 4096 * (2 * 2 + 4)
    with pytest.raises(SettingError, match="fused kernels"):
        plan("llama-3.1-8b", engine="vllm", attention="eager", gpu="h100-sxm")
