"""Memory taken by the weights at each precision.

Bytes come from bits, rounded up to whole bytes: ``ceil(n * bits / 8)``. So int4 is never 0
for a nonzero model (a peer tool computes ``4 // 8 == 0`` bytes per int4 parameter).
Units in output: GB = 10**9 bytes, GiB = 2**30 bytes.
"""

from __future__ import annotations

DTYPE_BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "bf16": 16, "int8": 8, "int4": 4}


def weight_bytes(params: int, bits: int) -> int:
    """Bytes to store `params` numbers of `bits` bits each, packed, rounded up."""
    return -(-params * bits // 8)


def memory_by_dtype(params: int) -> dict[str, int]:
    return {dtype: weight_bytes(params, bits) for dtype, bits in DTYPE_BITS.items()}
