"""``POST /api/v1/billing/webhook``: a payment provider's events, signed per Standard Webhooks
with the ``standardwebhooks`` library, change who is a Galactic Citizen (and only them).

Deliveries are signed here the way a provider signs them (``Webhook(secret).sign``); the app's
clock is the injected :class:`FakeClock`, so periods and grace periods pass in a test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from starlane.domain.membership import DAY_SECONDS, rfc3339
from starlane.store.schema import billing_events
from tests.api.conftest import FakeClock, assert_problem, register

SECRET = "whsec_" + base64.b64encode(b"starlane billing test secret 32b").decode()
ROOT_PASSWORD = "a very long secret"
URL = "/api/v1/billing/webhook"
LONG = 10**9  # access tokens outlive the periods the clock is moved through


class Billing:
    """An app with the webhook on, an admin and a player (``pid``)."""

    def __init__(self, app: FastAPI, c: httpx.AsyncClient, clock: FakeClock) -> None:
        self.app, self.c, self.clock = app, c, clock
        self.pid = 0
        self.player: dict[str, str] = {}
        self.root: dict[str, str] = {}
        self._n = 0

    def event(self, type_: str, days: float, account_id: int | None = None) -> dict[str, Any]:
        """An event whose period ends ``days`` from the clock's now."""
        end = self.clock.now + days * DAY_SECONDS
        return {
            "type": type_,
            "data": {
                "account_id": self.pid if account_id is None else account_id,
                "current_period_end": rfc3339(end),
            },
        }

    async def post(
        self,
        body: dict[str, Any] | bytes,
        *,
        msg_id: str | None = None,
        ts: float | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:
        """Sign ``body`` as a provider would and deliver it."""
        if msg_id is None:
            self._n += 1
            msg_id = f"msg_{self._n}"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = int(self.clock.now if ts is None else ts)
        signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, UTC), data)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature,
            "content-type": "application/json",
        }
        return await self.c.post(URL, content=data, headers=headers)

    async def me(self) -> dict[str, Any]:
        r = await self.c.get("/api/v1/me", headers=self.player)
        assert r.status_code == 200, r.text
        return r.json()

    async def tier(self) -> str:
        """The tier ``GET /me``, ``GET /auth/me`` and the admin view agree on."""
        me = (await self.me())["membership"]
        auth = (await self.c.get("/api/v1/auth/me", headers=self.player)).json()["membership"]
        admin = await self.c.get(f"/api/v1/admin/accounts/{self.pid}", headers=self.root)
        assert me == auth == admin.json()["account"]["membership"], (me, auth, admin.json())
        return str(me)

    async def entries(self) -> list[dict[str, Any]]:
        r = await self.c.get(
            "/api/v1/admin/audit",
            params={"action": "membership.change", "target_id": str(self.pid)},
            headers=self.root,
        )
        assert r.status_code == 200, r.text
        return list(reversed(r.json()["items"]))  # oldest first

    async def deliveries(self) -> list[Any]:
        async with self.app.state.services.db.connect() as conn:
            return list((await conn.execute(select(billing_events))).all())


