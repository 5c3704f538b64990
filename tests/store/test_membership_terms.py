"""Membership terms and billing deliveries on both backends: the webhook provider applies a
delivery once even when two copies race, every change commits with its audit entry and its
``billing_events`` row, and the counts the operators' views use are computed from the terms
and the time (a lapsed citizen is not counted)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from starlane.billing.book import MembershipBook
from starlane.billing.webhook import WebhookBilling
from starlane.domain.data import Membership
from starlane.domain.envelope import Envelope
from starlane.domain.membership import DAY_SECONDS, MembershipTerms, TermsSource, rfc3339
from starlane.store.accounts_sql import SqlAccountStore
from starlane.store.membership import (
    all_terms,
    billing_events_since,
    citizens_count,
    membership_status,
)
from starlane.store.schema import audit_entries, billing_events
from starlane.store.uow import UnitOfWorkFactory
from tests.store.conftest import FakeClock

SECRET = "whsec_" + base64.b64encode(b"starlane billing store secret 32").decode()


def _delivery(clock: FakeClock, msg_id: str, type_: str, account_id: int, days: float):
    body = json.dumps(
        {
            "type": type_,
            "data": {
                "account_id": account_id,
                "current_period_end": rfc3339(clock.now + days * DAY_SECONDS),
            },
        }
    ).encode()
    stamp = int(clock.now)
    sig = Webhook(SECRET).sign(msg_id, datetime.fromtimestamp(stamp, UTC), body)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": sig}
    return headers, body


async def test_racing_copies_of_a_delivery_apply_once_and_lapse_is_computed(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    committed: list[Envelope] = []
    uow = UnitOfWorkFactory(engine, clock=clock, on_commit=committed.extend)
    accounts = SqlAccountStore(engine, uow)
    alice = await accounts.create("alice", "h", now=clock.now)
    bob = await accounts.create("bob", "h", now=clock.now)
    billing = WebhookBilling(SECRET, uow, clock, grace_days=7)

    headers, body = _delivery(clock, "msg_1", "subscription.activated", alice.id, 30)
    receipts = await asyncio.gather(*(billing.receive(headers, body) for _ in range(4)))
    assert sorted(r.status for r in receipts) == ["applied", "duplicate", "duplicate", "duplicate"]
    headers, body = _delivery(clock, "msg_2", "subscription.activated", bob.id, 2)
    assert (await billing.receive(headers, body)).status == "applied"

    async with engine.connect() as conn:
        rows = (await conn.execute(select(billing_events))).all()
        entries = (await conn.execute(select(audit_entries))).all()
    assert sorted((r.webhook_id, r.type, r.account_id) for r in rows) == [
        ("msg_1", "subscription.activated", alice.id),
        ("msg_2", "subscription.activated", bob.id),
    ]
    assert len(entries) == 2 and {e.actor_role for e in entries} == {"billing"}
    assert await billing_events_since(engine, clock.now - 30 * DAY_SECONDS) == 2
    assert await billing_events_since(engine, clock.now + 1) == 0
    assert await citizens_count(engine, clock.now) == 2
    assert await citizens_count(engine, clock.now + 3 * DAY_SECONDS) == 1  # bob lapsed
    status = await membership_status(engine, bob.id, clock.now + 3 * DAY_SECONDS)
    assert status is not None and status.tier == "free" and status.stored is Membership.CITIZEN

    terms, position = await all_terms(engine)
    assert position == max(m.position for m in committed)
    assert terms[alice.id] == MembershipTerms(
        Membership.CITIZEN, terms[alice.id].expires_at, None, TermsSource.WEBHOOK
    )
    book = MembershipBook()
    book.deliver(committed)  # the bus messages tell the book what the database holds
    assert book.terms(alice.id) == terms[alice.id] and book.terms(bob.id) == terms[bob.id]
    await book.load(engine)
    assert book.terms(alice.id) == terms[alice.id]
    assert book.terms(999_999) == MembershipTerms()
    # an old message published again (at least once delivery) rolls nothing back
    older = [m for m in committed if m.kind == "membership.changed"]
    fresh = MembershipBook()
    fresh.deliver(older)
    fresh.deliver(older[:1])
    assert fresh.terms(alice.id) == terms[alice.id] and fresh.terms(bob.id) == terms[bob.id]


async def test_an_unknown_account_changes_nothing(engine: AsyncEngine, clock: FakeClock) -> None:
    uow = UnitOfWorkFactory(engine, clock=clock)
    billing = WebhookBilling(SECRET, uow, clock, grace_days=7)
    headers, body = _delivery(clock, "msg_9", "subscription.renewed", 4242, 30)
    receipt = await billing.receive(headers, body)
    assert (receipt.status, receipt.reason) == ("ignored", "unknown_account")
    assert await billing_events_since(engine, 0) == 0
