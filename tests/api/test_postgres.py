"""The API on PostgreSQL: the same play and restart as on SQLite (skipped without a server)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from starlane.api.app import create_app
from tests.api.conftest import PASSWORD, FakeClock, make_settings
from tests.conftest import postgres_unavailable_reason

# probed here, outside any event loop (the shared fixture caches the answer)
_REASON = postgres_unavailable_reason()
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(_REASON is not None, reason=_REASON or "")]


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


async def test_play_and_restart_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url)
    clock = FakeClock()
    first = create_app(settings, clock=clock)
    async with first.router.lifespan_context(first), _client(first) as c:
        r = await c.post(
            "/api/v1/auth/register", json={"username": "pgplayer", "password": PASSWORD}
        )
        assert r.status_code == 201, r.text
        h = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        r = await c.post(
            "/api/v1/ports/1/trade",
            json={"commodity": "fuel", "side": "buy", "quantity": 4},
            headers=h,
        )
        assert r.status_code == 200, r.text
        assert (await c.get("/readyz")).status_code == 200
        before = (await c.get("/api/v1/me", headers=h)).json()
    second = create_app(settings, clock=clock)
    async with second.router.lifespan_context(second), _client(second) as c:
        assert (await c.get("/api/v1/me", headers=h)).json() == before
        assert before["ship"]["cargo"] == {"fuel": 4}
