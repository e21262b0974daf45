"""The command line: parse options, call the engine, hand the report to one renderer.

Kept thin on purpose, and cheap to import: the engine, yaml and rich are imported inside the
commands that need them, so ``--help`` and the JSON path never pay for rich.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from paramcalc.errors import ExitStatus, ParamcalcError

SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}

# Each command lives on its own small Typer app in the module named here, and the group builds
# only the one invoked: typer otherwise builds every command's parser (about a hundred options)
# on every call, some 15 ms of a 90 ms run. `--help` still lists them all.
COMMANDS = {
    "count": "paramcalc.cli",
    "compare": "paramcalc.cli",
    "convert": "paramcalc.cli",
    "train": "paramcalc.cli_plan",
    "infer": "paramcalc.cli_plan",
    "gpus": "paramcalc.cli_plan",
    "solve": "paramcalc.cli_design",
    "sweep": "paramcalc.cli_design",
    "presets": "paramcalc.cli",
    "schema": "paramcalc.cli",
}
_APPS: dict[str, typer.Typer] = {}


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        import importlib

        import typer.main

        importlib.import_module(COMMANDS[cmd_name])
        return typer.main.get_command(_APPS[cmd_name])


def command(name: str) -> Callable[[F], F]:
    """Register a command on its own Typer app, for LazyGroup to build when it is invoked."""
    _APPS[name] = typer.Typer(**SETTINGS)
    return _APPS[name].command(name)


app = typer.Typer(cls=LazyGroup, name="paramcalc", no_args_is_help=True, **SETTINGS)


@app.callback()
def _root() -> None:
    """Exact parameter counts, weight memory and training FLOPs of neural-network architectures,
    from a YAML config, a bundled preset or a HuggingFace config.json."""


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class ConvertFormat(str, Enum):
    yaml = "yaml"
    json = "json"


F = TypeVar("F", bound=Callable[..., Any])

Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback on an error.")]
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="table on a terminal; json, csv or markdown for pipes and reports."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Shortcut for --format json.")]


def _fail(lines: list[str], status: int) -> None:
    """One line per problem on stderr; control characters from the input are escaped so that
    a key or a path holding a newline cannot split or forge a line."""
    for line in lines:
        safe = "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
        print(f"paramcalc: {safe}", file=sys.stderr)
    raise typer.Exit(status)


def handle_errors(command: F) -> F:
    """Turn paramcalc's errors into one line each on stderr and an exit code; no traceback
    unless --debug. Ctrl-C exits 130; a reader that closes the pipe early ends us quietly."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ParamcalcError as exc:
            if kwargs.get("debug"):
                raise
            _fail(exc.lines(), exc.exit_status)
        except KeyboardInterrupt:
            if kwargs.get("debug"):
                raise
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(ExitStatus.OK) from None
        except Exception as exc:  # a bug: still one line, never a traceback without --debug
            if kwargs.get("debug") or type(exc).__module__.startswith(("typer", "click")):
                raise  # typer's own exits and usage errors, which it reports itself
            _fail(
                [f"internal error: {type(exc).__name__}: {exc} (please report it; --debug shows the traceback)"],
                ExitStatus.BAD_INPUT,
            )
        return None

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def tokens_option(value: str | None) -> int | None:
    if value is None:
        return None
    from paramcalc.config import parse_count

    try:
        return parse_count(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tokens") from None


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a config field, e.g. --set kv_heads=8 (repeatable). Values are read as "
        "YAML: 8, false, swiglu, 300e9.",
        show_default=False,
    ),
]

HeadOption = Annotated[
    bool,
    typer.Option(
        "--head",
        help="Encoders (BERT, RoBERTa, DistilBERT): count the masked-LM model "
        "(its head instead of the pooler), as AutoModelForMaskedLM builds it.",
    ),
]

