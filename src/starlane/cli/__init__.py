"""The ``starlane`` command line (Typer): serve, projector, play, bots, bench, galaxy, db,
admin, audit.

Every command has ``--help``. Commands import the server's packages lazily, so ``--help`` and
the client commands (``play``, ``bots``) start fast and work without a database.
"""

from __future__ import annotations

import typer

from starlane.cli import admin, audit, bench, bots, db, galaxy, play, projector, serve

app = typer.Typer(
    name="starlane",
    help="Starlane: a self-hostable space-trading MMO server, its terminal client and bots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # help texts are docstrings wrapped at 100 columns: markdown joins their lines, so the
    # terminal wraps them to its own width
    rich_markup_mode="markdown",
)
app.command("serve")(serve.serve)
app.command("play")(play.play)
app.command("bots")(bots.bots)
app.command("bench")(bench.bench)
app.command("projector")(projector.projector)
app.add_typer(galaxy.app, name="galaxy")
app.add_typer(db.app, name="db")
app.add_typer(admin.app, name="admin")
app.add_typer(audit.app, name="audit")


def main() -> None:
    """Entry point of the ``starlane`` console script."""
    app()
