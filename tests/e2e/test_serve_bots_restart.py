"""End to end: ``starlane serve`` as a real process, bots playing it, a restart keeping state.

Starts the server on a free port with a small galaxy (2,000-sector Nexus, one 100-sector player
region) in a temporary data directory, runs ``starlane bots`` against it for a few seconds,
checks the bots' moves and trades in ``/api/v1/me``, in the event store and in the activity
projection, then restarts the server and finds the same state.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from starlane.client.api import StarlaneClient

pytestmark = pytest.mark.slow

BOT_PASSWORD = "e2e-bot-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "STARLANE_CONFIG": str(data_dir / "absent.toml"),
            "STARLANE_DATA_DIR": str(data_dir),
            "STARLANE_GALAXY__REGION_SECTORS": "100",
            "STARLANE_RATE__LOGIN_PER_MINUTE": "100",
            "STARLANE_PASSWORD_HASH_TIME_COST": "1",
            "STARLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
            "COLUMNS": "120",
        }
    )
    return env


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None
        self.log = data_dir / f"server-{self.port}.log"

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "starlane.cli", "serve", "--port", str(self.port),
            "--nexus-sectors", "2000", "--regions", "1",
        ]  # fmt: skip
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=_env(self.data_dir), text=True
            )

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with StarlaneClient(self.url, timeout=2) as api:
            while time.monotonic() < deadline:
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
                if await api.readyz():
                    return
                await asyncio.sleep(0.2)
        raise AssertionError(f"server not ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


async def _me_of(url: str, names: list[str]) -> dict[str, dict]:
    result = {}
    for name in names:
        async with StarlaneClient(url) as api:
            await api.login(name, BOT_PASSWORD)
            result[name] = await api.me()
    return result


def _projectors_of(data_dir: Path) -> list[int]:
    """Process ids of ``starlane projector`` processes working on ``data_dir``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if " projector " in cmdline and str(data_dir) in cmdline:
            found.append(int(proc.name))
    return found


async def test_serve_bots_activity_and_restart(tmp_path: Path) -> None:
    server = Server(tmp_path)
    server.start()
    try:
        await server.wait_ready()
        assert (tmp_path / "starlane.db").exists()
        for _ in range(50):  # serve starts its projector process during start-up
            if _projectors_of(tmp_path):
                break
            await asyncio.sleep(0.1)
        assert len(_projectors_of(tmp_path)) == 1
        async with StarlaneClient(server.url) as api:
            await api.register("e2e_admin_probe", BOT_PASSWORD)
            regions = await api.regions()
        assert [r["kind"] for r in regions["items"]] == ["terran", "nexus", "player"]

        bots = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starlane.cli", "bots", "--server", server.url,
            "--count", "4", "--strategy", "mixed", "--duration", "10", "--pace", "8",
            "--prefix", "e2ebot", "--password", BOT_PASSWORD, "--json",
            "--turn-reserve", "0", "--turn-horizon", "5",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env=_env(tmp_path),
        )  # fmt: skip
        out, _ = await asyncio.wait_for(bots.communicate(), 60)
        text = out.decode()
        assert bots.returncode == 0, text
        figures = json.loads(text.strip().splitlines()[-1])
        assert figures["by_action"].get("move", 0) + figures["by_action"].get("autopilot", 0) > 5
        assert figures["by_action"].get("trade", 0) >= 1, figures
        assert "actions/s" in text and "credits earned" in text

        names = [f"e2ebot{i}" for i in range(1, 5)]
        before = await _me_of(server.url, names)
        assert all(me["turns"]["available"] < 1000 for me in before.values())  # they moved
        assert any(
            me["credits"] != 10_000 or me["ship"]["cargo"] for me in before.values()
        )  # they traded
        ids = {me["id"] for me in before.values()}

        engine = sa.create_engine(f"sqlite:///{tmp_path / 'starlane.db'}")
        with engine.connect() as conn:
            events = sa.Table("events", sa.MetaData(), autoload_with=conn)
            kinds = {
                row[0]
                for row in conn.execute(
                    sa.select(events.c.type).where(events.c.actor_id.in_(ids)).distinct()
                )
            }
        assert {"player_moved", "port_traded"} <= kinds, kinds
    finally:
        server.stop()
    assert server.proc is not None and server.proc.returncode == 0, server.log.read_text()

    restarted = Server(tmp_path)
    restarted.start()
    try:
        await restarted.wait_ready()
        after = await _me_of(restarted.url, names)
        for name in names:
            a, b = after[name], before[name]
            assert (a["sector_id"], a["credits"], a["ship"]) == (
                b["sector_id"],
                b["credits"],
                b["ship"],
            )
            assert b["turns"]["available"] <= a["turns"]["available"] <= b["turns"]["available"] + 2
    finally:
        restarted.stop()

    for _ in range(50):
        if not _projectors_of(tmp_path):
            break
        await asyncio.sleep(0.1)
    assert _projectors_of(tmp_path) == [], "the projector outlived the server"
    # the read models are in their own SQLite file, written by the projector process
    read_engine = sa.create_engine(f"sqlite:///{tmp_path / 'starlane-read.db'}")
    with read_engine.connect() as conn:
        activity = sa.Table("activity", sa.MetaData(), autoload_with=conn)
        rows = conn.execute(
            sa.select(activity.c.type, sa.func.count())
            .where(activity.c.player_id.in_(ids))
            .group_by(activity.c.type)
        ).all()
    engine.dispose()
    read_engine.dispose()
    counts = dict(rows)
    assert counts.get("player_moved", 0) > 0 and counts.get("port_traded", 0) > 0, counts


async def test_ctrl_c_stops_the_bots_before_the_server(tmp_path: Path) -> None:
    """``serve --bots``: the first Ctrl-C stops the bots, then the server, so the bots' final
    summary shows no connection errors and the process exits cleanly."""
    server = Server(tmp_path)
    port = str(server.port)
    cmd = [
        sys.executable, "-m", "starlane.cli", "serve", "--port", port,
        "--nexus-sectors", "2000", "--regions", "0", "--bots", "3",
        "--bot-turn-reserve", "0", "--bot-turn-horizon", "5",
    ]  # fmt: skip
    with server.log.open("a") as log:
        server.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=_env(tmp_path), text=True
        )
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.url) as http:
            for _ in range(100):  # until the bots have played a few commands
                metrics = (await http.get("/metrics")).text
                played = sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in metrics.splitlines()
                    if line.startswith("starlane_commands_total{")
                )
                if played >= 10:
                    break
                await asyncio.sleep(0.2)
        assert played >= 10, server.log.read_text()
    finally:
        server.stop()
    log = server.log.read_text()
    assert server.proc.returncode == 0, log
    summary = log[log.rindex("errors by code") :].splitlines()[0]
    assert "none" in summary, log[-3000:]
