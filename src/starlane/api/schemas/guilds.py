"""Shapes of the guild routes (``/api/v1/guilds...``, ``/api/v1/me/guild``).

Credits are whole credits. A transfer's ``status`` is ``done`` (the credits arrived),
``pending`` (still on their way: the member is passing a gate), ``failed`` (a deposit the
member's region refused meanwhile; ``error_code`` says why; nothing moved) or ``returned`` (a
withdrawal whose member is in no region: the credits went back into the treasury).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from starlane.api.schemas.common import ApiModel, Id, RequestModel, WholeNumber
from starlane.domain.guilds import NAME_PATTERN, TAG_PATTERN

MAX_AMOUNT = 2**53 - 1
"""Largest amount accepted at the edge."""

Role = Literal["leader", "officer", "member"]
TransferStatus = Literal["pending", "done", "failed", "returned"]


class GuildCreate(RequestModel):
    """A new guild: a unique name and a unique tag (case aside)."""

    name: str = Field(pattern=NAME_PATTERN, description="3-32 letters, digits, spaces, ' and -")
    tag: str = Field(pattern=TAG_PATTERN, description="2-5 letters or digits")


class AmountRequest(RequestModel):
    """Credits to deposit into the guild's treasury."""

    amount: WholeNumber = Field(gt=0, le=MAX_AMOUNT, description="credits, > 0")


class WithdrawRequest(RequestModel):
    """Credits to pay from the guild's treasury to a member."""

    amount: WholeNumber = Field(gt=0, le=MAX_AMOUNT, description="credits, > 0")
    to_player_id: WholeNumber = Field(ge=1, le=2**31 - 1, description="the member paid")


class PlayerRequest(RequestModel):
    """A player named in a body (an invitation, a leadership transfer)."""

    player_id: WholeNumber = Field(ge=1, le=2**31 - 1, description="the player's (account) id")


class GuildOut(ApiModel):
    """A guild; ``treasury`` and ``my_role`` are shown to its members only (null otherwise)."""

    id: Id
    name: str
    tag: str
    leader_id: Id
    member_count: int
    created_at: float
    treasury: int | None = None
    my_role: Role | None = None


class GuildPage(ApiModel):
    """``GET /api/v1/guilds``: one page of guilds by id."""

    items: list[GuildOut]
    next_cursor: str | None = None


class MemberOut(ApiModel):
    """A member: ``player_id`` with ``role`` since ``joined_at`` (unix seconds)."""

    player_id: Id
    role: Role
    joined_at: float


class MemberList(ApiModel):
    """``GET /api/v1/guilds/{id}/members``."""

    guild_id: Id
    members: list[MemberOut]


class RequestOut(ApiModel):
    """A pending join request (``kind`` ``request``) or invitation (``invite``)."""

    guild_id: Id
    player_id: Id
    kind: Literal["request", "invite"]
    by_id: Id
    created_at: float


class RequestList(ApiModel):
    """``GET /api/v1/guilds/{id}/requests`` (officers): pending requests and invitations."""

    guild_id: Id
    requests: list[RequestOut]


class MembershipOut(ApiModel):
    """The outcome of a membership action.

    Attributes:
        guild_id: the guild.
        player_id: the player concerned.
        outcome: ``requested``, ``joined``, ``rejected``, ``invited``, ``declined``, ``left``,
            ``disbanded``, ``kicked``, ``banned``, ``unbanned``, or the role after a promotion
            or demotion.
    """

    guild_id: Id
    player_id: Id
    outcome: str


class TransferOut(ApiModel):
    """A deposit or withdrawal (see the module for ``status``).

    Attributes:
        transfer_id: the transfer's id.
        guild_id: the guild.
        player_id: the member debited (deposit) or paid (withdrawal).
        kind: ``deposit`` or ``withdraw``.
        amount: credits.
        status: where the credits are.
        error_code: why a deposit failed, else null.
        treasury: the guild's treasury now, credits.
    """

    transfer_id: str
    guild_id: Id
    player_id: Id
    kind: Literal["deposit", "withdraw"]
    amount: int
    status: TransferStatus
    error_code: str | None = None
    treasury: int


class TransferList(ApiModel):
    """``GET /api/v1/guilds/{id}/transfers`` (members): the latest transfers, newest first."""

    guild_id: Id
    items: list[TransferOut]


class MyGuildOut(ApiModel):
    """``GET /api/v1/me/guild``: the caller's guild (null when none) and their pending
    invitations and requests."""

    guild: GuildOut | None = None
    invitations: list[RequestOut] = []
