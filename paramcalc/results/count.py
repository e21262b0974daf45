"""The results of `count` and `compare`: their JSON form (the README's contract), their CSV rows
and the document the terminal and Markdown draw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paramcalc.comparison import COMPONENTS, Comparison
from paramcalc.engine.layout import BIAS
from paramcalc.engine.memory import memory_by_dtype
from paramcalc.engine.params import TEXTBOOK_MAX_PARAMS, TextbookUnit, mlp_widths, textbook_units
from paramcalc.engine.report import Report
from paramcalc.render._format import (
    DTYPES,
    bar,
    component_formulas,
    count,
    differences,
    notes,
    ratio,
    row_value,
    sci,
    share,
    signed,
    size,
    summary_rows,
)
from paramcalc.view import BOLD, DIM, HEADING, ITEM, LEFT, Choice, Column, Document, Table, Text, pairs

if TYPE_CHECKING:
    from paramcalc.weights.checkpoint import Difference, Tally


def textbook(report: Report) -> list[TextbookUnit] | None:
    """Every unit of a small mlp with the sum it computes, or None (not an mlp, or too big)."""
    config = report.config
    if not config.is_mlp or report.total > TEXTBOOK_MAX_PARAMS:
        return None
    return list(textbook_units(config))


def equation(unit: TextbookUnit) -> str:
    """'z1^(1) = x1*w(1,1)^(1) + x2*w(2,1)^(1) + b1^(1)'."""
    terms = [f"{x}*{w.name}" for x, w in zip(unit.inputs, unit.weights)]
    if unit.bias is not None:
        terms.append(unit.bias.name)
    return f"{unit.output} = " + " + ".join(terms)


def shared_note(stored: int, runs: int) -> str:
    """Why a model with shared blocks (ALBERT) has fewer parameters than its compute suggests."""
    return (
        f"shared_layers: {stored} stored blocks, counted once each, serve the {runs} blocks that run "
        f"(layers); FLOPs per token count all {runs}, parameters only the {stored}"
    )


def layer_dicts(nodes: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A sequential net's layers for JSON, as torchinfo lists them: each with its output shape
    (per example), parameters, weights, biases, buffers and forward FLOPs (2 x MACs); a module,
    group or repeat with its own `layers`."""
    out = []
    for node in nodes:
        row: dict[str, Any] = {
            "name": node.name,
            "kind": node.kind,
            "output_shape": list(node.shape),
            "params": node.params,
            "weights": node.weights,
            "biases": node.biases,
            "buffers": node.buffers,
            "flops": node.flops,
        }
        if node.children:
            row["layers"] = layer_dicts(node.children)
        out.append(row)
    return out


def _layer_rows(nodes: tuple[Any, ...], depth: int, deep: bool) -> list[list[str]]:
    rows = []
    for node in nodes:
        shape = " x ".join(map(str, node.shape))
        rows.append(
            ["  " * depth + node.name, node.kind, shape, count(node.params), sci(node.flops) if node.flops else "0"]
        )
        if deep and node.children:
            rows += _layer_rows(node.children, depth + 1, deep)
    return rows


def layers_table(report: Report, deep: bool) -> Table:
    """Keras' model.summary() / torchinfo: each top-level layer (with --detail, every layer under
    it), its output shape per example, parameters and forward FLOPs."""
    from paramcalc.sequential.counts import net

    root = net(report.config)
    columns = (
        Column("layer", LEFT, wrap=True),
        Column("kind", LEFT, drop=3),
        Column("output shape", LEFT),
        Column("params"),
        Column("forward FLOPs", drop=2),
    )
    input_row = ["input", "", " x ".join(map(str, report.config.input or ())), "", ""]
    return Table(columns, [input_row, *_layer_rows(root.children, 0, deep)], title="layers (per example)")


def hyperparameters_line(report: Report) -> str:
    """Parameters vs hyperparameters, for every architecture: the config's fields are what a
    person chose; the counts are what training learns."""
    given = [k for k, v in report.config.to_dict().items() if v is not None and k not in ("name", "source", "extends")]
    shown = ", ".join(given[:6]) + (", ..." if len(given) > 6 else "")
    return (
        f"Hyperparameters (chosen, not learned): the config's fields ({shown}); learning rate and batch size "
        f"are too. Parameters (learned by training): the {report.total:,} weights and biases counted above."
    )


