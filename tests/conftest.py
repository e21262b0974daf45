from __future__ import annotations

import os
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


@pytest.fixture
def run() -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, columns: int = WIDTH) -> Result:
        return runner.invoke(app, list(args), input=input, env={"COLUMNS": str(columns)})

    return invoke
