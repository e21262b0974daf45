"""`train`, `infer` and `gpus`: facts from the papers, and every option through the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest

import paramcalc
from paramcalc.engine import analyze
from paramcalc.engine.hardware import GPUS
from paramcalc.engine.inference import InferSettings, kv_bytes_per_token
from paramcalc.engine.inference import estimate as infer_estimate
from paramcalc.engine.training import TrainSettings, layer_activation_bytes, lora_params, model_states
from paramcalc.engine.training import estimate as train_estimate

H100 = GPUS["h100-sxm"]


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
    # Rajbhandari et al. 2020, Figure 1: 7.5B parameters, mixed-precision Adam (K = 12), 64 GPUs.
    total = sum(model_states(7_500_000_000, "bf16-mixed", "adamw", stage, 64))
    assert round(total / 1e9, 1) == gb


def test_narayanan_gpt3_days() -> None:
    # Narayanan et al. 2021, Section 5.1: GPT-3 175B on 1024 A100s at 140 TFLOP/s each, 300B
    # tokens, full recomputation (8TP/(nX)): about 34 days.
    gpu = GPUS["a100-80gb"]._replace(bf16_flops=140e12)
    settings = TrainSettings(gpu=gpu, gpus=1024, tp=8, pp=16, recompute="full", mfu=1.0, tokens=300 * 10**9)
    e = train_estimate(analyze(paramcalc.load("gpt3-175b")), settings)
    assert 33 < e.days < 36
    eight_tp = 8 * 300e9 * 174.6e9 / (1024 * 140e12) / 86400
    assert abs(e.days - eight_tp) / eight_tp < 0.04  # ours adds the attention products and head
    no_recompute = train_estimate(analyze(paramcalc.load("gpt3-175b")), settings._replace(recompute="none"))
    assert no_recompute.days == pytest.approx(e.days * 3 / 4)


def test_lora_trainable_params() -> None:
    # LoRA (Hu et al. 2021) rank 16 on q, k, v, o of Llama-2-7B: 32 x 4 x 16 x (4096 + 4096).
    report = analyze(paramcalc.load("llama-2-7b"))
    assert lora_params(report.components, 16, "attention") == 16_777_216
    # rank 8 on q and v only is the widely quoted 4,194,304: q and v are half of the four.
    assert lora_params(report.components, 8, "attention") // 2 == 4_194_304


def test_lora_memory_has_frozen_weights_only() -> None:
    report = analyze(paramcalc.load("llama-2-7b"))
    e = train_estimate(report, TrainSettings(gpu=H100, finetune="lora", lora_rank=16, seq=2048))
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
    for gpu in GPUS.values():
        assert gpu.source and gpu.memory >= 24e9 and gpu.bf16_flops > 50e12 and gpu.bandwidth > 500e9
    assert GPUS["h100-sxm"].fp8_flops == pytest.approx(2 * GPUS["h100-sxm"].bf16_flops, rel=1e-3)
    assert GPUS["a100-80gb"].fp8_flops is None


# CLI ---------------------------------------------------------------------------------------


def test_train_json_contract(run) -> None:  # type: ignore[no-untyped-def]
    result = run("train", "llama-2-7b", "--json", "--finetune", "lora", "--seq", "2048")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["per_gpu_bytes"]) == {"weights", "gradients", "optimizer", "activations", "total"}
    assert sum(v for k, v in data["per_gpu_bytes"].items() if k != "total") == data["per_gpu_bytes"]["total"]
    for key in ("gpu", "fits", "max_micro_batch", "training_flops", "days", "gpu_hours", "settings"):
        assert key in data
    assert data["fits"] is True and data["gpu"]["name"] == "h100-sxm"
    assert data["settings"]["finetune"] == "lora"


def test_infer_json_contract(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("infer", "llama-2-7b", "--context", "4096", "--json").stdout)
    assert data["bytes"]["kv_cache"] == 2_147_483_648
    assert data["kv_cache_bytes_per_token"] == 524_288
    for key in ("fits", "max_context", "max_batch", "decode_tokens_per_s_bound", "settings"):
        assert key in data
    assert data["bytes"]["total"] == sum(v for k, v in data["bytes"].items() if k != "total")


@pytest.mark.parametrize(
    "args",
    [
        ["--gpus", "8", "--zero", "3"],
        ["--gpus", "8", "--zero", "full-shard"],
        ["--gpus", "8", "--zero", "2"],
        ["--gpus", "8", "--zero", "shard-grad-op"],
        ["--gpus", "8", "--zero", "1"],
        ["--gpus", "8", "--tp", "8", "--sp"],
        ["--gpus", "8", "--pp", "4"],
        ["--micro-batch", "4"],
        ["--seq", "1024"],
        ["--precision", "fp32"],
        ["--precision", "fp16-mixed"],
        ["--precision", "fp8-mixed"],
        ["--optimizer", "adamw-8bit"],
        ["--optimizer", "sgd-momentum"],
        ["--optimizer", "adafactor"],
        ["--recompute", "selective"],
        ["--recompute", "full"],
        ["--no-flash-attention"],
        ["--tokens", "1T"],
        ["--mfu", "0.5"],
        ["--finetune", "lora", "--lora-rank", "64", "--lora-targets", "all"],
        ["--gpu", "mi300x"],
        ["--gpu-memory", "48GB", "--gpu-flops", "150e12", "--gpu-bandwidth", "1e12"],
        ["--reserve", "0"],
        ["--set", "kv_heads=8"],
        ["--explain"],
        ["--format", "markdown"],
        ["--format", "csv"],
    ],
)
def test_train_options(run, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run("train", "llama-2-7b", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout and result.stderr == ""


def test_train_options_change_the_numbers(run) -> None:  # type: ignore[no-untyped-def]
    def per_gpu(*args: str) -> dict[str, int]:
        return json.loads(run("train", "llama-2-7b", "--json", *args).stdout)["per_gpu_bytes"]

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


def test_train_csv_is_flat(run) -> None:  # type: ignore[no-untyped-def]
    rows = dict(csv.reader(io.StringIO(run("train", "gpt2", "-f", "csv").stdout)))
    assert rows["key"] == "value" and int(rows["per_gpu_bytes.weights"]) == 2 * 124_439_808


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "8", "--tp", "3"], "--gpus 8 is not a multiple of --tp x --pp = 3"),
        (["--gpus", "6", "--tp", "3"], "--tp 3 does not divide the 32 attention heads"),
        (["--gpus", "6", "--pp", "3"], "--pp 3 does not divide the 32 layers"),
        (["--zero", "3"], "ZeRO stage 3 shards over data-parallel GPUs, and there is only one"),
        (["--gpus", "8", "--tp", "8", "--zero", "1"], "ZeRO stage 1 shards over data-parallel GPUs"),
        (["--sp"], "--sp (sequence parallelism) works with tensor parallelism"),
        (["--gpu", "a100-80gb", "--precision", "fp8-mixed"], "has no FP8 tensor cores"),
        (["--mfu", "1.5"], "--mfu must be in (0, 1]"),
        (["--reserve", "1"], "--reserve must be in [0, 1)"),
        (["--finetune", "lora", "--lora-rank", "0"], "--lora-rank must be at least 1"),
        (["--zero", "4"], "'4' is not 0, 1, 2, 3"),
        (["--gpu", "h100"], "unknown GPU 'h100' (did you mean"),
        (["--gpu-memory", "lots"], "is not a size"),
        (["--gpu-flops", "-1"], "must be positive"),
        (["--precision", "int3"], "int3"),
        (["--gpus", "0"], "0"),
    ],
)
def test_train_bad_combinations(run, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("train", "llama-2-7b", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--batch", "8"],
        ["--context", "32768"],
        ["--dtype", "int4"],
        ["--dtype", "fp8", "--kv-dtype", "fp8"],
        ["--dtype", "int8"],
        ["--gpu", "rtx-4090"],
        ["--gpus", "2"],
        ["--reserve", "0.2"],
        ["--explain"],
        ["--gpu-memory", "24GiB"],
        ["--format", "markdown"],
        ["--format", "csv"],
        ["--set", "kv_heads=8"],
    ],
)
def test_infer_options(run, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run("infer", "llama-3-8b", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout and result.stderr == ""


def test_infer_option_effects(run) -> None:  # type: ignore[no-untyped-def]
    def get(*args: str) -> dict[str, object]:
        return json.loads(run("infer", "llama-3-8b", "--json", "--context", "8192", *args).stdout)

    base = get()
    assert get("--dtype", "int4")["bytes"]["weights"] == 8_030_261_248 // 2  # type: ignore[index]
    assert get("--kv-dtype", "fp8")["kv_cache_bytes_per_token"] == 65_536
    assert get("--batch", "4")["bytes"]["kv_cache"] == 4 * base["bytes"]["kv_cache"]  # type: ignore[index]
    assert get("--gpus", "2")["max_batch"] > base["max_batch"]  # type: ignore[operator]
    mla = json.loads(run("infer", "deepseek-v3", "--json", "--gpus", "16", "--mla-cache", "full").stdout)
    latent = json.loads(run("infer", "deepseek-v3", "--json", "--gpus", "16").stdout)
    assert mla["kv_cache_bytes_per_token"] > 50 * latent["kv_cache_bytes_per_token"]


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        ("bert-base", [], "an encoder does not"),
        ("mlp-2-2-1", [], "an mlp does not"),
        ("llama-3-8b", ["--dtype", "int3"], "int3"),
        ("llama-3-8b", ["--batch", "0"], "0"),
        ("llama-3-8b", ["--gpu", "tpu"], "unknown GPU 'tpu'"),
    ],
)
def test_infer_bad_input(run, config: str, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("infer", config, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr


def test_gpus_command(run) -> None:  # type: ignore[no-untyped-def]
    assert "h100-sxm" in run("gpus").stdout
    rows = json.loads(run("gpus", "--json").stdout)
    assert {r["name"] for r in rows} >= {"a100-80gb", "mi300x"}
    assert all(r["source"] for r in rows)
