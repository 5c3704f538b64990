"""Every guild route, called by each role: leader, officer, member, non-member, banned player.

One app, one cast of players; before each call the guild is rebuilt from scratch (rows written
through the roster and the repository, test set-up only): leader ``L``, officer ``O``, members
``M`` and ``T`` (the target of kicks and promotions), a banned player ``B``, a player ``A``
who asked to join, and a non-member ``N`` the guild has invited. The treasury holds 1,000
credits. A mismatch is collected, so one run reports every wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, update

from starlane.store.guilds import guilds_in
from starlane.store.schema import guild_bans, guild_members, guild_requests, guild_transfers, guilds
from tests.api.conftest import register

ROLES = ("leader", "officer", "member", "outsider", "banned")
CALLER = {"leader": "L", "officer": "O", "member": "M", "outsider": "N", "banned": "B"}

OK, F = 200, (403, "forbidden")
IN_GUILD = (409, "already_in_guild")

Call = Callable[[int, dict[str, int]], tuple[str, str, dict[str, Any] | None]]

# (name, request(gid, ids) -> (method, path, body), expected per role in ROLES order)
CASES: list[tuple[str, Call, tuple[Any, ...]]] = [
    ("view", lambda g, i: ("GET", f"/guilds/{g}", None), (OK, OK, OK, OK, OK)),
    ("members", lambda g, i: ("GET", f"/guilds/{g}/members", None), (OK, OK, OK, OK, OK)),
    ("requests", lambda g, i: ("GET", f"/guilds/{g}/requests", None), (OK, OK, F, F, F)),
    ("transfers", lambda g, i: ("GET", f"/guilds/{g}/transfers", None), (OK, OK, OK, F, F)),
    (
        "join",
        lambda g, i: ("POST", f"/guilds/{g}/join", None),
        (IN_GUILD, IN_GUILD, IN_GUILD, OK, (403, "guild_banned")),
    ),
    (
        "accept",
        lambda g, i: ("POST", f"/guilds/{g}/requests/{i['A']}/accept", None),
        (OK, OK, F, F, F),
    ),
    (
        "reject",
        lambda g, i: ("POST", f"/guilds/{g}/requests/{i['A']}/reject", None),
        (OK, OK, F, F, F),
    ),
    (
        "invite",
        lambda g, i: ("POST", f"/guilds/{g}/invite", {"player_id": i["X"]}),
        (OK, OK, F, F, F),
    ),
    (
        "invitation",
        lambda g, i: ("POST", f"/guilds/{g}/invitation/accept", None),
        ((404, "guild_request_not_found"),) * 3 + (OK, (404, "guild_request_not_found")),
    ),
    (
        "leave",
        lambda g, i: ("POST", f"/guilds/{g}/leave", None),
        ((409, "leader_must_transfer"), OK, OK, F, F),
    ),
    (
        "kick",
        lambda g, i: ("POST", f"/guilds/{g}/members/{i['T']}/kick", None),
        (OK, OK, F, F, F),
    ),
    (
        "kick leader",
        lambda g, i: ("POST", f"/guilds/{g}/members/{i['L']}/kick", None),
        (F, F, F, F, F),
    ),
    (
        "kick officer",
        lambda g, i: ("POST", f"/guilds/{g}/members/{i['O']}/kick", None),
        (OK, F, F, F, F),
    ),
    ("ban", lambda g, i: ("POST", f"/guilds/{g}/members/{i['T']}/ban", None), (OK, OK, F, F, F)),
    ("unban", lambda g, i: ("DELETE", f"/guilds/{g}/bans/{i['B']}", None), (OK, OK, F, F, F)),
    (
        "promote",
        lambda g, i: ("POST", f"/guilds/{g}/members/{i['T']}/promote", None),
        (OK, F, F, F, F),
    ),
    (
        "demote",
        lambda g, i: ("POST", f"/guilds/{g}/members/{i['O']}/demote", None),
        (OK, F, F, F, F),
    ),
    (
        "transfer leadership",
        lambda g, i: ("POST", f"/guilds/{g}/leader", {"player_id": i["T"]}),
        (OK, F, F, F, F),
    ),
    (
        "deposit",
        lambda g, i: ("POST", f"/guilds/{g}/deposit", {"amount": 10}),
        (OK, OK, OK, F, F),
    ),
    (
        "withdraw",
        lambda g, i: ("POST", f"/guilds/{g}/withdraw", {"amount": 10, "to_player_id": i["T"]}),
        (OK, OK, F, F, F),
    ),
    (
        "create",
        lambda g, i: ("POST", "/guilds", {"name": "Another Guild", "tag": "ANO"}),
        (IN_GUILD, IN_GUILD, IN_GUILD, 201, 201),
    ),
]


async def _rebuild(app: FastAPI, ids: dict[str, int]) -> int:
    services = app.state.services
    async with services.uow() as uow:
        for table in (guild_requests, guild_bans, guild_members, guild_transfers, guilds):
            await uow.connection.execute(delete(table))
    guild = await services.guild_roster.create(ids["L"], "Matrix Guild", "MTX")
    now = services.clock()
    async with services.uow() as uow:
        repo = guilds_in(uow)
        await repo.add_member(guild.id, ids["O"], "officer", now)
        await repo.add_member(guild.id, ids["M"], "member", now)
        await repo.add_member(guild.id, ids["T"], "member", now)
        await repo.ban(guild.id, ids["B"], ids["L"], now)
        await repo.add_request(guild.id, ids["A"], "request", ids["A"], now)
        await repo.add_request(guild.id, ids["N"], "invite", ids["O"], now)
        await uow.connection.execute(update(guilds).values(treasury=1_000))
    return guild.id


async def test_every_guild_route_for_every_role(app: FastAPI, client: httpx.AsyncClient) -> None:
    cast = {k: await register(client, f"role{k.lower()}") for k in "LOMTBANX"}
    ids = {k: v["account"]["id"] for k, v in cast.items()}
    wrong: list[str] = []
    for name, call, expected in CASES:
        for role, want in zip(ROLES, expected, strict=True):
            gid = await _rebuild(app, ids)
            method, path, body = call(gid, ids)
            r = await client.request(
                method, f"/api/v1{path}", json=body, headers=cast[CALLER[role]]["headers"]
            )
            status, code = (want, None) if isinstance(want, int) else want
            got_code = r.json().get("code") if r.status_code >= 400 else None
            if r.status_code != status or (code is not None and got_code != code):
                wrong.append(f"{name} as {role}: {r.status_code} {got_code}, wanted {want}")
            elif name == "view":
                shown = r.json()["treasury"] is not None
                if shown != (role in ("leader", "officer", "member")):
                    wrong.append(f"view as {role}: treasury shown={shown}")
    assert not wrong, "\n".join(wrong)
