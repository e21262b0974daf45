"""`paramcalc solve` and `paramcalc sweep`: design from a budget. Registered on cli.app."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer

from paramcalc.cli import Debug, JsonFlag, command, emit, handle_errors

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


def _as_flags(exc: Any) -> NoReturn:
    """Show a SettingError's settings as the flags that set them (`aspect` -> `--aspect`)."""
    from paramcalc.cli import _fail

    flags = {"target": "--params/--active/--flops"}
    _fail(exc.lines(lambda setting: flags.get(setting, "--" + setting.replace("_", "-"))), exc.exit_status)
    raise AssertionError  # _fail exits


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
        int | None, typer.Option("--layers", help="Pin the depth; solve the width only.", show_default=False)
    ] = None,
    multiple_of: Annotated[int, typer.Option("--multiple-of", help="d_model and d_ff are multiples of this.")] = 64,
    tp_multiple: Annotated[
        int | None,
        typer.Option(
            "--tp-multiple",
            help="heads and kv_heads are multiples of this, for tensor parallelism "
            "[default: 8 where the base has at least 8 heads, else 1]",
            show_default=False,
        ),
    ] = None,
    pp_multiple: Annotated[
        int, typer.Option("--pp-multiple", help="layers are a multiple of this, for pipeline stages.")
    ] = 1,
    aspect: Annotated[str, typer.Option("--aspect", help="Allowed d_model / layers, MIN..MAX.")] = "48..160",
    top: Annotated[int, typer.Option("--top", help="How many candidates to show (1 to 100).")] = 5,
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
    from paramcalc.design import solve as solve_for
    from paramcalc.errors import SettingError

    fields, spec = None, None
    if base is not None:
        from paramcalc.loading import load_fields

        fields, source, _ = load_fields(base)
        spec = (base, source.label)
    try:
        solution = solve_for(
            params=params,
            active=active,
            flops=flops,
            law=law.value,
            base=spec[0] if spec else None,
            base_fields=fields,
            base_label=spec[1] if spec else None,
            layers=layers,
            multiple_of=multiple_of,
            tp_multiple=tp_multiple,
            pp_multiple=pp_multiple,
            aspect=aspect,
            top=top,
        )
        if emit_ is Emit.yaml and solution.base is None:
            raise typer.BadParameter("--emit yaml needs --base (the YAML extends it)", param_hint="--emit")
        if json_ or emit_ is Emit.json:
            emit(json.dumps(solution.to_dict(), indent=2) + "\n")
        elif emit_ is Emit.yaml:
            emit(solution.yaml())
        else:
            _print_solution(solution.to_dict())
    except SettingError as exc:
        _as_flags(exc)


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
    elif result["base"] is None:
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
    from paramcalc.errors import SettingError
    from paramcalc.loading import load_fields
    from paramcalc.sweep import prepare

    fields, source, _ = load_fields(base)
    try:
        plan = prepare(fields, source.label, vary, where, tokens, strict)
    except SettingError as exc:
        _as_flags(exc)
    fmt = format or (SweepFormat.table if sys.stdout.isatty() else SweepFormat.csv)
    total = plan.total
    progress = sys.stderr.isatty() and total >= 10_000
    writer = _writer(fmt, plan.columns)
    skipped = 0
    for i, outcome in enumerate(plan.rows(), 1):
        if outcome.row is None:  # strict sweeps were checked whole by prepare()
            skipped += 1
        elif all(c.holds(outcome.row) for c in plan.conditions):
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
