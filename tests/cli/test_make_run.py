"""``make run ARGS=...`` adds to the defaults (``--bots 5``) instead of replacing them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import typer.main

from starlane.cli import app

ROOT = Path(__file__).parents[2]


def _serve_params(args: str | None) -> dict[str, object]:
    """The ``starlane serve`` parameters ``make run`` would start the server with."""
    command = ["make", "-n", "-C", str(ROOT), "run"] + ([f"ARGS={args}"] if args else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if "starlane serve" in x)
    argv = shlex.split(line)
    serve_args = argv[argv.index("serve") + 1 :]
    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    return dict(serve.make_context("serve", serve_args).params)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_starts_five_bots_by_default() -> None:
    assert _serve_params(None)["bots"] == 5


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_args_add_to_the_defaults() -> None:
    params = _serve_params("--port 9000")
    assert params["port"] == 9000
    assert params["bots"] == 5


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_args_override_a_default_flag() -> None:
    params = _serve_params("--bots 0 --port 9000")
    assert params["bots"] == 0
    assert params["port"] == 9000
