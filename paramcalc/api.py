"""The library: one function per command, returning the object the CLI renders.

``paramcalc.count("llama-2-7b").to_dict()`` is exactly what ``paramcalc count llama-2-7b --json``
prints, and so for every command. A config is a preset name or path (as on the command line,
overrides after colons allowed), a mapping of fields, or a :class:`~paramcalc.config.Config`;
``set`` overrides fields (a mapping, or ``"KEY=VALUE"`` strings as ``--set`` takes them).
Errors are :class:`~paramcalc.errors.ParamcalcError` subclasses; settings that make no sense
raise :class:`~paramcalc.errors.SettingError` naming the argument.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

from paramcalc.errors import ConfigError, LoadError, Problem, SettingError

if TYPE_CHECKING:
    from paramcalc.config import Config
    from paramcalc.engine.report import Report
    from paramcalc.results.count import CompareResult, CountResult
    from paramcalc.results.design import SolveResult, SweepResult
    from paramcalc.results.lists import ConvertResult, GpusResult, PresetsResult, SchemaResult
    from paramcalc.results.plan import InferResult, TrainResult
    from paramcalc.results.weights import CheckpointResult, VerifyResult
    from paramcalc.weights.checkpoint import Tally

ConfigLike = Union[str, Mapping[str, Any], "Config"]
Overrides = Mapping[str, Any] | Sequence[str]


def _pairs(overrides: Overrides) -> list[str]:
    """Overrides as the 'KEY=VALUE' strings --set takes (values written as YAML, which JSON is)."""
    if isinstance(overrides, Mapping):
        return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in overrides.items()]
    return list(overrides)


def load(config: ConfigLike, set: Overrides = (), head: bool = False) -> Config:  # noqa: A002 (the CLI's name)
    """A validated Config from anything a command accepts."""
    from paramcalc.config import Config, parse_config

    if isinstance(config, Config):
        if not set and not head:
            return config
        config = {k: v for k, v in config.to_dict().items() if v is not None}
    if isinstance(config, Mapping):
        fields = {k: v for k, v in config.items() if not (k in ("source", "extends", "tokens") and v is None)}
        if set:
            from paramcalc.loading import parse_overrides

            fields.update(parse_overrides(_pairs(set), "<config>"))
        if head:
            fields.update(mlm_head=True, pooler=False)
        return parse_config(fields)
    weights = _weights_config(config)
    if weights is not None:
        return load(weights, set, head)
    from paramcalc.loading import load as load_spec

    return load_spec(config, _pairs(set), head)


def _is_weights(config: ConfigLike) -> bool:
    """Whether a config argument names weights (paramcalc.weights.is_weights); a preset name,
    which has neither a '/' nor a weight file's suffix, costs no import."""
    if not isinstance(config, str):
        return False
    if "/" not in config and not config.lower().endswith((".safetensors", ".gguf", ".json")):
        import os

        if not os.path.isdir(config):
            return False
    from paramcalc.weights import is_weights

    return is_weights(config)


def _weights_config(config: ConfigLike) -> dict[str, Any] | None:
    """The fields of the config.json that came with a weights argument, or None if `config` names
    no weights; weights without a (supported) config.json cannot give a model's shape."""
    if not _is_weights(config):
        return None
    assert isinstance(config, str)
    fields, _, problem = _checkpoint(config)
    if fields is None:
        raise LoadError(config, problem or "has no config.json beside the weights: give the config too")
    return fields


