"""Weight formats as stored (paramcalc.engine.formats): each format's bytes on small configs, worked
out by hand from the block sizes (ggml-common.h) and the libraries' layouts, not from the code."""

from __future__ import annotations

from typing import Any

import pytest

from paramcalc.config import parse_config
from paramcalc.engine import analyze
from paramcalc.engine.formats import FORMATS, kv_bytes, kv_cache_types, stored_weights
from paramcalc.engine.gguf_mix import use_more_bits
from paramcalc.engine.memory import weight_bytes
from paramcalc.engine.report import Report
from paramcalc.errors import SettingError

# 8 blocks, d_model 256, 4 heads of 64 with 1 KV head (GQA 4), SwiGLU d_ff 512, vocab 1000, untied.
SMALL: dict[str, Any] = {
    "layers": 8,
    "d_model": 256,
    "heads": 4,
    "kv_heads": 1,
    "d_ff": 512,
    "vocab": 1000,
    "context": 128,
    "activation": "swiglu",
    "norm": "rmsnorm",
    "bias": False,
    "position": "rotary",
    "tie_embeddings": False,
}


def report(**changes: Any) -> Report:
    return analyze(parse_config({**SMALL, **changes}, "small.yaml", name="small"))


def types(stored: Any, component: str, part: str) -> dict[str, int]:
    """storage type -> params of one tensor family."""
    return {t.type: t.params for t in stored.tensors if (t.component, t.part) == (component, part)}


# use_more_bits(i, 8): i < 1, i >= 7, (i - 1) % 3 == 2 -> blocks 0, 3, 6, 7 (llama-quant.cpp)
def test_use_more_bits() -> None:
    assert [i for i in range(8) if use_more_bits(i, 8)] == [0, 3, 6, 7]
    assert sum(use_more_bits(i, 32) for i in range(32)) == 16  # Llama-2-7B: half of attn_v / ffn_down


Q4_K, Q6_K, Q5_K, Q8_0, Q4_0 = 144, 210, 176, 34, 18  # bytes per block (256, 256, 256, 32, 32 values)
NORMS = (8 * 2 * 256 + 256) * 4  # per-layer and final RMSNorm weights, F32


def test_q4_k_m_by_hand() -> None:
    s = stored_weights(report(), "q4_k_m")
    expected = (
        1000 * Q4_K  # token_embd 1000 x 256: 1000 blocks, the default type (untied)
        + 8 * 256 * Q4_K  # attn_q 256 x 256 per block: 256 k-blocks each
        + 8 * 64 * Q4_K  # attn_k 256 x 64
        + 4 * 64 * Q6_K  # attn_v on blocks 0, 3, 6, 7 (use_more_bits)
        + 4 * 64 * Q4_K  # attn_v elsewhere
        + 8 * 256 * Q4_K  # attn_output
        + 2 * 8 * 512 * Q4_K  # ffn_up, ffn_gate 256 x 512
        + 4 * 512 * Q6_K  # ffn_down 512 x 256 on blocks 0, 3, 6, 7
        + 4 * 512 * Q4_K  # ffn_down elsewhere
        + NORMS
        + 1000 * Q6_K  # output.weight: Q6_K
    )
    assert s.total == expected == 3_030_224
    assert types(s, "attention", "v") == {"Q6_K": 4 * 16384, "Q4_K": 4 * 16384}
    assert s.by_type["F32"] == NORMS
    assert sum(s.by_type.values()) == s.total == sum(t.bytes for t in s.tensors)
    assert sum(t.params for t in s.tensors) == report().total
    assert s.bits_per_weight == s.total * 8 / report().total


def test_q4_0_q8_0_q6_k_by_hand() -> None:
    r = report()
    blocks32 = (r.total - 8 * 2 * 256 - 256) // 32  # every matrix in blocks of 32
    head32 = 256000 // 32
    assert stored_weights(r, "q4_0").total == (blocks32 - head32) * Q4_0 + 1000 * Q6_K + NORMS  # head Q6_K
    assert stored_weights(r, "q8_0").total == blocks32 * Q8_0 + NORMS  # head stays Q8_0
    assert stored_weights(r, "q6_k").total == blocks32 // 8 * Q6_K + NORMS


def test_tied_head_is_one_tensor_typed_as_the_output() -> None:
    s = stored_weights(report(tie_embeddings=True), "q4_k_m")
    assert types(s, "token_embedding", "token") == {"Q6_K": 256000}
    assert not types(s, "output_head", "head")


