"""Memory taken by the weights at each precision.

Bytes come from bits, rounded up to whole bytes: ``ceil(n * bits / 8)``. So int4 is never 0
for a nonzero model (a peer tool computes ``4 // 8 == 0`` bytes per int4 parameter).
Units in output: GB = 10**9 bytes, GiB = 2**30 bytes.
"""

from __future__ import annotations

# Bits per number of every dtype the engine knows (count's memory, infer's weights and KV cache).
DTYPE_BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8, "int4": 4}

# The dtypes a count reports its weights' memory in: the keys of memory_by_dtype() and of the
# JSON `memory_bytes` (a stable contract, README), in this order.
MEMORY_DTYPES = ("fp32", "fp16", "bf16", "int8", "int4")


def weight_bytes(params: int, bits: int) -> int:
    """Bytes to store `params` numbers of `bits` bits each, packed, rounded up."""
    return -(-params * bits // 8)


def memory_by_dtype(params: int) -> dict[str, int]:
    """Bytes of `params` weights at each of MEMORY_DTYPES (weight_bytes, inlined: sweep's hot path)."""
    return {dtype: -(-params * DTYPE_BITS[dtype] // 8) for dtype in MEMORY_DTYPES}