def count_dict(report: Report, explain: bool = False) -> dict[str, Any]:
    """What `count --json` prints: the report, and with `explain` every term of every component
    (and, for an mlp of at most 100 parameters, every parameter by its textbook name)."""
    data = report.to_dict()
    if report.config.is_sequential:
        from paramcalc.sequential.counts import net

        data["layers"] = layer_dicts(net(report.config).children)
    if explain and report.config.is_mlp:
        data["widths"] = [{"name": n, "role": role, "width": w} for n, role, w in mlp_widths(report.config)]
        units = textbook(report)
        if units is not None:
            data["units"] = [
                {
                    "output": u.output,
                    "equation": equation(u),
                    "weights": [w.name for w in u.weights],
                    "bias": u.bias.name if u.bias else None,
                }
                for u in units
            ]
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


# The component table's columns; when the terminal is narrow the share bar goes first, then
# fp16, fp32, biases, weights and the share (README, "Narrow terminals").
COUNT_COLUMNS = (
    Column("component", LEFT, wrap=True),
    Column("params"),
    Column("share", drop=4),
    Column("", LEFT, drop=9, decor=True),
    Column("weights", drop=5),
    Column("biases", drop=6),
    Column("fp32", drop=7),
    Column("fp16", drop=8),
)
SUBTOTAL = "subtotal"  # a composite part's row in the component table: its sum, in bold


def _parts_table(report: Report) -> Table:
    """A composite's parts: subtotal, share, forward FLOPs per token of its own input, and a
    vision tower's per image."""
    rows = []
    for part in report.part_summaries():
        per_image = part.get("forward_flops_per_image")
        rows.append(
            [
                part["name"],
                part["architecture"],
                count(part["params"]),
                share(part["params"], report.total),
                sci(part["forward_flops_per_token"]) + (f" / {part['unit']}" if part["unit"] != "token" else ""),
                "" if per_image is None else f"{sci(per_image)} ({part['tokens_per_image']:,} tokens)",
            ]
        )
    columns = (
        Column("part", LEFT),
        Column("architecture", LEFT, drop=4),
        Column("params"),
        Column("share", drop=3),
        Column("forward FLOPs per token", drop=2),
        Column("per image", drop=1),
    )
    return Table(columns, rows, title="parts")


CSV_HEADER = ("component", "params", "weights", "biases", "share", *(f"{d}_bytes" for d in DTYPES))


