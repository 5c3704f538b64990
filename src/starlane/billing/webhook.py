"""The ``webhook`` billing provider: a payment provider's events, signed per Standard Webhooks.

A delivery is a ``POST /api/v1/billing/webhook`` with the headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` and the body
``{"type": ..., "data": {"account_id": int, "current_period_end": RFC 3339}}``.
:meth:`WebhookBilling.receive` takes it through these steps, the first refusal ending it with
nothing changed:

1. no secret configured (``STARLANE_BILLING_WEBHOOK_SECRET`` empty): 503 ``billing_disabled``;
2. a missing header or no signature matching the body (the ``standardwebhooks`` library's
   ``v1`` HMAC-SHA256 over ``id.timestamp.body``): 401 ``invalid_signature``;
3. a correctly signed delivery whose timestamp is more than 5 minutes before or after the
   server's clock: 401 ``timestamp_out_of_range`` (a replayed capture, or a clock to fix);
4. a body that is not the event shape: 422 ``invalid_billing_event`` (a ``type`` that is a
   string but not one of the four events is *accepted and ignored*: 200 ``ignored``,
   ``unknown_event_type``, so a provider sending more event types than Starlane uses does not
   retry them for days);
5. an ``account_id`` no account has: 200 ``ignored``, ``unknown_account`` (logged as a
   warning: a retry would never succeed, the operator fixes the mapping instead);
6. a ``webhook-id`` applied before: 200 ``duplicate``, nothing changes;
7. otherwise 200 ``applied``: in one unit of work the account's terms change
   (:func:`~starlane.domain.membership.apply_billing_event`), the audit entry is appended
   (actor role ``billing``, the delivery's id as request id, before and after) and the
   delivery is recorded in ``billing_events`` (type, account, period end, time, body).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook

from starlane.billing.provider import change_membership
from starlane.domain.membership import (
    BillingEventType,
    MembershipTerms,
    TermsSource,
    apply_billing_event,
    rfc3339,
)
from starlane.store.membership import billing_event_seen, record_billing_event

if TYPE_CHECKING:
    from starlane.store.uow import UnitOfWork

__all__ = [
    "TOLERANCE_SECONDS",
    "BillingData",
    "BillingError",
    "BillingEvent",
    "Receipt",
    "WebhookBilling",
]

TOLERANCE_SECONDS = 300
"""How far (either way) a delivery's ``webhook-timestamp`` may be from the server's clock."""

_MAX_ID = 256
_log = structlog.get_logger("starlane.billing")


class BillingError(Exception):
    """A delivery refused, nothing changed.

    Attributes:
        status: the HTTP status (401, 422, 503).
        code: the stable code.
        detail: what is wrong.
        context: extra facts (the validation errors).
    """

    def __init__(self, status: int, code: str, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.context = context


class BillingData(BaseModel):
    """An event's ``data``.

    Attributes:
        account_id: the Starlane account the subscription is for.
        current_period_end: when the paid period ends (RFC 3339 with an offset).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    account_id: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
    current_period_end: AwareDatetime


class BillingEvent(BaseModel):
    """A billing provider's event (the body of ``POST /api/v1/billing/webhook``).

    Attributes:
        type: ``subscription.activated``, ``subscription.renewed``,
            ``subscription.cancelled`` or ``payment.failed``.
        data: the account and the period's end.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    type: Literal[
        "subscription.activated",
        "subscription.renewed",
        "subscription.cancelled",
        "payment.failed",
    ]
    data: BillingData


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of a delivery (every one answered 200).

    Attributes:
        status: ``applied``, ``duplicate`` (its ``webhook-id`` was applied before) or
            ``ignored``.
        webhook_id: the delivery's id.
        type: the event's type.
        account_id: the account (None when the type is unknown).
        reason: why it was ignored (``unknown_event_type``, ``unknown_account``), else None.
        changed: whether the account's terms changed.
        audit_index: the audit entry of the change (None without a change).
        terms: the account's terms after (None when ignored or a duplicate).
        now: unix seconds it was handled.
    """

    status: Literal["applied", "duplicate", "ignored"]
    webhook_id: str
    type: str
    account_id: int | None = None
    reason: str | None = None
    changed: bool = False
    audit_index: int | None = None
    terms: MembershipTerms | None = None
    now: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """The answer's body."""
        membership = None
        if self.terms is not None:
            membership = {
                "tier": self.terms.api_tier(self.now),
                "expires_at": rfc3339(self.terms.expires_at),
                "grace_until": rfc3339(self.terms.grace_until),
            }
        return {
            "status": self.status,
            "webhook_id": self.webhook_id,
            "type": self.type,
            "account_id": self.account_id,
            "reason": self.reason,
            "changed": self.changed,
            "audit_index": self.audit_index,
            "membership": membership,
        }


