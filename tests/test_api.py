"""The Python API: one function per command, whose result's to_dict() is the command's --json
(issue 11 item 15), and the README's examples run as doctests."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path
from typing import Any

import pytest

import paramcalc
from tests.conftest import Run

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
FIXTURE = str(Path(__file__).resolve().parent / "fixtures" / "hf" / "meta-llama__Llama-3.1-8B.json")


def test_public_names_are_listed_and_visible() -> None:
    for name in ("count", "compare", "convert", "train", "infer", "solve", "sweep", "presets", "gpus", "schema"):
        assert name in paramcalc.__all__ and name in dir(paramcalc), name
        assert callable(getattr(paramcalc, name)) and getattr(paramcalc, name).__doc__, name


def test_readme_python_examples() -> None:
    block = re.search(r"## Python API\n.*?```python\n(.*?)```", README, re.S)
    assert block is not None
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.group(1), {}, "README Python API", "README.md", 0)
    assert len(test.examples) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], list[str]]] = [
    ("count", ("gpt2",), {}, ["count", "gpt2"]),
    (
        "count",
        ("llama-2-7b",),
        {"explain": True, "tokens": "2T"},
        ["count", "llama-2-7b", "--explain", "--tokens", "2T"],
    ),
    (
        "compare",
        (["gpt2", "gpt2-medium:layers=12"],),
        {"baseline": "2"},
        ["compare", "gpt2", "gpt2-medium:layers=12", "-b", "2"],
    ),
    ("convert", (FIXTURE,), {}, ["convert", FIXTURE]),
    (
        "train",
        ("llama-2-7b",),
        {"gpus": 8, "zero": 3, "tp": 2},
        ["train", "llama-2-7b", "--gpus", "8", "--zero", "3", "--tp", "2"],
    ),
    (
        "infer",
        ("mixtral-8x7b",),
        {"batch": 4, "dtype": "int4"},
        ["infer", "mixtral-8x7b", "--batch", "4", "--dtype", "int4"],
    ),
    ("solve", (), {"params": "7B", "base": "llama-2-7b"}, ["solve", "--params", "7B", "--base", "llama-2-7b"]),
    ("sweep", ("gpt2", ["layers=1..3"]), {}, ["sweep", "gpt2", "--vary", "layers=1..3"]),
    ("presets", (), {}, ["presets"]),
    ("gpus", (), {}, ["gpus"]),
    ("schema", (), {}, ["schema"]),
]


@pytest.mark.parametrize(("function", "args", "kwargs", "argv"), CASES, ids=[c[0] for c in CASES])
def test_to_dict_is_the_commands_json(
    run: Run, function: str, args: tuple[Any, ...], kwargs: dict[str, Any], argv: list[str]
) -> None:
    result = run(*argv, "--json")
    assert result.exit_code == 0, result.stderr
    value = getattr(paramcalc, function)(*args, **kwargs)
    assert json.loads(json.dumps(value.to_dict())) == json.loads(result.stdout)


def test_api_errors_name_arguments_not_flags() -> None:
    with pytest.raises(paramcalc.SettingError) as info:
        paramcalc.train("gpt2", zero="7")
    assert info.value.problems[0][0] == "zero"
    with pytest.raises(paramcalc.ConfigError):
        paramcalc.count({"layers": 0, "d_model": 8, "heads": 2, "vocab": 10, "context": 4})


def test_config_forms_agree() -> None:
    config = paramcalc.load("llama-2-7b")
    assert (
        paramcalc.count(config).total == paramcalc.count("llama-2-7b").total == paramcalc.count(config.to_dict()).total
    )
