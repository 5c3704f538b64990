"""The services of one running app, in one typed object: :class:`Services`.

The app factory (:func:`starlane.api.app.create_app`) builds it once the store, the engines and
the projections have started, and routes and WebSocket handlers receive it through the FastAPI
dependency :func:`starlane.api.deps.get_services` (``ServicesDep``); nothing else finds a
service by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlane.api.wslimits import SocketCounts
from starlane.billing.book import MembershipBook
from starlane.engine.expeditions import ExpeditionFlights

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.api.auth import Passwords, TokenService
    from starlane.api.commands import CommandTable
    from starlane.api.game import GameApi
    from starlane.api.metrics import Metrics
    from starlane.api.ratelimit import RateLimiter
    from starlane.api.wsfeed import Connection, FeedHub
    from starlane.api.wspush import EventJsonCache
    from starlane.audit.actions import AdminActions
    from starlane.audit.checkpointer import Checkpointer
    from starlane.audit.region_actions import RegionActions
    from starlane.billing.webhook import WebhookBilling
    from starlane.bus import Bus
    from starlane.config import Settings
    from starlane.engine.guilds import GuildTreasury
    from starlane.engine.proposals import ProposalBoard
    from starlane.engine.router import GalaxyService
    from starlane.engine.scouting import ScoutingDesk
    from starlane.projections.base import ProjectionRunner
    from starlane.projections.worker import ProjectorProcess
    from starlane.store.accounts import AccountStore
    from starlane.store.eventstore import EventStore
    from starlane.store.guild_roster import GuildRoster
    from starlane.store.outbox import OutboxPublisher
    from starlane.store.uow import UnitOfWorkFactory


@dataclass(slots=True, eq=False)
class Services:
    """Everything a route or a WebSocket handler of one app may use.

    Attributes:
        settings: the server settings.
        clock: unix seconds now (the game's and the tokens' clock).
        db: the event store's database engine.
        read_db: the read models' database engine (the same object as ``db`` unless SQLite
            keeps the read models in a second file).
        event_store: the event store.
        accounts: the account store.
        uow: opens a unit of work (one transaction for relational changes and their outbox
            rows).
        outbox: publishes committed outbox rows on the bus.
        galaxy: the galaxy service (region engines and the command router).
        bus: the bus committed events are published on.
        feed: the WebSocket fan-out of the bus.
        limiter: the rate limits.
        metrics: the app's metrics.
        tokens: access and refresh tokens.
        passwords: password hashing.
        dummy_hash: a password hash of no account, verified against when a login names an
            unknown username (so that answer takes as long as a wrong password).
        game: the game operations shared by REST and WebSocket.
        commands: the declared game commands the app serves (REST routes and WebSocket ops).
        event_json: the JSON of recently pushed events, encoded once.
        projections: the read models' runner (in-process) or child process, None when off.
        ws_connections: the open WebSocket connections.
        admin: the audited operator actions (the admin API's).
        region_admin: the audited operator region controls (suspend, transfer, close).
        checkpointer: signs the audit log's checkpoints.
        ws_counts: open WebSockets per client address and per account (the caps).
        membership: every account's membership terms (kept by the bus), for ``GET /me``.
        billing: the billing webhook provider (None: no secret configured, the webhook
            answers 503 ``billing_disabled``).
        guild_roster: guild membership operations (set once the app started).
        guilds: the guild treasury saga (deposits, withdrawals; set once the app started).
        proposals: the regions' proposals and votes, and the timer that closes them.
        expeditions: flies trade expedition legs (one at a time per expedition).
        scouting: files scouting reports and pays their rewards (set once the galaxy started).
    """

    settings: Settings
    clock: Callable[[], float]
    db: AsyncEngine
    read_db: AsyncEngine
    event_store: EventStore
    accounts: AccountStore
    uow: UnitOfWorkFactory
    outbox: OutboxPublisher
    galaxy: GalaxyService
    bus: Bus
    feed: FeedHub
    limiter: RateLimiter
    metrics: Metrics
    tokens: TokenService
    passwords: Passwords
    dummy_hash: str
    game: GameApi
    commands: CommandTable
    event_json: EventJsonCache
    projections: ProjectionRunner | ProjectorProcess | None = None
    ws_connections: set[Connection] = field(default_factory=set)
    admin: AdminActions | None = None
    region_admin: RegionActions | None = None
    checkpointer: Checkpointer | None = None
    ws_counts: SocketCounts = field(default_factory=SocketCounts)
    membership: MembershipBook = field(default_factory=MembershipBook)
    billing: WebhookBilling | None = None
    guild_roster: GuildRoster | None = None
    guilds: GuildTreasury | None = None
    proposals: ProposalBoard | None = None
    expeditions: ExpeditionFlights = field(default_factory=ExpeditionFlights)
    scouting: ScoutingDesk | None = None
