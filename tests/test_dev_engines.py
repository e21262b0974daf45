"""Engine profiles (paramcalc/engine/engines.py): each engine on GPT-2 (d_model 768, d_ff 3072 ungated,
12 heads of 64, vocab 50,257, 12 layers), every number computed by hand in the comment beside it."""

from __future__ import annotations

import pytest

import paramcalc
from paramcalc.config import Config
from paramcalc.engine import engines
from paramcalc.engine.engines import (
    ENGINES,
    GiB,
    MiB,
    kv_allocation,
    llama_cpp_offload,
    lookup,
    mem_fraction_static,
    reserve,
    runtime_buffers,
    with_settings,
)
from paramcalc.engine.hardware import usable_bytes
from paramcalc.errors import SettingError

GB = 10**9
KV_GPT2 = 12 * 2 * 12 * 64 * 2  # layers x (K, V) x kv_heads x head_dim x bf16 = 36,864 bytes per token


@pytest.fixture(scope="module")
def gpt2() -> Config:
    return paramcalc.load("gpt2")


def test_engines_listed_with_sources() -> None:
    assert list(ENGINES) == ["plain", "vllm", "sglang", "llama.cpp", "transformers"]
    for e in ENGINES.values():
        assert e.source and e.basis
        assert e.outside_budget | e.on_host <= set(engines.TERM_BASIS)
    assert (
        lookup("vLLM") is engines.VLLM
        and lookup("llamacpp") is engines.LLAMA_CPP
        and lookup("hf").name == "transformers"
    )


def test_unknown_engine_and_settings() -> None:
    with pytest.raises(SettingError) as info:
        lookup("vlm")
    assert info.value.problems == [("engine", "unknown engine 'vlm' (did you mean 'vllm'?)")]
    with pytest.raises(SettingError) as info:
        with_settings(engines.VLLM, memory_fraction=1.5, kv_blok=8, n_ubatch=0)
    assert info.value.problems == [
        ("memory_fraction", "1.5 is out of range: above 0, at most 1"),
        ("kv_blok", "not a setting of an engine (did you mean 'kv_block'?)"),
        ("n_ubatch", "0 must be a whole number, at least 1"),
    ]


def test_inner_width(gpt2: Config) -> None:
    assert engines.inner_width(gpt2) == max(3072, 12 * 64 + 2 * 12 * 64) == 3072  # width = 768 + 3072 = 3,840


# plain: the stated model, the same numbers as infer without an engine ---------------------------


def test_plain(gpt2: Config) -> None:
    from paramcalc.engine.inference import activation_bytes_per_token

    assert reserve(engines.PLAIN, 24 * GB) == 21_600_000_000 == usable_bytes(24 * GB, 0.1)
    buffers = runtime_buffers(engines.PLAIN, gpt2, 1024, 2, 2)
    assert buffers == {"activations": 2 * 1024 * 3840 * 2, "logits": 2 * 50257 * 4}  # 15,728,640 and 402,056
    assert sum(buffers.values()) == activation_bytes_per_token(gpt2) * 1024 * 2 + 4 * gpt2.vocab * 2
    assert kv_allocation(engines.PLAIN, 1000, 3, KV_GPT2) == 3000 * KV_GPT2


# vLLM ----------------------------------------------------------------------------------------------


def test_vllm(gpt2: Config) -> None:
    vllm = engines.VLLM
    assert reserve(vllm, 24 * GB) == 21_600_000_000  # x 0.9
    assert reserve(with_settings(vllm, memory_fraction=0.92), 80 * GB) == 73_600_000_000  # newer default, exact
    # 1,000 tokens are 63 blocks of 16 = 1,008 tokens per sequence
    assert kv_allocation(vllm, 1000, 3, KV_GPT2) == 3 * 1008 * KV_GPT2 == 111_476_736
    assert kv_allocation(vllm, 1024, 3, KV_GPT2) == 3 * 1024 * KV_GPT2  # whole blocks: no rounding
    buffers = runtime_buffers(vllm, gpt2, 100_000, 64, 2)  # the context and batch do not matter
    assert buffers == {
        "activation_peak": 8192 * 3840 * 2,  # 62,914,560: max_num_batched_tokens x width x bf16
        "sampler_logits": 256 * 50257 * (2 + 4),  # 77,194,752: max_num_seqs rows, bf16 + fp32
        "cuda_graphs": 512 * MiB,
    }
    assert vllm.outside_budget == {"cuda_graphs"}