def _checkpoint(spec: str) -> tuple[dict[str, Any] | None, Tally, str | None]:
    """The weights a spec names, added up, and the paramcalc fields of its config.json (None, and
    why, when there is none or its model_type is not supported)."""
    from pathlib import Path

    from paramcalc.weights.checkpoint import tally
    from paramcalc.weights.inputs import read_weights

    checkpoint = read_weights(spec)
    if checkpoint.config is None:
        return None, tally(checkpoint), None
    from paramcalc.hf import convert as hf_convert

    try:
        fields = hf_convert(checkpoint.config, f"{spec} (config.json)", Path(spec.rstrip("/")).name)
    except (LoadError, ConfigError) as exc:
        reason = exc.reason if isinstance(exc, LoadError) else exc.lines()[0]
        return None, tally(checkpoint), f"{reason}: counted from the weights alone"
    layers = fields.get("layers")
    return fields, tally(checkpoint, layers if isinstance(layers, int) else None), None


def _shape_and_stored_bytes(config: ConfigLike, command: str) -> tuple[ConfigLike, int | None]:
    """For weights: the fields of their config.json (the model's shape) and the bytes they store;
    anything else as it is, with None."""
    if not _is_weights(config):
        return config, None
    assert isinstance(config, str)
    fields, stored, problem = _checkpoint(config)
    if fields is None:
        raise LoadError(config, problem or f"has no config.json beside the weights: {command} needs the model's shape")
    return fields, stored.bytes


def tokens_value(tokens: int | float | str | None) -> int | None:
    """Training tokens as typed (300e9, '300B'), checked like the config field `tokens`."""
    if tokens is None:
        return None
    from paramcalc.fields import parse_value

    try:
        value: int = parse_value("tokens", tokens)
    except ValueError as exc:
        raise SettingError([("tokens", str(exc))]) from None
    return value


def analyze(config: ConfigLike, tokens: int | float | str | None = None, set: Overrides = ()) -> Report:  # noqa: A002
    """Count every parameter of a config, its memory at each dtype and its training FLOPs."""
    from paramcalc.engine import analyze as engine_analyze

    return engine_analyze(load(config, set), tokens=tokens_value(tokens))


def _with_seq_len(overrides: Overrides, seq_len: int | None) -> list[str]:
    """--seq-len N is the field seq_len: an override like any other."""
    pairs = _pairs(overrides)
    return pairs if seq_len is None else [*pairs, f"seq_len={seq_len}"]


def count(
    config: ConfigLike,
    *,
    set: Overrides = (),  # noqa: A002
    head: bool = False,
    tokens: int | float | str | None = None,
    seq_len: int | None = None,
    causal: bool = False,
    detail: bool = False,
    explain: bool = False,
) -> CountResult | CheckpointResult:
    """Count the parameters of one architecture, component by component (``paramcalc count``).
    Weights (a .safetensors or .gguf file, a folder of them, ORG/NAME) are counted from their
    headers: with their config.json, a CountResult whose ``stored`` holds the checkpoint's own
    count; without one, a CheckpointResult.
    `seq_len` sets the training sequence length of the FLOPs (the field seq_len); `causal`
    counts a decoder's self-attention products under its causal mask (half)."""
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.results.count import CountResult

    if _is_weights(config):
        assert isinstance(config, str)
        from paramcalc.results.weights import CheckpointResult

        fields, stored, problem = _checkpoint(config)
        if fields is None:
            if set or head or seq_len:
                raise SettingError([("set", f"{config} has no config.json to override; weights are as stored")])
            return CheckpointResult(stored, config.rstrip("/").rsplit("/", 1)[-1], [problem] if problem else [])
        report = engine_analyze(load(fields, _with_seq_len(set, seq_len), head), tokens_value(tokens), causal)
        return CountResult(report, detail=detail, explain=explain, stored=stored)
    report = engine_analyze(load(config, _with_seq_len(set, seq_len), head), tokens_value(tokens), causal)
    return CountResult(report, detail=detail, explain=explain)


