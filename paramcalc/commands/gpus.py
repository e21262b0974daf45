from __future__ import annotations

from paramcalc.cli import command
from paramcalc.results.lists import GpusResult


@command(GpusResult)
def gpus() -> GpusResult:
    """List the GPU presets: memory, dense BF16 and FP8 peak, bandwidth, and their datasheets."""
    from paramcalc import api

    return api.gpus()
