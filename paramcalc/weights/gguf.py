"""GGUF headers: the metadata and every tensor's name, ggml type and shape, read without the data.

The layout (llama.cpp's docs/gguf.md and ggml/src/gguf.cpp), all little-endian::

    "GGUF"  u32 version  u64 n_tensors  u64 n_kv
    n_kv x    (string key, u32 value type, value)          string = u64 length + UTF-8 bytes
    n_tensors x (string name, u32 n_dims, i64 ne[n_dims], u32 ggml type, u64 offset)
    padding to general.alignment (default 32), then the data; each offset is from there

Shapes are kept as GGUF stores them, ``ne[0]`` first: ggml's ``ne[0]`` is the contiguous dimension,
so a torch ``[out, in]`` weight reads ``(in, out)`` here (token_embd.weight of Llama-3.1-8B is
``(4096, 128256)``). Arrays longer than :data:`MAX_STORED_ARRAY` (tokenizer.ggml.tokens, merges,
scores) are stepped over by their lengths and kept only as :class:`SkippedArray` (type and count).

Every limit is a named constant below; a file that breaks one, or is truncated, malformed or
inconsistent, is a :class:`~paramcalc.errors.LoadError` naming the file, raised before anything large
is read or allocated. Version 1 files (before August 2023) and big-endian files are refused.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from paramcalc.errors import LoadError
from paramcalc.weights import ByteSource, LocalFile, Tensor
from paramcalc.weights.ggml import FILE_TYPES, GGML_TYPES, REMOVED_TYPES, tensor_nbytes

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)  # v1 used 32-bit counts and lengths; v2 (Aug 2023) made them 64-bit
DEFAULT_ALIGNMENT = 32  # GGUF_DEFAULT_ALIGNMENT, when general.alignment is absent
MAX_DIMS = 4  # GGML_MAX_DIMS: gguf.cpp refuses more
MAX_TENSORS = 1 << 20  # real files hold hundreds to a few thousand (experts are merged per layer)
MAX_KV = 1 << 16  # real files hold tens
MAX_HEADER_BYTES = 256 << 20  # metadata + tensor infos; a 256k-token vocabulary takes about 10 MiB
MAX_STRING_BYTES = 16 << 20  # one string value (a chat template is tens of KiB)
MAX_NAME_BYTES = 4096  # a key or a tensor name (ggml's GGML_MAX_NAME is 64)
MAX_ARRAY_ITEMS = 1 << 26  # items in one array value
MAX_STORED_ARRAY = 1024  # arrays up to this many items are kept; longer ones are skipped
READ_CHUNK = 1 << 20  # bytes per read while walking the header
MAX_NUMEL = (1 << 63) - 1  # gguf.cpp: the element count must fit in int64

# gguf_type: value type id -> (name, struct format); 8 (string) and 9 (array) are read apart
STRING, ARRAY = 8, 9
SCALARS: dict[int, tuple[str, str]] = {
    0: ("UINT8", "<B"),
    1: ("INT8", "<b"),
    2: ("UINT16", "<H"),
    3: ("INT16", "<h"),
    4: ("UINT32", "<I"),
    5: ("INT32", "<i"),
    6: ("FLOAT32", "<f"),
    7: ("BOOL", "<B"),
    10: ("UINT64", "<Q"),
    11: ("INT64", "<q"),
    12: ("FLOAT64", "<d"),
}
BOOL, UINT32 = 7, 4
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

# gguf-split's keys (llama.cpp common/, gguf-py constants LLM_KV_SPLIT_*)
SPLIT_NO, SPLIT_COUNT, SPLIT_TENSORS = "split.no", "split.count", "split.tensors.count"
SHARD_NAME = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")  # llama_split_path


class SkippedArray(NamedTuple):
    """An array value too long to keep: its item type and length (the tokenizer's vocabulary size)."""

    item_type: str
    length: int


Value = int | float | bool | str | tuple[int | float | bool | str, ...] | SkippedArray


@dataclass(frozen=True)
class GgufFile:
    """What a GGUF file (or all the shards of one) says: metadata, tensors, and where the data is."""

    files: tuple[str, ...]  # the names read, first shard first
    version: int
    metadata: dict[str, Value]  # the first shard's key-values (later shards hold only split.*)
    tensors: list[Tensor]  # in file order; dtype is the ggml type name, shape ne[0] first
    alignment: int
    data_offsets: tuple[int, ...]  # where each file's data section starts
    offsets: dict[str, int] = field(default_factory=dict)  # tensor name -> absolute offset in its file

    @property
    def name(self) -> str:
        return self.files[0]

    @property
    def architecture(self) -> str | None:
        """general.architecture: llama, qwen2, gemma3, deepseek2, ... (the prefix of its hparams)."""
        arch = self.metadata.get("general.architecture")
        return arch if isinstance(arch, str) else None

    @property
    def file_type(self) -> str | None:
        """general.file_type as llama-quantize names it (Q4_K_M, Q8_0, F16, ...); None if absent."""
        ftype = self.metadata.get("general.file_type")
        if not isinstance(ftype, int) or isinstance(ftype, bool):
            return None
        return FILE_TYPES.get(ftype, f"unknown ({ftype})")

    @property
    def quantization_version(self) -> int | None:
        """general.quantization_version: the revision of ggml's quantized block layouts (2 today)."""
        qv = self.metadata.get("general.quantization_version")
        return qv if isinstance(qv, int) and not isinstance(qv, bool) else None

    @property
    def hparams(self) -> dict[str, Value]:
        """The architecture's own keys without their prefix: ``llama.block_count`` -> ``block_count``,
        ``llama.attention.head_count_kv`` -> ``attention.head_count_kv``; plus ``vocab_size`` from the
        tokenizer's token list when the architecture does not state it."""
        arch = self.architecture
        if arch is None:
            return {}
        prefix = arch + "."
        out = {key[len(prefix) :]: value for key, value in self.metadata.items() if key.startswith(prefix)}
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if "vocab_size" not in out and isinstance(tokens, (SkippedArray, tuple)):
            out["vocab_size"] = tokens.length if isinstance(tokens, SkippedArray) else len(tokens)
        return out

    @property
    def numel(self) -> int:
        """Elements of every stored tensor, buffers such as rope_freqs.weight included."""
        return sum(t.numel for t in self.tensors)

    @property
    def nbytes(self) -> int:
        """Stored data bytes of every tensor (padding between tensors not counted)."""
        return sum(t.nbytes for t in self.tensors)


class _Cursor:
    """Sequential reads through a header, in chunks of READ_CHUNK, never past MAX_HEADER_BYTES."""

    def __init__(self, source: ByteSource) -> None:
        self.source = source
        self.size = source.size
        self.pos = 0
        self._buf = b""
        self._buf_at = 0

    def fail(self, reason: str) -> LoadError:
        return LoadError(self.source.name, reason)

    def _check(self, n: int, what: str) -> None:
        end = self.pos + n
        if end > self.size:
            raise self.fail(f"truncated: {what} at byte {self.pos} needs {n} bytes, the file has {self.size}")
        if end > MAX_HEADER_BYTES:
            raise self.fail(f"header is over {MAX_HEADER_BYTES >> 20} MiB (at {what}); not read further")

    def take(self, n: int, what: str) -> bytes:
        self._check(n, what)
        start = self.pos - self._buf_at
        if start < 0 or start + n > len(self._buf):
            self._buf = self.source.read(self.pos, max(n, min(READ_CHUNK, self.size - self.pos)))
            self._buf_at, start = self.pos, 0
            if len(self._buf) < n:
                raise self.fail(f"truncated: {what} at byte {self.pos} could not be read")
        self.pos += n
        return self._buf[start : start + n]

    def skip(self, n: int, what: str) -> None:
        self._check(n, what)
        self.pos += n

    def u32(self, what: str) -> int:
        return int(_U32.unpack(self.take(4, what))[0])

    def u64(self, what: str) -> int:
        return int(_U64.unpack(self.take(8, what))[0])

    def string(self, what: str, cap: int = MAX_STRING_BYTES) -> str:
        n = self.u64(f"the length of {what}")
        if n > cap:
            raise self.fail(f"{what} claims {n} bytes, over the limit of {cap}")
        return self.take(n, what).decode("utf-8", errors="replace")

    def skip_strings(self, count: int, what: str) -> None:
        """Step over `count` strings by their lengths: the hot loop of a tokenizer's 100k+ tokens, so
        lengths are unpacked straight from the buffer; the end is checked by the next read."""
        for _ in range(count):
            rel = self.pos - self._buf_at
            if 0 <= rel <= len(self._buf) - 8:
                (n,) = _U64.unpack_from(self._buf, rel)
                self.pos += 8
            else:
                n = self.u64(f"the length of a string in {what}")
            if n > MAX_STRING_BYTES:
                raise self.fail(f"a string in {what} claims {n} bytes, over the limit of {MAX_STRING_BYTES}")
            self.pos += n
        if self.pos > self.size:
            raise self.fail(f"truncated: {what} runs past the end of the file ({self.size} bytes)")
        self._check(0, what)


def _value(cur: _Cursor, vtype: int, key: str) -> Value:
    if vtype in SCALARS:
        fmt = SCALARS[vtype][1]
        (v,) = struct.unpack(fmt, cur.take(struct.calcsize(fmt), key))
        return bool(v) if vtype == BOOL else v
    if vtype == STRING:
        return cur.string(key)
    if vtype == ARRAY:
        return _array(cur, key)
    raise cur.fail(f"{key}: unknown value type {vtype}")


def _array(cur: _Cursor, key: str) -> Value:
    itype = cur.u32(f"{key}'s item type")
    count = cur.u64(f"{key}'s length")
    if itype == ARRAY:
        raise cur.fail(f"{key}: arrays of arrays are not valid GGUF")
    if itype != STRING and itype not in SCALARS:
        raise cur.fail(f"{key}: unknown array item type {itype}")
    if count > MAX_ARRAY_ITEMS:
        raise cur.fail(f"{key}: array of {count} items, over the limit of {MAX_ARRAY_ITEMS}")
    if itype == STRING:
        if count > MAX_STORED_ARRAY:
            cur.skip_strings(count, key)
            return SkippedArray("STRING", count)
        return tuple(cur.string(f"{key}[{i}]") for i in range(count))
    name, fmt = SCALARS[itype]
    width = struct.calcsize(fmt)
    if count > MAX_STORED_ARRAY:
        cur.skip(count * width, key)
        return SkippedArray(name, count)
    items = struct.unpack(f"<{count}{fmt[1]}", cur.take(count * width, key))
    return tuple(bool(v) for v in items) if itype == BOOL else tuple(items)


def _alignment(cur: _Cursor, metadata: dict[str, Value], types: dict[str, int]) -> int:
    if "general.alignment" not in metadata:
        return DEFAULT_ALIGNMENT
    align = metadata["general.alignment"]
    if types["general.alignment"] != UINT32 or not isinstance(align, int) or align <= 0 or align & (align - 1):
        raise cur.fail(f"general.alignment must be a UINT32 power of two, not {align!r}")
    return align


def read_gguf(source: ByteSource) -> GgufFile:
    """The header of one GGUF file: its metadata and tensors, checked against the file's size."""
    cur = _Cursor(source)
    magic = cur.take(4, "the magic")
    if magic != MAGIC:
        raise cur.fail(f"not a GGUF file: it starts with {magic!r}, not {MAGIC!r}")
    version = cur.u32("the version")
    if version not in SUPPORTED_VERSIONS:
        if version == 1:
            raise cur.fail("GGUF version 1 is not supported (32-bit counts, before August 2023): convert it again")
        if int.from_bytes(version.to_bytes(4, "little"), "big") in SUPPORTED_VERSIONS:
            raise cur.fail("big-endian GGUF is not supported")
        raise cur.fail(f"unknown GGUF version {version} (this reader knows {SUPPORTED_VERSIONS})")
    n_tensors = cur.u64("the tensor count")
    n_kv = cur.u64("the key-value count")
    if n_tensors > MAX_TENSORS:
        raise cur.fail(f"tensor count {n_tensors} is over the limit of {MAX_TENSORS}")
    if n_kv > MAX_KV:
        raise cur.fail(f"key-value count {n_kv} is over the limit of {MAX_KV}")

    metadata: dict[str, Value] = {}
    types: dict[str, int] = {}
    for i in range(n_kv):
        key = cur.string(f"key {i}", MAX_NAME_BYTES)
        if key in metadata:
            raise cur.fail(f"duplicate key {key!r}")
        vtype = cur.u32(f"{key}'s type")
        metadata[key], types[key] = _value(cur, vtype, key), vtype
    alignment = _alignment(cur, metadata, types)

    infos: list[tuple[str, int, tuple[int, ...], int]] = []
    seen: set[str] = set()
    for i in range(n_tensors):
        name = cur.string(f"tensor {i}'s name", MAX_NAME_BYTES)
        if name in seen:
            raise cur.fail(f"duplicate tensor {name!r}")
        seen.add(name)
        n_dims = cur.u32(f"{name}'s dimension count")
        if n_dims > MAX_DIMS:
            raise cur.fail(f"{name}: {n_dims} dimensions, over ggml's {MAX_DIMS}")
        shape = struct.unpack(f"<{n_dims}q", cur.take(8 * n_dims, f"{name}'s shape"))
        type_id = cur.u32(f"{name}'s type")
        offset = cur.u64(f"{name}'s offset")
        infos.append((name, type_id, shape, offset))

    data_offset = -(-cur.pos // alignment) * alignment
    tensors: list[Tensor] = []
    offsets: dict[str, int] = {}
    for name, type_id, shape, offset in infos:
        tensor = _tensor(cur, name, type_id, shape)
        if offset % alignment:
            raise cur.fail(f"{name}: offset {offset} is not a multiple of the alignment {alignment}")
        start = data_offset + offset
        if start + tensor.nbytes > cur.size:
            raise cur.fail(
                f"{name}: its data (bytes {start} to {start + tensor.nbytes}) lies outside the file "
                f"({cur.size} bytes); truncated?"
            )
        tensors.append(tensor)
        offsets[name] = start
    _no_overlap(cur, tensors, offsets)
    return GgufFile((source.name,), version, metadata, tensors, alignment, (data_offset,), offsets)


def _tensor(cur: _Cursor, name: str, type_id: int, shape: tuple[int, ...]) -> Tensor:
    if type_id in REMOVED_TYPES:
        raise cur.fail(f"{name}: ggml type {type_id} is {REMOVED_TYPES[type_id]}")
    ggml_type = GGML_TYPES.get(type_id)
    if ggml_type is None:
        raise cur.fail(f"{name}: unknown ggml type {type_id} (known: up to {max(GGML_TYPES)})")
    numel = 1
    for d in shape:
        if d < 0:
            raise cur.fail(f"{name}: negative dimension in shape {list(shape)}")
        numel *= d
    if numel > MAX_NUMEL:
        raise cur.fail(f"{name}: shape {list(shape)} has more than 2^63 elements")
    first = shape[0] if shape else 1
    if first % ggml_type.block_size:
        raise cur.fail(
            f"{name}: first dimension {first} is not a multiple of {ggml_type.name}'s block of {ggml_type.block_size}"
        )
    return Tensor(name, ggml_type.name, tuple(shape), tensor_nbytes(ggml_type, numel), cur.source.name)


def _no_overlap(cur: _Cursor, tensors: list[Tensor], offsets: dict[str, int]) -> None:
    spans = sorted((offsets[t.name], offsets[t.name] + t.nbytes, t.name) for t in tensors)
    for (_, end, a), (start, _, b) in zip(spans, spans[1:]):
        if start < end:
            raise cur.fail(f"tensors {a!r} and {b!r} overlap (bytes {start} to {end})")


def shard_paths(path: str | os.PathLike[str]) -> list[Path] | None:
    """All shards named like ``path`` (``NAME-00001-of-00004.gguf`` -> four paths), or None if it is
    not a shard name. Any shard's name gives all of them."""
    p = Path(path)
    m = SHARD_NAME.match(p.name)
    if m is None:
        return None
    count = int(m["count"])
    if count < 1 or not 1 <= int(m["no"]) <= count:
        return None
    return [p.with_name(f"{m['prefix']}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]


def read_gguf_shards(path: str | os.PathLike[str]) -> GgufFile:
    """A GGUF file from disk; given one shard of ``NAME-0000i-of-0000N.gguf``, all N shards, joined."""
    paths = shard_paths(path) or [Path(path)]
    parts: list[GgufFile] = []
    for i, p in enumerate(paths):
        try:
            source = LocalFile(p)
        except FileNotFoundError:
            what = f"shard {i + 1} of {len(paths)} is missing" if len(paths) > 1 else "no such file"
            raise LoadError(os.fspath(p), what) from None
        except OSError as exc:
            raise LoadError(os.fspath(p), exc.strerror or str(exc)) from None
        parts.append(read_gguf(source))
    return join_shards(parts) if len(parts) > 1 else parts[0]


def join_shards(parts: Sequence[GgufFile]) -> GgufFile:
    """The shards of one model as one GgufFile, checking gguf-split's keys where the shards have them:
    split.no (0-based) is each shard's place, split.count is the number of shards, and the first
    shard's split.tensors.count is the number of tensors in all of them."""
    count = len(parts)
    for i, part in enumerate(parts):
        no, total = part.metadata.get(SPLIT_NO), part.metadata.get(SPLIT_COUNT)
        if no is not None and no != i:
            raise LoadError(part.name, f"{SPLIT_NO} is {no!r}, but this is shard {i + 1} of {count} (expected {i})")
        if total is not None and total != count:
            raise LoadError(part.name, f"{SPLIT_COUNT} is {total!r}, but {count} shards are named")
    tensors = [t for part in parts for t in part.tensors]
    first = parts[0]
    declared = first.metadata.get(SPLIT_TENSORS)
    if declared is not None and declared != len(tensors):
        raise LoadError(first.name, f"{SPLIT_TENSORS} is {declared!r}, but the {count} shards hold {len(tensors)}")
    offsets: dict[str, int] = {}
    for part in parts:
        for name, offset in part.offsets.items():
            if name in offsets:
                raise LoadError(part.name, f"tensor {name!r} is also in an earlier shard")
            offsets[name] = offset
    return GgufFile(
        files=tuple(f for part in parts for f in part.files),
        version=first.version,
        metadata=first.metadata,
        tensors=tensors,
        alignment=first.alignment,
        data_offsets=tuple(d for part in parts for d in part.data_offsets),
        offsets=offsets,
    )
