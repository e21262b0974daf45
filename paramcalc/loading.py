"""From what a user typed (a path, a preset name, ``-``) to a validated Config.

YAML is parsed with a *safe* loader only (PyYAML's C SafeLoader where available): tags that
construct objects are refused, and duplicate keys are an error instead of silently keeping the
last one. Files larger than :data:`MAX_BYTES` are refused before parsing.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

from paramcalc.config import Config, parse_config
from paramcalc.errors import ConfigError, LoadError, Problem, UsageError, show
from paramcalc.presets import indexed_fields, preset_names, preset_path

_BRACKETS = re.compile(r"[\[\]{}]")
MAX_BYTES = 4 * 1024 * 1024  # real configs are a few kB; refuse anything silly before parsing
STDIN = "-"


class Source(NamedTuple):
    """Where a config came from: its label in messages, its default name, its text (or, for a
    bundled preset found in the index, its fields already parsed)."""

    label: str
    name: str
    text: str
    path: Path | None = None
    fields: dict[str, Any] | None = None


def _preset_source(label: str, path: Path) -> Source:
    data = _read_bytes(path, label)
    fields = indexed_fields(path, data)
    return Source(label, path.stem, "" if fields is not None else _decode(data, label), path, fields)


def read_source(spec: str) -> Source:
    """Find and read the text of a config: ``-`` (stdin), a file, a directory, or a preset."""
    if spec == STDIN:
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        return Source("<stdin>", "stdin", _decode(data, "<stdin>"))
    path = Path(spec)
    if path.is_dir():
        inner = path / "config.json"
        if not inner.is_file():
            raise LoadError(spec, "is a directory without a config.json")
        path = inner
    elif not path.exists():
        preset = preset_path(spec)
        if preset is None:
            raise LoadError(spec, f"no such file, and no preset of that name{_suggest_preset(spec)}")
        return _preset_source(spec, preset)
    return Source(
        spec, path.stem if path.name != "config.json" else path.parent.name or "config", _read(path, spec), path
    )


def _suggest_preset(spec: str) -> str:
    stem = Path(spec).name.rsplit(".", 1)[0]
    close = difflib.get_close_matches(stem, preset_names(), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{hint}; 'paramcalc presets' lists the presets"


def _read(path: Path, label: str) -> str:
    return _decode(_read_bytes(path, label), label)


def _read_bytes(path: Path, label: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LoadError(label, f"is {size:,} bytes; a config is at most {MAX_BYTES:,} bytes")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        raise LoadError(label, "cannot be read: permission denied") from None
    except IsADirectoryError:
        raise LoadError(label, "is a directory") from None
    except OSError as exc:
        raise LoadError(label, f"cannot be read: {exc.strerror or exc}") from None
    return data


def _decode(data: bytes, label: str) -> str:
    if len(data) > MAX_BYTES:
        raise LoadError(label, f"is larger than {MAX_BYTES:,} bytes; a config is a few kB")
    if b"\x00" in data:
        raise LoadError(label, "is binary, not a YAML or JSON text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(label, f"is not UTF-8 text (byte {exc.start})") from None


MAX_DEPTH = 100  # brackets nested in brackets; a real config nests three or four deep


def _check_nesting(text: str, label: str) -> None:
    """Refuse absurdly deep [[[[...]]]] before a parser recurses into it (and overflows the
    C stack). Brackets inside quoted strings count too, which only errs on the strict side."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise LoadError(label, f"nests brackets more than {MAX_DEPTH} deep")


def parse_text(text: str, label: str) -> Any:
    """YAML (or JSON, which is YAML) text to Python data; safe loading, no duplicate keys."""
    if not text.strip():
        raise LoadError(label, "is empty")
    _check_nesting(text, label)
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs(label))
        except RecursionError:
            raise LoadError(label, "nests too deeply") from None
        except json.JSONDecodeError:
            pass  # flow-style YAML, or broken JSON: let the YAML parser say where
    from paramcalc import _yaml

    return _yaml.load(text, label)


def _unique_pairs(label: str):  # type: ignore[no-untyped-def]
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise LoadError(label, f"{key}: duplicate key (JSON keeps only the last; remove one)")
            seen[key] = value
        return seen

    return hook


MAX_EXTENDS_DEPTH = 32
OVERRIDE_SEP = ":"


def _mapping(source: Source) -> dict[str, Any]:
    if source.fields is not None:
        return source.fields
    data = parse_text(source.text, source.label)
    if data is None:
        raise LoadError(source.label, "is empty (it holds only comments or blank lines)")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise LoadError(source.label, f"must be a mapping of fields (key: value lines), not {kind}")
    if "model_type" in data:  # a HuggingFace config.json: detected by content, not by name
        from paramcalc.hf import convert

        return convert(data, source.label, source.name)
    return data