TokensOption = Annotated[
    str | None,
    typer.Option(
        "--tokens",
        help="Training tokens for the FLOPs estimate (300e9, 3e11 or 300B). "
        "Default: the config's tokens, else 20 x params (Chinchilla).",
        show_default=False,
    ),
]


@command("count")
@handle_errors
def count(
    config: Annotated[
        str,
        typer.Argument(
            help="A YAML file, a HuggingFace config.json (or its folder), a preset name "
            "(see 'paramcalc presets'), or - for YAML on stdin.",
            show_default=False,
        ),
    ],
    format: FormatOption = Format.table,
    json_: JsonFlag = False,
    detail: Annotated[bool, typer.Option("--detail", help="Add sub-components: q, k, v, o; up, gate, down.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each component's formula with the config's numbers.")
    ] = False,
    tokens: TokensOption = None,
    set_: SetOption = None,
    head: HeadOption = False,
    debug: Debug = False,
) -> None:
    """Count the parameters of one architecture, component by component.

    Prints parameters (weights and biases) per component, totals (non-embedding after Kaplan et
    al. 2020; active per token for mixtures of experts), weight memory at fp32, fp16, bf16, int8
    and int4 (GB = 10^9 bytes), and training FLOPs: forward = 2 x matmul weights per token +
    2 x 2 x layers x context x heads x head_dim; training = 3 x forward; also 6ND.

    A variant without writing a file: 'paramcalc count llama-2-70b:kv_heads=64' or
    'paramcalc count llama-2-70b --set kv_heads=64'.
    """
    from paramcalc.engine import analyze
    from paramcalc.loading import load

    report = analyze(load(config, set_ or (), head), tokens=tokens_option(tokens))
    fmt = Format.json if json_ else format
    if fmt is Format.table:
        from paramcalc.render.table import print_count

        print_count(report, detail=detail, explain=explain)
        sys.stdout.flush()
        return
    emit(_renderer(fmt).render_count(report, detail=detail, explain=explain))


def _renderer(fmt: Format) -> Any:
    """The plain-text renderer module for a format (the table is drawn by rich instead)."""
    import importlib

    return importlib.import_module(f"paramcalc.render.{'markdown' if fmt is Format.markdown else fmt.value}")


@command("compare")
@handle_errors
def compare(
    configs: Annotated[
        list[str],
        typer.Argument(
            help="Two or more configs: files, presets, - (stdin, once), each optionally with "
            "overrides after colons: llama-2-70b:kv_heads=8.",
            show_default=False,
        ),
    ],
    format: FormatOption = Format.table,
    json_: JsonFlag = False,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            "-b",
            help="The column others are compared to: a config as typed, its "
            "name, or its position (1 = the first). Default: the first.",
            show_default=False,
        ),
    ] = None,
    set_: SetOption = None,
    tokens: TokensOption = None,
    head: HeadOption = False,
    debug: Debug = False,
) -> None:
    """Compare configs side by side: components, totals, memory and FLOPs, with deltas and ratios.

    Above the table, "what differs" lists the config fields whose values differ. With two
    configs the table has a delta (second - first) and a ratio (second / first) column; with
    more, each value carries its ratio to the baseline. --set applies to every config; to
    change one, put the overrides after its name: 'paramcalc compare llama-2-70b
    llama-2-70b:kv_heads=64'. JSON is an array, element i exactly what 'count --json' prints
    for config i.
    """
    from paramcalc.comparison import compare as build
    from paramcalc.engine import analyze
    from paramcalc.errors import ParamcalcError, UsageError
    from paramcalc.loading import STDIN, load, split_spec

    if len(configs) < 2:
        raise UsageError("compare needs two or more configs (use 'count' for one)")
    if sum(split_spec(c)[0] == STDIN for c in configs) > 1:
        raise UsageError("stdin (-) can be read only once")
    tokens_n = tokens_option(tokens)
    reports, problems = [], []
    for spec in configs:  # validate every argument before printing anything
        try:
            reports.append(analyze(load(spec, set_ or (), head), tokens=tokens_n))
        except ParamcalcError as exc:
            problems += exc.lines()
    if problems:
        _fail(problems, ExitStatus.BAD_INPUT)
    comparison = build(reports, _baseline_index(baseline, configs, [r.config.name for r in reports]))
    fmt = Format.json if json_ else format
    if fmt is Format.table:
        from paramcalc.render.table import print_compare

        print_compare(comparison)
        sys.stdout.flush()
        return
    emit(_renderer(fmt).render_compare(comparison))


