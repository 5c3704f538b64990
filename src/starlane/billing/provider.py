"""The billing provider interface and the one writer of membership terms.

A :class:`BillingProvider` turns one change it receives (an operator's grant, a payment
provider's event) and an account's terms before into its terms after; it never writes.
:func:`change_membership` is the only code that writes terms: in the caller's unit of work it
reads the account's terms, asks the provider, stores the tier (the account row, so
``account.updated`` reaches the bus), the end, the grace period and the source
(``membership_terms``), appends the audit entry with the values before and after, and adds a
``membership.changed`` message: all of it commits together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from starlane.domain.data import Membership
from starlane.domain.envelope import MEMBERSHIP_CHANGED, account_subject
from starlane.domain.membership import (
    API_TIERS,
    MembershipTerms,
    TermsSource,
    manual_terms,
    rfc3339,
)
from starlane.store.membership import read_terms, write_terms

if TYPE_CHECKING:
    from starlane.store.uow import UnitOfWork

__all__ = [
    "BillingProvider",
    "ManualBilling",
    "ManualChange",
    "TermsChange",
    "change_membership",
    "terms_json",
]

C_contra = TypeVar("C_contra", contravariant=True)


class BillingProvider(Protocol[C_contra]):
    """Decides an account's membership terms from one change it receives.

    Attributes:
        source: recorded as ``membership_terms.source`` (``manual``, ``webhook``).
        actor_role: the audit entries' ``actor_role`` (``admin``, ``billing``).
    """

    source: TermsSource
    actor_role: str

    def terms_after(self, before: MembershipTerms, change: C_contra, now: float) -> MembershipTerms:
        """The terms after ``change``.

        Args:
            before: the account's stored terms.
            change: what the provider received.
            now: unix seconds.

        Returns:
            The new terms (``before`` itself when nothing changes).
        """
        ...


@dataclass(frozen=True, slots=True)
class ManualChange:
    """An operator's grant or revocation.

    Attributes:
        tier: the tier to store (``free`` revokes).
        expires_at: unix seconds it ends, None for no end.
    """

    tier: Membership
    expires_at: float | None


class ManualBilling:
    """Operators grant or revoke membership (``source='manual'``; the grace period is
    cleared). Used by :class:`~starlane.audit.actions.AdminActions`."""

    source = TermsSource.MANUAL
    actor_role = "admin"

    def terms_after(
        self, before: MembershipTerms, change: ManualChange, now: float
    ) -> MembershipTerms:
        """The tier and end as given, no grace period (see :func:`manual_terms`)."""
        return manual_terms(change.tier, change.expires_at)


@dataclass(frozen=True, slots=True)
class TermsChange:
    """A membership change that was written (or found to change nothing).

    Attributes:
        before: the terms before.
        after: the terms after.
        index: the audit entry's index (None: nothing changed and no entry was written).
        before_json: the audit entry's ``before``.
        after_json: the audit entry's ``after``.
    """

    before: MembershipTerms
    after: MembershipTerms
    index: int | None
    before_json: dict[str, Any]
    after_json: dict[str, Any]

    @property
    def changed(self) -> bool:
        """Whether the terms changed."""
        return self.after != self.before


def terms_json(terms: MembershipTerms, now: float) -> dict[str, Any]:
    """Terms as an audit entry records them.

    Args:
        terms: the terms.
        now: unix seconds (for the tier in force).

    Returns:
        ``{tier, effective, expires_at, grace_until, source}`` (times RFC 3339 or None;
        ``tier`` the stored tier's API name, ``effective`` the one in force at ``now``).
    """
    return {
        "tier": API_TIERS[terms.tier],
        "effective": terms.api_tier(now),
        "expires_at": rfc3339(terms.expires_at),
        "grace_until": rfc3339(terms.grace_until),
        "source": str(terms.source),
    }


async def change_membership(
    uow: UnitOfWork,
    provider: BillingProvider[C_contra],
    account_id: int,
    change: C_contra,
    now: float,
    *,
    who: dict[str, Any],
    justification: str,
    reverts: int | None = None,
    note: dict[str, Any] | None = None,
    always_audit: bool = False,
) -> TermsChange | None:
    """Apply one change through a provider, in the caller's open unit of work.

    Args:
        uow: the open unit of work (the caller takes the account's row lock first when it
            needs one, e.g. ``uow.accounts.get(id, for_update=True)``).
        provider: decides the terms.
        account_id: the account.
        change: what the provider received.
        now: unix seconds.
        who: the audit entry's actor fields (``actor_id``, ``actor_role``, ``client_address``,
            ``user_agent``, ``request_id``).
        justification: the audit entry's justification.
        reverts: the index of the entry this change reverts.
        note: extra fields for the entry's ``after`` (an approval's id...).
        always_audit: write the entry even when the terms do not change (an operator's action
            is recorded whatever it changed).

    Returns:
        The change, or None when no account has this id (nothing written).
    """
    before = await read_terms(uow.connection, account_id)
    if before is None:
        return None
    after = provider.terms_after(before, change, now)
    before_json = terms_json(before, now)
    after_json = terms_json(after, now) | (note or {})
    if after == before and not always_audit:
        return TermsChange(before, after, None, before_json, after_json)
    if after.tier is not before.tier:
        await uow.accounts.set_membership(account_id, str(after.tier))
    await write_terms(uow.connection, account_id, after)
    stored = await uow.audit.append(
        **who,
        action="membership.change",
        target_kind="account",
        target_id=str(account_id),
        before=before_json,
        after=after_json,
        justification=justification,
        reverts=reverts,
    )
    uow.add_message(
        MEMBERSHIP_CHANGED,
        account_subject(account_id),
        {
            "account_id": account_id,
            "tier": str(after.tier),
            "expires_at": after.expires_at,
            "grace_until": after.grace_until,
            "source": str(after.source),
        },
    )
    return TermsChange(before, after, stored.entry.index, before_json, after_json)
