from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

import pytest
from typer.testing import CliRunner, Result

from paramcalc.cli import app

# Tables are drawn at a fixed width in tests, whatever the terminal or pytest-xdist's worker
# sets COLUMNS to: 140 is the width paramcalc uses when piped without COLUMNS.
WIDTH = 140


class Run(Protocol):
    """The `run` fixture: invoke the CLI in-process, stdout and stderr kept apart."""

    def __call__(self, *args: str, input: str | None = None, columns: int = WIDTH) -> Result: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="deeper property searches (hypothesis profile 'slow')")
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current output")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--slow"):
        os.environ["HYPOTHESIS_PROFILE"] = "slow"


@pytest.fixture(autouse=True)
def _no_hub(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the real Hub or the user's cache: an empty cache, offline (the Hub's own
    tests start a local server and set HF_ENDPOINT themselves)."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path_factory.mktemp("hf-cache")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture
def run() -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, columns: int = WIDTH) -> Result:
        return runner.invoke(app, list(args), input=input, env={"COLUMNS": str(columns)})

    return invoke


# ---- golden files: tests/golden/<command>-<case>[@<columns>].<format> (and .stderr) --------------

GOLDEN = Path(__file__).resolve().parent / "golden"


class Golden(Protocol):
    """The `golden` fixture: `golden(name, text)` asserts that text is tests/golden/<name> exactly;
    under ``pytest --update-golden`` it writes the file instead (review the change as a diff)."""

    def __call__(self, name: str, actual: str) -> None: ...


@pytest.fixture
def updating(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the golden files and the README's sample output."""
    return bool(request.config.getoption("--update-golden"))


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_bytes() != text.encode():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())


@pytest.fixture
def golden(updating: bool) -> Golden:
    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        optional = name.endswith(".stderr")  # no file: nothing on stderr
        if updating:
            if optional and actual == "":
                path.unlink(missing_ok=True)
            else:
                write_if_changed(path, actual)
            return
        if not path.exists() and not optional:
            pytest.fail(f"{path} is missing: run `pytest --update-golden`, then review the new file")
        expected = path.read_bytes().decode() if path.exists() else ""
        assert actual == expected, f"{name} differs (if the change is wanted: pytest --update-golden, review the diff)"

    return check


def write_config(config: object, tmp_path: Path) -> str:
    """A config (a HuggingFace config.json's mapping) as tmp_path/config.json; its path."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)
