"""GGUF headers and the ggml type table, on GGUF files written here byte by byte.

The builder below writes the binary layout of llama.cpp's docs/gguf.md (v3, little-endian); files are
made full size without their data (a MemoryFile's size, or os.truncate), so an 8-billion-parameter
Q4_K_M costs a few megabytes of header. Tensor names are llama.cpp's (convert_hf_to_gguf.py's
LLM_TENSOR names), per-tensor types are what src/llama-quant.cpp chooses for Q4_K_M, and the counts are
transformers' (5.24.0, torch 2.13, model built on the meta device, sum of p.numel() over parameters).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from paramcalc.errors import LoadError
from paramcalc.weights import MemoryFile
from paramcalc.weights.ggml import FILE_TYPES, GGML_TYPES, QK_K, REMOVED_TYPES, TYPES_BY_NAME, tensor_nbytes
from paramcalc.weights.gguf import (
    MAX_STORED_ARRAY,
    READ_CHUNK,
    GgufFile,
    SkippedArray,
    read_gguf,
    read_gguf_shards,
    shard_paths,
)

# ---------------------------------------------------------------------------------------------
# a GGUF writer (value types: gguf.cpp's enum gguf_type)

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B", U64: "<Q"}
_FMT |= {I64: "<q", F64: "<d"}


def _str(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def _val(vtype: int, value: Any) -> bytes:
    if vtype == STR:
        return _str(value)
    if vtype == ARR:
        itype, items = value
        return struct.pack("<IQ", itype, len(items)) + b"".join(_val(itype, v) for v in items)
    return struct.pack(_FMT[vtype], value)


KV = tuple[str, int, Any]
TI = tuple[str, tuple[int, ...], str]  # name, shape (ne0 first), ggml type name


def gguf(
    kvs: Iterable[KV], tensors: Iterable[TI], *, name: str = "model.gguf", alignment: int = 32, version: int = 3
) -> MemoryFile:
    """A GGUF file: the header written out, the data left as zeros up to the full size."""
    kvs, tensors = list(kvs), list(tensors)
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    head += b"".join(_str(k) + struct.pack("<I", t) + _val(t, v) for k, t, v in kvs)
    offset = 0
    for tname, shape, tname_type in tensors:
        ggml_type = TYPES_BY_NAME[tname_type]
        numel = 1
        for d in shape:
            numel *= d
        head += _str(tname) + struct.pack(f"<I{len(shape)}qIQ", len(shape), *shape, ggml_type.id, offset)
        offset += -(-tensor_nbytes(ggml_type, numel) // alignment) * alignment
    data_at = -(-len(head) // alignment) * alignment
    return MemoryFile(name, head, size=data_at + offset)


def write(path: Path, f: MemoryFile) -> Path:
    """The same file on disk, its data a sparse hole."""
    path.write_bytes(f.data)
    os.truncate(path, f.size)
    return path


class CountingSource:
    """A ByteSource that records its reads, to show a reader never reads much."""

    def __init__(self, inner: MemoryFile) -> None:
        self.inner = inner
        self.reads: list[int] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def size(self) -> int:
        return self.inner.size

    def read(self, offset: int, length: int) -> bytes:
        self.reads.append(length)
        return self.inner.read(offset, length)


# ---------------------------------------------------------------------------------------------
# the ggml type table

# id, elements per block, bytes per block: the static_assert of each block struct in ggml-common.h
# (llama.cpp 01243c587fec), ids from ggml.h's enum ggml_type.
GGML_TABLE = {
    "F32": (0, 1, 4),
    "F16": (1, 1, 2),
    "Q4_0": (2, 32, 18),
    "Q4_1": (3, 32, 20),
    "Q5_0": (6, 32, 22),
    "Q5_1": (7, 32, 24),
    "Q8_0": (8, 32, 34),
    "Q8_1": (9, 32, 36),  # two ggml_half (d, s); gguf-py 0.19's GGML_QUANT_SIZES still says 40 (two floats)
    "Q2_K": (10, 256, 84),
    "Q3_K": (11, 256, 110),
    "Q4_K": (12, 256, 144),
    "Q5_K": (13, 256, 176),
    "Q6_K": (14, 256, 210),
    "Q8_K": (15, 256, 292),
    "IQ2_XXS": (16, 256, 66),
    "IQ2_XS": (17, 256, 74),
    "IQ3_XXS": (18, 256, 98),
    "IQ1_S": (19, 256, 50),
    "IQ4_NL": (20, 32, 18),
    "IQ3_S": (21, 256, 110),
    "IQ2_S": (22, 256, 82),
    "IQ4_XS": (23, 256, 136),
    "I8": (24, 1, 1),
    "I16": (25, 1, 2),
    "I32": (26, 1, 4),
    "I64": (27, 1, 8),
    "F64": (28, 1, 8),
    "IQ1_M": (29, 256, 56),
    "BF16": (30, 1, 2),
    "TQ1_0": (34, 256, 54),
    "TQ2_0": (35, 256, 66),
    "MXFP4": (39, 32, 17),
    "NVFP4": (40, 64, 36),
    "Q1_0": (41, 128, 18),
    "Q2_0": (42, 64, 18),
}

# "Effectively N bits per weight" / "N bpw": the comments on the block structs in ggml-common.h
GGML_BPW = {
    "Q2_K": 2.625,
    "Q3_K": 3.4375,
    "Q4_K": 4.5,
    "Q5_K": 5.5,
    "Q6_K": 6.5625,
    "IQ2_XXS": 2.0625,
    "IQ2_XS": 2.3125,
    "IQ2_S": 2.5625,
    "IQ3_XXS": 3.0625,
    "IQ3_S": 3.4375,
    "IQ1_S": 1.5625,
    "IQ1_M": 1.75,
    "TQ1_0": 1.6875,
    "TQ2_0": 2.0625,
}


def test_the_type_table_is_ggmls() -> None:
    assert {t.name: (t.id, t.block_size, t.type_size) for t in GGML_TYPES.values()} == GGML_TABLE
    assert set(GGML_TYPES).isdisjoint(REMOVED_TYPES)
    assert sorted(set(range(43)) - set(GGML_TYPES)) == sorted(REMOVED_TYPES)  # every id 0..42 is one or the other


@pytest.mark.parametrize("name", sorted(GGML_BPW))
def test_bits_per_weight_as_ggml_comments_say(name: str) -> None:
    assert TYPES_BY_NAME[name].bits_per_weight == GGML_BPW[name]


@pytest.mark.parametrize("name", sorted(GGML_TABLE))
def test_every_type_block_arithmetic_through_a_file(name: str) -> None:
    _, block, size = GGML_TABLE[name]
    # 3 blocks per row, 5 rows, 2 matrices: 30 blocks
    f = read_gguf(gguf([], [(f"w.{name}", (3 * block, 5, 2), name)]))
    (t,) = f.tensors
    assert (t.dtype, t.shape, t.numel, t.nbytes) == (name, (3 * block, 5, 2), 30 * block, 30 * size)


def test_file_types_are_llama_h() -> None:
    # llama.h enum llama_ftype: LLAMA_FTYPE_MOSTLY_Q4_K_M = 15, _Q8_0 = 7, _BF16 = 32, _MXFP4_MOE = 38
    assert (FILE_TYPES[0], FILE_TYPES[1], FILE_TYPES[7], FILE_TYPES[15]) == ("F32", "F16", "Q8_0", "Q4_K_M")
    assert (FILE_TYPES[18], FILE_TYPES[32], FILE_TYPES[38]) == ("Q6_K", "BF16", "MXFP4_MOE")
    assert not {5, 6, 33, 34, 35} & set(FILE_TYPES)  # removed from llama.h


# ---------------------------------------------------------------------------------------------
# Llama-3.1-8B at Q4_K_M

LLAMA_8B_PARAMS = 8_030_261_248  # transformers 5.24.0 LlamaForCausalLM from meta-llama/Llama-3.1-8B's config


def use_more_bits(i: int, n: int) -> bool:
    """src/llama-quant.cpp: the layers Q4_K_M gives Q6_K for attn_v and ffn_down."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def llama31_8b_q4_k_m() -> list[TI]:
    d, ff, kv, vocab, n = 4096, 14336, 1024, 128256, 32
    out: list[TI] = [("rope_freqs.weight", (64,), "F32"), ("token_embd.weight", (d, vocab), "Q4_K")]
    for i in range(n):
        more = "Q6_K" if use_more_bits(i, n) else "Q4_K"
        out += [
            (f"blk.{i}.attn_norm.weight", (d,), "F32"),
            (f"blk.{i}.attn_q.weight", (d, d), "Q4_K"),
            (f"blk.{i}.attn_k.weight", (d, kv), "Q4_K"),
            (f"blk.{i}.attn_v.weight", (d, kv), more),
            (f"blk.{i}.attn_output.weight", (d, d), "Q4_K"),
            (f"blk.{i}.ffn_norm.weight", (d,), "F32"),
            (f"blk.{i}.ffn_gate.weight", (d, ff), "Q4_K"),
            (f"blk.{i}.ffn_up.weight", (d, ff), "Q4_K"),
            (f"blk.{i}.ffn_down.weight", (ff, d), more),
        ]
    return out + [("output_norm.weight", (d,), "F32"), ("output.weight", (d, vocab), "Q6_K")]


