"""infer's KV cache, layer kind by layer kind: the derived facts of issue 15 ("Test data and
checks"), each computed here from the model's published shape."""

from __future__ import annotations

from typing import Any

import pytest

import paramcalc
from paramcalc.engine.kvcache import cache_bytes

# Gemma-3-27B's text stack (google/gemma-3-27b-it config.json text_config: 62 layers, hidden 5376,
# 32 heads, 16 KV heads x 128, sliding_window 1024, 5 local : 1 global, 128k context)
GEMMA_3_27B = {
    "name": "gemma-3-27b text",
    "layers": 62,
    "d_model": 5376,
    "heads": 32,
    "kv_heads": 16,
    "head_dim": 128,
    "d_ff": 21504,
    "vocab": 262208,
    "context": 131072,
    "activation": "geglu",
    "norm": "rmsnorm",
    "bias": False,
    "position": "rotary",
    "sliding_window": 1024,
    "full_attention_every": 6,
}


def kinds(config: Any, **settings: Any) -> dict[str, dict[str, Any]]:
    data = paramcalc.infer(config, gpu="h200", **settings).to_dict()
    return {k["kind"]: k for k in data["kv_cache_by_kind"]}


def test_gemma_3_27b_at_128k_is_far_below_62_full_layers() -> None:
    per_layer_token = 2 * 16 * 128 * 2  # K and V, 16 KV heads x 128, bf16
    got = kinds(GEMMA_3_27B, context=131072)
    assert got["full_attention"]["layers"] == 10 and got["sliding_window"]["layers"] == 52  # 62 // 6 global
    assert got["full_attention"]["bytes"] == 10 * per_layer_token * 131072
    assert got["sliding_window"]["bytes"] == 52 * per_layer_token * 1024
    everything = 62 * per_layer_token * 131072
    total = got["full_attention"]["bytes"] + got["sliding_window"]["bytes"]
    assert total < everything / 5  # 11.2 GB, not 66.6 GB


def test_gpt_oss_120b_alternates_128_token_windows() -> None:
    got = kinds("gpt-oss-120b", context=65536)
    per_layer_token = 2 * 8 * 64 * 2
    assert got["full_attention"]["bytes"] == 18 * per_layer_token * 65536
    assert got["sliding_window"]["bytes"] == 18 * per_layer_token * 128


def test_mistral_7b_v0_1_stops_at_its_4096_window() -> None:
    config = {**paramcalc.load("mistral-7b").to_dict(), "sliding_window": 4096, "full_attention_every": 0}
    short, long = (kinds(config, context=n) for n in (4096, 32768))
    assert short["sliding_window"]["bytes"] == long["sliding_window"]["bytes"] == 32 * 2 * 8 * 128 * 2 * 4096


def test_whisper_caches_cross_attention_over_1500_frames() -> None:
    got = kinds("whisper-large-v3", context=448)
    per_layer_token = 2 * 20 * 64 * 2  # 20 heads x 64, no GQA
    assert got["self_attention"]["bytes"] == 32 * per_layer_token * 448
    assert got["cross_attention"]["bytes"] == 32 * per_layer_token * 1500
    assert got["cross_attention"]["fixed_bytes_per_sequence"] == 32 * per_layer_token * 1500


def test_deepseek_v3_caches_its_latent() -> None:
    got = kinds("deepseek-v3", context=4096, gpus=8, dtype="fp8")
    assert got["latent_attention"]["bytes"] == 61 * (512 + 64) * 1 * 4096  # fp8 cache (the --dtype)


@pytest.mark.parametrize(("cache", "per_head"), [("bf16", 256), ("fp8", 128), ("q8_0", 4 * 34), ("q4_0", 4 * 18)])
def test_gguf_cache_types_keep_their_block_overhead(cache: str, per_head: int) -> None:
    assert cache_bytes(1, 128, cache) == per_head
    got = kinds("llama-2-7b", context=4096, kv_dtype=cache)
    assert got["full_attention"]["bytes"] == 32 * 2 * 32 * per_head * 4096


def test_q4_0_rounds_a_head_up_to_whole_blocks() -> None:
    assert cache_bytes(2, 80, "q4_0") == 2 * 3 * 18  # 80 = 2.5 blocks of 32: 3 blocks per head


def test_default_context_is_a_working_length_and_the_maximum_is_shown(run: Any) -> None:
    data = paramcalc.infer("llama-3.1-8b", gpu="h100-sxm").to_dict()
    assert data["settings"]["context"] == 8192 and data["model_context"] == 131072
    assert "1 x 8,192 (the model's maximum: 131,072)" in run("infer", "llama-3.1-8b", "--gpu", "h100-sxm").stdout


def test_no_speed_for_a_plan_that_does_not_fit(run: Any) -> None:
    data = paramcalc.infer("llama-2-70b", gpu="rtx-4090").to_dict()
    assert not data["fits"] and data["prefill_seconds"] is None and data["decode_tokens_per_s"] is None
    assert "none: the plan does not fit" in run("infer", "llama-2-70b", "--gpu", "rtx-4090").stdout


def test_tensor_parallel_splits_kv_heads_and_warns_when_they_do_not_divide() -> None:
    one, two = (kinds("llama-3-8b", context=8192, gpus=n) for n in (1, 2))
    assert two["full_attention"]["bytes"] * 2 == one["full_attention"]["bytes"]
    result = paramcalc.infer("llama-3-8b", gpu="h100-sxm", gpus=3)
    assert any("do not split evenly" in w for w in result.warnings)
