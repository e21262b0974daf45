"""Accelerator presets: memory, dense peak FLOP/s and memory bandwidth, from vendor datasheets.

All figures are dense (without structured sparsity), as vendors print them or half their
"with sparsity" figure. Memory in bytes, taking the vendor's "80GB" as 80 x 10**9: the parts hold
about 7% more (80 GiB), which this leaves as headroom on top of --reserve. FLOP/s per GPU;
bandwidth in bytes/s. GeForce figures are with FP32 accumulation, as training uses. TF32 (what
"fp32" training runs on tensor cores) is half the BF16 peak on every GPU listed here, as their
datasheets show.
"""

from __future__ import annotations

from typing import NamedTuple

GB = 10**9
TB = 10**12
TFLOPS = 10**12


class Gpu(NamedTuple):
    name: str
    label: str
    memory: int  # bytes
    bf16_flops: float  # dense BF16/FP16 tensor FLOP/s
    fp8_flops: float | None  # dense FP8 tensor FLOP/s, None where the GPU has no FP8
    bandwidth: float  # bytes/s
    source: str

    @property
    def tf32_flops(self) -> float:
        return self.bf16_flops / 2

    def peak(self, precision: str) -> float | None:
        """Dense peak for a training precision or a weight dtype; None if unsupported."""
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
        }


GPUS: dict[str, Gpu] = {
    g.name: g
    for g in (
        Gpu(
            "a100-40gb",
            "NVIDIA A100 40GB SXM",
            40 * GB,
            312 * TFLOPS,
            None,
            1555 * GB,
            "NVIDIA A100 Tensor Core GPU Datasheet (BF16 312 dense / 624 sparse)",
        ),
        Gpu(
            "a100-80gb",
            "NVIDIA A100 80GB SXM",
            80 * GB,
            312 * TFLOPS,
            None,
            2039 * GB,
            "NVIDIA A100 Tensor Core GPU Datasheet (BF16 312 dense / 624 sparse)",
        ),
        Gpu(
            "h100-sxm",
            "NVIDIA H100 SXM",
            80 * GB,
            989.5 * TFLOPS,
            1979 * TFLOPS,
            3350 * GB,
            "NVIDIA H100 Tensor Core GPU Datasheet (BF16 1,979 / FP8 3,958 with sparsity, halved)",
        ),
        Gpu(
            "h100-pcie",
            "NVIDIA H100 PCIe",
            80 * GB,
            756.5 * TFLOPS,
            1513 * TFLOPS,
            2000 * GB,
            "NVIDIA H100 Tensor Core GPU Datasheet (BF16 1,513 / FP8 3,026 with sparsity, halved)",
        ),
        Gpu(
            "h200",
            "NVIDIA H200 SXM",
            141 * GB,
            989.5 * TFLOPS,
            1979 * TFLOPS,
            4800 * GB,
            "NVIDIA H200 Tensor Core GPU Datasheet (BF16 1,979 / FP8 3,958 with sparsity, halved)",
        ),
        Gpu(
            "b200",
            "NVIDIA B200 (HGX B200, per GPU)",
            180 * GB,
            2250 * TFLOPS,
            4500 * TFLOPS,
            7700 * GB,
            "NVIDIA HGX B200 specifications (BF16 4.5 / FP8 9 PFLOPS sparse, halved; 62 TB/s / 8 GPUs)",
        ),
        Gpu(
            "l40s",
            "NVIDIA L40S",
            48 * GB,
            362.05 * TFLOPS,
            733 * TFLOPS,
            864 * GB,
            "NVIDIA L40S GPU Datasheet (BF16 362.05 / FP8 733 dense)",
        ),
        Gpu(
            "rtx-3090",
            "NVIDIA GeForce RTX 3090",
            24 * GB,
            71 * TFLOPS,
            None,
            936 * GB,
            "NVIDIA Ampere GA102 GPU Architecture whitepaper, Appendix A (FP32 accumulate)",
        ),
        Gpu(
            "rtx-4090",
            "NVIDIA GeForce RTX 4090",
            24 * GB,
            165.2 * TFLOPS,
            330.3 * TFLOPS,
            1008 * GB,
            "NVIDIA Ada GPU Architecture whitepaper, Appendix A (FP32 accumulate)",
        ),
        Gpu(
            "mi300x",
            "AMD Instinct MI300X",
            192 * GB,
            1307.4 * TFLOPS,
            2614.9 * TFLOPS,
            5300 * GB,
            "AMD Instinct MI300X Accelerator Data Sheet (dense; 2,614.9 / 5,229.8 with sparsity)",
        ),
    )
}
DEFAULT_GPU = "h100-sxm"


def custom(base: Gpu, memory: int | None, flops: float | None, bandwidth: float | None) -> Gpu:
    """`base` with the figures the user gave (--gpu-memory, --gpu-flops, --gpu-bandwidth)."""
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