class CountResult:
    """One config counted: `report` holds every number; `detail` and `explain` choose what is shown.
    `stored`: the checkpoint's own count, when the config came with its weights."""

    def __init__(
        self, report: Report, detail: bool = False, explain: bool = False, stored: Tally | None = None
    ) -> None:
        self.report = report
        self.detail = detail
        self.explain = explain
        self.stored = stored
        self.warnings: list[str] = []

    @property
    def differences(self) -> list[Difference]:
        if self.stored is None:
            return []
        from paramcalc.weights.checkpoint import differences

        parts = [(c.name, c.params) for c in self.report.components]
        return differences(parts, self.stored, self.report.config.tie_embeddings)

    @property
    def matches(self) -> bool | None:
        """Whether the config's count and the weights' agree (None without weights)."""
        if self.stored is None:
            return None
        return self.stored.params == self.report.total and not self.differences

    def __repr__(self) -> str:
        return f"CountResult({self.report.config.name!r}, total={self.report.total})"

    @property
    def total(self) -> int:
        return self.report.total

    def to_dict(self) -> dict[str, Any]:
        data = count_dict(self.report, self.explain)
        if self.stored is not None:
            from paramcalc.results.weights import differences_dict

            data["checkpoint"] = {
                **self.stored.to_dict(),
                "matches_config": self.matches,
                "differences": differences_dict(self.differences),
            }
        return data

    def _rows(self) -> list[tuple[str, int, int, int, str]]:
        """(name, params, weights, biases, style) per component, with its parts under --detail;
        a composite's parts each start with their subtotal (style SUBTOTAL)."""
        out = []
        subtotals: dict[str, list[int] | None] = {name: [0, 0, 0] for name, _ in self.report.config.parts}
        for comp in self.report.components:
            group = comp.name.split(".", 1)[0]
            sums = subtotals.get(group)
            if sums is not None:
                sums[0] += comp.params
                sums[1] += comp.weights
                sums[2] += comp.biases
        for comp in self.report.components:
            group = comp.name.split(".", 1)[0]
            sums = subtotals.pop(group, None)
            if sums is not None:
                out.append((group, sums[0], sums[1], sums[2], SUBTOTAL))
            out.append((comp.name, comp.params, comp.weights, comp.biases, ""))
            if self.detail:
                for part in self.report.detail_parts(comp):
                    name = f"{comp.name}.{part['name']}"
                    out.append((name, int(part["params"]), int(part["weights"]), int(part["biases"]), DIM))
        return out

    def view(self) -> Document:
        r = self.report
        total = r.total
        cells, styles = [], []
        stored = self.stored
        for name, params, weights, biases, style in [*self._rows(), ("total", total, r.weights, r.biases, BOLD)]:
            memory = memory_by_dtype(params)
            indent = "  " if style == DIM else ""
            style = BOLD if style == SUBTOTAL else style
            row = [
                indent + name,
                count(params),
                share(params, total),
                bar(params / total) if total else "",
                count(weights),
                count(biases),
                size(memory["fp32"]),
                size(memory["fp16"]),
            ]
            if stored is not None:
                part = stored.component(name) if style not in (DIM, BOLD) else None
                row.append(size(stored.bytes) if name == "total" else size(part.bytes) if part else "")
            cells.append(row)
            styles.append(style)
        title = f"{r.config.name} ({r.config.architecture})"
        columns = COUNT_COLUMNS if stored is None else (*COUNT_COLUMNS, Column("stored", drop=6))
        doc: Document = [
            Table(
                columns,
                cells,
                title=title,
                caption=r.config.source or "",
                styles=tuple(styles),
                sections=frozenset({len(cells) - 1}),
            )
        ]
        if r.config.is_sequential:
            doc.append(layers_table(r, self.detail))
        if self.explain:
            doc += self._explanation()
        if r.config.parts:
            doc.append(_parts_table(r))
        doc.append(pairs(summary_rows(r), ("summary", "value")))
        if stored is not None:
            from paramcalc.results.weights import checkpoint_rows

            verdict = "yes" if self.matches else f"no ({stored.params - r.total:+,} parameters)"
            doc.append(pairs([*checkpoint_rows(stored), ("weights match the config", verdict)], ("weights", "")))
            diffs = self.differences
            if diffs:
                doc += [Text(f"{d.component}: {d.why}", ITEM) for d in diffs]
        doc.append(Text(hyperparameters_line(r), DIM))
        doc.append(Text(notes(r), DIM))
        return doc

    def _explanation(self) -> Document:
        r = self.report
        doc: Document = [Text("Where the counts come from", BOLD)]
        if r.config.is_mlp:
            widths = ", ".join(f"{n} = {w} ({role})" for n, role, w in mlp_widths(r.config))
            doc.append(Text(f"widths: {widths}", ITEM))
        if r.config.is_sequential:
            from paramcalc.sequential.explain import explanation

            return doc + [Text(line, ITEM) for line in explanation(r.config)]
        for comp in r.components:
            doc.append(Text(f"{comp.name}: " + "; ".join(component_formulas(comp)), ITEM))
        c = r.config
        if c.shared_layers:  # ALBERT: parameters vs compute
            doc.append(Text(shared_note(c.shared_layers, c.layers), ITEM))
        units = textbook(r)
        if units:
            what = "weights and biases" if r.config.bias else "weights"
            doc.append(Text(f"Every parameter ({r.total}: the {what}), unit by unit", BOLD))
            doc += [Text(equation(u), ITEM) for u in units]
        return doc

    def csv_rows(self) -> list[list[object]]:
        r = self.report
        total = r.total

        def row(name: str, params: int, weights: int | str, biases: int | str) -> list[object]:
            memory = memory_by_dtype(params)
            fraction = f"{params / total:.6f}" if total else ""
            return [name, params, weights, biases, fraction, *(memory[d] for d in DTYPES)]

        rows: list[list[object]] = [list(CSV_HEADER)]
        rows += [row(name, params, weights, biases) for name, params, weights, biases, _ in self._rows()]
        rows.append(row("total", total, r.weights, r.biases))
        embedding = [c for c in r.components if c.is_embedding]
        rows.append(
            row(
                "non_embedding",
                r.non_embedding,
                r.weights - sum(c.weights for c in embedding),
                r.biases - sum(c.biases for c in embedding),
            )
        )
        rows.append(row("active", r.active, "", ""))
        return rows


