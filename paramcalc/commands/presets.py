from __future__ import annotations

from paramcalc.cli import command
from paramcalc.results.lists import PresetsResult


@command(PresetsResult)
def presets() -> PresetsResult:
    """List the bundled presets with their total parameters and sources.

    Any preset name works wherever a config is expected: 'paramcalc count llama-2-7b'.
    """
    from paramcalc import api

    return api.presets()
