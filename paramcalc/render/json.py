"""JSON: the stable contract documented in the README (``count --json``)."""

from __future__ import annotations

import json
from typing import Any

from paramcalc.comparison import Comparison
from paramcalc.engine.layout import BIAS
from paramcalc.report import Report


def count_dict(report: Report, explain: bool = False) -> dict[str, Any]:
    data = report.to_dict()
    if explain:
        for comp, row in zip(report.components, data["components"]):
            row["terms"] = [
                {
                    "part": t.part,
                    "kind": "bias" if t.kind == BIAS else "weight",
                    "factors": [[name, value] for name, value in t.factors],
                    "count": t.count,
                }
                for t in comp.terms
            ]
    return data


def render_count(report: Report, detail: bool = False, explain: bool = False) -> str:
    return json.dumps(count_dict(report, explain), indent=2) + "\n"


def render_compare(comparison: Comparison) -> str:
    """A JSON array: element i is exactly what `count --json` prints for config i."""
    return json.dumps([count_dict(r) for r in comparison.reports], indent=2) + "\n"
