"""The device presets of configs/gpus.json: every entry sourced and within sane bounds, the names people
type (t4, a10g, rtx-5090, m4-max, ...), parts without BF16 marked, and Apple's unified memory."""

from __future__ import annotations

import json

import pytest

from paramcalc.catalog import presets_dir
from paramcalc.engine import hardware
from paramcalc.engine.hardware import GB, TFLOPS, lookup, presets, resolve_gpu
from paramcalc.errors import SettingError

ENTRIES = json.loads((presets_dir() / "gpus.json").read_text(encoding="utf-8"))["gpus"]
BRIEF = (  # issue 15 "Devices": the cards people own and rent
    "t4 l4 a10g a6000 l40s rtx-3090 rtx-4090 rtx-5090 v100-16gb v100-32gb a100-40gb a100-80gb h100-pcie h100-sxm "
    "h100-nvl h200 b200 gb200 mi250x mi300x mi325x m2-pro m2-max m2-ultra m3-pro m3-max m3-ultra m4-pro m4-max"
).split()
KEYS = {"name", "label", "memory_gb", "bf16_tflops", "fp8_tflops", "bandwidth_gb_s", "source"}
OPTIONAL = {"fp16_tflops", "kind", "memory_options_gb", "system_memory_note", "aliases", "note"}


def test_every_card_of_the_issue_is_a_preset() -> None:
    assert set(BRIEF) <= set(presets())
    assert [e["name"] for e in ENTRIES] == list(presets())


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_entry_is_sourced_and_sane(entry: dict[str, object]) -> None:
    assert KEYS <= set(entry) and set(entry) <= KEYS | OPTIONAL
    assert isinstance(entry["source"], str) and len(entry["source"]) > 20
    gpu = presets()[str(entry["name"])]
    assert 8 * GB <= gpu.memory <= 1000 * GB
    assert gpu.bandwidth is not None and 100 * GB <= gpu.bandwidth <= 20_000 * GB
    if gpu.kind == "unified":  # Apple: no published FLOP/s, the largest memory configuration, a note on sharing it
        assert gpu.bf16_flops is None and gpu.fp8_flops is None
        options = entry["memory_options_gb"]
        assert isinstance(options, list) and gpu.memory == max(options) * GB and options == sorted(options)
        assert "--gpu-memory" in str(entry["system_memory_note"]) and "publishes no FLOP/s" in gpu.note
    else:
        assert gpu.kind == "gpu" and gpu.bf16_flops is not None
        assert 50 * TFLOPS <= gpu.bf16_flops <= 5000 * TFLOPS
        # bandwidth below 16-bit peak / 10 FLOP per byte would be a unit slip
        assert gpu.bf16_flops / gpu.bandwidth > 10
        if gpu.fp8_flops is not None:  # FP8 is twice the 16-bit rate on every part listed (L40S: 733 / 362.05)
            assert gpu.fp8_flops == pytest.approx(2 * gpu.bf16_flops, rel=0.02)


@pytest.mark.parametrize(
    ("name", "memory", "flops", "bandwidth", "half"),
    [  # the datasheet figures, dense
        ("t4", 16, 65, 320, "fp16"),
        ("v100-16gb", 16, 125, 900, "fp16"),
        ("v100-32gb", 32, 125, 900, "fp16"),
        ("l4", 24, 121, 300, "bf16"),
        ("a10g", 24, 125, 600, "bf16"),
        ("a6000", 48, 154.8, 768, "bf16"),
        ("rtx-5090", 32, 209.5, 1792, "bf16"),
        ("h100-nvl", 94, 835.5, 3900, "bf16"),
        ("gb200", 186, 2500, 8000, "bf16"),
        ("mi250x", 128, 383, 3276.8, "bf16"),
        ("mi325x", 256, 1307.4, 6000, "bf16"),
    ],
)
def test_datasheet_figures(name: str, memory: int, flops: float, bandwidth: float, half: str) -> None:
    gpu = lookup(name)
    assert (gpu.memory, gpu.bf16_flops, gpu.bandwidth, gpu.half_precision) == (
        memory * GB,
        flops * TFLOPS,
        bandwidth * GB,
        half,
    )


def test_parts_without_bf16_say_so() -> None:
    for name in ("t4", "v100-16gb", "v100-32gb"):
        entry = next(e for e in ENTRIES if e["name"] == name)
        assert entry["bf16_tflops"] is None and entry["fp16_tflops"] is not None and "no BF16" in entry["source"]
        assert lookup(name).to_dict()["half_precision"] == "fp16" and lookup(name).fp8_flops is None


@pytest.mark.parametrize(
    ("name", "memory", "bandwidth"),
    [  # Apple newsroom: the largest configuration and its bandwidth
        ("m2-pro", 32, 200),
        ("m2-max", 96, 400),
        ("m2-ultra", 192, 800),
        ("m3-pro", 36, 150),
        ("m3-max", 128, 400),
        ("m3-ultra", 512, 819),
        ("m4-pro", 64, 273),
        ("m4-max", 128, 546),
    ],
)
def test_apple_unified_memory(name: str, memory: int, bandwidth: int) -> None:
    gpu = lookup(name)
    assert (gpu.kind, gpu.memory, gpu.bandwidth) == ("unified", memory * GB, bandwidth * GB)
    mine = resolve_gpu(name, "36GB", None, None)  # --gpu-memory overrides the largest configuration
    assert mine.memory == 36 * GB and mine.bandwidth == gpu.bandwidth and mine.kind == "unified"


@pytest.mark.parametrize(
    ("typed", "preset"),
    [
        ("T4", "t4"),
        ("RTX-A6000", "a6000"),
        ("5090", "rtx-5090"),
        ("4090", "rtx-4090"),
        ("3090", "rtx-3090"),
        ("M4 Max", "m4-max"),
        ("gb200", "gb200"),
        ("MI325X", "mi325x"),
    ],
)
def test_names_as_people_type_them(typed: str, preset: str) -> None:
    assert lookup(typed).name == preset


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("h100", "unknown GPU 'h100' (did you mean 'h100-sxm' or 'h100-pcie' or 'h100-nvl'?)"),
        ("v100", "unknown GPU 'v100' (did you mean 'v100-16gb' or 'v100-32gb'?)"),
        ("m3", "unknown GPU 'm3' (did you mean 'm3-pro' or 'm3-max' or 'm3-ultra'?)"),
    ],
)
def test_ambiguous_names_suggest_all(typed: str, message: str) -> None:
    with pytest.raises(SettingError) as info:
        lookup(typed)
    assert info.value.problems == [("gpu", message)]


def test_aliases_point_at_presets() -> None:
    assert set(hardware.aliases().values()) <= set(presets())
    assert not set(hardware.aliases()) & set(presets())  # an alias never shadows a preset name
