"""The application factory: :func:`create_app` wires store, engines, bus, projections and routes.

Everything the app uses is created by the factory and its lifespan and gathered in one typed
:class:`~starlane.api.services.Services` object (no module globals), which routes and
WebSocket handlers receive through a dependency (:mod:`starlane.api.deps`); several apps
(tests, a restart in the same process) never share state. The game's routes and WebSocket ops
come from the declared commands (:mod:`starlane.api.game_commands`).

start-up: create the database engines (the event store's and the read models', which for
SQLite is a second file), run the Alembic migrations, generate the galaxy on first start
(``settings.galaxy``), start the :class:`~starlane.engine.router.GalaxyService`, start the
projections (``settings.projector``: a ``starlane projector`` child process by default, or a
task in this process), create the configured admin account if missing;
shutdown: stop the projections, drain and stop the engines (final snapshots), close the bus,
dispose of the database engines. The steps that build one part each (projections, audit,
guilds, proposals, scouting, the admin account) are in :mod:`starlane.api.startup`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import FastAPI
from starlette.routing import BaseRoute, Route, WebSocketRoute

from starlane.api.auth import Passwords, TokenService, load_jwt_secret
from starlane.api.commands import CommandTable, GameCommand
from starlane.api.deps import extend_openapi, install_openapi_security
from starlane.api.docs import install_docs
from starlane.api.errors import install_error_handlers
from starlane.api.game import GameApi
from starlane.api.game_commands import GAME_COMMANDS
from starlane.api.inputs import install_openapi_bodies
from starlane.api.metrics import Metrics
from starlane.api.middleware import HttpMiddleware
from starlane.api.openapi_problems import install_openapi_problems
from starlane.api.ratelimit import RateLimiter
from starlane.api.routes import (
    admin,
    admin_accounts,
    admin_regions,
    auth,
    billing,
    diplomacy,
    expeditions,
    forums,
    governance,
    guilds,
    health,
    proposals,
    provisioning,
    region_treasury,
    region_views,
    scouting,
)
from starlane.api.routes.game import game_routes
from starlane.api.services import Services
from starlane.api.startup import (
    ensure_admin,
    scouting_desk,
    start_audit,
    start_guilds,
    start_projections,
    start_proposals,
    wal_checkpointer,
)
from starlane.api.ws import router as ws_router
from starlane.api.wsfeed import FeedHub
from starlane.api.wspush import EventJsonCache
from starlane.billing.book import KINDS as BOOK_KINDS
from starlane.billing.book import MembershipBook
from starlane.billing.webhook import WebhookBilling
from starlane.config import Settings
from starlane.engine.gates import GateConstructionTimers, GateTollPayouts
from starlane.engine.scouting import ScoutingDesk

if TYPE_CHECKING:
    from starlane.projections.base import ProjectionRunner
    from starlane.projections.worker import ProjectorProcess
    from starlane.store.eventstore import EventStore

_log = structlog.get_logger("starlane.api")

API_DESCRIPTION = """\
The Starlane player API. Authenticate with `POST /api/v1/auth/login` (or the **Authorize**
button), then send `Authorization: Bearer <access_token>`. Errors are RFC 9457 problem details
(`application/problem+json`) with a stable `code`. Lists page with `cursor` and `limit`.
Live events and low-overhead commands: WebSocket `/api/v1/ws` (see docs/api.md).
"""


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


def order_routes(routes: list[BaseRoute]) -> None:
    """Put the route table in matching order, in place: :data:`HOT_ROUTES` first, the docs
    pages last, the rest as declared.

    Starlette tries the routes one by one, and FastAPI registers its docs pages first, so
    without this every request would go past the four docs routes and a sector view past
    most of the table. No two routes match the same method and path
    (``tests/api/test_routes.py``), so the order changes nothing but the time.

    Args:
        routes: the app's routes (``app.router.routes``).
    """
    hot = {key: rank for rank, key in enumerate(HOT_ROUTES)}

    def rank(route: BaseRoute) -> int:
        path = route.path if isinstance(route, Route | WebSocketRoute) else ""
        if path in _DOCS_PATHS:
            return len(hot) + 1
        methods = route.methods if isinstance(route, Route) else None
        ranks = [hot.get((m, path), len(hot)) for m in methods or ()]
        return min(ranks, default=len(hot))

    routes.sort(key=rank)  # stable: the rest keep their declared order


def _paths_in_order(schema: dict[str, Any], declared: list[str]) -> None:
    """The OpenAPI document's paths in the order the routes were declared (``/docs`` groups
    them so), not in the matching order of :func:`order_routes`."""
    paths = schema.get("paths", {})
    rank = {path: i for i, path in reversed(list(enumerate(declared)))}
    schema["paths"] = dict(sorted(paths.items(), key=lambda item: rank.get(item[0], len(rank))))


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], float] | None = None,
    commands: Sequence[GameCommand] = GAME_COMMANDS,
) -> FastAPI:
    """Build the Starlane API application.

    Args:
        settings: the server settings.
        clock: unix-seconds clock for the game and token expiry (default ``time.time``).
        commands: the game commands the app serves over REST and the WebSocket (the game's
            own by default).

    Returns:
        The FastAPI app; its lifespan starts and stops every service.
    """
    now = clock or time.time
    table = CommandTable(commands)
    started: list[Services] = []  # the app's services once its lifespan has started them

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlane.bus import Bus
        from starlane.engine.bootstrap import ensure_galaxy
        from starlane.engine.router import GalaxyService
        from starlane.store.accounts_sql import SqlAccountStore
        from starlane.store.db import create_db_engine, upgrade_database
        from starlane.store.eventstore import EventStore
        from starlane.store.outbox import OutboxPublisher
        from starlane.store.uow import UnitOfWorkFactory

        st = app.state
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url()
        db = create_db_engine(url)
        read_url = settings.resolved_read_database_url()
        read_db = db if read_url == url else create_db_engine(read_url)
        service: GalaxyService | None = None
        projections: ProjectionRunner | ProjectorProcess | None = None
        bus = Bus()
        feed = FeedHub(bus)
        book = MembershipBook()
        event_store: EventStore | None = None
        outbox: OutboxPublisher | None = None
        checkpointer = None
        guild_treasury = None
        board = None
        desk: ScoutingDesk | None = None
        try:
            await upgrade_database(db)
            if read_db is not db:
                await upgrade_database(read_db)
            event_store = EventStore(db, checkpoint_off_loop=settings.sqlite_checkpoint_off_loop)
            outbox = OutboxPublisher(db, bus, clock=now)
            uow = UnitOfWorkFactory(db, clock=now, on_commit=outbox.committed)
            accounts = SqlAccountStore(db, uow)
            await book.load(db)  # before the outbox publishes what an earlier run left
            bus.add_listener(book, kinds=BOOK_KINDS)
            await outbox.start()
            g = settings.galaxy
            await ensure_galaxy(
                event_store,
                seed=g.seed,
                nexus_sectors=g.nexus_sectors,
                player_regions=g.player_regions,
                region_sectors=g.region_sectors,
                now=now(),
                rules=settings.game_rules(),
            )
            service = GalaxyService(
                event_store,
                bus,
                rules=settings.game_rules(),
                accounts=accounts,
                snapshot_every=settings.snapshot_every,
                queue_size=settings.engine_queue_size,
                clock=now,
                timer_rules=(GateConstructionTimers(),),
            )
            await service.start()
            gate_watch = GateTollPayouts(service.payouts, service.engines)
            bus.add_listener(gate_watch)
            await gate_watch.recover()
            projections = await start_projections(db, read_db, event_store, bus, settings)
            services = Services(
                settings=settings,
                clock=now,
                db=db,
                read_db=read_db,
                event_store=event_store,
                accounts=accounts,
                uow=uow,
                outbox=outbox,
                galaxy=service,
                bus=bus,
                feed=feed,
                limiter=limiter,
                metrics=metrics,
                tokens=tokens,
                passwords=passwords,
                dummy_hash=dummy_hash,
                game=GameApi(
                    service, limiter, metrics, now, book, catalogue=event_store.list_regions
                ),
                commands=table,
                event_json=EventJsonCache(),
                projections=projections,
                membership=book,
                billing=(
                    WebhookBilling(
                        settings.billing_webhook_secret, uow, now, settings.billing_grace_days
                    )
                    if settings.billing_webhook_secret
                    else None
                ),
            )
            checkpointer = await start_audit(services)
            guild_treasury = start_guilds(services)
            await guild_treasury.recover()  # pending guild transfers, after the galaxy's own
            board = services.proposals = await start_proposals(services)
            desk = services.scouting = scouting_desk(services)
            await desk.recover()  # rewards of reports filed before a crash, paid once
            started.append(services)
            st.services = services
            await ensure_admin(services)
            _log.info("api.started", database=url.split("://", 1)[0])
            yield
        finally:
            st.services = None
            started.clear()
            if board is not None:
                await board.stop()
            if projections is not None:
                await projections.stop()
            if guild_treasury is not None:
                await guild_treasury.drain()
            if desk is not None:
                await desk.drain()
            if service is not None:
                await service.stop()
            if checkpointer is not None:
                await checkpointer.stop()  # signs the entries added since the last checkpoint
            if outbox is not None:
                await outbox.stop()
            bus.close()
            if event_store is not None:
                event_store.close()
            if read_db is not db:
                await read_db.dispose()
            await db.dispose()
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
    passwords = Passwords(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    limiter = RateLimiter(settings.rate)
    metrics = Metrics(
        lambda: dict(started[0].galaxy.engines) if started else {},
        lambda: started[0].projections if started else None,
        lambda: wal_checkpointer(started[0].event_store) if started else None,
    )

    tokens = TokenService(
        load_jwt_secret(settings.jwt_secret, settings.data_dir),
        lambda: started[0].uow(),  # the unit-of-work factory exists once the app started
        now,
        access_seconds=settings.access_token_seconds,
        refresh_seconds=settings.refresh_token_seconds,
        lookup=lambda account_id: started[0].accounts.get(account_id),
        check_cache_seconds=settings.security.token_check_cache_seconds,
    )
    app.state.services = None  # the started Services (deps.get_services), set by the lifespan
    dummy_hash = passwords._hasher.hash("not a real password")
    install_error_handlers(app)
    app.add_middleware(
        HttpMiddleware, metrics=metrics, max_body_bytes=settings.max_request_body_bytes
    )
    # One flat route table, the game routes first: FastAPI keeps an included router as a nested
    # node that is matched twice per request. The routes are built with their full paths, so
    # the OpenAPI schema is the same as from included routers.
    app.router.routes.extend(game_routes(table))
    for module in (
        auth,
        health,
        admin,
        admin_accounts,
        admin_regions,
        billing,
        provisioning,
        governance,
        region_treasury,
        region_views,
        forums,
        guilds,
        proposals,
        expeditions,
        diplomacy,
        scouting,
    ):
        app.router.routes.extend(module.router.routes)
    app.router.routes.extend(ws_router.routes)
    install_docs(app)
    declared = [r.path if isinstance(r, Route | WebSocketRoute) else "" for r in app.router.routes]
    order_routes(app.router.routes)
    extend_openapi(app, lambda schema: _paths_in_order(schema, declared))
    install_openapi_security(app)
    install_openapi_bodies(app)
    install_openapi_problems(app)
    return app