def _identity(source: Source) -> str:
    return str(source.path.resolve()) if source.path else source.label


def _parent_source(child: Source, parent: str) -> Source:
    """`extends:` names a file (relative to the file that says it) or a preset."""
    base = child.path.parent if child.path else Path.cwd()
    candidate = base / parent
    if candidate.exists():
        return read_source(str(candidate))
    preset = preset_path(parent)
    if preset is not None:
        return _preset_source(parent, preset)
    raise LoadError(
        child.label,
        f"extends: '{parent}' is neither a file (next to {child.label}) nor a preset{_suggest_preset(parent)}",
    )


def _resolve_extends(data: dict[str, Any], source: Source, chain: tuple[str, ...]) -> dict[str, Any]:
    """Merge the parent chain: the parent's fields first, this file's on top.

    `name` and `source` describe one file and are not inherited; a cycle is an error naming
    the chain; a missing parent names the file that asked for it.
    """
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise LoadError(source.label, f"extends: must be a preset name or a path, not {show(parent)}")
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise LoadError(source.label, f"extends: more than {MAX_EXTENDS_DEPTH} levels deep")
    parent_source = _parent_source(source, parent)
    identity = _identity(parent_source)
    if identity in chain:
        names = [*chain, identity]
        cycle = " -> ".join(Path(n).name for n in names[names.index(identity) :])
        raise LoadError(source.label, f"extends: cycle {cycle}")
    inherited = _resolve_extends(_mapping(parent_source), parent_source, (*chain, identity))
    merged = {k: v for k, v in inherited.items() if k not in ("name", "source")}
    merged.update(data)
    return merged


def load_mapping(spec: str) -> tuple[dict[str, Any], Source]:
    """The fields of one config, `extends:` resolved."""
    source = read_source(spec)
    data = _mapping(source)
    return _resolve_extends(data, source, (_identity(source),)), source


def split_spec(spec: str) -> tuple[str, list[str]]:
    """'llama-2-70b:kv_heads=8:d_ff=20000' -> ('llama-2-70b', ['kv_heads=8', 'd_ff=20000']).

    A path that exists is never split, so a file name with a colon still works.
    """
    if spec == STDIN or OVERRIDE_SEP not in spec or Path(spec).exists():
        return spec, []
    base, *pairs = spec.split(OVERRIDE_SEP)
    return base, pairs


def parse_overrides(pairs: list[str], label: str) -> dict[str, Any]:
    """'KEY=VALUE' strings to fields; values are read as YAML scalars (8, false, swiglu, 300e9)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise LoadError(label, f"override '{pair}' is not KEY=VALUE (e.g. kv_heads=8)")
        if not text.strip():
            out[key] = None
            continue
        from paramcalc import _yaml

        out[key] = _yaml.load(text, f"{label}: override {key}")
    return out


def load_fields(
    spec: str, overrides: list[str] | tuple[str, ...] = (), head: bool = False
) -> tuple[dict[str, Any], Source, dict[str, Any]]:
    """The fields of a config as typed on the command line, before validation: the file or
    preset (a HuggingFace config converted, `extends:` resolved), then overrides after colons
    (``llama-2-70b:kv_heads=8``), then `overrides` (``--set``), then the masked-LM head if
    `head`. Returns (fields, source, the overridden fields)."""
    base, pairs = split_spec(spec)
    data, source = load_mapping(base)
    changes = parse_overrides([*pairs, *overrides], source.label)
    if changes:
        data = {**data, **changes}
        if "name" not in changes:
            shown = ", ".join(f"{k}={_show(v)}" for k, v in changes.items())
            data["name"] = f"{data.get('name', source.name)} [{shown}]"
    if head:
        if data.get("architecture") != "encoder":
            raise UsageError(
                f"{source.label}: --head: only encoders (BERT, RoBERTa, DistilBERT) have a "
                "masked-LM head; decoders already count their output head"
            )
        data = {**data, "mlm_head": True, "pooler": False, "name": f"{data.get('name', source.name)} (masked LM)"}
    return data, source, changes


def load(spec: str, overrides: list[str] | tuple[str, ...] = (), head: bool = False) -> Config:
    """Read, parse and validate one config named as on the command line (see load_fields)."""
    data, source, changes = load_fields(spec, overrides, head)
    try:
        return parse_config(data, source.label, source.name)
    except ConfigError as exc:
        raise ConfigError(
            [Problem(p.source, f"{p.field} (override)", p.message) if p.field in changes else p for p in exc.problems]
        ) from None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
