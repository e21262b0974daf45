"""YAML: the config a command emits (convert's translation, solve's winner), ready to count."""

from __future__ import annotations

from typing import Any, TextIO

NAME = "yaml"
NEEDS = "config_doc"
HONOURS: frozenset[str] = frozenset()


def render(result: Any, out: TextIO) -> None:
    from paramcalc import _yaml

    comments, fields = result.config_doc()
    out.write("".join(f"# {line}\n" for line in comments) + _yaml.dump(fields))
