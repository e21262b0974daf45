"""HuggingFace config.json -> paramcalc fields, for the model types in :data:`FAMILIES`.

Detection is by content: a mapping with a ``model_type`` key is a HuggingFace config. The
result is a mapping of paramcalc fields that :func:`paramcalc.config.parse_config` validates,
and whose count equals ``sum(p.numel() for p in model.parameters())`` of the model transformers
builds from the same config (``AutoModelForCausalLM`` for decoders, ``AutoModelForSeq2SeqLM``
for T5, ``AutoModel`` for encoders). A key the config omits takes transformers' default for
that model type; only the sizes that define a model (layers, width, heads, vocabulary) are
required.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paramcalc.errors import ConfigError, LoadError, Problem, show


class Keys:
    """Reads one HF config: aliases, transformers' defaults, and every missing key at once."""

    def __init__(self, raw: Mapping[str, Any], label: str) -> None:
        self.raw = raw
        self.label = label
        self.problems: list[Problem] = []

    def _value(self, names: tuple[str, ...]) -> Any:
        """The config's value under the first of `names` it has; for a key it lacks altogether,
        transformers' default for this model type (None: derived from other keys)."""
        for name in names:
            if name in self.raw:
                return self.raw[name]
        from paramcalc.hf.defaults import DEFAULTS

        defaults = DEFAULTS.get(self.model_type, {})
        for name in names:
            if name in defaults:
                return defaults[name]
        return None

    def size(self, *names: str, default: int | None = None, required: bool = False, positive: bool = False) -> int:
        """A whole number under the first of `names` present. A required key (the sizes that
        define a model) must be there unless defaults.py writes down the type's own default for
        it (Gemma3TextConfig's vocab_size: a multimodal text_config leaves it out), and is
        positive; otherwise transformers' default for the type, else `default` (what
        transformers derives when the value is null). A `positive` size (one that others are
        divided by, like a head count) may not be 0."""
        key = next((n for n in names if n in self.raw), names[0])  # the key the config says it under
        value = self._value(names)
        if value is None:
            if default is None or required:
                self.problems.append(Problem(self.label, names[0], f"is required for model_type '{self.model_type}'"))
                return 1
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problems.append(Problem(self.label, key, f"must be a whole number, not {show(value)}"))
            return 1
        if value == 0 and (required or positive):
            self.problems.append(Problem(self.label, key, "must be a positive whole number, not 0"))
            return 1
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._value((name,))
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problems.append(Problem(self.label, name, f"must be true or false, not {show(value)}"))
            return default
        return value

    def text(self, name: str, default: str) -> str:
        value = self._value((name,))
        return value if isinstance(value, str) else default

    def get(self, name: str, default: Any = None) -> Any:
        value = self._value((name,))
        return default if value is None else value

    @property
    def model_type(self) -> str:
        return str(self.raw.get("model_type"))


Family = Callable[[Keys], dict[str, Any]]

# An HF activation name as paramcalc's: gated (a GLU's three matrices) or plain (two).
GATED = {"silu": "swiglu", "swish": "swiglu", "relu": "reglu"}  # anything gelu-like -> geglu
PLAIN = {"silu": "silu", "swish": "silu", "relu": "relu"}  # anything else counts like gelu


def gated(act: str) -> str:
    return GATED.get(act, "geglu")


def plain(act: str) -> str:
    return PLAIN.get(act, "gelu")


def supported() -> list[str]:
    from paramcalc.hf.families import FAMILIES

    return sorted(FAMILIES)


def convert(raw: Mapping[str, Any], label: str, name: str) -> dict[str, Any]:
    """paramcalc fields equivalent to a HuggingFace config (raises LoadError / ConfigError)."""
    from paramcalc.hf.families import FAMILIES

    model_type = raw.get("model_type")
    family = FAMILIES.get(model_type) if isinstance(model_type, str) else None
    if family is None:
        raise LoadError(label, f"model_type {show(model_type)} is not supported; supported: {', '.join(supported())}")
    keys = Keys(raw, label)
    fields = family(keys)
    if keys.problems:
        raise ConfigError(keys.problems)
    named = raw.get("_name_or_path")
    head = {
        "name": named if isinstance(named, str) and named else name,
        "source": f"HuggingFace config.json, model_type {model_type}",
    }
    return {**head, **fields}
