"""The results of counting weights: a checkpoint alone, and `verify` (config against weights)."""

from __future__ import annotations

from typing import Any

from paramcalc.engine.memory import memory_by_dtype
from paramcalc.render._format import count, share, size
from paramcalc.view import BOLD, DIM, LEFT, Column, Document, Table, Text, pairs
from paramcalc.weights.checkpoint import Difference, Tally

STORED_NOTE = (
    "Parameters are the logical ones (a GPTQ int32 holds 32/bits of them; scales, zeros and named "
    "buffers hold none); stored = the tensors' data bytes as written; bits per weight = 8 x the bytes "
    "of the weights and their quantization tensors / parameters. GB = 10^9 bytes."
)


def checkpoint_rows(stored: Tally) -> list[tuple[str, str]]:
    """The summary of what a checkpoint stores."""
    ck = stored.checkpoint
    files = f"{len(ck.files)} file{'s' if len(ck.files) != 1 else ''}"
    rows = [
        ("checkpoint", f"{ck.format}, {files}, {len(ck.tensors):,} tensors"),
        ("stored parameters", count(stored.params)),
        ("stored bytes", f"{size(stored.bytes)} ({stored.bytes:,} bytes)"),
    ]
    if stored.bits_per_weight is not None:
        rows.append(("bits per weight", f"{stored.bits_per_weight:.3g}"))
    dtypes = ", ".join(f"{p.name} {count(p.params)}" for p in stored.dtypes if p.params)
    if dtypes:
        rows.append(("stored dtypes (parameters)", dtypes))
    q = ck.quantization
    if q:
        words = [str(q.get("method"))]
        words += [f"{k} {q[k]}" for k in ("type", "file_type", "bits", "group_size") if q.get(k) is not None]
        rows.append(("quantization", ", ".join(words)))
    if stored.methods:
        rows.append(("quantized tensors", ", ".join(stored.methods)))
    if stored.buffers:
        names = ", ".join(sorted({b.name.rsplit(".", 1)[-1] for b in stored.buffers}))
        rows.append(("buffers (not parameters)", f"{len(stored.buffers)}: {names}"))
    return rows


def differences_dict(diffs: list[Difference]) -> list[dict[str, Any]]:
    return [{"component": d.component, "config": d.config, "stored": d.stored, "why": d.why} for d in diffs]


class CheckpointResult:
    """Weights without a config: the parameters and bytes a checkpoint stores, by component."""

    def __init__(self, stored: Tally, name: str, warnings: list[str] | None = None) -> None:
        self.stored = stored
        self.name = name
        self.warnings = list(warnings or [])

    def __repr__(self) -> str:
        return f"CheckpointResult({self.name!r}, params={self.stored.params})"

    @property
    def total(self) -> int:
        return self.stored.params

    def to_dict(self) -> dict[str, Any]:
        s = self.stored
        return {
            "name": self.name,
            "architecture": None,
            "source": s.checkpoint.label,
            "params": {"total": s.params},
            "components": [{"name": p.name, "params": p.params, "bytes": p.bytes} for p in s.components],
            "memory_bytes": memory_by_dtype(s.params),
            "checkpoint": {**s.to_dict(), "matches_config": None},
        }

    def view(self) -> Document:
        s = self.stored
        columns = (
            Column("component", LEFT, wrap=True),
            Column("params"),
            Column("share", drop=3),
            Column("stored", drop=1),
            Column("tensors", drop=2),
        )
        cells = [
            [p.name, count(p.params), share(p.params, s.params), size(p.bytes), f"{p.tensors:,}"] for p in s.components
        ]
        cells.append(
            ["total", count(s.params), share(s.params, s.params), size(s.bytes), f"{len(s.checkpoint.tensors):,}"]
        )
        styles = ("",) * (len(cells) - 1) + (BOLD,)
        doc: Document = [
            Table(columns, cells, title=f"{self.name} (weights)", styles=styles, sections=frozenset({len(cells) - 1}))
        ]
        doc.append(pairs(checkpoint_rows(s), ("summary", "value")))
        why = (
            "No config.json beside the weights"
            if s.checkpoint.config is None
            else "The config.json beside the weights is not one paramcalc counts (see the warning)"
        )
        doc.append(Text(f"{why}: components from the tensor names only.", DIM))
        doc.append(Text(STORED_NOTE, DIM))
        return doc


class VerifyResult:
    """A config's count against its weights' (`paramcalc verify`): exit 0 when they agree."""

    def __init__(self, name: str, config_total: int, stored: Tally, diffs: list[Difference]) -> None:
        self.name = name
        self.config_total = config_total
        self.stored = stored
        self.diffs = diffs

    def __repr__(self) -> str:
        return f"VerifyResult({self.name!r}, matches={self.matches})"

    @property
    def matches(self) -> bool:
        return self.config_total == self.stored.params and not self.diffs

    @property
    def exit_status(self) -> int:
        return 0 if self.matches else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "matches": self.matches,
            "config_params": self.config_total,
            "stored_params": self.stored.params,
            "difference": self.stored.params - self.config_total,
            "differences": differences_dict(self.diffs),
            "checkpoint": self.stored.to_dict(),
        }

    def view(self) -> Document:
        verdict = "agree" if self.matches else "differ"
        doc: Document = [
            Text(f"{self.name}: the config and the weights {verdict}", BOLD),
            pairs(
                [
                    ("config's count", count(self.config_total)),
                    ("stored parameters", count(self.stored.params)),
                    ("difference", f"{self.stored.params - self.config_total:+,}"),
                ],
                ("", "value"),
            ),
        ]
        if self.diffs:
            columns = (Column("component", LEFT), Column("config"), Column("stored"), Column("why", LEFT, wrap=True))
            cells = [["" if v is None else count(v) for v in (d.config, d.stored)] for d in self.diffs]
            doc.append(
                Table(columns, [[d.component, *c, d.why] for d, c in zip(self.diffs, cells)], title="differences")
            )
        return doc
