"""The ggml type table: how many elements a block of each tensor type holds and how many bytes it takes.

A GGUF tensor of type T with n elements stores ``n / block_size(T)`` blocks of ``type_size(T)`` bytes
each, so its bytes are exact from its shape and type alone. The sizes are ggml's own:
``type_traits[]`` in ggml/src/ggml.c (llama.cpp commit 00bdaa105cb03380daf899b4fc9f026555745269: the
``blck_size`` and ``sizeof(block_*)`` of each type) with the block structs of ggml/src/ggml-common.h
(commit 01243c587feceaa5d6a6c2305535ef2f549c48b8, whose ``static_assert`` lines spell each size out,
copied into the comments below), and the ids of ``enum ggml_type`` in ggml/include/ggml.h. Q2_0 (42)
is the newest: its block is in ggml-common.h at that commit. The gguf-py package of the same
repository ships the same table as ``GGML_QUANT_SIZES``; a test holds the two together.

Removed ids are kept apart (:data:`REMOVED_TYPES`): a file that uses one is refused with the reason
ggml gives, not as an unknown number.

The GGUF file types (``general.file_type``) are llama.h's ``enum llama_ftype`` (LLAMA_FTYPE_MOSTLY_Q4_K_M
= 15, ...), named here as llama-quantize and file names spell them ("Q4_K_M"); ``ALL_F32`` is "F32".
"""

from __future__ import annotations

from typing import NamedTuple

QK_K = 256  # the super-block of the k-quants, the IQ types and TQ types (ggml-common.h)
K_SCALE_SIZE = 12
HALF = 2  # ggml_half: an fp16 scale


class GgmlType(NamedTuple):
    """One ggml tensor type: its id in a GGUF file, its name, elements per block and bytes per block."""

    id: int
    name: str
    block_size: int
    type_size: int

    @property
    def quantized(self) -> bool:
        return self.block_size > 1

    @property
    def bits_per_weight(self) -> float:
        return self.type_size * 8 / self.block_size


def _t(id_: int, name: str, block_size: int, type_size: int) -> GgmlType:
    return GgmlType(id_, name, block_size, type_size)


