"""`compare`, `--set` overrides and `extends:`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import paramcalc
from paramcalc.comparison import compare
from paramcalc.engine import analyze
from paramcalc.errors import ConfigError, LoadError
from tests.conftest import Run


def test_json_array_equals_count_json(run: Run) -> None:
    specs = ["gpt3", "chinchilla-70b", "llama-2-70b:kv_heads=64"]
    result = run("compare", *specs, "--json")
    assert result.exit_code == 0 and result.stderr == ""
    array = json.loads(result.stdout)
    assert array == [json.loads(run("count", s, "--json").stdout) for s in specs]


def test_two_way_table(run: Run) -> None:
    result = run("compare", "llama-2-70b", "llama-2-70b:kv_heads=64")
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert "what differs" in out and "kv_heads: 8 | 64" in out
    assert "Llama-2-70B [kv_heads=64]" in out
    delta = (64 - 8) * 128 * 8192 * 2 * 80  # k and v grow from 8 to 64 heads of 128, in 80 layers
    assert f"+{delta:,}" in out
    assert "delta" in out and "ratio" in out


def test_deltas_and_ratios_from_the_engine() -> None:
    a, b = analyze(paramcalc.load("llama-2-7b")), analyze(paramcalc.load("llama-2-70b"))
    comparison = compare([a, b])
    total = next(r for r in comparison.rows if r.key == "total")
    assert total.values == (a.total, b.total)
    assert total.delta(1, 0) == b.total - a.total
    assert total.ratio(1, 0) == b.total / a.total
    attention = next(r for r in comparison.rows if r.key == "attention")
    assert attention.delta(1, 0) == 12_079_595_520 - 2_147_483_648  # models.json breakdowns


def test_rows_aligned_by_component_name() -> None:
    comparison = compare([analyze(paramcalc.load("mistral-7b")), analyze(paramcalc.load("mixtral-8x7b"))])
    rows = {r.key: r.values for r in comparison.rows}
    assert rows["feed_forward"] == (5_637_144_576, None)
    assert rows["experts"] == (None, 45_097_156_608)
    assert rows["router"] == (None, 1_048_576)


def test_csv_two_way(run: Run) -> None:
    result = run("compare", "gpt2", "gpt2-medium", "--format", "csv")
    rows = {r["row"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert list(next(csv.reader(io.StringIO(result.stdout)))) == ["row", "GPT-2", "GPT-2 Medium", "delta", "ratio"]
    assert int(rows["total"]["delta"]) == 354_823_168 - 124_439_808
    assert float(rows["total"]["ratio"]) == pytest.approx(354_823_168 / 124_439_808, rel=1e-6)
    assert rows["output_head"]["ratio"] == ""  # 0 / 0: no ratio


def test_csv_n_way_with_baseline(run: Run) -> None:
    result = run("compare", "gpt2", "gpt2-medium", "gpt2-large", "-f", "csv", "--baseline", "gpt2-medium")
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header == [
        "row",
        "GPT-2",
        "GPT-2 Medium",
        "GPT-2 Large",
        "GPT-2 / GPT-2 Medium",
        "GPT-2 Large / GPT-2 Medium",
    ]
    rows = {r["row"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert float(rows["total"]["GPT-2 Large / GPT-2 Medium"]) == pytest.approx(774_030_080 / 354_823_168, rel=1e-6)


@pytest.mark.parametrize("baseline", ["2", "gpt2-medium", "GPT-2 Medium"])
def test_baseline_spellings(run: Run, baseline: str) -> None:
    out = run("compare", "gpt2", "gpt2-medium", "gpt2-large", "-f", "csv", "-b", baseline).stdout
    assert "GPT-2 / GPT-2 Medium" in out


def test_bad_baseline_is_usage_error(run: Run) -> None:
    result = run("compare", "gpt2", "gpt2-medium", "--baseline", "7")
    assert result.exit_code == 2 and result.stdout == ""


def test_markdown(run: Run) -> None:
    out = run("compare", "gpt2", "gpt2-medium", "-f", "markdown").stdout
    assert out.startswith("### Comparison\n")
    assert "- `layers: 12 | 24`" in out
    assert "| **total params** | 124,439,808 | 354,823,168 | +230,383,360 | 2.85x |" in out


def test_n_way_table_and_transposed(run: Run) -> None:
    out = run("compare", "gpt2", "gpt2-medium", "gpt2-large").stdout
    assert "(baseline)" in out and "(6.22x)" in out
    many = run("compare", "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "bert-base", "t5-small").stdout
    assert "one row per config" in many and "T5-Small" in many


def test_all_bad_arguments_reported_at_once(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers: 0\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    result = run("compare", "gpt2", "nope", str(bad), "gpt2:kv_heads=x")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("paramcalc: nope: no such file, and no preset")
    assert lines[1] == f"paramcalc: {bad}: layers: must be positive, not 0"
    assert lines[2] == "paramcalc: gpt2: kv_heads (override): must be a whole number, not a string ('x')"


def test_compare_needs_two(run: Run) -> None:
    assert run("compare", "gpt2").exit_code == 2
    assert run("compare", "-", "-", input="layers: 1\n").exit_code == 2


def test_compare_stdin_once(run: Run) -> None:
    text = "extends: gpt2\nname: mine\nlayers: 6\n"
    data = json.loads(run("compare", "gpt2", "-", "--json", input=text).stdout)
    assert data[1]["name"] == "mine" and data[1]["config"]["layers"] == 6


# --set and colon overrides -------------------------------------------------------------


def test_set_on_count(run: Run) -> None:
    data = json.loads(run("count", "llama-2-70b", "--set", "kv_heads=64", "--json").stdout)
    assert data["name"] == "Llama-2-70B [kv_heads=64]"
    assert data["params"]["total"] == 68_976_648_192 + (64 - 8) * 128 * 8192 * 2 * 80


def test_set_types(run: Run) -> None:
    data = json.loads(
        run(
            "count",
            "gpt2",
            "--set",
            "bias=false",
            "--set",
            "activation=swiglu",
            "--set",
            "tokens=300e9",
            "--set",
            "name=GPT-2 nobias",
            "--json",
        ).stdout
    )
    assert data["name"] == "GPT-2 nobias"
    assert data["params"]["biases"] == 19_200  # only the LayerNorm shifts remain
    assert data["config"]["activation"] == "swiglu" and data["flops"]["training_tokens"] == 300 * 10**9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "kv_heads=x"], "gpt2: kv_heads (override): must be a whole number, not a string ('x')"),
        (["--set", "kv_head=2"], "gpt2: kv_head (override): unknown field (did you mean 'kv_heads'?)"),
        (["--set", "kv_heads"], "gpt2: override 'kv_heads' is not KEY=VALUE (e.g. kv_heads=8)"),
        (["--set", "kv_heads=5"], "gpt2: kv_heads (override): 5 does not divide heads 12"),
        (["--set", "layers="], "gpt2: layers (override): has no value"),
        (["--set", "layers=[1"], "gpt2: override layers: invalid YAML"),
    ],
)
def test_set_errors(run: Run, args: list[str], message: str) -> None:
    result = run("count", "gpt2", *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert message in result.stderr


def test_colon_overrides_several() -> None:
    config = paramcalc.load("llama-2-7b:kv_heads=8:d_ff=14336")
    assert (config.kv_heads, config.d_ff, config.name) == (8, 14336, "Llama-2-7B [kv_heads=8, d_ff=14336]")


def test_existing_file_with_colon_is_not_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a:b.yaml").write_text("layers: 1\nd_model: 8\nheads: 2\nvocab: 10\ncontext: 4\n")
    assert paramcalc.load("a:b.yaml").layers == 1


# extends ----------------------------------------------------------------------------------


def test_extends_preset(tmp_path: Path) -> None:
    path = tmp_path / "gqa.yaml"
    path.write_text("extends: llama-2-7b\nkv_heads: 8\n")
    config = paramcalc.load(str(path))
    assert (config.name, config.kv_heads, config.layers, config.extends) == ("gqa", 8, 32, "llama-2-7b")
    assert config.source is None  # name and source describe one file; they are not inherited


def test_extends_chain_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "base.yaml").write_text("layers: 4\nd_model: 64\nheads: 4\nvocab: 100\ncontext: 32\n")
    (tmp_path / "sub" / "mid.yaml").write_text("extends: ../base.yaml\nd_model: 128\n")
    (tmp_path / "top.yaml").write_text("extends: sub/mid.yaml\nlayers: 8\n")
    config = paramcalc.load(str(tmp_path / "top.yaml"))
    assert (config.layers, config.d_model, config.heads) == (8, 128, 4)


def test_extends_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nlayers: 1\n")
    (tmp_path / "b.yaml").write_text("extends: c.yaml\n")
    (tmp_path / "c.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(LoadError, match=r"extends: cycle a.yaml -> b.yaml -> c.yaml -> a.yaml"):
        paramcalc.load(str(tmp_path / "a.yaml"))


def test_extends_self(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(LoadError, match="cycle a.yaml -> a.yaml"):
        paramcalc.load(str(tmp_path / "a.yaml"))


def test_extends_missing_parent_names_the_asker(tmp_path: Path) -> None:
    (tmp_path / "mid.yaml").write_text("extends: nowhere.yaml\n")
    (tmp_path / "top.yaml").write_text("extends: mid.yaml\n")
    with pytest.raises(LoadError) as info:
        paramcalc.load(str(tmp_path / "top.yaml"))
    assert str(info.value).startswith(f"{tmp_path / 'mid.yaml'}: extends: 'nowhere.yaml' is neither a file")


def test_extends_type_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: 5\n")
    with pytest.raises(LoadError, match="extends: must be a preset name or a path, not 5"):
        paramcalc.load(str(tmp_path / "a.yaml"))
    (tmp_path / "b.yaml").write_text("extends: gpt2\nheads: many\n")
    with pytest.raises(ConfigError, match="heads: must be a whole number"):
        paramcalc.load(str(tmp_path / "b.yaml"))


def test_a_composite_lines_up_with_its_text_backbone() -> None:
    """LLaVA-1.5-7B beside Llama-2-7B: the plain config's components are rows of the composite's
    language part (they were rows of their own: attention beside language.attention), and what
    differs names the part's fields (the vocabulary, 32064 against 32000, and Llama 2's tokens)."""
    llava, llama = analyze(paramcalc.load("llava-1.5-7b")), analyze(paramcalc.load("llama-2-7b"))
    comparison = compare([llava, llama])
    rows = {r.key: r.values for r in comparison.rows}
    assert rows["language.attention"] == (2_147_483_648, 2_147_483_648)
    assert rows["language.token_embedding"] == (32064 * 4096, 32000 * 4096)
    assert rows["vision.attention"] == (100_761_600, None)
    assert "attention" not in rows
    differences = dict(comparison.differences)
    assert differences["language.vocab"] == (32064, 32000)
    assert differences["vision"] == ("vision", None) and differences["projector"] == ("mlp", None)
    assert list(differences) == ["architecture", "vision", "projector", "language.vocab", "language.tokens"]


def test_two_composites_differ_part_by_part() -> None:
    scout = analyze(paramcalc.load("llama-4-scout-17b-16e"))
    text = analyze(paramcalc.load("llama-4-scout"))
    comparison = compare([scout, text])
    rows = {r.key: r.values for r in comparison.rows}
    assert rows["language.experts"][0] == rows["language.experts"][1]
    assert [k for k, _ in comparison.differences] == ["architecture", "vision", "vision_adapter", "projector"]
