"""Guilds: create, search, join, invite, roles, kick, ban, leave, treasury (``/api/v1/guilds``).

======  ===============================================  =================  ==================
method  path                                             who                answers
======  ===============================================  =================  ==================
POST    ``/guilds``                                      any player         201 the guild
GET     ``/guilds?q=&cursor=&limit=``                    any player         a page of guilds
GET     ``/me/guild``                                    any player         guild, invitations
GET     ``/guilds/{id}``                                 any player         the guild (+treasury
                                                                            for members)
GET     ``/guilds/{id}/members``                         any player         the members
GET     ``/guilds/{id}/requests``                        officer, leader    requests, invites
GET     ``/guilds/{id}/transfers``                       members            latest transfers
POST    ``/guilds/{id}/join``                            non-member         requested / joined
POST    ``/guilds/{id}/requests/{player_id}/accept``     officer, leader    joined
POST    ``/guilds/{id}/requests/{player_id}/reject``     officer, leader    rejected
POST    ``/guilds/{id}/invite`` ``{"player_id"}``        officer, leader    invited / joined
POST    ``/guilds/{id}/invitation/accept`` (``decline``) the invited        joined / declined
POST    ``/guilds/{id}/leave``                           members            left / disbanded
POST    ``/guilds/{id}/members/{player_id}/kick``        officer, leader    kicked
POST    ``/guilds/{id}/members/{player_id}/ban``         officer, leader    banned
DELETE  ``/guilds/{id}/bans/{player_id}``                officer, leader    unbanned
POST    ``/guilds/{id}/members/{player_id}/promote``     leader             officer
POST    ``/guilds/{id}/members/{player_id}/demote``      leader             member
POST    ``/guilds/{id}/leader`` ``{"player_id"}``        leader             the guild
POST    ``/guilds/{id}/deposit`` ``{"amount"}``          members            the transfer
POST    ``/guilds/{id}/withdraw`` ``{"amount",           officer, leader    the transfer
        "to_player_id"}``                                                   (audited)
======  ===============================================  =================  ==================

Refusals: 403 ``forbidden`` (the caller's role does not allow it), 403 ``guild_banned``, 404
``guild_not_found`` / ``guild_request_not_found`` / ``account_not_found``, 409
``guild_name_taken`` / ``guild_tag_taken`` / ``already_in_guild`` / ``not_guild_member`` /
``leader_must_transfer`` / ``guild_treasury_not_empty`` / ``guild_treasury_insufficient`` /
``insufficient_credits`` / ``player_not_in_galaxy``, 422 ``validation_error``, 429
``rate_limited``. Every call counts against the caller's game-command rate.
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request

from starlane.api.deps import GameCaller, client_ip
from starlane.api.errors import ApiError, problem_responses
from starlane.api.schemas.guilds import (
    AmountRequest,
    GuildCreate,
    GuildOut,
    GuildPage,
    MemberList,
    MemberOut,
    MembershipOut,
    MyGuildOut,
    PlayerRequest,
    RequestList,
    RequestOut,
    TransferList,
    TransferOut,
    WithdrawRequest,
)
from starlane.api.services import Services
from starlane.domain.guilds import GuildNotFoundError, check_right
from starlane.engine.guilds import GuildTreasury, TransferResult
from starlane.store.guild_roster import GuildRoster
from starlane.store.guilds import Guild, GuildRepository, JoinRequest, Transfer, search_guilds

router = APIRouter(prefix="/api/v1", tags=["guilds"])

GuildId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the guild's id")]
PlayerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the player's (account) id")]

PROBLEMS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 409, 422, 429, 503)
"""See the module docstring for the codes."""


def _no_messages(*_args: Any) -> None:
    """Reads publish nothing."""


async def _start(caller: GameCaller) -> tuple[Services, GuildRoster, int]:
    services = caller.services
    me = caller.principal.account_id
    await services.limiter.hit("command", f"player:{me}")
    roster = services.guild_roster
    if roster is None:
        raise ApiError(503, "engine_unavailable", "the server is starting")
    return services, roster, me


def _treasury(services: Services) -> GuildTreasury:
    if services.guilds is None:
        raise ApiError(503, "engine_unavailable", "the server is starting")
    return services.guilds


def _guild_out(guild: Guild, role: str | None) -> GuildOut:
    return GuildOut(
        id=guild.id,
        name=guild.name,
        tag=guild.tag,
        leader_id=guild.leader_id,
        member_count=guild.member_count,
        created_at=guild.created_at,
        treasury=guild.treasury if role is not None else None,
        my_role=role,
    )


def _request_out(r: JoinRequest) -> RequestOut:
    return RequestOut(
        guild_id=r.guild_id,
        player_id=r.player_id,
        kind=r.kind,
        by_id=r.by_id,
        created_at=r.created_at,
    )


def _transfer_out(t: Transfer, treasury: int) -> TransferOut:
    return TransferOut(
        transfer_id=t.id,
        guild_id=t.guild_id,
        player_id=t.player_id,
        kind=t.kind,
        amount=t.amount,
        status=t.status,
        error_code=t.error_code,
        treasury=treasury,
    )


def _result_out(result: TransferResult) -> TransferOut:
    return _transfer_out(result.transfer, result.treasury)


async def _known_account(services: Services, player_id: int) -> None:
    if await services.accounts.get(player_id) is None:
        raise ApiError(404, "account_not_found", f"no account {player_id}")


async def _read_guild(services: Services, guild_id: int, me: int) -> tuple[Guild, str | None]:
    async with services.db.connect() as conn:
        repo = GuildRepository(conn, _no_messages)
        guild = await repo.get(guild_id)
        if guild is None:
            raise GuildNotFoundError(f"no guild {guild_id}", guild_id=guild_id)
        member = await repo.member(me)
    return guild, member.role if member is not None and member.guild_id == guild_id else None


# --- guilds ------------------------------------------------------------------------------------
@router.post("/guilds", response_model=GuildOut, status_code=201, responses=PROBLEMS)
async def create_guild(caller: GameCaller, body: GuildCreate) -> GuildOut:
    """Found a guild; the caller becomes its leader. 409 ``guild_name_taken``,
    ``guild_tag_taken`` (case and spacing aside) or ``already_in_guild``."""
    _services, roster, me = await _start(caller)
    guild = await roster.create(me, body.name, body.tag)
    return _guild_out(guild, "leader")


@router.get("/guilds", response_model=GuildPage, responses=PROBLEMS)
async def list_guilds(
    caller: GameCaller,
    q: Annotated[
        str | None, Query(max_length=64, description="text in the name or the tag")
    ] = None,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,10}$", description="next_cursor of the last page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> GuildPage:
    """Guilds by id, a page at a time; ``q`` keeps those whose name or tag contains it."""
    services, _roster, _me = await _start(caller)
    found = await search_guilds(services.db, q, int(cursor) if cursor else 0, limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return GuildPage(
        items=[_guild_out(g, None) for g in page],
        next_cursor=str(page[-1].id) if more and page else None,
    )


@router.get("/me/guild", response_model=MyGuildOut, responses=PROBLEMS)
async def my_guild(caller: GameCaller) -> MyGuildOut:
    """The caller's guild (with its treasury) and their pending invitations and requests."""
    services, _roster, me = await _start(caller)
    async with services.db.connect() as conn:
        repo = GuildRepository(conn, _no_messages)
        member = await repo.member(me)
        guild = None if member is None else await repo.get(member.guild_id)
        pending = await repo.invitations_of(me)
    return MyGuildOut(
        guild=None if guild is None or member is None else _guild_out(guild, member.role),
        invitations=[_request_out(r) for r in pending],
    )


