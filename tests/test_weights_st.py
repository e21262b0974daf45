"""safetensors headers and quantized checkpoints: exact parameters and bytes from headers alone.

Layouts come from tests/weights_fixtures.py (real names and shapes, checked against transformers
5.24.0 state_dicts on the meta device); totals from shared/reference/models.json and models_v2.json.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping

import pytest

from paramcalc.errors import LoadError
from paramcalc.weights import LocalFile, MemoryFile, Tensor
from paramcalc.weights import quant as q
from paramcalc.weights.safetensors import MAX_HEADER_BYTES, MAX_TENSORS, read_index, read_metadata, read_safetensors
from tests import weights_fixtures as fx

L7 = fx.LLAMA_2_7B


def params(layout: list[fx.Spec], config: Mapping[str, object] | None = None) -> tuple[int, int, int]:
    """(logical params, data bytes, quant bytes) as the readers see a file holding `layout`."""
    tensors = read_safetensors(fx.memory_file(layout))
    stored = q.logical_params(tensors, config)
    return (
        sum(s.params for s in stored),
        sum(t.nbytes for t in tensors),
        sum(s.tensor.nbytes for s in stored if s.role == q.QUANT),
    )


def linears(shape: fx.LlamaShape) -> list[tuple[int, int]]:
    """(out, in) of every quantized linear of a Llama."""
    d, kv, ff = shape.hidden, shape.hidden // shape.heads * shape.kv_heads, shape.intermediate
    return [(d, d), (kv, d), (kv, d), (d, d), (ff, d), (ff, d), (d, ff)] * shape.layers


def unquantized(shape: fx.LlamaShape) -> int:
    """Parameters outside the decoder's linears: embeddings, head, norms."""
    return shape.params - sum(o * i for o, i in linears(shape))


# --- plain checkpoints --------------------------------------------------------------------------


def test_gpt2_hub_file_tied_head_stored_once_and_masks() -> None:
    tensors = read_safetensors(fx.memory_file(fx.gpt2()))
    assert len(tensors) == 12 * 13 + 4
    assert not any(t.name.startswith("lm_head") for t in tensors)
    masks = [t for t in tensors if t.name.endswith(".attn.bias")]
    assert len(masks) == 12 and {t.shape for t in masks} == {(1, 1, 1024, 1024)}
    # 124,439,808 (models.json, GPT2LMHeadModel, tied) + the 12 mask buffers the Hub file stores
    assert sum(t.numel for t in tensors) - sum(t.numel for t in masks) == 124_439_808
    assert sum(t.nbytes for t in tensors) == 124_439_808 * 4 + 12 * 4 * 2**20 == 548_090_880
    assert all(s.method == q.PLAIN and s.params == s.tensor.numel for s in q.logical_params(tensors))


def test_tensor_records_are_exact() -> None:
    header, size = fx.safetensors_bytes([("a", "BF16", (3, 5)), ("b", "F4", (4,)), ("c", "I64", ())])
    tensors = read_safetensors(MemoryFile("x.safetensors", header, size))
    assert tensors == [
        Tensor("a", "BF16", (3, 5), 30, "x.safetensors"),
        Tensor("b", "F4", (4,), 2, "x.safetensors"),
        Tensor("c", "I64", (), 8, "x.safetensors"),
    ]
    assert size == len(header) + 40 and len(header) % 8 == 0


@pytest.mark.parametrize(("shape", "dtype"), [(fx.LLAMA_SMALL, "F32"), (fx.LLAMA_2_7B, "BF16")])
def test_llama_counts_equal_transformers(shape: fx.LlamaShape, dtype: str) -> None:
    # 39,062,016 (LlamaConfig small, transformers 5.24.0); 6,738,415,616 (Llama-2-7b-hf, models.json)
    total, stored, _ = params(fx.llama(shape, dtype))
    assert total == shape.params
    assert stored == shape.params * (4 if dtype == "F32" else 2)


def test_llama_2_7b_sharded_with_index(tmp_path: object) -> None:
    import pathlib

    folder = pathlib.Path(str(tmp_path))
    total_size = fx.write_checkpoint(folder, fx.llama(L7), n_shards=2)
    weight_map = read_index(LocalFile(folder / "model.safetensors.index.json"))
    assert set(weight_map.values()) == {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}
    tensors = [t for shard in sorted(set(weight_map.values())) for t in read_safetensors(LocalFile(folder / shard))]
    assert {t.name for t in tensors} == set(weight_map) and len(tensors) == 291
    assert sum(t.numel for t in tensors) == 6_738_415_616
    assert sum(t.nbytes for t in tensors) == 13_476_831_232  # BF16: 2 bytes a parameter
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    assert index["metadata"]["total_size"] == 13_476_831_232
    headers = sum(int.from_bytes(LocalFile(folder / f).read(0, 8), "little") + 8 for f in set(weight_map.values()))
    assert total_size == 13_476_831_232 + headers  # sparse files: 13.5 GB on paper, a few kB on disk


