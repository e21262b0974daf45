"""The results of `presets`, `gpus`, `convert` and `schema`."""

from __future__ import annotations

from typing import Any

from paramcalc.render._format import count, size
from paramcalc.view import LEFT, Column, Document, Table, pairs


class PresetsResult:
    """The bundled presets: name, display name, architecture, total and active parameters, source."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def __repr__(self) -> str:
        return f"PresetsResult({len(self.rows)} presets)"

    def to_dict(self) -> list[dict[str, Any]]:
        return self.rows

    def records(self) -> list[dict[str, Any]]:
        return self.rows

    def csv_rows(self) -> list[list[object]]:
        keys = list(self.rows[0]) if self.rows else []
        return [keys, *([r[k] for k in keys] for r in self.rows)]

    def view(self) -> Document:
        columns = (Column("preset", LEFT), Column("params"), Column("source", LEFT, wrap=True, drop=1))
        cells = [[r["preset"], count(r["total"]), r["source"] or ""] for r in self.rows]
        return [Table(columns, cells, boxed=False)]


class GpusResult:
    """The GPU presets: memory, dense BF16 and FP8 peak, bandwidth, and their datasheets."""

    def __init__(self, gpus: list[Any]) -> None:
        self.gpus = gpus

    def __repr__(self) -> str:
        return f"GpusResult({len(self.gpus)} GPUs)"

    def to_dict(self) -> list[dict[str, Any]]:
        return [g.to_dict() for g in self.gpus]

    def records(self) -> list[dict[str, Any]]:
        return self.to_dict()

    def csv_rows(self) -> list[list[object]]:
        rows = self.to_dict()
        keys = list(rows[0]) if rows else []
        return [keys, *([r[k] for k in keys] for r in rows)]

    def view(self) -> Document:
        columns = (
            Column("gpu", LEFT),
            Column("memory"),
            Column("bf16 TFLOP/s"),
            Column("fp8 TFLOP/s", drop=2),
            Column("bandwidth"),
            Column("source", LEFT, wrap=True, drop=1),
        )
        cells = []
        for g in self.gpus:
            fp8 = f"{g.fp8_flops / 1e12:,.0f}" if g.fp8_flops else "-"
            bandwidth = f"{size(int(g.bandwidth))}/s" if g.bandwidth else "-"
            bf16 = f"{g.bf16_flops / 1e12:,.0f}" if g.bf16_flops else "-"
            if g.bf16_flops and g.half_precision != "bf16":  # a part without BF16: its FP16 figure, marked
                bf16 += f" ({g.half_precision})"
            cells.append([g.name, size(g.memory), bf16, fp8, bandwidth, g.source])
        return [Table(columns, cells, boxed=False)]


class ConvertResult:
    """A config written out as paramcalc fields (from a HuggingFace config.json, or flattened)."""

    def __init__(self, fields: dict[str, Any], label: str, total: int) -> None:
        self.fields = fields
        self.label = label
        self.total = total

    def __repr__(self) -> str:
        return f"ConvertResult({self.label!r}, total={self.total})"

    def to_dict(self) -> dict[str, Any]:
        return self.fields

    def config_doc(self) -> tuple[list[str], dict[str, Any]]:
        comments = [f"paramcalc config converted from {self.label}", f"paramcalc count: {self.total:,} parameters"]
        return comments, self.fields

    def view(self) -> Document:
        def show(value: Any) -> str:
            return str(value).lower() if isinstance(value, bool) else str(value)

        return [pairs(((k, show(v)) for k, v in self.fields.items()), ("field", "value"), title=self.label)]


class SchemaResult:
    """The JSON Schema of the YAML config."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def __repr__(self) -> str:
        return "SchemaResult()"

    def to_dict(self) -> dict[str, Any]:
        return self.schema

    def view(self) -> Document:
        columns = (Column("field", LEFT), Column("type", LEFT), Column("description", LEFT, wrap=True))
        cells = []
        for name, prop in self.schema["properties"].items():
            kind = prop.get("type") or "/".join(p.get("type", "") for p in prop.get("anyOf", []))
            cells.append([name, str(kind), prop.get("description", "")])
        return [Table(columns, cells, title=self.schema.get("title", ""))]
