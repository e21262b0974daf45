"""GGUF mixes against the byte counts of published GGUF files of real models.

A GGUF file is its tensors' bytes plus a header (magic, the metadata key/values, above all the
tokenizer's vocabulary and merges, and one info record per tensor) and zero padding that aligns
each tensor to 32 bytes (GGUF_DEFAULT_ALIGNMENT). stored_weights counts tensor bytes only, so
for each file: header = file bytes - stored_weights(...).total must be positive and small (under
16 MiB: 0.7 MB for a 32000-token SentencePiece vocabulary, 7.8 MB for Llama 3's 128256 tokens and
280k merges) and the same, to a few KiB, for every file of one repository (the metadata differs
only in general.file_type and the file name) -- which is what pins the mixes down exactly: a wrong
type for one family of tensors moves the difference by megabytes. Every figure is also within 2%.

Sources (exact byte counts of the Hub's files):
- TheBloke/Llama-2-7B-GGUF, https://huggingface.co/TheBloke/Llama-2-7B-GGUF: Q4_K_M 4081004224,
  Q5_K_M 4783156928, Q8_0 7161089728 (recorded with each file's URL, e.g.
  https://huggingface.co/TheBloke/Llama-2-7B-GGUF/resolve/main/llama-2-7b.Q4_K_M.gguf, in public
  model lists on GitHub; the Q4_K_M size also with its sha256 08a5566d...); Q4_0 3825807040 (also the
  `total` of an Ollama pull of that file) and Q6_K 5529194176 from a public catalog of Hub file
  sizes ("real file sizes in bytes, source hf-files").
- Llama-3.1-8B-Instruct GGUF (bartowski/Meta-Llama-3.1-8B-Instruct-GGUF,
  https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF): Q4_K_M 4920739232, Q5_K_M
  5732992416, Q6_K 6596011424, Q8_0 8540775840, from the same catalog.
- TheBloke/Mistral-7B-v0.1-GGUF, https://huggingface.co/TheBloke/Mistral-7B-v0.1-GGUF/blob/main/
  mistral-7b-v0.1.Q4_K_M.gguf: 4368438912 (GPT4All's model list, filesize). TheBloke/Mistral-7B-
  Instruct-v0.1-GGUF (same shapes), https://huggingface.co/TheBloke/Mistral-7B-Instruct-v0.1-GGUF:
  Q4_0 4108916384 (GPT4All's models.json), Q4_K_M 4368438944, Q5_K_M 5131409056 (a model list
  with each file's URL).
- From the same catalog: Llama-3.3-70B-Instruct (the llama-3.1-70b shapes), Qwen2.5-7B-Instruct,
  Qwen3-30B-A3B-Instruct-2507 (the qwen3-30b-a3b shapes) at Q4_K_M, Q5_K_M, Q6_K, Q8_0, and
  ggml-org's gpt-oss-20b / gpt-oss-120b GGUF (MXFP4_MOE: experts MXFP4, the rest Q8_0).

Mistral Q6_K and Q8_0 are missing: no exact byte count of those files was found.
"""

from __future__ import annotations

import pytest

from paramcalc import load
from paramcalc.engine import analyze
from paramcalc.engine.formats import stored_weights

MIB = 2**20

