"""safetensors headers: every tensor's name, dtype, shape and byte range, without reading the data.

The format (huggingface/safetensors, safetensors/src/tensor.rs): 8 bytes, a little-endian
unsigned header length N; N bytes of UTF-8 JSON ``{name: {"dtype", "shape", "data_offsets":
[begin, end]}, "__metadata__": {str: str}}``; then the data, offsets counted from the end of the
header. A reader here makes two reads (the length, then the header) and checks what the library
checks, plus the limits below, so a hostile header is one :class:`LoadError` line, raised before
anything large is allocated.

Sharded checkpoints add ``model.safetensors.index.json``: ``{"metadata": {"total_size": ...},
"weight_map": {tensor: shard file}}`` (transformers' ``save_pretrained``); :func:`read_index`
reads it.
"""

from __future__ import annotations

import json
from typing import Any

from paramcalc.errors import LoadError, show
from paramcalc.weights import ByteSource, Tensor

# Bits per element of every dtype safetensors defines (safetensors/src/tensor.rs, `Dtype::bitsize`).
# Sub-byte dtypes (F4, F6_*) must fill whole bytes, as the library requires (`MisalignedSlice`).
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}

HEADER_LENGTH_BYTES = 8
# The library's own cap is 100 MB (MAX_HEADER_SIZE). Ours is lower because the JSON is parsed in
# Python (~0.1 s a MiB): 8 MiB holds ~70,000 tensor entries, while the largest real shards hold a
# few thousand (DeepSeek-V3's 163 shards hold ~91,000 tensors between them, ~560 a shard).
MAX_HEADER_BYTES = 8 * 2**20
MAX_TENSORS = 65_536
# Real tensors have rank <= 5 (MXFP4 blocks: experts x rows x blocks x 16 is 4).
MAX_RANK = 16
MAX_NAME_CHARS = 1024
# An index lists every tensor once (DeepSeek-V3's: ~91,000 entries, ~8 MB).
MAX_INDEX_BYTES = 64 * 2**20
METADATA_KEY = "__metadata__"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object hook: a name given twice is an error, not "the last one wins"."""
    out = dict(pairs)  # at C speed; the loop below runs only when a name repeats
    if len(out) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the name {show(key)} appears twice")
            seen.add(key)
    return out


def _parse_json(source: ByteSource, text: bytes, what: str) -> Any:
    try:
        return json.loads(text.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise LoadError(source.name, f"the {what} is not UTF-8 text") from None
    except RecursionError:
        raise LoadError(source.name, f"the {what} is nested too deeply to be JSON that paramcalc reads") from None
    except ValueError as exc:  # JSONDecodeError, a duplicate name, an integer of thousands of digits
        raise LoadError(source.name, f"the {what} is not valid JSON: {exc}") from None


def _read_header(source: ByteSource) -> tuple[dict[str, Any], int]:
    """The parsed JSON header and its length in bytes, after the checks on that length."""
    size = source.size
    head = source.read(0, HEADER_LENGTH_BYTES)
    if len(head) < HEADER_LENGTH_BYTES:
        raise LoadError(
            source.name,
            f"truncated: {len(head)} bytes, but a safetensors file starts with an 8-byte header length",
        )
    length = int.from_bytes(head, "little")
    if length > MAX_HEADER_BYTES:
        raise LoadError(
            source.name,
            f"header length {length:,} bytes is above paramcalc's cap of {MAX_HEADER_BYTES:,}: "
            "not a safetensors file, or a damaged one",
        )
    if HEADER_LENGTH_BYTES + length > size:
        raise LoadError(
            source.name, f"header length {length:,} bytes runs past the end of the file ({size:,} bytes): truncated?"
        )
    if length < 2:
        raise LoadError(source.name, f"header length {length} is too short for a JSON object")
    text = source.read(HEADER_LENGTH_BYTES, length)
    if len(text) < length:
        raise LoadError(source.name, f"truncated: the header should be {length:,} bytes, {len(text):,} were read")
    # Early exit before the parse (a C-speed count): every tensor entry names its data_offsets.
    # read_safetensors counts the parsed entries again, so a header that spells the key otherwise gains nothing.
    entries = text.count(b'"data_offsets"')
    if entries > MAX_TENSORS:
        raise LoadError(source.name, f"{entries:,} tensors is above paramcalc's cap of {MAX_TENSORS:,}")
    header = _parse_json(source, text, "header")
    if not isinstance(header, dict):
        raise LoadError(source.name, f"the header is JSON {type(header).__name__}, not an object of tensors")
    return header, length


def _shape(source: ByteSource, name: str, value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise LoadError(source.name, f"tensor {show(name)}: shape {show(value)} is not a list of integers")
    if len(value) > MAX_RANK:
        raise LoadError(source.name, f"tensor {show(name)}: rank {len(value)} is above the cap of {MAX_RANK}")
    for dim in value:
        if type(dim) is not int or dim < 0:  # bool is an int in Python: refused too
            raise LoadError(source.name, f"tensor {show(name)}: shape {show(value)} is not non-negative integers")
    return tuple(value)


def _tensor(source: ByteSource, name: str, entry: object, data_size: int) -> tuple[Tensor, int, int]:
    """One header entry checked: the record, and its byte range in the data area."""
    if len(name) > MAX_NAME_CHARS:
        raise LoadError(source.name, f"tensor name {show(name)} is longer than {MAX_NAME_CHARS} characters")
    if not isinstance(entry, dict):
        raise LoadError(source.name, f"tensor {show(name)}: {show(entry)} is not an object with dtype, shape, offsets")
    missing = [key for key in ("dtype", "shape", "data_offsets") if key not in entry]
    if missing:
        raise LoadError(source.name, f"tensor {show(name)}: no {', '.join(missing)}")
    dtype = entry["dtype"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise LoadError(
            source.name,
            f"tensor {show(name)}: unknown dtype {show(dtype)} (known: {', '.join(DTYPE_BITS)})",
        )
    shape = _shape(source, name, entry["shape"])
    offsets = entry["data_offsets"]
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or any(type(x) is not int or x < 0 for x in offsets)
        or offsets[1] < offsets[0]
    ):
        raise LoadError(
            source.name, f"tensor {show(name)}: data_offsets {show(offsets)} is not [begin, end] with 0 <= begin <= end"
        )
    begin, end = offsets
    if end > data_size:
        raise LoadError(
            source.name,
            f"tensor {show(name)}: data_offsets [{begin}, {end}] run past the data ({data_size:,} bytes): "
            "truncated file?",
        )
    # numel x bits, stopped as soon as it passes the whole data area: a shape of absurd dims is
    # refused without building a giant integer. An empty tensor (a 0 dim) holds no bits.
    limit = 8 * data_size
    bits = 0 if 0 in shape else DTYPE_BITS[dtype]
    for dim in shape:
        bits *= dim
        if bits > limit:
            raise LoadError(
                source.name, f"tensor {show(name)}: shape {show(list(shape))} of {dtype} is larger than the whole file"
            )
    if bits % 8:
        raise LoadError(source.name, f"tensor {show(name)}: {dtype} {list(shape)} does not fill whole bytes")
    if end - begin != bits // 8:
        raise LoadError(
            source.name,
            f"tensor {show(name)}: {dtype} {list(shape)} is {bits // 8:,} bytes, but data_offsets [{begin}, {end}] "
            f"hold {end - begin:,}",
        )
    return Tensor(name, dtype, shape, end - begin, source.name), begin, end


def read_safetensors(source: ByteSource) -> list[Tensor]:
    """Every tensor in a safetensors file, in the order of their data, from the header alone.

    Raises LoadError (naming the file and the problem) for a header that is truncated, too long,
    not a JSON object of tensor objects, or whose tensors have unknown dtypes, bad shapes, or
    byte ranges outside the data area, of the wrong size, or overlapping.
    """
    header, length = _read_header(source)
    if METADATA_KEY in header:
        _check_metadata(source, header[METADATA_KEY])
    count = len(header) - (METADATA_KEY in header)
    if count > MAX_TENSORS:
        raise LoadError(source.name, f"{count:,} tensors is above paramcalc's cap of {MAX_TENSORS:,}")
    data_size = source.size - HEADER_LENGTH_BYTES - length
    ranges: list[tuple[int, int, Tensor]] = []
    for name, entry in header.items():
        if name == METADATA_KEY:
            continue
        tensor, begin, end = _tensor(source, name, entry, data_size)
        ranges.append((begin, end, tensor))
    ranges.sort(key=lambda r: (r[0], r[1]))  # O(n log n); then each range must start where the last ended, or later
    previous_end, previous = 0, ""
    for begin, end, tensor in ranges:
        if begin < previous_end:
            raise LoadError(
                source.name, f"tensors {show(previous)} and {show(tensor.name)} overlap (bytes {begin}..{previous_end})"
            )
        if end > begin:  # an empty tensor holds no bytes and overlaps nothing
            previous_end, previous = end, tensor.name
    return [tensor for _, _, tensor in ranges]


def _check_metadata(source: ByteSource, metadata: object) -> dict[str, str]:
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise LoadError(source.name, f"__metadata__ {show(metadata)} is not an object of strings")
    return metadata


def read_metadata(source: ByteSource) -> dict[str, str]:
    """The header's ``__metadata__`` (e.g. {"format": "pt"}), or {} when there is none."""
    header, _ = _read_header(source)
    return dict(_check_metadata(source, header.get(METADATA_KEY, {})))


