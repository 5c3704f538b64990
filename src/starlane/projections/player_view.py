"""The ``player_view`` read model: each player's current credits, turns, sector, ship and cargo.

Other regions and services (the API's profile reads, rankings, the web console) read a player
here without asking the player's region engine. Every event that changes a player field is
handled by one small function of :data:`PLAYER_VIEW_HANDLERS`; a module adding a new event type
that changes a player registers its handler with :func:`register_player_view_handler`.

The membership tier is an account's, not the region's: a change of it (``account.updated``
with ``membership``, from the outbox) updates the row too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from starlane.domain.data import ESCAPE_POD, SHIP_TYPES
from starlane.domain.envelope import ACCOUNT_UPDATED, Envelope
from starlane.domain.events import (
    CombatResolved,
    Event,
    HardwareBought,
    PlayerMoved,
    PlayerSpawned,
    PortTraded,
    RecordedEvent,
    ShipBought,
    ShipDestroyed,
)
from starlane.projections.base import Projection
from starlane.store.schema import player_view

Row = dict[str, Any]
Handler = Callable[[dict[int, Row], Any], None]
"""``handler(rows, event)``: change the rows (player id -> row) the event touches."""


def _spawned(rows: dict[int, Row], e: PlayerSpawned) -> None:
    spec = SHIP_TYPES[e.ship_type]
    rows[e.player_id] = {
        "player_id": e.player_id,
        "name": e.player_name,
        "region_id": e.region_id,
        "sector_id": e.sector_id,
        "credits": e.credits,
        "turns": e.turns,
        "turns_at": e.at,
        "ship_type": e.ship_type,
        "ship_name": e.ship_name,
        "holds": spec.holds,
        "fighters": spec.fighters,
        "shields": spec.shields,
        "hull": spec.hull,
        "cargo": {},
        "membership": str(e.membership),
    }


def _moved(rows: dict[int, Row], e: PlayerMoved) -> None:
    row = rows.get(e.player_id)
    if row is not None:
        row.update(
            region_id=e.region_id, sector_id=e.sector_id, turns=e.turns_left, turns_at=e.turns_at
        )


def _traded(rows: dict[int, Row], e: PortTraded) -> None:
    row = rows.get(e.player_id)
    if row is None:
        return
    row.update(credits=e.credits_after, turns=e.turns_left, turns_at=e.turns_at)
    if e.cargo_after > 0:
        row["cargo"][e.commodity] = e.cargo_after
    else:
        row["cargo"].pop(e.commodity, None)


def _jumped(rows: dict[int, Row], e: Any) -> None:
    """A Warp Jumper's jump (``player_jumped``, or ``jump_departed`` towards another region):
    the fuel left, and the sector when it stays in the region."""
    row = rows.get(e.player_id)
    if row is None:
        return
    if e.fuel_after > 0:
        row["cargo"]["fuel"] = e.fuel_after
    else:
        row["cargo"].pop("fuel", None)
    if e.type == "player_jumped":
        row["sector_id"] = e.sector_id


def _ship_bought(rows: dict[int, Row], e: ShipBought) -> None:
    row = rows.get(e.player_id)
    if row is not None:
        row.update(
            credits=e.credits_after,
            ship_type=e.ship_type,
            ship_name=e.ship_name,
            holds=e.holds,
            fighters=e.fighters,
            shields=e.shields,
            hull=e.hull,
            cargo=dict(e.cargo),
        )


def _hardware_bought(rows: dict[int, Row], e: HardwareBought) -> None:
    row = rows.get(e.player_id)
    if row is not None:  # the item names the column: fighters, holds or shields
        row.update({"credits": e.credits_after, str(e.item): e.units_after})


def _combat(rows: dict[int, Row], e: CombatResolved) -> None:
    row = rows.get(e.player_id)
    if row is not None:
        a = e.attacker_after
        row.update(
            credits=e.attacker_credits_after,
            turns=e.turns_left,
            turns_at=e.turns_at,
            fighters=a.fighters,
            shields=a.shields,
            hull=a.hull,
        )
    if e.target_kind == "player":
        target = rows.get(e.target_id)
        if target is not None:
            t = e.target_after
            target.update(
                credits=e.target_credits_after, fighters=t.fighters, shields=t.shields, hull=t.hull
            )


def _ship_destroyed(rows: dict[int, Row], e: ShipDestroyed) -> None:
    row = rows.get(e.player_id)
    if row is not None:
        pod = SHIP_TYPES[ESCAPE_POD]
        row.update(
            ship_type=ESCAPE_POD,
            holds=pod.holds,
            fighters=pod.fighters,
            shields=pod.shields,
            hull=pod.hull,
            cargo={},
        )


def _credits_and(field: str) -> Handler:
    """A handler for a purchase event carrying ``credits_after`` and ``<field>_after``."""

    def handler(rows: dict[int, Row], e: Any) -> None:
        row = rows.get(e.player_id)
        if row is not None:
            row.update({"credits": e.credits_after, field: getattr(e, f"{field}_after")})

    return handler


def _credits(rows: dict[int, Row], e: Any) -> None:
    """A handler for an event that only sets a player's credits (``credits_after``)."""
    row = rows.get(e.player_id)
    if row is not None:
        row["credits"] = e.credits_after