@router.get("/guilds/{guild_id}", response_model=GuildOut, responses=PROBLEMS)
async def get_guild(caller: GameCaller, guild_id: GuildId) -> GuildOut:
    """A guild; its ``treasury`` and the caller's ``my_role`` for members only."""
    services, _roster, me = await _start(caller)
    guild, role = await _read_guild(services, guild_id, me)
    return _guild_out(guild, role)


@router.get("/guilds/{guild_id}/members", response_model=MemberList, responses=PROBLEMS)
async def list_members(caller: GameCaller, guild_id: GuildId) -> MemberList:
    """A guild's members: the leader, the officers, then the members by joining time."""
    services, _roster, me = await _start(caller)
    await _read_guild(services, guild_id, me)
    async with services.db.connect() as conn:
        members = await GuildRepository(conn, _no_messages).members(guild_id)
    return MemberList(
        guild_id=guild_id,
        members=[
            MemberOut(player_id=m.player_id, role=m.role, joined_at=m.joined_at) for m in members
        ],
    )


@router.get("/guilds/{guild_id}/requests", response_model=RequestList, responses=PROBLEMS)
async def list_requests(caller: GameCaller, guild_id: GuildId) -> RequestList:
    """Pending join requests and invitations (officers and the leader)."""
    services, _roster, me = await _start(caller)
    _guild, role = await _read_guild(services, guild_id, me)
    check_right("guild.requests.list", role)
    async with services.db.connect() as conn:
        pending = await GuildRepository(conn, _no_messages).requests(guild_id)
    return RequestList(guild_id=guild_id, requests=[_request_out(r) for r in pending])


