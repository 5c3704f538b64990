"""Problem details for every error path: validation, unknown routes, engine errors, 500s."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from starlane.api.app import create_app
from starlane.engine.errors import EngineBusyError, EngineUnavailableError, UnknownRegionError
from tests.api.conftest import assert_problem, make_settings, register


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nowhere"), 404, "not_found")
    assert_problem(await client.delete("/api/v1/me"), 405, "method_not_allowed")


async def test_validation_names_the_field(client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    r = await client.get(
        "/api/v1/ports/1/quote",
        params={"commodity": "fuel", "side": "buy", "quantity": -3},
        headers=alice["headers"],
    )
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["query", "quantity"]
    assert "quantity" in body["detail"]
    r = await client.get("/api/v1/sectors/abc", headers=alice["headers"])
    assert assert_problem(r, 422, "validation_error")["errors"][0]["loc"] == ["path", "sector_id"]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (EngineBusyError("queue full"), 503, "engine_busy"),
        (EngineUnavailableError("recovering"), 503, "engine_unavailable"),
    ],
)
async def test_engine_errors_are_503_with_retry_after(
    app: FastAPI,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    code: str,
) -> None:
    alice = await register(client, "alice")

    async def failing(command: object) -> list[object]:
        raise error

    monkeypatch.setattr(app.state.services.galaxy, "execute", failing)
    r = await client.post("/api/v1/me/move", json={"to_sector_id": 2}, headers=alice["headers"])
    assert_problem(r, status, code)
    assert r.headers["Retry-After"] == "1"
    metrics = (await client.get("/metrics")).text
    assert f'starlane_commands_total{{command="move",outcome="{code}"}} 1.0' in metrics


async def test_unexpected_error_is_a_500_problem_without_details(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await register(client, "alice")

    async def exploding(command: object) -> list[object]:
        raise RuntimeError("SELECT secret FROM accounts -- boom")

    monkeypatch.setattr(app.state.services.galaxy, "execute", exploding)
    r = await client.post("/api/v1/me/move", json={"to_sector_id": 2}, headers=alice["headers"])
    body = assert_problem(r, 500, "internal_error")
    assert "SELECT" not in r.text and "boom" not in r.text and "RuntimeError" not in r.text
    assert body["instance"] == "/api/v1/me/move"
    metrics = (await client.get("/metrics")).text
    assert 'starlane_commands_total{command="move",outcome="error"} 1.0' in metrics


async def test_health_readiness_and_metrics(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "engines": True}
    alice = await register(client, "alice")
    await client.get("/api/v1/sectors/1", headers=alice["headers"])
    await client.post("/api/v1/me/move", json={"to_sector_id": 72}, headers=alice["headers"])
    text = (await client.get("/metrics")).text
    assert (
        'starlane_http_requests_total{method="GET",route="/api/v1/sectors/{sector_id}",status="200"}'
        in text
    )
    assert 'starlane_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text
    assert 'starlane_commands_total{command="spawn"' not in text  # registration is not a command
    assert 'starlane_commands_total{command="move",outcome="not_adjacent"} 1.0' in text
    assert 'starlane_engine_queue_depth{region="1"} 0.0' in text
    assert 'starlane_engine_commit_batch_size{region="1"}' in text
    samples = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    # alice's registration was committed: the commit latency counter has grown with it
    assert float(samples['starlane_engine_commits_total{region="1"}']) >= 1
    assert float(samples['starlane_engine_commit_seconds_total{region="1"}']) > 0
    assert 'starlane_engine_commits_waited_total{region="1"}' in samples
    assert "starlane_websocket_connections 0.0" in text


async def test_readiness_fails_when_engines_are_stopped(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await app.state.services.galaxy.stop()
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"status": "unavailable", "checks": {"database": True, "engines": False}}
    await app.state.services.galaxy.start()


async def test_metrics_registries_are_per_app(
    app: FastAPI, tmp_path: Path, galaxy_template: Path
) -> None:
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    for f in galaxy_template.glob("starlane.db*"):
        shutil.copy(f, other_dir / f.name)
    other = create_app(make_settings(other_dir))
    async with other.router.lifespan_context(other):
        app.state.services.metrics.record_command("move", "ok")
        assert b'command="move"' in app.state.services.metrics.render()
        assert b'command="move"' not in other.state.services.metrics.render()


async def test_unknown_region_from_the_engine_is_a_404(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await register(client, "alice")

    async def failing(command: object) -> list[object]:
        raise UnknownRegionError("no region 9")

    monkeypatch.setattr(app.state.services.galaxy, "execute", failing)
    r = await client.post("/api/v1/me/move", json={"to_sector_id": 2}, headers=alice["headers"])
    assert_problem(r, 404, "unknown_region")
    assert "Retry-After" not in r.headers


async def test_require_admin_refuses_players() -> None:
    from starlane.api.auth import Principal
    from starlane.api.deps import require_admin
    from starlane.api.errors import ApiError

    admin = Principal(1, "root", ("player", "admin"), "j", 1e12)
    assert await require_admin(admin) is admin
    with pytest.raises(ApiError) as err:
        await require_admin(Principal(2, "bob", ("player",), "j", 1e12))
    assert err.value.status == 403 and err.value.code == "forbidden"


async def test_docs_openapi_and_request_ids(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    assert "/api/v1/ports/{port_id}/trade" in schema["paths"]
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/token"
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz")
    assert len(r.headers["x-request-id"]) == 32


async def test_projections_follow_the_game(app: FastAPI, client: httpx.AsyncClient) -> None:
    from sqlalchemy import text

    alice = await register(client, "alice")
    r = await client.post(
        "/api/v1/ports/1/trade",
        json={"commodity": "fuel", "side": "buy", "quantity": 2},
        headers=alice["headers"],
    )
    assert r.status_code == 200
    runner = app.state.services.projections
    head = await app.state.services.event_store.head_position()
    await runner.wait_until(head)
    async with app.state.services.read_db.connect() as conn:
        rows = (await conn.execute(text("SELECT COUNT(*) FROM activity"))).scalar_one()
    assert rows >= 2  # the spawn and the trade
    metrics = (await client.get("/metrics")).text
    assert f"starlane_projection_position {float(runner.position)}" in metrics


async def move_and_scrape(application: FastAPI, username: str) -> str:
    """On a started app: register, move one warp out of Sol (asserting it was answered), and
    return ``/metrics``."""
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        player = await register(c, username)
        sol = (await c.get("/api/v1/sectors/1", headers=player["headers"])).json()
        to = sol["warps"][0]["to_sector_id"]
        moved = await c.post(
            "/api/v1/me/move", json={"to_sector_id": to}, headers=player["headers"]
        )
        assert moved.status_code == 200 and moved.json()["sector_id"] == to
        return (await c.get("/metrics")).text


async def test_wal_checkpoints_run_in_their_thread_and_metrics_show_them(
    app_factory: Callable[..., FastAPI],
) -> None:
    for off_loop in (True, False):
        application = app_factory(sqlite_checkpoint_off_loop=off_loop)
        async with application.router.lifespan_context(application):
            metrics = await move_and_scrape(application, f"carol{int(off_loop)}")
            store = application.state.services.event_store
            assert store._conn is not None  # the move was committed on the loop
            autocheckpoint = store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        checkpointer = store.checkpointer
        if off_loop:
            assert autocheckpoint == 0
            assert checkpointer is not None and not checkpointer.running  # stopped with the app
            assert "starlane_store_wal_checkpoints_total" in metrics
            assert "starlane_store_wal_checkpoint_failures_total 0.0" in metrics
            assert "starlane_store_wal_log_frames" in metrics
        else:
            assert autocheckpoint == 1000
            assert checkpointer is None and "starlane_store_wal_checkpoint" not in metrics


async def test_before_the_app_has_started_its_routes_answer_503(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory()  # not started: no services yet
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/readyz")
        assert_problem(r, 503, "engine_unavailable")
        r = await client.get("/api/v1/me", headers={"Authorization": "Bearer x"})
        assert_problem(r, 503, "engine_unavailable")
