"""A checkpoint added up: parameters and stored bytes, by component and by stored dtype.

From the stored tensors (safetensors.py, gguf.py), what each stands for (quant.py: a GPTQ
``qweight`` holds 32 / bits parameters per int32; scales and zeros hold none) and where it sits
(names.py). Buffers some checkpoints store (rotary ``inv_freq``, GPT-2's causal mask) are listed
with the reason and left out of the parameters; their bytes are still stored bytes.

Conventions:
- ``params``: the logical parameters, what the unquantized model has (its ``numel``s).
- ``bytes``: the stored data bytes of every tensor (headers and padding not counted).
- ``bits_per_weight``: 8 x the bytes of the parameter tensors and their quantization tensors
  (scales, zeros), over the parameters: 16 for bf16, about 4.5 for GPTQ 4-bit with group 128,
  about 4.9 for a Q4_K_M GGUF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from paramcalc.weights import Tensor

OTHER = "other"  # tensors no naming rule knows: counted, shown, never dropped


class Checkpoint(NamedTuple):
    """What was read: the format, the files, every stored tensor, and what the checkpoint says
    of itself (the config.json beside it, or the GGUF metadata)."""

    format: str  # "safetensors" | "gguf"
    label: str  # the path or repo id as given
    files: tuple[str, ...]
    tensors: tuple[Tensor, ...]
    config: Mapping[str, Any] | None = None  # the HuggingFace config.json, when there is one
    metadata: Mapping[str, Any] | None = None  # GGUF key-values (scalars), or safetensors __metadata__
    quantization: Mapping[str, Any] | None = None  # {"method", "bits", "group_size"} where known


class Part(NamedTuple):
    name: str
    params: int
    bytes: int
    tensors: int


class Buffer(NamedTuple):
    name: str
    reason: str
    numel: int
    bytes: int


class Tally(NamedTuple):
    """The sums of a checkpoint (see the module docstring for the conventions)."""

    checkpoint: Checkpoint
    params: int
    bytes: int
    weight_bytes: int  # bytes of the parameter tensors and their quantization tensors
    components: tuple[Part, ...]
    dtypes: tuple[Part, ...]
    buffers: tuple[Buffer, ...]
    methods: tuple[str, ...]  # quantization methods recognised in the tensors

    @property
    def bits_per_weight(self) -> float | None:
        return 8 * self.weight_bytes / self.params if self.params else None

    def component(self, name: str) -> Part | None:
        return next((p for p in self.components if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        ck = self.checkpoint
        return {
            "format": ck.format,
            "files": list(ck.files),
            "tensors": len(ck.tensors),
            "params": self.params,
            "bytes": self.bytes,
            "dtypes": {p.name: {"params": p.params, "bytes": p.bytes, "tensors": p.tensors} for p in self.dtypes},
            "quantization": dict(ck.quantization) if ck.quantization else None,
            "bits_per_weight": self.bits_per_weight,
            "components": [
                {"name": p.name, "params": p.params, "bytes": p.bytes, "tensors": p.tensors} for p in self.components
            ],
            "buffers": [{"name": b.name, "reason": b.reason, "numel": b.numel, "bytes": b.bytes} for b in self.buffers],
        }


def tally(checkpoint: Checkpoint, layers: int | None = None) -> Tally:
    """Add a checkpoint up: every tensor is a parameter tensor, a quantization tensor of one
    (bytes, no parameters) or a named buffer (bytes, no parameters). `layers`: the config's
    block count, so stored blocks past it (an MTP layer) are told apart."""
    from paramcalc.weights.names import buffer_reason, components
    from paramcalc.weights.quant import logical_params

    tensors = list(checkpoint.tensors)
    config = checkpoint.config or {}
    qc = config.get("quantization_config") if checkpoint.format == "safetensors" else None
    stored = logical_params(tensors, qc if isinstance(qc, Mapping) else None)
    named = components((t.name for t in tensors), layers=layers)
    parts: dict[str, list[int]] = {}
    dtypes: dict[str, list[int]] = {}
    buffers: list[Buffer] = []
    methods: list[str] = []
    params = weight_bytes = 0
    for tensor, info in zip(tensors, stored):
        reason = buffer_reason(tensor.name, tensor.shape)
        if reason is not None:
            buffers.append(Buffer(tensor.name, reason, tensor.numel, tensor.nbytes))
            continue
        name = named[tensor.name][0] or OTHER
        n = info.params if info.role == "weight" else 0
        if info.method not in ("none", "") and info.method not in methods:
            methods.append(info.method)
        for bucket, key in ((parts, name), (dtypes, tensor.dtype)):
            row = bucket.setdefault(key, [0, 0, 0])
            row[0] += n
            row[1] += tensor.nbytes
            row[2] += 1
        params += n
        weight_bytes += tensor.nbytes
    if checkpoint.format == "safetensors":
        from paramcalc.weights.quant import quantization

        q = quantization(stored, qc if isinstance(qc, Mapping) else None)
        found = None if q is None else {k: v for k, v in q._asdict().items() if v is not None}
        if found and "block_size" in found:
            found["block_size"] = list(found["block_size"])
        checkpoint = checkpoint._replace(quantization=found)
    return Tally(
        checkpoint,
        params,
        sum(t.nbytes for t in tensors),
        weight_bytes,
        tuple(Part(k, *v) for k, v in parts.items()),
        tuple(Part(k, *v) for k, v in sorted(dtypes.items(), key=lambda kv: -kv[1][1])),
        tuple(buffers),
        tuple(methods),
    )


class Difference(NamedTuple):
    component: str
    config: int | None  # parameters by the config's count; None: the config has no such component
    stored: int | None  # parameters in the checkpoint; None: not stored
    why: str


def differences(config_parts: Sequence[tuple[str, int]], stored: Tally, tied: bool) -> list[Difference]:
    """Where the config's count and the checkpoint's disagree, component by component, with what
    the difference most likely is (a tied head stored anyway, extra layers, a tower the config
    omits)."""
    expected = dict(config_parts)
    have = {p.name: p.params for p in stored.components}
    out = []
    for name in dict.fromkeys([*expected, *have]):
        a, b = expected.get(name), have.get(name)
        if (a or 0) == (b or 0):
            continue
        if name == "output_head" and tied and not a and b:
            why = "the config ties the output head to the token embedding, but the checkpoint stores it"
        elif name.startswith("mtp") and not a:
            why = "blocks past the config's layers (multi-token prediction): stored, not built by the model class"
        elif name.startswith(("vision.", "audio.", "projector", "patch_embedding")) and not a:
            why = "a tower or projector the config's count does not include (a text-only config?)"
        elif a is None or a == 0:
            why = "in the checkpoint, not in the model the config builds (an extra layer, tower or head)"
        elif b is None or b == 0:
            why = "in the config's count, not stored (tied, or missing from the files)"
        else:
            why = f"{b - a:+,} parameters in the checkpoint"
        out.append(Difference(name, a, b, why))
    return out
