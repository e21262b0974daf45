from __future__ import annotations

from typing import Annotated, Any

import typer

from paramcalc.cli import command


@command(None)
def help(  # noqa: A001 (the command's name)
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The command to explain.", show_default=False)] = None,
) -> None:
    """Show the help of a command: 'paramcalc help count' is 'paramcalc count --help'."""
    from paramcalc.errors import UsageError, suggest

    group: Any = ctx.find_root().command
    if name is None:
        print(group.get_help(ctx.find_root()))
        return
    sub = group.get_command(ctx, name)
    if sub is None:
        names = group.list_commands(ctx)
        raise UsageError(f"no command '{name}'{suggest(name, names)}; commands: {', '.join(names)}")
    with typer.Context(sub, info_name=name, parent=ctx.find_root()) as sub_ctx:
        print(sub.get_help(sub_ctx))
