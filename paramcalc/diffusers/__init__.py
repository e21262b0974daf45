"""diffusers config.json -> paramcalc fields, for the model classes in :data:`CLASSES`.

Detection is by content: a mapping with a ``_class_name`` key and no ``model_type`` is a
diffusers model config (a pipeline's ``model_index.json`` has ``_class_name`` too, and is read
by :mod:`paramcalc.diffusers.pipeline`). Each class becomes fields in the layer-list language
(``architecture: sequential``, or a ``composite`` of sequential parts for the U-Nets, whose skip
connections do not fit one list), whose count equals ``sum(p.numel() for p in
model.parameters())`` of ``cls.from_config(config)`` in diffusers 0.42.1. A key the config
omits takes that class's default in diffusers 0.42.1 (the ``__init__`` signature).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paramcalc.errors import ConfigError, LoadError, Problem, show

CLASS_KEY = "_class_name"


def is_model_config(raw: Mapping[str, Any]) -> bool:
    """A diffusers model's config.json: `_class_name`, no `model_type` (transformers' key)."""
    return CLASS_KEY in raw and "model_type" not in raw


MAX_COUNT = 1000  # blocks or layers of one kind: SDXL has 10 transformer layers per block, Flux 57 blocks
MAX_SIZE = 10**7  # a width or a channel count: far above any published model, small enough to count fast
COUNTED = frozenset({"num_layers", "num_single_layers", "layers_per_block", "transformer_layers_per_block"})


class Keys:
    """Reads one diffusers config: the class's defaults, and every problem at once."""

    def __init__(self, raw: Mapping[str, Any], label: str, defaults: Mapping[str, Any]) -> None:
        self.raw = raw
        self.label = label
        self.defaults = defaults
        self.problems: list[Problem] = []

    def get(self, name: str) -> Any:
        return self.raw[name] if name in self.raw else self.defaults.get(name)

    def fail(self, name: str | None, message: str) -> None:
        self.problems.append(Problem(self.label, name, message))

    def size(self, name: str, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
        """A whole number in bounds; counts of blocks and layers at most MAX_COUNT, checked before
        anything is built (a million layers would take minutes and gigabytes to lay out)."""
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(name, f"must be a whole number of at least {minimum}, not {show(value)}")
            return max(minimum, 1)
        if name in COUNTED and value > MAX_COUNT:
            self.fail(name, f"{value:,} is more than the {MAX_COUNT:,} paramcalc lays out")
            return max(minimum, 1)
        if value > maximum:
            self.fail(name, f"must be at most {maximum:,}, not {value:,}")
            return max(minimum, 1)
        return value

    def optional(self, name: str) -> int | None:
        return None if self.get(name) is None else self.size(name)

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if not isinstance(value, bool):
            self.fail(name, f"must be true or false, not {show(value)}")
            return False
        return value

    def words(self, name: str) -> list[str]:
        value = self.get(name)
        if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
            self.fail(name, f"must be a list of block type names, not {show(value)}")
            return []
        return list(value)

    def per_block(self, name: str, n: int) -> list[int]:
        """A whole number, or a list of one per block (diffusers repeats a single value)."""
        value = self.get(name)
        values = list(value) if isinstance(value, (list, tuple)) else [value] * n
        if len(values) != n or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
            self.fail(name, f"must be a whole number or a list of {n} (one per block), not {show(value)}")
            return [1] * n
        if name in COUNTED and max(values) > MAX_COUNT:
            self.fail(name, f"{max(values):,} is more than the {MAX_COUNT:,} paramcalc lays out")
            return [1] * n
        return values

    def flags(self, name: str, n: int) -> list[bool]:
        value = self.get(name)
        values = list(value) if isinstance(value, (list, tuple)) else [value] * n
        if len(values) != n or any(not isinstance(v, bool) for v in values):
            self.fail(name, f"must be true, false or a list of {n} of them, not {show(value)}")
            return [False] * n
        return values

    def unsupported(self, name: str, allowed: tuple[Any, ...], what: str) -> None:
        """A key whose other values build modules paramcalc does not write (yet)."""
        value = self.get(name)
        if value not in allowed:
            choices = ", ".join("null" if a is None else str(a) for a in allowed)
            self.fail(name, f"{show(value)} is not supported ({what}: {choices})")


Converter = Callable[[Keys], dict[str, Any]]


def _classes() -> dict[str, tuple[Converter, dict[str, Any]]]:
    from paramcalc.diffusers import dit, unet, vae

    return {
        "UNet2DConditionModel": (unet.unet, unet.DEFAULTS),
        "AutoencoderKL": (vae.autoencoder_kl, vae.DEFAULTS),
        "SD3Transformer2DModel": (dit.sd3, dit.SD3_DEFAULTS),
        "FluxTransformer2DModel": (dit.flux, dit.FLUX_DEFAULTS),
    }


def supported() -> list[str]:
    return sorted(_classes())


def convert(raw: Mapping[str, Any], label: str, name: str) -> dict[str, Any]:
    """paramcalc fields equivalent to a diffusers model config (raises LoadError / ConfigError)."""
    cls = raw.get(CLASS_KEY)
    entry = _classes().get(cls) if isinstance(cls, str) else None
    if entry is None:
        if cls in ("StableDiffusionPipeline", "StableDiffusionXLPipeline") or str(cls).endswith("Pipeline"):
            reason = "is a pipeline's model_index.json: give its folder, and paramcalc counts the models in it"
            raise LoadError(label, reason)
        raise LoadError(label, f"_class_name {show(cls)} is not supported; supported: {', '.join(supported())}")
    converter, defaults = entry
    keys = Keys(raw, label, defaults)
    fields = converter(keys)
    if keys.problems:
        raise ConfigError(keys.problems)
    # a preset may name itself and cite its config (name:, source:); diffusers ignores both keys
    title = raw.get("name") if isinstance(raw.get("name"), str) else name
    source = raw.get("source") if isinstance(raw.get("source"), str) else f"diffusers config.json, _class_name {cls}"
    return {"name": title, "source": source, **fields}
