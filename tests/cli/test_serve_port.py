"""``starlane serve`` on a port already in use: one line naming the port, exit status 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def test_a_port_in_use_gives_one_line_and_status_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
        result = subprocess.run(
            [sys.executable, "-m", "starlane.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--db", f"sqlite:///{tmp_path / 'starlane.db'}"],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and "in use" in lines[0]
    assert not (tmp_path / "starlane.db").exists()  # failed before generating anything


def test_a_free_port_is_bound_by_the_listener() -> None:
    from starlane.cli.serve import bind_listener

    sock = bind_listener("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
