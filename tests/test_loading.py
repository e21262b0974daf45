from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from paramcalc.errors import LoadError
from paramcalc.loading import MAX_BYTES, load
from paramcalc.presets import INDEX, build_index, preset_names, presets_dir

REQUIRED_PRESETS = {
    "gpt3-small",
    "gpt3-medium",
    "gpt3-large",
    "gpt3-xl",
    "gpt3-2.7b",
    "gpt3-6.7b",
    "gpt3-13b",
    "gpt3-175b",
    "gpt3",
    "gpt2",
    "gpt2-medium",
    "gpt2-large",
    "gpt2-xl",
    "bert-base",
    "bert-large",
    "t5-small",
    "t5-base",
    "pythia-160m",
    "pythia-1.4b",
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "mistral-7b",
    "mixtral-8x7b",
    "chinchilla-70b",
    "mlp-2-2-1",
    "mlp-2-3-1",
    # the modern models of the config.json issue
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "qwen2.5-7b",
    "qwen3-30b-a3b",
    "gemma-2-9b",
    "phi-3-mini",
    "deepseek-v3",
    "mixtral-8x22b",
    "falcon-40b",
    "bloom",
    "opt-66b",
}


def test_presets_present_and_cited() -> None:
    assert REQUIRED_PRESETS <= set(preset_names())
    for name in preset_names():
        assert load(name).source, f"{name} has no source"


def test_presets_ship_inside_the_package() -> None:
    # Installed (non-editable) the presets live in paramcalc/configs; from a checkout, ./configs.
    assert presets_dir().is_dir()


@pytest.mark.parametrize("spec", ["gpt3", "gpt3.yaml", "llama-2-7b", "llama-2-7b.yml"])
def test_preset_spellings(spec: str) -> None:
    assert load(spec).layers in (96, 32)


def test_file_beats_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("gpt3.yaml").write_text("layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    config = load("gpt3.yaml")
    assert (config.layers, config.name) == (1, "gpt3")


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    text = b"layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    assert load("-").d_model == 8


def write(tmp_path: Path, data: bytes | str, name: str = "c.yaml") -> str:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("", "is empty"),
        ("   \n# only a comment\n", "is empty"),
        ("- 1\n- 2\n", "must be a mapping of fields (key: value lines), not a list"),
        ("just text", "must be a mapping of fields (key: value lines), not a str"),
        ("a: [1\n", "invalid YAML at line 2, column 1"),
        ("layers: 1\nlayers: 2\n", "duplicate key 'layers'"),
        ("!!python/object/apply:os.system ['echo hi']\n", "could not determine a constructor"),
        (b"\xff\xfe\x00bin", "is binary"),
        (b"layers: \xe9\n", "is not UTF-8 text"),
        ('{"layers": 1, "layers": 2}', "layers: duplicate key"),
    ],
)
def test_bad_files(tmp_path: Path, data: bytes | str, reason: str) -> None:
    with pytest.raises(LoadError) as info:
        load(write(tmp_path, data))
    assert reason in str(info.value)


def test_missing_file_suggests_preset() -> None:
    with pytest.raises(LoadError) as info:
        load("gpt-3.yaml")
    assert "no such file, and no preset of that name (did you mean 'gpt3'?)" in str(info.value)


def test_too_big_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(LoadError, match="a config is at most"):
        load(str(path))


def test_directory_with_and_without_config_json(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="is a directory without a config.json"):
        load(str(tmp_path))


def test_preset_index_is_fresh() -> None:
    # configs/index.json holds the presets already parsed (so `count PRESET --json` needs no
    # YAML parser). A stale entry falls back to the YAML, so this is about speed, not numbers.
    import json

    stored = json.loads((presets_dir() / INDEX).read_text())
    assert stored == build_index(), "configs/index.json is stale: run python -m paramcalc.presets"


def test_stale_index_entry_falls_back_to_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import paramcalc.presets as presets

    (tmp_path / "tiny.yaml").write_text("layers: 2\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    (tmp_path / INDEX).write_text(json.dumps({"tiny.yaml": {"crc32": 1, "fields": {"layers": 99}}}))
    monkeypatch.setattr(presets, "presets_dir", lambda: tmp_path)
    monkeypatch.setattr(presets, "_index", None)
    assert load("tiny").layers == 2
