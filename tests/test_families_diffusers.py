"""diffusers configs (UNet2DConditionModel, AutoencoderKL, SD3Transformer2DModel,
FluxTransformer2DModel), pipeline folders (model_index.json) and their presets, exact against
diffusers 0.42.1.

Ground truth: fixtures/diffusers/records.json, a copy of the records of notes/i16/diffusers.json:
each class built with ``cls.from_config(config)`` (transformers' CLIP text models with
``cls(CLIPTextConfig(**config))``) on ``torch.device("meta")``, summing ``p.numel()`` over
``model.parameters()``; the published configs (SD 1.5, SDXL, SD3-medium, FLUX.1-dev/schnell) were
written from knowledge of the hub files, their totals the well-known figures (859,520,964 for the
SD 1.5 U-Net), and 32 tiny variants exercise each option.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import paramcalc
from paramcalc.errors import ConfigError, LoadError
from paramcalc.loading import load
from tests.conftest import Run

DATA = json.loads((Path(__file__).parent / "fixtures" / "diffusers" / "records.json").read_text())
RECORDS: dict[str, Any] = DATA["records"]
PIPELINES: dict[str, Any] = DATA["pipelines"]
DIFFUSERS = {k: r for k, r in RECORDS.items() if not r["class"].startswith("CLIP")}


def _write(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    return path


def _config(key: str) -> dict[str, Any]:
    record = RECORDS[key]
    return {"_class_name": record["class"], **record["config"]}


def _components(config: paramcalc.Config) -> dict[str, int]:
    return {c.name: c.params for c in paramcalc.analyze(config).components}


@pytest.mark.parametrize("key", sorted(DIFFUSERS))
def test_every_record_exact(tmp_path: Path, key: str) -> None:
    # the config.json as a file: detected by its _class_name (no model_type), converted, counted
    config = load(str(_write(tmp_path / key / "config.json", _config(key))))
    assert paramcalc.count(config).total == RECORDS[key]["total"]


def test_the_records_cover_every_class() -> None:
    classes = {r["class"] for r in DIFFUSERS.values()}
    assert classes == {"UNet2DConditionModel", "AutoencoderKL", "SD3Transformer2DModel", "FluxTransformer2DModel"}
    assert len(DIFFUSERS) == 7 + 32


@pytest.mark.parametrize("key", [k for k, r in RECORDS.items() if "blocks" in r])
def test_unet_blocks_are_diffusers_children(tmp_path: Path, key: str) -> None:
    # each part is a child of the diffusers model: down_blocks.0 ... up_blocks.n, named down_blocks_0
    config = load(str(_write(tmp_path / "config.json", _config(key))))
    parts = {name: paramcalc.count(part).total for name, part in config.parts}
    for child, params in RECORDS[key]["blocks"].items():
        assert parts[child.replace(".", "_")] == params, child
    children = RECORDS[key]["children"]
    assert parts["conv_in"] == children["conv_in"]
    assert parts["time_embedding"] == children["time_embedding"]
    assert parts.get("mid_block", 0) == children.get("mid_block", 0)
    assert parts["conv_out"] == children["conv_out"] + children.get("conv_norm_out", 0)


@pytest.mark.parametrize("key", ["sd15_vae", "sd3_medium_transformer", "flux1_dev_transformer"])
def test_children_of_the_vae_and_transformers(tmp_path: Path, key: str) -> None:
    config = load(str(_write(tmp_path / "config.json", _config(key))))
    if config.is_composite:
        got = {name: paramcalc.count(part).total for name, part in config.parts}
    else:
        got = _components(config)
    want = RECORDS[key]["children"]
    assert {k: got.get(k, 0) for k in want} == want


def test_sd15_unet_block_table() -> None:
    # the 860M where they sit: up_blocks.1 (258,330,880) is the largest block
    config = load("sd-1.5-unet")
    parts = {name: paramcalc.count(part).total for name, part in config.parts}
    assert max(parts, key=parts.__getitem__) == "up_blocks_1"
    assert parts["up_blocks_1"] == 258_330_880
    assert sum(parts.values()) == 859_520_964


@pytest.mark.parametrize(
    ("preset", "total"),
    [
        ("sd-1.5-unet", 859_520_964),
        ("sdxl-unet", 2_567_463_684),
        ("sd3-medium", 2_028_328_000),
        ("flux-1-dev", 11_901_408_320),
        ("sd-1.5", 1_066_235_307),
    ],
)
def test_presets(preset: str, total: int) -> None:
    config = load(preset)
    assert paramcalc.count(config).total == total
    assert config.source and "HuggingFace" in config.source


def test_sd15_preset_parts_are_the_pipelines() -> None:
    config = load("sd-1.5")
    parts = {name: paramcalc.count(part).total for name, part in config.parts}
    assert parts == PIPELINES["sd15_parts"]
    assert sum(parts.values()) == PIPELINES["sd15_sum_unet_vae_te"]


def test_flux_schnell_is_dev_without_guidance(tmp_path: Path) -> None:
    dev = load("flux-1-dev")
    config = {**_config("flux1_dev_transformer"), "guidance_embeds": False}
    schnell_total = paramcalc.count(load(str(_write(tmp_path / "config.json", config)))).total
    assert paramcalc.count(dev).total - schnell_total == 10_229_760
    assert schnell_total == RECORDS["flux1_schnell_transformer"]["total"]


# --- a pipeline folder (model_index.json) ----------------------------------------------------


def _pipeline(root: Path, index: str, parts: dict[str, str]) -> Path:
    _write(root / "model_index.json", PIPELINES[index])
    for folder, key in parts.items():
        config = _config(key) if key in DIFFUSERS else RECORDS[key]["config"]
        _write(root / folder / "config.json", config)
    _write(root / "scheduler" / "scheduler_config.json", {"_class_name": "PNDMScheduler"})
    (root / "tokenizer").mkdir()
    return root


def _sd15(root: Path) -> Path:
    root = _pipeline(
        root, "sd15_model_index", {"unet": "sd15_unet", "vae": "sd15_vae", "text_encoder": "sd15_text_encoder_clip_l"}
    )
    _write(root / "safety_checker" / "config.json", {"model_type": "clip", "architectures": ["Safety"]})
    return root


def test_sd15_pipeline_folder(tmp_path: Path) -> None:
    root = _sd15(tmp_path / "stable-diffusion-v1-5")
    config = load(str(root))
    assert [name for name, _ in config.parts] == ["text_encoder", "unet", "vae"]  # the order data flows
    assert {name: paramcalc.count(part).total for name, part in config.parts} == PIPELINES["sd15_parts"]
    assert paramcalc.count(config).total == 1_066_235_307
    assert config.name == "stable-diffusion-v1-5"
    assert config.source and "not counted: safety_checker (StableDiffusionSafetyChecker)" in config.source
    # model_index.json itself names the folder
    assert paramcalc.count(load(str(root / "model_index.json"))).total == 1_066_235_307


def test_sdxl_pipeline_folder(tmp_path: Path) -> None:
    parts = {
        "unet": "sdxl_unet",
        "vae": "sdxl_vae",
        "text_encoder": "sdxl_text_encoder_clip_l",
        "text_encoder_2": "sdxl_text_encoder_2_bigG",
    }
    config = load(str(_pipeline(tmp_path / "sdxl", "sdxl_model_index", parts)))
    counted = {name: paramcalc.count(part).total for name, part in config.parts}
    assert counted == PIPELINES["sdxl_parts"]  # text_encoder_2 with its text_projection (1,638,400)
    assert paramcalc.count(config).total == PIPELINES["sdxl_sum"] == 3_468_837_867


def test_pipeline_cli_table_names_the_blocks(run: Run, tmp_path: Path) -> None:
    result = run("count", str(_sd15(tmp_path / "sd")), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["params"]["total"] == 1_066_235_307
    names = [c["name"] for c in report["components"]]
    assert "unet.up_blocks_1.attentions_0" in names and "vae.decoder.mid_block" in names


def test_pipeline_errors(tmp_path: Path, run: Run) -> None:
    root = _sd15(tmp_path / "sd")
    (root / "vae" / "config.json").unlink()
    result = run("count", str(root))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().endswith("vae/config.json: no such file")
    index = {"_class_name": "StableDiffusion3Pipeline", "text_encoder_3": ["transformers", "T5EncoderModel"]}
    _write(tmp_path / "sd3" / "model_index.json", index)
    _write(tmp_path / "sd3" / "text_encoder_3" / "config.json", {"model_type": "t5", "d_model": 8})
    result = run("count", str(tmp_path / "sd3"))
    assert result.exit_code == 1 and "T5EncoderModel is not counted by paramcalc" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- convert, errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sd15_unet", "sd15_vae", "s4_dual_attention_layers_sd35m", "f2_guidance"])
def test_convert_round_trip(run: Run, tmp_path: Path, key: str) -> None:
    path = _write(tmp_path / "config.json", _config(key))
    converted = run("convert", str(path))
    assert converted.exit_code == 0, converted.stderr
    written = tmp_path / "converted.yaml"
    written.write_text(converted.stdout)
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == RECORDS[key]["total"]
    assert paramcalc.count(load(str(written))).total == RECORDS[key]["total"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"_class_name": "UNet3DConditionModel"}, "_class_name 'UNet3DConditionModel' is not supported; supported:"),
        ({"_class_name": "StableDiffusionPipeline"}, "is a pipeline's model_index.json: give its folder"),
        ({"num_attention_heads": 8}, "num_attention_heads: 8 is not supported"),
        ({"addition_embed_type": "text"}, "addition_embed_type: 'text' is not supported"),
        ({"down_block_types": ["CrossAttnDownBlock2D"]}, "down_block_types: has 1 blocks; block_out_channels has 2"),
        ({"attention_head_dim": 3}, "attention_head_dim: 3 heads do not divide the 32 channels of a block"),
        ({"block_out_channels": "wide"}, "block_out_channels: must be a whole number or a list"),
    ],
)
def test_unet_errors(run: Run, tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = _write(tmp_path / "config.json", {**_config("u1_base"), **change})
    result = run("count", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_refusals_raise_one_exception_tree(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="caption_projection_dim: must equal"):
        load(str(_write(tmp_path / "a" / "config.json", {**_config("s1_base"), "caption_projection_dim": 8})))
    with pytest.raises(LoadError, match="not supported"):
        load(str(_write(tmp_path / "b" / "config.json", {"_class_name": "ControlNetModel"})))


def test_parts_nest_two_levels_at_most() -> None:
    inner = {"architecture": "composite", "parts": {"x": {"architecture": "mlp", "layer_sizes": [2, 1]}}}
    two = {"architecture": "composite", "parts": {"a": inner}}
    assert paramcalc.count(two).total == 3
    with pytest.raises(ConfigError, match="composite parts nest two levels at most"):
        paramcalc.count({"architecture": "composite", "parts": {"b": two}})


def test_convert_writes_a_sequential_net_back(run: Run) -> None:
    # convert wrote a top-level sequential net's layers and modules as parsed specs (a YAML
    # RepresenterError, an internal error); now as written
    converted = run("convert", "resnet50")
    assert converted.exit_code == 0, converted.stderr
    assert paramcalc.count(yaml.safe_load(converted.stdout)).total == 25_557_032


# --- the layer kinds the diffusion models added to the sequential core ------------------------


def _net(input_shape: list[int], *layers: Any) -> paramcalc.Config:
    return paramcalc.load({"architecture": "sequential", "input": input_shape, "layers": list(layers)})


def test_side_linear_counts_and_keeps_the_shape() -> None:
    # nn.Linear(1280, 320) on the timestep embedding: 1280 x 320 + 320, the image path unchanged
    config = _net([320, 8, 8], {"side_linear": {"features": 1280, "out": 320}}, {"conv2d": {"out": 4, "kernel": 1}})
    assert paramcalc.count(config).total == 1280 * 320 + 320 + 320 * 4 + 4
    assert paramcalc.count(_net([4], {"side_linear": {"features": 3, "out": 2, "bias": False}})).total == 6


def test_skip_upsample_glu_rmsnorm_shapes() -> None:
    # skip adds channels (a U-Net's torch.cat), upsample doubles H and W, glu halves the last dim
    net = _net([8, 4, 4], {"skip": 8}, {"upsample": 2}, {"conv2d": {"out": 2, "kernel": 8, "stride": 8}})
    assert paramcalc.count(net).total == 2 * 16 * 64 + 2  # 16 channels in, 8 x 8 arrives
    seq = _net([5, 6], {"glu": {"activation": "gelu"}}, "rmsnorm", {"skip": {"channels": 3, "dim": 1}}, {"linear": 1})
    assert paramcalc.count(seq).total == 3 + (6 + 1)  # rmsnorm: a gain of 3; linear: 6 in
    with pytest.raises(ConfigError, match="an even last dimension"):
        _net([5], "glu")


def test_attention_out_bias() -> None:
    # diffusers' Attention: to_q/k/v without bias, to_out with one: 4 E^2 + E
    config = _net([10, 8], {"multihead_attention": {"heads": 2, "bias": False, "out_bias": True}})
    assert paramcalc.count(config).total == 4 * 64 + 8
    cross = _net([10, 8], {"multihead_attention": {"heads": 2, "bias": False, "kdim": 4, "vdim": 4}})
    assert paramcalc.count(cross).total == 64 + 2 * 4 * 8 + 64
