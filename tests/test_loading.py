from __future__ import annotations

import io
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from paramcalc import loading
from paramcalc.catalog import INDEX, build_index, preset_names, presets_dir
from paramcalc.errors import ConfigError, LoadError
from paramcalc.loading import MAX_BYTES, load, open_config, split_spec

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
    assert stored == build_index(), "configs/index.json is stale: run python -m paramcalc.catalog"


def test_stale_index_entry_falls_back_to_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import paramcalc.catalog as presets

    (tmp_path / "tiny.yaml").write_text("layers: 2\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    (tmp_path / INDEX).write_text(json.dumps({"tiny.yaml": {"crc32": 1, "fields": {"layers": 99}}}))
    monkeypatch.setattr(presets, "presets_dir", lambda: tmp_path)
    monkeypatch.setattr(presets, "_index", None)
    assert load("tiny").layers == 2


# --- names people type (issue 11, item 9) ---------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "stem"),
    [
        ("Llama-2-7B", "llama-2-7b"),
        ("GPT3", "gpt3"),
        ("GPT-3", "gpt3"),
        ("GPT-2 Large", "gpt2-large"),
        ("GPT3.YAML", "gpt3"),
    ],
)
def test_preset_names_are_case_insensitive_and_match_display_names(spec: str, stem: str) -> None:
    # The display name is what paramcalc prints (`name:` of the preset): it must read back.
    assert load(spec) == load(stem)


@pytest.mark.parametrize(
    ("spec", "preset"),
    [
        ("meta-llama/Llama-3.1-8B", "llama-3.1-8b"),
        ("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b"),
        ("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3-8b"),
        ("mistralai/Mistral-7B-v0.1", "mistral-7b"),
    ],
)
def test_repo_id_suggests_its_preset_and_says_what_is_accepted(spec: str, preset: str) -> None:
    with pytest.raises(LoadError) as info:
        load(spec)
    message = str(info.value)
    assert f"(did you mean '{preset}'?)" in message
    assert "a HuggingFace repo id names weights, not a config" in message  # the loader of configs
    assert "a path" in message and "a preset name" in message and "- (stdin)" in message


@pytest.mark.parametrize(
    "spec", ["hf:meta-llama/Llama-3.1-8B", "hf:gpt2:layers=2", "https://huggingface.co/gpt2/raw/main/config.json"]
)
def test_hf_prefix_and_urls_are_recognised_not_split(spec: str) -> None:
    with pytest.raises(LoadError) as info:
        load(spec)
    assert info.value.source == spec  # not "hf" or "https": the spec was not split at its colon
    assert "no such file" not in info.value.reason
    assert "a preset name ('paramcalc presets'), or - (stdin)" in info.value.reason


