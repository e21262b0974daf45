"""Issue 11's user-visible defects that belong to the output door and the CLI: one format rule for
every command, options never silently ignored, warnings, the training sequence length, beginner
nets, and the README's "Designing a model" walkthrough run end to end."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import paramcalc
from paramcalc.cli import command_names
from paramcalc.render import available, formats
from tests.conftest import Run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# What each command is run with to test its formats (commands that need an argument).
ARGS = {
    "count": ["gpt2"],
    "compare": ["gpt2", "gpt2-medium"],
    "convert": ["gpt2"],
    "train": ["gpt2"],
    "infer": ["gpt2"],
    "solve": ["--params", "125M", "--base", "gpt2"],
    "sweep": ["gpt2", "--vary", "layers=1,2"],
    "presets": [],
    "gpus": [],
    "schema": [],
}


def _result_type(name: str) -> type:
    import importlib

    module = importlib.import_module(f"paramcalc.commands.{name}")
    return getattr(module, name).result_type  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(ARGS))
def test_every_command_takes_the_same_format_pair(run: Run, name: str) -> None:
    """Item 3: --format with the formats the result has, and --json, on every command."""
    help_text = run(name, "--help").stdout
    assert "--format" in help_text and "--json" in help_text
    offered = available(_result_type(name))
    assert {"json"} <= set(offered)
    for fmt in offered:
        result = run(name, *ARGS[name], "--format", fmt)
        assert result.exit_code == 0, (fmt, result.stderr)
        assert result.stdout, fmt
    as_json = run(name, *ARGS[name], "--json")
    assert as_json.stdout == run(name, *ARGS[name], "--format", "json").stdout
    json.loads(as_json.stdout)  # valid JSON, NaN and infinities refused


def test_the_format_list_is_the_render_package() -> None:
    shipped = sorted(p.stem for p in (ROOT / "paramcalc" / "render").glob("*.py") if not p.stem.startswith("_"))
    assert sorted(formats()) == shipped
    assert set(command_names()) == {p.stem for p in (ROOT / "paramcalc" / "commands").glob("[!_]*.py")}


def test_yaml_and_jsonl_only_where_they_mean_something(run: Run) -> None:
    assert "yaml" in available(_result_type("convert")) and "yaml" in available(_result_type("solve"))
    assert "yaml" not in available(_result_type("count"))
    assert "jsonl" in available(_result_type("sweep")) and "jsonl" not in available(_result_type("train"))
    result = run("count", "gpt2", "--format", "yaml")
    assert result.exit_code == 2 and result.stdout == ""


def test_format_and_json_disagreeing_is_a_usage_error(run: Run) -> None:
    result = run("count", "gpt2", "--format", "csv", "--json")
    assert result.exit_code == 2 and result.stdout == "" and "--format: csv and --json disagree" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["count", "gpt2", "--explain", "--format", "csv"], "--explain has no csv form"),
        (["count", "gpt2", "--detail", "--format", "jsonl"], "invalid"),
        (["train", "gpt2", "--explain", "--format", "csv"], "--explain has no csv form"),
        (["train", "gpt2", "--lora-rank", "16"], "--lora-rank: applies to LoRA fine-tuning only"),
        (["train", "gpt2", "--lora-targets", "all"], "--lora-targets: applies to LoRA fine-tuning only"),
    ],
)
def test_options_accepted_and_ignored_are_errors(run: Run, args: list[str], message: str) -> None:
    """Item 7."""
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr.lower() or message in result.stderr


def test_explain_works_in_markdown_and_json(run: Run) -> None:
    assert "Where the counts come from" in run("count", "gpt2", "--explain", "-f", "markdown").stdout
    assert "terms" in json.loads(run("count", "gpt2", "--explain", "--json").stdout)["components"][0]


def test_context_beyond_the_model_warns_on_stderr_and_in_json(run: Run) -> None:
    """Item 8: a warning on stderr and a `warnings` list; learned positions refuse it."""
    result = run("infer", "llama-3-8b", "--context", "32768", "--json")
    assert result.exit_code == 0
    assert result.stderr.startswith("paramcalc: warning: context 32,768 is beyond Llama-3-8B's context of 8,192")
    assert json.loads(result.stdout)["warnings"][0].startswith("context 32,768 is beyond")
    refused = run("infer", "gpt2", "--context", "100000")
    assert refused.exit_code == 2 and refused.stdout == "" and "1,024 learned positions" in refused.stderr
    assert run("infer", "llama-3-8b").stderr == ""


def test_training_flops_at_the_training_sequence_length(run: Run) -> None:
    """Item 13: --seq-len, --causal, and the training total beside 6ND."""
    config = "tests/fixtures/hf/meta-llama__Llama-3.1-8B.json"
    path = str(ROOT / config)
    at_context = json.loads(run("count", path, "--tokens", "15T", "--json").stdout)["flops"]
    at_8k = json.loads(run("count", path, "--tokens", "15T", "--seq-len", "8192", "--json").stdout)["flops"]
    causal = json.loads(run("count", path, "--tokens", "15T", "--seq-len", "8192", "--causal", "--json").stdout)
    assert at_context["seq_len"] == 131072 and at_context["ratio_to_six_nd"] > 5
    assert at_8k["seq_len"] == 8192 and 1.1 < at_8k["ratio_to_six_nd"] < 1.3
    # attention products per token: 2 x 2 x layers x seq_len x heads x head_dim; causal halves them
    attention = 2 * 2 * 32 * 8192 * 32 * 128
    assert at_8k["forward_per_token"] - causal["flops"]["forward_per_token"] == attention // 2
    assert causal["flops"]["causal"] is True
    table = run("count", path, "--tokens", "15T", "--seq-len", "8192").stdout
    assert "attention at 8,192 tokens" in table
    assert f"({at_8k['ratio_to_six_nd']:.3g} x 6ND)" in table
    same = json.loads(run("count", path, "--set", "seq_len=8192", "--json").stdout)["flops"]
    assert same["forward_per_token"] == at_8k["forward_per_token"]


def test_beginner_nets_speak_of_examples_and_list_their_parameters(run: Run) -> None:
    """Item 14: an mlp's FLOPs per example, no Chinchilla tokens, no attention note; --explain says
    what n0, n1, n2 are and writes every parameter into the sum it enters."""
    out = run("count", "mlp-2-2-1", "--explain").stdout
    assert "forward FLOPs per example" in out and "per token" not in out
    assert "Chinchilla" not in out and "attention" not in out and "non-embedding" not in out
    assert "n0 = 2 (input), n1 = 2 (hidden layer 1), n2 = 1 (output)" in out
    assert "z1^(1) = x1*w(1,1)^(1) + x2*w(2,1)^(1) + b1^(1)" in out
    assert "z1^(2) = a1^(1)*w(1,1)^(2) + a2^(1)*w(2,1)^(2) + b1^(2)" in out
    data = json.loads(run("count", "mlp-2-2-1", "--explain", "--json").stdout)
    names = [w for unit in data["units"] for w in [*unit["weights"], unit["bias"]]]
    assert len(names) == len(set(names)) == data["params"]["total"] == 9
    assert data["flops"]["unit"] == "example" and data["flops"]["forward_per_token"] == 2 * 6
    big = run("count", "mlp-2-2-1", "--set", "layer_sizes=[20, 20, 1]", "--explain").stdout
    assert "Every parameter" not in big and "n0 = 20 (input)" in big  # 441 parameters: no listing


def test_json_never_holds_nan(run: Run) -> None:
    """Item 16: convert writes each value as validated (a text field of .nan is the text 'nan')."""
    for args in (["--set", "source=.nan"], ["--set", "name=.inf"]):
        result = run("convert", "gpt2", *args, "--format", "json")
        assert result.exit_code == 0
        json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))


def test_no_negative_zero_percent(run: Run) -> None:
    from paramcalc.render._format import signed_percent

    assert signed_percent(-0.00001) == "+0.00%" and signed_percent(-0.0003) == "-0.03%"
    assert "-0.00%" not in run("solve", "--params", "7B", "--base", "llama-2-7b", "--top", "20").stdout


def test_version_and_help(run: Run) -> None:
    assert run("--version").stdout == f"paramcalc {paramcalc.__version__}\n"
    assert run("help", "infer").stdout == run("infer", "--help").stdout
    wrong = run("help", "cout")
    assert wrong.exit_code == 2 and "did you mean 'count'?" in wrong.stderr


def test_debug_is_handled_once(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers: 0\n")
    plain = run("count", str(bad))
    assert plain.exit_code == 1 and "Traceback" not in plain.stderr
    for command in command_names():
        assert "--debug" not in run(command, "--help").stdout, command  # a root option, not one per command
    assert "--debug" in run("--help").stdout


def test_the_engine_imports_nothing_of_the_cli_or_output() -> None:
    """The engine is pure: no rich, typer, yaml, render, results or cli in engine/."""
    for path in (ROOT / "paramcalc" / "engine").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")
                assert top[0] not in ("rich", "typer", "yaml"), (path.name, name)
                assert top[:2] not in (["paramcalc", "render"], ["paramcalc", "results"], ["paramcalc", "cli"])


def _walkthrough() -> list[str]:
    """The commands of the README's "Designing a model", in order: the `$` lines, then the
    commands the last step names in backticks."""
    section = README.split("## Designing a model", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip()[2:] for line in section.splitlines() if line.strip().startswith("$ paramcalc ")]
    prose = re.sub(r"\s+", " ", section)
    commands += re.findall(r"`(paramcalc (?:count|compare|train|sweep) [^`]+)`", prose)
    return commands


def test_readme_walkthrough_end_to_end(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 4: solve's YAML is trainable with the README's --tp 8 --pp 4, and counts the same."""
    monkeypatch.chdir(tmp_path)
    commands = _walkthrough()
    assert any("--format yaml > my-29b.yaml" in c for c in commands)
    assert any(c.startswith("paramcalc train my-29b.yaml") and "--tp 8" in c and "--pp 4" in c for c in commands)
    solved = None
    for line in commands:
        argv, _, target = line.partition(" > ")
        args = argv.split()[1:]
        result = run(*args)
        assert result.exit_code == 0, (line, result.stderr)
        if target:
            Path(target.strip()).write_text(result.stdout)
            solved = re.search(r"paramcalc solve: ([\d,]+) parameters", result.stdout)
    assert solved is not None
    total = json.loads(run("count", "my-29b.yaml", "--json").stdout)["params"]["total"]
    assert total == int(solved.group(1).replace(",", ""))
    plan = json.loads(
        run("train", "my-29b.yaml", "--gpus", "1024", "--tp", "8", "--pp", "4", "--zero", "1", "--json").stdout
    )
    assert plan["settings"]["tp"] == 8 and plan["settings"]["pp"] == 4 and plan["days"] > 0


def test_uneven_pipeline_stages_say_how_the_layers_were_split(run: Run) -> None:
    """Item 4: DeepSeek-V3's 61 layers on 16 stages."""
    result = run("train", "deepseek-v3", "--gpus", "16", "--pp", "16")
    assert result.exit_code == 0 and "16 stages: 13 of 4 layers, 3 of 3" in result.stdout


def test_every_format_has_a_readme_row() -> None:
    """A format is one module in render/ and one row of the README's format table."""
    section = README.split("## Output formats", 1)[1].split("\n## ", 1)[0]
    for fmt in formats():
        assert re.search(rf"^\| `{fmt}` \|", section, re.M), fmt