class CompareResult:
    """Configs side by side: aligned rows with deltas and ratios (comparison.py computes them)."""

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison

    def __repr__(self) -> str:
        return f"CompareResult({', '.join(self.comparison.labels)})"

    @property
    def reports(self) -> tuple[Report, ...]:
        return self.comparison.reports

    def to_dict(self) -> list[dict[str, Any]]:
        """A list: element i is exactly what `count --json` prints for config i."""
        return [count_dict(r) for r in self.comparison.reports]

    def _header(self) -> list[object]:
        c = self.comparison
        labels = list(c.labels)
        if len(labels) == 2:
            return ["row", *labels, "delta", "ratio"]
        return ["row", *labels, *(f"{labels[i]} / {labels[c.baseline]}" for i in range(len(labels)) if i != c.baseline)]

    def csv_rows(self) -> list[list[object]]:
        c = self.comparison
        base = c.baseline
        rows: list[list[object]] = [list(self._header())]
        for row in c.rows:
            values = ["" if v is None else v for v in row.values]
            if len(c.labels) == 2:
                delta = row.delta(1 - base, base)
                tail: list[object] = ["" if delta is None else delta, _exact_ratio(row.ratio(1 - base, base))]
            else:
                tail = [_exact_ratio(row.ratio(i, base)) for i in range(len(c.labels)) if i != base]
            rows.append([row.key, *values, *tail])
        return rows

    def _wide(self) -> Table:
        """Every row, exact; a bar per config when there are at most three; deltas and ratios."""
        c = self.comparison
        n = len(c.labels)
        columns = [Column("", LEFT, wrap=True)]
        for i, label in enumerate(c.labels):
            columns.append(Column(f"{label} (baseline)" if n > 2 and i == c.baseline else label))
            if n <= 3:
                columns.append(Column("", LEFT, drop=9, decor=True))
            if n > 2 and i != c.baseline:
                columns.append(Column(f"/ {c.labels[c.baseline]}", drop=5))
        if n == 2:
            b, a = 1 - c.baseline, c.baseline
            delta = f"delta ({c.labels[b]} - {c.labels[a]})" if len(c.labels[b]) < 12 else "delta"
            columns += [Column(delta, drop=4), Column("ratio", drop=3)]
        cells, styles, sections = [], [], set()
        group = None
        for row in c.rows:
            if group is not None and row.group != group:
                sections.add(len(cells))
            group = row.group
            line = [row.label]
            for i, value in enumerate(row.values):
                line.append(row_value(row.group, row.key, value))
                if n <= 3:
                    total = c.reports[i].total
                    shown = row.group == COMPONENTS and value is not None
                    line.append(bar(value / total if total else 0, 6) if shown and value is not None else "")
                if n > 2 and i != c.baseline:
                    relative = row.ratio(i, c.baseline)
                    line.append(f"({ratio(relative)})" if relative is not None else "")
            if n == 2:
                other = 1 - c.baseline
                line += [
                    signed(row.group, row.key, row.delta(other, c.baseline)),
                    ratio(row.ratio(other, c.baseline)),
                ]
            cells.append(line)
            styles.append(BOLD if row.key == "total" else "")
        return Table(tuple(columns), cells, styles=tuple(styles), sections=frozenset(sections))

    def _per_config(self) -> Table:
        """Too many configs to stand side by side: one row per config, every figure a column, exact.
        No terminal is that wide, so it is drawn as one block of `figure: value` lines per config."""
        c = self.comparison
        columns = [Column("config", LEFT, wrap=True), *(Column(row.label) for row in c.rows)]
        cells = [
            [label, *(row_value(row.group, row.key, row.values[i]) for row in c.rows)]
            for i, label in enumerate(c.labels)
        ]
        title = f"comparison, one row per config ({len(c.labels)} are too many side by side; csv for a spreadsheet)"
        return Table(tuple(columns), cells, title=title)

    def view(self) -> Document:
        doc: Document = [Text("Comparison", HEADING), Text("what differs", BOLD)]
        lines = differences(self.comparison.differences)
        doc += [Text(line, ITEM) for line in lines] or [Text("  (nothing: the configs are the same)")]
        # Up to three configs the table always (it drops and folds to fit); more may not fit side
        # by side, and then each config gets a block of its own. Every figure stays exact.
        n = len(self.comparison.labels)
        doc.append(self._wide() if n <= 3 else Choice((self._wide(), self._per_config())))
        doc.append(Text(notes(self.comparison.reports[0]), DIM))
        return doc


def _exact_ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
