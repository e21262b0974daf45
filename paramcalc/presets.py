"""The bundled presets (configs/*.yaml) and their index.

Parsing YAML means importing PyYAML, which costs more start-up time than everything else a
`count --json` does. So configs/index.json holds each preset's fields already parsed, keyed by
file name with the CRC-32 of the YAML it came from: a preset whose file still matches is read
from the index, and any other (edited, added) falls back to the YAML itself. A stale index can
cost speed, never a wrong number; tests/test_loading.py checks that it is fresh, and
`python -m paramcalc.presets` rewrites it.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

INDEX = "index.json"


def presets_dir() -> Path:
    """Inside the installed package (paramcalc/configs), or ./configs of a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "configs"
    return packaged if packaged.is_dir() else here.parent / "configs"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def preset_path(spec: str) -> Path | None:
    """`gpt3`, `gpt3.yaml` or `gpt3.yml` -> the bundled file, if there is one."""
    name = spec[:-5] if spec.endswith(".yaml") else spec[:-4] if spec.endswith(".yml") else spec
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = presets_dir() / f"{name}.yaml"
    return path if path.is_file() else None


_index: dict[str, Any] | None = None


def indexed_fields(path: Path, data: bytes) -> dict[str, Any] | None:
    """The parsed fields of a bundled preset, if the index holds this exact file."""
    global _index
    if _index is None:
        try:
            _index = json.loads((presets_dir() / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _index = {}
    entry = _index.get(path.name)
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
    target.write_text(json.dumps(build_index(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    print(f"wrote {write_index()}")