def _baseline_index(choice: str | None, specs: list[str], names: list[str]) -> int:
    if choice is None:
        return 0
    if choice in specs:
        return specs.index(choice)
    if choice in names:
        return names.index(choice)
    if choice.isdigit() and 1 <= int(choice) <= len(specs):
        return int(choice) - 1
    raise typer.BadParameter(
        f"'{choice}' is not one of the configs nor a position 1..{len(specs)}", param_hint="--baseline"
    )


@command("convert")
@handle_errors
def convert(
    config: Annotated[
        str,
        typer.Argument(
            help="A HuggingFace config.json (or its folder); also any config count accepts.", show_default=False
        ),
    ],
    format: Annotated[
        ConvertFormat, typer.Option("--format", "-f", help="yaml (default) or json.")
    ] = ConvertFormat.yaml,
    json_: JsonFlag = False,
    set_: SetOption = None,
    head: HeadOption = False,
    debug: Debug = False,
) -> None:
    """Print the paramcalc config equivalent to a HuggingFace config.json.

    Every field the count needs is written out, so 'paramcalc count' gives the same total from
    the YAML as from the config.json. Also flattens a YAML config's extends: chain and overrides.
    """
    from paramcalc.config import parse_config
    from paramcalc.engine import analyze
    from paramcalc.loading import load_fields

    fields, source, _ = load_fields(config, set_ or (), head)
    total = analyze(parse_config(fields, source.label, source.name)).total
    fields.pop("extends", None)  # flattened: every inherited field is written out
    if json_ or format is ConvertFormat.json:
        import json

        emit(json.dumps(fields, indent=2) + "\n")
        return
    from paramcalc import _yaml

    header = f"# paramcalc config converted from {source.label}\n# paramcalc count: {total:,} parameters\n"
    emit(header + _yaml.dump(fields))


@command("schema")
@handle_errors
def schema(debug: Debug = False) -> None:
    """Print a JSON Schema (draft 2020-12) of the YAML config: every field with its description,
    type, bounds and default. Point an editor at it for autocompletion (see the README)."""
    import json

    from paramcalc.schema import config_schema

    emit(json.dumps(config_schema(), indent=2) + "\n")


@command("presets")
@handle_errors
def presets(json_: JsonFlag = False, debug: Debug = False) -> None:
    """List the bundled presets with their total parameters and sources.

    Any preset name works wherever a config is expected: 'paramcalc count llama-2-7b'.
    """
    from paramcalc.engine import analyze
    from paramcalc.loading import load
    from paramcalc.presets import preset_names

    rows: list[dict[str, Any]] = []
    for name in preset_names():
        report = analyze(load(name))
        rows.append(
            {
                "preset": name,
                "name": report.config.name,
                "architecture": report.config.architecture,
                "total": report.total,
                "active": report.active,
                "source": report.config.source,
            }
        )
    if json_:
        import json

        emit(json.dumps(rows, indent=2) + "\n")
        return
    from paramcalc.render._format import count as fmt_count

    width = max(len(r["preset"]) for r in rows)
    lines = [f"{'preset':<{width}}  {'params':>19}  source"]
    lines += [f"{r['preset']:<{width}}  {fmt_count(r['total']):>19}  {r['source'] or ''}" for r in rows]
    emit("\n".join(lines) + "\n")


def main() -> None:
    app()
