"""`train`, `infer` and `gpus`: facts from the papers, and every option through the CLI with its figures."""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

import paramcalc
from paramcalc.cli import flag
from paramcalc.engine import analyze
from paramcalc.engine.hardware import GPUS, resolve_gpu
from paramcalc.engine.inference import InferSettings, kv_bytes_per_token
from paramcalc.engine.inference import estimate as infer_estimate
from paramcalc.engine.inference import resolve_gpu as infer_gpu
from paramcalc.engine.training import (
    Finetune,
    LoraTargets,
    Precision,
    Recompute,
    TrainSettings,
    layer_activation_bytes,
    lora_params,
    pipeline_stages,
)
from paramcalc.engine.training import estimate as train_estimate
from paramcalc.errors import SettingError
from paramcalc.units import parse_bytes, parse_flops, parse_rate
from tests.conftest import Run

H100 = GPUS["h100-sxm"]
LLAMA_2_7B = 6_738_415_616  # parameters
LLAMA_3_8B = 8_030_261_248


# Facts ------------------------------------------------------------------------------------


def test_kv_cache_llama_2_7b_4096_tokens() -> None:
    # 2 (K, V) x 32 layers x 32 heads x 128 x 4096 tokens x 2 bytes = 2 GiB. The EleutherAI
    # cookbook, missing the x2 for K and V, gives 1 GiB.
    e = infer_estimate(analyze(paramcalc.load("llama-2-7b")), InferSettings(gpu=H100, context=4096))
    assert e.kv_cache == 2_147_483_648


def test_kv_cache_llama_3_8b_per_token() -> None:
    # GQA: 2 x 32 layers x 8 KV heads x 128 x 2 bytes.
    assert kv_bytes_per_token(paramcalc.load("llama-3-8b"), 16) == 131_072


def test_korthikanti_gpt3_one_layer() -> None:
    # Korthikanti et al. 2022, Table 2: GPT-3 175B, s = 2048, b = 1: sbh(34 + 5as/h) without
    # recomputation, 2sbh with full recomputation.
    config = paramcalc.load("gpt3-175b")
    assert layer_activation_bytes(config, 2048, 1, False, "none", False) == 2_868_903_936
    assert layer_activation_bytes(config, 2048, 1, False, "full", False) == 50_331_648


def test_korthikanti_parallel_variants() -> None:
    # Table 2 rows with t = 8: sbh(10 + 24/t + 5as/(ht)), sbh(34/t + 5as/(ht)), sbh(10 + 24/t), sbh(34/t).
    config = paramcalc.load("gpt3-175b")
    s, h, a, t = 2048, 12288, 96, 8
    sbh = s * h
    assert layer_activation_bytes(config, s, t, False, "none", False) == sbh * (10 + 24 / t + 5 * a * s / (h * t))
    assert layer_activation_bytes(config, s, t, True, "none", False) == sbh * (34 / t + 5 * a * s / (h * t))
    assert layer_activation_bytes(config, s, t, False, "selective", False) == sbh * (10 + 24 / t)
    assert layer_activation_bytes(config, s, t, True, "selective", False) == sbh * (34 / t)
    assert layer_activation_bytes(config, s, t, False, "none", True) == sbh * (10 + 24 / t)  # flash


