"""From what a user typed (a path, a preset name, ``-``) to a validated Config.

YAML is parsed with a *safe* loader only (PyYAML's C SafeLoader where available): tags that
construct objects are refused, and duplicate keys are an error instead of silently keeping the
last one. Files larger than :data:`MAX_BYTES` are refused before parsing.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from paramcalc.catalog import closest_preset, indexed_fields, preset_path
from paramcalc.config import Config, parse_config
from paramcalc.errors import ConfigError, LoadError, Problem, UsageError, show

_BRACKETS = r"[\[\]{}]"  # patterns compiled by re on first use, not at import
MAX_BYTES = 4 * 1024 * 1024  # real configs are a few kB; refuse anything silly before parsing
MAX_NAME_BYTES = 255  # NAME_MAX of Linux, macOS and Windows file systems
STDIN = "-"
OTHERS = "a preset name ('paramcalc presets'), or - (stdin)"
ACCEPTED = f"a path (a YAML file, a config.json or a folder holding one), {OTHERS}"
_URL = r"^[A-Za-z][A-Za-z0-9+.-]*://"
_REPO_ID = r"^[A-Za-z0-9][\w.-]*/[\w.-]+$"


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


def _stat(path: str | Path, label: str) -> os.stat_result | None:
    """os.stat, or None when nothing is there. A name no file system can hold, or a path that
    cannot be looked at, is a LoadError naming `label` (Path.exists() raises on these)."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        raise LoadError(label, "cannot be read: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            if any(len(os.fsencode(part)) > MAX_NAME_BYTES for part in Path(path).parts):
                raise LoadError(
                    _short(label), f"name is longer than the {MAX_NAME_BYTES} bytes a file name can have"
                ) from None
            raise LoadError(_short(label), "path is longer than the system allows") from None
        raise LoadError(label, f"cannot be read: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte, or a lone surrogate that has no bytes
        raise LoadError(label, "is not a valid file name (it holds a NUL byte or invalid text)") from None


def _exists(path: str | Path) -> bool:
    """Path.exists() that never raises (for choosing where to split a spec)."""
    try:
        return _stat(path, "") is not None
    except LoadError:
        return False


def _short(label: str) -> str:
    """A label of a sensible length for a message about a name that is far too long."""
    if len(label) <= 80:
        return label
    return f"{label[:40]}... ({len(os.fsencode(label)):,} bytes)"


def _kind(mode: int) -> str:
    """What a path that is not a regular file is, for the message that refuses it."""
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe (FIFO), not a regular file; to read a pipe, give - (stdin)"),
        (stat.S_ISCHR, "a character device, not a regular file"),
        (stat.S_ISBLK, "a block device, not a regular file"),
        (stat.S_ISSOCK, "a socket, not a regular file"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def read_source(spec: str) -> Source:
    """Find and read the text of a config: ``-`` (stdin), a file, a directory, or a preset."""
    if spec == STDIN:
        if sys.stdin.isatty():
            print("paramcalc: reading a config from stdin (end it with Ctrl-D)", file=sys.stderr)
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        return Source("<stdin>", "stdin", _decode(data, "<stdin>"))
    remote = _remote(spec)
    if remote is not None:
        raise LoadError(spec, remote)
    info = _stat(spec, spec)
    path = Path(spec)
    if path.name == "model_index.json" and info is not None and stat.S_ISREG(info.st_mode):
        path, info = path.parent, _stat(path.parent, spec)  # a diffusers pipeline: its folder is read
    if info is not None and stat.S_ISDIR(info.st_mode):
        inner = path / "config.json"
        if not _exists(inner) and _exists(path / "model_index.json"):  # a diffusers pipeline folder
            from paramcalc.diffusers.pipeline import pipeline

            return Source(spec, path.resolve().name, "", path, pipeline(path, str(path)))
        if not _exists(inner):
            raise LoadError(spec, "is a directory without a config.json (or a diffusers model_index.json)")
        path = inner
    elif info is None:
        preset = preset_path(spec)
        if preset is None:
            raise LoadError(spec, _not_found(spec))
        return _preset_source(spec, preset)
    return Source(
        spec, path.stem if path.name != "config.json" else path.parent.name or "config", _read(path, spec), path
    )


def _remote(spec: str) -> str | None:
    """Why `hf:org/name` or a URL is not read (yet), and what is; None for anything else."""
    if spec.lower().startswith("hf:"):
        repo = spec[3:].split(OVERRIDE_SEP, 1)[0]
        return f"a HuggingFace repo id names weights, not a config{closest_preset(repo)}; give {ACCEPTED}"
    if "://" in spec and re.match(_URL, spec):
        parts = spec.split("://", 1)[1].split("/")
        hint = closest_preset("/".join(parts[1:3])) if "huggingface.co" in parts[0].lower() else ""
        return f"URLs are not fetched{hint}; download the config.json and give its path, or {OTHERS}"
    return None


def _not_found(spec: str) -> str:
    reason = f"no such file, and no preset of that name{closest_preset(spec)}"
    if re.match(_REPO_ID, spec) and not spec.lower().endswith((".yaml", ".yml", ".json")):
        return f"{reason}; a HuggingFace repo id names weights, not a config: give {ACCEPTED}"
    return f"{reason}; 'paramcalc presets' lists the presets"


def _read(path: Path, label: str) -> str:
    return _decode(_read_bytes(path, label), label)


def _read_bytes(path: Path, label: str) -> bytes:
    """The bytes of a regular file, refused from its size or kind before it is opened (opening
    a named pipe would wait for a writer; /dev/zero never ends)."""
    info = _stat(path, label)
    if info is None:
        raise LoadError(label, "no such file")
    if stat.S_ISDIR(info.st_mode):
        raise LoadError(label, "is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(label, f"is {_kind(info.st_mode)}")
    if info.st_size > MAX_BYTES:
        raise LoadError(label, f"is {info.st_size:,} bytes; a config is at most {MAX_BYTES:,} bytes")
    try:
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
    for match in re.finditer(_BRACKETS, text):
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
        except ValueError:  # Python's limit on the digits of an int read from text
            raise LoadError(label, too_many_digits()) from None
    from paramcalc import _yaml

    return _yaml.load(text, label)


def too_many_digits() -> str:
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    return f"a number has more than {limit:,} digits; no config needs one that long"


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
MAX_UNKNOWN = 10  # more unknown keys than this: one summary line, not a line (and a suggestion) each
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
    if "_class_name" in data:  # a diffusers config.json (model_type is transformers'): by content too
        from paramcalc.diffusers import convert as convert_diffusers

        return convert_diffusers(data, source.label, source.name)
    _check_unknown(data, source.label)
    return data


def _check_unknown(data: Mapping[Any, Any], label: str) -> None:
    """A mapping with many keys that are not fields (a large file of something else) gets one
    bounded line, at once, instead of a line and a "did you mean" search per key."""
    from paramcalc.config import looks_like_hf

    if len(data) <= MAX_UNKNOWN or looks_like_hf(data):
        return  # a few keys, or a config.json without model_type: parse_config names the root cause
    from paramcalc.fields import FIELDS

    unknown = [key for key in data if not isinstance(key, str) or key not in FIELDS]
    if len(unknown) > MAX_UNKNOWN:
        first = ", ".join(show(key) for key in unknown[:5])
        raise ConfigError(
            [
                Problem(
                    label,
                    None,
                    f"{len(unknown):,} keys are not paramcalc fields ({first} and {len(unknown) - 5:,} more); "
                    "is this a paramcalc config? The README's 'Config fields' lists them",
                )
            ]
        )


def _identity(source: Source) -> str:
    return str(source.path.resolve()) if source.path else source.label


def _parent_source(where: str, base: Path, parent: str) -> Source:
    """`extends:` names a file (relative to `base`: the folder of the file that says it) or a preset."""
    candidate = base / parent
    try:
        found = _stat(candidate, parent)
    except LoadError as exc:
        raise LoadError(where, f"extends: {exc.reason}") from None
    if found is not None:
        return read_source(str(candidate))
    preset = preset_path(parent)
    if preset is not None:
        return _preset_source(parent, preset)
    raise LoadError(
        where,
        f"extends: '{parent}' is neither a file ({_place(base)}) nor a preset{closest_preset(parent)}; "
        "'paramcalc presets' lists the presets",
    )


def _place(base: Path) -> str:
    return "in the current folder" if base == Path.cwd() else f"in {base}"


def _resolve_extends(
    data: dict[str, Any], source: Source, chain: tuple[str, ...], base: Path | None = None
) -> dict[str, Any]:
    """Merge the parent chain: the parent's fields first, this file's on top.

    `name` and `source` describe one file and are not inherited; a cycle is an error naming
    the chain; a missing parent names the file that asked for it. A relative parent is looked
    for next to `source` (or in `base`, for an `extends` typed on the command line).
    """
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise LoadError(source.label, f"extends: must be a preset name or a path, not {show(parent)}")
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise LoadError(source.label, f"extends: more than {MAX_EXTENDS_DEPTH} levels deep")
    folder = base or (source.path.parent if source.path else Path.cwd())
    parent_source = _parent_source(source.label, folder, parent)
    identity = _identity(parent_source)
    if identity in chain:
        names = [*chain, identity]
        cycle = " -> ".join(Path(n).name for n in names[names.index(identity) :])
        raise LoadError(source.label, f"extends: cycle {cycle}")
    inherited = _resolve_extends(_mapping(parent_source), parent_source, (*chain, identity))
    merged = {k: v for k, v in inherited.items() if k not in ("name", "source")}
    merged.update(data)
    return merged


class Loaded:
    """One config as read, before any change: its own fields (`extends:` not yet resolved) and
    where it came from. :meth:`fields` resolves the parent chain and puts changes on top; a
    change of `extends` starts the chain from the new parent (relative to the current folder),
    with this config's own fields and then the other changes over it. Parent chains are
    resolved once per parent, so calling it per sweep row costs a dict merge."""

    def __init__(self, own: dict[str, Any], source: Source) -> None:
        self.own = own
        self.source = source
        self._chains: dict[tuple[str | None, bool], dict[str, Any]] = {}

    def fields(self, changes: Mapping[str, Any] | None = None) -> dict[str, Any]:
        changes = changes or {}
        data = {**self.own, **changes}
        typed = "extends" in changes  # a parent typed on the command line
        if data.get("extends") is None:
            data.pop("extends", None)  # `--set extends=` (no value): no parent
        parent = data.get("extends")
        if not isinstance(parent, str):
            return _resolve_extends(data, self.source, (_identity(self.source),))
        key = (parent, typed)
        if key not in self._chains:
            stub = {"extends": parent}
            base = Path.cwd() if typed else None
            self._chains[key] = _resolve_extends(stub, self.source, (_identity(self.source),), base)
        merged = {k: v for k, v in self._chains[key].items() if k not in ("name", "source", "extends")}
        merged.update(data)
        return merged


def open_config(spec: str) -> Loaded:
    """Read one config named as on the command line (no colon overrides), ready for changes."""
    source = read_source(spec)
    return Loaded(_mapping(source), source)


def load_mapping(spec: str) -> tuple[dict[str, Any], Source]:
    """The fields of one config, `extends:` resolved."""
    loaded = open_config(spec)
    return loaded.fields(), loaded.source


def split_spec(spec: str) -> tuple[str, list[str]]:
    """'llama-2-70b:kv_heads=8:d_ff=20000' -> ('llama-2-70b', ['kv_heads=8', 'd_ff=20000']).

    A path that exists is never split, and a path with a colon in its name still takes
    overrides: the spec is split after the longest prefix that is an existing path
    (`we:ird.yaml:layers=2` is the file `we:ird.yaml` and one override). `hf:...` and URLs are
    not split (read_source says what is accepted instead).
    """
    if spec == STDIN or OVERRIDE_SEP not in spec or _remote(spec) is not None or _exists(spec):
        return spec, []
    colons = [i for i, c in enumerate(spec) if c == OVERRIDE_SEP]
    for i in reversed(colons[1:]):
        if _exists(spec[:i]):
            return spec[:i], spec[i + 1 :].split(OVERRIDE_SEP)
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
    `head`. An `extends` among the overrides replaces the parent (see :class:`Loaded`).
    Returns (fields, source, the overridden fields)."""
    base, pairs = split_spec(spec)
    loaded = open_config(base)
    source = loaded.source
    changes = parse_overrides([*pairs, *overrides], source.label)
    data = loaded.fields(changes)
    if changes:
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


def part_fields(part: object, name: str) -> dict[str, Any]:
    """The fields of one part of a composite config: a mapping (its `extends:` resolved from the
    current folder or the presets; a HuggingFace config converted) or a preset name."""
    if isinstance(part, str):
        preset = preset_path(part)
        if preset is None:
            raise ValueError(f"{name}: '{part}' is not a preset{closest_preset(part)}; give the part's fields")
        part = {"extends": part}
    if not isinstance(part, dict):
        raise ValueError(f"{name}: must be a config (a mapping of fields) or a preset name, not {show(part)}")
    if "model_type" in part:
        from paramcalc.hf import convert

        return convert(part, name, name)
    if "_class_name" in part:
        from paramcalc.diffusers import convert as convert_diffusers

        return convert_diffusers(part, name, name)
    if "extends" not in part:
        return part
    source = Source(name, name, "")
    return _resolve_extends(dict(part), source, (name,), Path.cwd())
