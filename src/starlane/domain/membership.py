"""Membership tiers: whether an account is a Galactic Citizen at a given time.

An account's stored tier (``free`` or ``citizen``) is what an operator or the billing webhook
set last; it holds until its end (``expires_at``, the paid period's end) and, after a failed
payment, until the grace period ends (``grace_until``). Past either, the account is ``free``
again, without anyone having to write that down: :func:`effective_tier` decides it from the
stored terms and the time (``GAME.md``, Multi-regional play, Membership).
"""

from __future__ import annotations

from starlane.domain.data import Membership

__all__ = ["API_TIERS", "effective_tier"]

API_TIERS: dict[Membership, str] = {
    Membership.FREE: "free",
    Membership.CITIZEN: "galactic_citizen",
}
"""A stored tier -> its name in the API (``free``, ``galactic_citizen``)."""


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
