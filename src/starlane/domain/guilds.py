"""Guilds: who may do what in a guild, and the refusals' stable codes (pure rules).

A guild is relational data (``ARCHITECTURE.md``, "What is not event-sourced"): its rows live in
:mod:`starlane.store.guilds` and change through a unit of work. This module holds only the rules
every guild route applies, as data and small functions, so one sentence of the design is one
function here:

- a player belongs to at most one guild; members come from any region;
- roles, from most to least powerful: ``leader`` (exactly one), ``officer``, ``member``;
- :data:`RIGHTS` says which roles may take each action; an officer acts only on plain members
  (kick, ban), the leader on anyone but themselves (:func:`may_act_on`);
- a banned player can neither ask to join nor accept an invitation until unbanned;
- the treasury is seen by members only; members deposit, officers and the leader withdraw to a
  member.

The treasury transfers between a guild and a player's region are in
:mod:`starlane.domain.guild_transfers`.
"""

from __future__ import annotations

import re
from typing import Final

from starlane.domain.errors import DomainError

__all__ = [
    "LEADER",
    "MEMBER",
    "NAME_PATTERN",
    "OFFICER",
    "RANK",
    "RIGHTS",
    "ROLES",
    "TAG_PATTERN",
    "AlreadyInGuildError",
    "GuildBannedError",
    "GuildForbiddenError",
    "GuildNameTakenError",
    "GuildNotEmptyError",
    "GuildNotFoundError",
    "GuildRequestNotFoundError",
    "GuildTagTakenError",
    "GuildTreasuryInsufficientError",
    "LeaderMustTransferError",
    "NotGuildMemberError",
    "check_right",
    "may_act_on",
    "name_key",
]

LEADER: Final = "leader"
OFFICER: Final = "officer"
MEMBER: Final = "member"
ROLES: Final = (LEADER, OFFICER, MEMBER)
"""Every guild role, most powerful first."""
RANK: Final = {LEADER: 3, OFFICER: 2, MEMBER: 1}
"""A role's rank: a higher rank outranks a lower one."""

NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9 '\-]{1,30}[A-Za-z0-9]$"
"""A guild name: 3-32 letters, digits, spaces, apostrophes and hyphens, not at either end."""
TAG_PATTERN: Final = r"^[A-Za-z0-9]{2,5}$"
"""A guild tag: 2-5 letters or digits (unique regardless of case)."""

_OFFICERS: Final = frozenset({LEADER, OFFICER})
_ANY: Final = frozenset(ROLES)
_LEADER_ONLY: Final = frozenset({LEADER})

RIGHTS: Final[dict[str, frozenset[str]]] = {
    "guild.treasury.view": _ANY,
    "guild.deposit": _ANY,
    "guild.leave": _ANY,
    "guild.withdraw": _OFFICERS,
    "guild.invite": _OFFICERS,
    "guild.requests.list": _OFFICERS,
    "guild.requests.decide": _OFFICERS,
    "guild.kick": _OFFICERS,
    "guild.ban": _OFFICERS,
    "guild.promote": _LEADER_ONLY,
    "guild.demote": _LEADER_ONLY,
    "guild.transfer": _LEADER_ONLY,
}
"""Action -> the roles that may take it (anyone else is refused with ``forbidden``)."""

_SPACES = re.compile(r"\s+")


# --- errors -----------------------------------------------------------------------------------
class GuildNotFoundError(DomainError):
    """No guild has this id."""

    code = "guild_not_found"
    kind = "not_found"


class GuildNameTakenError(DomainError):
    """Another guild has this name (case and spacing aside)."""

    code = "guild_name_taken"
    kind = "conflict"


class GuildTagTakenError(DomainError):
    """Another guild has this tag (case aside)."""

    code = "guild_tag_taken"
    kind = "conflict"


class GuildForbiddenError(DomainError):
    """The caller's role in the guild (or their not being a member) does not allow this."""

    code = "forbidden"
    kind = "forbidden"


class GuildBannedError(DomainError):
    """The player is banned from this guild."""

    code = "guild_banned"
    kind = "forbidden"


class AlreadyInGuildError(DomainError):
    """The player is a member of a guild already (a player belongs to one guild at most)."""

    code = "already_in_guild"
    kind = "conflict"


class NotGuildMemberError(DomainError):
    """The player named is not a member of this guild."""

    code = "not_guild_member"
    kind = "conflict"


class GuildRequestNotFoundError(DomainError):
    """No pending join request (or invitation) for this player and guild."""

    code = "guild_request_not_found"
    kind = "not_found"


class LeaderMustTransferError(DomainError):
    """The leader leaves, is kicked or demoted while other members remain: transfer first."""

    code = "leader_must_transfer"
    kind = "conflict"


class GuildNotEmptyError(DomainError):
    """The last member cannot disband a guild whose treasury holds credits or has transfers
    in flight (withdraw them first)."""

    code = "guild_treasury_not_empty"
    kind = "conflict"


class GuildTreasuryInsufficientError(DomainError):
    """The guild's treasury holds less than the amount to withdraw."""

    code = "guild_treasury_insufficient"
    kind = "conflict"


# --- rules ------------------------------------------------------------------------------------
def name_key(name: str) -> str:
    """The uniqueness key of a guild name or tag: case-folded, inner spaces collapsed.

    Args:
        name: the name or tag as given.

    Returns:
        The key two guilds may not share.
    """
    return _SPACES.sub(" ", name.strip()).casefold()


def check_right(action: str, role: str | None) -> None:
    """Refuse an action the caller's role does not allow.

    Args:
        action: a key of :data:`RIGHTS`.
        role: the caller's role in the guild, None for a non-member.

    Raises:
        GuildForbiddenError: a non-member, or a role not in ``RIGHTS[action]``.
        KeyError: an unknown action (a programming error).
    """
    allowed = RIGHTS[action]
    if role is None:
        raise GuildForbiddenError(f"{action} is for members of this guild", action=action)
    if role not in allowed:
        raise GuildForbiddenError(
            f"{action} needs the role {' or '.join(sorted(allowed))}, not {role}",
            action=action,
            role=role,
        )


def may_act_on(actor_role: str, target_role: str) -> bool:
    """Whether a kick or a ban by ``actor_role`` may reach a member of ``target_role``.

    The leader reaches officers and members; an officer reaches plain members only.

    Args:
        actor_role: the acting member's role.
        target_role: the target member's role.

    Returns:
        True when the actor outranks the target.
    """
    return RANK.get(actor_role, 0) > RANK.get(target_role, 0)