@router.get("/guilds/{guild_id}/transfers", response_model=TransferList, responses=PROBLEMS)
async def list_transfers(
    caller: GameCaller, guild_id: GuildId, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> TransferList:
    """The treasury's latest deposits and withdrawals, newest first (members)."""
    services, _roster, me = await _start(caller)
    guild, role = await _read_guild(services, guild_id, me)
    check_right("guild.treasury.view", role)
    async with services.db.connect() as conn:
        found = await GuildRepository(conn, _no_messages).transfers(guild_id, limit)
    return TransferList(guild_id=guild_id, items=[_transfer_out(t, guild.treasury) for t in found])


# --- membership --------------------------------------------------------------------------------
@router.post("/guilds/{guild_id}/join", response_model=MembershipOut, responses=PROBLEMS)
async def join_guild(caller: GameCaller, guild_id: GuildId) -> MembershipOut:
    """Ask to join (``requested``); a player the guild invited joins at once (``joined``).
    403 ``guild_banned``, 409 ``already_in_guild``."""
    _services, roster, me = await _start(caller)
    outcome = await roster.ask_to_join(guild_id, me)
    return MembershipOut(guild_id=guild_id, player_id=me, outcome=outcome)


async def _decide(caller: GameCaller, guild_id: int, player_id: int, accept: bool) -> MembershipOut:
    _services, roster, me = await _start(caller)
    outcome = await roster.decide_request(guild_id, me, player_id, accept)
    return MembershipOut(guild_id=guild_id, player_id=player_id, outcome=outcome)


@router.post(
    "/guilds/{guild_id}/requests/{player_id}/accept",
    response_model=MembershipOut,
    responses=PROBLEMS,
)
async def accept_request(
    caller: GameCaller, guild_id: GuildId, player_id: PlayerId
) -> MembershipOut:
    """Accept a join request (officers and the leader). 404 ``guild_request_not_found``."""
    return await _decide(caller, guild_id, player_id, True)


@router.post(
    "/guilds/{guild_id}/requests/{player_id}/reject",
    response_model=MembershipOut,
    responses=PROBLEMS,
)
async def reject_request(
    caller: GameCaller, guild_id: GuildId, player_id: PlayerId
) -> MembershipOut:
    """Reject a join request (officers and the leader). 404 ``guild_request_not_found``."""
    return await _decide(caller, guild_id, player_id, False)


@router.post("/guilds/{guild_id}/invite", response_model=MembershipOut, responses=PROBLEMS)
async def invite_player(
    caller: GameCaller, guild_id: GuildId, body: PlayerRequest
) -> MembershipOut:
    """Invite a player (officers and the leader); one who had asked to join joins at once."""
    services, roster, me = await _start(caller)
    await _known_account(services, body.player_id)
    outcome = await roster.invite(guild_id, me, body.player_id)
    return MembershipOut(guild_id=guild_id, player_id=body.player_id, outcome=outcome)


@router.post(
    "/guilds/{guild_id}/invitation/{answer}", response_model=MembershipOut, responses=PROBLEMS
)
async def answer_invitation(
    caller: GameCaller,
    guild_id: GuildId,
    answer: Annotated[str, Path(pattern="^(accept|decline)$", description="accept or decline")],
) -> MembershipOut:
    """Accept or decline the guild's invitation (the invited player). 404
    ``guild_request_not_found`` without one."""
    _services, roster, me = await _start(caller)
    outcome = await roster.answer_invitation(guild_id, me, answer == "accept")
    return MembershipOut(guild_id=guild_id, player_id=me, outcome=outcome)


@router.post("/guilds/{guild_id}/leave", response_model=MembershipOut, responses=PROBLEMS)
async def leave_guild(caller: GameCaller, guild_id: GuildId) -> MembershipOut:
    """Leave the guild; the last member's leaving disbands it. 409 ``leader_must_transfer``
    (the leader, with other members) or ``guild_treasury_not_empty``."""
    _services, roster, me = await _start(caller)
    outcome = await roster.leave(guild_id, me)
    return MembershipOut(guild_id=guild_id, player_id=me, outcome=outcome)


@router.post(
    "/guilds/{guild_id}/members/{player_id}/{action}",
    response_model=MembershipOut,
    responses=PROBLEMS,
)
async def act_on_member(
    caller: GameCaller,
    guild_id: GuildId,
    player_id: PlayerId,
    action: Annotated[
        str, Path(pattern="^(kick|ban|promote|demote)$", description="kick, ban, promote, demote")
    ],
) -> MembershipOut:
    """Kick or ban (officers reach plain members, the leader anyone), promote a member to
    officer or demote an officer (the leader). Banning a non-member bars them from joining."""
    services, roster, me = await _start(caller)
    if action in ("kick", "ban"):
        if action == "ban":
            await _known_account(services, player_id)
        outcome = await roster.remove(guild_id, me, player_id, ban=action == "ban")
    else:
        role = "officer" if action == "promote" else "member"
        outcome = await roster.set_role(guild_id, me, player_id, role)
    return MembershipOut(guild_id=guild_id, player_id=player_id, outcome=outcome)


@router.delete(
    "/guilds/{guild_id}/bans/{player_id}", response_model=MembershipOut, responses=PROBLEMS
)
async def unban_player(caller: GameCaller, guild_id: GuildId, player_id: PlayerId) -> MembershipOut:
    """Lift a ban (officers and the leader); ``unbanned``, or ``not_banned`` when none."""
    _services, roster, me = await _start(caller)
    lifted = await roster.unban(guild_id, me, player_id)
    return MembershipOut(
        guild_id=guild_id, player_id=player_id, outcome="unbanned" if lifted else "not_banned"
    )


@router.post("/guilds/{guild_id}/leader", response_model=GuildOut, responses=PROBLEMS)
async def transfer_leadership(
    caller: GameCaller, guild_id: GuildId, body: PlayerRequest
) -> GuildOut:
    """Make another member the leader (the leader); the former leader becomes an officer."""
    _services, roster, me = await _start(caller)
    guild = await roster.transfer_leadership(guild_id, me, body.player_id)
    return _guild_out(guild, "leader" if guild.leader_id == me else "officer")


# --- treasury ----------------------------------------------------------------------------------
@router.post("/guilds/{guild_id}/deposit", response_model=TransferOut, responses=PROBLEMS)
async def deposit(caller: GameCaller, guild_id: GuildId, body: AmountRequest) -> TransferOut:
    """Move credits from the caller (in any region) into the treasury (members). 409
    ``insufficient_credits`` (also when the credits were spent while the deposit was on its
    way: the problem's ``context.transfer_id`` names the failed transfer); 403 ``forbidden``
    for a non-member."""
    services, _roster, me = await _start(caller)
    result = await _treasury(services).deposit(guild_id, me, body.amount)
    transfer = result.transfer
    if transfer.status == "failed":  # refused by the region after the pre-check: nothing moved
        code = transfer.error_code or "insufficient_credits"
        raise ApiError(
            409,
            code,
            f"your region refused the deposit: {code}",
            context={"transfer_id": transfer.id},
        )
    return _result_out(result)


@router.post("/guilds/{guild_id}/withdraw", response_model=TransferOut, responses=PROBLEMS)
async def withdraw(
    request: Request, caller: GameCaller, guild_id: GuildId, body: WithdrawRequest
) -> TransferOut:
    """Pay credits from the treasury to a member in any region (officers and the leader),
    audited (``guild.treasury.withdraw``). 409 ``guild_treasury_insufficient`` or
    ``not_guild_member``."""
    services, _roster, me = await _start(caller)
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    result = await _treasury(services).withdraw(
        guild_id,
        me,
        body.to_player_id,
        body.amount,
        client_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        request_id=None if request_id is None else str(request_id),
    )
    return _result_out(result)
