"""Membership and billing: who is a Galactic Citizen, set by operators or a payment provider.

Two :class:`~starlane.billing.provider.BillingProvider` implementations decide an account's
new membership terms; one writer (:func:`~starlane.billing.provider.change_membership`)
stores them with their audit entry and a ``membership.changed`` message in one unit of work:

- :class:`~starlane.billing.provider.ManualBilling` (source ``manual``): an operator's grant
  or revocation through ``POST /api/v1/admin/accounts/{id}/membership`` or
  ``starlane admin membership`` (:class:`~starlane.audit.actions.AdminActions`);
- :class:`~starlane.billing.webhook.WebhookBilling` (source ``webhook``): a payment
  provider's events, signed per Standard Webhooks, posted to ``POST /api/v1/billing/webhook``.

Lapse is never written: :mod:`starlane.domain.membership` computes the tier in force from the
terms and the time. :class:`~starlane.billing.book.MembershipBook` keeps every account's terms
in memory (loaded at start, kept by the bus) for the hot ``GET /api/v1/me``.
"""

from starlane.billing.book import MembershipBook
from starlane.billing.provider import (
    BillingProvider,
    ManualBilling,
    ManualChange,
    TermsChange,
    change_membership,
)
from starlane.billing.webhook import BillingError, Receipt, WebhookBilling

__all__ = [
    "BillingError",
    "BillingProvider",
    "ManualBilling",
    "ManualChange",
    "MembershipBook",
    "Receipt",
    "TermsChange",
    "WebhookBilling",
    "change_membership",
]