def test_eight_experts_bump_attn_k_and_v_to_q8_0() -> None:
    # llama-quant.cpp: "for the 8-expert model, bumping this to Q8_0 trades just ~128MB"
    r = report(experts=8, experts_per_token=2)
    s = stored_weights(r, "q4_k_m")
    assert types(s, "attention", "v") == {"Q8_0": 8 * 16384}
    assert types(s, "attention", "k") == {"Q8_0": 8 * 16384}
    assert types(s, "attention", "o") == {"Q5_K": 8 * 65536}
    # ffn_down_exps: one 3-D tensor per block (8 experts x 512 x 256), Q6_K on blocks 0, 3, 6, 7
    assert types(s, "experts", "down") == {"Q6_K": 4 * 8 * 131072, "Q4_K": 4 * 8 * 131072}
    assert types(s, "router", "router") == {"F32": 8 * 256 * 8}
    assert stored_weights(r, "q4_0").by_type["Q8_0"] == 2 * 8 * 16384 // 32 * Q8_0  # attn_k, attn_v even at Q4_0


def test_rows_not_whole_blocks_fall_back() -> None:
    # d_model 96: rows of 96 are not whole k-blocks of 256 -> Q4_K falls back to Q5_0, Q6_K to Q8_0;
    # the head (96 % 256) takes Q8_0 (llama-quant.cpp tensor_type_fallback and the output rule)
    s = stored_weights(report(d_model=96, heads=2, kv_heads=1, d_ff=512), "q4_k_m")
    assert set(types(s, "attention", "q")) == {"Q5_0"}
    assert types(s, "output_head", "head") == {"Q8_0": 96000}
    assert types(s, "feed_forward", "down") == {"Q6_K": 4 * 512 * 96, "Q4_K": 4 * 512 * 96}  # rows of d_ff 512


def test_q3_and_q2_mixes_gqa_rules() -> None:
    s = stored_weights(report(), "q3_k_m")
    assert types(s, "attention", "v") == {"Q5_K": 2 * 16384, "Q4_K": 6 * 16384}  # first two Q5_K
    assert types(s, "attention", "o") == {"Q4_K": 8 * 65536}
    assert types(s, "feed_forward", "down") == {"Q4_K": 8 * 131072}  # 8 // 16 == 0 blocks of Q5_K
    s = stored_weights(report(), "q2_k")
    assert types(s, "attention", "v") == {"Q4_K": 8 * 16384}  # GQA 4 >= 4
    assert types(s, "feed_forward", "down") == {"Q3_K": 8 * 131072}
    assert types(stored_weights(report(kv_heads=4), "q2_k"), "attention", "v") == {"Q3_K": 8 * 65536}


def test_70b_bumps_attn_v() -> None:
    # LLM_TYPE_70B (80 layers, grouped KV): Q3_K/Q4_K attn_v become Q5_K
    s = stored_weights(report(layers=80), "q4_k_m")
    bumped = sum(use_more_bits(i, 80) for i in range(80))
    assert types(s, "attention", "v") == {"Q6_K": bumped * 16384, "Q5_K": (80 - bumped) * 16384}