@pytest.fixture
async def billing(app_factory: Callable[..., FastAPI], clock: FakeClock) -> AsyncIterator[Billing]:
    app = app_factory(
        billing_webhook_secret=SECRET,
        admin_username="root",
        admin_password=ROOT_PASSWORD,
        access_token_seconds=LONG,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            b = Billing(app, c, clock)
            r = await c.post(
                "/api/v1/auth/login", json={"username": "root", "password": ROOT_PASSWORD}
            )
            b.root = {"Authorization": f"Bearer {r.json()['access_token']}"}
            player = await register(c, "alice")
            b.pid = player["account"]["id"]
            b.player = player["headers"]
            yield b


async def test_an_activation_makes_a_galactic_citizen_until_the_period_end(billing: Billing):
    assert await billing.tier() == "free"
    event = billing.event("subscription.activated", 30)
    r = await billing.post(event, msg_id="msg_act")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["changed"], body["account_id"]) == ("applied", True, billing.pid)
    assert body["membership"]["tier"] == "galactic_citizen"
    me = await billing.me()
    assert me["membership"] == "galactic_citizen"
    assert me["membership_expires_at"] == event["data"]["current_period_end"]
    assert me["membership_grace_until"] is None
    assert await billing.tier() == "galactic_citizen"
    (entry,) = await billing.entries()
    assert (entry["actor_id"], entry["actor_role"], entry["request_id"]) == (
        None,
        "billing",
        "msg_act",
    )
    assert entry["before"]["effective"] == "free" and entry["before"]["source"] == "manual"
    assert entry["after"]["tier"] == "galactic_citizen" and entry["after"]["source"] == "webhook"
    assert entry["after"]["expires_at"] == event["data"]["current_period_end"]
    (row,) = await billing.deliveries()
    assert (row.webhook_id, row.type, row.account_id) == (
        "msg_act",
        "subscription.activated",
        billing.pid,
    )
    assert row.received_at == billing.clock.now
    billing.clock.advance(30 * DAY_SECONDS + 1)  # the period ends, nothing renews it
    assert await billing.tier() == "free"


async def test_a_bad_signature_is_refused_and_changes_nothing(billing: Billing):
    event = billing.event("subscription.activated", 30)
    other = "whsec_" + base64.b64encode(b"somebody else's secret, 32 bytes").decode()
    assert_problem(await billing.post(event, secret=other), 401, "invalid_signature")
    data = json.dumps(event).encode()
    good = await billing.post(event, msg_id="msg_x")  # signs data as sent...
    assert good.status_code == 200
    stamp = str(int(billing.clock.now))
    sig = Webhook(SECRET).sign("msg_y", datetime.fromtimestamp(int(stamp), UTC), data)
    tampered = data.replace(b"subscription.activated", b"subscription.renewed")
    r = await billing.c.post(
        URL,
        content=tampered,  # ...and a changed body no longer matches its signature
        headers={"webhook-id": "msg_y", "webhook-timestamp": stamp, "webhook-signature": sig},
    )
    assert_problem(r, 401, "invalid_signature")
    for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        headers = {"webhook-id": "msg_y", "webhook-timestamp": stamp, "webhook-signature": sig}
        del headers[missing]
        assert_problem(
            await billing.c.post(URL, content=data, headers=headers), 401, "invalid_signature"
        )
    bad_stamp = {"webhook-id": "msg_y", "webhook-timestamp": "12.5", "webhook-signature": sig}
    assert_problem(
        await billing.c.post(URL, content=data, headers=bad_stamp), 401, "invalid_signature"
    )
    assert len(await billing.deliveries()) == 1 and len(await billing.entries()) == 1


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86_400])
async def test_a_timestamp_more_than_five_minutes_off_is_refused(billing: Billing, offset: int):
    event = billing.event("subscription.activated", 30)
    r = await billing.post(event, ts=billing.clock.now + offset)
    assert_problem(r, 401, "timestamp_out_of_range")
    assert await billing.deliveries() == [] and await billing.entries() == []
    assert await billing.tier() == "free"
    ok = await billing.post(event, ts=billing.clock.now + (290 if offset > 0 else -290))
    assert ok.status_code == 200 and ok.json()["status"] == "applied"


