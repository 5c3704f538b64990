"""The application factory: :func:`create_app` wires store, engines, bus, projections and routes.

Everything the app uses is created in its lifespan and kept on ``app.state`` (no module
globals), so several apps (tests, a restart in the same process) never share state:

start-up: create the database engines (the event store's and the read models', which for
SQLite is a second file), run the Alembic migrations, generate the galaxy on first start
(``settings.galaxy``), start the :class:`~starlane.engine.router.GalaxyService`, start the
projections (``settings.projector``: a ``starlane projector`` child process by default, or a
task in this process), create the configured admin account if missing;
shutdown: stop the projections, drain and stop the engines (final snapshots), close the bus,
dispose of the database engines.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI

from starlane.api.auth import Passwords, TokenService, load_jwt_secret
from starlane.api.deps import extend_openapi, install_openapi_security
from starlane.api.docs import install_docs
from starlane.api.errors import install_error_handlers
from starlane.api.game import GameApi
from starlane.api.inputs import install_openapi_bodies
from starlane.api.metrics import Metrics
from starlane.api.middleware import HttpMiddleware
from starlane.api.ratelimit import RateLimiter
from starlane.api.routes import auth, health, player, trade, world
from starlane.api.ws import EventJsonCache
from starlane.api.ws import router as ws_router
from starlane.api.wsfeed import FeedHub
from starlane.config import Settings

_log = structlog.get_logger("starlane.api")

API_DESCRIPTION = """\
The Starlane player API. Authenticate with `POST /api/v1/auth/login` (or the **Authorize**
button), then send `Authorization: Bearer <access_token>`. Errors are RFC 9457 problem details
(`application/problem+json`) with a stable `code`. Lists page with `cursor` and `limit`.
Live events and low-overhead commands: WebSocket `/api/v1/ws` (see docs/api.md).
"""


async def _start_projections(st: Any, settings: Settings) -> Any:
    """The read models as ``settings.projector`` says: a child process, a task, or nothing.

    An in-memory SQLite database cannot be shared with a child process: there the projections
    run inline (with a warning).
    """
    mode = settings.projector
    if mode == "process" and ":memory:" in settings.resolved_database_url():
        _log.warning("projector.inline_for_memory_database")
        mode = "inline"
    if mode == "process":
        from starlane.projections.worker import ProjectorProcess

        process = ProjectorProcess(settings)
        await process.start()
        return process
    if mode == "inline":
        from starlane.projections import ProjectionRunner
        from starlane.projections.worker import default_projections

        runner = ProjectionRunner(st.read_db, st.event_store, st.bus, default_projections())
        await runner.start()
        return runner
    return None


async def _ensure_admin(st: Any, settings: Settings) -> None:
    if not (settings.admin_username and settings.admin_password):
        return
    from starlane.domain.commands import SpawnPlayer
    from starlane.domain.data import Membership

    existing = await st.accounts.get_by_username(settings.admin_username)
    if existing is None:
        password_hash = await st.passwords.hash(settings.admin_password)
        existing = await st.accounts.create(
            settings.admin_username,
            password_hash,
            roles=("player", "admin"),
            membership=str(Membership.CITIZEN),
            now=st.clock(),
        )
        _log.info("admin.created", username=settings.admin_username)
    elif "admin" not in existing.roles:
        await st.accounts.set_roles(existing.id, (*existing.roles, "admin"))
    if st.service.player(existing.id) is None:
        await st.service.execute(
            SpawnPlayer(existing.id, existing.username, Membership(existing.membership))
        )


HOT_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/me/move"),
    ("POST", "/api/v1/ports/{port_id}/trade"),
    ("GET", "/api/v1/ports/{port_id}/quote"),
    ("GET", "/api/v1/sectors/{sector_id}"),
    ("GET", "/api/v1/ports/{port_id}"),
    ("POST", "/api/v1/me/autopilot"),
)
"""The routes a game client calls most, matched first in this order (see :func:`order_routes`)."""

_DOCS_PATHS = frozenset(("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"))


def order_routes(routes: list[Any]) -> None:
    """Put the route table in matching order, in place: :data:`HOT_ROUTES` first, the docs
    pages last, the rest as declared.

    Starlette tries the routes one by one (~1.3 us each here), and FastAPI registers its docs
    pages first, so before this every request went past the four docs routes and a sector
    view past 18 routes. No two routes match the same method and path
    (``tests/api/test_routes.py``), so the order changes nothing but the time.

    Args:
        routes: the app's routes (``app.router.routes``).
    """
    hot = {key: rank for rank, key in enumerate(HOT_ROUTES)}

    def rank(route: Any) -> int:
        path = getattr(route, "path", "")
        if path in _DOCS_PATHS:
            return len(hot) + 1
        ranks = [hot.get((m, path), len(hot)) for m in getattr(route, "methods", None) or ()]
        return min(ranks, default=len(hot))

    routes.sort(key=rank)  # stable: the rest keep their declared order


def _paths_in_order(schema: dict[str, Any], declared: list[str]) -> None:
    """The OpenAPI document's paths in the order the routes were declared (``/docs`` groups
    them so), not in the matching order of :func:`order_routes`."""
    paths = schema.get("paths", {})
    rank = {path: i for i, path in reversed(list(enumerate(declared)))}
    schema["paths"] = dict(sorted(paths.items(), key=lambda item: rank.get(item[0], len(rank))))


def create_app(settings: Settings, *, clock: Callable[[], float] | None = None) -> FastAPI:
    """Build the Starlane API application.

    Args:
        settings: the server settings.
        clock: unix-seconds clock for the game and token expiry (default ``time.time``).

    Returns:
        The FastAPI app; its lifespan starts and stops every service.
    """
    now = clock or time.time

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlane.bus import Bus
        from starlane.engine.bootstrap import ensure_galaxy
        from starlane.engine.router import GalaxyService
        from starlane.store.accounts import AccountStore
        from starlane.store.db import create_db_engine, upgrade_database
        from starlane.store.eventstore import EventStore

        st = app.state
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url()
        st.db = create_db_engine(url)
        read_url = settings.resolved_read_database_url()
        st.read_db = st.db if read_url == url else create_db_engine(read_url)
        st.service = None
        st.projections = None
        st.bus = Bus()
        st.feed = FeedHub(st.bus)
        st.event_store = None
        try:
            await upgrade_database(st.db)
            if st.read_db is not st.db:
                await upgrade_database(st.read_db)
            st.event_store = EventStore(
                st.db,
                commit_on_loop=settings.sqlite_commit_on_loop,
                sync_off_loop=settings.sqlite_sync_off_loop,
                checkpoint_off_loop=settings.sqlite_checkpoint_off_loop,
            )
            st.accounts = AccountStore(st.db)
            g = settings.galaxy
            await ensure_galaxy(
                st.event_store,
                seed=g.seed,
                nexus_sectors=g.nexus_sectors,
                player_regions=g.player_regions,
                region_sectors=g.region_sectors,
                now=now(),
                rules=settings.game_rules(),
            )
            st.service = GalaxyService(
                st.event_store,
                st.bus,
                rules=settings.game_rules(),
                accounts=st.accounts,
                snapshot_every=settings.snapshot_every,
                queue_size=settings.engine_queue_size,
                clock=now,
            )
            await st.service.start()
            st.projections = await _start_projections(st, settings)
            st.game = GameApi(st.service, st.limiter, st.metrics, now)
            await _ensure_admin(st, settings)
            _log.info("api.started", database=url.split("://", 1)[0])
            yield
        finally:
            if st.projections is not None:
                await st.projections.stop()
            if st.service is not None:
                await st.service.stop()
            st.bus.close()
            if getattr(st, "event_store", None) is not None:
                st.event_store.close()
            if st.read_db is not st.db:
                await st.read_db.dispose()
            await st.db.dispose()
            _log.info("api.stopped")

    app = FastAPI(
        title="Starlane",
        version="1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # Starlane exports Prometheus metrics (/metrics) and structlog lines; FastAPI's native
        # OpenTelemetry hooks would only be checked, never used, on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url=None,  # served offline by install_docs
        redoc_url=None,
    )
    st = app.state
    st.settings = settings
    st.clock = now
    st.passwords = Passwords(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    st.dummy_hash = st.passwords._hasher.hash("not a real password")
    st.limiter = RateLimiter(settings.rate)
    st.metrics = Metrics(
        lambda: dict(getattr(getattr(st, "service", None), "engines", {})),
        lambda: getattr(st, "projections", None),
        lambda: getattr(st, "event_store", None),
    )
    st.ws_connections = set()
    st.event_json = EventJsonCache()

    class _LazyAccounts:
        """Token service's view of the account store, which exists once the app started."""

        def __getattr__(self, name: str) -> Any:
            return getattr(st.accounts, name)

    st.tokens = TokenService(
        load_jwt_secret(settings.jwt_secret, settings.data_dir),
        _LazyAccounts(),
        now,
        access_seconds=settings.access_token_seconds,
        refresh_seconds=settings.refresh_token_seconds,
    )
    install_error_handlers(app)
    app.add_middleware(
        HttpMiddleware, metrics=st.metrics, max_body_bytes=settings.max_request_body_bytes
    )
    # One flat route table, the game routes first: FastAPI >= 0.150 keeps an included router as
    # a nested node that is matched twice per request, which cost ~35-75 us per request here
    # (issue 5's REST benchmark). The routes themselves are unchanged (prefixes are applied when
    # each module's APIRouter declares them), so the OpenAPI schema is the same.
    for module in (player, trade, world, auth, health):
        app.router.routes.extend(module.router.routes)
    app.router.routes.extend(ws_router.routes)
    install_docs(app)
    declared = [getattr(route, "path", "") for route in app.router.routes]
    order_routes(app.router.routes)
    extend_openapi(app, lambda schema: _paths_in_order(schema, declared))
    install_openapi_security(app)
    install_openapi_bodies(app)
    return app