PLAYER_VIEW_HANDLERS: dict[str, Handler] = {
    PlayerSpawned.type: _spawned,
    PlayerMoved.type: _moved,
    PortTraded.type: _traded,
    ShipBought.type: _ship_bought,
    HardwareBought.type: _hardware_bought,
    "hull_repaired": _credits_and("hull"),
    CombatResolved.type: _combat,
    ShipDestroyed.type: _ship_destroyed,
    "payout_credited": _credits,  # a treasury payout (starlane.domain.treasury)
    "closure_treasury_paid": _credits,  # a closing region's treasury to its governor
    "guild_deposit_debited": _credits,  # a deposit to a guild (starlane.domain.guild_transfers)
    "guild_withdrawal_credited": _credits,  # a withdrawal from a guild's treasury
    "player_jumped": _jumped,  # starlane.domain.jumps
    "jump_departed": _jumped,
    "region_first_visited": _credits,  # a new region's discovery bonus (domain.discovery)
}
"""Event type -> handler updating the player rows it touches."""


def register_player_view_handler(event_type: str, handler: Handler) -> None:
    """Make the player view follow a new event type.

    Args:
        event_type: the event's ``type`` name.
        handler: ``handler(rows, event)`` updating ``rows[player_id]`` in place (rows of
            players unknown to the view are absent; skip them).
    """
    PLAYER_VIEW_HANDLERS[event_type] = handler


def _players_touched(event: Event) -> Iterable[int]:
    player_id = getattr(event, "player_id", None)
    if player_id is not None:
        yield player_id
    if isinstance(event, CombatResolved) and event.target_kind == "player":
        yield event.target_id


class PlayerViewProjection(Projection):
    """Keeps ``player_view`` up to date: one row per player."""

    name: ClassVar[str] = "player_view"
    change_kinds: ClassVar[frozenset[str]] = frozenset({ACCOUNT_UPDATED})

    async def apply_changes(self, conn: AsyncConnection, changes: Sequence[Envelope]) -> None:
        """Follow membership changes of the players' accounts.

        Args:
            conn: the runner's transaction.
            changes: ``account.updated`` changes.
        """
        for change in changes:
            membership = change.payload.get("membership")
            account_id = change.payload.get("account_id")
            if isinstance(membership, str) and isinstance(account_id, int):
                await conn.execute(
                    update(player_view)
                    .where(player_view.c.player_id == account_id)
                    .values(membership=membership)
                )

    async def apply(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch: read the touched rows once, update them in memory, write them back.

        Args:
            conn: the runner's transaction.
            events: the batch.
        """
        handled = [r for r in events if r.event.type in PLAYER_VIEW_HANDLERS]
        if not handled:
            return
        ids = {pid for r in handled for pid in _players_touched(r.event)}
        rows: dict[int, Row] = {}
        if ids:
            result = await conn.execute(select(player_view).where(player_view.c.player_id.in_(ids)))
            for found in result.mappings():
                row = dict(found)
                row["cargo"] = msgspec.json.decode(row["cargo"] or "{}")
                rows[row["player_id"]] = row
        changed: set[int] = set()
        for recorded in handled:
            event = recorded.event
            PLAYER_VIEW_HANDLERS[event.type](rows, event)
            for pid in _players_touched(event):
                touched = rows.get(pid)
                if touched is not None:
                    touched["updated_position"] = recorded.position
                    touched["updated_at"] = event.at
                    changed.add(pid)
        if not changed:
            return
        await conn.execute(delete(player_view).where(player_view.c.player_id.in_(changed)))
        values = []
        for pid in sorted(changed):
            row = dict(rows[pid])
            row["cargo"] = msgspec.json.encode(row["cargo"]).decode()
            values.append(row)
        await conn.execute(player_view.insert(), values)
