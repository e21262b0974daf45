"""A diffusers pipeline folder (model_index.json) as a composite of its models.

``model_index.json`` maps each component to ``[library, class]``; the models among them keep a
``config.json`` in a folder of that name (unet/, vae/, text_encoder/, transformer/). Those are the
parts, in the order data flows: the text encoders, the denoiser, the VAE. Tokenizers, schedulers
and feature extractors hold no weights; the Stable Diffusion safety checker is not counted (an
image classifier run after generation, not part of the model; diffusers lets one pass None).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paramcalc.errors import LoadError, show

INDEX = "model_index.json"
DENOISERS = ("UNet2DConditionModel", "SD3Transformer2DModel", "FluxTransformer2DModel")
TEXT = ("CLIPTextModel", "CLIPTextModelWithProjection")
NO_WEIGHTS = ("Tokenizer", "TokenizerFast", "Scheduler", "ImageProcessor", "FeatureExtractor")
NOT_COUNTED = ("StableDiffusionSafetyChecker",)


def _order(key: str, cls: str) -> int:
    return 0 if cls in TEXT else 1 if cls in DENOISERS else 2


def _read(path: Path, label: str) -> dict[str, Any]:
    from paramcalc.loading import _read, parse_text

    data = parse_text(_read(path, label), label)
    if not isinstance(data, dict):
        raise LoadError(label, f"must be a JSON object, not {show(data)}")
    return data


def pipeline(folder: Path, label: str) -> dict[str, Any]:
    """The composite fields of a pipeline folder (LoadError / ConfigError naming the component)."""
    from paramcalc.diffusers import convert

    index = _read(folder / INDEX, f"{label}/{INDEX}")
    models: list[tuple[str, str]] = []
    skipped: list[str] = []
    for key, value in index.items():
        if key.startswith("_") or not isinstance(value, list) or len(value) != 2 or value[1] is None:
            continue
        if not key.isidentifier() or not key.isascii():  # a subfolder's name: never a path out of the folder
            raise LoadError(f"{label}/{INDEX}", f"component {show(key)} is not a folder name (letters, digits, _)")
        cls = str(value[1])
        if cls.endswith(NO_WEIGHTS):
            continue
        if cls in NOT_COUNTED:
            skipped.append(f"{key} ({cls})")
            continue
        models.append((key, cls))
    if not models:
        raise LoadError(f"{label}/{INDEX}", "names no model with weights (unet, vae, text_encoder, ...)")
    parts: dict[str, Any] = {}
    for key, cls in sorted(models, key=lambda m: _order(*m)):
        where = f"{label}/{key}/config.json"
        config = _read(folder / key / "config.json", where)
        if "_class_name" in config and "model_type" not in config:
            fields = convert(config, where, key)
        elif cls in TEXT and config.get("model_type") == "clip_text_model":
            fields = _clip_text(config, where, key, cls)
        else:
            reason = f"{cls} is not counted by paramcalc; count the others one by one (paramcalc count {label}/unet)"
            raise LoadError(where, reason)
        fields.pop("name", None)
        fields.pop("source", None)
        parts[key] = fields
    cls = index.get("_class_name", "pipeline")
    note = f"; not counted: {', '.join(skipped)}" if skipped else ""
    source = f"diffusers {cls} folder ({INDEX}): {', '.join(parts)}{note}"
    return {"name": folder.resolve().name, "source": source, "architecture": "composite", "parts": parts}


def _clip_text(config: dict[str, Any], where: str, key: str, cls: str) -> dict[str, Any]:
    """CLIPTextModel: transformers' clip_text_model family; WithProjection (SDXL's
    text_encoder_2) adds text_projection, projection_dim x hidden_size without bias."""
    from paramcalc.hf import convert

    fields = convert(config, where, key)
    if cls != "CLIPTextModelWithProjection":
        return fields
    fields.pop("name", None)
    fields.pop("source", None)
    width, projection = fields["d_model"], config.get("projection_dim", 512)
    tensors = {"text_projection": [projection, width]}
    return {"architecture": "composite", "parts": {"text_model": fields}, "tensors": tensors}
