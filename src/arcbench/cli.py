"""The `arcbench` command. Thin: flags become configs, the package does the work.

Each command lives in a module of `arcbench.commands` with a `register(app)` function, and is named once in
`arcbench.commands.COMMANDS`; nothing in a command module imports this one. User mistakes end as one line on stderr
and exit code 2 (see `main`); bugs raise.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer

from arcbench import commands
from arcbench.commands.shared import err, group
from arcbench.errors import UserError
from arcbench.inert import inert


def build_app() -> typer.Typer:
    """The `arcbench` app with every command of `arcbench.commands.COMMANDS` registered."""
    app = group("Measure how well language models solve ARC-AGI puzzles by writing programs.")
    for name in commands.COMMANDS:
        import_module(f"{commands.__name__}.{name}").register(app)
    return app


app = build_app()


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns user errors into one line and exit code 2."""
    try:
        # Without standalone mode, a command's `typer.Exit(code)` comes back as the return value.
        rc = app(args=argv, standalone_mode=False, prog_name="arcbench")
        return rc if isinstance(rc, int) else 0
    except UserError as e:
        err.print(f"error: {inert(str(e), single_line=True)}", markup=False)
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        err.print("aborted", markup=False)
        return 130
    except typer.TyperException as e:  # typer's usage errors: bad flag, missing argument, bad value
        ctx = getattr(e, "ctx", None)
        path = ctx.command_path.split(" ", 1)[1] + " " if ctx and " " in ctx.command_path else ""
        err.print(f"error: {inert(e.format_message(), single_line=True)} (see `arcbench {path}--help`)",
                  markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130
    return 0


def entry() -> None:
    sys.exit(main())
