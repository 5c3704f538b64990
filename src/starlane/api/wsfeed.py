"""Routing of committed changes to WebSocket connections, indexed by channel.

One :class:`FeedHub` per app listens to the bus, for every kind of message: region events and
relational changes (:mod:`starlane.domain.envelope`). Each connection is indexed by its player id,
its current ``(region, sector)``, its region and (for admins) the admin feed, so an event
reaches only the few connections it can concern: a sector event costs a dictionary lookup and
a check per player in that sector, not a check per open socket. The exact rule of which
channel delivers an event stays in :meth:`Connection.channel_of`; the indexes only pick the
candidates.

A relational change (an :class:`~starlane.domain.envelope.Envelope`: ``role.granted``,
``account.updated``...) reaches the admin channel of every admin connection, and the
``player`` channel of the connections of the account it is about (subject ``account.<id>``).
A forum board's changes (subject ``forum.<board>``) reach the connections subscribed to its
channel ``forum:<board>`` (an index by board, like the others). A guild's change (subject
``guild.<id>``, :mod:`starlane.store.guilds`) reaches the ``guild`` channel of the players its
payload names in ``recipients`` (the members, and the player it concerns).
A change is sent as ``{"type": "change", "channel", "kind", "subject", "position", "at",
"payload"}`` (:func:`envelope_text`); ``position`` is the outbox position, not an event
position.

Each connection has a bounded :class:`Outbox`; when it overflows the connection is marked as a
slow consumer (the WebSocket handler then closes it with 1013) and its buffered events are
dropped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import msgspec
import structlog
from fastapi import WebSocket

from starlane.api.auth import Principal
from starlane.bus import BUS_CLOSED, SLOW_CONSUMER, UNSUBSCRIBED, Bus
from starlane.domain import events as ev
from starlane.domain.envelope import REGION_EVENT, BusMessage, Envelope, account_subject
from starlane.domain.errors import DomainError
from starlane.domain.forums import board_channel, parse_board
from starlane.domain.jumps import PlayerJumped

if TYPE_CHECKING:
    from starlane.api.services import Services

DEFAULT_CHANNELS = ("player", "sector", "region")

FORUM_CHANNEL_PREFIX = "forum:"
"""Forum channels are ``forum:<board>``; their changes have the subject ``forum.<board>``."""


def is_forum_channel(services: Services, channel: str) -> bool:
    """Whether ``channel`` is the channel of an existing forum board.

    Args:
        services: the app's services (the regions).
        channel: e.g. ``forum:galaxy`` or ``forum:region-3``.

    Returns:
        True for ``forum:galaxy`` and ``forum:region-<id>`` of an existing region.
    """
    if not channel.startswith(FORUM_CHANNEL_PREFIX):
        return False
    try:
        board = parse_board(channel[len(FORUM_CHANNEL_PREFIX) :])
    except DomainError:
        return False
    return board.region_id is None or services.galaxy.region_info(board.region_id) is not None


def _forum_channel_of(envelope: Envelope) -> str | None:
    subject = envelope.subject
    return board_channel(subject[6:]) if subject.startswith("forum.") else None


_log = structlog.get_logger("starlane.api.ws")


class Outbox:
    """A connection's bounded buffer of ``(message, channel)`` pairs waiting to be sent (the
    message is a region event or a relational change's envelope).

    Attributes:
        name: the subscriber name, for logs.
        maxsize: pairs buffered at most; one more closes the outbox as a slow consumer.
        close_reason: why it was closed, or None while open.
        offered: pairs buffered since it opened (a running count: pair ``i`` of the stream is
            the ``i``-th offered), so a sender can place other messages between them.
    """

    def __init__(self, bus: Bus, name: str, maxsize: int) -> None:
        self._bus = bus
        self.name = name
        self.maxsize = max(1, maxsize)
        self._items: deque[tuple[BusMessage, str]] = deque()
        self._ready = asyncio.Event()
        self.close_reason: str | None = None
        self.offered = 0

    def offer(self, recorded: BusMessage, channel: str) -> None:
        """Buffer a message for sending (never waits).

        Args:
            recorded: the event or envelope.
            channel: the channel delivering it.
        """
        if self.close_reason is not None:
            return
        if len(self._items) >= self.maxsize:
            _log.warning("bus.slow_consumer", subscriber=self.name, buffered=len(self._items))
            self._bus.dropped += 1
            self.close(SLOW_CONSUMER)
            return
        self._items.append((recorded, channel))
        self.offered += 1
        self._ready.set()

    def close(self, reason: str = UNSUBSCRIBED) -> None:
        """Close the outbox; a slow consumer's buffered events are dropped.

        Args:
            reason: the close reason.
        """
        if self.close_reason is not None:
            return
        self.close_reason = reason
        if reason == SLOW_CONSUMER:
            self._items.clear()
        self._ready.set()

    def wake(self) -> None:
        """Wake the waiting sender without buffering an event (it has a reply or notice to send)."""
        self._ready.set()

    async def wait(self) -> None:
        """Wait until something happened since the last wait: a pair was offered, :meth:`wake`
        was called or the outbox closed (returns at once if so)."""
        if not self._ready.is_set():
            await self._ready.wait()
        self._ready.clear()

    def take(self) -> list[tuple[BusMessage, str]]:
        """Take the buffered pairs without waiting.

        Returns:
            The pairs in order (the last one is pair ``offered - 1``); empty if none.
        """
        if not self._items:
            return []
        items = list(self._items)
        self._items.clear()
        return items


class Connection:
    """One authenticated WebSocket client: its channels, position and outbox."""

    def __init__(self, ws: WebSocket, principal: Principal, services: Services) -> None:
        self.ws = ws
        self.principal = principal
        self.subject = account_subject(principal.account_id)
        self.services = services
        self.channels: set[str] = set(DEFAULT_CHANNELS)
        self._region_id: int | None = None
        self._sector_id: int | None = None
        self.hub: FeedHub | None = None
        self.outbox: Outbox | None = None
        self.resync()

    @property
    def pid(self) -> int:
        """The connection's player (= account) id."""
        return self.principal.account_id

    @property
    def region_id(self) -> int | None:
        """The player's region as last seen by the feed."""
        return self._region_id

    @property
    def sector_id(self) -> int | None:
        """The player's sector as last seen by the feed."""
        return self._sector_id

    def place(self, region_id: int | None, sector_id: int | None) -> None:
        """Record the player's position (and re-index the connection when it changed).

        Args:
            region_id: the region.
            sector_id: the global sector id.
        """
        if region_id == self._region_id and sector_id == self._sector_id:
            return
        hub = self.hub
        if hub is not None:
            hub._unindex_position(self)
        self._region_id, self._sector_id = region_id, sector_id
        if hub is not None:
            hub._index_position(self)

    def resync(self) -> None:
        """Refresh the cached region and sector from the live player."""
        player = self.services.galaxy.player(self.pid)
        if player is not None:
            self.place(player.region_id, player.sector_id)

    def channel_of(self, recorded: ev.RecordedEvent) -> str | None:
        """Which subscribed channel (if any) delivers an event; follows the player's moves.

        Args:
            recorded: a committed event.

        Returns:
            ``player``, ``sector``, ``region``, ``admin`` or None.
        """
        e = recorded.event
        pid = self.pid
        player_id = getattr(e, "player_id", None)
        if player_id == pid:
            if isinstance(
                e,
                ev.PlayerMoved
                | ev.PlayerSpawned
                | ev.TransferArrived
                | ev.TransferCompensated
                | PlayerJumped,
            ):
                self.place(e.region_id, e.sector_id)
            return "player" if "player" in self.channels else None
        if (
            isinstance(e, ev.CombatResolved)
            and e.target_kind == "player"
            and e.target_id == pid
            and "player" in self.channels
        ):
            return "player"
        if recorded.region_id == self._region_id:
            sector_id = getattr(e, "sector_id", None)
            if sector_id is None:
                if "region" in self.channels:
                    return "region"
            elif "sector" in self.channels and (
                sector_id == self._sector_id
                or getattr(e, "from_sector_id", None) == self._sector_id
            ):
                return "sector"
        if "admin" in self.channels:
            return "admin"
        return None

    def channel_of_change(self, envelope: Envelope) -> str | None:
        """Which subscribed channel (if any) delivers a relational change.

        Args:
            envelope: a committed change.

        Returns:
            ``player`` for a change to the connection's own account, ``forum:<board>`` for a
            subscribed board's change, ``guild`` for a change to a guild addressed to the
            connection's player, else ``admin`` for an admin subscribed to it, else None.
        """
        if envelope.subject == self.subject and "player" in self.channels:
            return "player"
        forum = _forum_channel_of(envelope)
        if forum is not None and forum in self.channels:
            return forum
        if (
            "guild" in self.channels
            and envelope.subject.startswith("guild.")
            and self.pid in envelope.payload.get("recipients", ())
        ):
            return "guild"
        if "admin" in self.channels:
            return "admin"
        return None


