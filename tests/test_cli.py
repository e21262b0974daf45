"""The CLI through typer's CliRunner: stdout and stderr asserted separately, per format."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import paramcalc
from paramcalc.engine import analyze
from tests.conftest import Run


def test_count_json_contract(run: Run) -> None:
    result = run("count", "gpt2", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["name"] == "GPT-2" and data["architecture"] == "decoder"
    assert data["params"] == {
        "total": 124_439_808,
        "non_embedding": 85_056_000,
        "active": 124_439_808,
        "weights": 124_337_664,
        "biases": 102_144,
        "routed": 0,  # added with the routed-experts count (a dense model has none)
        "active_without_input_embedding": 124_439_808 - 38_597_376 - 786_432,  # less the token and position tables
    }
    assert sum(c["params"] for c in data["components"]) == data["params"]["total"]
    for component in data["components"]:
        assert set(component) >= {"name", "params", "weights", "biases"}
        assert component["weights"] + component["biases"] == component["params"]
    assert data["memory_bytes"] == {
        "fp32": 497_759_232,
        "fp16": 248_879_616,
        "bf16": 248_879_616,
        "int8": 124_439_808,
        "int4": 62_219_904,
    }
    assert set(data["flops"]) >= {
        "forward_per_token",
        "training_per_token",
        "training_tokens",
        "training_total",
        "six_nd",
    }
    assert isinstance(data["flops"]["training_tokens"], int)


def test_format_json_equals_json_flag(run: Run) -> None:
    assert run("count", "gpt3", "--format", "json").stdout == run("count", "gpt3", "--json").stdout


def test_count_csv(run: Run) -> None:
    result = run("count", "llama-2-7b", "--format", "csv")
    assert result.exit_code == 0 and result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_name = {r["component"]: r for r in rows}
    assert int(by_name["total"]["params"]) == 6_738_415_616
    components = [r for r in rows if r["component"] not in {"total", "non_embedding", "active"}]
    assert sum(int(r["params"]) for r in components) == 6_738_415_616
    assert int(by_name["total"]["fp16_bytes"]) == 2 * 6_738_415_616
    assert "\x1b" not in result.stdout


def test_count_csv_detail_rows(run: Run) -> None:
    rows = list(csv.DictReader(io.StringIO(run("count", "llama-2-7b", "-f", "csv", "--detail").stdout)))
    names = {r["component"] for r in rows}
    assert {
        "attention.q",
        "attention.k",
        "attention.v",
        "attention.o",
        "feed_forward.gate",
        "feed_forward.up",
        "feed_forward.down",
    } <= names


def test_count_markdown(run: Run) -> None:
    result = run("count", "gpt2", "--format", "markdown")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("### GPT-2 (decoder)\n")
    assert "| **total** | 124,439,808 | 100.0% | 124,337,664 | 102,144 |" in result.stdout
    assert "| 6ND | " in result.stdout
    assert "\x1b" not in result.stdout


def test_count_table(run: Run) -> None:
    result = run("count", "gpt2")
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    for needle in (
        "GPT-2 (decoder)",
        "token_embedding",
        "124,439,808",
        "non-embedding params",
        "weights in int4",
        "6ND",
        "GB = 10^9 bytes",
    ):
        assert needle in out
    assert "\x1b" not in out  # not a terminal: no colour codes


def test_count_table_detail_and_explain(run: Run) -> None:
    out = run("count", "gpt2", "--detail", "--explain").stdout
    assert "attention.q" in out and "feed_forward.down" in out
    assert "layers × d_model × heads*head_dim = 12 × 768 × 768 = 7,077,888" in out


def test_explain_json_terms(run: Run) -> None:
    data = json.loads(run("count", "gpt2", "--json", "--explain").stdout)
    attention = next(c for c in data["components"] if c["name"] == "attention")
    assert sum(t["count"] for t in attention["terms"]) == attention["params"]


def test_stdin(run: Run) -> None:
    result = run("count", "-", "--json", input="layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["name"] == "stdin"


def test_tokens_option(run: Run) -> None:
    for spelling in ("300e9", "3e11", "300B"):
        flops = json.loads(run("count", "gpt2", "--json", "--tokens", spelling).stdout)["flops"]
        assert (flops["training_tokens"], flops["tokens_source"]) == (300 * 10**9, "option")


def test_bad_tokens_is_usage_error(run: Run) -> None:
    result = run("count", "gpt2", "--tokens", "lots")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--tokens" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "layers: 2\nd_model: 64\nheads: 4\nvocab: 100\ncontext: 32\nkv_head: 2\n",
            "kv_head: unknown field (did you mean 'kv_heads'?)",
        ),
        ("layers: [\n", "invalid YAML at line 2"),
        ("- a\n", "must be a mapping of fields"),
        ("", "is empty"),
    ],
)
def test_bad_input_exit_1(run: Run, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = run("count", str(path), "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"paramcalc: {path}: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_all_problems_one_line_each(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("layers: 0\nd_model: 64\nheads: 5\nvocab: 100\ncontext: x\n")
    result = run("count", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"paramcalc: {path}: layers: must be positive, not 0",
        f"paramcalc: {path}: context: must be a whole number, not a string ('x')",
        f"paramcalc: {path}: heads: 5 does not divide d_model 64 (or give head_dim)",
    ]


def test_missing_file(run: Run) -> None:
    result = run("count", "no-such.yaml")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("paramcalc: no-such.yaml: no such file, and no preset of that name")


def test_usage_errors_exit_2(run: Run) -> None:
    for args in (("count",), ("count", "gpt2", "--format", "xml"), ("count", "gpt2", "--bogus"), ("nope",)):
        result = run(*args)
        assert result.exit_code == 2, args
        assert result.stdout == ""


def test_debug_shows_the_exception(run: Run) -> None:
    result = run("count", "no-such.yaml", "--debug")
    assert result.exit_code == 1
    assert isinstance(result.exception, paramcalc.LoadError)


def test_ctrl_c_exits_130(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("paramcalc.engine.analyze", interrupted)
    result = run("count", "gpt2", "--json")
    assert result.exit_code == 130 and result.stdout == ""


def test_presets_command(run: Run) -> None:
    result = run("presets")
    assert result.exit_code == 0 and "llama-2-7b" in result.stdout and "6,738,415,616" in result.stdout
    rows = json.loads(run("presets", "--json").stdout)
    by_name = {r["preset"]: r for r in rows}
    assert by_name["gpt2"]["total"] == 124_439_808
    assert by_name["mixtral-8x7b"]["active"] == analyze(paramcalc.load("mixtral-8x7b")).active


def test_every_command_has_help(run: Run) -> None:
    import typer.main

    from paramcalc.cli import _APPS, command_names

    for name in command_names():
        result = run(name, "--help")
        assert result.exit_code == 0 and len(result.stdout) > 200, name
        assert run("help", name).stdout == result.stdout, name
        built = typer.main.get_command(_APPS[name])
        assert built.help and len(built.help.split()) >= 8, name  # a real docstring, not a stub


def run_shell(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)


def test_pipe_closed_early_is_quiet() -> None:
    py = sys.executable
    for fmt in ("--json", "--format table", "--format csv", "--detail --explain"):
        result = run_shell(
            f"set -o pipefail; '{py}' -m paramcalc count gpt3 {fmt} | head -c 20 >/dev/null; "
            f"'{py}' -m paramcalc count gpt3 {fmt} | head -n 1"
        )
        assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
        assert result.stdout


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "paramcalc", "count", "gpt2", "--json"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and json.loads(result.stdout)["params"]["total"] == 124_439_808
