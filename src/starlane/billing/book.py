"""Every account's membership terms in memory, for the hot reads (``GET /api/v1/me``).

The book is loaded from the database when the server starts (:meth:`MembershipBook.load`) and
kept up to date by the bus (the newest message of an account by outbox position wins, so a
repeated or late message never rolls terms back): it is a listener of ``membership.changed``
messages, which :func:`~starlane.billing.provider.change_membership` adds to the unit of work
that writes the terms: the book learns a change right after it commits, in this process, or
from the outbox publisher's sweep when another process (``starlane admin``) made it. An account
it does not hold has never had terms: its tier is the one it was created with.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.domain.data import Membership
from starlane.domain.envelope import MEMBERSHIP_CHANGED, BusMessage, Envelope
from starlane.domain.membership import MembershipTerms, TermsSource
from starlane.store.membership import all_terms

__all__ = ["KINDS", "MembershipBook"]

KINDS = frozenset({MEMBERSHIP_CHANGED})
"""The bus kinds the book listens to."""

_log = structlog.get_logger("starlane.billing")


class MembershipBook:
    """Account id -> stored membership terms (a bus :class:`~starlane.bus.Listener`)."""

    def __init__(self) -> None:
        self._terms: dict[int, MembershipTerms] = {}
        self._seen: dict[int, int] = {}  # account id -> outbox position of its terms
        self._floor = 0  # messages at or below this position are in the loaded terms

    async def load(self, db: AsyncEngine) -> None:
        """Read every account's terms from the database (at start-up).

        Args:
            db: the database.
        """
        self._terms, self._floor = await all_terms(db)
        self._seen.clear()

    def terms(
        self, account_id: int, created_as: Membership | str = Membership.FREE
    ) -> MembershipTerms:
        """An account's stored terms.

        Args:
            account_id: the account.
            created_as: the tier the account was created with (used when it never had terms).

        Returns:
            The terms.
        """
        found = self._terms.get(account_id)
        return found if found is not None else MembershipTerms(Membership(created_as))

    def deliver(self, messages: Sequence[BusMessage]) -> None:
        """Take the committed ``membership.changed`` messages (the bus calls this)."""
        for message in messages:
            if not isinstance(message, Envelope) or message.kind != MEMBERSHIP_CHANGED:
                continue
            p = message.payload
            try:
                account_id = int(p["account_id"])
                # delivery is at least once and a sweep may repeat an old message: keep the
                # newest terms by outbox position (which follows commit order)
                if message.position <= max(self._floor, self._seen.get(account_id, 0)):
                    continue
                self._seen[account_id] = message.position
                self._terms[account_id] = MembershipTerms(
                    Membership(p["tier"]),
                    None if p.get("expires_at") is None else float(p["expires_at"]),
                    None if p.get("grace_until") is None else float(p["grace_until"]),
                    TermsSource(p.get("source") or TermsSource.MANUAL),
                )
            except (KeyError, TypeError, ValueError):
                _log.warning("membership.bad_message", position=message.position)

    def bus_closed(self) -> None:
        """The bus closed: nothing to do (the book keeps what it knows)."""
