"""`solve` and `sweep`: Chinchilla's table, shapes for a target, and a streaming sweep."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import paramcalc
from paramcalc.config import parse_config
from paramcalc.design import ASPECT, WITHIN, Solution, TargetOutOfReach, compute_optimal, loss, solve
from paramcalc.engine import analyze
from paramcalc.engine.hardware import GPUS
from paramcalc.engine.training import Recompute, TrainSettings, check, estimate
from paramcalc.errors import ConfigError, SettingError
from paramcalc.loading import load_fields
from paramcalc.sweeps import prepare
from tests._profiles import budget
from tests.conftest import Run

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
        assert opt.loss is not None and loss(n, 5.76e23 / 6 / n) > opt.loss
    assert loss(70e9, 1.4e12) == pytest.approx(1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28)


def test_solve_flops_cli(run: Run) -> None:
    out = run("solve", "--flops", "5.76e23").stdout
    assert "compute-optimal (20 tokens per parameter): 6.928e+10 parameters" in out
    data = json.loads(run("solve", "--flops", "1e23", "--law", "chinchilla-3", "--json").stdout)
    assert data["compute_optimal"]["loss"] > 1.69 and data["law"] == "chinchilla-3"


def test_solve_params_with_base(run: Run) -> None:
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


def test_solve_pinned_layers_and_multiple(run: Run) -> None:
    data = json.loads(
        run(
            "solve", "--params", "3e9", "--base", "llama-2-7b", "--layers", "26", "--multiple-of", "256", "--json"
        ).stdout
    )
    for c in data["candidates"]:
        assert c["config"]["layers"] == 26 and c["config"]["d_model"] % 256 == 0 and c["config"]["d_ff"] % 256 == 0


def test_solve_active_for_moe(run: Run) -> None:
    data = json.loads(run("solve", "--active", "3e9", "--base", "mixtral-8x7b", "--json").stdout)
    best = data["candidates"][0]
    assert abs(best["active"] - 3e9) / 3e9 < 0.02 and best["params"] > 3 * best["active"]


def test_emit_yaml_round_trip(run: Run, tmp_path: Path) -> None:
    result = run("solve", "--params", "1.3B", "--base", "gpt3-xl", "--format", "yaml")
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
        (["--flops", "1e23", "--format", "yaml"], "--format yaml needs --base"),
        (["--params", "7B", "--base", "mlp-2-2-1"], "an mlp has no layers"),
    ],
)
def test_solve_errors(run: Run, args: list[str], message: str) -> None:
    result = run("solve", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


# sweep ------------------------------------------------------------------------------------


def test_sweep_csv_rows_are_full_counts(run: Run) -> None:
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


def test_sweep_invalid_skipped_and_counted(run: Run) -> None:
    result = run("sweep", "gpt2", "--vary", "d_model=768,1000", "-f", "jsonl")
    assert [json.loads(line)["d_model"] for line in result.stdout.splitlines()] == [768]
    assert (
        result.stderr
        == "paramcalc: skipped 1 of 2 combinations that are not valid configs (--strict to stop at the first)\n"
    )
    strict = run("sweep", "gpt2", "--vary", "d_model=768,1000", "-f", "jsonl", "--strict")
    assert strict.exit_code == 1 and "heads: 12 does not divide d_model 1000" in strict.stderr


def test_sweep_where(run: Run) -> None:
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
def test_sweep_errors(run: Run, args: list[str], message: str) -> None:
    result = run("sweep", "gpt2", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


def test_sweep_table_on_request(run: Run) -> None:
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


# solve: shapes tensor and pipeline parallelism can split (issue 11, item 4) ----------------


def count_of(base_fields: dict[str, Any], fields: dict[str, Any]) -> tuple[int, int]:
    report = analyze(parse_config({**base_fields, **fields}))
    return report.total, report.active


def _solve(base: str, **settings: Any) -> Solution:
    fields, source, _ = load_fields(base)
    return solve(base=base, base_fields=fields, base_label=source.label, **settings)


@pytest.mark.parametrize(("base", "target", "group"), [("llama-2-70b", "70B", 8), ("llama-3-8b", "8B", 4)])
def test_solve_keeps_query_heads_per_kv_head(run: Run, base: str, target: str, group: int) -> None:
    # Before: llama-2-70b's 64/8 became 43/1 (or 63/7), llama-3-8b's 32/8 became 53/1 (or 26/2).
    data = json.loads(run("solve", "--params", target, "--base", base, "--json").stdout)
    assert data["candidates"]
    for c in data["candidates"]:
        heads, kv = c["config"]["heads"], c["config"]["kv_heads"]
        assert heads == group * kv and heads % 8 == 0
        assert kv % 8 == 0 or 8 % kv == 0  # split across 8 ranks, or replicated on them
    assert data["candidates"][0]["config"]["kv_heads"] == 8  # the base's own shape wins at its own size


def test_solve_heads_split_by_tp_multiple(run: Run) -> None:
    # Before: llama-2-7b at 1e23 FLOPs got 41 heads, which --tp 8 cannot split.
    default = json.loads(run("solve", "--flops", "1e23", "--base", "llama-2-7b", "--json").stdout)
    assert default["constraints"]["tp_multiple"] == 8
    assert all(c["config"]["heads"] % 8 == 0 for c in default["candidates"])
    assert default["candidates"][0]["config"]["heads"] == 40
    free = _solve("llama-2-7b", flops="1e23", tp_multiple=1)
    assert free.candidates[0].config["heads"] == 41  # the old shape, when asked for
    assert all(c.config["heads"] % 16 == 0 for c in _solve("llama-2-7b", flops="1e23", tp_multiple=16).candidates)
    assert _solve("t5-small", params="60M").constraints["tp_multiple"] == 8  # 8 heads: default 8
    four = solve(params="10M", base="b.yaml", base_fields={**load_fields("gpt2")[0], "heads": 4})
    assert four.constraints["tp_multiple"] == 1  # fewer than 8 heads: default 1


@pytest.mark.parametrize("pp", [1, 4, 6])
def test_solve_depth_split_by_pp_multiple(pp: int) -> None:
    solution = _solve("llama-2-7b", flops="1e23", pp_multiple=pp)
    assert solution.candidates and all(c.layers % pp == 0 for c in solution.candidates)


def test_solve_multi_query_base_keeps_one_kv_head() -> None:
    # A multi-query base keeps one KV head; only the query heads follow tp_multiple.
    fields, _, _ = load_fields("llama-2-7b:kv_heads=1")
    solution = solve(params="13B", base="mqa.yaml", base_fields=fields, base_label="mqa.yaml")
    assert solution.candidates
    for c in solution.candidates:
        assert c.config["kv_heads"] == 1 and c.config["heads"] % 8 == 0


@pytest.mark.parametrize(
    ("base", "settings"),
    [
        ("llama-2-7b", {"flops": "1e23", "pp_multiple": 4}),
        ("llama-3-8b", {"params": "20B"}),
        ("mixtral-8x7b", {"active": "3e9"}),
        ("qwen2.5-7b", {"params": "7B", "tp_multiple": 4}),
        ("gemma-2-9b", {"params": "9B"}),
        ("deepseek-v3", {"params": "100B", "top": 2}),
        ("t5-base", {"params": "1B"}),
        ("bert-base", {"params": "300M", "multiple_of": 128}),
        ("gpt2", {"params": "1.5B", "layers": 48}),
    ],
)
def test_solve_candidates_are_valid_configs_with_their_exact_counts(base: str, settings: dict[str, Any]) -> None:
    fields, _, _ = load_fields(base)
    solution = _solve(base, **settings)
    assert solution.candidates
    for c in solution.candidates:
        config = parse_config({**fields, **c.config})
        report = analyze(config)
        assert (report.total, report.active) == (c.params, c.active)
        assert config.heads % config.kv_heads == 0 and config.heads % solution.constraints["tp_multiple"] == 0
        assert c.config["d_model"] % solution.constraints["multiple_of"] == 0
        assert c.flops == 6 * c.active * c.tokens and isinstance(c.flops, int)


def test_readme_walkthrough_end_to_end(run: Run, tmp_path: Path) -> None:
    # README "Designing a model", steps 3 and 4: the solved YAML trains on 1024 GPUs at --tp 8 --pp 4.
    result = run("solve", "--flops", "1e23", "--base", "llama-2-7b", "--pp-multiple", "4", "--format", "yaml")
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "my-29b.yaml"
    path.write_text(result.stdout)
    config = paramcalc.load(str(path))
    assert config.extends == "llama-2-7b"
    settings = TrainSettings(gpu=GPUS["h100-sxm"], gpus=1024, tp=8, pp=4, zero=1, recompute=Recompute.selective)
    check(settings, config)
    plan = estimate(analyze(config), settings)
    assert plan.data_parallel == 32 and plan.params == analyze(config).total
    train = run(
        "train", str(path), "--gpus", "1024", "--tp", "8", "--pp", "4", "--zero", "1", "--recompute", "selective"
    )
    assert train.exit_code == 0, train.stderr


# solve's JSON contract (item 5) ------------------------------------------------------------

SOLVE_KEYS = {"target", "law", "compute_optimal", "base", "constraints", "candidates"}


@pytest.mark.parametrize(
    "args",
    [
        ["--params", "7B"],
        ["--active", "3e9", "--base", "mixtral-8x7b"],
        ["--flops", "1e23"],
        ["--flops", "1e23", "--base", "llama-2-7b", "--law", "chinchilla-3"],
        ["--params", "7B", "--base", "llama-2-7b"],
    ],
)
def test_solve_json_same_keys_in_every_mode(run: Run, args: list[str]) -> None:
    data = json.loads(run("solve", *args, "--json").stdout)
    assert set(data) == SOLVE_KEYS
    assert set(data["target"]) == {"kind", "value", "setting", "text", "given"}
    assert set(data["compute_optimal"]) == {"params", "tokens", "flops", "loss"}
    assert set(data["constraints"]) == {
        "layers",
        "multiple_of",
        "tp_multiple",
        "pp_multiple",
        "aspect",
        "top",
        "within",
    }
    for key in ("params", "tokens", "flops"):
        assert type(data["compute_optimal"][key]) is int
    for c in data["candidates"]:
        assert set(c) == {"config", "params", "active", "error", "tokens", "flops", "aspect"}
        for key in ("params", "active", "tokens", "flops"):
            assert type(c[key]) is int


def test_solve_json_flops_target_echoed_exactly(run: Run) -> None:
    # Before: "params": 28867513459.481285 and "flops": 9.999999999999997e+22, and no compute_optimal with --params.
    data = json.loads(run("solve", "--flops", "1e23", "--json").stdout)
    assert data["target"] == {
        "kind": "params",
        "value": 28867513459,
        "setting": "flops",
        "text": "1e23",
        "given": 10**23,
    }
    assert data["compute_optimal"] == {"params": 28867513459, "tokens": 577350269190, "flops": 10**23, "loss": None}
    assert data["base"] is None and data["candidates"] == []
    params = json.loads(run("solve", "--params", "7B", "--json").stdout)
    assert params["target"] == {
        "kind": "params",
        "value": 7 * 10**9,
        "setting": "params",
        "text": "7B",
        "given": 7 * 10**9,
    }
    assert params["compute_optimal"] == {
        "params": 7 * 10**9,
        "tokens": 140 * 10**9,
        "flops": 6 * 7 * 140 * 10**18,
        "loss": None,
    }


# Unreachable targets and bounded settings (items 16, 17) -------------------------------------


def test_solve_unreachable_target_is_refused(run: Run) -> None:
    # Before: five candidates at +8,380,700% and more.
    small = run("solve", "--params", "100", "--base", "llama-2-7b")
    assert small.exit_code == 1 and small.stdout == ""
    assert "a target of 100 params is out of reach for llama-2-7b" in small.stderr
    assert "its smallest shape is 7 layers x d_model 1024, 8 heads: 154,090,496 params" in small.stderr
    large = run("solve", "--params", "1e30", "--base", "gpt2", "--json")
    assert large.exit_code == 1 and large.stdout == "" and "its largest shape is 256 layers" in large.stderr
    with pytest.raises(TargetOutOfReach):
        _solve("llama-2-7b", params=100)


def test_solve_lists_only_shapes_within_half_the_target() -> None:
    for c in _solve("llama-2-70b", params="29B").candidates:
        assert abs(c.error) <= WITHIN


@pytest.mark.parametrize(
    ("settings", "setting", "message"),
    [
        ({"aspect": "1..inf"}, "aspect", "is not MIN..MAX"),
        ({"aspect": "1e-300..1e300"}, "aspect", "is not MIN..MAX"),
        ({"aspect": "1..1e6"}, "aspect", "MAX <= 100,000"),
        ({"aspect": "nan..nan"}, "aspect", "is not MIN..MAX"),
        ({"aspect": (0.0, 1e300)}, "aspect", "is not (MIN, MAX)"),
        ({"layers": 0}, "layers", "from 1 to 10,000"),
        ({"layers": 10**400}, "layers", "from 1 to 10,000"),
        ({"multiple_of": 0}, "multiple_of", "from 1 to 4,096"),
        ({"tp_multiple": 257}, "tp_multiple", "from 1 to 256"),
        ({"pp_multiple": 0}, "pp_multiple", "from 1 to 256"),
        ({"top": 101}, "top", "from 1 to 100"),
        ({"layers": 30, "pp_multiple": 4}, "layers", "30 is not a multiple of pp_multiple 4"),
        ({"law": "kaplan"}, "law", "is not one of chinchilla, chinchilla-3"),
        ({"params": "lots"}, "params", "is not a number"),
        ({"params": "7B", "flops": "1e23"}, "target", "exactly one of"),
        ({"params": None, "flops": "1"}, "flops", "less than one parameter"),
    ],
)
def test_solve_bad_settings(settings: dict[str, Any], setting: str, message: str) -> None:
    with pytest.raises(SettingError) as caught:
        _solve("llama-2-7b", **{"params": "7B", **settings})
    assert [s for s, _ in caught.value.problems] == [setting]
    assert message in caught.value.problems[0][1]


@pytest.mark.parametrize(
    "settings",
    [
        {"aspect": "1..100000"},
        {"aspect": "1..100000", "tp_multiple": 1, "multiple_of": 1},
        {"layers": 10_000},
        {"layers": 1, "multiple_of": 1, "tp_multiple": 1},
    ],
)
@pytest.mark.parametrize("base", ["gpt2", "gemma-2-9b"])
def test_solve_search_is_bounded(base: str, settings: dict[str, Any]) -> None:
    # Before: --aspect 1..1e6 ran over 30 s and 1e-300..1e300 never ended.
    start = time.perf_counter()
    try:
        _solve(base, params="7B", **settings)
    except TargetOutOfReach:
        pass
    assert time.perf_counter() - start < 3


def test_solve_cli_errors_name_the_flags(run: Run) -> None:
    for args, message in [
        (["--aspect", "1..inf"], "paramcalc: --aspect: '1..inf' is not MIN..MAX"),
        (["--tp-multiple", "0"], "paramcalc: --tp-multiple: 0 is not a whole number from 1 to 256"),
        (["--layers", "30", "--pp-multiple", "4"], "paramcalc: --layers: 30 is not a multiple of pp_multiple 4"),
    ]:
        result = run("solve", "--params", "7B", "--base", "llama-2-7b", *args)
        assert result.exit_code == 2 and result.stdout == "" and result.stderr.startswith(message)


# sweep: everything checked before the first byte (item 16) -----------------------------------


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--vary", "layers=1,2", "--tokens", "lots"], 2, "--tokens: 'lots' is not a number"),
        (["--vary", "heads=1..13", "--strict"], 1, "invalid combination heads=5"),
        (["--vary", "extends=gpt2,gpt3"], 2, "--vary: extends: extends is resolved when the base is read"),
        (["--vary", "layers=1,2", "--vary", "layers=3"], 2, "--vary: layers is varied twice"),
        (["--vary", "layers=1..99999999999999999999999999999999999"], 2, "more than 30 digits"),
        (["--vary", "layers=1,2", "--where", "params < nan"], 2, "'nan' is not a number"),
    ],
)
def test_sweep_refuses_before_any_output(run: Run, args: list[str], status: int, message: str) -> None:
    # Before: --tokens lots printed the CSV header, --strict printed 4 rows, extends= was ignored.
    for fmt in ("csv", "jsonl", "table"):
        result = run("sweep", "gpt2", *args, "-f", fmt)
        assert (result.exit_code, result.stdout) == (status, ""), result.stdout
        assert message in result.stderr


def test_sweep_prepare_checks_every_combination_when_strict() -> None:
    fields, source, _ = load_fields("gpt2")
    with pytest.raises(ConfigError, match="invalid combination heads=5: gpt2: heads: 5 does not divide d_model 768"):
        prepare(fields, source.label, ["heads=1..13"], strict=True)
    plan = prepare(fields, source.label, ["heads=1..13"], tokens="300B")
    assert plan.total == 13 and plan.tokens == 300 * 10**9 and plan.columns[0] == "heads"
    assert [o.row["heads"] for o in plan.rows() if o.row] == [1, 2, 3, 4, 6, 8, 12]
    with pytest.raises(SettingError) as caught:
        prepare(fields, source.label, ["layer=1,2", "extends=x"], tokens="lots")
    assert [s for s, _ in caught.value.problems] == ["vary", "vary", "tokens"]


_BASES = {name: load_fields(name)[0] for name in ("llama-2-7b", "mixtral-8x7b", "gemma-2-9b", "t5-small", "gpt2")}


@budget(ci=25, slow=200)
@given(
    base=st.sampled_from(sorted(_BASES)),
    target=st.integers(1, 10**16),
    kind=st.sampled_from(["params", "active"]),
    layers=st.none() | st.integers(1, 10_000) | st.integers(-5, 20_000),
    multiple_of=st.sampled_from([1, 8, 64, 128, 4096]) | st.integers(0, 5000),
    tp_multiple=st.none() | st.sampled_from([1, 2, 8, 16, 256]) | st.integers(0, 300),
    pp_multiple=st.sampled_from([1, 4, 7]) | st.integers(0, 300),
    aspect=st.sampled_from([ASPECT, (1.0, 1e5), (90.0, 130.0)])
    | st.tuples(st.floats(1, 1e5), st.floats(1, 1e5))
    | st.tuples(st.floats(), st.floats()),
    top=st.integers(1, 100) | st.integers(0, 200),
)
def test_solve_any_settings_end_in_a_result_or_a_named_error(
    base: str,
    target: int,
    kind: str,
    layers: int | None,
    multiple_of: int,
    tp_multiple: int | None,
    pp_multiple: int,
    aspect: tuple[float, float],
    top: int,
) -> None:
    start = time.perf_counter()
    try:
        solution = solve(
            params=target if kind == "params" else None,
            active=target if kind == "active" else None,
            base=base,
            base_fields=_BASES[base],
            layers=layers,
            multiple_of=multiple_of,
            tp_multiple=tp_multiple,
            pp_multiple=pp_multiple,
            aspect=aspect,
            top=top,
        )
    except (SettingError, TargetOutOfReach):
        pass
    else:
        assert 1 <= len(solution.candidates) <= top
        for c in solution.candidates:
            assert abs(c.error) <= WITHIN and c.layers % pp_multiple == 0
            assert count_of(_BASES[base], c.config) == (c.params, c.active)
    assert time.perf_counter() - start < 3


def test_sweep_tokens_follow_the_fields_rule(run: Run) -> None:
    """One bound for tokens everywhere (issue 11 item 11): sweep's --tokens is the field's."""
    result = run("sweep", "gpt2", "--vary", "layers=1", "--tokens", "1e30", "-f", "csv")
    assert result.exit_code == 2 and result.stdout == "" and "at most 1e+18" in result.stderr
