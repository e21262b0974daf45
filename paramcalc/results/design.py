"""The results of `solve` and `sweep`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from paramcalc.view import DIM, Column, Document, Table, Text

FLOP_COLUMNS = ("forward_flops_per_token", "six_nd")


class SolveResult:
    """The compute-optimal size for a budget, and the shapes of a base model nearest a target."""

    def __init__(self, data: dict[str, Any], base: str | None) -> None:
        self.data = data
        self.base = base

    def __repr__(self) -> str:
        return f"SolveResult(target={self.data['target']}, candidates={len(self.data['candidates'])})"

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def rule(self) -> str:
        return "20 tokens per parameter" if self.data["law"] == "chinchilla" else "Hoffmann et al. 2022, Approach 3"

    def view(self) -> Document:
        doc: Document = []
        opt = self.data.get("compute_optimal")
        if opt:
            loss = f", predicted loss {opt['loss']:.3f}" if opt["loss"] else ""
            doc.append(
                Text(
                    f"compute-optimal ({self.rule}): {opt['params']:.4g} parameters, {opt['tokens']:.4g} tokens, "
                    f"{opt['flops']:.3g} FLOPs{loss}"
                )
            )
        candidates = self.data["candidates"]
        if candidates:
            labels = ("layers", "d_model", "heads", "kv", "d_ff", "params", "active", "error", "aspect")
            drops = (0, 0, 0, 4, 5, 0, 8, 0, 9)  # narrow: aspect, active, tokens, 6ND, d_ff, kv go
            columns = [Column(label, drop=d) for label, d in zip(labels, drops)]
            columns += [Column("tokens", drop=7), Column("6ND", drop=6)]
            cells = []
            for c in candidates:
                f = c["config"]
                cells.append(
                    [
                        str(f.get("layers", f.get("encoder_layers"))),
                        str(f["d_model"]),
                        str(f["heads"]),
                        str(f.get("kv_heads", f["heads"])),
                        str(f["d_ff"]),
                        f"{c['params']:,}",
                        f"{c['active']:,}",
                        f"{c['error']:+.2%}",
                        f"{c['aspect']:.0f}",
                        f"{c['tokens']:.3g}",
                        f"{c['flops']:.3g}",
                    ]
                )
            doc.append(Table(tuple(columns), cells))
            doc.append(Text(f"tokens: {self.rule}; FLOPs: 6ND with N = active parameters", DIM))
        elif not opt:
            doc.append(Text("give --base to find shapes for this target"))
        return doc

    def config_doc(self) -> tuple[list[str], dict[str, Any]]:
        from paramcalc.errors import SettingError

        candidates = self.data["candidates"]
        if not candidates:
            raise SettingError([("format", "yaml needs --base (the YAML extends it)")])
        best = candidates[0]
        target = self.data["target"]
        doc = {
            "extends": self.base,
            "name": f"{self.base} solved for {target['value']:.3g} {target['kind']}",
            **best["config"],
            "tokens": best["tokens"],
        }
        comment = (
            f"paramcalc solve: {best['params']:,} parameters ({best['error']:+.2%} from the target), "
            f"{best['tokens']:.3g} tokens ({self.data['law']}), {best['flops']:.3g} training FLOPs (6ND)"
        )
        return [comment], doc


class SweepResult:
    """Every combination of the varied fields, one row each, computed as it is written."""

    def __init__(self, columns: list[str], rows: Iterator[dict[str, Any]], total: int) -> None:
        self.columns = columns
        self._rows = rows
        self.total = total
        self.skipped = 0  # invalid combinations passed over, counted as the rows are read

    def __repr__(self) -> str:
        return f"SweepResult({self.total:,} combinations)"

    def records(self) -> Iterator[dict[str, Any]]:
        return self._rows

    def epilogue(self) -> list[str]:
        """What stderr says once the rows are written."""
        if not self.skipped:
            return []
        return [
            f"skipped {self.skipped:,} of {self.total:,} combinations that are not valid configs "
            "(--strict to stop at the first)"
        ]

    def to_dict(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def csv_rows(self) -> Iterator[list[object]]:
        yield list(self.columns)
        for row in self._rows:
            yield [row[c] for c in self.columns]

    def _cells(self) -> Iterator[list[str]]:
        for row in self._rows:
            yield [
                f"{row[c]:.3e}"
                if c in FLOP_COLUMNS
                else f"{row[c]:,}"
                if isinstance(row[c], int) and not isinstance(row[c], bool)
                else str(row[c])
                for c in self.columns
            ]

    def view(self) -> Document:
        return [Table(tuple(Column(c) for c in self.columns), self._cells())]
