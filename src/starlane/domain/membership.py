"""Membership tiers: whether an account is a Galactic Citizen at a given time, and how the
billing providers' events change an account's membership terms.

An account's stored tier (``free`` or ``citizen``) is what an operator or the billing webhook
set last; it holds until its end (``expires_at``, the paid period's end) and, after a failed
payment, until the grace period ends (``grace_until``). Past either, the account is ``free``
again, without anyone having to write that down: :func:`effective_tier` decides it from the
stored terms and the time (``GAME.md``, Multi-regional play, Membership).

The terms change in two ways, each one pure function here:

- an operator grants or revokes (:func:`manual_terms`, source ``manual``): the tier and its end
  as given, no grace period;
- a payment provider's event (:func:`apply_billing_event`, source ``webhook``):

  ========================== =============================================================
  ``subscription.activated``  Galactic Citizen until ``current_period_end``; grace cleared
  ``subscription.renewed``    the same
  ``subscription.cancelled``  a citizen stays one until ``current_period_end``, then lapses;
                              never makes anyone a citizen; a pending grace period stays
  ``payment.failed``          a citizen keeps the tier for ``grace_days`` from now (a grace
                              period already running is not extended), then lapses unless
                              renewed; never makes anyone a citizen
  ========================== =============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from starlane.domain.data import Membership

__all__ = [
    "API_TIERS",
    "DAY_SECONDS",
    "BillingEventType",
    "MembershipTerms",
    "TermsSource",
    "apply_billing_event",
    "effective_tier",
    "manual_terms",
    "rfc3339",
]

API_TIERS: dict[Membership, str] = {
    Membership.FREE: "free",
    Membership.CITIZEN: "galactic_citizen",
}
"""A stored tier -> its name in the API (``free``, ``galactic_citizen``)."""

DAY_SECONDS = 86_400.0
"""Seconds in a day (grace periods are configured in days)."""


class TermsSource(StrEnum):
    """Who set an account's membership terms last."""

    MANUAL = "manual"
    WEBHOOK = "webhook"


class BillingEventType(StrEnum):
    """The events a billing provider posts to ``POST /api/v1/billing/webhook``."""

    ACTIVATED = "subscription.activated"
    RENEWED = "subscription.renewed"
    CANCELLED = "subscription.cancelled"
    PAYMENT_FAILED = "payment.failed"


def effective_tier(
    stored: Membership | str,
    expires_at: float | None,
    grace_until: float | None,
    now: float,
) -> Membership:
    """The tier an account holds now.

    Args:
        stored: the stored tier (``free`` or ``citizen``).
        expires_at: unix seconds the paid period ends, None for no end.
        grace_until: unix seconds a failed payment's grace period ends, None when no payment
            failed.
        now: unix seconds.

    Returns:
        :attr:`Membership.CITIZEN` while the stored tier is citizen and neither time has
        passed; :attr:`Membership.FREE` otherwise.
    """
    if Membership(stored) is not Membership.CITIZEN:
        return Membership.FREE
    if expires_at is not None and expires_at <= now:
        return Membership.FREE
    if grace_until is not None and grace_until <= now:
        return Membership.FREE
    return Membership.CITIZEN


@dataclass(frozen=True, slots=True)
class MembershipTerms:
    """An account's stored membership terms.

    Attributes:
        tier: the stored tier.
        expires_at: unix seconds the paid period ends, None for no end.
        grace_until: unix seconds a failed payment's grace period ends, None if none.
        source: who set them last.
    """

    tier: Membership = Membership.FREE
    expires_at: float | None = None
    grace_until: float | None = None
    source: TermsSource = TermsSource.MANUAL

    def effective(self, now: float) -> Membership:
        """The tier in force at ``now`` (unix seconds); see :func:`effective_tier`."""
        return effective_tier(self.tier, self.expires_at, self.grace_until, now)

    def api_tier(self, now: float) -> str:
        """The tier in force at ``now`` as the API names it (``free``, ``galactic_citizen``)."""
        return API_TIERS[self.effective(now)]


def manual_terms(tier: Membership, expires_at: float | None) -> MembershipTerms:
    """The terms an operator's grant or revocation sets.

    Args:
        tier: the tier granted (``free`` revokes).
        expires_at: unix seconds it ends, None for no end.

    Returns:
        The terms, source ``manual``, with no grace period.
    """
    return MembershipTerms(Membership(tier), expires_at, None, TermsSource.MANUAL)


def apply_billing_event(
    terms: MembershipTerms,
    event: BillingEventType,
    period_end: float,
    now: float,
    grace_days: float,
) -> MembershipTerms:
    """The terms after a billing provider's event (the table in the module docstring).

    Args:
        terms: the account's terms before.
        event: the event's type.
        period_end: the event's ``current_period_end`` (unix seconds).
        now: unix seconds the event is applied.
        grace_days: days of grace after a failed payment (``billing_grace_days``).

    Returns:
        The terms after; ``terms`` itself when the event changes nothing (a cancellation or
        a failed payment of an account that is not a Galactic Citizen at ``now``).
    """
    if event in (BillingEventType.ACTIVATED, BillingEventType.RENEWED):
        return MembershipTerms(Membership.CITIZEN, period_end, None, TermsSource.WEBHOOK)
    if terms.effective(now) is not Membership.CITIZEN:
        return terms
    if event is BillingEventType.CANCELLED:
        return MembershipTerms(
            Membership.CITIZEN, period_end, terms.grace_until, TermsSource.WEBHOOK
        )
    grace = terms.grace_until if terms.grace_until is not None else now + grace_days * DAY_SECONDS
    return MembershipTerms(Membership.CITIZEN, max(period_end, grace), grace, TermsSource.WEBHOOK)


def rfc3339(ts: float | None) -> str | None:
    """A unix time as RFC 3339 in UTC (``2026-12-06T05:10:00Z``), None for None.

    Args:
        ts: unix seconds, or None.

    Returns:
        The text, or None.
    """
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
