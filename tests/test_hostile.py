"""Hostile and broken files: each ends in exit 1, one clear line on stderr, nothing on stdout,
and nothing but reading."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run

BOMB = (
    "a: &a ["
    + ",".join(['"lol"'] * 9)
    + "]\n"
    + "".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi"))
)


def fails(run: Run, target: str, message: str) -> None:
    result = run("count", target, "--json")
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_directory(run: Run, tmp_path: Path) -> None:
    fails(run, str(tmp_path), "is a directory without a config.json")


def test_missing(run: Run, tmp_path: Path) -> None:
    fails(run, str(tmp_path / "nope.yaml"), "no such file, and no preset of that name")


def test_no_read_permission(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("layers: 1\n")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read fail as it would for a user
        real_open = Path.open

        def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", deny)
    fails(run, str(path), "cannot be read: permission denied")


def test_empty(run: Run, tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text("")
    fails(run, str(tmp_path / "e.yaml"), "is empty")


def test_binary(run: Run, tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_bytes(bytes(range(256)) * 4)
    fails(run, str(tmp_path / "b.yaml"), "is binary")


def test_not_utf8(run: Run, tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("name: Modèle\nlayers: 2\n".encode("latin-1"))
    fails(run, str(tmp_path / "latin1.yaml"), "is not UTF-8 text")


def test_100_mb_refused_before_parsing(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: 100 MB that take no disk
        handle.truncate(100 * 1024 * 1024)
    fails(run, str(path), "is 104,857,600 bytes; a config is at most 4,194,304 bytes")


def test_billion_laughs(run: Run, tmp_path: Path) -> None:
    # Refused from the composed nodes, before anything is expanded (benchmarks/startup.py times it).
    (tmp_path / "bomb.yaml").write_text(BOMB)
    fails(run, str(tmp_path / "bomb.yaml"), "YAML aliases expand to more than 100,000 values")


def test_recursive_alias(run: Run, tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").write_text("layers: &a [1, *a]\n")
    fails(run, str(tmp_path / "loop.yaml"), "refer to themselves")


def test_deep_nesting(run: Run, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    fails(run, str(tmp_path / "deep.json"), "nests brackets more than 100 deep")


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch pwned']",
        "!!python/name:os.system",
        "layers: !!python/object/new:type [x, [], {}]",
    ],
)
def test_python_tags_refused(run: Run, tmp_path: Path, tag: str) -> None:
    (tmp_path / "tag.yaml").write_text(tag + "\n")
    fails(run, str(tmp_path / "tag.yaml"), "could not determine a constructor")
    assert not (tmp_path / "pwned").exists()


def test_duplicate_keys(run: Run, tmp_path: Path) -> None:
    (tmp_path / "dup.yaml").write_text("layers: 2\nd_model: 8\nlayers: 3\n")
    fails(run, str(tmp_path / "dup.yaml"), "duplicate key 'layers'")


def test_config_json_array(run: Run, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps([{"model_type": "llama"}]))
    fails(run, str(tmp_path / "config.json"), "must be a mapping of fields (key: value lines), not a list")


def test_huge_but_valid_values_are_exact_and_fast(run: Run) -> None:
    # No loop grows with a config value (benchmarks/startup.py times this call).
    result = run(
        "count",
        "mixtral-8x7b",
        "--json",
        "--set",
        "layers=1000000",
        "--set",
        "d_model=1000000",
        "--set",
        "heads=1000",
        "--set",
        "kv_heads=100",
        "--set",
        "vocab=1000000000",
        "--set",
        "experts=10000",
        "--set",
        "d_ff=4000000",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    d, layers, vocab, ff, experts = 10**6, 10**6, 10**9, 4 * 10**6, 10**4
    attention = layers * (2 * d * d + 2 * d * (100 * 1000))
    moe = layers * (experts * 3 * d * ff + d * experts)
    norms = (2 * layers + 1) * d
    assert data["params"]["total"] == 2 * vocab * d + attention + moe + norms


def test_mlp_deeper_than_the_limit(run: Run, tmp_path: Path) -> None:
    # 10,001 widths (10,000 layers) are counted; more are refused before any work is done
    path = tmp_path / "deep.yaml"
    path.write_text("architecture: mlp\nlayer_sizes: [" + ", ".join(["2"] * 10_002) + "]\n")
    fails(run, str(path), "layer_sizes: has 10,002 widths; paramcalc counts at most 10,001 (10,000 layers)")
    path.write_text("architecture: mlp\nlayer_sizes: [2, 10000000000000]\n")
    fails(run, str(path), "layer_sizes: widths must be at most 1,000,000,000,000")


def test_100_mb_message_names_the_file_once(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    result = run("count", str(path), "--json")
    assert result.stderr == f"paramcalc: {path}: is 104,857,600 bytes; a config is at most 4,194,304 bytes\n"


@pytest.mark.parametrize("command", [["count"], ["compare", "gpt2"], ["convert"], ["train"], ["infer"]])
def test_name_too_long_every_command(run: Run, command: list[str]) -> None:
    result = run(*command, "a" * 300)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "paramcalc: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... (300 bytes): "
        "name is longer than the 255 bytes a file name can have\n"
    )


def test_extends_too_long(run: Run, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("extends: " + "b" * 300 + "\n")
    fails(run, str(tmp_path / "c.yaml"), "extends: name is longer than the 255 bytes a file name can have")


def test_named_pipe(run: Run, tmp_path: Path) -> None:
    import threading

    path = tmp_path / "f.yaml"
    os.mkfifo(path)

    def unblock() -> None:  # the defect waited for a writer for ever: be one, so the test ends
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    timer = threading.Timer(3.0, unblock)
    timer.daemon = True
    timer.start()
    fails(run, str(path), "is a named pipe (FIFO), not a regular file; to read a pipe, give - (stdin)")
    timer.cancel()


def test_dev_zero(run: Run) -> None:
    fails(run, "/dev/zero", "/dev/zero: is a character device, not a regular file")


def test_integer_of_5000_digits(run: Run, tmp_path: Path) -> None:
    (tmp_path / "n.yaml").write_text("layers: " + "7" * 5000 + "\n")
    fails(run, str(tmp_path / "n.yaml"), "a number has more than 4,300 digits")


def test_plain_50000_keys_is_not_an_alias_bomb(run: Run, tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text("".join(f"key{i}: {i}\n" for i in range(50_000)))
    fails(run, str(tmp_path / "k.yaml"), "50,000 keys are not paramcalc fields ('key0', 'key1',")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hf:meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B: is not in the HuggingFace cache"),
        ("https://example.com/config.json", "https://example.com/config.json: URLs are not fetched"),
        ("meta-llama/Llama-3.1-8B", "unset HF_HUB_OFFLINE (did you mean 'llama-3.1-8b'?)"),
    ],
)
def test_remote_names_say_what_is_accepted(run: Run, spec: str, message: str) -> None:
    fails(run, spec, message)


def test_display_name_reads_back(run: Run) -> None:
    printed = json.loads(run("count", "llama-2-7b", "--json").stdout)
    assert printed["name"] == "Llama-2-7B"
    assert json.loads(run("count", printed["name"], "--json").stdout) == printed
    assert run("count", "GPT3", "--json").exit_code == 0


def test_set_extends_is_applied(run: Run, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("extends: gpt2\nlayers: 2\n")
    wide = json.loads(run("count", str(tmp_path / "c.yaml"), "--set", "extends=gpt3", "--json").stdout)
    narrow = json.loads(run("count", str(tmp_path / "c.yaml"), "--json").stdout)
    assert wide["params"]["total"] > narrow["params"]["total"]
