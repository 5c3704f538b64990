"""The benchmark's own server: a real ``starlane serve`` subprocess set up for load."""

from __future__ import annotations

from pathlib import Path

from starlane.bench.placement import BENCH_PASSWORD
from starlane.bench.server import BENCH_START_TURNS, ServerProcess
from starlane.client.api import StarlaneClient


async def test_the_bench_server_gives_new_players_enough_turns_for_a_run(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, None, "bench-admin-pass-123")
    server.start()
    try:
        await server.wait_ready()
        async with StarlaneClient(server.base_url) as api:
            await api.register("runner", BENCH_PASSWORD)
            me = await api.me()
            assert me["turns"]["available"] == BENCH_START_TURNS
            await api.login("bench_admin", "bench-admin-pass-123")  # the admin exists
    finally:
        server.stop()