async def test_a_replayed_delivery_is_applied_once_and_both_answer_200(billing: Billing):
    first = billing.event("subscription.activated", 30)
    r1 = await billing.post(first, msg_id="msg_same")
    billing.clock.advance(60)
    r2 = await billing.post(first, msg_id="msg_same")  # the provider retries (same id)
    assert (r1.status_code, r2.status_code) == (200, 200)
    assert (r1.json()["status"], r2.json()["status"]) == ("applied", "duplicate")
    assert r2.json()["changed"] is False and r2.json()["audit_index"] is None
    assert len(await billing.deliveries()) == 1 and len(await billing.entries()) == 1
    # even a different body under an id applied before changes nothing
    r3 = await billing.post(billing.event("subscription.cancelled", 1), msg_id="msg_same")
    assert r3.json()["status"] == "duplicate"
    assert (await billing.me())["membership_expires_at"] == first["data"]["current_period_end"]


async def test_a_cancelled_subscription_lapses_when_its_period_ends(billing: Billing):
    await billing.post(billing.event("subscription.activated", 30))
    billing.clock.advance(10 * DAY_SECONDS)
    cancel = billing.event("subscription.cancelled", 20)
    r = await billing.post(cancel)
    assert r.json()["status"] == "applied"
    assert await billing.tier() == "galactic_citizen"  # paid until the period's end
    me = await billing.me()
    assert me["membership_expires_at"] == cancel["data"]["current_period_end"]
    billing.clock.advance(20 * DAY_SECONDS - 1)
    assert await billing.tier() == "galactic_citizen"
    billing.clock.advance(2)
    assert await billing.tier() == "free"
    admin = await billing.c.get(
        "/api/v1/admin/accounts", params={"membership": "galactic_citizen"}, headers=billing.root
    )
    assert billing.pid not in [a["id"] for a in admin.json()["items"]]
    # a cancellation never makes a free account a citizen
    r = await billing.post(billing.event("subscription.cancelled", 20))
    assert r.json()["status"] == "applied" and r.json()["changed"] is False
    assert await billing.tier() == "free"


async def test_a_failed_payment_lapses_after_the_grace_period(billing: Billing):
    await billing.post(billing.event("subscription.activated", 1))
    failed_at = billing.clock.now
    r = await billing.post(billing.event("payment.failed", 1))
    grace_end = rfc3339(failed_at + 7 * DAY_SECONDS)
    assert r.json()["membership"]["grace_until"] == grace_end
    me = await billing.me()
    assert (me["membership"], me["membership_grace_until"]) == ("galactic_citizen", grace_end)
    billing.clock.advance(3 * DAY_SECONDS)  # past the period's end, inside the grace period
    assert await billing.tier() == "galactic_citizen"
    await billing.post(billing.event("payment.failed", 1))  # a retry fails again: no extension
    assert (await billing.me())["membership_grace_until"] == grace_end
    billing.clock.advance(4 * DAY_SECONDS)
    assert await billing.tier() == "free"
    (_activation, entry_fail) = await billing.entries()  # the second failure changed nothing
    assert entry_fail["before"]["grace_until"] is None
    assert entry_fail["after"]["grace_until"] == grace_end


async def test_a_renewal_during_grace_restores_the_membership(billing: Billing):
    await billing.post(billing.event("subscription.activated", 1))
    await billing.post(billing.event("payment.failed", 1))
    billing.clock.advance(5 * DAY_SECONDS)
    renewal = billing.event("subscription.renewed", 30)
    r = await billing.post(renewal)
    assert r.json()["membership"]["grace_until"] is None
    billing.clock.advance(10 * DAY_SECONDS)  # the old grace period would have ended
    me = await billing.me()
    assert me["membership"] == "galactic_citizen" and me["membership_grace_until"] is None
    assert me["membership_expires_at"] == renewal["data"]["current_period_end"]
    assert len(await billing.entries()) == 3


