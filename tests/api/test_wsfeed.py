"""The WebSocket feed router (FeedHub): region events and relational changes, the bus listener
hook and the verified-token cache."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlane.api.auth import Principal
from starlane.api.wsfeed import Connection, FeedHub, envelope_text
from starlane.bus import BUS_CLOSED, SLOW_CONSUMER, Bus
from starlane.domain import events as ev
from starlane.domain.envelope import Envelope
from tests.api.conftest import PASSWORD, FakeClock, assert_problem, register

AT = 1_700_000_000.0


class _Service:
    def __init__(self) -> None:
        self.players: dict[int, Any] = {}

    def player(self, pid: int) -> Any:
        return self.players.get(pid)


def _conn(state: Any, pid: int, *, admin: bool = False) -> Connection:
    roles = ("player", "admin") if admin else ("player",)
    principal = Principal(pid, f"p{pid}", roles, f"jti{pid}", AT + 900)
    return Connection(None, principal, state)  # type: ignore[arg-type]


def _moved(pid: int, frm: int, to: int, region: int = 1) -> ev.PlayerMoved:
    return ev.PlayerMoved(
        at=AT,
        player_id=pid,
        region_id=region,
        from_sector_id=frm,
        sector_id=to,
        turns_spent=1,
        turns_left=99,
        turns_at=AT,
        first_visit=False,
    )


def _rec(event: ev.Event, position: int, region: int = 1) -> ev.RecordedEvent:
    return ev.RecordedEvent(position, region, position, getattr(event, "player_id", None), event)


def _drain(conn: Connection) -> list[tuple[int, str]]:
    assert conn.outbox is not None
    items = list(conn.outbox._items)
    conn.outbox._items.clear()
    return [(r.position, channel) for r, channel in items]


def _setup() -> tuple[Bus, FeedHub, Any, _Service]:
    bus = Bus()
    hub = FeedHub(bus)
    service = _Service()
    state = SimpleNamespace(galaxy=service)
    return bus, hub, state, service


async def test_events_reach_only_the_connections_they_concern() -> None:
    bus, hub, state, service = _setup()
    for pid, sector in ((1, 5), (2, 5), (3, 6), (4, 9)):
        service.players[pid] = SimpleNamespace(region_id=1, sector_id=sector)
    conns = {pid: _conn(state, pid) for pid in (1, 2, 3, 4)}
    for conn in conns.values():
        hub.register(conn, maxsize=100)
    bus.publish([_rec(_moved(1, 5, 6), 1)])  # leaves 5 (player 2) for 6 (player 3)
    assert _drain(conns[1]) == [(1, "player")]
    assert _drain(conns[2]) == [(1, "sector")]
    assert _drain(conns[3]) == [(1, "sector")]
    assert _drain(conns[4]) == []
    # player 1 now follows sector 6: an arrival there reaches them, one in 5 does not
    bus.publish([_rec(_moved(3, 6, 7), 2), _rec(_moved(2, 5, 4), 3)])
    assert _drain(conns[1]) == [(2, "sector")]
    assert _drain(conns[2]) == [(3, "player")]
    assert _drain(conns[3]) == [(2, "player")]
    assert _drain(conns[4]) == []  # player 4 sits in sector 9
    # another region's event in the same sector number never arrives
    bus.publish([_rec(_moved(9, 6, 7, region=2), 4, region=2)])
    assert all(_drain(c) == [] for c in conns.values())


async def test_unsubscribed_channels_and_admin_feed() -> None:
    bus, hub, state, service = _setup()
    service.players[1] = SimpleNamespace(region_id=1, sector_id=5)
    watcher = _conn(state, 1)
    admin = _conn(state, 50, admin=True)
    hub.register(watcher, maxsize=100)
    hub.register(admin, maxsize=100)
    watcher.channels.discard("sector")
    hub.channels_changed(watcher)
    bus.publish([_rec(_moved(2, 5, 6), 1)])
    assert _drain(watcher) == [] and _drain(admin) == []
    admin.channels.add("admin")
    hub.channels_changed(admin)
    bus.publish([_rec(_moved(2, 5, 6, region=2), 2, region=2)])
    assert _drain(admin) == [(2, "admin")]
    hub.unregister(admin)
    assert admin.outbox is not None and admin.outbox.close_reason is not None
    bus.publish([_rec(_moved(2, 6, 5, region=2), 3, region=2)])
    assert _drain(admin) == []


async def test_a_full_outbox_is_closed_as_slow_and_bus_close_closes_the_rest() -> None:
    bus, hub, state, service = _setup()
    service.players[1] = SimpleNamespace(region_id=1, sector_id=5)
    service.players[2] = SimpleNamespace(region_id=1, sector_id=8)
    slow, other = _conn(state, 1), _conn(state, 2)
    hub.register(slow, maxsize=2)
    hub.register(other, maxsize=100)
    bus.publish([_rec(_moved(3, 4, 5), i) for i in range(1, 4)])
    assert slow.outbox is not None and slow.outbox.close_reason == SLOW_CONSUMER
    assert slow.outbox.take() == []  # buffered events dropped
    assert bus.dropped == 1
    bus.close()
    assert other.outbox is not None and other.outbox.close_reason == BUS_CLOSED
    late = _conn(state, 2)
    assert hub.register(late, maxsize=10).close_reason == BUS_CLOSED


async def test_a_failing_listener_does_not_reach_the_publisher() -> None:
    bus = Bus()
    seen: list[int] = []

    class Broken:
        def deliver(self, events: Any) -> None:
            raise RuntimeError("bug")

        def bus_closed(self) -> None:
            pass

    class Good:
        def deliver(self, events: Any) -> None:
            seen.extend(r.position for r in events)

        def bus_closed(self) -> None:
            seen.append(-1)

    broken, good = Broken(), Good()
    bus.add_listener(broken)
    bus.add_listener(good)
    bus.publish([_rec(_moved(1, 1, 2), 1)])
    bus.remove_listener(broken)
    bus.close()
    assert seen == [1, -1]


async def test_a_cached_token_still_expires(client: httpx.AsyncClient, clock: FakeClock) -> None:
    body = await register(client, "alice")
    r = await client.get("/api/v1/me", headers=body["headers"])
    assert r.status_code == 200
    clock.advance(901)
    r = await client.get("/api/v1/me", headers=body["headers"])
    assert_problem(r, 401, "token_expired")


def _change(pid: int, kind: str = "role.granted", position: int = 1) -> Envelope:
    return Envelope(kind, f"account.{pid}", {"account_id": pid, "role": "governor"}, position, AT)


async def test_relational_changes_reach_admins_and_the_account_they_are_about() -> None:
    bus, hub, state, service = _setup()
    for pid in (1, 2, 3):
        service.players[pid] = SimpleNamespace(region_id=1, sector_id=5)
    mine, other, admin = _conn(state, 1), _conn(state, 2), _conn(state, 3, admin=True)
    idle_admin = _conn(state, 4, admin=True)  # an admin not subscribed to the admin channel
    admin.channels.add("admin")
    for conn in (mine, other, admin, idle_admin):
        hub.register(conn, maxsize=100)
    bus.publish_envelopes([_change(1, position=7), _change(9, "account.updated", position=8)])
    assert _drain(mine) == [(7, "player")]
    assert _drain(other) == []
    assert _drain(admin) == [(7, "admin"), (8, "admin")]
    assert _drain(idle_admin) == []
    mine.channels.discard("player")
    bus.publish_envelopes([_change(1, position=9)])
    assert _drain(mine) == []
    assert _drain(admin) == [(9, "admin")]
    # region events still flow as before, through the same listener
    bus.publish([_rec(_moved(2, 5, 6), 10)])
    assert _drain(mine) == [(10, "sector")] and _drain(other) == [(10, "player")]
    assert _drain(admin) == [(10, "sector")]


def test_envelope_text_is_the_change_message() -> None:
    text = envelope_text(_change(4, position=12), "admin")
    assert json.loads(text) == {
        "type": "change",
        "channel": "admin",
        "kind": "role.granted",
        "subject": "account.4",
        "position": 12,
        "at": AT,
        "payload": {"account_id": 4, "role": "governor"},
    }


def test_relational_changes_reach_an_admin_websocket_end_to_end(
    app_factory: Callable[..., FastAPI],
) -> None:
    """A change committed by a unit of work in the server (registration) and one committed by
    another process (``starlane admin create-admin`` granting a role) both reach the admin
    channel; the role grant also reaches the player's own socket."""
    from starlane.cli.admin import _create_admin

    app = app_factory(
        admin_username="root", admin_password="a very long secret", ws_heartbeat_seconds=0.2
    )
    with TestClient(app) as tc:
        r = tc.post(
            "/api/v1/auth/login", json={"username": "root", "password": "a very long secret"}
        )
        admin_token = r.json()["access_token"]
        with tc.websocket_connect(f"/api/v1/ws?token={admin_token}") as admin_ws:
            _recv(admin_ws)
            admin_ws.send_json({"id": "s", "op": "subscribe", "args": {"channel": "admin"}})
            _until(admin_ws, lambda m: m.get("id") == "s")
            r = tc.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
            bob = r.json()["account"]["id"]
            bob_token = r.json()["tokens"]["access_token"]
            created = _until(admin_ws, lambda m: m["type"] == "change")
            assert (created["channel"], created["kind"], created["subject"]) == (
                "admin",
                "account.created",
                f"account.{bob}",
            )
            assert created["payload"]["username"] == "bob"
            assert "password" not in json.dumps(created)
            with tc.websocket_connect(f"/api/v1/ws?token={bob_token}") as bob_ws:
                _recv(bob_ws)
                url = app.state.services.settings.resolved_database_url()
                settings = app.state.services.settings
                assert not asyncio.run(_create_admin(url, "bob", "another long secret", settings))
                granted = _until(
                    admin_ws, lambda m: m["type"] == "change" and m["kind"] == "role.granted"
                )
                assert granted["payload"] == {"account_id": bob, "role": "admin"}
                own = _until(bob_ws, lambda m: m["type"] == "change")
                assert (own["channel"], own["kind"], own["position"]) == (
                    "player",
                    "role.granted",
                    granted["position"],
                )


def _recv(ws: Any) -> dict[str, Any]:
    msg: dict[str, Any] = ws.receive_json()
    pending: list[dict[str, Any]] = ws.__dict__.setdefault("_pending", [])
    if msg.get("type") == "batch":
        pending.extend(msg["messages"])
        return pending.pop(0)
    return msg


def _until(ws: Any, pred: Callable[[dict[str, Any]], bool], limit: int = 100) -> dict[str, Any]:
    pending: list[dict[str, Any]] = ws.__dict__.setdefault("_pending", [])
    for _ in range(limit):
        msg = pending.pop(0) if pending else _recv(ws)
        if pred(msg):
            return msg
    raise AssertionError("message not received")