# SGLang ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("memory", "fraction", "reserved_mib"),
    [
        # 24 GB = 22,888.2 MiB (< 35 GiB): chunk 2048, graphs 24: 512 + 3072 + 48 + 128 = 3,760 -> 0.836
        (24 * GB, "0.836", 3760),
        # 80 GB = 76,293.9 MiB (< 90 GiB): chunk 8192, graphs 256: 512 + 12288 + 512 + 128 = 13,440 -> 0.824
        (80 * GB, "0.824", 13440),
        # 141 GB = 134,468.5 MiB (< 160 GiB): the same 13,440 -> 0.9
        (141 * GB, "0.9", 13440),
        # 192 GB = 183,105.5 MiB: chunk 16384, graphs 512: 512 + 24576 + 1024 + 128 = 26,240 -> 0.857
        (192 * GB, "0.857", 26240),
    ],
)
def test_sglang_mem_fraction_static(gpt2: Config, memory: int, fraction: str, reserved_mib: int) -> None:
    from fractions import Fraction

    assert mem_fraction_static(engines.SGLANG, memory) == Fraction(fraction)
    assert reserve(engines.SGLANG, memory) == memory * Fraction(fraction)
    buffers = runtime_buffers(engines.SGLANG, gpt2, 8192, 1, 2, device_memory=memory)
    assert sum(buffers.values()) == reserved_mib * MiB and set(buffers) == engines.SGLANG.outside_budget


def test_sglang_floor_and_page_size(gpt2: Config) -> None:
    small = with_settings(engines.SGLANG, chunked_prefill_size=2048, cuda_graph_max_bs=8)
    # above 60 GiB the reserve is at least 10 GiB: 512 + 3072 + 16 + 128 = 3,728 MiB, raised by 6,512 MiB
    assert runtime_buffers(small, gpt2, 1, 1, 2, device_memory=80 * GB)["floor"] == 6512 * MiB
    assert kv_allocation(engines.SGLANG, 1000, 3, KV_GPT2) == 3000 * KV_GPT2  # page_size 1
    with pytest.raises(SettingError, match="depend on the device's memory"):
        runtime_buffers(engines.SGLANG, gpt2, 1, 1, 2)


# llama.cpp ---------------------------------------------------------------------------------------------


def test_llama_cpp_reserve_and_kv() -> None:
    cpp = engines.LLAMA_CPP
    assert reserve(cpp, 24 * GB) == 24 * GB - GiB  # auto -ngl leaves 1 GiB free
    assert reserve(with_settings(cpp, fit_margin=0, n_gpu_layers=33), 24 * GB) == 24 * GB
    assert kv_allocation(cpp, 1100, 1, KV_GPT2) == 1280 * KV_GPT2  # padded to 256 cells with flash attention
    assert kv_allocation(with_settings(cpp, flash_attn=False), 1100, 1, KV_GPT2) == 1120 * KV_GPT2  # to 32
    assert kv_allocation(cpp, 1000, 4, KV_GPT2) == 4096 * KV_GPT2  # -np 4 shares n_ctx = 4,000 -> 4,096