# preset -> {repository: {format: file bytes}}
PUBLISHED: dict[str, dict[str, dict[str, int]]] = {
    "llama-2-7b": {
        "TheBloke/Llama-2-7B-GGUF": {
            "q4_0": 3_825_807_040,
            "q4_k_m": 4_081_004_224,
            "q5_k_m": 4_783_156_928,
            "q6_k": 5_529_194_176,
            "q8_0": 7_161_089_728,
        }
    },
    "llama-3.1-8b": {
        "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF": {
            "q4_k_m": 4_920_739_232,
            "q5_k_m": 5_732_992_416,
            "q6_k": 6_596_011_424,
            "q8_0": 8_540_775_840,
        }
    },
    "mistral-7b": {
        "TheBloke/Mistral-7B-v0.1-GGUF": {"q4_k_m": 4_368_438_912},
        "TheBloke/Mistral-7B-Instruct-v0.1-GGUF": {
            "q4_0": 4_108_916_384,
            "q4_k_m": 4_368_438_944,
            "q5_k_m": 5_131_409_056,
        },
    },
    "llama-3.1-70b": {
        "Llama-3.3-70B-Instruct GGUF": {
            "q4_k_m": 42_520_398_816,
            "q5_k_m": 49_949_822_112,
            "q6_k": 57_888_148_672,
            "q8_0": 74_975_055_008,
        }
    },
    "qwen2.5-7b": {
        "Qwen2.5-7B-Instruct GGUF": {
            "q4_k_m": 4_683_074_240,
            "q5_k_m": 5_444_831_936,
            "q6_k": 6_254_199_488,
            "q8_0": 8_098_525_888,
        }
    },
    "qwen3-30b-a3b": {
        "Qwen3-30B-A3B-Instruct-2507 GGUF": {
            "q4_k_m": 18_556_686_752,
            "q5_k_m": 21_725_581_728,
            "q6_k": 25_092_532_640,
            "q8_0": 32_483_932_576,
        }
    },
    "gpt-oss-20b": {"ggml-org/gpt-oss-20b-GGUF": {"mxfp4_moe": 12_109_566_624}},
    "gpt-oss-120b": {"ggml-org/gpt-oss-120b-GGUF": {"mxfp4_moe": 63_387_346_208}},
}

CASES = [
    (preset, repo, fmt, size)
    for preset, repos in PUBLISHED.items()
    for repo, files in repos.items()
    for fmt, size in files.items()
]


@pytest.mark.parametrize(("preset", "repo", "fmt", "size"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_published_gguf_size(preset: str, repo: str, fmt: str, size: int) -> None:
    tensors = stored_weights(analyze(load(preset)), fmt).total
    header = size - tensors
    assert 0 < header < 16 * MIB, (repo, fmt, header)
    assert abs(header) / size < 0.02


@pytest.mark.parametrize("preset", [p for p, repos in PUBLISHED.items() if any(len(f) > 1 for f in repos.values())])
def test_one_header_per_repository(preset: str) -> None:
    """Every file of a repository has the same header to a few KiB: the mix is exact."""
    report = analyze(load(preset))
    for repo, files in PUBLISHED[preset].items():
        headers = [size - stored_weights(report, fmt).total for fmt, size in files.items()]
        assert max(headers) - min(headers) < 4096, (repo, headers)


def test_llama_2_7b_header_is_exact() -> None:
    # the same 741,056 bytes of header beside every TheBloke/Llama-2-7B-GGUF file
    report = analyze(load("llama-2-7b"))
    for fmt, size in PUBLISHED["llama-2-7b"]["TheBloke/Llama-2-7B-GGUF"].items():
        assert size - stored_weights(report, fmt).total == 741_056


@pytest.mark.parametrize(
    ("preset", "size", "bumped"),
    [
        # Q4_0 files made with an importance matrix: llama-quant.cpp then types ffn_down of the
        # first n_layer/8 blocks Q4_1 (20 bytes per 32, not 18): 2 bytes per 32 more each.
        ("llama-3.1-70b", 40_116_538_336, 80 // 8 * 8192 * 28672),  # Llama-3.3-70B-Instruct Q4_0
        ("qwen2.5-7b", 4_444_121_792, 28 // 8 * 18944 * 3584),  # Qwen2.5-7B-Instruct Q4_0
        ("qwen3-30b-a3b", 17_379_987_872, 48 // 8 * 128 * 768 * 2048),  # Qwen3-30B-A3B-Instruct-2507 Q4_0
    ],
)
def test_imatrix_q4_0_files(preset: str, size: int, bumped: int) -> None:
    report = analyze(load(preset))
    header = size - stored_weights(report, "q4_0").total - bumped * 2 // 32
    same_repo = next(iter(PUBLISHED[preset].values()))
    assert header == same_repo["q4_k_m"] - stored_weights(report, "q4_k_m").total
    assert abs(size - stored_weights(report, "q4_0").total) / size < 0.02