_json = msgspec.json.Encoder()


def envelope_text(envelope: Envelope, channel: str) -> str:
    """The push message of a relational change, as JSON text.

    Args:
        envelope: the change.
        channel: the channel delivering it.

    Returns:
        ``{"type": "change", "channel", "kind", "subject", "position", "at", "payload"}``.
    """
    message = {
        "type": "change",
        "channel": channel,
        "kind": envelope.kind,
        "subject": envelope.subject,
        "position": envelope.position,
        "at": envelope.at,
        "payload": envelope.payload,
    }
    return _json.encode(message).decode()


class FeedHub:
    """Routes each published event to the connections it concerns (see the module docstring).

    Args:
        bus: the bus to listen to.
    """

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._by_player: dict[int, set[Connection]] = {}
        self._by_sector: dict[tuple[int | None, int | None], set[Connection]] = {}
        self._by_region: dict[int | None, set[Connection]] = {}
        self._admins: set[Connection] = set()
        self._by_forum: dict[str, set[Connection]] = {}
        self._closed = False
        bus.add_listener(self, kinds=None)

    def register(self, conn: Connection, maxsize: int) -> Outbox:
        """Start feeding a connection.

        Args:
            conn: the connection.
            maxsize: its outbox size.

        Returns:
            The connection's outbox.
        """
        outbox = Outbox(self._bus, f"ws:{conn.pid}", maxsize)
        conn.outbox = outbox
        conn.hub = self
        if self._closed:
            outbox.close(BUS_CLOSED)
            return outbox
        self._by_player.setdefault(conn.pid, set()).add(conn)
        self._index_position(conn)
        self.channels_changed(conn)
        return outbox

    def channels_changed(self, conn: Connection) -> None:
        """Re-index a connection after it subscribed to or left a channel.

        Args:
            conn: the connection.
        """
        if conn.hub is not self:
            return
        if "admin" in conn.channels:
            self._admins.add(conn)
        else:
            self._admins.discard(conn)
        self._index_forums(conn)

    def _index_forums(self, conn: Connection) -> None:
        wanted = {c for c in conn.channels if c.startswith(FORUM_CHANNEL_PREFIX)}
        for channel in [c for c, conns in self._by_forum.items() if conn in conns]:
            if channel not in wanted:
                _discard(self._by_forum, channel, conn)
        for channel in wanted:
            self._by_forum.setdefault(channel, set()).add(conn)

    def unregister(self, conn: Connection) -> None:
        """Stop feeding a connection and close its outbox.

        Args:
            conn: the connection.
        """
        if conn.hub is not self:
            return
        self._unindex_position(conn)
        _discard(self._by_player, conn.pid, conn)
        self._admins.discard(conn)
        for channel in [c for c in conn.channels if c.startswith(FORUM_CHANNEL_PREFIX)]:
            _discard(self._by_forum, channel, conn)
        conn.hub = None
        if conn.outbox is not None:
            conn.outbox.close()

    def deliver(self, events: Sequence[BusMessage]) -> None:
        """Offer each message to the connections it concerns (called by the bus, never waits).

        Args:
            events: committed region events in stream order, or relational changes in outbox
                order (a batch holds one or the other).
        """
        if not events:
            return
        if events[0].kind != REGION_EVENT:
            self._deliver_changes(events)
            return
        by_player, by_sector, by_region = self._by_player, self._by_sector, self._by_region
        for recorded in cast(Sequence[ev.RecordedEvent], events):
            e = recorded.event
            region = recorded.region_id
            found: set[Connection] = set()
            player_id = getattr(e, "player_id", None)
            if player_id is not None and player_id in by_player:
                found |= by_player[player_id]
            if isinstance(e, ev.CombatResolved) and e.target_kind == "player":
                found |= by_player.get(e.target_id, _EMPTY)
            sector_id = getattr(e, "sector_id", None)
            if sector_id is None:
                found |= by_region.get(region, _EMPTY)
            else:
                found |= by_sector.get((region, sector_id), _EMPTY)
                from_sector = getattr(e, "from_sector_id", None)
                if from_sector is not None:
                    found |= by_sector.get((region, from_sector), _EMPTY)
            if self._admins:
                found |= self._admins
            for conn in found:
                channel = conn.channel_of(recorded)
                if channel is not None and conn.outbox is not None:
                    conn.outbox.offer(recorded, channel)

    def _deliver_changes(self, envelopes: Sequence[BusMessage]) -> None:
        for envelope in envelopes:
            if not isinstance(envelope, Envelope):
                continue
            found = set(self._admins)
            if envelope.subject.startswith("account."):
                account = envelope.payload.get("account_id")
                if isinstance(account, int):
                    found |= self._by_player.get(account, _EMPTY)
            elif envelope.subject.startswith("guild."):
                for member in envelope.payload.get("recipients", ()):
                    found |= self._by_player.get(member, _EMPTY)
            forum = _forum_channel_of(envelope)
            if forum is not None:
                found |= self._by_forum.get(forum, _EMPTY)
            for conn in found:
                channel = conn.channel_of_change(envelope)
                if channel is not None and conn.outbox is not None:
                    conn.outbox.offer(envelope, channel)

    def bus_closed(self) -> None:
        """Close every outbox (the server is shutting down)."""
        self._closed = True
        for conns in list(self._by_player.values()):
            for conn in list(conns):
                if conn.outbox is not None:
                    conn.outbox.close(BUS_CLOSED)

    def _index_position(self, conn: Connection) -> None:
        self._by_sector.setdefault((conn.region_id, conn.sector_id), set()).add(conn)
        self._by_region.setdefault(conn.region_id, set()).add(conn)

    def _unindex_position(self, conn: Connection) -> None:
        _discard(self._by_sector, (conn.region_id, conn.sector_id), conn)
        _discard(self._by_region, conn.region_id, conn)


_EMPTY: frozenset[Connection] = frozenset()


def _discard(index: dict[Any, set[Connection]], key: Any, conn: Connection) -> None:
    conns = index.get(key)
    if conns is not None:
        conns.discard(conn)
        if not conns:
            del index[key]
