"""The results of `solve` and `sweep`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from paramcalc.errors import SettingError
from paramcalc.render._format import signed_percent
from paramcalc.view import DIM, Column, Document, Table, Text

if TYPE_CHECKING:
    from paramcalc.design import Solution
    from paramcalc.sweeps import Sweep

FLOP_COLUMNS = ("forward_flops_per_token", "six_nd")


class SolveResult:
    """The compute-optimal size for a budget, and the shapes of a base model nearest a target
    (design.Solution: its ``to_dict()`` has the same keys in every mode)."""

    def __init__(self, solution: Solution) -> None:
        self.solution = solution

    def __repr__(self) -> str:
        return f"SolveResult(target={self.solution.target.value}, candidates={len(self.solution.candidates)})"

    def to_dict(self) -> dict[str, Any]:
        return self.solution.to_dict()

    @property
    def rule(self) -> str:
        return "20 tokens per parameter" if self.solution.law == "chinchilla" else "Hoffmann et al. 2022, Approach 3"

    def view(self) -> Document:
        data = self.to_dict()
        doc: Document = []
        opt = data["compute_optimal"]
        if opt:
            loss = f", predicted loss {opt['loss']:.3f}" if opt["loss"] else ""
            doc.append(
                Text(
                    f"compute-optimal ({self.rule}): {opt['params']:.4g} parameters, {opt['tokens']:.4g} tokens, "
                    f"{opt['flops']:.3g} FLOPs{loss}"
                )
            )
        candidates = data["candidates"]
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
                        signed_percent(c["error"]),
                        f"{c['aspect']:.0f}",
                        f"{c['tokens']:.3g}",
                        f"{c['flops']:.3g}",
                    ]
                )
            doc.append(Table(tuple(columns), cells))
            doc.append(Text(f"tokens: {self.rule}; FLOPs: 6ND with N = active parameters", DIM))
        elif data["base"] is None:
            doc.append(Text("give --base to find shapes for this target"))
        return doc

    def config_doc(self) -> tuple[list[str], dict[str, Any]]:
        """The best candidate as a config that `extends:` the base."""
        s = self.solution
        if not s.candidates or s.base is None:
            raise SettingError([("base", "--format yaml needs --base: the YAML extends the base")])
        best = s.candidates[0]
        doc = {
            "extends": s.base,
            "name": f"{s.base} solved for {s.target.value:.3g} {s.target.kind}",
            **best.config,
            "tokens": best.tokens,
        }
        comment = (
            f"paramcalc solve: {best.params:,} parameters ({signed_percent(best.error)} from the target), "
            f"{best.tokens:.3g} tokens ({s.law}), {best.flops:.3g} training FLOPs (6ND)"
        )
        return [comment], doc


class SweepResult:
    """Every combination of the varied fields, one row each, computed as it is written
    (sweep.prepare has checked every setting first)."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.columns = sweep.columns
        self.total = sweep.total
        self.skipped = 0  # invalid combinations passed over, counted as the rows are read

    def __repr__(self) -> str:
        return f"SweepResult({self.total:,} combinations)"

    def records(self) -> Iterator[dict[str, Any]]:
        conditions = self.sweep.conditions
        for outcome in self.sweep.rows():
            if outcome.row is None:  # strict sweeps were checked whole by prepare()
                self.skipped += 1
            elif all(c.holds(outcome.row) for c in conditions):
                yield outcome.row

    def epilogue(self) -> list[str]:
        """What stderr says once the rows are written."""
        if not self.skipped:
            return []
        return [
            f"skipped {self.skipped:,} of {self.total:,} combinations that are not valid configs "
            "(--strict to stop at the first)"
        ]

    def to_dict(self) -> list[dict[str, Any]]:
        return list(self.records())

    def csv_rows(self) -> Iterator[list[object]]:
        yield list(self.columns)
        for row in self.records():
            yield [row[c] for c in self.columns]

    def _cells(self) -> Iterator[list[str]]:
        for row in self.records():
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
