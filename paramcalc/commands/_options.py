"""Options that several commands share, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

CONFIG_HELP = (
    "A YAML file, a HuggingFace or diffusers config.json (or its folder; a diffusers pipeline's "
    "model_index.json folder), a weight file or a HuggingFace repo id, a preset name (see 'paramcalc "
    "presets'), or - for YAML on stdin; overrides may follow after colons: llama-2-70b:kv_heads=8."
)

ConfigArg = Annotated[str, typer.Argument(help=CONFIG_HELP, show_default=False)]

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a config field, e.g. --set kv_heads=8 (repeatable). Values are read as "
        "YAML: 8, false, swiglu, 300e9.",
        show_default=False,
    ),
]

HeadOption = Annotated[
    bool,
    typer.Option(
        "--head",
        help="Encoders (BERT, RoBERTa, DistilBERT): count the masked-LM model "
        "(its head instead of the pooler), as AutoModelForMaskedLM builds it.",
    ),
]

TokensOption = Annotated[
    str | None,
    typer.Option(
        "--tokens",
        help="Training tokens for the FLOPs estimate (300e9, 3e11 or 300B; at most 1e18). "
        "Default: the config's tokens, else 20 x params (Chinchilla).",
        show_default=False,
    ),
]

ExplainOption = Annotated[bool, typer.Option("--explain", help="Show where each figure comes from.")]

GpuOption = Annotated[
    str | None, typer.Option("--gpu", help="GPU preset (see 'paramcalc gpus'). Default: h100-sxm.", show_default=False)
]
GpusOption = Annotated[int, typer.Option("--gpus", help="Number of GPUs.", min=1)]
GpuMemory = Annotated[
    str | None, typer.Option("--gpu-memory", help="Custom GPU memory, with a unit: 48GB, 80GiB.", show_default=False)
]
GpuFlops = Annotated[
    str | None, typer.Option("--gpu-flops", help="Custom dense peak FLOP/s: 150e12.", show_default=False)
]
GpuBandwidth = Annotated[
    str | None,
    typer.Option("--gpu-bandwidth", help="Custom memory bandwidth, with a unit: 3.35TB/s.", show_default=False),
]
Reserve = Annotated[
    float, typer.Option("--reserve", help="Fraction of GPU memory kept free (framework, fragmentation).")
]

SeqLenOption = Annotated[
    int | None,
    typer.Option(
        "--seq-len",
        help="Training sequence length for the attention FLOPs (the field seq_len). Default: the config's "
        "seq_len, else its context.",
        show_default=False,
    ),
]
CausalOption = Annotated[
    bool,
    typer.Option(
        "--causal",
        help="Count a decoder's self-attention scores and values under the causal mask (half), as Kaplan "
        "et al. 2020 do. Default: full attention, as Chinchilla, Megatron and PaLM count it.",
    ),
]
