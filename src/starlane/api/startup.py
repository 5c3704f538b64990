"""The application's start-up steps, called by :func:`starlane.api.app.create_app`'s lifespan.

Each step builds one part of the running server from the :class:`~starlane.api.services.Services`
(or the settings) and gives it to the services: the projections, the audit checkpointer and
admin actions, the guild treasury saga, the proposal board, the scouting desk, the configured
admin account. Their order is the lifespan's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from starlane.engine.scouting import ScoutingDesk, ScoutingRules

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from starlane.api.services import Services
    from starlane.audit.checkpointer import Checkpointer
    from starlane.bus import Bus
    from starlane.config import Settings
    from starlane.engine.guilds import GuildTreasury
    from starlane.engine.proposals import ProposalBoard
    from starlane.projections.base import ProjectionRunner
    from starlane.projections.worker import ProjectorProcess
    from starlane.store.eventstore import EventStore
    from starlane.store.walcheckpoint import WalCheckpointer

__all__ = [
    "ensure_admin",
    "scouting_desk",
    "start_audit",
    "start_guilds",
    "start_projections",
    "start_proposals",
    "wal_checkpointer",
]

_log = structlog.get_logger("starlane.api")


async def start_projections(
    db: AsyncEngine, read_db: AsyncEngine, event_store: EventStore, bus: Bus, settings: Settings
) -> ProjectionRunner | ProjectorProcess | None:
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

        runner = ProjectionRunner(read_db, event_store, bus, default_projections(), outbox=db)
        await runner.start()
        return runner
    return None


def wal_checkpointer(event_store: EventStore) -> WalCheckpointer | None:
    """The SQLite event store's WAL checkpointer (for the metrics), None on other backends."""
    from starlane.store.sqlite_events import SqliteEventStore

    return event_store.checkpointer if isinstance(event_store, SqliteEventStore) else None


async def ensure_admin(services: Services) -> None:
    """Create the configured admin account if missing (``settings.admin_username`` and
    ``admin_password``), give it the admin role, and spawn its player in the galaxy.

    Args:
        services: the started services (accounts, passwords, galaxy).
    """
    settings = services.settings
    if not (settings.admin_username and settings.admin_password):
        return
    from starlane.domain.commands import SpawnPlayer
    from starlane.domain.data import Membership

    accounts = services.accounts
    existing = await accounts.get_by_username(settings.admin_username)
    if existing is None:
        password_hash = await services.passwords.hash(settings.admin_password)
        existing = await accounts.create(
            settings.admin_username,
            password_hash,
            roles=("player", "admin"),
            membership=str(Membership.CITIZEN),
            now=services.clock(),
        )
        _log.info("admin.created", username=settings.admin_username)
    elif "admin" not in existing.roles:
        await accounts.set_roles(existing.id, (*existing.roles, "admin"))
    if services.galaxy.player(existing.id) is None:
        await services.galaxy.execute(
            SpawnPlayer(existing.id, existing.username, Membership(existing.membership))
        )


def start_guilds(services: Services) -> GuildTreasury:
    """Give the services the guild roster and the guild treasury saga (recovered by the caller).

    Returns:
        The guild treasury saga.
    """
    from starlane.engine.guilds import GuildTreasury
    from starlane.store.guild_roster import GuildRoster

    galaxy = services.galaxy
    services.guild_roster = GuildRoster(services.uow, services.clock)
    services.guilds = GuildTreasury(
        galaxy.engines, galaxy.directory, services.uow, services.db, services.clock
    )
    return services.guilds


async def start_audit(services: Services) -> Checkpointer:
    """Start the audit checkpointer and the admin actions; load the disabled accounts.

    Before the admin actions exist, every audited engine event (credit adjustment, policy change,
    permit, operator region action, treasury withdrawal) committed without its audit entry (a
    crash between the two) gets the entry, in one pass over all of them
    (``reconcile_event_entries``).
    """
    from starlane.audit.actions import AdminActions
    from starlane.audit.checkpointer import Checkpointer
    from starlane.audit.diplomacy import DIPLOMACY_AUDITED
    from starlane.audit.proposals import PROPOSAL_AUDITED
    from starlane.audit.reconcile import AUDITED_EVENTS, reconcile_event_entries
    from starlane.audit.region_actions import REGION_AUDITED, RegionActions
    from starlane.audit.treasury import WITHDRAWAL_AUDITED

    settings = services.settings
    checkpointer = Checkpointer(
        services.db,
        settings.data_dir,
        settings.audit_origin,
        every_entries=settings.audit_checkpoint_entries,
        every_seconds=settings.audit_checkpoint_seconds,
        clock=services.clock,
    )
    await checkpointer.start()
    services.checkpointer = checkpointer
    await reconcile_event_entries(
        services.event_store,
        services.db,
        services.uow,
        (
            *AUDITED_EVENTS,
            *REGION_AUDITED,
            WITHDRAWAL_AUDITED,
            *PROPOSAL_AUDITED,
            *DIPLOMACY_AUDITED,
        ),
    )
    services.admin = AdminActions(
        services.uow,
        services.clock,
        galaxy=services.galaxy,
        two_person=settings.audit_two_person_actions,
        credit_threshold=settings.audit_two_person_credit_threshold,
        on_disabled=lambda account_id, _disabled: services.tokens.forget(account_id),
    )
    services.region_admin = RegionActions(services.admin, services.uow, services.galaxy)
    return checkpointer


async def start_proposals(services: Services) -> ProposalBoard:
    """Start the proposal board: close the votes that fell due while the server was down,
    then arm its timer (after the audit reconciliation, before the API takes requests)."""
    from starlane.audit.proposals import audit_proposal_events
    from starlane.engine.proposals import ProposalBoard

    settings = services.settings
    board = ProposalBoard(
        services.db,
        services.uow,
        services.galaxy,
        services.clock,
        vote_seconds=settings.vote_seconds,
        min_citizen_days=settings.vote_min_citizen_days,
        quorum=settings.vote_quorum,
        audit=audit_proposal_events,
    )
    await board.start()
    return board


def scouting_desk(services: Services) -> ScoutingDesk:
    """The scouting desk, with the settings' numbers (``docs/scouting.md``)."""
    s = services.settings
    rules = ScoutingRules(
        min_hours=s.scout_min_hours,
        credits_per_point=s.scout_credits_per_point,
        cooldown_seconds=s.scout_cooldown_seconds,
        gap_cap_seconds=s.scout_gap_cap_seconds,
    )
    return ScoutingDesk(services.galaxy, services.uow, services.clock, rules)
