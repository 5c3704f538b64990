"""The benchmark's server: ``starlane serve`` in a subprocess on a temporary database."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from starlane.client.api import StarlaneClient

BENCH_START_TURNS = 1_000_000
"""Turns a new player starts with on the benchmark's own server (``rules.start_turns``): at
full speed a client spends about 45 turns/s, so the default 1,000 would run out within a run
and turn the rest of its actions into cheap ``insufficient_turns`` refusals."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``starlane serve`` in a subprocess on a temporary database.

    Args:
        workdir: directory for the database, the JWT secret and the server log.
        database_url: database URL (default: SQLite in ``workdir``).
        admin_password: password of the ``bench_admin`` account created at start.
    """

    def __init__(self, workdir: Path, database_url: str | None, admin_password: str) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{workdir / 'bench.db'}"
        self.admin_password = admin_password
        self.log_path = workdir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server process (returns at once; see :meth:`wait_ready`)."""
        env = dict(os.environ)
        env.update(
            {
                "STARLANE_CONFIG": str(self.workdir / "none.toml"),
                "STARLANE_DATA_DIR": str(self.workdir),
                "STARLANE_RATE__ENABLED": "false",
                "STARLANE_PASSWORD_HASH_TIME_COST": "1",
                "STARLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
                "STARLANE_ADMIN_USERNAME": "bench_admin",
                "STARLANE_ADMIN_PASSWORD": self.admin_password,
                "STARLANE_LOG_LEVEL": "warning",
                "STARLANE_RULES__START_TURNS": str(BENCH_START_TURNS),
            }
        )
        cmd = [
            sys.executable,
            "-m",
            "starlane.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            self.database_url,
            "--nexus-sectors",
            "2000",
            "--regions",
            "0",
        ]
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

    async def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until ``/readyz`` answers 200.

        Args:
            timeout: seconds to wait.

        Raises:
            RuntimeError: the process exited or did not become ready in time.
        """
        deadline = time.monotonic() + timeout
        async with StarlaneClient(self.base_url, timeout=2.0) as api:
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.poll() is not None:
                    tail = self.log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the server exited; the end of its log:\n{tail}")
                if await api.readyz():
                    return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server was not ready within {timeout} s: see {self.log_path}")

    def stop(self) -> None:
        """Stop the server (SIGINT, then SIGKILL after 20 s)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        import signal

        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)


# --- set-up -------------------------------------------------------------------------------
