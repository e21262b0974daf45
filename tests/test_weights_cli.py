"""Issue 12 through the command line: weights wherever a config is accepted, counted from their
headers, with the config's count beside them; `verify`; infer from the stored bytes.

Checkpoints are real-looking headers (tests/weights_fixtures.py, names and shapes from
transformers 5.24 on the meta device) written as sparse files: a 13.5 GB Llama-2-7B costs a few
kilobytes of disk. Counts are the transformers totals of shared/reference/models.json."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import weights_fixtures as wf
from tests.conftest import Run

LLAMA_2_7B = 6_738_415_616  # meta-llama/Llama-2-7b-hf, LlamaForCausalLM (models.json)
LLAMA_2_7B_BF16_BYTES = 2 * LLAMA_2_7B
GPT2 = 124_439_808  # gpt2, GPT2LMHeadModel (models.json)

LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "max_position_embeddings": 4096,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
    "rms_norm_eps": 1e-5,
}
GPT2_CONFIG = {
    "model_type": "gpt2",
    "n_layer": 12,
    "n_embd": 768,
    "n_head": 12,
    "n_positions": 1024,
    "vocab_size": 50257,
}


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("llama") / "Llama-2-7b-hf"
    wf.write_checkpoint(folder, wf.llama(wf.LLAMA_2_7B), 2, LLAMA_CONFIG)
    return folder


def count_json(run: Run, *args: str) -> Any:
    result = run("count", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_sharded_folder_with_its_config(run: Run, llama_dir: Path) -> None:
    data = count_json(run, str(llama_dir))
    assert data["params"]["total"] == LLAMA_2_7B  # the config's count, as before
    ck = data["checkpoint"]
    assert (ck["format"], len(ck["files"]), ck["tensors"]) == ("safetensors", 2, 291)
    assert ck["params"] == LLAMA_2_7B and ck["bytes"] == LLAMA_2_7B_BF16_BYTES
    assert ck["dtypes"] == {"BF16": {"params": LLAMA_2_7B, "bytes": LLAMA_2_7B_BF16_BYTES, "tensors": 291}}
    assert ck["bits_per_weight"] == 16 and ck["matches_config"] is True and ck["differences"] == []
    assert {c["name"]: c["params"] for c in ck["components"]} == {c["name"]: c["params"] for c in data["components"]}
    table = run("count", str(llama_dir)).stdout
    assert "stored" in table and "weights match the config" in table and "13,476,831,232 bytes" in table


def test_the_same_checkpoint_by_file_and_by_index(run: Run, llama_dir: Path) -> None:
    index = count_json(run, str(llama_dir / "model.safetensors.index.json"))["checkpoint"]
    assert index["params"] == LLAMA_2_7B and index["bytes"] == LLAMA_2_7B_BF16_BYTES
    shard = count_json(run, str(llama_dir / "model-00001-of-00002.safetensors"))["checkpoint"]
    assert 0 < shard["params"] < LLAMA_2_7B and shard["matches_config"] is False  # one shard of two


def test_weights_without_a_config(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    wf.write_safetensors(path, wf.llama(wf.LLAMA_2_7B))
    data = count_json(run, str(path))
    assert data["architecture"] is None and data["params"]["total"] == LLAMA_2_7B
    assert data["checkpoint"]["bytes"] == LLAMA_2_7B_BF16_BYTES and data["checkpoint"]["matches_config"] is None
    names = {c["name"] for c in data["components"]}
    assert names == {"token_embedding", "attention", "feed_forward", "norms", "output_head"}
    refused = run("count", str(path), "--set", "layers=2")
    assert refused.exit_code == 2 and "no config.json to override" in refused.stderr


def test_gpt2_masks_are_buffers_not_parameters(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "gpt2"
    wf.write_checkpoint(folder, wf.gpt2(masks=True), 1, GPT2_CONFIG)
    ck = count_json(run, str(folder))["checkpoint"]
    assert ck["params"] == GPT2 and len(ck["buffers"]) == 12 and ck["matches_config"] is True
    assert all(b["name"].endswith("attn.bias") for b in ck["buffers"])
    assert ck["bytes"] > 4 * GPT2  # the masks' bytes are stored bytes all the same


@pytest.mark.parametrize(
    ("quantize", "method"),
    [
        (lambda lay: wf.gptq(lay, 4, 128), "gptq"),
        (lambda lay: wf.awq(lay, 4, 128), "awq"),
        (lambda lay: wf.bnb_4bit(lay), "bitsandbytes"),
        (lambda lay: wf.bnb_8bit(lay), "bitsandbytes"),
        (lambda lay: wf.fp8_per_tensor(lay), "fp8"),
    ],
    ids=["gptq-4bit", "awq-4bit", "bnb-nf4", "bnb-int8", "fp8"],
)
def test_quantized_checkpoints_count_their_logical_parameters(
    run: Run, tmp_path: Path, quantize: Any, method: str
) -> None:
    layout = quantize(wf.llama(wf.LLAMA_2_7B))
    folder = tmp_path / "q"
    wf.write_checkpoint(folder, layout, 1, LLAMA_CONFIG)
    ck = count_json(run, str(folder))["checkpoint"]
    assert ck["params"] == LLAMA_2_7B and ck["matches_config"] is True
    assert ck["bytes"] == wf.data_bytes(layout) < LLAMA_2_7B_BF16_BYTES
    assert ck["bits_per_weight"] == pytest.approx(8 * ck["bytes"] / LLAMA_2_7B)
    assert method in (ck["quantization"] or {}).get("method", "")


def test_verify_agrees_and_catches_a_stored_tied_head(run: Run, tmp_path: Path) -> None:
    good = tmp_path / "good"
    wf.write_checkpoint(good, wf.gpt2(), 1, GPT2_CONFIG)
    result = run("verify", str(good))
    assert result.exit_code == 0 and "agree" in result.stdout
    bad = tmp_path / "bad"  # the config ties the head, but the checkpoint stores lm_head anyway
    wf.write_checkpoint(bad, [*wf.gpt2(), ("lm_head.weight", "F32", (50257, 768))], 1, GPT2_CONFIG)
    result = run("verify", str(bad))
    assert result.exit_code == 1 and result.stderr == ""
    assert "output_head" in result.stdout and "ties the output head" in result.stdout
    data = json.loads(run("verify", str(bad), "--json").stdout)
    assert data["matches"] is False and data["difference"] == 50257 * 768
    assert data["differences"][0]["component"] == "output_head"
    untied = run("verify", str(bad), "--json").exit_code
    assert untied == 1
    no_config = tmp_path / "alone.safetensors"
    wf.write_safetensors(no_config, wf.gpt2())
    refused = run("verify", str(no_config))
    assert refused.exit_code == 1 and "verify compares the two" in refused.stderr


def test_infer_uses_the_stored_bytes(run: Run, tmp_path: Path) -> None:
    layout = wf.gptq(wf.llama(wf.LLAMA_2_7B), 4, 128)
    folder = tmp_path / "gptq"
    wf.write_checkpoint(folder, layout, 1, LLAMA_CONFIG)
    data = json.loads(run("infer", str(folder), "--json").stdout)
    assert data["bytes"]["weights"] == wf.data_bytes(layout) == data["settings"]["stored_bytes"]
    plain = json.loads(run("infer", "llama-2-7b", "--json", "--dtype", "int4").stdout)["bytes"]["weights"]
    assert data["bytes"]["weights"] > plain == LLAMA_2_7B // 2  # scales and zeros, and 16-bit embeddings
    assert "as stored" in run("infer", str(folder)).stdout


def test_compare_and_train_take_weights_with_a_config(run: Run, llama_dir: Path) -> None:
    compared = json.loads(run("compare", "llama-2-7b", str(llama_dir), "--json").stdout)
    assert compared[0]["params"]["total"] == compared[1]["params"]["total"] == LLAMA_2_7B
    assert run("train", str(llama_dir), "--gpus", "8", "--zero", "3").exit_code == 0


def _gguf_llama() -> Any:
    from tests.test_weights_gguf import gguf as build
    from tests.test_weights_gguf import llama31_8b_metadata, llama31_8b_q4_k_m

    return build(llama31_8b_metadata(), llama31_8b_q4_k_m(), name="Llama-3.1-8B-Q4_K_M.gguf")


def test_a_gguf_file(run: Run, tmp_path: Path) -> None:
    from tests.test_weights_gguf import write

    path = write(tmp_path / "Llama-3.1-8B-Q4_K_M.gguf", _gguf_llama())
    data = count_json(run, str(path))
    ck = data["checkpoint"]
    # Llama-3.1-8B: 8,030,261,248 (transformers 5.24); rope_freqs is a buffer, not a parameter
    assert data["params"]["total"] == ck["params"] == 8_030_261_248
    assert ck["format"] == "gguf" and ck["quantization"]["file_type"] == "Q4_K_M"
    assert ck["bytes"] == 4_912_898_304  # the tensors' data: ggml blocks (rope_freqs' 64 F32 included)
    assert [b["name"] for b in ck["buffers"]] == ["rope_freqs.weight"]
    assert 4.8 < ck["bits_per_weight"] < 5.0  # Q4_K_M is about 4.9 bits per weight


def test_a_repo_id_from_the_cache(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "hub"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / "models--org--tiny-gpt2" / "snapshots" / commit
    wf.write_checkpoint(snapshot, wf.gpt2(), 1, GPT2_CONFIG)
    (cache / "models--org--tiny-gpt2" / "refs").mkdir(parents=True)
    (cache / "models--org--tiny-gpt2" / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    for spec in ("org/tiny-gpt2", "org/tiny-gpt2@main", "hf://org/tiny-gpt2"):
        data = count_json(run, spec)
        assert data["params"]["total"] == data["checkpoint"]["params"] == GPT2, spec
    missing = run("count", "org/absent")
    assert missing.exit_code == 1 and missing.stdout == "" and "HF_HUB_OFFLINE=1" in missing.stderr


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.test_weights_hub import LLAMA, FakeHub, llama_repo

    fake = FakeHub(repos={LLAMA: llama_repo()})
    server = fake.start()
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield fake
    server.shutdown()
    server.server_close()


def test_a_repo_id_from_the_hub_reads_headers_only(run: Run, fake_hub: Any) -> None:
    from tests.test_weights_hub import LLAMA

    start = time.perf_counter()
    data = count_json(run, LLAMA)
    assert data["params"]["total"] == data["checkpoint"]["params"] == LLAMA_2_7B
    assert len(data["checkpoint"]["files"]) == 4 and data["checkpoint"]["matches_config"] is True
    assert fake_hub.sent < 100_000  # a 13.5 GB checkpoint: config, index and 4 headers
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x10\x00\x00", "truncated"),
        ((2**40).to_bytes(8, "little") + b"{}", "header"),
        ((8).to_bytes(8, "little") + b"not json", "JSON"),
        ((2).to_bytes(8, "little") + b"[]", "object"),
    ],
    ids=["truncated", "length-beyond", "not-json", "not-object"],
)
def test_hostile_weights_are_one_line(run: Run, tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    start = time.perf_counter()
    result = run("count", str(path))
    assert result.exit_code == 1 and result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"paramcalc: {path}") and "Traceback" not in result.stderr
    assert reason.lower() in result.stderr.lower()
    assert time.perf_counter() - start < 1


def test_a_huge_sparse_checkpoint_is_counted_fast(run: Run, llama_dir: Path) -> None:
    assert sum(os.stat(p).st_size for p in llama_dir.iterdir()) > 13 * 10**9  # sparse: no disk used
    start = time.perf_counter()
    assert count_json(run, str(llama_dir))["checkpoint"]["bytes"] == LLAMA_2_7B_BF16_BYTES
    assert time.perf_counter() - start < 1


SMALL_CONFIG = {
    **LLAMA_CONFIG,
    "hidden_size": 512,
    "intermediate_size": 1536,
    "num_hidden_layers": 2,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
}


def test_verify_names_a_block_the_class_does_not_build(run: Run, tmp_path: Path) -> None:
    """A checkpoint with one block more than its config (DeepSeek-V3 stores its MTP layer so)."""
    layout = wf.llama(wf.LLAMA_SMALL)
    extra = [(n.replace("model.layers.1.", "model.layers.2."), d, sh) for n, d, sh in layout if ".layers.1." in n]
    folder = tmp_path / "extra"
    wf.write_checkpoint(folder, [*layout, *extra], 1, SMALL_CONFIG)
    assert json.loads(run("count", str(folder), "--json").stdout)["params"]["total"] == wf.LLAMA_SMALL.params
    data = json.loads(run("verify", str(folder), "--json").stdout)
    assert data["matches"] is False and [d["component"] for d in data["differences"]] == ["mtp"]
    assert data["difference"] == sum(wf.nbytes("I8", sh) for _, _, sh in extra)  # one element a byte: numel
    assert "multi-token prediction" in data["differences"][0]["why"]


def test_qlora_trains_on_the_stored_bytes(run: Run, tmp_path: Path) -> None:
    layout = wf.bnb_4bit(wf.llama(wf.LLAMA_2_7B))
    folder = tmp_path / "nf4"
    wf.write_checkpoint(folder, layout, 1, LLAMA_CONFIG)
    qlora = json.loads(run("train", str(folder), "--finetune", "lora", "--json").stdout)
    lora = json.loads(run("train", "llama-2-7b", "--finetune", "lora", "--json").stdout)
    adapters = qlora["trainable_params"] * 2
    assert qlora["per_gpu_bytes"]["weights"] == wf.data_bytes(layout) + adapters
    assert qlora["per_gpu_bytes"]["weights"] < lora["per_gpu_bytes"]["weights"] / 3
    assert qlora["settings"]["stored_bytes"] == wf.data_bytes(layout)


def test_convert_takes_the_config_that_came_with_the_weights(run: Run, llama_dir: Path) -> None:
    result = run("convert", str(llama_dir / "model-00001-of-00002.safetensors"))
    assert result.exit_code == 0 and f"# paramcalc count: {LLAMA_2_7B:,} parameters" in result.stdout