def test_ideal_dtypes_are_todays_numbers() -> None:
    r = report()
    for name, bits in {"bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4}.items():
        s = stored_weights(r, name)
        assert s.total == weight_bytes(r.total, bits) == sum(t.bytes for t in s.tensors)
        assert s.by_type == {name: s.total}


LINEARS = [  # (K inputs, N outputs) of each linear layer of a block, x 8 blocks
    (256, 256),  # q
    (256, 64),  # k
    (256, 64),  # v
    (256, 256),  # o
    (256, 512),  # up
    (256, 512),  # gate
    (512, 256),  # down
]
REST16 = (2 * 256000 + 8 * 2 * 256 + 256) * 2  # token embedding, head, norms: 16-bit


def test_gptq_by_hand() -> None:
    # qweight K*N/2, qzeros ceil(K/g)*N/2, fp16 scales ceil(K/g)*N*2, int32 g_idx K*4
    def linear(k: int, n: int, g: int) -> int:
        groups = -(-k // g)
        return k * n // 2 + groups * n // 2 + groups * n * 2 + 4 * k

    r = report()
    assert stored_weights(r, "gptq-4bit").total == 8 * sum(linear(k, n, 128) for k, n in LINEARS) + REST16
    assert stored_weights(r, "gptq-4bit", 64).total == 8 * sum(linear(k, n, 64) for k, n in LINEARS) + REST16
    one = stored_weights(r, "gptq-4bit", -1)  # one group per column
    assert one.by_type["fp16 scales"] == 8 * sum(n * 2 for _, n in LINEARS)
    s = stored_weights(r, "gptq-4bit")
    assert s.by_type["int32 g_idx"] == 8 * 4 * sum(k for k, _ in LINEARS)
    assert s.by_type["fp16"] == REST16


def test_awq_by_hand() -> None:
    def linear(k: int, n: int) -> int:  # qweight, qzeros, fp16 scales; no g_idx
        return k * n // 2 + k // 128 * n // 2 + k // 128 * n * 2

    assert stored_weights(report(), "awq-4bit").total == 8 * sum(linear(k, n) for k, n in LINEARS) + REST16


def test_nf4_and_bnb_int8_by_hand() -> None:
    def nf4(k: int, n: int) -> int:  # packed, uint8 absmax per 64, fp32 per 256 absmax, quant maps
        blocks = k * n // 64
        return k * n // 2 + blocks + 4 * -(-blocks // 256) + (16 + 256) * 4

    r = report()
    assert stored_weights(r, "nf4").total == 8 * sum(nf4(k, n) for k, n in LINEARS) + REST16
    assert stored_weights(r, "bnb-int8").total == 8 * sum(k * n + 4 * n for k, n in LINEARS) + REST16


def test_fp8_block_by_hand() -> None:
    # e4m3 + an fp32 scale per 128 x 128 block (ceil on both sides: k and v are 256 x 64 -> 2 x 1 blocks)
    def linear(k: int, n: int) -> int:
        return k * n + 4 * -(-k // 128) * -(-n // 128)

    assert stored_weights(report(), "fp8-block").total == 8 * sum(linear(k, n) for k, n in LINEARS) + REST16


def test_mxfp4_only_the_experts() -> None:
    r = report(experts=4, experts_per_token=2)
    s = stored_weights(r, "mxfp4")
    experts = 3 * 8 * 4 * 256 * 512  # up, gate, down of 4 experts in 8 blocks
    assert s.by_type["e2m1"] == experts // 2
    assert s.by_type["e8m0 scales"] == experts // 32
    assert s.by_type["bf16"] == (r.total - experts) * 2
    assert s.total == experts * 17 // 32 + (r.total - experts) * 2


def test_mxfp4_moe_gguf() -> None:
    s = stored_weights(report(experts=4, experts_per_token=2), "mxfp4_moe")
    assert types(s, "experts", "up") == {"MXFP4": 8 * 4 * 131072}
    assert types(s, "attention", "q") == {"Q8_0": 8 * 65536}
    assert types(s, "token_embedding", "token") == {"Q8_0": 256000}


def test_gpt_oss_120b_mxfp4_matches_the_u8_count() -> None:
    # gpt-oss-120b's model card: 114,661,785,600 MXFP4 (U8) expert parameters, the rest bf16
    from paramcalc import load

    s = stored_weights(analyze(load("gpt-oss-120b")), "mxfp4")
    assert sum(t.params for t in s.tensors if t.type == "e2m1") == 114_661_785_600


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("q4_k_mm", "dtype: unknown weight format 'q4_k_mm' (did you mean 'q4_k_m'?); accepted: bf16, fp16,"),
        ("gguf", "dtype: unknown weight format 'gguf'; accepted: bf16,"),
    ],
)
def test_unknown_format(fmt: str, message: str) -> None:
    with pytest.raises(SettingError) as info:
        stored_weights(report(), fmt)
    assert str(info.value).startswith(message)
    assert ", ".join(FORMATS) in str(info.value)


def test_case_insensitive_and_group_size_errors() -> None:
    assert stored_weights(report(), "Q4_K_M").total == stored_weights(report(), "q4_k_m").total
    with pytest.raises(SettingError, match="group_size: q4_k_m has no group size"):
        stored_weights(report(), "q4_k_m", 64)
    with pytest.raises(SettingError, match="group_size: 0 is not a group size"):
        stored_weights(report(), "gptq-4bit", 0)


def test_every_format_covers_every_parameter_of_every_preset() -> None:
    from paramcalc import load

    for name in ("llama-2-7b", "deepseek-v3", "jamba-1.5-mini", "qwen3-next-80b", "t5-small", "gpt2", "gemma-3-1b"):
        r = analyze(load(name))
        for fmt in FORMATS:
            s = stored_weights(r, fmt)
            assert sum(t.params for t in s.tensors) == r.total, (name, fmt)
            assert s.total == sum(s.by_type.values()) == sum(t.bytes for t in s.tensors) > 0


def test_kv_bytes() -> None:
    assert set(kv_cache_types()) >= {"f16", "bf16", "fp8", "q8_0", "q4_0"}
    assert kv_bytes(1000, "f16") == 2000
    assert kv_bytes(1000, "fp8") == 1000
    assert kv_bytes(128 * 10, "q8_0", head_dim=128) == 10 * 4 * 34  # 4 blocks of 32 per row
    assert kv_bytes(128 * 10, "q4_0", head_dim=128) == 10 * 4 * 18
    assert kv_bytes(80 * 10, "q8_0", head_dim=80) == 10 * 3 * 34  # 80 rounds up to 3 blocks
    assert kv_bytes(0, "q4_0") == 0
    with pytest.raises(SettingError, match="kv_dtype: unknown KV cache type 'q8_1' \\(did you mean 'q8_0'\\?\\)"):
        kv_bytes(10, "q8_1")