def compare(
    configs: Sequence[ConfigLike],
    *,
    baseline: int | str | None = None,
    set: Overrides = (),  # noqa: A002
    head: bool = False,
    tokens: int | float | str | None = None,
    seq_len: int | None = None,
    causal: bool = False,
) -> CompareResult:
    """Configs side by side (``paramcalc compare``). Every config is loaded before any error is
    raised, so all their problems are reported at once. `baseline`: a position (0-based as an
    int; '1'-based as typed on the command line), a config as given, or a config's name."""
    from paramcalc.comparison import compare as build
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.loading import STDIN, split_spec
    from paramcalc.results.count import CompareResult

    if len(configs) < 2:
        raise SettingError([("configs", "compare needs two or more configs (use count for one)")])
    if sum(isinstance(c, str) and split_spec(c)[0] == STDIN for c in configs) > 1:
        raise SettingError([("configs", "stdin (-) can be read only once")])
    n_tokens = tokens_value(tokens)
    reports, problems = [], []
    for config in configs:
        try:
            reports.append(engine_analyze(load(config, _with_seq_len(set, seq_len), head), n_tokens, causal))
        except ConfigError as exc:
            problems += exc.problems
        except LoadError as exc:
            problems.append(Problem(exc.source, None, exc.reason))
    if problems:
        raise ConfigError(problems)
    specs = [c if isinstance(c, str) else "" for c in configs]
    index = _baseline(baseline, specs, [r.config.name for r in reports])
    return CompareResult(build(reports, index))


def _baseline(choice: int | str | None, specs: list[str], names: list[str]) -> int:
    if choice is None:
        return 0
    if isinstance(choice, int) and not isinstance(choice, bool):
        if 0 <= choice < len(specs):
            return choice
    elif choice in specs:
        return specs.index(choice)
    elif choice in names:
        return names.index(choice)
    elif isinstance(choice, str) and choice.isdigit() and 1 <= int(choice) <= len(specs):
        return int(choice) - 1
    raise SettingError([("baseline", f"{choice!r} is not one of the configs nor a position 1..{len(specs)}")])


def convert(config: str, *, set: Overrides = (), head: bool = False) -> ConvertResult:  # noqa: A002
    """The paramcalc fields equivalent to a config: a HuggingFace config.json translated, or a YAML
    config's extends: chain flattened (``paramcalc convert``). Each value is written as validated."""
    from paramcalc.config import parse_config
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.loading import load_fields
    from paramcalc.results.lists import ConvertResult

    weights = _weights_config(config)  # weights with their config.json: convert that config
    if weights is not None:
        from paramcalc.loading import parse_overrides

        fields = {**weights, **parse_overrides(_pairs(set), config)}
        label, name = config, str(weights.get("name") or config)
    else:
        fields, source, _ = load_fields(config, _pairs(set), head)
        label, name = source.label, source.name
    parsed = parse_config(fields, label, name)
    values = parsed._asdict()
    out = {}
    for key, value in fields.items():
        if key == "extends":  # flattened: every inherited field is written out
            continue
        value = values.get(key, value)
        if key in ("parts", "tensors", "layers", "modules"):  # each part written out as its fields, a net as written
            out[key] = parsed.to_dict()[key]
        else:
            out[key] = list(value) if isinstance(value, tuple) else value
    return ConvertResult(out, label, engine_analyze(parsed).total)


def verify(weights: str) -> VerifyResult:
    """Whether a checkpoint holds what its config.json says (``paramcalc verify``): the config's
    exact count against the stored parameters, component by component. The result's
    ``exit_status`` is 0 when they agree, 1 otherwise."""
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.results.weights import VerifyResult
    from paramcalc.weights.checkpoint import differences

    if not _is_weights(weights):
        raise LoadError(weights, "is not weights: give a .safetensors or .gguf file, a folder of them, or ORG/NAME")
    fields, stored, problem = _checkpoint(weights)
    if fields is None:
        raise LoadError(weights, problem or "has no config.json beside the weights: verify compares the two")
    report = engine_analyze(load(fields))
    parts = [(c.name, c.params) for c in report.components]
    diffs = differences(parts, stored, report.config.tie_embeddings)
    return VerifyResult(report.config.name, report.total, stored, diffs)


