"""The command line: one small Typer app per command, one output door, one error handler.

- Each command is a module of :mod:`paramcalc.commands`, found by listing that package: adding a
  command is adding its file (and its README section). Only the invoked command's module is
  imported and built; typer would otherwise build every command's parser on every call.
- A command function parses its own options, calls the library (:mod:`paramcalc.api`) and returns
  the result; :func:`command` adds the shared ``--format``/``--json`` pair and hands the result to
  :func:`paramcalc.render.render`, the one door for every output.
- Errors, ``--debug`` and exit codes are handled once, in :class:`Group` (httpie's ``raw_main``):
  a paramcalc error becomes one line per problem on stderr and exit 1 (bad input) or 2 (usage);
  a reader that closes the pipe early ends us quietly with exit 0; Ctrl-C exits 130; anything
  else is a bug, still one line, with the traceback under ``--debug``.
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from paramcalc.errors import ExitStatus, ParamcalcError, SettingError

SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
DEBUG_FLAG = "--debug"
TABLE_NOTE = " (colour on a terminal, plain when piped)."
_APPS: dict[str, typer.Typer] = {}
_debug = False

F = TypeVar("F", bound=Callable[..., Any])


def command_names() -> list[str]:
    """The modules of paramcalc/commands/, by a directory listing (cheaper than pkgutil)."""
    from paramcalc import commands

    folder = os.path.dirname(commands.__file__ or "")
    return sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_"))


# Settings whose flag is not their name with dashes.
FLAGS = {"target": "--params/--active/--flops", "config": "CONFIG"}  # the argument, not a flag


def flag(setting: str) -> str:
    """The command-line flag of an engine setting: `micro_batch` -> `--micro-batch`."""
    return FLAGS.get(setting, "--" + setting.replace("_", "-"))


def _safe(line: str) -> str:
    """Control characters from the input are escaped, so that a key or a path holding a newline
    cannot split or forge a line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def fail(lines: Sequence[str], status: int) -> typer.Exit:
    for line in lines:
        print(f"paramcalc: {_safe(line)}", file=sys.stderr)
    return typer.Exit(status)


def warn(lines: Sequence[str]) -> None:
    for line in lines:
        print(f"paramcalc: warning: {_safe(line)}", file=sys.stderr)


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class Group(TyperGroup):
    """Builds only the invoked command; handles every error once."""

    def list_commands(self, ctx: Any) -> list[str]:
        return command_names()

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in command_names():
            return None
        importlib.import_module(f"paramcalc.commands.{cmd_name}")
        return typer.main.get_command(_APPS[cmd_name])

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        """`--debug` is taken out wherever it stands, before click parses the rest."""
        global _debug
        argv = list(sys.argv[1:] if args is None else args)
        _debug = DEBUG_FLAG in argv or os.environ.get("PARAMCALC_DEBUG") == "1"
        argv = [a for a in argv if a != DEBUG_FLAG]
        return super().main(argv, *rest, **extra)

    def invoke(self, ctx: Any) -> Any:
        try:
            value = super().invoke(ctx)
            sys.stdout.flush()
            return value
        except (typer.Exit, typer.TyperException, typer.Abort):
            raise  # typer's own exits and usage errors, which it reports itself
        except SettingError as exc:
            if _debug:
                raise
            raise fail(exc.lines(flag), exc.exit_status) from None
        except ParamcalcError as exc:
            if _debug:
                raise
            raise fail(exc.lines(), exc.exit_status) from None
        except KeyboardInterrupt:
            if _debug:
                raise
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(ExitStatus.OK) from None
        except Exception as exc:  # a bug: still one line, never a traceback without --debug
            if _debug:
                raise
            message = f"internal error: {type(exc).__name__}: {exc} (please report it; --debug shows the traceback)"
            raise fail([message], ExitStatus.BAD_INPUT) from None


app = typer.Typer(cls=Group, name="paramcalc", no_args_is_help=True, **SETTINGS)


def _version(value: bool) -> None:
    if value:
        from paramcalc import __version__

        print(f"paramcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option(DEBUG_FLAG, help="On an error, show the full traceback (anywhere on the line).")
    ] = False,
) -> None:
    """Exact parameter counts, weight memory and training FLOPs of neural-network architectures,
    from a YAML config, a bundled preset or a HuggingFace config.json."""


def choose_format(fmt: str | None, as_json: bool, default: str) -> str:
    """The one rule for every command: --format, or --json, else the command's default (a table
    for most; drawn in colour on a terminal, plain when piped)."""
    if as_json and fmt not in (None, "json"):
        raise SettingError([("format", f"{fmt} and --json disagree; give one of them")])
    return "json" if as_json else fmt or default


def command(result: type | None, default: str = "table", view_options: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Make a function of a module in paramcalc.commands the command named after its module.

    With `result` (the kind of object the function returns), the command gains --format (the
    formats that kind of result can be written in, see render/) and --json, and its return value
    goes through the one door, ``render(result, format)``. `view_options` are the function's
    options that change what is shown (``detail``, ``explain``): a format that cannot show one
    that was given is a usage error, checked before anything is computed.
    """

    def register(function: F) -> F:
        name = function.__module__.rsplit(".", 1)[-1]
        _APPS[name] = typer.Typer(**SETTINGS)
        if result is None:
            _APPS[name].command(name)(function)
            return function
        from paramcalc import render

        offered = render.available(result)
        names = ", ".join(offered)
        choices = enum.StrEnum("Format", {f: f for f in offered})  # type: ignore[misc]
        format_option = Annotated[
            choices | None,
            typer.Option(
                "--format",
                "-f",
                help=f"{names}. Default: {default}"
                + (" (colour on a terminal, plain when piped)." if default == "table" else "."),
                show_default=False,
            ),
        ]
        json_option = Annotated[bool, typer.Option("--json", help="Shortcut for --format json.")]

        @functools.wraps(function)
        def wrapper(*args: Any, format: str | None = None, json_: bool = False, **kwargs: Any) -> None:
            fmt = choose_format(None if format is None else str(format), json_, default)
            render.check(result, fmt, tuple(o for o in view_options if kwargs.get(o)))
            value = function(*args, **kwargs)
            warn(getattr(value, "warnings", ()))
            render.render(value, fmt)
            epilogue = getattr(value, "epilogue", None)
            if epilogue is not None:
                for line in epilogue():
                    print(f"paramcalc: {_safe(line)}", file=sys.stderr)
            status = getattr(value, "exit_status", 0)
            if status:  # verify: the report is the output, and the exit status its verdict
                raise typer.Exit(status)

        signature = inspect.signature(function, eval_str=True)
        extra = [
            inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=format_option),
            inspect.Parameter("json_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=json_option),
        ]
        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
        wrapper.__signature__ = signature.replace(parameters=[*params, *extra], return_annotation=None)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}  # type: ignore[attr-defined]
        _APPS[name].command(name)(wrapper)
        function.result_type = result  # type: ignore[attr-defined]
        return function

    return register


def main() -> None:
    app()
