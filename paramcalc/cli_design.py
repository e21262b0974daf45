"""`paramcalc solve` and `paramcalc sweep`: design from a budget. Registered on cli.app."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any

import typer

from paramcalc.cli import Debug, JsonFlag, command, emit, handle_errors, tokens_option

FLOP_COLUMNS = ("forward_flops_per_token", "six_nd")


class Law(str, Enum):
    chinchilla = "chinchilla"
    chinchilla_3 = "chinchilla-3"


class Emit(str, Enum):
    table = "table"
    yaml = "yaml"
    json = "json"


class SweepFormat(str, Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"


def _count(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    from paramcalc.config import parse_count

    try:
        return parse_count(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _aspect(text: str) -> tuple[float, float]:
    low, sep, high = text.partition("..")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = (0.0, -1.0)
    if not sep or not 0 < bounds[0] <= bounds[1]:
        raise typer.BadParameter(f"'{text}' is not MIN..MAX with 0 < MIN <= MAX (e.g. 48..160)", param_hint="--aspect")
    return bounds


@command("solve")
@handle_errors
def solve(
    params: Annotated[
        str | None, typer.Option("--params", help="Target total parameters: 7e9, 7B.", show_default=False)
    ] = None,
    active: Annotated[
        str | None, typer.Option("--active", help="Target active parameters per token (MoE).", show_default=False)
    ] = None,
    flops: Annotated[
        str | None, typer.Option("--flops", help="Training compute budget, FLOPs: 1e23.", show_default=False)
    ] = None,
    law: Annotated[
        Law,
        typer.Option(
            "--law",
            help="chinchilla: 20 tokens per parameter; chinchilla-3: "
            "Hoffmann et al.'s fitted L(N, D), which also predicts the loss.",
        ),
    ] = Law.chinchilla,
    base: Annotated[
        str | None,
        typer.Option(
            "--base", help="A preset, file or config.json whose shape the solution keeps.", show_default=False
        ),
    ] = None,
    layers: Annotated[
        int | None, typer.Option("--layers", help="Pin the depth; solve the width only.", min=1, show_default=False)
    ] = None,
    multiple_of: Annotated[
        int, typer.Option("--multiple-of", help="d_model and d_ff are multiples of this.", min=1)
    ] = 64,
    aspect: Annotated[str, typer.Option("--aspect", help="Allowed d_model / layers, MIN..MAX.")] = "48..160",
    top: Annotated[int, typer.Option("--top", help="How many candidates to show.", min=1)] = 5,
    emit_: Annotated[
        Emit, typer.Option("--emit", help="table, yaml (the winner, extending the base) or json.")
    ] = Emit.table,
    json_: JsonFlag = False,
    debug: Debug = False,
) -> None:
    """Find a model for a budget: a parameter target, or a training compute budget.

    --flops C gives the compute-optimal parameters N and tokens D with C = 6ND: by Chinchilla's
    20 tokens per parameter (N = sqrt(C / 120)), or with --law chinchilla-3 by the fitted
    L(N, D) = 1.69 + 406.4 / N^0.34 + 410.7 / D^0.28 (Hoffmann et al. 2022, Approach 3), which
    also predicts the loss. With --base, the shapes of that model (its activation, norms,
    vocabulary, tying, d_ff / d_model and head_dim) whose exact count comes closest, best first.
    """
    from paramcalc.design import ASPECT, compute_optimal, search, tokens_for

    given = [name for name, value in (("--params", params), ("--active", active), ("--flops", flops)) if value]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --params, --active, --flops")
    bounds = _aspect(aspect) if aspect != "48..160" else ASPECT
    optimum = None
    budget = tokens_option(flops) if flops else None
    if budget is not None:
        optimum = compute_optimal(float(budget), law.value)
        target = round(optimum.params)
    else:
        target = _count(params or active, given[0]) or 0
    result: dict[str, Any] = {"target": {"kind": "active" if active else "params", "value": target}, "law": law.value}
    if optimum is not None:
        result["compute_optimal"] = {
            "params": optimum.params,
            "tokens": optimum.tokens,
            "flops": optimum.flops,
            "loss": optimum.loss,
        }
    candidates = []
    if base is not None:
        from paramcalc.config import parse_config
        from paramcalc.loading import load_fields

        fields, source, _ = load_fields(base)
        base_config = parse_config(fields, source.label, source.name)
        found = search(base_config, fields, target, bool(active), layers, multiple_of, bounds, top)
        for c in found:
            n = c.report.active if active else c.report.total
            tokens = optimum.tokens if optimum else tokens_for(n, law.value)
            candidates.append(
                {
                    "config": c.fields,
                    "params": c.report.total,
                    "active": c.report.active,
                    "error": c.error,
                    "tokens": round(tokens),
                    "flops": 6 * c.report.active * tokens,
                    "aspect": c.fields["d_model"] / c.fields.get("layers", c.fields.get("encoder_layers", 1)),
                }
            )
        if not candidates:
            raise typer.BadParameter("no shape of the base fits those constraints (try --aspect or --layers)")
    result["candidates"] = candidates
    if json_ or emit_ is Emit.json:
        emit(json.dumps(result, indent=2) + "\n")
        return
    if emit_ is Emit.yaml:
        if not candidates:
            raise typer.BadParameter("--emit yaml needs --base (the YAML extends it)", param_hint="--emit")
        from paramcalc import _yaml

        best = candidates[0]
        doc = {
            "extends": base,
            "name": f"{base} solved for {target:.3g} {result['target']['kind']}",
            **best["config"],
            "tokens": best["tokens"],
        }
        emit(
            f"# paramcalc solve: {best['params']:,} parameters ({best['error']:+.2%} from the target), "
            f"{best['tokens']:.3g} tokens ({law.value}), {best['flops']:.3g} training FLOPs (6ND)\n" + _yaml.dump(doc)
        )
        return
    _print_solution(result)


def _print_solution(result: dict[str, Any]) -> None:
    lines = []
    opt = result.get("compute_optimal")
    rule = "20 tokens per parameter" if result["law"] == "chinchilla" else "Hoffmann et al. 2022, Approach 3"
    if opt:
        lines.append(
            f"compute-optimal ({rule}): {opt['params']:.4g} parameters, {opt['tokens']:.4g} tokens, "
            f"{opt['flops']:.3g} FLOPs" + (f", predicted loss {opt['loss']:.3f}" if opt["loss"] else "")
        )
    if result["candidates"]:
        lines.append(
            f"{'layers':>6} {'d_model':>7} {'heads':>5} {'kv':>4} {'d_ff':>7} {'params':>17} {'active':>17} "
            f"{'error':>8} {'aspect':>6} {'tokens':>9} {'6ND':>9}"
        )
        for c in result["candidates"]:
            f = c["config"]
            lines.append(
                f"{f.get('layers', f.get('encoder_layers')):>6} {f['d_model']:>7} {f['heads']:>5} "
                f"{f.get('kv_heads', f['heads']):>4} {f['d_ff']:>7} {c['params']:>17,} {c['active']:>17,} "
                f"{c['error']:>+8.2%} {c['aspect']:>6.0f} {c['tokens']:>9.3g} {c['flops']:>9.3g}"
            )
        lines.append(f"tokens: {rule}; FLOPs: 6ND with N = active parameters")
    elif not opt:
        lines.append("give --base to find shapes for this target")
    emit("\n".join(lines) + "\n")


@command("sweep")
@handle_errors
def sweep(
    base: Annotated[
        str, typer.Argument(help="The config every row starts from (file, preset, config.json).", show_default=False)
    ],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary", help="KEY=V1,V2,... or KEY=START..STOP[:STEP] (inclusive); repeat for a grid.", show_default=False
        ),
    ],
    format: Annotated[
        SweepFormat | None,
        typer.Option("--format", "-f", help="table on a terminal, else csv; or jsonl.", show_default=False),
    ] = None,
    where: Annotated[
        str | None,
        typer.Option("--where", help="Keep rows where, e.g. 'params < 3e9 and layers >= 24'.", show_default=False),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first invalid combination (exit 1).")] = False,
    tokens: Annotated[
        str | None, typer.Option("--tokens", help="Training tokens for six_nd.", show_default=False)
    ] = None,
    debug: Debug = False,
) -> None:
    """Count every combination of the varied fields, one row each, streamed as computed.

    Rows: the varied fields, then params, non_embedding, active, fp16_bytes, int4_bytes,
    forward_flops_per_token and six_nd. Invalid combinations (heads not dividing d_model, ...)
    are skipped and counted on stderr; --strict makes them errors. A progress line goes to
    stderr when the sweep is long and stderr is a terminal.
    """
    from paramcalc import _yaml
    from paramcalc.errors import LoadError
    from paramcalc.fields import FIELDS
    from paramcalc.loading import load_fields
    from paramcalc.sweep import RESULT_COLUMNS, count_combinations, parse_vary, parse_where, rows

    def value(text: str) -> Any:
        try:
            return _yaml.load(text, "--vary")
        except LoadError as exc:
            raise typer.BadParameter(exc.reason, param_hint="--vary") from None

    varies = [parse_vary(v, value) for v in vary]
    unknown = [v.key for v in varies if v.key not in FIELDS]
    if unknown:
        import difflib

        hints = [
            f"{k}" + (f" (did you mean '{m[0]}'?)" if (m := difflib.get_close_matches(k, FIELDS, 1)) else "")
            for k in unknown
        ]
        raise typer.BadParameter(f"unknown field {', '.join(hints)}", param_hint="--vary")
    columns = [v.key for v in varies] + list(RESULT_COLUMNS)
    conditions = parse_where(where, set(columns)) if where else []
    fields, source, _ = load_fields(base)
    fmt = format or (SweepFormat.table if sys.stdout.isatty() else SweepFormat.csv)
    total = count_combinations(varies)
    progress = sys.stderr.isatty() and total >= 10_000
    writer = _writer(fmt, columns)
    skipped = 0
    for i, outcome in enumerate(rows(fields, source.label, varies, tokens_option(tokens)), 1):
        if outcome.row is None:
            if strict:
                from paramcalc.errors import ConfigError, Problem

                raise ConfigError([Problem(source.label, None, f"invalid combination {outcome.problem}")])
            skipped += 1
        elif all(c.holds(outcome.row) for c in conditions):
            writer(outcome.row)
        if progress and i % 1000 == 0:
            sys.stderr.write(f"\r{i:,} / {total:,} rows")
            sys.stderr.flush()
    sys.stdout.flush()
    if progress:
        sys.stderr.write("\r" + " " * 40 + "\r")
    if skipped:
        sys.stderr.write(
            f"paramcalc: skipped {skipped:,} of {total:,} combinations that are not valid configs "
            "(--strict to stop at the first)\n"
        )


def _writer(fmt: SweepFormat, columns: list[str]) -> Any:
    """A function that writes one row to stdout at once, for the chosen format."""
    out = sys.stdout
    if fmt is SweepFormat.jsonl:
        return lambda row: out.write(json.dumps(row) + "\n")
    if fmt is SweepFormat.csv:
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        return lambda row: writer.writerow([row[c] for c in columns])
    widths = [max(len(c), 14) for c in columns]
    out.write("  ".join(c.rjust(w) for c, w in zip(columns, widths)) + "\n")

    def line(row: dict[str, Any]) -> None:
        cells = [
            f"{row[c]:.3e}"
            if c in FLOP_COLUMNS
            else f"{row[c]:,}"
            if isinstance(row[c], int) and not isinstance(row[c], bool)
            else str(row[c])
            for c in columns
        ]
        out.write("  ".join(cell.rjust(w) for cell, w in zip(cells, widths)) + "\n")
        out.flush()

    return line
