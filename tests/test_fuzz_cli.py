"""No input breaks the CLI: random YAML and mutated presets and config.json files always end in
exit 0 with a valid result, or exit 1/2 with one line per problem on stderr and nothing on stdout.

`count` gets the deepest checks (its JSON's totals add up); every other command that reads a
config (compare, convert, train, infer, solve --base, sweep) gets the same hostile and random
inputs against the contract: exit 0 with output (valid JSON where JSON was asked for), or exit 1/2
with nothing on stdout and `paramcalc: ` lines on stderr, never an internal error. Budgets: the
"ci" hypothesis profile by default, HYPOTHESIS_PROFILE=slow for a deeper search (tests/_profiles.py).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from paramcalc.catalog import preset_names, presets_dir
from paramcalc.cli import app
from paramcalc.fields import FIELDS
from tests._profiles import fuzz_settings

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
# config.json files only: expected.json and the variants_*.json lists (tests/test_families_*.py) are not configs
HF_FILES = sorted(
    p for p in FIXTURES.rglob("*.json") if p.name != "expected.json" and not p.name.startswith("variants_")
)
PRESETS = preset_names()
RUNNER = CliRunner()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["300B", "1e999", "-5", "0", "swiglu", "nan", "[1", "*a", "!!python/name:os"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(sorted(FIELDS)) | st.text(min_size=1, max_size=12)


def check(args: list[str]) -> None:
    result = RUNNER.invoke(app, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        assert result.stderr == ""
        data = json.loads(result.stdout)
        assert sum(c["params"] for c in data["components"]) == data["params"]["total"]
        assert data["params"]["weights"] + data["params"]["biases"] == data["params"]["total"]
        assert data["params"]["active"] <= data["params"]["total"]
        if data["params"]["total"]:
            assert data["memory_bytes"]["int4"] > 0
    else:
        assert result.exit_code in (1, 2), (result.exit_code, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert lines
        if result.exit_code == 1:
            assert all(line.startswith("paramcalc: ") for line in lines), lines


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


FUZZ = fuzz_settings()


@FUZZ
@given(st.dictionaries(keys, junk, max_size=8))
def test_random_mappings(tmp_path: Path, data: dict[str, Any]) -> None:
    check(["count", write(tmp_path, "random.yaml", yaml.safe_dump(data)), "--json"])


@FUZZ
@given(st.text(max_size=200))
def test_random_text(tmp_path: Path, text: str) -> None:
    check(["count", write(tmp_path, "text.yaml", text), "--json"])


def mutate(draw: Any, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "replace", "add", "zero", "negative", "huge", "float", "string"]))
        key = draw(st.sampled_from(sorted(data))) if data else "layers"
        if kind == "delete":
            data.pop(key, None)
        elif kind == "replace":
            data[key] = draw(junk)
        elif kind == "add":
            data[draw(keys)] = draw(junk)
        else:
            data[key] = {"zero": 0, "negative": -3, "huge": 10**40, "float": 2.5, "string": "many"}[kind]
    return data


@FUZZ
@given(st.data(), st.sampled_from(PRESETS))
def test_mutated_presets(tmp_path: Path, data: st.DataObject, preset: str) -> None:
    fields = yaml.safe_load((presets_dir() / f"{preset}.yaml").read_text())
    check(["count", write(tmp_path, "mutated.yaml", yaml.safe_dump(mutate(data.draw, fields))), "--json"])


@FUZZ
@given(st.data(), st.sampled_from(HF_FILES))
def test_mutated_config_json(tmp_path: Path, data: st.DataObject, path: Path) -> None:
    fields = json.loads(path.read_text())
    mutated = mutate(data.draw, fields)
    check(["count", write(tmp_path, "config.json", json.dumps(mutated, default=str)), "--json"])


@pytest.mark.parametrize("preset", PRESETS[:6])
def test_duplicate_key_appended(tmp_path: Path, preset: str) -> None:
    text = (presets_dir() / f"{preset}.yaml").read_text()
    first = next(line for line in text.splitlines() if line and not line.startswith("#"))
    result = RUNNER.invoke(app, ["count", write(tmp_path, "dup.yaml", text + first + "\n"), "--json"])
    assert result.exit_code == 1 and result.stdout == "" and "duplicate key" in result.stderr


@FUZZ
@given(st.sampled_from(PRESETS), st.lists(st.tuples(keys, st.text(max_size=10)), max_size=3))
def test_random_overrides(preset: str, overrides: list[tuple[str, str]]) -> None:
    args = ["count", preset, "--json"]
    for key, value in overrides:
        args += ["--set", f"{key}={value}"]
    check(args)


# --- every command that reads a config ------------------------------------------------------

# (name, the arguments around the config, the output format it was asked for)
COMMANDS: dict[str, tuple[Callable[[str], list[str]], str]] = {
    "count": (lambda c: ["count", c, "--json"], "json"),
    "compare": (lambda c: ["compare", c, "gpt2", "--json"], "json"),
    "convert": (lambda c: ["convert", c, "--format", "json"], "json"),
    "train": (lambda c: ["train", c, "--json"], "json"),
    "infer": (lambda c: ["infer", c, "--json"], "json"),
    "solve": (lambda c: ["solve", "--params", "1B", "--base", c, "--json"], "json"),
    "sweep": (lambda c: ["sweep", c, "--vary", "layers=1,2", "--format", "jsonl"], "jsonl"),
}
# Known defects that these inputs reach, by (command or "*", input): each xfail names its defect.
# None are open: the huge-override OverflowError of issue 11 item 16 is fixed (config.py).
KNOWN: dict[tuple[str, str], str] = {}


def known(command: str, case: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get((command, case)) or KNOWN.get(("*", case))
    return [pytest.mark.xfail(strict=False, reason=reason)] if reason else []


def contract(command: str, config: str) -> None:
    """Exit 0 with output in the format asked for, or exit 1/2 with nothing on stdout and
    `paramcalc: ` lines on stderr; never a traceback or an internal error."""
    build, fmt = COMMANDS[command]
    result = RUNNER.invoke(app, build(config))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr, result.stderr
    if result.exit_code == 0:
        # a sweep whose every row is invalid has no rows (and says so on stderr)
        assert result.stdout.strip() or command == "sweep", "exit 0 without output"
        if fmt == "json":
            json.loads(result.stdout)
        else:
            for line in result.stdout.splitlines():
                json.loads(line)
        return
    assert result.exit_code in (1, 2), (result.exit_code, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines
    if result.exit_code == 1:
        assert all(line.startswith("paramcalc: ") for line in lines), lines


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)

    def unblock() -> None:  # were the FIFO ever opened, a writer that closes at once ends the read
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return
        os.close(fd)

    timer = threading.Timer(3.0, unblock)
    timer.daemon = True
    timer.start()
    return str(path)


HOSTILE: dict[str, Callable[[Path], str]] = {
    "long-name": lambda _: "x" * 300,
    "long-name-with-override": lambda _: "x" * 300 + ":layers=2",
    "long-extends": lambda t: write(t, "ext.yaml", "extends: " + "y" * 300 + "\nlayers: 2\n"),
    "missing-extends": lambda t: write(t, "ext.yaml", "extends: nope-nope\n"),
    "fifo": _fifo,
    "dev-zero": lambda _: "/dev/zero",
    "directory": lambda t: str(t),
    "huge-int": lambda t: write(t, "int.yaml", "layers: " + "9" * 5000 + "\n"),
    "huge-int-json": lambda t: write(t, "int.json", '{"layers": ' + "9" * 5000 + "}"),
    "many-keys": lambda t: write(t, "keys.yaml", "".join(f"k{i}: 1\n" for i in range(20_000))),
    "alias-bomb": lambda t: write(
        t,
        "bomb.yaml",
        "a: &a ["
        + ",".join(["1"] * 9)
        + "]\n"
        + "".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi")),
    ),
    "binary": lambda t: write(t, "bin.yaml", "\x00\x01\x02"),
    "deep": lambda t: write(t, "deep.json", "[" * 5000 + "]" * 5000),
    "hf-prefix": lambda _: "hf:meta-llama/Llama-3.1-8B",
    "url": lambda _: "https://huggingface.co/gpt2/raw/main/config.json",
    "repo-id": lambda _: "meta-llama/Llama-3.1-8B",
    "hf-zero-sizes": lambda t: write(
        t,
        "config.json",
        json.dumps(
            {
                "model_type": "llama",
                "hidden_size": 0,
                "num_attention_heads": 0,
                "num_hidden_layers": 2,
                "vocab_size": 10,
            }
        ),
    ),
    "display-name": lambda _: "Llama-2-7B",
    "upper-case": lambda _: "GPT2",
    "huge-override": lambda _: "gpt2:layers=" + "9" * 400,
    "nan-override": lambda _: "gpt2:d_model=.nan",
}


@pytest.mark.parametrize(
    ("command", "hostile"),
    [pytest.param(c, h, marks=known(c, h), id=f"{c}-{h}") for c in COMMANDS for h in sorted(HOSTILE)],
)
def test_hostile_inputs_every_command(tmp_path: Path, command: str, hostile: str) -> None:
    contract(command, HOSTILE[hostile](tmp_path))


@FUZZ
@given(st.sampled_from(sorted(COMMANDS)), st.dictionaries(keys, junk, max_size=8))
def test_random_mappings_every_command(tmp_path: Path, command: str, data: dict[str, Any]) -> None:
    contract(command, write(tmp_path, "random.yaml", yaml.safe_dump(data)))


@FUZZ
@given(st.sampled_from(sorted(COMMANDS)), st.data(), st.sampled_from(PRESETS))
def test_mutated_presets_every_command(tmp_path: Path, command: str, data: st.DataObject, preset: str) -> None:
    fields = yaml.safe_load((presets_dir() / f"{preset}.yaml").read_text())
    contract(command, write(tmp_path, "mutated.yaml", yaml.safe_dump(mutate(data.draw, fields))))


@FUZZ
@given(st.sampled_from(sorted(COMMANDS)), st.data(), st.sampled_from(HF_FILES))
def test_mutated_config_json_every_command(tmp_path: Path, command: str, data: st.DataObject, path: Path) -> None:
    mutated = mutate(data.draw, json.loads(path.read_text()))
    contract(command, write(tmp_path, "config.json", json.dumps(mutated, default=str)))


@FUZZ
@given(
    st.sampled_from(sorted(COMMANDS)),
    st.sampled_from(PRESETS),
    st.lists(st.tuples(keys, st.text(max_size=10)), max_size=3),
)
def test_random_overrides_every_command(command: str, preset: str, overrides: list[tuple[str, str]]) -> None:
    contract(command, preset + "".join(f":{key}={value}" for key, value in overrides if ":" not in key + value))