def llama31_8b_metadata(vocab_strings: bool = True) -> list[KV]:
    kvs: list[KV] = [
        ("general.architecture", STR, "llama"),
        ("general.name", STR, "Meta Llama 3.1 8B"),
        ("llama.block_count", U32, 32),
        ("llama.context_length", U32, 131072),
        ("llama.embedding_length", U32, 4096),
        ("llama.feed_forward_length", U32, 14336),
        ("llama.attention.head_count", U32, 32),
        ("llama.attention.head_count_kv", U32, 8),
        ("llama.rope.freq_base", F32, 500000.0),
        ("llama.attention.layer_norm_rms_epsilon", F32, 1e-5),
        ("llama.rope.dimension_count", U32, 128),
        ("general.file_type", U32, 15),
        ("tokenizer.ggml.model", STR, "gpt2"),
    ]
    if vocab_strings:  # the tokenizer: 128256 tokens, their types, 280147 merges, stepped over
        kvs += [
            ("tokenizer.ggml.tokens", ARR, (STR, [f"t{i}" for i in range(128256)])),
            ("tokenizer.ggml.token_type", ARR, (I32, [1] * 128256)),
            ("tokenizer.ggml.merges", ARR, (STR, ["a b"] * 280147)),
        ]
    return kvs + [("tokenizer.ggml.bos_token_id", U32, 128000), ("general.quantization_version", U32, 2)]


