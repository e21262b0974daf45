from __future__ import annotations

from paramcalc.cli import command
from paramcalc.results.lists import SchemaResult


@command(SchemaResult, default="json")
def schema() -> SchemaResult:
    """Print a JSON Schema (draft 2020-12) of the YAML config: every field with its description,
    type, bounds and default. Point an editor at it for autocompletion (see the README)."""
    from paramcalc import api

    return api.schema()
