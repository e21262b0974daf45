"""`solve` and `sweep`: Chinchilla's table, shapes for a target, and a streaming sweep."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import paramcalc
from paramcalc.design import compute_optimal, loss
from paramcalc.engine import analyze

# Hoffmann et al. 2022, Table 3 (Approach 1): parameters, tokens, FLOPs of compute-optimal models.
CHINCHILLA_TABLE_3 = [
    (400e6, 8.0e9, 1.92e19),
    (1e9, 20.2e9, 1.21e20),
    (10e9, 205.1e9, 1.23e22),
    (67e9, 1.5e12, 5.76e23),
    (175e9, 3.7e12, 3.85e24),
]


@pytest.mark.parametrize(("params", "tokens", "flops"), CHINCHILLA_TABLE_3)
def test_chinchilla_table_3_from_flops(params: float, tokens: float, flops: float) -> None:
    # The 20-tokens rule, N = sqrt(C / 120), reproduces the table within its rounding: the table's
    # own tokens per parameter run from 20 (400M) to 22.4 (67B).
    opt = compute_optimal(flops)
    assert opt.law == "chinchilla" and opt.tokens == 20 * opt.params
    assert abs(opt.params - params) / params < 0.05
    assert abs(opt.tokens - tokens) / tokens < 0.10
    assert opt.flops == pytest.approx(flops)


@pytest.mark.parametrize(("params", "tokens", "flops"), CHINCHILLA_TABLE_3)
def test_chinchilla_table_3_from_params(params: float, tokens: float, flops: float) -> None:
    # Forward: D = 20 N and C = 6ND, against the table's rows.
    assert 20 * params == pytest.approx(tokens, rel=0.12)
    assert 6 * params * 20 * params == pytest.approx(flops, rel=0.25)


def test_approach_3_law() -> None:
    # L(N, D) = 1.69 + 406.4 / N^0.34 + 410.7 / D^0.28; the optimum spends exactly C = 6ND and no
    # nearby split of the same budget predicts a lower loss.
    opt = compute_optimal(5.76e23, "chinchilla-3")
    assert opt.flops == pytest.approx(6 * opt.params * opt.tokens)
    assert opt.loss == pytest.approx(loss(opt.params, opt.tokens))
    for factor in (0.8, 0.9, 1.1, 1.25):
        n = opt.params * factor
        assert loss(n, 5.76e23 / 6 / n) > opt.loss  # type: ignore[operator]
    assert loss(70e9, 1.4e12) == pytest.approx(1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28)


def test_solve_flops_cli(run) -> None:  # type: ignore[no-untyped-def]
    out = run("solve", "--flops", "5.76e23").stdout
    assert "compute-optimal (20 tokens per parameter): 6.928e+10 parameters" in out
    data = json.loads(run("solve", "--flops", "1e23", "--law", "chinchilla-3", "--json").stdout)
    assert data["compute_optimal"]["loss"] > 1.69 and data["law"] == "chinchilla-3"


def test_solve_params_with_base(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("solve", "--params", "7B", "--base", "llama-2-7b", "--json").stdout)
    candidates = data["candidates"]
    assert 1 <= len(candidates) <= 5
    errors = [abs(c["error"]) for c in candidates]
    assert errors == sorted(errors) and errors[0] < 0.01
    for c in candidates:
        config = c["config"]
        assert config["d_model"] % 128 == 0 and config["d_model"] // config["heads"] == 128
        assert 48 <= config["d_model"] / config["layers"] <= 160
        fields = " ".join(f"--set {k}={v}" for k, v in config.items()).split()
        assert json.loads(run("count", "llama-2-7b", *fields, "--json").stdout)["params"]["total"] == c["params"]
        assert c["params"] == round(7e9 * (1 + c["error"]))


def test_solve_pinned_layers_and_multiple(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(
        run(
            "solve", "--params", "3e9", "--base", "llama-2-7b", "--layers", "26", "--multiple-of", "256", "--json"
        ).stdout
    )
    for c in data["candidates"]:
        assert c["config"]["layers"] == 26 and c["config"]["d_model"] % 256 == 0 and c["config"]["d_ff"] % 256 == 0


def test_solve_active_for_moe(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("solve", "--active", "3e9", "--base", "mixtral-8x7b", "--json").stdout)
    best = data["candidates"][0]
    assert abs(best["active"] - 3e9) / 3e9 < 0.02 and best["params"] > 3 * best["active"]


def test_emit_yaml_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("solve", "--params", "1.3B", "--base", "gpt3-xl", "--emit", "yaml")
    assert result.exit_code == 0, result.stderr
    assert "extends: gpt3-xl" in result.stdout
    path = tmp_path / "solved.yaml"
    path.write_text(result.stdout)
    best = json.loads(run("solve", "--params", "1.3B", "--base", "gpt3-xl", "--json").stdout)["candidates"][0]
    assert analyze(paramcalc.load(str(path))).total == best["params"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "7B", "--flops", "1e23"], "exactly one of"),
        ([], "exactly one of"),
        (["--params", "lots"], "is not a number"),
        (["--params", "7B", "--base", "llama-2-7b", "--aspect", "9..3"], "MIN..MAX"),
        (["--flops", "1e23", "--emit", "yaml"], "--emit yaml needs --base"),
        (["--params", "7B", "--base", "mlp-2-2-1"], "an mlp has no layers"),
    ],
)
def test_solve_errors(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("solve", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


# sweep ------------------------------------------------------------------------------------


def test_sweep_csv_rows_are_full_counts(run) -> None:  # type: ignore[no-untyped-def]
    result = run("sweep", "llama-2-7b", "--vary", "layers=30..34:2", "--vary", "kv_heads=8,32", "-f", "csv")
    assert result.exit_code == 0 and result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(int(r["layers"]), int(r["kv_heads"])) for r in rows] == [
        (30, 8),
        (30, 32),
        (32, 8),
        (32, 32),
        (34, 8),
        (34, 32),
    ]
    row = next(r for r in rows if r["layers"] == "32" and r["kv_heads"] == "32")
    report = analyze(paramcalc.load("llama-2-7b"))
    assert int(row["params"]) == report.total and int(row["fp16_bytes"]) == report.memory_bytes["fp16"]
    assert int(row["forward_flops_per_token"]) == report.flops.forward_per_token


def test_sweep_invalid_skipped_and_counted(run) -> None:  # type: ignore[no-untyped-def]
    result = run("sweep", "gpt2", "--vary", "d_model=768,1000", "-f", "jsonl")
    assert [json.loads(line)["d_model"] for line in result.stdout.splitlines()] == [768]
    assert (
        result.stderr
        == "paramcalc: skipped 1 of 2 combinations that are not valid configs (--strict to stop at the first)\n"
    )
    strict = run("sweep", "gpt2", "--vary", "d_model=768,1000", "-f", "jsonl", "--strict")
    assert strict.exit_code == 1 and "heads: 12 does not divide d_model 1000" in strict.stderr


def test_sweep_where(run) -> None:  # type: ignore[no-untyped-def]
    out = run(
        "sweep", "gpt2", "--vary", "layers=1..48", "-f", "jsonl", "--where", "params < 300e6 and layers >= 20"
    ).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and all(r["params"] < 300e6 and r["layers"] >= 20 for r in rows)
    assert [r["layers"] for r in rows] == list(range(20, rows[-1]["layers"] + 1))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "layers"], "write KEY=V1,V2"),
        (["--vary", "layers=9..3"], "START <= STOP"),
        (["--vary", "layer=1,2"], "did you mean 'layers'"),
        (["--vary", "layers=1,2", "--where", "__import__('os')"], "is not COLUMN OP NUMBER"),
        (["--vary", "layers=1,2", "--where", "colour < 3"], "unknown column 'colour'"),
        (["--vary", "layers=1,2", "--where", "params < lots"], "'lots' is not a number"),
    ],
)
def test_sweep_errors(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("sweep", "gpt2", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


def test_sweep_table_on_request(run) -> None:  # type: ignore[no-untyped-def]
    out = run("sweep", "gpt2", "--vary", "layers=12,24", "-f", "table").stdout
    assert "124,439,808" in out and out.splitlines()[0].split()[0] == "layers"


def test_sweep_streams() -> None:
    # A sweep of 10^6 rows: the first rows arrive long before it could have ended; then we close
    # the pipe and it stops quietly.
    with subprocess.Popen(
        [sys.executable, "-m", "paramcalc", "sweep", "gpt2", "--vary", "layers=1..1000000", "-f", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        header = proc.stdout.readline()
        first = [proc.stdout.readline() for _ in range(3)]
        assert proc.poll() is None  # still running: rows are written as they are computed
        proc.stdout.close()
        proc.wait(timeout=60)
        errors = proc.stderr.read()
    assert header.startswith("layers,params")
    assert [line.split(",")[0] for line in first] == ["1", "2", "3"]
    assert "Traceback" not in errors