@pytest.fixture(scope="module")
def llama_file() -> MemoryFile:
    return gguf(llama31_8b_metadata(), llama31_8b_q4_k_m(), name="Meta-Llama-3.1-8B-Q4_K_M.gguf")


def test_llama31_8b_q4_k_m_params_and_bytes(llama_file: MemoryFile) -> None:
    f = read_gguf(llama_file)
    assert len(f.tensors) == 292  # 291 in transformers' state_dict, + rope_freqs
    params = {t.name: t.numel for t in f.tensors}
    assert params.pop("rope_freqs.weight") == 64  # llama3 rope scaling factors: a buffer, not a parameter
    assert sum(params.values()) == LLAMA_8B_PARAMS
    assert f.numel == LLAMA_8B_PARAMS + 64
    # 33 Q6_K tensors: output + attn_v and ffn_down of the 16 layers use_more_bits picks
    q6k = 4096 * 128256 + 16 * (4096 * 1024 + 14336 * 4096)
    f32 = 65 * 4096 + 64  # 2 norms x 32 layers + output_norm, rope_freqs
    q4k = LLAMA_8B_PARAMS + 64 - q6k - f32
    by_type: dict[str, int] = {}
    for t in f.tensors:
        by_type[t.dtype] = by_type.get(t.dtype, 0) + t.numel
    assert by_type == {"Q6_K": q6k, "Q4_K": q4k, "F32": f32}
    assert f.nbytes == q6k // 256 * 210 + q4k // 256 * 144 + f32 * 4 == 4_912_898_304
    assert [t.dtype for t in f.tensors].count("Q6_K") == 33
    # shape as GGUF stores it, ne[0] first: torch's [vocab, d_model] embedding is (d_model, vocab)
    assert f.tensors[1] == ("token_embd.weight", "Q4_K", (4096, 128256), 4096 * 128256 // 256 * 144, llama_file.name)


def test_llama31_8b_metadata(llama_file: MemoryFile) -> None:
    f = read_gguf(llama_file)
    assert (f.version, f.architecture, f.file_type, f.quantization_version) == (3, "llama", "Q4_K_M", 2)
    assert f.metadata["tokenizer.ggml.tokens"] == SkippedArray("STRING", 128256)
    assert f.metadata["tokenizer.ggml.merges"] == SkippedArray("STRING", 280147)
    assert f.metadata["tokenizer.ggml.token_type"] == SkippedArray("INT32", 128256)
    assert f.metadata["tokenizer.ggml.bos_token_id"] == 128000  # read after 3 skipped arrays: they were skipped right
    hp = f.hparams
    assert (hp["block_count"], hp["embedding_length"], hp["feed_forward_length"]) == (32, 4096, 14336)
    assert (hp["attention.head_count"], hp["attention.head_count_kv"], hp["vocab_size"]) == (32, 8, 128256)
    assert hp["rope.freq_base"] == 500000.0
    assert f.alignment == 32 and f.data_offsets[0] % 32 == 0 and f.data_offsets[0] > len(llama_file.data) - 32
    assert f.offsets["rope_freqs.weight"] == f.data_offsets[0]


def test_llama31_8b_reads_only_the_header(llama_file: MemoryFile) -> None:
    source = CountingSource(llama_file)
    read_gguf(source)
    assert sum(source.reads) <= len(llama_file.data) + READ_CHUNK  # ~4 MB of a 4.9 GB file
    assert max(source.reads) <= READ_CHUNK


def test_a_sparse_file_on_disk(tmp_path: Path, llama_file: MemoryFile) -> None:
    path = write(tmp_path / "Meta-Llama-3.1-8B-Q4_K_M.gguf", llama_file)
    f = read_gguf_shards(path)
    assert f.files == (str(path),) and f.nbytes == 4_912_898_304
    assert {t.file for t in f.tensors} == {str(path)}


# ---------------------------------------------------------------------------------------------
# Qwen2.5-0.5B at Q4_K_M: tied embeddings (no output.weight), rows of 896 that k-quants can't block


def qwen25_05b_q4_k_m() -> list[TI]:
    """llama-quant.cpp on 896-wide rows: Q4_K falls back to Q5_0 and Q6_K to Q8_0 (896 % 256 != 0);
    the tied token_embd is quantized as the output would be (Q6_K -> Q8_0); ffn_down's rows (4864)
    are whole super-blocks."""
    d, ff, kv, vocab, n = 896, 4864, 128, 151936, 24
    out: list[TI] = [("token_embd.weight", (d, vocab), "Q8_0")]
    for i in range(n):
        more = use_more_bits(i, n)
        out += [
            (f"blk.{i}.attn_norm.weight", (d,), "F32"),
            (f"blk.{i}.attn_q.weight", (d, d), "Q5_0"),
            (f"blk.{i}.attn_q.bias", (d,), "F32"),
            (f"blk.{i}.attn_k.weight", (d, kv), "Q5_0"),
            (f"blk.{i}.attn_k.bias", (kv,), "F32"),
            (f"blk.{i}.attn_v.weight", (d, kv), "Q8_0" if more else "Q5_0"),
            (f"blk.{i}.attn_v.bias", (kv,), "F32"),
            (f"blk.{i}.attn_output.weight", (d, d), "Q5_0"),
            (f"blk.{i}.ffn_norm.weight", (d,), "F32"),
            (f"blk.{i}.ffn_gate.weight", (d, ff), "Q5_0"),
            (f"blk.{i}.ffn_up.weight", (d, ff), "Q5_0"),
            (f"blk.{i}.ffn_down.weight", (ff, d), "Q6_K" if more else "Q4_K"),
        ]
    return out + [("output_norm.weight", (d,), "F32")]


def test_qwen25_05b_tied_q4_k_m() -> None:
    kvs: list[KV] = [("general.architecture", STR, "qwen2"), ("general.file_type", U32, 15)]
    f = read_gguf(gguf(kvs, qwen25_05b_q4_k_m()))
    assert f.numel == 494_032_768  # transformers 5.24.0 Qwen2ForCausalLM (Qwen/Qwen2.5-0.5B), tied: counted once
    assert "output.weight" not in f.offsets
    assert {t.dtype for t in f.tensors} == {"Q8_0", "Q5_0", "Q6_K", "Q4_K", "F32"}
    assert f.nbytes == sum(tensor_nbytes(TYPES_BY_NAME[ty], _numel(s)) for _, s, ty in qwen25_05b_q4_k_m())
    v0 = next(t for t in f.tensors if t.name == "blk.0.attn_v.weight")
    assert (v0.dtype, v0.nbytes) == ("Q8_0", 896 * 128 // 32 * 34)


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


# ---------------------------------------------------------------------------------------------
# metadata values


def test_values_of_every_type_and_short_arrays_kept() -> None:
    kvs: list[KV] = [
        ("a.u8", U8, 255),
        ("a.i8", I8, -1),
        ("a.u16", U16, 65535),
        ("a.i16", I16, -2),
        ("a.u32", U32, 2**32 - 1),
        ("a.i32", I32, -3),
        ("a.f32", F32, 0.5),
        ("a.bool", BOOL, 1),
        ("a.str", STR, "héllo"),
        ("a.u64", U64, 2**64 - 1),
        ("a.i64", I64, -(2**63)),
        ("a.f64", F64, 0.1),
        ("a.sections", ARR, (I32, [16, 24, 24, 0])),
        ("a.flags", ARR, (BOOL, [1, 0])),
        ("a.tags", ARR, (STR, ["x", "y"])),
        ("a.long", ARR, (F32, [0.0] * (MAX_STORED_ARRAY + 1))),
        ("general.architecture", STR, "a"),
    ]
    f = read_gguf(gguf(kvs, []))
    m = f.metadata
    assert (m["a.u8"], m["a.i8"], m["a.u16"], m["a.i16"], m["a.u32"], m["a.i32"]) == (255, -1, 65535, -2, 2**32 - 1, -3)
    assert (m["a.f32"], m["a.bool"], m["a.str"], m["a.u64"], m["a.i64"], m["a.f64"]) == (
        0.5,
        True,
        "héllo",
        2**64 - 1,
        -(2**63),
        0.1,
    )
    assert (m["a.sections"], m["a.flags"], m["a.tags"]) == ((16, 24, 24, 0), (True, False), ("x", "y"))
    assert m["a.long"] == SkippedArray("FLOAT32", MAX_STORED_ARRAY + 1)
    assert f.hparams["sections"] == (16, 24, 24, 0) and f.tensors == [] and f.nbytes == 0


def test_alignment_and_offsets() -> None:
    kvs: list[KV] = [("general.alignment", U32, 64)]
    src = gguf(kvs, [("a", (32,), "F32"), ("b", (64, 2), "Q8_0")], alignment=64)
    f = read_gguf(src)
    assert f.alignment == 64 and f.data_offsets[0] % 64 == 0
    assert f.offsets == {"a": f.data_offsets[0], "b": f.data_offsets[0] + 128}  # 'a' is 128 bytes: no padding
    assert f.file_type is None and f.architecture is None and f.hparams == {}


def test_version_2_is_read() -> None:
    f = read_gguf(gguf([("general.architecture", STR, "llama")], [("w", (32,), "F16")], version=2))
    assert f.version == 2 and f.tensors[0].nbytes == 64


# ---------------------------------------------------------------------------------------------
# shards (gguf-split: NAME-00001-of-00003.gguf; split.no is 0-based, u16)


def _shards(tmp_path: Path, n: int = 3, **bad: Any) -> list[Path]:
    tensors = llama31_8b_q4_k_m()
    per = -(-len(tensors) // n)
    paths = []
    for i in range(n):
        kvs: list[KV] = [("split.no", U16, bad.get("no", {}).get(i, i)), ("split.count", U16, bad.get("count", n))]
        if i == 0:
            kvs = llama31_8b_metadata(vocab_strings=False) + kvs + [("split.tensors.count", I32, bad.get("total", 292))]
        part = tensors[i * per : (i + 1) * per] + (bad.get("extra", []) if i == n - 1 else [])
        name = f"Meta-Llama-3.1-8B-Q4_K_M-{i + 1:05d}-of-{n:05d}.gguf"
        paths.append(write(tmp_path / name, gguf(kvs, part, name=name)))
    return paths


@pytest.mark.parametrize("given", [0, 1, 2])
def test_shards_any_one_reads_all(tmp_path: Path, given: int) -> None:
    paths = _shards(tmp_path)
    f = read_gguf_shards(paths[given])
    assert f.files == tuple(str(p) for p in paths)
    assert len(f.tensors) == 292 and f.numel == LLAMA_8B_PARAMS + 64 and f.nbytes == 4_912_898_304
    assert {t.file for t in f.tensors} == {str(p) for p in paths}
    assert f.file_type == "Q4_K_M" and f.hparams["block_count"] == 32 and len(f.data_offsets) == 3
    assert isinstance(f, GgufFile)


def test_shard_names() -> None:
    assert shard_paths("m.gguf") is None
    assert shard_paths("d/m-00001-of-00002.gguf") == [Path("d/m-00001-of-00002.gguf"), Path("d/m-00002-of-00002.gguf")]
    assert shard_paths("m-00003-of-00002.gguf") is None


def test_a_missing_shard(tmp_path: Path) -> None:
    paths = _shards(tmp_path)
    paths[1].unlink()
    with pytest.raises(LoadError) as e:
        read_gguf_shards(paths[0])
    assert e.value.source == str(paths[1]) and e.value.reason == "shard 2 of 3 is missing"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"no": {1: 2}}, r"split.no is 2, but this is shard 2 of 3 \(expected 1\)"),
        ({"count": 4}, "split.count is 4, but 3 shards are named"),
        ({"total": 291}, "split.tensors.count is 291, but the 3 shards hold 292"),
        ({"extra": [("blk.0.attn_q.weight", (256,), "F32")], "total": 293}, "also in an earlier shard"),
    ],
)
def test_inconsistent_shards(tmp_path: Path, bad: dict[str, Any], reason: str) -> None:
    paths = _shards(tmp_path, **bad)
    with pytest.raises(LoadError, match=reason):
        read_gguf_shards(paths[0])


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        read_gguf_shards(tmp_path / "nope.gguf")