def presets() -> PresetsResult:
    """The bundled presets with their totals and sources (``paramcalc presets``)."""
    from paramcalc.catalog import preset_names
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.loading import load as load_spec
    from paramcalc.results.lists import PresetsResult

    rows = []
    for name in preset_names():
        report = engine_analyze(load_spec(name))
        rows.append(
            {
                "preset": name,
                "name": report.config.name,
                "architecture": report.config.architecture,
                "total": report.total,
                "active": report.active,
                "source": report.config.source,
            }
        )
    return PresetsResult(rows)


def gpus() -> GpusResult:
    """The GPU presets and their datasheet figures (``paramcalc gpus``)."""
    from paramcalc.engine.hardware import presets as gpu_presets
    from paramcalc.results.lists import GpusResult

    return GpusResult(list(gpu_presets().values()))


def schema() -> SchemaResult:
    """The JSON Schema of the YAML config (``paramcalc schema``)."""
    from paramcalc.results.lists import SchemaResult
    from paramcalc.schemas import config_schema

    return SchemaResult(config_schema())


ZERO_NAMES = {"0": 0, "1": 1, "2": 2, "3": 3, "no-shard": 0, "os": 1, "shard-grad-op": 2, "full-shard": 3, "fsdp": 3}


def train(
    config: ConfigLike,
    *,
    gpus: int = 1,
    gpu: str | None = None,
    micro_batch: int = 1,
    seq: int | None = None,
    precision: str = "bf16-mixed",
    optimizer: str = "adamw",
    zero: int | str = 0,
    tp: int = 1,
    pp: int = 1,
    sp: bool = False,
    recompute: str = "none",
    flash_attention: bool = True,
    tokens: int | float | str | None = None,
    mfu: float = 0.4,
    finetune: str = "full",
    lora_rank: int | None = None,
    lora_targets: str | None = None,
    reserve: float = 0.1,
    gpu_memory: str | None = None,
    gpu_flops: str | None = None,
    gpu_bandwidth: str | None = None,
    set: Overrides = (),  # noqa: A002
    explain: bool = False,
) -> TrainResult:
    """Per-GPU training memory, whether it fits, the largest micro-batch, and the time (``paramcalc train``)."""
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.engine.hardware import resolve_gpu
    from paramcalc.engine.training import (
        Finetune,
        LoraTargets,
        Optimizer,
        Precision,
        Recompute,
        TrainSettings,
        estimate,
    )
    from paramcalc.results.plan import TrainResult

    stage = ZERO_NAMES.get(str(zero).lower())
    if stage is None:
        raise SettingError([("zero", f"'{zero}' is not 0, 1, 2, 3, no-shard, shard-grad-op or full-shard")])
    stored_bytes = None
    if str(finetune) == "lora":  # the frozen base as the checkpoint stores it (QLoRA)
        config, stored_bytes = _shape_and_stored_bytes(config, "train")
    report = engine_analyze(load(config, set))
    settings = TrainSettings(
        gpu=resolve_gpu(gpu, gpu_memory, gpu_flops, gpu_bandwidth),
        gpus=gpus,
        micro_batch=micro_batch,
        seq=seq,
        precision=Precision(precision),
        optimizer=Optimizer(optimizer),
        zero=stage,
        tp=tp,
        pp=pp,
        sp=sp,
        recompute=Recompute(recompute),
        flash_attention=flash_attention,
        tokens=tokens_value(tokens),
        mfu=mfu,
        finetune=Finetune(finetune),
        lora_rank=lora_rank,
        lora_targets=None if lora_targets is None else LoraTargets(lora_targets),
        reserve=reserve,
        stored_bytes=stored_bytes,
    )
    return TrainResult(report.config.name, estimate(report, settings), explain=explain)