class WebhookBilling:
    """Verifies and applies billing deliveries (see the module docstring).

    Args:
        secret: the Standard Webhooks secret (``whsec_`` + the base64 of 24 to 64 bytes);
            empty: disabled.
        uow: makes units of work.
        clock: unix seconds now (the timestamp window and the grace period use it).
        grace_days: days of grace after ``payment.failed``.

    Raises:
        ValueError: a secret that is not ``whsec_`` + the base64 of 24 to 64 bytes (the
            server refuses to start).
    """

    source = TermsSource.WEBHOOK
    actor_role = "billing"

    def __init__(
        self,
        secret: str,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], float],
        grace_days: float,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.grace_days = grace_days
        self._webhook: Webhook | None = None
        if secret:
            self._webhook = Webhook(_secret_bytes(secret))

    @property
    def enabled(self) -> bool:
        """Whether a secret is configured."""
        return self._webhook is not None

    def terms_after(
        self, before: MembershipTerms, change: BillingEvent, now: float
    ) -> MembershipTerms:
        """The terms after an event (:func:`~starlane.domain.membership.apply_billing_event`)."""
        return apply_billing_event(
            before,
            BillingEventType(change.type),
            change.data.current_period_end.timestamp(),
            now,
            self.grace_days,
        )

    # --- the steps -------------------------------------------------------------------------
    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> str:
        """Check a delivery's signature and timestamp.

        Args:
            headers: the request's headers (any case).
            body: the body exactly as received.
            now: unix seconds.

        Returns:
            The delivery's ``webhook-id``.

        Raises:
            BillingError: 503 ``billing_disabled``, 401 ``invalid_signature`` or
                ``timestamp_out_of_range``.
        """
        if self._webhook is None:
            raise BillingError(503, "billing_disabled", "the billing webhook is not configured")
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("webhook-id", "")
        stamp = lower.get("webhook-timestamp", "")
        signatures = lower.get("webhook-signature", "")
        if not (msg_id and signatures) or len(msg_id) > _MAX_ID:
            raise BillingError(401, "invalid_signature", "missing or malformed webhook headers")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            raise BillingError(401, "invalid_signature", "malformed webhook-timestamp")
        ts = int(stamp)
        expected = self._webhook.sign(msg_id, datetime.fromtimestamp(ts, UTC), body).encode()
        if not any(
            hmac.compare_digest(expected, candidate.encode())
            for candidate in signatures.split(" ")
            if candidate.isascii()
        ):
            raise BillingError(401, "invalid_signature", "no signature matches the body")
        if abs(now - ts) > TOLERANCE_SECONDS:
            raise BillingError(
                401,
                "timestamp_out_of_range",
                f"webhook-timestamp is {now - ts:.0f} s from the server's clock "
                f"(at most {TOLERANCE_SECONDS} s either way)",
            )
        return msg_id

    @staticmethod
    def parse(body: bytes) -> BillingEvent | str:
        """Read an event.

        Args:
            body: the body.

        Returns:
            The event, or the ``type`` string when it is not one of the four events.

        Raises:
            BillingError: 422 ``invalid_billing_event``.
        """
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise BillingError(422, "invalid_billing_event", "the body is not JSON") from exc
        kind = raw.get("type") if isinstance(raw, dict) else None
        if not isinstance(kind, str) or not kind:
            raise BillingError(
                422, "invalid_billing_event", "the body must be an object with a string 'type'"
            )
        if kind not in set(BillingEventType):
            return kind
        try:
            return BillingEvent.model_validate_json(body, strict=True)
        except ValidationError as exc:
            errors = [
                {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]}
                for e in exc.errors(include_url=False)
            ]
            raise BillingError(
                422, "invalid_billing_event", f"not a valid {kind} event", errors=errors
            ) from exc

    async def receive(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        client_address: str | None = None,
        user_agent: str | None = None,
    ) -> Receipt:
        """Verify, read and apply one delivery (the module docstring's steps).

        Args:
            headers: the request's headers.
            body: the body exactly as received.
            client_address: the caller's address (for the audit entry).
            user_agent: the caller's User-Agent (for the audit entry).

        Returns:
            The receipt.

        Raises:
            BillingError: a refusal (nothing changed).
        """
        now = self._clock()
        webhook_id = self.verify(headers, body, now)
        event = self.parse(body)
        if isinstance(event, str):
            _log.info("billing.ignored", webhook_id=webhook_id, type=event)
            return Receipt("ignored", webhook_id, event, reason="unknown_event_type", now=now)
        account_id = event.data.account_id
        try:
            return await self._apply(webhook_id, event, body, now, client_address, user_agent)
        except IntegrityError:  # the same delivery committed meanwhile by a concurrent request
            return Receipt("duplicate", webhook_id, event.type, account_id, now=now)

    async def _apply(
        self,
        webhook_id: str,
        event: BillingEvent,
        body: bytes,
        now: float,
        client_address: str | None,
        user_agent: str | None,
    ) -> Receipt:
        account_id = event.data.account_id
        async with self._uow() as uow:
            account = await uow.accounts.get(account_id, for_update=True)
            if await billing_event_seen(uow.connection, webhook_id):
                uow.rollback()
                return Receipt("duplicate", webhook_id, event.type, account_id, now=now)
            if account is None:
                uow.rollback()
                _log.warning(
                    "billing.unknown_account",
                    webhook_id=webhook_id,
                    type=event.type,
                    account_id=account_id,
                )
                return Receipt(
                    "ignored", webhook_id, event.type, account_id, reason="unknown_account", now=now
                )
            who = {
                "actor_id": None,
                "actor_role": self.actor_role,
                "client_address": client_address,
                "user_agent": user_agent,
                "request_id": webhook_id,
            }
            change = await change_membership(
                uow,
                self,
                account_id,
                event,
                now,
                who=who,
                justification=f"billing webhook {event.type} (webhook-id {webhook_id})",
                note={"webhook_id": webhook_id, "event": event.type},
            )
            await record_billing_event(
                uow.connection,
                webhook_id=webhook_id,
                type=event.type,
                account_id=account_id,
                period_end=event.data.current_period_end.timestamp(),
                received_at=now,
                payload=body.decode("utf-8", "replace"),
            )
            terms = None if change is None else change.after
            index = None if change is None else change.index
            changed = change is not None and change.changed
        _log.info(
            "billing.applied",
            webhook_id=webhook_id,
            type=event.type,
            account_id=account_id,
            changed=changed,
        )
        return Receipt(
            "applied",
            webhook_id,
            event.type,
            account_id,
            changed=changed,
            audit_index=index,
            terms=terms,
            now=now,
        )


def _secret_bytes(secret: str) -> bytes:
    """The key of a ``whsec_`` secret, refusing anything else (Standard Webhooks: 24-64 bytes)."""
    problem = "STARLANE_BILLING_WEBHOOK_SECRET must be 'whsec_' + the base64 of 24 to 64 bytes"
    if not secret.startswith("whsec_"):
        raise ValueError(problem)
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(problem) from exc
    if not 24 <= len(key) <= 64:
        raise ValueError(problem)
    return key