# id -> type, in ggml.h's order. Each size is the static_assert of its block struct in ggml-common.h.
GGML_TYPES: dict[int, GgmlType] = {
    t.id: t
    for t in (
        _t(0, "F32", 1, 4),
        _t(1, "F16", 1, 2),
        _t(2, "Q4_0", 32, HALF + 32 // 2),  # d + qs[QK4_0/2]
        _t(3, "Q4_1", 32, 2 * HALF + 32 // 2),  # d, m + qs[QK4_1/2]
        _t(6, "Q5_0", 32, HALF + 4 + 32 // 2),  # d + qh[4] + qs[QK5_0/2]
        _t(7, "Q5_1", 32, 2 * HALF + 4 + 32 // 2),  # d, m + qh[4] + qs[QK5_1/2]
        _t(8, "Q8_0", 32, HALF + 32),  # d + qs[QK8_0]
        _t(9, "Q8_1", 32, 2 * HALF + 32),  # d, s + qs[QK8_1]
        _t(10, "Q2_K", QK_K, 2 * HALF + QK_K // 16 + QK_K // 4),  # d, dmin + scales + qs
        _t(11, "Q3_K", QK_K, HALF + QK_K // 4 + QK_K // 8 + 12),  # d + qs + hmask + scales[12]
        _t(12, "Q4_K", QK_K, 2 * HALF + K_SCALE_SIZE + QK_K // 2),
        _t(13, "Q5_K", QK_K, 2 * HALF + K_SCALE_SIZE + QK_K // 2 + QK_K // 8),
        _t(14, "Q6_K", QK_K, HALF + QK_K // 16 + 3 * QK_K // 4),  # d + scales + ql, qh
        _t(15, "Q8_K", QK_K, 4 + QK_K + QK_K // 16 * 2),  # float d + qs + int16 bsums
        _t(16, "IQ2_XXS", QK_K, HALF + QK_K // 8 * 2),  # d + uint16 qs[QK_K/8]
        _t(17, "IQ2_XS", QK_K, HALF + QK_K // 8 * 2 + QK_K // 32),
        _t(18, "IQ3_XXS", QK_K, HALF + 3 * (QK_K // 8)),
        _t(19, "IQ1_S", QK_K, HALF + QK_K // 8 + QK_K // 16),
        _t(20, "IQ4_NL", 32, HALF + 32 // 2),
        _t(21, "IQ3_S", QK_K, HALF + 13 * (QK_K // 32) + QK_K // 64),
        _t(22, "IQ2_S", QK_K, HALF + QK_K // 4 + QK_K // 16),
        _t(23, "IQ4_XS", QK_K, HALF + 2 + QK_K // 64 + QK_K // 2),  # d + scales_h + scales_l + qs
        _t(24, "I8", 1, 1),
        _t(25, "I16", 1, 2),
        _t(26, "I32", 1, 4),
        _t(27, "I64", 1, 8),
        _t(28, "F64", 1, 8),
        _t(29, "IQ1_M", QK_K, QK_K // 8 + QK_K // 16 + QK_K // 32),  # no fp16 d: the scale hides in scales
        _t(30, "BF16", 1, 2),
        _t(34, "TQ1_0", QK_K, HALF + QK_K // 64 + (QK_K - 4 * QK_K // 64) // 5),  # 1.6875 bpw
        _t(35, "TQ2_0", QK_K, HALF + QK_K // 4),  # 2.0625 bpw
        _t(39, "MXFP4", 32, 1 + 32 // 2),  # E8M0 scale + 32 e2m1 nibbles
        _t(40, "NVFP4", 64, 64 // 16 + 64 // 2),  # four UE4M3 scales (one per 16) + 64 e2m1 nibbles
        _t(41, "Q1_0", 128, HALF + 128 // 8),
        _t(42, "Q2_0", 64, HALF + 64 // 4),
    )
}

# ids ggml once used and no longer reads, with ggml's own reason (ggml.c type_traits, ggml.h comments)
REMOVED_TYPES: dict[int, str] = {
    4: "Q4_2 (support has been removed)",
    5: "Q4_3 (support has been removed)",
    31: "Q4_0_4_4 (removed from GGUF files: use Q4_0 with runtime repacking)",
    32: "Q4_0_4_8 (removed from GGUF files: use Q4_0 with runtime repacking)",
    33: "Q4_0_8_8 (removed from GGUF files: use Q4_0 with runtime repacking)",
    36: "IQ4_NL_4_4 (removed from GGUF files: use IQ4_NL with runtime repacking)",
    37: "IQ4_NL_4_8 (removed from GGUF files: use IQ4_NL with runtime repacking)",
    38: "IQ4_NL_8_8 (removed from GGUF files: use IQ4_NL with runtime repacking)",
}

TYPES_BY_NAME: dict[str, GgmlType] = {t.name: t for t in GGML_TYPES.values()}


def tensor_nbytes(ggml_type: GgmlType, numel: int) -> int:
    """Stored bytes of `numel` elements: whole blocks of `type_size` bytes (ggml_nbytes for a
    contiguous tensor whose first dimension is a whole number of blocks, which GGUF requires)."""
    return numel // ggml_type.block_size * ggml_type.type_size


# general.file_type: llama.h's enum llama_ftype, LLAMA_FTYPE_MOSTLY_<name> (ALL_F32 -> "F32").
# The gaps are ids llama.h comments out: 4 (Q4_1_SOME_F16), 5 and 6 (Q4_2, Q4_3, removed),
# 33-35 (Q4_0_4_4, Q4_0_4_8, Q4_0_8_8, removed from GGUF files); 1024 means "not said by the file".
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    4: "Q4_1_SOME_F16",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
    39: "NVFP4",
    40: "Q1_0",
    41: "Q2_0",
    1024: "GUESSED",
}
