"""The README is the user's manual: every command and config field is in it (sqlite-utils' habit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paramcalc.cli import command_names
from paramcalc.config import FIELDS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
COMMANDS = sorted(command_names())


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_readme_section(command: str) -> None:
    assert re.search(rf"^### `paramcalc {command}`", README, re.M), command


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_field_documented(field: str) -> None:
    assert re.search(rf"^\| `{field}` \|", README, re.M), field


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    lines = [line for line in first_block.splitlines() if line.strip()]
    assert lines == ["pip install . && paramcalc count configs/gpt3.yaml", 'pip install ".[test]" && pytest']


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert 'pip install ".[test]" && pytest' in ci


def test_every_yaml_example_that_states_its_count_counts_it() -> None:
    """A README YAML example whose first line says "N parameters" counts exactly N."""
    import yaml

    import paramcalc

    checked = 0
    for block in re.findall(r"```yaml\n(.*?)```", README, re.S):
        for doc in block.split("\n---\n"):
            stated = re.match(r"# .*?([\d,]{4,}) parameters", doc)
            if stated is None:
                continue
            assert paramcalc.count(yaml.safe_load(doc)).total == int(stated.group(1).replace(",", "")), doc[:80]
            checked += 1
    assert checked >= 5