# ---------------------------------------------------------------------------------------------
# hostile files: each a one-line LoadError naming the file, after a few small reads

W = ("w", (256, 4), "Q4_K")


def _patch(f: MemoryFile, old: bytes, new: bytes) -> MemoryFile:
    assert f.data.count(old) == 1
    return MemoryFile(f.name, f.data.replace(old, new), f.size)


def _hostile() -> dict[str, tuple[MemoryFile, str]]:
    good = gguf([("general.architecture", STR, "llama")], [W], name="evil.gguf")
    head = good.data
    ti = _str("w") + struct.pack("<I2qIQ", 2, 256, 4, TYPES_BY_NAME["Q4_K"].id, 0)
    assert head.count(ti) == 1

    def ti_with(**kw: Any) -> MemoryFile:
        dims = kw.get("dims", (256, 4))
        new = _str("w") + struct.pack(
            f"<I{len(dims)}qIQ", kw.get("n_dims", len(dims)), *dims, kw.get("type", 12), kw.get("offset", 0)
        )
        return _patch(good, ti, new)

    return {
        "bad magic": (MemoryFile("evil.gguf", b"GGUG" + head[4:], good.size), "not a GGUF file"),
        "empty": (MemoryFile("evil.gguf", b""), "truncated"),
        "version 1": (MemoryFile("evil.gguf", head[:4] + struct.pack("<I", 1) + head[8:], good.size), "version 1"),
        "big-endian": (MemoryFile("evil.gguf", head[:4] + struct.pack(">I", 3) + head[8:], good.size), "big-endian"),
        "version 9": (MemoryFile("evil.gguf", head[:4] + struct.pack("<I", 9) + head[8:], good.size), "version 9"),
        "2^40 tensors": (MemoryFile("evil.gguf", head[:8] + struct.pack("<Q", 2**40) + head[16:]), "tensor count"),
        "2^40 kvs": (MemoryFile("evil.gguf", head[:16] + struct.pack("<Q", 2**40) + head[24:]), "key-value count"),
        "2^60 key length": (
            MemoryFile("evil.gguf", head[:24] + struct.pack("<Q", 2**60) + head[32:]),
            "claims 1152921504606846976 bytes",
        ),
        "2^60 string": (_patch(good, _str("llama"), struct.pack("<Q", 2**60) + b"llama"), "over the limit"),
        "2^60 array": (
            _patch(
                gguf([("a", ARR, (U8, []))], [W], name="evil.gguf"),
                _str("a") + struct.pack("<IIQ", 9, 0, 0),
                _str("a") + struct.pack("<IIQ", 9, 0, 2**60),
            ),
            "array of 1152921504606846976 items",
        ),
        "2^24 strings": (
            _patch(
                gguf([("a", ARR, (STR, []))], [W], name="evil.gguf"),
                _str("a") + struct.pack("<IIQ", 9, 8, 0),
                _str("a") + struct.pack("<IIQ", 9, 8, 2**24),
            ),
            "a string in a claims",
        ),
        "nested array": (
            _patch(
                gguf([("a", ARR, (U8, []))], [W], name="evil.gguf"),
                _str("a") + struct.pack("<IIQ", 9, 0, 0),
                _str("a") + struct.pack("<IIQ", 9, 9, 1),
            ),
            "arrays of arrays",
        ),
        "unknown value type": (
            _patch(good, struct.pack("<I", 8) + _str("llama"), struct.pack("<I", 13) + _str("llama")),
            "unknown value type 13",
        ),
        "9 dims": (ti_with(dims=(256,) + (1,) * 8), "9 dimensions"),
        "5 dims": (ti_with(dims=(256, 1, 1, 1, 4)), "5 dimensions"),
        "negative dim": (ti_with(dims=(256, -4)), "negative dimension"),
        "2^70 elements": (ti_with(dims=(2**31 * 256, 2**31, 2**8)), "more than 2^63"),
        "unknown type": (ti_with(type=99), "unknown ggml type 99"),
        "removed type": (ti_with(type=31), "Q4_0_4_4 (removed"),
        "row not whole blocks": (ti_with(dims=(128, 8)), "not a multiple of Q4_K's block of 256"),
        "offset outside": (ti_with(offset=2**40), "lies outside the file"),
        "misaligned offset": (ti_with(offset=8), "not a multiple of the alignment"),
        "truncated data": (MemoryFile("evil.gguf", head, good.size - 1), "lies outside the file"),
        "truncated header": (MemoryFile("evil.gguf", head[: len(head) - 20]), "truncated"),
    }


