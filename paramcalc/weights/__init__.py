"""Weight files as ground truth: what a checkpoint stores, read from its headers only.

A checkpoint is a list of :class:`Tensor` records (name, stored dtype, shape, stored bytes, file),
read from safetensors headers (safetensors.py), GGUF headers (gguf.py) or, through hub.py, the
HuggingFace cache or the Hub (two small range reads per shard). The data of a tensor is never
read. quant.py says how many parameters a stored tensor stands for (a GPTQ ``qweight`` int32
packs 32 / bits of them; its scales and zeros are none), names.py which component a tensor
belongs to, and checkpoint.py adds it all up.

Every reader takes a :class:`ByteSource`, so a local file, a shard on the Hub and a test's
in-memory bytes are read the same way, with the same limits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Protocol


class ByteSource(Protocol):
    """Bytes that can be read by range: a local file, or a file on the Hub (HTTP ranges)."""

    @property
    def name(self) -> str:
        """What messages call it (a path, or 'ORG/NAME/file')."""
        ...

    @property
    def size(self) -> int:
        """The total number of bytes."""
        ...

    def read(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes from `offset` (fewer only at the end of the source)."""
        ...


class LocalFile:
    """A file on disk, opened once per read (headers are a few reads)."""

    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        self.path = os.fspath(path)
        self._name = name or self.path
        self._size = os.stat(self.path).st_size

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)


class MemoryFile:
    """Bytes in memory, with a size that may be larger than what is held (the rest reads as
    zeros): a test's header of a 100 GB file costs a few kilobytes."""

    def __init__(self, name: str, data: bytes, size: int | None = None) -> None:
        self._name = name
        self.data = data
        self._size = len(data) if size is None else size

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        end = min(offset + length, self._size)
        chunk = self.data[offset:end]
        return chunk + b"\0" * (end - offset - len(chunk)) if end > offset else b""


class Tensor(NamedTuple):
    """One stored tensor: its name in the file, its stored dtype (safetensors' names: F32, BF16,
    F8_E4M3, I32, U8, ...; GGUF's ggml type names: Q4_K, Q8_0, F16, ...), its shape as stored,
    its stored bytes and the file it is in."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    file: str

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def is_weights(spec: str) -> bool:
    """Whether `spec` names weights (a file, a folder of them, or a repo id), cheaply: by name,
    by a directory listing, or by the shape of a repo id. Everything else is a config."""
    path = Path(spec)
    name = path.name.lower()
    try:
        if path.is_file():
            return name.endswith((".safetensors", ".gguf")) or name.endswith(".safetensors.index.json")
        if path.is_dir():
            return any(path.glob("*.safetensors")) or any(path.glob("*.gguf"))
    except OSError:
        return False
    if "/" not in spec:  # ORG/NAME, hf://...: a preset name never has one (and no import is paid)
        return False
    from paramcalc.weights.hub import parse_repo_id

    return not path.exists() and parse_repo_id(spec) is not None
