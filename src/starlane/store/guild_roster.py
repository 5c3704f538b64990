"""Guild membership: create, join requests, invitations, roles, kick, ban, leave, transfer.

Each operation is one unit of work (:class:`~starlane.store.uow.UnitOfWork`): the role check
(:mod:`starlane.domain.guilds`), the change and its outbox message (``guild.*``, addressed to
the guild's members) commit together or not at all. Money is not moved here; see
:mod:`starlane.engine.guilds`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlane.domain.guilds import (
    LEADER,
    MEMBER,
    OFFICER,
    AlreadyInGuildError,
    GuildBannedError,
    GuildForbiddenError,
    GuildNotEmptyError,
    GuildNotFoundError,
    GuildRequestNotFoundError,
    LeaderMustTransferError,
    NotGuildMemberError,
    check_right,
    may_act_on,
)
from starlane.store.guilds import Guild, GuildRepository, Member, guilds_in
from starlane.store.uow import UnitOfWork

__all__ = ["GuildRoster"]

INVITE = "invite"
REQUEST = "request"


async def _guild(repo: GuildRepository, guild_id: int) -> Guild:
    guild = await repo.get(guild_id)
    if guild is None:
        raise GuildNotFoundError(f"no guild {guild_id}", guild_id=guild_id)
    return guild


async def _role_in(repo: GuildRepository, guild_id: int, player_id: int) -> str | None:
    member = await repo.member(player_id)
    return member.role if member is not None and member.guild_id == guild_id else None


async def _target(repo: GuildRepository, guild_id: int, player_id: int) -> Member:
    member = await repo.member(player_id)
    if member is None or member.guild_id != guild_id:
        raise NotGuildMemberError(
            f"player {player_id} is not a member of guild {guild_id}", player_id=player_id
        )
    return member


async def _joinable(repo: GuildRepository, guild_id: int, player_id: int) -> None:
    if await repo.is_banned(guild_id, player_id):
        raise GuildBannedError(f"player {player_id} is banned from guild {guild_id}")
    member = await repo.member(player_id)
    if member is not None:
        raise AlreadyInGuildError(
            f"player {player_id} is a member of guild {member.guild_id}",
            guild_id=member.guild_id,
        )


class GuildRoster:
    """The membership operations of guilds (see the module docstring).

    Args:
        uow: makes units of work.
        clock: unix seconds now.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Callable[[], float]) -> None:
        self._uow = uow
        self._clock = clock

    async def create(self, player_id: int, name: str, tag: str) -> Guild:
        """Found a guild; the founder is its leader.

        Raises:
            AlreadyInGuildError: the founder is in a guild already.
            GuildNameTakenError: the name is taken (``guild_name_taken``).
            GuildTagTakenError: the tag is taken (``guild_tag_taken``).
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            member = await repo.member(player_id)
            if member is not None:
                raise AlreadyInGuildError(
                    f"you are a member of guild {member.guild_id}", guild_id=member.guild_id
                )
            guild = await repo.create(name, tag, player_id, self._clock())
            await repo.publish("guild.created", guild.id, {"name": guild.name, "tag": guild.tag})
            return guild

    async def role_of(self, guild_id: int, player_id: int) -> tuple[Guild, str | None]:
        """A guild and a player's role in it (None: not a member).

        Raises:
            GuildNotFoundError: no such guild.
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            guild = await _guild(repo, guild_id)
            return guild, await _role_in(repo, guild_id, player_id)

    async def ask_to_join(self, guild_id: int, player_id: int) -> str:
        """Ask to join a guild; a player the guild invited joins at once.

        Returns:
            ``joined`` or ``requested`` (asking twice changes nothing).

        Raises:
            GuildNotFoundError, GuildBannedError, AlreadyInGuildError.
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            await _joinable(repo, guild_id, player_id)
            if await repo.request(guild_id, player_id, INVITE) is not None:
                await repo.add_member(guild_id, player_id, MEMBER, self._clock())
                await repo.publish("guild.member_joined", guild_id, {"player_id": player_id})
                return "joined"
            if await repo.add_request(guild_id, player_id, REQUEST, player_id, self._clock()):
                await repo.publish(
                    "guild.join_requested", guild_id, {"player_id": player_id}, also=[player_id]
                )
            return "requested"

    async def decide_request(
        self, guild_id: int, actor_id: int, player_id: int, accept: bool
    ) -> str:
        """Accept or reject a join request (officers and the leader).

        Returns:
            ``joined`` or ``rejected``.

        Raises:
            GuildNotFoundError, GuildForbiddenError, GuildRequestNotFoundError,
            AlreadyInGuildError (the player joined another guild meanwhile; the request is
            dropped).
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            check_right("guild.requests.decide", await _role_in(repo, guild_id, actor_id))
            if await repo.request(guild_id, player_id, REQUEST) is None:
                raise GuildRequestNotFoundError(f"player {player_id} has not asked to join")
            if not accept:
                await repo.delete_request(guild_id, player_id, REQUEST)
                await repo.publish(
                    "guild.request_rejected", guild_id, {"player_id": player_id}, also=[player_id]
                )
                return "rejected"
            await _joinable(repo, guild_id, player_id)
            await repo.add_member(guild_id, player_id, MEMBER, self._clock())
            await repo.publish("guild.member_joined", guild_id, {"player_id": player_id})
            return "joined"

    async def invite(self, guild_id: int, actor_id: int, player_id: int) -> str:
        """Invite a player (officers and the leader); one who asked to join joins at once.

        Returns:
            ``invited`` or ``joined``.

        Raises:
            GuildNotFoundError, GuildForbiddenError, GuildBannedError, AlreadyInGuildError.
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            check_right("guild.invite", await _role_in(repo, guild_id, actor_id))
            await _joinable(repo, guild_id, player_id)
            if await repo.request(guild_id, player_id, REQUEST) is not None:
                await repo.add_member(guild_id, player_id, MEMBER, self._clock())
                await repo.publish("guild.member_joined", guild_id, {"player_id": player_id})
                return "joined"
            if await repo.add_request(guild_id, player_id, INVITE, actor_id, self._clock()):
                await repo.publish(
                    "guild.invited",
                    guild_id,
                    {"player_id": player_id, "by": actor_id},
                    also=[player_id],
                )
            return "invited"

    async def answer_invitation(self, guild_id: int, player_id: int, accept: bool) -> str:
        """Accept or decline an invitation (the invited player).

        Returns:
            ``joined`` or ``declined``.

        Raises:
            GuildNotFoundError, GuildRequestNotFoundError, GuildBannedError,
            AlreadyInGuildError.
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            if await repo.request(guild_id, player_id, INVITE) is None:
                raise GuildRequestNotFoundError(f"guild {guild_id} has not invited you")
            if not accept:
                await repo.delete_request(guild_id, player_id, INVITE)
                await repo.publish("guild.invitation_declined", guild_id, {"player_id": player_id})
                return "declined"
            await _joinable(repo, guild_id, player_id)
            await repo.add_member(guild_id, player_id, MEMBER, self._clock())
            await repo.publish("guild.member_joined", guild_id, {"player_id": player_id})
            return "joined"

    async def leave(self, guild_id: int, player_id: int) -> str:
        """Leave a guild; the last member's leaving disbands it.

        Returns:
            ``left`` or ``disbanded``.

        Raises:
            GuildNotFoundError, GuildForbiddenError (not a member), LeaderMustTransferError
            (the leader, with other members), GuildNotEmptyError (the last member, with
            credits in the treasury or transfers in flight).
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            guild = await _guild(repo, guild_id)
            role = await _role_in(repo, guild_id, player_id)
            check_right("guild.leave", role)
            if role == LEADER:
                if guild.member_count > 1:
                    raise LeaderMustTransferError("transfer the leadership before leaving")
                if guild.treasury > 0 or await repo.pending_amounts(guild_id) > 0:
                    raise GuildNotEmptyError(
                        f"the treasury holds {guild.treasury} credits; withdraw them first",
                        treasury=guild.treasury,
                    )
                await repo.publish("guild.disbanded", guild_id, {"player_id": player_id})
                await repo.remove_member(player_id)
                await repo.delete(guild_id)
                return "disbanded"
            await repo.remove_member(player_id)
            await repo.publish(
                "guild.member_left", guild_id, {"player_id": player_id}, also=[player_id]
            )
            return "left"

    async def remove(self, guild_id: int, actor_id: int, player_id: int, ban: bool) -> str:
        """Kick a member, or ban a player (a member is removed too); officers and the leader.

        An officer reaches plain members only; the leader anyone but themselves.

        Returns:
            ``kicked`` or ``banned``.

        Raises:
            GuildNotFoundError, GuildForbiddenError, NotGuildMemberError (kick of a non-member).
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            role = await _role_in(repo, guild_id, actor_id)
            check_right("guild.ban" if ban else "guild.kick", role)
            assert role is not None
            target = await repo.member(player_id)
            if target is not None and target.guild_id == guild_id:
                if not may_act_on(role, target.role):
                    raise GuildForbiddenError(
                        f"a {role} cannot remove a {target.role}", role=role, target=target.role
                    )
                await repo.remove_member(player_id)
            elif not ban:
                raise NotGuildMemberError(f"player {player_id} is not a member of this guild")
            if ban:
                await repo.ban(guild_id, player_id, actor_id, self._clock())
            outcome = "banned" if ban else "kicked"
            await repo.publish(
                f"guild.member_{outcome}",
                guild_id,
                {"player_id": player_id, "by": actor_id},
                also=[player_id],
            )
            return outcome

    async def unban(self, guild_id: int, actor_id: int, player_id: int) -> bool:
        """Lift a ban (officers and the leader); False when there was none.

        Raises:
            GuildNotFoundError, GuildForbiddenError.
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            check_right("guild.ban", await _role_in(repo, guild_id, actor_id))
            lifted = await repo.unban(guild_id, player_id)
            if lifted:
                await repo.publish("guild.unbanned", guild_id, {"player_id": player_id})
            return lifted

    async def set_role(self, guild_id: int, actor_id: int, player_id: int, role: str) -> str:
        """Promote a member to officer or demote an officer to member (the leader).

        Returns:
            The target's role after.

        Raises:
            GuildNotFoundError, GuildForbiddenError, NotGuildMemberError,
            LeaderMustTransferError (the leader's own role changes only by a transfer).
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            action = "guild.promote" if role == OFFICER else "guild.demote"
            check_right(action, await _role_in(repo, guild_id, actor_id))
            target = await _target(repo, guild_id, player_id)
            if target.role == LEADER:
                raise LeaderMustTransferError("the leader's role changes by a transfer only")
            if target.role != role:
                await repo.set_role(player_id, role)
                await repo.publish(
                    "guild.role_changed", guild_id, {"player_id": player_id, "role": role}
                )
            return role

    async def transfer_leadership(self, guild_id: int, actor_id: int, player_id: int) -> Guild:
        """Make another member the leader; the former leader becomes an officer.

        Raises:
            GuildNotFoundError, GuildForbiddenError, NotGuildMemberError.
        """
        async with self._uow() as uow:
            repo = guilds_in(uow)
            await _guild(repo, guild_id)
            check_right("guild.transfer", await _role_in(repo, guild_id, actor_id))
            target = await _target(repo, guild_id, player_id)
            if target.player_id != actor_id:
                await repo.set_role(player_id, LEADER)
                await repo.set_role(actor_id, OFFICER)
                await repo.set_leader(guild_id, player_id)
                await repo.publish(
                    "guild.leader_changed", guild_id, {"player_id": player_id, "from": actor_id}
                )
            return await _guild(repo, guild_id)
