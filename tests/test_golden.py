"""Output pinned exactly: one golden file per (command, case, format), and tables at narrow widths.

Each case below runs through the `run` fixture (in the repository root, at the fixture's width, or
at the width after '@' in the file name) and its stdout must equal tests/golden/<name> byte for
byte, its stderr tests/golden/<name>.stderr (no such file: stderr is empty). After a change that
is meant to change the output, regenerate every file with

    pytest tests/test_golden.py tests/test_readme.py --update-golden

and review the result with `git diff tests/golden README.md`.

The width checks (issue 11, item 1) hold at any width from 60 columns up: no line is wider than
the terminal, nothing is cut with "…", and every exact count of the JSON is printed in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import GOLDEN, Golden, Run

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (60, 80, 100, 200)
ALL = ("table", "json", "csv", "markdown")


class Case(NamedTuple):
    name: str
    args: tuple[str, ...]
    formats: tuple[str, ...]
    widths: tuple[int, ...] = ()  # the table again at each of these widths


CASES = [
    Case("count-gpt2", ("count", "gpt2"), ALL, WIDTHS),
    Case("count-llama-2-7b-detail-explain", ("count", "llama-2-7b", "--detail", "--explain"), ("table",)),
    Case("count-mlp-2-2-1-explain", ("count", "mlp-2-2-1", "--explain"), ("table",)),
    Case("compare-gpt2-gpt2-medium", ("compare", "gpt2", "gpt2-medium"), ALL, WIDTHS),
    Case("compare-3way", ("compare", "gpt2", "gpt2-medium", "llama-2-7b"), ("table",)),
    Case(
        "compare-6way",
        ("compare", "gpt2", "gpt2-medium", "pythia-160m", "llama-2-7b", "mistral-7b", "mixtral-8x7b"),
        ("table",),
    ),
    # csv has no --explain (a usage error, item 7): its case is the same run without it
    Case("train-llama-2-7b-explain", ("train", "llama-2-7b", "--explain"), ("table", "json", "markdown"), WIDTHS),
    Case("train-llama-2-7b", ("train", "llama-2-7b"), ("csv",)),
    Case("train-llama-2-7b-seq-8192", ("train", "llama-2-7b", "--seq", "8192"), ("table", "json")),  # warns
    Case("infer-llama-3-8b", ("infer", "llama-3-8b"), ALL, WIDTHS),
    Case("solve-7b-llama", ("solve", "--params", "7B", "--base", "llama-2-7b"), ("table", "json", "yaml"), WIDTHS),
    Case("sweep-gpt2-layers", ("sweep", "gpt2", "--vary", "layers=6..24:6"), ("table", "csv", "jsonl", "json")),
    Case("presets", ("presets",), ("table",)),
    Case("gpus", ("gpus",), ("table", "json")),
    Case("convert-gpt2", ("convert", "tests/fixtures/hf/openai-community__gpt2.json"), ("yaml", "json")),
    Case("schema", ("schema",), ("json",)),
]


class Run1(NamedTuple):
    file: str
    args: tuple[str, ...]
    columns: int | None


def runs() -> Iterator[Run1]:
    for case in CASES:
        for fmt in case.formats:
            yield Run1(f"{case.name}.{fmt}", (*case.args, "--format", fmt), None)
        for width in case.widths:
            yield Run1(f"{case.name}@{width}.table", (*case.args, "--format", "table"), width)


RUNS = list(runs())


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # cases name files relative to the repository, as the README does


@pytest.mark.parametrize("case", RUNS, ids=[r.file for r in RUNS])
def test_golden(run: Run, golden: Golden, in_root: None, case: Run1) -> None:
    result = run(*case.args) if case.columns is None else run(*case.args, columns=case.columns)
    assert result.exit_code == 0, result.stderr
    golden(case.file, result.stdout)
    golden(case.file + ".stderr", result.stderr)


def test_no_stale_golden_files(updating: bool) -> None:
    expected = {r.file for r in RUNS} | {r.file + ".stderr" for r in RUNS}
    stale = sorted(p.name for p in GOLDEN.iterdir() if p.name not in expected)
    if updating:
        for name in stale:
            (GOLDEN / name).unlink()
        return
    assert stale == [], "golden files no case writes (pytest --update-golden removes them)"


# ---- any width from 60 columns up (issue 11, item 1) -----------------------------------------


def count_figures(data: dict[str, Any]) -> list[int]:
    return [data["params"]["total"], *(c["params"] for c in data["components"])]


def figures(command: str, data: Any) -> list[int]:
    """The exact counts of a command's JSON that its table must print in full."""
    if command == "count":
        return count_figures(data)
    if command == "compare":
        return [n for entry in data for n in count_figures(entry)]
    if command == "train":
        return [data["params"], data["trainable_params"]]
    if command == "infer":
        return [data["kv_cache_bytes_per_token"], data["max_context"], data["max_batch"]]
    if command == "solve":
        return [n for c in data["candidates"] for n in (c["params"], c["active"])]
    raise AssertionError(command)


