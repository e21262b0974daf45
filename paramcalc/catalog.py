"""The bundled presets (configs/*.yaml) and their index.

Parsing YAML means importing PyYAML, which costs more start-up time than everything else a
`count --json` does. So configs/index.json holds each preset's fields already parsed, keyed by
file name with the CRC-32 of the YAML it came from: a preset whose file still matches is read
from the index, and any other (edited, added) falls back to the YAML itself. A stale index can
cost speed, never a wrong number; tests/test_loading.py checks that it is fresh, and
`python -m paramcalc.catalog` rewrites it.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

from paramcalc.errors import suggest

INDEX = "index.json"


def presets_dir() -> Path:
    """Inside the installed package (paramcalc/configs), or ./configs of a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "configs"
    return packaged if packaged.is_dir() else here.parent / "configs"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def preset_path(spec: str) -> Path | None:
    """`gpt3`, `GPT3`, `gpt3.yaml`, `gpt3.yml` or the display name `GPT-3` -> the bundled file, if
    there is one. Names are case-insensitive; a display name is matched only as typed without an
    extension (`gpt-3.yaml` names a file), and a file name wins over another preset's display name."""
    lower = spec.lower()
    name = spec[:-5] if lower.endswith(".yaml") else spec[:-4] if lower.endswith(".yml") else spec
    if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 200:
        return None
    path = presets_dir() / f"{name}.yaml"
    if path.is_file():  # the common case, and the only one `count gpt3 --json` pays for
        return path
    if name == spec:
        stem = preset_aliases().get(name.lower())
    else:
        stem = {s.lower(): s for s in preset_names()}.get(name.lower())
    return presets_dir() / f"{stem}.yaml" if stem is not None else None


def preset_aliases() -> dict[str, str]:
    """Every name a preset answers to, lower-cased -> its file stem: the stems, then the display
    names (the `name:` field, read from the index, so no YAML parser is needed)."""
    aliases = {stem.lower(): stem for stem in preset_names()}
    nets = []
    for file, entry in _load_index().items():
        fields = entry.get("fields") if isinstance(entry, dict) else None
        display = fields.get("name") if isinstance(fields, dict) else None
        stem = file.removesuffix(".yaml")
        if isinstance(display, str) and file.endswith(".yaml") and stem in aliases.values():
            aliases.setdefault(display.lower(), stem)
            if isinstance(fields, dict) and fields.get("architecture") == "sequential":
                nets.append(stem)
    for stem in nets:
        for alias in hyphenated(stem):
            aliases.setdefault(alias, stem)
    return aliases


def hyphenated(stem: str) -> tuple[str, str]:
    """A torchvision-named net as people also write it: `wide_resnet50_2` -> `wide-resnet50-2` and
    `wide-resnet-50-2`, `resnet50` -> `resnet-50` (a hyphen where a word of 3+ letters meets its depth)."""
    plain = stem.lower().replace("_", "-")
    return plain, re.sub(r"(?<=[a-z]{3})(?=\d)", "-", plain, count=1)


_SUFFIXES = r"(-hf|-instruct|-chat|-it|-base|-deduped|-v\d+(\.\d+)*)$"  # compiled by re on first use


def _normalise(spec: str) -> str:
    """`meta-llama/Llama-2-7b-chat-hf` -> `llama-2-7b`: what a preset would be called."""
    name = spec.rstrip("/").rsplit("/", 1)[-1].lower()
    for ext in (".yaml", ".yml", ".json"):
        name = name.removesuffix(ext)
    while (stripped := re.sub(_SUFFIXES, "", name)) != name:
        name = stripped
    return name.removeprefix("meta-")


def closest_preset(spec: str) -> str:
    """A "did you mean" naming the preset closest to `spec` (an org/ prefix, case and suffixes
    such as -hf or -Instruct ignored), or "" when none is close."""
    name = _normalise(spec)
    stem = preset_aliases().get(name) if name else None
    if stem is not None:
        return f" (did you mean '{stem}'?)"
    return suggest(name, preset_names()) if name else ""


_index: dict[str, Any] | None = None


def _load_index() -> dict[str, Any]:
    global _index
    if _index is None:
        try:
            loaded = json.loads((presets_dir() / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        _index = loaded if isinstance(loaded, dict) else {}
    return _index


def indexed_fields(path: Path, data: bytes) -> dict[str, Any] | None:
    """The parsed fields of a bundled preset, if the index holds this exact file."""
    entry = _load_index().get(path.name)
    if isinstance(entry, dict) and entry.get("crc32") == zlib.crc32(data) and isinstance(entry.get("fields"), dict):
        return dict(entry["fields"])
    return None


def build_index() -> dict[str, Any]:
    from paramcalc import _yaml

    index = {}
    for path in sorted(presets_dir().glob("*.yaml")):
        data = path.read_bytes()
        index[path.name] = {"crc32": zlib.crc32(data), "fields": _yaml.load(data.decode("utf-8"), str(path))}
    return index


def write_index() -> Path:
    target = presets_dir() / INDEX
    # in file order, not sorted: the order of a composite's parts is the order data flows through them
    target.write_text(json.dumps(build_index(), indent=1) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    print(f"wrote {write_index()}")