def test_llama_cpp_buffers(gpt2: Config) -> None:
    cpp = engines.LLAMA_CPP
    # u = 512: logits 512 x 50257 x 4 = 102,926,336 beat the FFN (512 x 3072 x 4); + residual 2 x 512 x 768 x 4
    assert runtime_buffers(cpp, gpt2, 1024, 1, 2) == {
        "compute_buffer": 102_926_336 + 3_145_728,
        "output_buffer": 201_028,
    }
    no_fa = with_settings(cpp, flash_attn=False)
    # without flash attention KQ = 12 heads x 512 x 16,384 x 4 = 402,653,184 is the largest tensor
    assert runtime_buffers(no_fa, gpt2, 16384, 1, 2)["compute_buffer"] == 402_653_184 + 3_145_728
    assert runtime_buffers(cpp, gpt2, 16384, 1, 2)["compute_buffer"] == 102_926_336 + 3_145_728
    assert runtime_buffers(cpp, gpt2, 100, 1, 2)["compute_buffer"] == 100 * 50257 * 4 + 2 * 100 * 768 * 4  # u = 100
    assert runtime_buffers(cpp, gpt2, 1024, 4, 2)["output_buffer"] == 4 * 50257 * 4 and cpp.on_host == {"output_buffer"}


LAYERS = [10, 10, 10, 10]  # four layers of 10 bytes, output 5, token embeddings 7: 52 in all


@pytest.mark.parametrize(
    ("settings", "gpu", "expected"),
    [
        ({}, 27, (2, 52 - 20)),  # the last two layers; the output layer needs -ngl 5
        ({}, 44, (4, 5 + 7)),  # every layer, the output and embeddings in CPU RAM
        ({}, 45, (5, 7)),  # -ngl 5 = n_layer + 1: the output too; the embeddings never
        ({}, 0, (0, 52)),
        ({"output_first": True}, 27, (3, 52 - 25)),  # later trees: output 5 + layers 3, 2
        ({"n_cpu_moe": 2}, 27, (3, 52 - 24)),  # layers 0, 1 keep their 6 bytes of experts in CPU RAM
        ({"n_gpu_layers": 1}, 0, (1, 52 - 10)),  # an explicit -ngl is placed as given
    ],
)
def test_llama_cpp_offload(settings: dict[str, object], gpu: int, expected: tuple[int, int]) -> None:
    profile = with_settings(engines.LLAMA_CPP, **settings)
    experts = [6, 6, 6, 6] if settings.get("n_cpu_moe") else None
    assert tuple(llama_cpp_offload(profile, LAYERS, 5, gpu, input_bytes=7, expert_bytes=experts)) == expected


def test_llama_cpp_offload_refuses() -> None:
    with pytest.raises(SettingError, match="expert_bytes has 2 layers"):
        llama_cpp_offload(engines.LLAMA_CPP, LAYERS, 5, 10, expert_bytes=[1, 1])
    with pytest.raises(SettingError, match="must not be negative"):
        llama_cpp_offload(engines.LLAMA_CPP, LAYERS, -5, 10)


# transformers ------------------------------------------------------------------------------------------


def test_transformers(gpt2: Config) -> None:
    hf = engines.TRANSFORMERS
    assert reserve(hf, 24 * GB) == 24 * GB  # no preallocation
    assert kv_allocation(hf, 1000, 3, KV_GPT2) == 3000 * KV_GPT2
    sdpa = runtime_buffers(hf, gpt2, 1024, 1, 2)
    assert sdpa == {"activations": 1024 * 3840 * 2, "logits": 50257 * (2 + 4)}  # sdpa holds no scores
    eager = runtime_buffers(with_settings(hf, attn_implementation="eager"), gpt2, 1024, 1, 2)
    # 12 heads x 1024^2 scores x (bf16 + fp32 softmax + bf16 cast) = 100,663,296 bytes
    assert eager["attention_scores"] == 12 * 1024 * 1024 * (2 + 4 + 2) == 100_663_296
    fp32 = runtime_buffers(with_settings(hf, attn_implementation="eager"), gpt2, 1024, 1, 4)
    assert fp32["attention_scores"] == 12 * 1024 * 1024 * (4 + 4 + 4)  # an fp32 model: all three fp32
