"""What every command shares: the two consoles, common options, and turning bad flag values into one line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from arcbench.errors import UserError

out = Console(highlight=False, soft_wrap=True)
"""Standard output: results. Soft wrap keeps paths and commands on one line, copyable."""
err = Console(stderr=True, highlight=False, soft_wrap=True)
"""Standard error: one-line errors."""

DatasetOpt = Annotated[str, typer.Option("--dataset", "-d", help="arc-agi-1 or arc-agi-2.")]
SubsetOpt = Annotated[str, typer.Option("--subset", "-s", help="A subset name, id-list file or comma-separated ids.")]
DataDirOpt = Annotated[
    str | None,
    typer.Option("--data-dir", help="Load tasks from this folder of task JSON files or challenges JSON instead."),
]


def group(help: str) -> typer.Typer:
    """A command group (`arcbench tasks ...`) that prints its help when called without a subcommand."""

    def show_help(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            out.print(ctx.get_help(), markup=False)
            raise typer.Exit(0)

    return typer.Typer(help=help, callback=show_help, invoke_without_command=True, add_completion=False,
                       pretty_exceptions_enable=False, rich_markup_mode=None)


def given(ctx: typer.Context) -> set[str]:
    """The parameters the user gave on the command line (or through the environment), as opposed to defaults: a flag
    given with its default value is still given."""
    found = set()
    for name in ctx.params:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            found.add(name)
    return found


@contextmanager
def flag_errors(flags: Mapping[str, str]) -> Iterator[None]:
    """Turn a ValidationError raised while building a config from flags into a one-line UserError that names the
    flag: `flags` maps dotted field names ("client.timeout_s") to flag names ("--request-timeout")."""
    try:
        yield
    except ValidationError as e:
        raise UserError(validation_line(e, flags)) from None


def validation_line(e: ValidationError, flags: Mapping[str, str]) -> str:
    first = e.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    name = flags.get(field, field)
    msg = first["msg"]
    msg = msg.removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:] if msg else msg
    got = first.get("input")
    shown = f" (got {got!r})" if "(got " not in msg and not isinstance(got, dict) else ""
    if not field:  # a rule between settings: its message names them
        return msg
    return f"{name}: {msg}{shown}"
