"""The billing webhook: ``POST /api/v1/billing/webhook`` (no bearer token; signed).

A payment provider (or a relay re-signing its events) posts Standard Webhooks deliveries here;
:class:`~starlane.billing.webhook.WebhookBilling` verifies and applies them (see its module
for the steps and answers, and ``docs/billing.md`` for the operator's side). The body is read
as raw bytes: the signature covers the bytes exactly as sent.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from starlane.api.deps import ServicesDep, client_ip
from starlane.api.errors import ApiError, problem_responses
from starlane.api.inputs import json_body_openapi
from starlane.api.schemas.billing import BillingReceiptOut
from starlane.billing.webhook import BillingError, BillingEvent

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])

_HEADERS = [
    {
        "name": name,
        "in": "header",
        "required": True,
        "description": text,
        "schema": {"type": "string", "maxLength": 256, "minLength": 1},
    }
    for name, text in (
        ("webhook-id", "the delivery's unique id (a second delivery of it is applied once)"),
        ("webhook-timestamp", "unix seconds it was signed; at most 5 minutes off either way"),
        ("webhook-signature", "`v1,<base64 HMAC-SHA256>` (space-separated list)"),
    )
]


@router.post(
    "/webhook",
    response_model=BillingReceiptOut,
    responses=problem_responses(400, 401, 413, 422, 503),
    openapi_extra=json_body_openapi(BillingEvent) | {"parameters": _HEADERS},
    summary="Receive a billing provider's event (Standard Webhooks signature)",
)
async def billing_webhook(request: Request, st: ServicesDep) -> JSONResponse:
    """A payment provider's event, signed per Standard Webhooks with
    ``STARLANE_BILLING_WEBHOOK_SECRET`` (no bearer token).

    Events: ``subscription.activated`` and ``subscription.renewed`` (Galactic Citizen until
    ``current_period_end``, grace cleared), ``subscription.cancelled`` (stays a citizen until
    ``current_period_end``, then lapses), ``payment.failed`` (a grace period of
    ``billing_grace_days``, then lapses unless renewed).

    Answers: 200 for every authentic, well-formed delivery (``applied``; ``duplicate`` for a
    ``webhook-id`` applied before; ``ignored`` for an unknown event type or account id);
    401 ``invalid_signature`` or ``timestamp_out_of_range`` (nothing changes); 422
    ``invalid_billing_event``; 503 ``billing_disabled`` when no secret is configured.
    """
    billing = st.billing
    body = await request.body()
    try:
        if billing is None:
            raise BillingError(503, "billing_disabled", "the billing webhook is not configured")
        receipt = await billing.receive(
            request.headers,
            body,
            client_address=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except BillingError as exc:
        raise ApiError(exc.status, exc.code, exc.detail, context=exc.context or None) from exc
    return JSONResponse(receipt.as_json())