WIDE = [
    ("count", "gpt2"),
    ("count", "deepseek-v3", "--detail"),
    ("compare", "gpt3", "chinchilla-70b"),
    ("compare", "gpt2", "gpt3", "llama-2-70b", "mixtral-8x7b", "deepseek-v3", "t5-base"),
    ("train", "llama-2-7b"),
    ("train", "deepseek-v3", "--gpus", "2048", "--tp", "8", "--pp", "16", "--zero", "1"),
    ("infer", "llama-3-8b"),
    ("infer", "mixtral-8x7b", "--context", "32768", "--batch", "8"),
    ("solve", "--params", "7B", "--base", "llama-2-7b"),
]
JSON_CACHE: dict[tuple[str, ...], Any] = {}


def json_of(run: Run, args: tuple[str, ...]) -> Any:
    if args not in JSON_CACHE:
        result = run(*args, "--json")
        assert result.exit_code == 0, result.stderr
        JSON_CACHE[args] = json.loads(result.stdout)
    return JSON_CACHE[args]


def wide_cases() -> Iterator[Any]:
    for args in WIDE:
        for columns in WIDTHS:
            yield pytest.param(args, columns, id=f"{' '.join(args)}@{columns}")


@pytest.mark.parametrize(("args", "columns"), list(wide_cases()))
def test_tables_fit_any_width(run: Run, args: tuple[str, ...], columns: int) -> None:
    result = run(*args, columns=columns)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    too_wide = [line for line in lines if len(line) > columns]
    assert too_wide == [], f"{len(too_wide)} lines wider than {columns} columns"
    assert "…" not in result.stdout
    missing = [n for n in figures(args[0], json_of(run, args)) if f"{n:,}" not in result.stdout]
    assert missing == [], f"exact counts not printed in full at {columns} columns"


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


@pytest.mark.parametrize("case", [r for r in RUNS if r.file.endswith(".json")], ids=lambda r: r.file)
def test_golden_json_is_strict_json(case: Run1) -> None:
    path = GOLDEN / case.file
    if path.exists():
        json.loads(path.read_text(), parse_constant=_refuse)  # no NaN or Infinity in a contract


WARNS = [
    (("train", "llama-2-7b", "--seq", "8192"), "seq 8,192 is beyond Llama-2-7B's context of 4,096 tokens"),
    (("infer", "llama-3-8b", "--context", "32768"), "beyond Llama-3-8B's context of 8,192 tokens"),
]


@pytest.mark.parametrize(("args", "warning"), WARNS, ids=[" ".join(a) for a, _ in WARNS])
def test_warnings_reach_stderr_in_every_format(run: Run, args: tuple[str, ...], warning: str) -> None:
    for fmt in ("table", "json"):
        result = run(*args, "--format", fmt)
        assert result.exit_code == 0
        assert result.stderr.startswith("paramcalc: warning: ") and warning in result.stderr, fmt
        if fmt == "json":
            assert any(warning in w for w in json.loads(result.stdout)["warnings"])
