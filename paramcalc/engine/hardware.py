"""Accelerators: the presets of configs/gpus.json, and devices described by the user's own figures.

All preset figures are dense (without structured sparsity), as vendors print them or half their
"with sparsity" figure. Memory in bytes, taking the vendor's "80GB" as 80 x 10**9: the parts hold
about 7% more (80 GiB), which this leaves as headroom on top of the reserve. FLOP/s per GPU;
bandwidth in bytes/s. GeForce figures are with FP32 accumulation, as training uses. TF32 (what
"fp32" training runs on tensor cores) is half the BF16 peak on every GPU listed here, as their
datasheets show. Each preset cites its datasheet in configs/gpus.json.

Parts without BF16 (V100, T4) carry their FP16 tensor figure as the 16-bit peak, marked
`half_precision = "fp16"`. Apple M-series presets are `kind = "unified"`: memory shared with the
CPU, the largest configuration of the chip (give yours with gpu_memory), and no FLOP/s (Apple
publishes none and the GPUs have no BF16 tensor units), so their 16-bit peak is unknown (None).

A custom device (figures given, no preset named) knows only what it was given: a figure it lacks
is None (unknown), never borrowed from a preset, and the estimate that needs it says so.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from paramcalc.errors import SettingError, suggest

GB = 10**9
TB = 10**12
TFLOPS = 10**12
DATASHEETS = "gpus.json"
# Bounds on a device's figures, so that no estimate can overflow or divide by a denormal:
MEMORY_RANGE = (10**6, 10**15)  # bytes: 1 MB to 1 PB
BANDWIDTH_RANGE = (10**6, 10**15)  # bytes/s: 1 MB/s to 1 PB/s
FLOPS_RANGE = (10**6, 10**18)  # FLOP/s: 1 MFLOP/s to 1 EFLOP/s
CUSTOM = "custom"


class Gpu(NamedTuple):
    name: str
    label: str
    memory: int  # bytes
    bf16_flops: float | None  # dense BF16/FP16 tensor FLOP/s; None: unknown (a custom device)
    fp8_flops: float | None  # dense FP8 tensor FLOP/s, None where the GPU has no FP8 (or unknown)
    bandwidth: float | None  # bytes/s; None: unknown (a custom device)
    source: str
    half_precision: str = "bf16"  # the 16-bit type bf16_flops is measured in: "fp16" on parts without BF16
    kind: str = "gpu"  # "gpu" (its own memory) or "unified" (memory shared with the CPU: Apple M-series)
    note: str = ""  # what else to know (a unified part's memory share, an A10G's borrowed figure)

    @property
    def tf32_flops(self) -> float | None:
        return None if self.bf16_flops is None else self.bf16_flops / 2

    def peak(self, precision: str) -> float | None:
        """Dense peak for a training precision or a weight dtype; None if unsupported or unknown."""
        if precision.startswith("fp8"):
            return self.fp8_flops
        if precision == "fp32":
            return self.tf32_flops
        return self.bf16_flops

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label,
            "memory_bytes": self.memory,
            "bf16_flops": self.bf16_flops,
            "fp8_flops": self.fp8_flops,
            "bandwidth_bytes_per_s": self.bandwidth,
            "source": self.source,
            "half_precision": self.half_precision,
            "kind": self.kind,
            "note": self.note,
        }


def _preset(entry: dict[str, Any]) -> Gpu:
    """One configs/gpus.json entry. A part without BF16 (bf16_tflops null) takes its fp16_tflops as the
    16-bit peak, marked half_precision "fp16"; with neither (Apple M-series) the peak is unknown."""
    fp8, bf16, fp16 = entry["fp8_tflops"], entry["bf16_tflops"], entry.get("fp16_tflops")
    half = bf16 if bf16 is not None else fp16
    note = "; ".join(n for n in (entry.get("note"), entry.get("system_memory_note")) if n)
    return Gpu(
        name=entry["name"],
        label=entry["label"],
        memory=entry["memory_gb"] * GB,
        bf16_flops=None if half is None else half * TFLOPS,
        fp8_flops=None if fp8 is None else fp8 * TFLOPS,
        bandwidth=entry["bandwidth_gb_s"] * GB,
        source=entry["source"],
        half_precision="fp16" if bf16 is None and fp16 is not None else "bf16",
        kind=entry.get("kind", "gpu"),
        note=note,
    )


def _entries() -> list[dict[str, Any]]:
    import json

    from paramcalc.catalog import presets_dir

    entries: list[dict[str, Any]] = json.loads((presets_dir() / DATASHEETS).read_text(encoding="utf-8"))["gpus"]
    return entries


@functools.cache
def presets() -> dict[str, Gpu]:
    """The GPU presets by name, read from configs/gpus.json on first use."""
    return {g.name: g for g in map(_preset, _entries())}


@functools.cache
def aliases() -> dict[str, str]:
    """Other names a preset answers to (configs/gpus.json `aliases`), each to its preset's name."""
    return {alias: e["name"] for e in _entries() for alias in e.get("aliases", ())}