HOSTILE = _hostile()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_with_one_line(case: str) -> None:
    f, reason = HOSTILE[case]
    source = CountingSource(MemoryFile("evil.gguf", f.data, f.size))
    with pytest.raises(LoadError) as e:
        read_gguf(source)
    assert reason in e.value.reason and e.value.source == "evil.gguf"
    assert "\n" not in str(e.value)
    assert sum(source.reads) <= 2 * READ_CHUNK  # no large read, whatever the file claims


def test_overlapping_and_duplicate_tensors() -> None:
    two = gguf([], [("a", (256,), "Q4_K"), ("b", (256,), "Q4_K")], name="evil.gguf")
    b_info = _str("b") + struct.pack("<I1qIQ", 1, 256, 12, 160)
    with pytest.raises(LoadError, match="tensors 'a' and 'b' overlap"):
        read_gguf(_patch(two, b_info, _str("b") + struct.pack("<I1qIQ", 1, 256, 12, 128)))
    with pytest.raises(LoadError, match="duplicate tensor 'a'"):
        read_gguf(_patch(two, b_info, _str("a") + struct.pack("<I1qIQ", 1, 256, 12, 160)))
    with pytest.raises(LoadError, match="duplicate key 'k'"):
        read_gguf(gguf([("k", U8, 1), ("k", U8, 2)], []))


@pytest.mark.parametrize("value", [(U32, 3), (U32, 0), (U64, 64)])
def test_bad_alignment(value: tuple[int, int]) -> None:
    with pytest.raises(LoadError, match="general.alignment must be a UINT32 power of two"):
        read_gguf(gguf([("general.alignment", *value)], []))


def test_the_table_knows_qk_k() -> None:
    assert QK_K == 256 and all(t.block_size in (1, 32, 64, 128, 256) for t in GGML_TYPES.values())
