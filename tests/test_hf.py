"""HuggingFace config.json files counted exactly, offline, against transformers.

Every expected number in fixtures/hf/expected.json was obtained by instantiating the config
with transformers 5.23.0 on the meta device and summing p.numel() over model.parameters();
each entry records the model, the class, and where its config.json came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import paramcalc
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError, LoadError, ParamcalcError, UsageError
from paramcalc.hf import supported
from tests.conftest import Run

FIXTURES = Path(__file__).parent / "fixtures" / "hf"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())["models"]
FAMILIES = {
    "gpt2",
    "gptj",
    "gpt_neox",
    "opt",
    "bloom",
    "falcon",
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "phi",
    "phi3",
    "phimoe",
    "starcoder2",
    "olmo",
    "olmo2",
    "stablelm",
    "deepseek_v2",
    "deepseek_v3",
    "bert",
    "roberta",
    "distilbert",
    "t5",
}


# The families added for issue 13 are counted by tests/test_families_*.py, from their real
# configs and the variants_*.json fixtures (checked against transformers 5.24.0).
VARIANT_TYPES = {v["model_type"] for p in FIXTURES.glob("variants_*.json") for v in json.loads(p.read_text())}


def test_every_family_supported_and_covered() -> None:
    assert set(supported()) == FAMILIES | VARIANT_TYPES
    assert {e["model_type"] for e in EXPECTED.values()} == FAMILIES


def expected_total(entry: dict[str, object]) -> int:
    # T5 v1.1 / flan-t5 say tie_word_embeddings: false and their checkpoints hold a separate
    # lm_head; transformers 5.23 forces T5 to tie, so its sum lacks vocab x d_model. We count
    # what the checkpoint holds.
    total = entry.get("checkpoint_total", entry["total"])
    assert isinstance(total, int)
    return total


@pytest.mark.parametrize("name", sorted(k for k, e in EXPECTED.items() if "total" in e))
def test_exact_against_transformers(name: str) -> None:
    entry = EXPECTED[name]
    assert analyze(paramcalc.load(str(FIXTURES / name))).total == expected_total(entry), entry["model"]


@pytest.mark.parametrize("name", sorted(k for k, e in EXPECTED.items() if "masked_lm_total" in e))
def test_masked_lm_head_exact(name: str) -> None:
    report = analyze(paramcalc.load(str(FIXTURES / name), head=True))
    assert report.total == EXPECTED[name]["masked_lm_total"], EXPECTED[name]["model"]


def test_flan_t5_counts_the_untied_head() -> None:
    entry = EXPECTED["google__flan-t5-base.json"]
    report = analyze(paramcalc.load(str(FIXTURES / "google__flan-t5-base.json")))
    assert report.total == entry["total"] + 32128 * 768 == 247_577_856


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_convert_round_trip(name: str, run: Run, tmp_path: Path) -> None:
    path = str(FIXTURES / name)
    head = [] if "total" in EXPECTED[name] else ["--head"]
    result = run("convert", path, *head)
    assert result.exit_code == 0, result.stderr
    converted = tmp_path / "converted.yaml"
    converted.write_text(result.stdout)
    assert analyze(paramcalc.load(str(converted))).total == analyze(paramcalc.load(path, head=bool(head))).total
    as_json = json.loads(run("convert", path, "--format", "json", *head).stdout)
    assert "model_type" not in as_json and as_json["architecture"] in ("decoder", "encoder", "encoder-decoder")


def test_directory_with_config_json(tmp_path: Path) -> None:
    snapshot = tmp_path / "Llama-3.1-8B"
    snapshot.mkdir()
    (snapshot / "config.json").write_text((FIXTURES / "meta-llama__Llama-3.1-8B.json").read_text())
    config = paramcalc.load(str(snapshot))
    assert analyze(config).total == 8_030_261_248
    assert config.name  # the folder name unless the config names itself


def test_detection_by_content_not_name(tmp_path: Path) -> None:
    odd = tmp_path / "weights-meta.txt"
    odd.write_text((FIXTURES / "reference" / "gpt2.json").read_text())
    assert analyze(paramcalc.load(str(odd))).total == 124_439_808


def test_extends_a_config_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text((FIXTURES / "reference" / "meta-llama__Llama-2-7b-hf.json").read_text())
    (tmp_path / "gqa.yaml").write_text("extends: config.json\nkv_heads: 8\n")
    report = analyze(paramcalc.load(str(tmp_path / "gqa.yaml")))
    assert report.total == 6_738_415_616 - 2 * 32 * 4096 * (4096 - 1024)


def test_moe_fields_flow_through() -> None:
    report = analyze(paramcalc.load(str(FIXTURES / "deepseek-ai__DeepSeek-V3.json")))
    config = report.config
    assert (config.kv_lora_rank, config.rope_head_dim, config.q_lora_rank) == (512, 64, 1536)
    assert (config.experts, config.experts_per_token, config.dense_layers) == (256, 8, 3)
    # Active: everything but the 248 idle routed experts of each of the 58 MoE layers.
    per_expert = 3 * 7168 * 2048
    assert report.total - report.active == 58 * (256 - 8) * per_expert
    assert round(report.active / 1e9, 1) == 37.6  # DeepSeek-V3 report: 37B activated (without MTP)


def test_qwen3_moe_active() -> None:
    report = analyze(paramcalc.load(str(FIXTURES / "Qwen__Qwen3-30B-A3B.json")))
    assert 3.3e9 <= report.active < 3.4e9  # Qwen3 model card: 30.5B total, 3.3B activated
    assert round(report.total / 1e9, 1) == 30.5


def test_unknown_model_type(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "rwkv", "hidden_size": 768}')
    with pytest.raises(LoadError) as info:
        paramcalc.load(str(path))
    message = str(info.value)
    assert "model_type 'rwkv' is not supported; supported: albert, " in message  # sorted: albert first
    assert ", bert, bloom," in message
    assert "qwen3_moe" in message


def test_missing_required_key_named(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "reference" / "meta-llama__Llama-2-7b-hf.json").read_text())
    del data["hidden_size"], data["vocab_size"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as info:
        paramcalc.load(str(path))
    assert info.value.lines() == [
        f"{path}: hidden_size: is required for model_type 'llama'",
        f"{path}: vocab_size: is required for model_type 'llama'",
    ]


def test_wrong_type_named(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "reference" / "gpt2.json").read_text())
    data["n_layer"] = "twelve"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="n_layer: must be a whole number, not 'twelve'"):
        paramcalc.load(str(path))


def test_omitted_keys_take_transformers_defaults(tmp_path: Path) -> None:
    # Llama without tie_word_embeddings / attention_bias / num_key_value_heads: untied, no
    # biases, MHA, as LlamaConfig defaults.
    data = {
        "model_type": "llama",
        "hidden_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "vocab_size": 1000,
        "intermediate_size": 512,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    config = paramcalc.load(str(path))
    assert (config.tie_embeddings, config.bias, config.kv_heads, config.context) == (False, False, 4, 2048)


def test_head_only_for_encoders() -> None:
    with pytest.raises(UsageError, match="only encoders"):
        paramcalc.load("gpt2", head=True)


def test_count_cli_on_config_json(run: Run) -> None:
    result = run("count", str(FIXTURES / "reference" / "bert-base-uncased.json"), "--head", "--json")
    data = json.loads(result.stdout)
    assert data["params"]["total"] == 109_514_298
    assert {c["name"] for c in data["components"]} >= {"mlm_transform", "output_head"}


def test_unknown_type_cli(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "rwkv"}')
    result = run("count", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"paramcalc: {path}: model_type 'rwkv' is not supported; supported: ")


# Presets converted from these config.json files must keep their exact totals.
PRESET_FIXTURES = {
    "llama-3.1-8b": "meta-llama__Llama-3.1-8B.json",
    "llama-3.1-70b": "meta-llama__Llama-3.1-70B.json",
    "llama-3.1-405b": "meta-llama__Llama-3.1-405B.json",
    "qwen2.5-7b": "Qwen__Qwen2.5-7B.json",
    "qwen3-30b-a3b": "Qwen__Qwen3-30B-A3B.json",
    "gemma-2-9b": "google__gemma-2-9b.json",
    "phi-3-mini": "microsoft__Phi-3-mini-4k-instruct.json",
    "deepseek-v3": "deepseek-ai__DeepSeek-V3.json",
    "mixtral-8x22b": "mistralai__Mixtral-8x22B-v0.1.json",
    "falcon-40b": "tiiuae__falcon-40b-instruct.json",
    "bloom": "bigscience__bloom.json",
    "opt-66b": "facebook__opt-66b.json",
}


@pytest.mark.parametrize("preset", sorted(PRESET_FIXTURES))
def test_modern_presets_exact(preset: str) -> None:
    assert analyze(paramcalc.load(preset)).total == EXPECTED[PRESET_FIXTURES[preset]]["total"]


def test_absent_kv_heads_default_that_cannot_work(tmp_path: Path) -> None:
    # Qwen2Config's num_key_value_heads defaults to 32, whatever the number of heads; with 8 heads
    # that cannot run, and the message says where the 32 came from.
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "model_type": "qwen2",
                "hidden_size": 256,
                "num_hidden_layers": 2,
                "num_attention_heads": 8,
                "vocab_size": 1000,
            }
        )
    )
    with pytest.raises(ConfigError) as info:
        paramcalc.load(str(path))
    assert info.value.lines() == [
        f"{path}: num_key_value_heads: 32 (transformers' default for qwen2: the key is absent) "
        "does not divide num_attention_heads 8"
    ]


def test_zero_sizes_are_errors_naming_the_key(tmp_path: Path) -> None:
    # issue 11, item 16: `hidden_size: 0, num_attention_heads: 0` divided by zero in _head_dim
    path = tmp_path / "config.json"
    raw = {"model_type": "llama", "hidden_size": 0, "num_attention_heads": 0, "num_hidden_layers": 2, "vocab_size": 9}
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError) as info:
        paramcalc.load(str(path))
    assert info.value.lines() == [
        f"{path}: hidden_size: must be a positive whole number, not 0",
        f"{path}: num_attention_heads: must be a positive whole number, not 0",
    ]


@pytest.mark.parametrize("name", sorted(e for e in EXPECTED if EXPECTED[e]["model_type"] in FAMILIES))
def test_every_size_of_every_family_may_be_zero(name: str, tmp_path: Path) -> None:
    # each whole-number key of each family's config set to 0 in turn: a count or a ParamcalcError
    # (naming a key), never a division by zero or another internal error
    raw = json.loads((FIXTURES / name).read_text())
    path = tmp_path / "config.json"
    sizes = [k for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)]
    for zeros in [[key] for key in sizes] + [sizes]:
        path.write_text(json.dumps({**raw, **dict.fromkeys(zeros, 0)}))
        try:
            analyze(paramcalc.load(str(path)))
        except ParamcalcError:
            pass


def test_is_hf_config_is_gone() -> None:
    # dead code (issue 11, "one vocabulary"): detection is `"model_type" in data`, in loading.py
    import paramcalc.hf

    assert not hasattr(paramcalc.hf, "is_hf_config")


def test_no_family_module_defines_a_name_twice() -> None:
    """Family functions are added by many hands: a second def of a helper's name would silently
    replace the first for every family above it."""
    import ast
    from pathlib import Path

    import paramcalc.hf.families as families

    tree = ast.parse(Path(families.__file__).read_text())
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
