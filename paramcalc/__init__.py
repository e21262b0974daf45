"""paramcalc: exact parameter counts, memory and FLOPs of neural-network architectures.

The small public API, usable from a notebook::

    import paramcalc
    report = paramcalc.analyze(paramcalc.load("llama-2-7b"))
    report.total  # 6738415616
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paramcalc.errors import ConfigError, LoadError, ParamcalcError, UsageError

__all__ = ["ConfigError", "LoadError", "ParamcalcError", "UsageError", "analyze", "load", "parse_config"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from paramcalc.config import parse_config
    from paramcalc.engine import analyze
    from paramcalc.loading import load


def __getattr__(name: str) -> Any:
    """Import the engine and loaders on first use, so `import paramcalc` stays cheap."""
    if name == "analyze":
        from paramcalc.engine import analyze

        return analyze
    if name == "load":
        from paramcalc.loading import load

        return load
    if name == "parse_config":
        from paramcalc.config import parse_config

        return parse_config
    raise AttributeError(name)
