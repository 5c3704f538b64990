"""Who may do what in a region: the regional roles and the one table of region-scoped rights.

A caller's roles in a region follow from their account and the region (``GAME.md``,
Multi-regional play; ``ARCHITECTURE.md``, Regions, roles and the audit log):

- ``admin``: the platform's operators (the account role ``admin``), in every region;
- ``governor``: the region's governor (``Region.governor_id``, event-sourced);
- ``moderator``: appointed by the region's governor (a relational row, ``region_moderators``);
- ``citizen``: a player whose home region it is (``Region.citizens``, event-sourced);
- ``player``: every authenticated player.

:data:`REGION_RIGHTS` says, for each region-scoped action, which roles may take it; the API's
one dependency (:mod:`starlane.api.region_access`) asks :func:`may` and nothing else, so no
route checks roles by hand. An action not in the table is refused to everyone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum

from starlane.domain.model import Region

__all__ = ["REGION_RIGHTS", "RegionRole", "acting_role", "may", "region_roles"]


class RegionRole(StrEnum):
    """A caller's role in one region."""

    ADMIN = "admin"
    GOVERNOR = "governor"
    MODERATOR = "moderator"
    CITIZEN = "citizen"
    PLAYER = "player"


_GOVERNOR = frozenset({RegionRole.GOVERNOR})
_STAFF = frozenset({RegionRole.GOVERNOR, RegionRole.MODERATOR})
_GOVERNOR_OR_ADMIN = frozenset({RegionRole.GOVERNOR, RegionRole.ADMIN})
_ANYONE = frozenset(RegionRole)
_CITIZENS = frozenset({RegionRole.CITIZEN})

REGION_RIGHTS: dict[str, frozenset[RegionRole]] = {
    # governor controls
    "region.policies.change": _GOVERNOR,
    "region.treasury.withdraw": _GOVERNOR,
    "region.moderators.change": _GOVERNOR,
    "region.diplomacy.change": _GOVERNOR,
    # staff (governor and the moderators they appointed)
    "region.permits.change": _STAFF,
    "region.permits.list": _STAFF,
    "region.moderators.list": _STAFF,
    # views
    "region.stats.read": _GOVERNOR_OR_ADMIN,
    "region.read": _ANYONE,
    "region.agreements.list": _ANYONE,
    # any player, for themselves
    "region.citizenship.request": _ANYONE,
    # the citizens' proposals and votes (starlane.domain.proposals)
    "region.proposals.create": _CITIZENS,
    "region.proposals.vote": _CITIZENS,
    "region.proposals.read": _ANYONE,
}
"""Region-scoped action -> the roles that may take it (admins act through the operator
routes, ``/api/v1/admin/regions/...``, not as governors)."""


def region_roles(
    account_id: int,
    account_roles: Iterable[str],
    region: Region,
    moderators: Collection[int] = (),
) -> frozenset[RegionRole]:
    """The roles an account holds in a region.

    Args:
        account_id: the caller's account (= player) id.
        account_roles: the account's platform roles (``"player"``, ``"admin"``, ...).
        region: the region (its governor and citizens).
        moderators: the account ids of the region's moderators.

    Returns:
        The caller's roles there; always includes ``player``.
    """
    roles = {RegionRole.PLAYER}
    if "admin" in account_roles:
        roles.add(RegionRole.ADMIN)
    if region.governor_id is not None and account_id == region.governor_id:
        roles.add(RegionRole.GOVERNOR)
    if account_id in moderators:
        roles.add(RegionRole.MODERATOR)
    if account_id in region.citizens:
        roles.add(RegionRole.CITIZEN)
    return frozenset(roles)


def may(action: str, roles: Collection[RegionRole]) -> bool:
    """Whether holders of ``roles`` may take a region-scoped action.

    Args:
        action: a key of :data:`REGION_RIGHTS`.
        roles: the caller's roles in the region (:func:`region_roles`).

    Returns:
        True when one of the roles is allowed; False for an action not in the table.
    """
    allowed = REGION_RIGHTS.get(action)
    return allowed is not None and not allowed.isdisjoint(roles)


def acting_role(roles: Collection[RegionRole]) -> str:
    """The role a staff action is recorded in (events, audit log): the highest one held.

    Not a permission check (:func:`may` decides those): a governor who is also a moderator
    acts as governor.

    Args:
        roles: the caller's roles in the region (:func:`region_roles`).

    Returns:
        ``governor``, ``moderator``, ``admin``, ``citizen`` or ``player``, the first held.
    """
    for role in (
        RegionRole.GOVERNOR,
        RegionRole.MODERATOR,
        RegionRole.ADMIN,
        RegionRole.CITIZEN,
    ):
        if role in roles:
            return str(role)
    return str(RegionRole.PLAYER)
