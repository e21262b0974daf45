"""Which arguments name weights, and reading them into a Checkpoint.

Weights, wherever a config is accepted:
- a ``.safetensors`` file; a ``model.safetensors.index.json`` (its shards beside it);
- a ``.gguf`` file (given the first of ``name-00001-of-0000N.gguf``, every shard is read);
- a folder holding ``*.safetensors`` (with an index when sharded) or ``*.gguf``, with or
  without a ``config.json``;
- ``ORG/NAME`` (``ORG/NAME@REVISION``, ``hf://ORG/NAME``) that is not a path: the HuggingFace
  cache first, then the Hub (headers only), unless HF_HUB_OFFLINE=1.
A config.json beside the weights (or in the repo) is read too: the count from the config and
the count from the weights are then both shown, and compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paramcalc.errors import LoadError
from paramcalc.weights import ByteSource, LocalFile, Tensor, is_weights  # noqa: F401 (is_weights: re-exported)
from paramcalc.weights.checkpoint import Checkpoint

INDEX = "model.safetensors.index.json"
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_SHARDS = 10_000


def _config_beside(folder: Path, label: str) -> dict[str, Any] | None:
    path = folder / "config.json"
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise LoadError(str(path), f"is larger than {MAX_CONFIG_BYTES:,} bytes; a config is a few kB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoadError(str(path), f"is not valid JSON ({exc})") from None
    return data if isinstance(data, dict) else None


def _safetensors(label: str, sources: list[ByteSource], config: dict[str, Any] | None) -> Checkpoint:
    from paramcalc.weights.safetensors import read_metadata, read_safetensors

    tensors: list[Tensor] = []
    for source in sources:
        tensors += read_safetensors(source)
    metadata = read_metadata(sources[0]) if sources else None
    return Checkpoint(
        "safetensors",
        label,
        tuple(s.name for s in sources),
        tuple(tensors),
        config,
        metadata,
        None,  # what the tensors and quantization_config say: checkpoint.tally works it out
    )


def _shards_of_index(folder: Path, index_path: Path) -> list[ByteSource]:
    from paramcalc.weights.safetensors import read_index

    weight_map = read_index(LocalFile(index_path))
    files = sorted(set(weight_map.values()))
    if len(files) > MAX_SHARDS:
        raise LoadError(str(index_path), f"names {len(files):,} shards; at most {MAX_SHARDS:,} are read")
    out: list[ByteSource] = []
    for name in files:
        shard = folder / name
        if Path(name).name != name or not shard.is_file():
            raise LoadError(str(index_path), f"names shard {name!r}, which is not a file beside it")
        out.append(LocalFile(shard))
    return out


def read_weights(spec: str) -> Checkpoint:
    """The checkpoint a weights argument names (see the module docstring)."""
    path = Path(spec)
    if path.is_file():
        name = path.name.lower()
        if name.endswith(".gguf"):
            return _gguf(spec, path)
        config = _config_beside(path.parent, spec)
        if name.endswith(".safetensors.index.json"):
            return _safetensors(spec, _shards_of_index(path.parent, path), config)
        return _safetensors(spec, [LocalFile(path)], config)
    if path.is_dir():
        return _folder(spec, path)
    from paramcalc.weights.hub import open_repo, parse_repo_id

    repo = parse_repo_id(spec)
    if repo is None:
        raise LoadError(spec, "is neither weights nor a HuggingFace repo id")
    try:
        found = open_repo(repo)  # the cached snapshot, else the Hub's config.json and shard headers
    except LoadError as exc:
        from paramcalc.catalog import closest_preset

        raise LoadError(exc.source, exc.reason + closest_preset(spec)) from None
    if isinstance(found, Path):
        return _folder(spec, found)
    return _safetensors(spec, list(found.shards), dict(found.config) if found.config else None)


def _folder(label: str, folder: Path) -> Checkpoint:
    ggufs = sorted(folder.glob("*.gguf"))
    if (folder / INDEX).is_file():
        return _safetensors(label, _shards_of_index(folder, folder / INDEX), _config_beside(folder, label))
    shards = sorted(folder.glob("*.safetensors"))
    if shards:
        return _safetensors(label, [LocalFile(p) for p in shards], _config_beside(folder, label))
    if ggufs:
        return _gguf(label, ggufs[0])
    raise LoadError(label, "holds no .safetensors or .gguf files")


def _gguf(label: str, path: Path) -> Checkpoint:
    from paramcalc.weights.gguf import read_gguf_shards

    gguf = read_gguf_shards(path)  # every shard of NAME-0000i-of-0000N.gguf, joined
    meta = {k: v for k, v in gguf.metadata.items() if isinstance(v, (int, float, str, bool))}
    quant = {"method": "gguf", "file_type": gguf.file_type, "bits": None, "group_size": None}
    return Checkpoint("gguf", label, tuple(gguf.files), tuple(gguf.tensors), None, meta, quant)