def __getattr__(name: str) -> dict[str, Gpu]:
    if name == "GPUS":  # `from paramcalc.engine.hardware import GPUS`: the presets, loaded lazily
        return presets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def custom(base: Gpu, memory: int | None, flops: float | None, bandwidth: float | None) -> Gpu:
    """Preset `base` with the figures the user gave (gpu_memory, gpu_flops, gpu_bandwidth); the
    preset's other figures are kept."""
    if memory is None and flops is None and bandwidth is None:
        return base
    return base._replace(
        name=f"{base.name}+custom",
        label=f"{base.label} (custom figures)",
        memory=base.memory if memory is None else memory,
        bf16_flops=base.bf16_flops if flops is None else flops,
        fp8_flops=base.fp8_flops if flops is None else flops,
        bandwidth=base.bandwidth if bandwidth is None else bandwidth,
        source=f"{base.source}; overridden on the command line",
    )


def custom_device(memory: int, flops: float | None, bandwidth: float | None) -> Gpu:
    """A device known only by the user's figures: what it lacks stays unknown (None)."""
    return Gpu(
        name=CUSTOM,
        label=f"custom GPU, {memory / GB:,.4g} GB",
        memory=memory,
        bf16_flops=flops,
        fp8_flops=flops,
        bandwidth=bandwidth,
        source="figures given by the user",
    )


def usable_bytes(memory: int, reserve: float) -> int:
    """memory x (1 - reserve), exactly, rounded down: the reserve read as the decimal it was typed
    as (0.1 is a tenth, not the binary float just above it)."""
    from fractions import Fraction

    kept = 1 - Fraction(str(reserve))
    return memory * kept.numerator // kept.denominator


def lookup(name: str) -> Gpu:
    """A preset by name, case-insensitively; SettingError naming `gpu` with the presets it could be."""
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    known = presets()
    if key in known:
        return known[key]
    if key in aliases():
        return known[aliases()[key]]
    partial = [n for n in known if key and (n.startswith(key) or key in n)]
    if partial:
        hint = " (did you mean " + " or ".join(f"'{n}'" for n in partial) + "?)"
    else:
        hint = suggest(key, known) or f"; one of: {', '.join(known)}"
    raise SettingError([("gpu", f"unknown GPU '{name}'{hint}")])


def amount(n: float) -> str:
    """A number for a message: 1,000,000 in full, 10**400 as "a 401-digit number"."""
    if isinstance(n, int):
        if abs(n) < 10**18:
            return f"{n:,}"
        return f"a {len(str(abs(n))) if n.bit_length() < 14_000 else 'huge'}-digit number"
    short = f"{n:g}"
    return min(short, repr(n), key=len) if float(short) == n else repr(n)


def _out_of(value: float, bounds: tuple[int, int]) -> bool:
    return not bounds[0] <= value <= bounds[1]


def gpu_problems(gpu: Gpu) -> list[tuple[str, str]]:
    """The device's figures that fall outside the stated ranges, as (setting, message)."""
    problems = []
    if _out_of(gpu.memory, MEMORY_RANGE):
        problems.append(("gpu_memory", f"{amount(gpu.memory)} bytes is out of range: 1 MB to 1 PB"))
    if gpu.bandwidth is not None and _out_of(gpu.bandwidth, BANDWIDTH_RANGE):
        problems.append(("gpu_bandwidth", f"{amount(gpu.bandwidth)} bytes/s is out of range: 1 MB/s to 1 PB/s"))
    bad = [f for f in (gpu.bf16_flops, gpu.fp8_flops) if f is not None and _out_of(f, FLOPS_RANGE)]
    if bad:
        problems.append(("gpu_flops", f"{amount(bad[0])} FLOP/s is out of range: 1e6 to 1e18"))
    return problems


def resolve_gpu(name: str | None, memory: str | None, flops: str | None, bandwidth: str | None) -> Gpu:
    """The device train and infer run on, from the user's settings as typed (None: not given).

    - nothing given: the h100-sxm preset;
    - a preset name: that preset, with any figure given replacing its own ("(custom figures)");
    - figures without a name: a custom device, which needs at least its memory; the FLOP/s and
      bandwidth it is not given stay unknown (train's time and infer's decode bound then say so).
    Every problem at once, as a SettingError naming gpu, gpu_memory, gpu_flops, gpu_bandwidth.
    """
    from paramcalc.units import parse_bytes, parse_flops, parse_rate

    problems: list[tuple[str, str]] = []
    base = None
    if name is not None:
        try:
            base = lookup(name)
        except SettingError as exc:
            problems += exc.problems
    parsed: dict[str, Any] = {}
    for setting, text, parse in (
        ("gpu_memory", memory, parse_bytes),
        ("gpu_flops", flops, parse_flops),
        ("gpu_bandwidth", bandwidth, parse_rate),
    ):
        if text is not None:
            try:
                parsed[setting] = parse(text)
            except ValueError as exc:
                problems.append((setting, str(exc)))
    if problems:
        raise SettingError(problems)
    mem, fl, bw = parsed.get("gpu_memory"), parsed.get("gpu_flops"), parsed.get("gpu_bandwidth")
    if base is not None:
        gpu = custom(base, mem, fl, bw)
    elif mem is not None:
        gpu = custom_device(mem, fl, bw)
    elif fl is None and bw is None:
        return presets()["h100-sxm"]
    else:
        raise SettingError([("gpu_memory", "a custom GPU needs its memory (48GB), or name a preset with gpu")])
    problems = gpu_problems(gpu)
    if problems:
        raise SettingError(problems)
    return gpu
