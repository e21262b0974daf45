"""No input breaks the CLI: random YAML and mutated presets and config.json files always end in
exit 0 with a valid result, or exit 1/2 with one line per problem on stderr and nothing on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from paramcalc.cli import app
from paramcalc.fields import FIELDS
from paramcalc.presets import preset_names, presets_dir

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
HF_FILES = sorted(p for p in FIXTURES.rglob("*.json") if p.name != "expected.json")
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


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


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