def test_mixtral_routed_experts() -> None:
    tensors = read_safetensors(fx.memory_file(fx.mixtral_8x7b()))
    experts = [t for t in tensors if ".block_sparse_moe.experts." in t.name]
    assert len(experts) == 32 * 8 * 3
    assert sum(t.numel for t in experts) == 32 * 8 * 3 * 14336 * 4096 == 45_097_156_608  # models.json moe_experts
    assert sum(t.numel for t in tensors) == 46_702_792_704  # Mixtral-8x7B-v0.1, models.json
    assert sum(t.nbytes for t in tensors) == 2 * 46_702_792_704


def test_metadata() -> None:
    header, size = fx.safetensors_bytes([("a", "F32", (2,))], {"format": "pt", "note": "x"})
    assert read_metadata(MemoryFile("m", header, size)) == {"format": "pt", "note": "x"}
    header, size = fx.safetensors_bytes([("a", "F32", (2,))], {})
    assert read_metadata(MemoryFile("m", header, size)) == {}


# --- quantized checkpoints: Llama-2-7b's 6,738,415,616 parameters, however they are stored -----------


def test_gptq_4bit_g128() -> None:
    config = {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False, "sym": True}
    layout = fx.gptq(fx.llama(L7))
    # qweight in*out/8 words of 4 bytes; qzeros in/128 x out/8 words; scales in/128 x out F16; g_idx in I32
    quant = sum((i // 128) * (o // 8) * 4 + (i // 128) * o * 2 + i * 4 for o, i in linears(L7))
    packed = sum(o * i // 2 for o, i in linears(L7))
    for cfg in (config, None):  # bits from the config, or from qzeros beside scales
        assert params(layout, cfg) == (6_738_415_616, unquantized(L7) * 2 + packed + quant, quant)
    stored = q.logical_params(read_safetensors(fx.memory_file(layout)), config)
    methods = {s.tensor.name.rsplit(".", 1)[-1]: (s.method, s.role) for s in stored if s.method != q.PLAIN}
    assert methods == {"qweight": ("gptq", "weight"), **dict.fromkeys(["qzeros", "scales", "g_idx"], ("gptq", "quant"))}
    assert q.quantization(stored, config) == q.Quantization("gptq", 4, 128, None, "config")
    assert q.quantization(q.logical_params(read_safetensors(fx.memory_file(layout)))) == q.Quantization(
        "gptq", 4, 128, None, "tensors"
    )


@pytest.mark.parametrize("bits", [2, 3, 8])
def test_gptq_other_bits(bits: int) -> None:
    # 3 bits: qweight [in*3/32, out] (4096*3/32 = 384 rows; 11008*3/32 = 1032) -- in from g_idx either way
    assert params(fx.gptq(fx.llama(L7), bits=bits), {"quant_method": "gptq", "bits": bits})[0] == 6_738_415_616
    assert params(fx.gptq(fx.llama(L7), bits=bits), None)[0] == 6_738_415_616


def test_awq_4bit_g128() -> None:
    config = {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm", "zero_point": True}
    layout = fx.awq(fx.llama(L7))
    quant = sum((i // 128) * (o // 8) * 4 + (i // 128) * o * 2 for o, i in linears(L7))
    packed = sum(o * i // 2 for o, i in linears(L7))
    for cfg in (config, None):  # AWQ packs along out: recognised from qweight's columns != scales' columns
        assert params(layout, cfg) == (6_738_415_616, unquantized(L7) * 2 + packed + quant, quant)
    stored = q.logical_params(read_safetensors(fx.memory_file(layout)))
    assert {s.method for s in stored} == {"awq", "none"}
    assert q.quantization(stored) == q.Quantization("awq", 4, 128, None, "tensors")


@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("quant_type", ["nf4", "fp4"])
def test_bnb_4bit(nested: bool, quant_type: str) -> None:
    config = {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": quant_type}
    layout = fx.bnb_4bit(fx.llama(L7), quant_type=quant_type, nested=nested)
    state = {n: math.prod(s) for n, _, s in layout if ".quant_state." in n}
    assert len(state) == 7 * 32
    if nested:  # absmax U8 n/64, nested_absmax F32 n/64/256, nested_quant_map 256 F32, quant_map 16 F32
        per = [n // 64 + n // 64 // 256 * 4 + 256 * 4 + 16 * 4 for n in (o * i for o, i in linears(L7))]
    else:  # absmax F32 n/64, quant_map 16 F32
        per = [n // 64 * 4 + 16 * 4 for n in (o * i for o, i in linears(L7))]
    quant = sum(per) + sum(state.values())
    packed = sum(o * i // 2 for o, i in linears(L7))
    assert params(layout, config) == (6_738_415_616, unquantized(L7) * 2 + packed + quant, quant)
    stored = q.logical_params(read_safetensors(fx.memory_file(layout)), config)
    assert q.quantization(stored, config) == q.Quantization("bitsandbytes", 4, None, None, "config")
    assert q.quantization(stored) == q.Quantization(q.BNB_4BIT, 4, None, None, "tensors")


def test_bnb_8bit() -> None:
    layout = fx.bnb_8bit(fx.llama(L7))
    quant = sum(o * 4 + 1 for o, i in linears(L7))  # SCB F32 [out], weight_format U8 []
    total = params(layout, {"quant_method": "bitsandbytes", "load_in_8bit": True})
    assert total == (6_738_415_616, unquantized(L7) * 2 + sum(o * i for o, i in linears(L7)) + quant, quant)


def test_fp8_per_tensor() -> None:
    layout = fx.fp8_per_tensor(fx.llama(L7))
    quant = 7 * 32 * 8  # weight_scale, input_scale: F32 [1] each
    assert params(layout) == (6_738_415_616, unquantized(L7) * 2 + sum(o * i for o, i in linears(L7)) + quant, quant)


@pytest.mark.parametrize("symmetric", [True, False])
def test_compressed_tensors_pack_quantized(symmetric: bool) -> None:
    config = {
        "quant_method": "compressed-tensors",
        "format": "pack-quantized",
        "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "group_size": 128}}},
    }
    layout = fx.compressed_pack(fx.llama(L7), symmetric=symmetric)
    scales = sum(o * (i // 128) * 2 + 16 for o, i in linears(L7))  # weight_scale BF16, weight_shape I64 [2]
    zeros = 0 if symmetric else sum((o // 8) * (i // 128) * 4 for o, i in linears(L7))
    packed = sum(o * i // 2 for o, i in linears(L7))
    total = (6_738_415_616, unquantized(L7) * 2 + packed + scales + zeros, scales + zeros)
    assert params(layout, config) == total
    stored = q.logical_params(read_safetensors(fx.memory_file(layout)), config)
    assert q.quantization(stored, config) == q.Quantization("compressed-tensors", 4, 128, None, "config")


def test_fp8_block_deepseek_v3() -> None:
    config = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}
    tensors = read_safetensors(fx.memory_file(fx.deepseek_v3_small_fp8()))
    stored = q.logical_params(tensors, config)
    buffers = sum(t.numel for t in tensors if t.name.endswith("e_score_correction_bias"))
    # 2,001,792: DeepseekV3ForCausalLM (small config in weights_fixtures, transformers 5.24.0)
    assert sum(s.params for s in stored) - buffers == 2_001_792
    scales = [s for s in stored if s.tensor.name.endswith(".weight_scale_inv")]
    assert all(s.role == q.QUANT and s.method == q.FP8_BLOCK for s in scales)
    kv_a = next(t for t in tensors if t.name == "model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv")
    assert kv_a.shape == (2, 2)  # ceil(160/128) x ceil(256/128)
    fp8 = sum(t.numel for t in tensors if t.dtype == "F8_E4M3")
    bf16 = sum(t.numel for t in tensors if t.dtype == "BF16")
    assert sum(t.nbytes for t in tensors) == fp8 + 2 * bf16 + 4 * (buffers + sum(s.tensor.numel for s in scales))
    assert q.quantization(stored, config) == q.Quantization("fp8", 8, None, (128, 128), "config")


def test_mxfp4_gpt_oss_20b() -> None:
    tensors = read_safetensors(fx.memory_file(fx.gpt_oss_20b()))
    stored = q.logical_params(tensors, {"quant_method": "mxfp4"})
    assert sum(s.params for s in stored) == 20_914_757_184  # openai/gpt-oss-20b, models_v2.json
    blocks = [s for s in stored if s.tensor.name.endswith("_blocks")]
    assert len(blocks) == 48 and all(s.method == q.MXFP4 and s.params == 2 * s.tensor.numel for s in blocks)
    # experts: 24 layers x (gate_up 32*5760*2880 + down 32*2880*2880) values, 4 bits each + 1 byte per 32
    experts = 24 * 32 * (5760 + 2880) * 2880
    rest = 20_914_757_184 - experts - 24 * 32 * (5760 + 2880)  # minus the experts' biases too
    assert sum(t.nbytes for t in tensors) == experts // 2 + experts // 32 + 2 * (rest + 24 * 32 * (5760 + 2880))
    assert sum(t.nbytes for t in tensors) == 13_761_264_768  # the three published shards: ~13.76 GB
    assert q.quantization(stored, {"quant_method": "mxfp4"}) == q.Quantization("mxfp4", 4, 32, None, "config")


def test_lookalikes_stay_plain() -> None:
    # a 'scales' or 'SCB' parameter without its quantized weight beside it is an ordinary parameter
    layout = [
        ("m.scales", "F32", (4, 8)),
        ("n.weight", "F32", (8, 8)),
        ("n.SCB", "F32", (8,)),
        ("x_blocks", "U8", (4, 16)),
    ]
    stored = q.logical_params(read_safetensors(fx.memory_file(layout)))
    assert [(s.params, s.role, s.method) for s in stored] == [(32, "weight", "none"), (64, "weight", "none")] + [
        (8, "weight", "none"),
        (64, "weight", "none"),
    ]
    assert q.quantization(stored) is None


# --- hostile headers: one line naming the file and the problem, fast ----------------------------------


def entry(dtype: object = "F32", shape: object = (2,), offsets: object = (0, 8)) -> dict[str, object]:
    return {
        "dtype": dtype,
        "shape": list(shape) if isinstance(shape, tuple) else shape,
        "data_offsets": list(offsets) if isinstance(offsets, tuple) else offsets,
    }


def raw(header: object, data: int = 8) -> MemoryFile:
    text = fx.raw_header(header)
    return MemoryFile("bad.safetensors", text, len(text) + data)


def text_file(text: bytes) -> MemoryFile:
    return MemoryFile("bad.safetensors", len(text).to_bytes(8, "little") + text)


def length_only(length: int, size: int) -> MemoryFile:
    return MemoryFile("bad.safetensors", length.to_bytes(8, "little"), size)


HOSTILE: dict[str, tuple[Callable[[], MemoryFile], str]] = {
    "empty": (lambda: MemoryFile("bad.safetensors", b""), "truncated: 0 bytes"),
    "short": (lambda: MemoryFile("bad.safetensors", b"\x01\x02\x03"), "truncated: 3 bytes"),
    "length beyond file": (lambda: length_only(10_000, 500), "runs past the end of the file (500 bytes)"),
    "length above cap": (lambda: length_only(2**63, 2**64), "above paramcalc's cap"),
    "length just above cap": (lambda: length_only(MAX_HEADER_BYTES + 1, 10**12), "above paramcalc's cap"),
    "not json": (lambda: MemoryFile("bad.safetensors", (8).to_bytes(8, "little") + b"not json", 16), "not valid JSON"),
    "not utf8": (lambda: MemoryFile("bad.safetensors", (4).to_bytes(8, "little") + b"\xff\xfe{}", 12), "not UTF-8"),
    "deep json": (lambda: MemoryFile("bad.safetensors", (200_000).to_bytes(8, "little") + b"[" * 200_000), "JSON"),
    "huge integer": (lambda: text_file(b'{"a": {"dtype": "F32", "shape": [' + b"9" * 5000 + b"]}}"), "not valid JSON"),
    "array": (lambda: raw([1, 2, 3]), "JSON list, not an object"),
    "entry not object": (lambda: raw({"a": [1, 2]}), "is not an object with dtype"),
    "missing keys": (lambda: raw({"a": {"dtype": "F32"}}), "no shape, data_offsets"),
    "unknown dtype": (lambda: raw({"a": entry(dtype="F128")}), "unknown dtype 'F128'"),
    "negative dim": (lambda: raw({"a": entry(shape=(-2,))}), "not non-negative integers"),
    "float dim": (lambda: raw({"a": entry(shape=[2.0])}), "not non-negative integers"),
    "bool dim": (lambda: raw({"a": entry(shape=[True, 2])}), "not non-negative integers"),
    "rank": (lambda: raw({"a": entry(shape=(1,) * 64)}), "rank 64 is above the cap"),
    "absurd shape": (lambda: raw({"a": entry(shape=(2**62,) * 16)}), "larger than the whole file"),
    "wrong size": (lambda: raw({"a": entry(shape=(3,))}, data=16), "is 12 bytes, but data_offsets [0, 8] hold 8"),
    "offsets outside": (lambda: raw({"a": entry(offsets=(8, 16))}), "run past the data (8 bytes)"),
    "offsets reversed": (lambda: raw({"a": entry(offsets=(8, 0))}), "not [begin, end]"),
    "offsets negative": (lambda: raw({"a": entry(offsets=(-8, 0))}), "not [begin, end]"),
    "offsets not list": (lambda: raw({"a": entry(offsets="0-8")}), "not [begin, end]"),
    "overlap": (
        lambda: raw({"a": entry(offsets=(0, 8)), "b": entry(offsets=(4, 12))}, data=16),
        "tensors 'a' and 'b' overlap",
    ),
    "duplicate name": (
        lambda: MemoryFile("bad.safetensors", (36).to_bytes(8, "little") + b'{"a": {}, "a": {}}' + b" " * 18),
        "the name 'a' appears twice",
    ),
    "metadata not strings": (
        lambda: raw({"__metadata__": {"x": 1}}),
        "__metadata__ {'x': 1} is not an object of strings",
    ),
    "too many tensors": (
        lambda: raw({f"t{i}": entry(shape=(0,), offsets=(0, 0)) for i in range(MAX_TENSORS + 1)}),
        f"65,537 tensors is above paramcalc's cap of {MAX_TENSORS:,}",
    ),
    "too many tensors, key escaped": (  # past the early count, caught after the parse
        lambda: text_file(
            b"{"
            + b",".join(
                b'"t%d": {"dtype": "F32", "shape": [0], "data\\u005foffsets": [0, 0]}' % i
                for i in range(MAX_TENSORS + 1)
            )
            + b"}"
        ),
        f"65,537 tensors is above paramcalc's cap of {MAX_TENSORS:,}",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_headers_refused_fast(case: str) -> None:
    make, reason = HOSTILE[case]
    source = make()
    start = time.perf_counter()
    with pytest.raises(LoadError) as caught:
        read_safetensors(source)
    assert time.perf_counter() - start < 10.0  # a guard against a pathological parse, not a timing: alone < 0.3 s
    message = str(caught.value)
    assert message.startswith("bad.safetensors: ") and reason in message and "\n" not in message, message
    assert len(message) < 300


def test_truncated_local_file(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "model.safetensors"
    size = fx.write_safetensors(path, fx.llama(fx.LLAMA_SMALL))
    with open(path, "r+b") as handle:
        handle.truncate(size - 1)
    with pytest.raises(LoadError, match="run past the data .*truncated file"):
        read_safetensors(LocalFile(path))
    with open(path, "r+b") as handle:
        handle.truncate(100)
    with pytest.raises(LoadError, match="runs past the end of the file"):
        read_safetensors(LocalFile(path))


def test_never_reads_the_data() -> None:
    class Counting(MemoryFile):
        reads: list[tuple[int, int]] = []

        def read(self, offset: int, length: int) -> bytes:
            self.reads.append((offset, length))
            return super().read(offset, length)

    header, size = fx.safetensors_bytes(fx.llama(L7))
    source = Counting("m", header, size)
    read_safetensors(source)
    assert len(source.reads) == 2 and sum(n for _, n in source.reads) == len(header)


INDEX_HOSTILE = {
    "not json": (b"{", "not valid JSON"),
    "array": (b"[]", "JSON list, not an object"),
    "no weight_map": (b'{"metadata": {}}', "no weight_map"),
    "path escape": (b'{"weight_map": {"a": "../../etc/passwd.safetensors"}}', "is not the file name"),
    "folder": (b'{"weight_map": {"a": "sub/model.safetensors"}}', "is not the file name"),
    "not safetensors": (b'{"weight_map": {"a": "model.bin"}}', "is not the file name"),
    "not string": (b'{"weight_map": {"a": 3}}', "is not the file name"),
}


@pytest.mark.parametrize("case", list(INDEX_HOSTILE))
def test_hostile_index(case: str) -> None:
    text, reason = INDEX_HOSTILE[case]
    with pytest.raises(LoadError, match="^model.safetensors.index.json: .*" + reason):
        read_index(MemoryFile("model.safetensors.index.json", text))


def test_index_too_large() -> None:
    with pytest.raises(LoadError, match="above paramcalc's cap"):
        read_index(MemoryFile("model.safetensors.index.json", b"{}", size=2**40))