async def test_the_grace_period_is_configurable(
    app_factory: Callable[..., FastAPI], clock: FakeClock
) -> None:
    app = app_factory(
        billing_webhook_secret=SECRET, billing_grace_days=2, access_token_seconds=LONG
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            b = Billing(app, c, clock)
            player = await register(c, "bob")
            b.pid, b.player = player["account"]["id"], player["headers"]
            await b.post(b.event("subscription.activated", 1))
            r = await b.post(b.event("payment.failed", 1))
            assert r.json()["membership"]["grace_until"] == rfc3339(clock.now + 2 * DAY_SECONDS)
            clock.advance(2 * DAY_SECONDS)
            assert (await b.me())["membership"] == "free"


async def test_without_a_secret_the_webhook_answers_503(client: httpx.AsyncClient) -> None:
    data = b'{"type": "subscription.activated", "data": {}}'
    r = await client.post(URL, content=data, headers={"webhook-id": "m", "webhook-signature": "x"})
    assert_problem(r, 503, "billing_disabled")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"data": {}}',
        b'{"type": 7, "data": {}}',
        b'{"type": "subscription.activated"}',
        b'{"type": "subscription.activated", "data": {"account_id": 2}}',
        b'{"type": "payment.failed", "data": {"account_id": "2", '
        b'"current_period_end": "2030-01-01T00:00:00Z"}}',
        b'{"type": "payment.failed", "data": {"account_id": true, '
        b'"current_period_end": "2030-01-01T00:00:00Z"}}',
        b'{"type": "payment.failed", "data": {"account_id": 2, "current_period_end": 1893456000}}',
        b'{"type": "payment.failed", "data": {"account_id": 2, '
        b'"current_period_end": "2030-01-01T00:00:00"}}',
        b'{"type": "payment.failed", "data": {"account_id": 0, '
        b'"current_period_end": "2030-01-01T00:00:00Z"}}',
        b'{"type": "payment.failed", "data": {"account_id": 2, '
        b'"current_period_end": "2030-01-01T00:00:00Z", "plan": "gold"}}',
    ],
)
async def test_a_bad_payload_is_refused_with_422(billing: Billing, body: bytes):
    r = await billing.post(body)
    assert_problem(r, 422, "invalid_billing_event")
    assert await billing.deliveries() == []


async def test_unknown_event_types_and_accounts_are_acknowledged_and_ignored(billing: Billing):
    r = await billing.post({"type": "invoice.created", "data": {"anything": 1}})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["reason"]) == ("ignored", "unknown_event_type")
    r = await billing.post(billing.event("subscription.activated", 30, account_id=999_999))
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["reason"]) == ("ignored", "unknown_account")
    assert await billing.deliveries() == [] and await billing.entries() == []


async def test_an_operator_grant_after_the_webhook_is_manual_and_clears_the_grace(
    billing: Billing,
):
    await billing.post(billing.event("subscription.activated", 1))
    await billing.post(billing.event("payment.failed", 1))
    r = await billing.c.post(
        f"/api/v1/admin/accounts/{billing.pid}/membership",
        json={"tier": "galactic_citizen", "expires_at": None, "justification": "lifetime gift"},
        headers=billing.root,
    )
    assert r.status_code == 200, r.text
    assert r.json()["before"]["source"] == "webhook" and r.json()["before"]["grace_until"]
    assert r.json()["after"]["source"] == "manual" and r.json()["after"]["grace_until"] is None
    detail = (
        await billing.c.get(f"/api/v1/admin/accounts/{billing.pid}", headers=billing.root)
    ).json()
    assert detail["account"]["membership_source"] == "manual"
    assert detail["account"]["membership_grace_until"] is None
    billing.clock.advance(365 * DAY_SECONDS)
    assert await billing.tier() == "galactic_citizen"


@pytest.mark.parametrize("secret", ["whsec_c2hvcnQ=", "not-a-whsec-secret", "whsec_@@@@"])
async def test_a_malformed_secret_stops_the_server_at_start(
    app_factory: Callable[..., FastAPI], secret: str
) -> None:
    app = app_factory(billing_webhook_secret=secret)
    with pytest.raises(ValueError, match="STARLANE_BILLING_WEBHOOK_SECRET"):
        async with app.router.lifespan_context(app):
            pass