@pytest.mark.parametrize(("stage", "gb"), [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_figure_1(stage: int, gb: float) -> None:
    # Rajbhandari et al. 2020, Figure 1: 7.5B parameters, mixed-precision Adam (K = 12), 64 GPUs;
    # through what `train` runs. Llama-2-7B with d_ff 12,945 has 7,500,075,008 parameters.
    report = analyze(paramcalc.load("llama-2-7b", ["d_ff=12945"]))
    assert report.total == 7_500_075_008
    e = train_estimate(report, TrainSettings(gpu=H100, gpus=64, zero=stage))
    assert round((e.weights + e.gradients + e.optimizer) / 1e9, 1) == gb


def test_narayanan_gpt3_days() -> None:
    # Narayanan et al. 2021, Section 5.1: GPT-3 175B on 1024 A100s at 140 TFLOP/s each, 300B
    # tokens, full recomputation (8TP/(nX)): about 34 days.
    gpu = GPUS["a100-80gb"]._replace(bf16_flops=140e12)
    settings = TrainSettings(gpu=gpu, gpus=1024, tp=8, pp=16, recompute=Recompute.full, mfu=1.0, tokens=300 * 10**9)
    e = train_estimate(analyze(paramcalc.load("gpt3-175b")), settings)
    assert e.days is not None and 33 < e.days < 36
    eight_tp = 8 * 300e9 * 174.6e9 / (1024 * 140e12) / 86400
    assert abs(e.days - eight_tp) / eight_tp < 0.04  # ours adds the attention products and head
    no_recompute = train_estimate(analyze(paramcalc.load("gpt3-175b")), settings._replace(recompute=Recompute.none))
    assert e.days is not None and no_recompute.days == pytest.approx(e.days * 3 / 4)


def test_lora_trainable_params() -> None:
    # LoRA (Hu et al. 2021) rank 16 on q, k, v, o of Llama-2-7B: 32 x 4 x 16 x (4096 + 4096).
    report = analyze(paramcalc.load("llama-2-7b"))
    assert lora_params(report.components, 16, LoraTargets.attention) == 16_777_216
    # rank 8 on q and v only is the widely quoted 4,194,304: q and v are half of the four.
    assert lora_params(report.components, 8, LoraTargets.attention) // 2 == 4_194_304


def test_lora_memory_has_frozen_weights_only() -> None:
    report = analyze(paramcalc.load("llama-2-7b"))
    e = train_estimate(report, TrainSettings(gpu=H100, finetune=Finetune.lora, lora_rank=16, seq=2048))
    trainable = 16_777_216
    assert e.trainable == trainable
    assert e.weights == 2 * (report.total + trainable)
    assert e.gradients == 2 * trainable and e.optimizer == 12 * trainable
    assert e.fits


def test_full_finetune_llama_7b_does_not_fit_one_h100() -> None:
    e = train_estimate(analyze(paramcalc.load("llama-2-7b")), TrainSettings(gpu=H100))
    assert e.weights + e.gradients + e.optimizer == 16 * 6_738_415_616
    assert not e.fits and e.max_micro_batch == 0


def test_max_micro_batch_fits_and_next_does_not() -> None:
    report = analyze(paramcalc.load("gpt2"))
    e = train_estimate(report, TrainSettings(gpu=GPUS["rtx-4090"], seq=1024))
    assert e.max_micro_batch > 0
    fits = train_estimate(report, TrainSettings(gpu=GPUS["rtx-4090"], seq=1024, micro_batch=e.max_micro_batch))
    over = train_estimate(report, TrainSettings(gpu=GPUS["rtx-4090"], seq=1024, micro_batch=e.max_micro_batch + 1))
    assert fits.fits and not over.fits


def test_infer_limits_are_tight() -> None:
    report = analyze(paramcalc.load("llama-3-8b"))
    e = infer_estimate(report, InferSettings(gpu=GPUS["rtx-4090"], context=8192))
    at_max = infer_estimate(report, InferSettings(gpu=GPUS["rtx-4090"], context=e.max_context))
    past = infer_estimate(report, InferSettings(gpu=GPUS["rtx-4090"], context=e.max_context + 1))
    assert at_max.fits and not past.fits
    b = infer_estimate(report, InferSettings(gpu=H100, context=8192))
    assert infer_estimate(report, InferSettings(gpu=H100, context=8192, batch=b.max_batch)).fits
    assert not infer_estimate(report, InferSettings(gpu=H100, context=8192, batch=b.max_batch + 1)).fits


def test_decode_bound_is_bandwidth_over_bytes() -> None:
    report = analyze(paramcalc.load("llama-2-7b"))
    e = infer_estimate(report, InferSettings(gpu=H100, context=4096))
    assert e.decode_tokens_per_s_bound == pytest.approx(3350e9 / (2 * 6_738_415_616 + 2_147_483_648))


def test_mla_caches_the_latent() -> None:
    config = paramcalc.load("deepseek-v3")
    assert kv_bytes_per_token(config, 16, "latent") == 61 * (512 + 64) * 2  # DeepSeek-V2, Section 2.1.2
    assert kv_bytes_per_token(config, 16, "full") == 61 * 128 * (192 + 128) * 2


def test_gpu_presets() -> None:
    required = {
        "a100-40gb",
        "a100-80gb",
        "h100-sxm",
        "h100-pcie",
        "h200",
        "b200",
        "l40s",
        "rtx-3090",
        "rtx-4090",
        "mi300x",
    }
    assert required <= set(GPUS)
    for gpu in (GPUS[name] for name in required):  # the datacenter and 24 GB+ cards; tests/test_dev_gpus.py bounds all
        assert gpu.memory is not None and gpu.bandwidth is not None and gpu.bf16_flops is not None
        assert gpu.source and gpu.memory >= 24e9 and gpu.bf16_flops > 50e12 and gpu.bandwidth > 500e9
    assert GPUS["h100-sxm"].fp8_flops is not None and GPUS["h100-sxm"].bf16_flops is not None
    assert GPUS["h100-sxm"].fp8_flops == pytest.approx(2 * GPUS["h100-sxm"].bf16_flops, rel=1e-3)
    assert GPUS["a100-80gb"].fp8_flops is None


# CLI ---------------------------------------------------------------------------------------


def test_train_json_contract(run: Run) -> None:
    result = run("train", "llama-2-7b", "--json", "--finetune", "lora", "--seq", "2048")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["per_gpu_bytes"]) == {"weights", "gradients", "optimizer", "activations", "total"}
    assert sum(v for k, v in data["per_gpu_bytes"].items() if k != "total") == data["per_gpu_bytes"]["total"]
    for key in ("gpu", "fits", "max_micro_batch", "training_flops", "days", "gpu_hours", "settings"):
        assert key in data
    assert data["fits"] is True and data["gpu"]["name"] == "h100-sxm"
    assert data["settings"]["finetune"] == "lora"


def test_infer_json_contract(run: Run) -> None:
    data = json.loads(run("infer", "llama-2-7b", "--context", "4096", "--json").stdout)
    assert data["bytes"]["kv_cache"] == 2_147_483_648
    assert data["kv_cache_bytes_per_token"] == 524_288
    for key in ("fits", "max_context", "max_batch", "decode_tokens_per_s_bound", "settings"):
        assert key in data
    assert data["bytes"]["total"] == sum(v for k, v in data["bytes"].items() if k != "total")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def llama_2_7b_activations(
    seq: int = 4096,
    tp: int = 1,
    sp: bool = False,
    recompute: str = "none",
    flash: bool = True,
    held_layers: int = 32,
    head: bool = True,
    kv_width: int = 4096,
) -> int:
    """Korthikanti et al. 2022, Table 2, written out for a Llama block (h 4096, 32 heads, SwiGLU
    d_ff 11,008, vocab 32,000), bytes per sequence; independent of the engine's code."""
    h, heads, ff, vocab = 4096, 32, 11008, 32000
    if recompute == "full":
        per_layer = 2 * seq * h / (tp if sp else 1)  # only the layer input
    else:
        replicated = 2 * h + 2 * h + 2 * h + 2 * h + 2 * h  # two RMSNorm inputs, attention and MLP inputs, 2 masks
        sharded = 2 * (h + kv_width + kv_width + h) + 4 * 2 * ff  # Q, K, V, out; gate, up, act, product
        per_token = replicated / (tp if sp else 1) + sharded / tp
        if recompute == "none" and not flash:
            per_token += 5 * heads * seq / tp  # softmax, its dropout mask, and the dropout output
        per_layer = per_token * seq
    total = per_layer * held_layers + (4 * seq * (h + vocab) / tp if head else 0)
    assert total == int(total)
    return int(total)


P = LLAMA_2_7B
ACT = llama_2_7b_activations()
ATTENTION = 4 * 4096 * 4096 * 32  # QK^T and AV per token at 4,096: 2 x 2 x context x heads x head_dim x layers
FORWARD = 2 * (P - 32000 * 4096 - 65 * 4096) + ATTENTION  # matmul weights (no embedding, no norms) + attention
Check = Callable[[dict[str, Any], dict[str, Any]], None]


def states(weights: int, gradients: int, optimizer: int, activations: int = ACT) -> dict[str, int]:
    total = weights + gradients + optimizer + activations
    return {
        "weights": weights,
        "gradients": gradients,
        "optimizer": optimizer,
        "activations": activations,
        "total": total,
    }


def per_gpu(expected: dict[str, int]) -> Check:
    def check(data: dict[str, Any], base: dict[str, Any]) -> None:
        assert data["per_gpu_bytes"] == expected

    return check


def both(*checks: Check) -> Check:
    def check(data: dict[str, Any], base: dict[str, Any]) -> None:
        for c in checks:
            c(data, base)

    return check


def field(path: str, expected: object, approx: bool = False) -> Check:
    def check(data: dict[str, Any], base: dict[str, Any]) -> None:
        value: Any = data
        for key in path.split("."):
            value = value[key]
        assert value == (pytest.approx(expected, rel=1e-12) if approx else expected), path

    return check


def relative(path: str, factor: float) -> Check:
    """data[path] == factor x base[path]."""

    def check(data: dict[str, Any], base: dict[str, Any]) -> None:
        assert data[path] == pytest.approx(base[path] * factor, rel=1e-12), path

    return check


ZERO_3 = per_gpu(states(_ceil(2 * P, 8), _ceil(2 * P, 8), _ceil(12 * P, 8)))  # stage 3 shards all three
ZERO_2 = per_gpu(states(2 * P, _ceil(2 * P, 8), _ceil(12 * P, 8)))
KV_8 = 2 * 32 * 4096 * (4096 - 1024)  # k and v shrink from 4096 x 4096 to 4096 x 1024 in 32 layers
TRAIN_OPTIONS: list[tuple[list[str], Check]] = [
    (["--gpus", "8", "--zero", "3"], both(ZERO_3, field("settings.data_parallel", 8))),
    (["--gpus", "8", "--zero", "full-shard"], ZERO_3),
    (["--gpus", "8", "--zero", "2"], ZERO_2),
    (["--gpus", "8", "--zero", "shard-grad-op"], ZERO_2),
    (["--gpus", "8", "--zero", "1"], per_gpu(states(2 * P, 2 * P, _ceil(12 * P, 8)))),
    (
        ["--gpus", "8", "--tp", "8", "--sp"],
        per_gpu(states(_ceil(2 * P, 8), _ceil(2 * P, 8), _ceil(12 * P, 8), llama_2_7b_activations(tp=8, sp=True))),
    ),
    (
        ["--gpus", "8", "--pp", "4"],  # 8 layers a stage; the first holds 4 micro-batches of 8 layers, no head
        both(
            per_gpu(states(_ceil(2 * P, 4), _ceil(2 * P, 4), _ceil(12 * P, 4), llama_2_7b_activations(head=False))),
            field("pipeline", {"stages": 4, "layers_per_stage": [8, 8, 8, 8]}),
            field("settings.data_parallel", 2),
        ),
    ),
    (
        ["--micro-batch", "4"],
        both(per_gpu(states(2 * P, 2 * P, 12 * P, 4 * ACT)), field("activations_per_sample_bytes", ACT)),
    ),
    (
        ["--seq", "1024"],
        both(
            per_gpu(states(2 * P, 2 * P, 12 * P, llama_2_7b_activations(seq=1024))),
            field("settings.seq", 1024),
            field("training_flops", 3 * (FORWARD - ATTENTION * 3 // 4) * 2 * 10**12, approx=True),
        ),
    ),
    (["--precision", "fp32"], both(per_gpu(states(4 * P, 4 * P, 8 * P)), field("peak_flops_per_gpu", 989.5e12 / 2))),
    (["--precision", "fp16-mixed"], both(per_gpu(states(2 * P, 2 * P, 12 * P)), field("peak_flops_per_gpu", 989.5e12))),
    (["--precision", "fp8-mixed"], both(per_gpu(states(2 * P, 2 * P, 12 * P)), relative("days", 1 / 2))),
    (["--optimizer", "adamw-8bit"], per_gpu(states(2 * P, 2 * P, 6 * P))),
    (["--optimizer", "sgd-momentum"], per_gpu(states(2 * P, 2 * P, 8 * P))),
    # Adafactor: fp32 master copy + factored second moments: rows + cols per matrix (q, k, v, o:
    # 8,192; gate, up, down: 15,104; embedding and head: 36,096), the norms in full.
    (
        ["--optimizer", "adafactor"],
        per_gpu(states(2 * P, 2 * P, 4 * P + 4 * (32 * (4 * 8192 + 3 * 15104 + 2 * 4096) + 2 * 36096 + 4096))),
    ),
    (
        ["--recompute", "selective"],  # flash attention already keeps no scores: the same memory, + QK^T and AV again
        both(
            per_gpu(states(2 * P, 2 * P, 12 * P)),
            field("training_flops", (3 * FORWARD + ATTENTION) * 2 * 10**12, approx=True),
        ),
    ),
    (
        ["--recompute", "full"],
        both(
            per_gpu(states(2 * P, 2 * P, 12 * P, llama_2_7b_activations(recompute="full"))),
            field("training_flops", 4 * FORWARD * 2 * 10**12, approx=True),
        ),
    ),
    (["--no-flash-attention"], per_gpu(states(2 * P, 2 * P, 12 * P, llama_2_7b_activations(flash=False)))),
    (
        ["--tokens", "1T"],
        both(field("training_tokens", 10**12), field("tokens_source", "option"), relative("training_flops", 1 / 2)),
    ),
    (["--mfu", "0.5"], both(relative("days", 0.4 / 0.5), field("settings.mfu", 0.5))),
    (
        ["--finetune", "lora", "--lora-rank", "64", "--lora-targets", "all"],
        both(
            field("trainable_params", 32 * 64 * (4 * (4096 + 4096) + 3 * (4096 + 11008))),
            per_gpu(states(2 * (P + 159_907_840), 2 * 159_907_840, 12 * 159_907_840)),
            field("settings.lora_rank", 64),
            field("settings.lora_targets", "all"),
        ),
    ),
    (
        ["--gpu", "mi300x"],
        both(
            field("gpu.name", "mi300x"), field("usable_bytes", 172_800_000_000), field("peak_flops_per_gpu", 1307.4e12)
        ),
    ),
    (
        ["--gpu-memory", "48GB", "--gpu-flops", "150e12", "--gpu-bandwidth", "1TB/s"],
        both(
            field("gpu.label", "custom GPU, 48 GB"),
            field("usable_bytes", 43_200_000_000),
            field("peak_flops_per_gpu", 150e12),
            field("gpu.bandwidth_bytes_per_s", 10**12),
        ),
    ),
    (["--reserve", "0"], field("usable_bytes", 80 * 10**9)),
    (
        ["--set", "kv_heads=8"],
        both(
            field("params", P - KV_8),
            per_gpu(states(2 * (P - KV_8), 2 * (P - KV_8), 12 * (P - KV_8), llama_2_7b_activations(kv_width=1024))),
        ),
    ),
]


@functools.cache
def _base_json(command: str, model: str) -> dict[str, Any]:
    """The figures without options, which the option cases compare against (computed once)."""
    from typer.testing import CliRunner

    from paramcalc.cli import app

    data: dict[str, Any] = json.loads(CliRunner().invoke(app, [command, model, "--json"]).stdout)
    return data


def test_train_base_figures(run: Run) -> None:
    data = json.loads(run("train", "llama-2-7b", "--json").stdout)
    assert data["per_gpu_bytes"] == states(2 * P, 2 * P, 12 * P)
    assert data["training_flops"] == pytest.approx(3 * FORWARD * 2 * 10**12, rel=1e-12)
    assert data["usable_bytes"] == 72 * 10**9 and data["fits"] is False and data["max_micro_batch"] == 0
    assert data["warnings"] == [] and data["pipeline"] == {"stages": 1, "layers_per_stage": [32]}


@pytest.mark.parametrize(("args", "check"), TRAIN_OPTIONS, ids=[" ".join(a) for a, _ in TRAIN_OPTIONS])
def test_train_options(run: Run, args: list[str], check: Check) -> None:
    result = run("train", "llama-2-7b", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout and result.stderr == ""
    check(json.loads(run("train", "llama-2-7b", "--json", *args).stdout), _base_json("train", "llama-2-7b"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--explain"], ["21.8 GB", "80.9 GB"]),  # the table wraps the sources at narrow widths
        (
            ["--explain", "--format", "markdown"],
            [
                "| activations per GPU | 21.8 GB | Korthikanti et al. 2022, Table 2: per layer",
                "Rajbhandari et al. 2020",
            ],
        ),
        (
            ["--format", "markdown"],
            ["### train Llama-2-7B", "| weights per GPU | 13.5 GB |", "| fits | no (57.6 GB short) |"],
        ),
        (["--format", "csv"], ["key,value", f"per_gpu_bytes.weights,{2 * P}", f"per_gpu_bytes.activations,{ACT}"]),
    ],
)
def test_train_text_formats(run: Run, args: list[str], expected: list[str]) -> None:
    result = run("train", "llama-2-7b", *args)
    assert result.exit_code == 0 and result.stderr == ""
    for text in expected:
        assert text in result.stdout


def test_train_options_change_the_numbers(run: Run) -> None:
    def per_gpu(*args: str) -> dict[str, int]:
        per_gpu: dict[str, int] = json.loads(run("train", "llama-2-7b", "--json", *args).stdout)["per_gpu_bytes"]
        return per_gpu

    base = per_gpu("--gpus", "8")
    assert per_gpu("--gpus", "8", "--zero", "1")["optimizer"] == -(-base["optimizer"] // 8)
    assert per_gpu("--gpus", "8", "--zero", "3")["weights"] == -(-base["weights"] // 8)
    assert per_gpu("--optimizer", "adamw-8bit")["optimizer"] == 6 * 6_738_415_616
    assert per_gpu("--precision", "fp32")["optimizer"] == 8 * 6_738_415_616
    assert per_gpu("--recompute", "full")["activations"] < base["activations"]
    assert per_gpu("--no-flash-attention")["activations"] > base["activations"]
    assert per_gpu("--micro-batch", "2")["activations"] == pytest.approx(2 * base["activations"], rel=1e-6)
    adafactor = per_gpu("--optimizer", "adafactor")["optimizer"]
    assert 4 * 6_738_415_616 < adafactor < 4.01 * 6_738_415_616  # master copy + factored moments


def test_train_csv_is_flat(run: Run) -> None:
    rows = dict(csv.reader(io.StringIO(run("train", "gpt2", "-f", "csv").stdout)))
    assert rows["key"] == "value" and int(rows["per_gpu_bytes.weights"]) == 2 * 124_439_808


# The engine names settings (gpus, tp, ...); the CLI shows them as flags, so each message is
# asserted from the setting on: "gpus: 8 is ..." reads "--gpus: 8 is ..." once mapped.
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "8", "--tp", "3"], "gpus: 8 is not a multiple of tp x pp = 3"),
        (["--gpus", "6", "--tp", "3"], "tp: 3 does not divide the 32 attention heads"),
        (["--gpus", "64", "--pp", "64"], "pp: 64 stages is more than the 32 layers"),
        (["--zero", "3"], "ZeRO stage 3 shards over data-parallel GPUs, and there is only one"),
        (["--gpus", "8", "--tp", "8", "--zero", "1"], "ZeRO stage 1 shards over data-parallel GPUs"),
        (["--sp"], "sp: sequence parallelism works with tensor parallelism"),
        (["--gpu", "a100-80gb", "--precision", "fp8-mixed"], "has no FP8 tensor cores"),
        (["--mfu", "1.5"], "mfu: must be from 0.001 to 1, not 1.5"),
        (["--reserve", "1"], "reserve: must be from 0 to 0.99, not 1"),
        (["--finetune", "lora", "--lora-rank", "0"], "--lora-rank: 0 is out of range: 1 to 1,000,000"),
        (["--zero", "4"], "'4' is not 0, 1, 2, 3"),
        (["--gpu", "h100"], "unknown GPU 'h100' (did you mean"),
        (["--gpu-memory", "lots"], "is not a size"),
        (["--gpu-flops", "-1"], "must be positive"),
        (["--precision", "int3"], "int3"),
        (["--gpus", "0"], "0"),
    ],
)
def test_train_bad_combinations(run: Run, args: list[str], message: str) -> None:
    result = run("train", "llama-2-7b", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in result.stderr


P3 = LLAMA_3_8B
KV = 131_072  # bytes per token: 2 x 32 layers x 8 KV heads x 128 x 2 bytes
ACT3 = 2 * (4096 + 2 * 14336)  # prefill working set per token: residual + SwiGLU gate and up, 2 bytes each
LOGITS = 4 * 128_256  # fp32 logits of the last position


def infer_bytes(batch: int = 1, context: int = 8192, weights: int = 2 * P3, kv: int = KV) -> dict[str, int]:
    kv_cache, activations = kv * context * batch, ACT3 * context * batch + LOGITS * batch
    return {
        "weights": weights,
        "kv_cache": kv_cache,
        "activations": activations,
        "total": weights + kv_cache + activations,
    }


def infer_figures(**expected: Any) -> Check:
    def check(data: dict[str, Any], base: dict[str, Any]) -> None:
        for path, value in expected.items():
            got: Any = data
            for key in path.split("__"):
                got = got[key]
            assert got == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), path

    return check


INFER_OPTIONS: list[tuple[list[str], Check]] = [
    (["--batch", "8"], infer_figures(bytes=infer_bytes(batch=8), settings__batch=8)),
    (
        ["--context", "32768"],  # rotary positions: allowed past the trained 8,192, with a warning
        infer_figures(
            bytes=infer_bytes(context=32768),
            warnings=[
                "context 32,768 is beyond Llama-3-8B's context of 8,192 tokens (rotary positions): "
                "the memory figures hold, but the model was not trained that long"
            ],
        ),
    ),
    (["--dtype", "int4"], infer_figures(bytes=infer_bytes(weights=P3 // 2), settings__kv_dtype="bf16")),
    (
        ["--dtype", "fp8", "--kv-dtype", "fp8"],
        infer_figures(bytes=infer_bytes(weights=P3, kv=KV // 2), kv_cache_bytes_per_token=KV // 2),
    ),
    (["--dtype", "int8"], infer_figures(bytes=infer_bytes(weights=P3), settings__kv_dtype="bf16")),
    (
        ["--gpu", "rtx-4090"],
        infer_figures(
            usable_bytes=21_600_000_000, decode_tokens_per_s_bound=1008e9 / (2 * P3 + KV * 8192), gpu__name="rtx-4090"
        ),
    ),
    (
        ["--gpus", "2"],
        # per GPU: half the weights, half the KV heads, the same 72 GB usable each
        infer_figures(
            usable_bytes=72 * 10**9,
            per_gpu=True,
            bytes__weights=P3,
            bytes__kv_cache=KV * 8192 // 2,
            decode_tokens_per_s_bound=2 * 3350e9 / (2 * P3 + KV * 8192),
        ),
    ),
    (["--reserve", "0.2"], infer_figures(usable_bytes=64 * 10**9)),
    (
        ["--gpu-memory", "24GiB"],  # a custom device: its bandwidth is unknown, not borrowed from the H100
        infer_figures(
            usable_bytes=24 * 2**30 * 9 // 10,
            decode_tokens_per_s_bound=None,
            gpu__label="custom GPU, 25.77 GB",
            warnings=["the decode bound needs gpu_bandwidth: the bandwidth of a custom GPU, 25.77 GB is not known"],
        ),
    ),
    (
        ["--set", "kv_heads=8"],  # Llama-3-8B has 8 KV heads already: only the name changes
        lambda data, base: None if {**data, "name": base["name"]} == base else pytest.fail("figures changed"),
    ),
]


def test_infer_base_figures(run: Run) -> None:
    data = json.loads(run("infer", "llama-3-8b", "--json").stdout)
    assert data["bytes"] == infer_bytes()
    assert data["usable_bytes"] == 72 * 10**9 and data["fits"] is True and data["warnings"] == []
    assert data["decode_tokens_per_s_bound"] == pytest.approx(3350e9 / (2 * P3 + KV * 8192), rel=1e-12)
    room = 72 * 10**9 - 2 * P3
    assert data["max_context"] == (room - LOGITS) // (KV + ACT3)
    assert data["max_batch"] == room // (8192 * (KV + ACT3) + LOGITS)


@pytest.mark.parametrize(("args", "check"), INFER_OPTIONS, ids=[" ".join(a) for a, _ in INFER_OPTIONS])
def test_infer_options(run: Run, args: list[str], check: Check) -> None:
    result = run("infer", "llama-3-8b", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout and all(line.startswith("paramcalc: warning: ") for line in result.stderr.splitlines())
    check(json.loads(run("infer", "llama-3-8b", "--json", *args).stdout), _base_json("infer", "llama-3-8b"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--explain"], ["16.1 GB at bf16", "1.07 GB at bf16"]),
        (
            ["--explain", "--format", "markdown"],
            ["| KV cache | 1.07 GB at bf16 | the sum of the layer kinds", "| 2 x kv_heads x head_dim per layer |"],
        ),
        (["--format", "markdown"], ["### infer Llama-3-8B", "| KV cache per token | 131,072 bytes |"]),
        (["--format", "csv"], ["key,value", f"bytes.weights,{2 * P3}", f"bytes.kv_cache,{KV * 8192}"]),
    ],
)
def test_infer_text_formats(run: Run, args: list[str], expected: list[str]) -> None:
    result = run("infer", "llama-3-8b", *args)
    assert result.exit_code == 0 and result.stderr == ""
    for text in expected:
        assert text in result.stdout


def test_infer_option_effects(run: Run) -> None:
    def get(*args: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(run("infer", "llama-3-8b", "--json", "--context", "8192", *args).stdout)
        return data

    base = get()
    assert get("--dtype", "int4")["bytes"]["weights"] == 8_030_261_248 // 2
    assert get("--kv-dtype", "fp8")["kv_cache_bytes_per_token"] == 65_536
    assert get("--batch", "4")["bytes"]["kv_cache"] == 4 * base["bytes"]["kv_cache"]
    assert get("--gpus", "2")["max_batch"] > base["max_batch"]
    mla = json.loads(run("infer", "deepseek-v3", "--json", "--gpus", "16", "--mla-cache", "full").stdout)
    latent = json.loads(run("infer", "deepseek-v3", "--json", "--gpus", "16").stdout)
    # per GPU: the expanded keys and values split by head (128 / 16), the latent is whole on each
    assert mla["kv_cache_bytes_per_token"] == 61 * 8 * (192 + 128) * 2
    assert latent["kv_cache_bytes_per_token"] == 61 * (512 + 64) * 2


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        ("bert-base", [], "an encoder model does not"),
        ("mlp-2-2-1", [], "an mlp model does not"),
        ("llama-3-8b", ["--dtype", "int3"], "int3"),
        ("llama-3-8b", ["--batch", "0"], "0"),
        ("llama-3-8b", ["--gpu", "tpu"], "unknown GPU 'tpu'"),
    ],
)
def test_infer_bad_input(run: Run, config: str, args: list[str], message: str) -> None:
    result = run("infer", config, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


def test_gpus_command(run: Run) -> None:
    assert "h100-sxm" in run("gpus").stdout
    rows = json.loads(run("gpus", "--json").stdout)
    assert {r["name"] for r in rows} >= {"a100-80gb", "mi300x"}
    assert all(r["source"] for r in rows)


# Issue 11: settings, units, devices, bounds -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "parse", "message"),
    [
        ("24", parse_bytes, "'24' has no unit (did you mean '24GB'?)"),
        ("2e9", parse_bytes, "did you mean '2e9B'?"),
        ("1e12", parse_rate, "did you mean '1e12B/s'?"),
        ("3.35", parse_rate, "did you mean '3.35GB/s'?"),
        ("24GB/s", parse_bytes, "a memory size has no /s"),
        ("24 furlongs", parse_bytes, "unknown unit 'furlongs'"),
        ("-1GB", parse_bytes, "must be positive"),
        ("1e999999999GB", parse_bytes, "out of range"),
        ("lots", parse_flops, "is not a FLOP/s figure"),
    ],
)
def test_units_need_a_unit(text: str, parse: Callable[[str], object], message: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse(text)
    assert message in str(info.value)


def test_units_are_exact() -> None:
    assert parse_bytes("24GB") == 24 * 10**9 and parse_bytes("80GiB") == 80 * 2**30
    assert parse_bytes("1e15B") == 10**15 and parse_bytes("1.000000000001PB") == 10**15 + 1000
    assert parse_rate("3.35TB/s") == 3_350_000_000_000 and parse_rate("936 GB/s") == 936 * 10**9
    assert parse_flops("150e12") == parse_flops("150TFLOPS") == parse_flops("150 TFLOP/s") == 150e12


def test_gpu_memory_without_a_unit_is_refused(run: Run) -> None:
    result = run("infer", "llama-3-8b", "--gpu-memory", "24")
    assert result.exit_code == 2 and result.stdout == ""
    assert "did you mean '24GB'?" in result.stderr


def test_resolve_gpu() -> None:
    assert resolve_gpu(None, None, None, None) == H100
    assert resolve_gpu("H100-SXM", None, None, None) == H100  # names are case-insensitive
    alone = resolve_gpu(None, "24GB", None, None)  # a custom device: figures it lacks are unknown
    assert (alone.label, alone.memory, alone.bandwidth, alone.bf16_flops) == (
        "custom GPU, 24 GB",
        24 * 10**9,
        None,
        None,
    )
    preset = resolve_gpu("rtx-4090", "48GB", None, None)  # a preset keeps its other figures
    assert preset.label == "NVIDIA GeForce RTX 4090 (custom figures)"
    assert (preset.memory, preset.bandwidth, preset.bf16_flops) == (48 * 10**9, 1008 * 10**9, 165.2e12)


@pytest.mark.parametrize(
    ("args", "problems"),
    [
        (
            ("h100", None, None, None),
            [("gpu", "unknown GPU 'h100' (did you mean 'h100-sxm' or 'h100-pcie' or 'h100-nvl'?)")],
        ),
        (("rtx4090", None, None, None), [("gpu", "unknown GPU 'rtx4090' (did you mean 'rtx-4090'?)")]),
        (
            (None, None, "150e12", None),
            [("gpu_memory", "a custom GPU needs its memory (48GB), or name a preset with gpu")],
        ),
        (
            ("tpu", "24", None, "fast"),
            [
                (
                    "gpu",
                    "unknown GPU 'tpu'; one of: v100-16gb, v100-32gb, t4, a10g, a100-40gb, a100-80gb, l4, l40s, "
                    "h100-sxm, h100-pcie, h100-nvl, h200, b200, gb200, a6000, rtx-3090, rtx-4090, rtx-5090, mi250x, "
                    "mi300x, mi325x, m2-pro, m2-max, m2-ultra, m3-pro, m3-max, m3-ultra, m4-pro, m4-max",
                ),
                (
                    "gpu_memory",
                    "'24' has no unit (did you mean '24GB'?); units: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB "
                    "(GB = 10^9 bytes, GiB = 2^30)",
                ),
                ("gpu_bandwidth", "'fast' is not a bandwidth (examples: 3.35TB/s, 80GiB)"),
            ],
        ),
        ((None, "1e300GB", None, None), [("gpu_memory", "a 310-digit number bytes is out of range: 1 MB to 1 PB")]),
        (("h100-sxm", None, "5e-324", None), [("gpu_flops", "5e-324 FLOP/s is out of range: 1e6 to 1e18")]),
    ],
)
def test_resolve_gpu_refuses(args: tuple[str | None, ...], problems: list[tuple[str, str]]) -> None:
    with pytest.raises(SettingError) as info:
        resolve_gpu(*args)
    assert info.value.problems == problems


def test_infer_takes_gpu_flops_for_prefill() -> None:
    gpu = infer_gpu(None, "24GB", "150e12", None)
    assert gpu.peak("bf16") == 150e12
    e = infer_estimate(analyze(paramcalc.load("gpt2")), InferSettings(gpu=gpu, context=1024))
    assert e.prefill_seconds is not None and e.decode_tokens_per_s is None  # no bandwidth: no decode figure


def test_custom_device_without_flops_or_bandwidth(run: Run) -> None:
    gpu = resolve_gpu(None, "24GB", None, None)
    train = train_estimate(analyze(paramcalc.load("gpt2")), TrainSettings(gpu=gpu))
    assert train.seconds is None and train.days is None and train.gpu_hours is None and train.peak_flops is None
    assert train.warnings == ("time needs gpu_flops: the FLOP/s of a custom GPU, 24 GB are not known",)
    assert train.fits and train.usable == 21_600_000_000  # the memory answer still stands
    infer = infer_estimate(analyze(paramcalc.load("llama-3-8b")), InferSettings(gpu=gpu))
    assert infer.decode_tokens_per_s_bound is None and "needs gpu_bandwidth" in infer.warnings[0]
    table = run("infer", "llama-3-8b", "--gpu-memory", "24GB")
    assert (
        table.exit_code == 0
        and "custom GPU, 24 GB" in table.stdout
        and "unknown (needs --gpu-bandwidth)" in table.stdout
    )
    assert "unknown (needs --gpu-flops)" in run("train", "gpt2", "--gpu-memory", "24GB").stdout


def test_pipeline_stages_split_as_evenly_as_possible() -> None:
    assert pipeline_stages(61, 16) == (4,) * 13 + (3,) * 3
    assert pipeline_stages(32, 4) == (8, 8, 8, 8) and pipeline_stages(5, 5) == (1,) * 5


def test_deepseek_v3_on_16_pipeline_stages(run: Run) -> None:
    # 61 layers on 16 stages: the first (fullest) stage holds 4 of 61 layers' states, and 16
    # micro-batches of its 4 layers under 1F1B.
    report = analyze(paramcalc.load("deepseek-v3"))
    config = report.config
    e = train_estimate(report, TrainSettings(gpu=H100, gpus=16, pp=16))
    assert e.layers_per_stage == (4,) * 13 + (3,) * 3
    assert e.weights == _ceil(2 * report.total * 4, 61) and e.optimizer == _ceil(12 * report.total * 4, 61)
    per_layer = layer_activation_bytes(config, config.context, 1, False, Recompute.none, True)
    assert e.activations_per_sample == _ceil((per_layer * 16 * 4).numerator, (per_layer * 16 * 4).denominator)
    result = run("train", "deepseek-v3", "--gpus", "16", "--pp", "16", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pipeline"] == {"stages": 16, "layers_per_stage": [4] * 13 + [3] * 3}
    assert "16 stages: 13 of 4 layers, 3 of 3" in run("train", "deepseek-v3", "--gpus", "16", "--pp", "16").stdout


def test_even_pipeline_keeps_its_numbers() -> None:
    report = analyze(paramcalc.load("llama-2-7b"))
    e = train_estimate(report, TrainSettings(gpu=H100, gpus=8, pp=4))
    assert (e.weights, e.gradients, e.optimizer) == (_ceil(2 * P, 4), _ceil(2 * P, 4), _ceil(12 * P, 4))
    assert e.activations == llama_2_7b_activations(head=False)


def test_lora_settings_without_lora_are_refused(run: Run) -> None:
    report = analyze(paramcalc.load("gpt2"))
    with pytest.raises(SettingError) as info:
        train_estimate(report, TrainSettings(gpu=H100, lora_rank=16, lora_targets=LoraTargets.all))
    assert [p for p, _ in info.value.problems] == ["lora_rank", "lora_targets"]
    result = run("train", "gpt2", "--lora-rank", "16")
    assert (
        result.exit_code == 2
        and result.stdout == ""
        and "--lora-rank: applies to LoRA fine-tuning only" in result.stderr
    )
    lora = train_estimate(report, TrainSettings(gpu=H100, finetune=Finetune.lora))  # 16 on attention by default
    assert (lora.lora_rank, lora.lora_targets) == (16, "attention")
    assert lora.trainable == lora_params(report.components, 16, LoraTargets.attention)


def test_context_beyond_the_model() -> None:
    gpt2, llama = analyze(paramcalc.load("gpt2")), analyze(paramcalc.load("llama-3-8b"))
    estimates: list[tuple[Any, Callable[[Any, Any], object]]] = [
        (InferSettings(gpu=H100, context=100_000), infer_estimate),
        (TrainSettings(gpu=H100, seq=2048), train_estimate),
    ]
    for settings, estimate_ in estimates:
        with pytest.raises(SettingError) as info:
            estimate_(gpt2, settings)
        setting, message = info.value.problems[0]
        assert setting in ("context", "seq") and "beyond GPT-2's 1,024 learned positions" in message
    assert infer_estimate(gpt2, InferSettings(gpu=H100, context=1024)).warnings == ()
    warned = infer_estimate(llama, InferSettings(gpu=H100, context=32768))
    assert warned.warnings and "beyond Llama-3-8B's context of 8,192 tokens" in warned.warnings[0]
    assert train_estimate(llama, TrainSettings(gpu=H100, seq=8192)).warnings == ()  # at the context: no warning
    long = train_estimate(analyze(paramcalc.load("llama-2-7b")), TrainSettings(gpu=H100, seq=8192))
    assert long.warnings and "seq 8,192 is beyond Llama-2-7B's context of 4,096 tokens" in long.warnings[0]


def test_infer_context_beyond_learned_positions_cli(run: Run) -> None:
    result = run("infer", "gpt2", "--context", "100000")
    assert result.exit_code == 2 and result.stdout == ""
    assert "context: 100,000 tokens is beyond GPT-2's 1,024 learned positions" in result.stderr


@pytest.mark.parametrize(
    ("command", "args", "setting"),
    [
        ("train", ["--mfu", "1e-320"], "mfu"),
        ("train", ["--gpu-flops", "5e-324", "--gpu", "h100-sxm"], "gpu_flops"),
        ("train", ["--gpu-flops", "1e300"], "gpu_flops"),
        ("train", ["--gpus", str(10**400)], "gpus"),
        ("train", ["--micro-batch", str(10**30)], "micro_batch"),
        ("train", ["--gpu-memory", "1e300GB"], "gpu_memory"),
        ("train", ["--gpu-memory", "1e30B"], "gpu_memory"),
        ("train", ["--seq", str(10**30)], "seq"),
        ("train", ["--tokens", "1e30"], "tokens"),
        ("train", ["--reserve", "nan"], "reserve"),
        ("train", ["--mfu", "inf"], "mfu"),
        ("infer", ["--batch", str(10**400)], "batch"),
        ("infer", ["--gpus", "1" + "0" * 30], "gpus"),
        ("infer", ["--gpu-memory", "1e300GB"], "gpu_memory"),
        ("infer", ["--gpu-bandwidth", "1e-300B/s", "--gpu", "h100-sxm"], "gpu_bandwidth"),
        ("infer", ["--context", str(10**30)], "context"),
        ("infer", ["--gpu-flops", "1e300"], "gpu_flops"),
    ],
)
def test_hostile_values_are_refused(run: Run, command: str, args: list[str], setting: str) -> None:
    model = "gpt2" if command == "train" else "llama-3-8b"
    result = run(command, model, "--json", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and f"{flag(setting)}: " in result.stderr  # the CLI names the flag
    assert "internal error" not in result.stderr and len(result.stderr) < 300


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"JSON holds {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "args",
    [
        ["--mfu", "0.001", "--gpu-flops", "1e6"],
        ["--gpu-memory", "1PB", "--gpu-flops", "1e18", "--gpus", "1000000", "--tp", "1000"],
        ["--tokens", "1e18", "--mfu", "0.001", "--gpu-flops", "1e6", "--gpu-memory", "1MB"],
    ],
)
def test_extreme_train_values_give_finite_json(run: Run, args: list[str]) -> None:
    result = run("train", "gpt2", "--json", *args)
    if result.exit_code == 0:
        data = _strict_json(result.stdout)
        assert all(isinstance(v, int) for v in data["per_gpu_bytes"].values())
    else:
        assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize("model", ["gpt2", "llama-2-7b", "mixtral-8x7b", "t5-small", "deepseek-v3"])
@pytest.mark.parametrize("memory", ["24GB", "80GB", "7GiB", "1PB", "999999999999999B"])
def test_max_micro_batch_is_exact(model: str, memory: str) -> None:
    # Bytes are ints: the largest micro-batch fits and one more does not, up to 1 PB per GPU.
    report = analyze(paramcalc.load(model))
    seq = min(report.config.context, 2048)
    gpu = resolve_gpu("h100-sxm", memory, None, None)
    e = train_estimate(report, TrainSettings(gpu=gpu, seq=seq, reserve=0.07))
    assert isinstance(e.usable, int) and isinstance(e.activations_per_sample, int)
    assert e.usable == parse_bytes(memory) * 93 // 100
    if e.max_micro_batch:
        at = train_estimate(report, TrainSettings(gpu=gpu, seq=seq, reserve=0.07, micro_batch=e.max_micro_batch))
        assert at.fits
    over = train_estimate(report, TrainSettings(gpu=gpu, seq=seq, reserve=0.07, micro_batch=e.max_micro_batch + 1))
    assert not over.fits


def test_gpu_datasheets_are_data() -> None:
    from paramcalc.catalog import presets_dir

    entries = json.loads((presets_dir() / "gpus.json").read_text(encoding="utf-8"))["gpus"]
    assert [e["name"] for e in entries] == list(GPUS)
    assert all(e["source"] for e in entries)
    assert GPUS["h100-sxm"].bf16_flops == 989.5e12 and GPUS["h100-sxm"].memory == 80 * 10**9


def test_enums_serialise_as_their_strings() -> None:
    assert json.dumps([Precision.bf16_mixed, Recompute.full, Finetune.lora]) == '["bf16-mixed", "full", "lora"]'