def test_path_with_a_colon_takes_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("we:ird.yaml").write_text("layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    assert split_spec("we:ird.yaml:layers=2:heads=4") == ("we:ird.yaml", ["layers=2", "heads=4"])
    assert split_spec("we:ird.yaml") == ("we:ird.yaml", [])
    assert split_spec("gpt2:layers=2") == ("gpt2", ["layers=2"])
    config = load("we:ird.yaml:layers=2")
    assert (config.layers, config.d_model) == (2, 8)


def test_difflib_is_not_used_by_loading() -> None:
    # one "did you mean" for the whole project: paramcalc.errors.suggest
    assert "difflib" not in Path(loading.__file__).read_text()


# --- hostile input, loading side (issue 11, item 16) ----------------------------------------


@pytest.mark.parametrize("spec", ["a" * 300, "a" * 300 + ":layers=2", "a" * 300 + ".yaml", "d/" * 3000 + "x"])
def test_names_too_long_for_a_file_system(spec: str) -> None:
    with pytest.raises(LoadError) as info:
        load(spec)
    assert "longer than" in info.value.reason
    assert len(str(info.value)) < 200  # the name is shortened in the message


def test_extends_too_long(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: " + "p" * 300 + "\nlayers: 2\n", "child.yaml")
    with pytest.raises(LoadError) as info:
        load(path)
    assert info.value.source == path
    assert info.value.reason == "extends: name is longer than the 255 bytes a file name can have"


def _unblock_later(path: Path) -> threading.Timer:
    """Were the FIFO opened for reading (the defect), a writer that closes at once ends the read."""

    def unblock() -> None:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    timer = threading.Timer(3.0, unblock)
    timer.daemon = True
    timer.start()
    return timer


def test_named_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    os.mkfifo(path)
    timer = _unblock_later(path)
    with pytest.raises(LoadError) as info:
        load(str(path))
    timer.cancel()
    assert info.value.reason == "is a named pipe (FIFO), not a regular file; to read a pipe, give - (stdin)"


def test_extends_a_named_pipe(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.yaml")
    timer = _unblock_later(tmp_path / "p.yaml")
    with pytest.raises(LoadError, match="named pipe"):
        load(write(tmp_path, "extends: p.yaml\n"))
    timer.cancel()


def test_device_is_refused() -> None:
    with pytest.raises(LoadError) as info:
        load("/dev/zero")
    assert info.value.reason == "is a character device, not a regular file"


def test_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(LoadError) as info:
            load(str(path))
    assert info.value.reason == "is a socket, not a regular file"


@pytest.mark.parametrize(
    ("name", "text"), [("int.yaml", "layers: " + "9" * 5000 + "\n"), ("int.json", '{"layers": ' + "9" * 5000 + "}")]
)
def test_integer_past_pythons_digit_limit(tmp_path: Path, name: str, text: str) -> None:
    with pytest.raises(LoadError) as info:
        load(write(tmp_path, text, name))
    assert info.value.reason == "a number has more than 4,300 digits; no config needs one that long"


def test_override_past_pythons_digit_limit() -> None:
    with pytest.raises(LoadError, match="more than 4,300 digits"):
        load("gpt2", ["layers=" + "9" * 5000])


def test_large_plain_yaml_is_not_an_alias_bomb(tmp_path: Path) -> None:
    # 50,000 keys, no aliases: under the 4 MiB cap, so it is read, and its keys are not fields:
    # one bounded line, at once (not 50,000 lines with a "did you mean" search each)
    path = write(tmp_path, "".join(f"k{i}: 1\n" for i in range(50_000)))
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load(path)
    assert time.perf_counter() - started < 5
    assert info.value.lines() == [
        f"{path}: 50,000 keys are not paramcalc fields ('k0', 'k1', 'k2', 'k3', 'k4' and 49,995 more); "
        "is this a paramcalc config? The README's 'Config fields' lists them"
    ]


def test_plain_yaml_of_many_values_is_read(tmp_path: Path) -> None:
    # 120,000 list values and no alias: more values than an alias bomb may add, and still fine
    path = write(tmp_path, "architecture: mlp\nlayer_sizes: [2, 1]\nsource: x\nname: [" + "1, " * 120_000 + "1]\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert "alias" not in str(info.value)
    assert "name:" in str(info.value)


def test_a_few_unknown_keys_still_get_suggestions(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'kv_heads'"):
        load(write(tmp_path, "layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\nkv_head: 1\n"))


# --- extends among the overrides -----------------------------------------------------------


def test_set_extends_resolves_the_new_parent(tmp_path: Path) -> None:
    child = write(tmp_path, "extends: gpt2\nlayers: 2\n", "child.yaml")
    assert (load(child).d_model, load(child).layers) == (768, 2)
    config = load(child, ["extends=gpt3"])  # the new parent, then the file's own fields
    assert (config.d_model, config.layers, config.heads) == (12288, 2, 96)
    config = load(child, ["extends=gpt3", "heads=64"])  # the other overrides on top
    assert (config.d_model, config.layers, config.heads) == (12288, 2, 64)
    assert load(child + ":extends=gpt3").d_model == 12288  # the colon form too


def test_set_extends_on_a_preset_and_a_path_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("gqa.yaml").write_text("kv_heads: 4\nd_model: 1536\nlayers: 3\n")
    config = load("gpt2", ["d_model=768", "extends=gqa.yaml"])
    # the new parent's fields under gpt2's own, the other overrides on top
    assert (config.kv_heads, config.d_model, config.heads, config.layers) == (4, 768, 12, 12)


def test_set_extends_errors_name_the_override(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load("gpt2", ["extends=nope-nope"])
    assert info.value.reason.startswith("extends: 'nope-nope' is neither a file (in the current folder) nor a preset")
    child = write(tmp_path, "extends: gpt2\n", "loop.yaml")
    with pytest.raises(LoadError, match="extends: cycle"):
        load(child, [f"extends={child}"])


def test_loaded_fields_per_sweep_row(tmp_path: Path) -> None:
    # what `sweep --vary extends=gpt2,gpt3` calls per row: the chain follows the row's parent
    loaded = open_config(write(tmp_path, "extends: gpt2\nlayers: 2\n", "child.yaml"))
    assert loaded.fields()["d_model"] == 768
    assert loaded.fields({"extends": "gpt3"})["d_model"] == 12288
    assert loaded.fields({"extends": "gpt3", "layers": 5})["layers"] == 5
    assert loaded.fields({"layers": 7}) == {**loaded.fields(), "layers": 7}
    assert "d_model" not in loaded.fields({"extends": None})  # no parent at all


# --- smaller (issue 11, item 17) --------------------------------------------------------------


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def test_stdin_on_a_terminal_says_it_is_reading(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = b"layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n"
    monkeypatch.setattr(sys, "stdin", _Terminal(io.BytesIO(text)))
    assert load("-").d_model == 8
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "paramcalc: reading a config from stdin (end it with Ctrl-D)\n"


def test_stdin_from_a_pipe_is_quiet(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(b"layers: 1\nd_model: 8\nheads: 2\nvocab: 9\ncontext: 4\n"))
    )
    load("-")
    assert capsys.readouterr().err == ""


def test_too_big_names_the_file_once(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    with pytest.raises(LoadError) as info:
        load(str(path))
    assert str(info.value) == f"{path}: is 104,857,600 bytes; a config is at most 4,194,304 bytes"
