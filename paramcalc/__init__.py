"""paramcalc: exact parameter counts, memory and FLOPs of neural-network architectures.

The library behind the command line, one function per command, each returning the object the
CLI renders (``to_dict()`` is exactly what the command's ``--json`` prints)::

    import paramcalc
    paramcalc.count("llama-2-7b").total                    # 6738415616
    paramcalc.compare(["llama-2-70b", "llama-2-70b:kv_heads=64"]).to_dict()
    paramcalc.train("llama-2-7b", gpus=8, zero=3).estimate.fits
    paramcalc.infer("llama-3-8b", context=8192, gpu="rtx-4090").estimate.max_batch
    paramcalc.solve(flops=1e23, base="llama-2-7b").to_dict()["candidates"][0]
    next(paramcalc.sweep("gpt2", ["layers=12,24"]).records())

Importing paramcalc is cheap: the engine is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paramcalc.errors import ConfigError, LoadError, ParamcalcError, SettingError, UsageError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "LoadError",
    "ParamcalcError",
    "SettingError",
    "UsageError",
    "__version__",
    "analyze",
    "compare",
    "convert",
    "count",
    "gpus",
    "infer",
    "load",
    "parse_config",
    "presets",
    "schema",
    "solve",
    "sweep",
    "train",
    "verify",
]

if TYPE_CHECKING:
    from paramcalc.api import (
        analyze,
        compare,
        convert,
        count,
        gpus,
        infer,
        load,
        presets,
        schema,
        solve,
        sweep,
        train,
        verify,
    )
    from paramcalc.config import parse_config


def __getattr__(name: str) -> Any:
    """Import the engine and loaders on first use, so `import paramcalc` stays cheap."""
    if name in __all__ and name != "parse_config":  # the functions of paramcalc.api
        from paramcalc import api

        return getattr(api, name)
    if name == "parse_config":
        from paramcalc.config import parse_config

        return parse_config
    raise AttributeError(f"module 'paramcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
