"""CLI commands, one module each.

A command module defines its functions and `register(app: typer.Typer) -> None`, which adds them to the app
(`app.command("name")(fn)`, or `app.add_typer(group, name=...)` for a group of subcommands). Adding a command is a new
module here plus its name in COMMANDS; `arcbench.cli` imports and registers them in this order (the order of
`arcbench --help`).
"""

COMMANDS: tuple[str, ...] = (
    "tasks_cmd",
    "run_cmd",
    "exec_cmd",
    "serve_cmd",
    "report_cmd",
    "plot_cmd",
    "compare_cmd",
    "sweep_cmd",
    "training_cmd",
    "submission_cmd",
    "score_cmd",
    "runs_cmd",
    "finetune_cmd",
    "serve_hf_cmd",
)
