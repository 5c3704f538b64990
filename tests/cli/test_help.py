"""Every ``starlane`` command answers ``--help``, and bad arguments are refused with status 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from starlane.cli import app

runner = CliRunner()

COMMANDS = [
    ([], "serve"),
    (["serve"], "--nexus-sectors"),
    (["play"], "--server"),
    (["bots"], "--strategy"),
    (["bench"], "--transport"),
    (["bench"], "--ws-rate"),
    (["galaxy"], "info"),
    (["galaxy", "info"], "--regions"),
    (["db"], "upgrade"),
    (["db", "upgrade"], "--db"),
    (["projector"], "--read-db"),
    (["admin"], "create-admin"),
    (["admin", "create-admin"], "--username"),
]


@pytest.mark.parametrize(("args", "expected"), COMMANDS)
def test_every_command_has_help(args: list[str], expected: str) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_help_paragraphs_are_rewrapped_to_the_terminal() -> None:
    # the docstring breaks "its previous answer" over two lines; a wide terminal gets one
    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"}, color=False)
    assert result.exit_code == 0, result.output
    assert "each client sends when its previous answer arrives" in result.output
    result = CliRunner().invoke(app, ["projector", "--help"], env={"COLUMNS": "200"})
    assert "NAME-read.db" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bots", "--count", "0"], "--count"),
        (["bots", "--strategy", "pacifist"], "unknown strategy"),
        (["bots", "--server", "ftp://x"], "http://"),
        (["bots", "--password", "short"], "at least 10"),
        (["bench", "--transport", "carrier-pigeon"], "rest, ws or both"),
        (["bench", "--clients", "0"], "--clients"),
        (["bench", "--server", "http://x", "--admin-username", "op"], "go together"),
        (["bench", "--admin-username", "op", "--admin-password", "pw"], "is for --server"),
        (["bench", "--rest-rate", "0"], "--rest-rate must be"),
        (["bench", "--ws-rate=-100"], "--ws-rate must be"),
        (["bench", "--rest-rate", "nan"], "--rest-rate must be"),
        (["bench", "--transport", "rest", "--ws-rate", "100"], "needs the WebSocket"),
        (["bench", "--transport", "ws", "--rest-rate", "100"], "needs the REST"),
        (["serve", "--bots", "-1"], "--bots"),
        (["serve", "--bot-strategy", "pacifist"], "unknown bot strategy"),
        (["serve", "--nexus-sectors", "10"], "nexus_sectors"),
        (["serve", "--db", "mysql://nope"], "unsupported database URL"),
        (["galaxy", "info", "--regions", "999"], "player_regions"),
        (["play", "--server", "localhost:8000"], "http://"),
        (["serve", "--port", "not-a-number"], "--port"),
        (["projector", "--read-db", "mysql://nope"], "unsupported database URL"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_no_command_prints_usage() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output
    assert "bench" in result.output