def read_index(source: ByteSource) -> dict[str, str]:
    """A ``model.safetensors.index.json``'s weight_map: tensor name -> shard file name.

    Shard names must be plain file names ending in .safetensors (no folders, no '..'), so a hostile
    index cannot point outside the checkpoint's folder.
    """
    if source.size > MAX_INDEX_BYTES:
        raise LoadError(
            source.name, f"{source.size:,} bytes is above paramcalc's cap of {MAX_INDEX_BYTES:,} for an index"
        )
    text = source.read(0, source.size)
    index = _parse_json(source, text, "index")
    if not isinstance(index, dict):
        raise LoadError(source.name, f"the index is JSON {type(index).__name__}, not an object")
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict):
        raise LoadError(source.name, "no weight_map object: not a model.safetensors.index.json")
    if len(weight_map) > MAX_INDEX_BYTES // 8:
        raise LoadError(source.name, f"{len(weight_map):,} tensors in weight_map is more than paramcalc reads")
    for tensor, shard in weight_map.items():
        if (
            not isinstance(shard, str)
            or not shard.endswith(".safetensors")
            or "/" in shard
            or "\\" in shard
            or shard.startswith(".")
        ):
            raise LoadError(
                source.name,
                f"weight_map: {show(tensor)}: {show(shard)} is not the file name of a .safetensors shard "
                "beside the index",
            )
    return dict(weight_map)