def infer(
    config: ConfigLike,
    *,
    batch: int = 1,
    context: int | None = None,
    dtype: str = "bf16",
    kv_dtype: str | None = None,
    mla_cache: str = "latent",
    gpu: str | None = None,
    gpus: int = 1,
    reserve: float = 0.1,
    gpu_memory: str | None = None,
    gpu_flops: str | None = None,
    gpu_bandwidth: str | None = None,
    set: Overrides = (),  # noqa: A002
    explain: bool = False,
    group_size: int | None = None,
    engine: str = "plain",
    n_gpu_layers: int | None = None,
    n_cpu_moe: int = 0,
    cpu_memory: str | None = None,
    attention: str = "auto",
) -> InferResult:
    """Serving memory, whether it fits, the longest context and largest batch, speed (``paramcalc infer``)."""
    from paramcalc.engine import analyze as engine_analyze
    from paramcalc.engine import engines, formats
    from paramcalc.engine.inference import InferSettings, MlaCache, estimate, resolve_gpu
    from paramcalc.results.plan import InferResult

    config, stored_bytes = _shape_and_stored_bytes(config, "infer")
    report = engine_analyze(load(config, set))
    ram = None
    if cpu_memory is not None:
        from paramcalc.units import parse_bytes

        try:
            ram = parse_bytes(cpu_memory)
        except ValueError as exc:
            raise SettingError([("cpu_memory", str(exc))]) from None
    if kv_dtype is not None:
        formats.kv_bytes(1, str(kv_dtype))  # an unknown type: a SettingError naming kv_dtype
    settings = InferSettings(
        group_size=group_size,
        engine=engines.lookup(str(engine)).name,
        n_gpu_layers=n_gpu_layers,
        n_cpu_moe=n_cpu_moe,
        cpu_memory=ram,
        attention=str(attention),
        gpu=resolve_gpu(gpu, gpu_memory, gpu_flops, gpu_bandwidth),
        gpus=gpus,
        batch=batch,
        context=context,
        dtype=formats.resolve(str(dtype)),
        kv_dtype=str(kv_dtype).lower() if kv_dtype else None,
        mla_cache=MlaCache(mla_cache),
        reserve=reserve,
        stored_bytes=stored_bytes,
    )
    return InferResult(report.config.name, estimate(report, settings), explain=explain)


def solve(
    *,
    params: int | str | None = None,
    active: int | str | None = None,
    flops: int | str | None = None,
    law: str = "chinchilla",
    base: str | None = None,
    layers: int | None = None,
    multiple_of: int = 64,
    tp_multiple: int | None = None,
    pp_multiple: int = 1,
    aspect: str | tuple[float, float] = "48..160",
    top: int = 5,
) -> SolveResult:
    """A model for a budget: a parameter target, or a training compute budget (``paramcalc solve``).
    `base` is a config as the command line names it; its shapes are searched (design.solve)."""
    from paramcalc.design import solve as solve_for
    from paramcalc.results.design import SolveResult

    fields, label = None, None
    if base is not None:
        from paramcalc.loading import load_fields

        fields, source, _ = load_fields(base)
        label = source.label
    solution = solve_for(
        params=params,
        active=active,
        flops=flops,
        law=str(law),
        base=base,
        base_fields=fields,
        base_label=label,
        layers=layers,
        multiple_of=multiple_of,
        tp_multiple=tp_multiple,
        pp_multiple=pp_multiple,
        aspect=aspect,
        top=top,
    )
    return SolveResult(solution)


def sweep(
    base: str,
    vary: Sequence[str],
    *,
    where: str | None = None,
    strict: bool = False,
    tokens: int | str | None = None,
) -> SweepResult:
    """Every combination of the varied fields, one row each (``paramcalc sweep``). Every setting
    (and, with `strict`, every combination) is checked before the first row is returned; rows are
    computed as they are read."""
    from paramcalc.loading import load_fields
    from paramcalc.results.design import SweepResult
    from paramcalc.sweeps import prepare

    fields, source, _ = load_fields(base)
    return SweepResult(prepare(fields, source.label, vary, where, tokens, strict))
