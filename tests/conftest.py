from __future__ import annotations

import pytest
from typer.testing import CliRunner

from paramcalc.cli import app


@pytest.fixture
def run():  # type: ignore[no-untyped-def]
    """Invoke the CLI in-process; stdout and stderr are kept apart."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input)

    return invoke
