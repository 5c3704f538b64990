"""Citizens' proposals and votes over HTTP: a passed tax change taxes the next trade, quorum,
recall and the admin's appointment, changed votes, too-new citizens, the timer across a
restart, and the audit entries of enactments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from starlane.api.app import create_app
from starlane.domain.data import PORT_CLASSES
from starlane.domain.model import NEXUS_REGION_ID
from starlane.domain.proposals import EnactProposal
from starlane.store.schema import outbox
from tests.api.conftest import FakeClock, assert_problem, make_settings
from tests.api.proposal_helpers import DAY, citizens, make_app, propose, vote, wait_closed
from tests.api.regions import REGION_A, ROOT, ROOT_PASSWORD, cast, client_of, login
from tests.conftest import postgres_unavailable_reason

pytest_plugins = ("tests.api.region_fixtures",)  # the two-region galaxy's fixtures

VOTE_SECONDS = 259_200.0


def _port_selling(app: FastAPI, region_id: int) -> tuple[int, str]:
    state = app.state.services.galaxy.region_state(region_id)
    for port_id in sorted(state.ports):
        sells = PORT_CLASSES[state.ports[port_id].port_class].sells
        if sells:
            return port_id, sells[0]
    raise AssertionError("no selling port")


async def _audit(c: httpx.AsyncClient, action: str) -> list[dict[str, Any]]:
    root = await login(c, ROOT, ROOT_PASSWORD)
    r = await c.get("/api/v1/admin/audit", params={"action": action, "limit": 500}, headers=root)
    assert r.status_code == 200, r.text
    return sorted(r.json()["items"], key=lambda e: e["index"])


async def test_a_passed_proposal_changes_the_tax_of_the_next_trade(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = make_app(regions_factory)
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        voters = await citizens(c, REGION_A, ["ann", "bob", "cyd"])
        clock = app.state.services.clock
        clock.advance(8 * DAY)  # long enough to vote (7 days by default)
        r = await propose(
            c, REGION_A, voters[0]["headers"], {"kind": "policy", "changes": {"tax_rate": 0.2}}
        )
        assert r.status_code == 201, r.text
        created = r.json()
        pid = created["id"]
        assert created["state"] == "open" and created["kind"] == "policy"
        assert created["changes"] == {"tax_rate": 0.2}
        assert created["closes_at"] == created["created_at"] + VOTE_SECONDS
        for who, choice in zip(voters, ("yes", "yes", "no"), strict=True):
            assert (await vote(c, pid, who["headers"], choice)).status_code == 200
        seen = (await c.get(f"/api/v1/proposals/{pid}", headers=voters[2]["headers"])).json()
        assert seen["tally"] == {
            "yes": 2,
            "no": 1,
            "votes": 3,
            "citizens": 4,  # cit_a of the cast and the three
            "quorum_needed": 1,
        }
        assert seen["my_vote"] == "no"
        # a trade before the close still pays the old tax
        pilot = people["player"]["headers"]
        port_id, commodity = _port_selling(app, REGION_A)
        r = await c.post(
            "/api/v1/me/autopilot", json={"to_sector_id": port_id, "execute": True}, headers=pilot
        )
        assert r.status_code == 200, r.text
        trade = {"commodity": commodity, "side": "buy", "quantity": 5}
        r = await c.post(f"/api/v1/ports/{port_id}/trade", json=trade, headers=pilot)
        assert r.status_code == 200, r.text
        assert abs(r.json()["tax"] - r.json()["total"] * 0.10) <= 1
        clock.advance(VOTE_SECONDS)
        closed = await wait_closed(app, c, pid, pilot)
        assert closed["state"] == "passed" and closed["failure"] is None
        assert isinstance(closed["event_position"], int)
        assert closed["tally"]["yes"] == 2 and closed["tally"]["no"] == 1
        r = await c.post(f"/api/v1/ports/{port_id}/trade", json=trade, headers=pilot)
        assert r.status_code == 200, r.text
        receipt = r.json()
        assert abs(receipt["tax"] - receipt["total"] * 0.20) <= 1 and receipt["tax"] > 0
        region = (await c.get(f"/api/v1/regions/{REGION_A}", headers=pilot)).json()
        assert region["policies"]["tax_rate"] == 0.2
        # the vote is closed: no more votes
        assert_problem(await vote(c, pid, voters[2]["headers"], "yes"), 409, "proposal_closed")
        # audited like a governor's change, with the proposal as the actor
        [entry] = await _audit(c, "region.policies.change")
        assert (entry["actor_id"], entry["actor_role"]) == (None, "proposal")
        assert entry["target_id"] == str(REGION_A)
        assert entry["before"] == {"tax_rate": 0.1}
        assert entry["after"]["tax_rate"] == 0.2 and entry["after"]["proposal_id"] == pid
        assert entry["after"]["event_position"] == closed["event_position"]
        # listed, newest first
        r = await c.get(f"/api/v1/regions/{REGION_A}/proposals", headers=pilot)
        assert [p["id"] for p in r.json()["items"]] == [pid]


async def test_without_quorum_nothing_changes(regions_factory: Callable[..., FastAPI]) -> None:
    app = make_app(regions_factory, vote_quorum=0.5, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        await cast(app, c)
        voters = await citizens(c, REGION_A, ["ann", "bob", "cyd", "dee"])
        r = await propose(
            c, REGION_A, voters[0]["headers"], {"kind": "policy", "changes": {"gate_toll": 500}}
        )
        pid = r.json()["id"]
        assert (await vote(c, pid, voters[0]["headers"], "yes")).status_code == 200
        assert (await vote(c, pid, voters[1]["headers"], "yes")).status_code == 200
        seen = (await c.get(f"/api/v1/proposals/{pid}", headers=voters[0]["headers"])).json()
        assert seen["tally"]["quorum_needed"] == 3  # half of five citizens, rounded up
        app.state.services.clock.advance(VOTE_SECONDS)
        closed = await wait_closed(app, c, pid, voters[0]["headers"])
        assert closed["state"] == "no_quorum" and closed["event_position"] is None
        assert app.state.services.galaxy.region_info(REGION_A).policy.gate_toll == 0
        assert await _audit(c, "region.policies.change") == []


async def test_a_majority_of_no_rejects(regions_factory: Callable[..., FastAPI]) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        await cast(app, c)
        voters = await citizens(c, REGION_A, ["ann", "bob"])
        r = await propose(
            c,
            REGION_A,
            voters[0]["headers"],
            {"kind": "policy", "changes": {"regen_multiplier": 1.5}},
        )
        pid = r.json()["id"]
        await vote(c, pid, voters[0]["headers"], "yes")
        await vote(c, pid, voters[1]["headers"], "no")  # a tie rejects
        app.state.services.clock.advance(VOTE_SECONDS)
        closed = await wait_closed(app, c, pid, voters[0]["headers"])
        assert closed["state"] == "rejected"
        assert app.state.services.galaxy.region_info(REGION_A).policy.regen_multiplier == 1.0


async def test_a_vote_can_change_until_the_close(regions_factory: Callable[..., FastAPI]) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        await cast(app, c)
        [ann, bob] = await citizens(c, REGION_A, ["ann", "bob"])
        r = await propose(
            c, REGION_A, ann["headers"], {"kind": "policy", "changes": {"regen_multiplier": 1.5}}
        )
        pid = r.json()["id"]
        r = await vote(c, pid, bob["headers"], "yes")
        assert r.json()["tally"]["yes"] == 1 and r.json()["my_vote"] == "yes"
        r = await vote(c, pid, bob["headers"], "no")
        assert r.status_code == 200, r.text
        tally = r.json()["tally"]
        assert (tally["yes"], tally["no"], r.json()["my_vote"]) == (0, 1, "no")
        app.state.services.clock.advance(VOTE_SECONDS - 1)
        assert (await vote(c, pid, bob["headers"], "yes")).status_code == 200  # 1 s left
        app.state.services.clock.advance(1)
        assert_problem(await vote(c, pid, bob["headers"], "no"), 409, "proposal_closed")
        closed = await wait_closed(app, c, pid, bob["headers"])
        assert closed["state"] == "passed"
        assert (closed["tally"]["yes"], closed["tally"]["no"]) == (1, 0)
        # every change went out through the outbox, on the region's subject
        async with app.state.services.db.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.kind, outbox.c.subject)
                .where(outbox.c.kind.like("proposal.%"))
                .order_by(outbox.c.position)
            )
            sent = [tuple(r) for r in rows]
        kinds = ["proposal.opened"] + ["proposal.voted"] * 3 + ["proposal.closed"]
        assert sent == [(k, f"region.{REGION_A}") for k in kinds]


async def test_a_citizen_votes_after_the_minimum_days(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=7, vote_seconds=30 * DAY)
    async with app.router.lifespan_context(app), client_of(app) as c:
        await cast(app, c)
        clock = app.state.services.clock
        [old] = await citizens(c, REGION_A, ["old"])
        clock.advance(7 * DAY)
        [new] = await citizens(c, REGION_A, ["new"])
        r = await propose(
            c, REGION_A, new["headers"], {"kind": "policy", "changes": {"regen_multiplier": 1.5}}
        )
        assert r.status_code == 201, r.text  # proposing needs no minimum
        pid = r.json()["id"]
        body = assert_problem(await vote(c, pid, new["headers"], "yes"), 403, "citizen_too_new")
        assert body["context"]["eligible_at"] == body["context"]["citizen_since"] + 7 * DAY
        assert (await vote(c, pid, old["headers"], "yes")).status_code == 200
        clock.advance(7 * DAY - 1)
        assert_problem(await vote(c, pid, new["headers"], "yes"), 403, "citizen_too_new")
        clock.advance(1)
        assert (await vote(c, pid, new["headers"], "yes")).status_code == 200


async def test_a_passed_recall_leaves_the_region_without_a_governor(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=0, audit_two_person_actions=[])
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        voters = await citizens(c, REGION_A, ["ann", "bob"])
        r = await propose(c, REGION_A, voters[0]["headers"], {"kind": "recall"})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        for who in voters:
            await vote(c, pid, who["headers"], "yes")
        app.state.services.clock.advance(VOTE_SECONDS)
        closed = await wait_closed(app, c, pid, voters[0]["headers"])
        assert closed["state"] == "passed"
        region = (await c.get(f"/api/v1/regions/{REGION_A}", headers=voters[0]["headers"])).json()
        assert region["governor_id"] is None
        r = await c.patch(
            f"/api/v1/regions/{REGION_A}/policies",
            json={"tax_rate": 0.2},
            headers=people["gov_a"]["headers"],
        )
        assert_problem(r, 403, "forbidden")
        [entry] = await _audit(c, "region.governor.recall")
        assert (entry["actor_id"], entry["actor_role"]) == (None, "proposal")
        assert entry["before"] == {"governor_id": people["gov_a"]["id"]}
        assert entry["after"]["governor_id"] is None and entry["after"]["proposal_id"] == pid
        # nothing left to recall
        r = await propose(c, REGION_A, voters[1]["headers"], {"kind": "recall"})
        assert_problem(r, 409, "no_governor")
        # until an admin appoints one
        root = await login(c, ROOT, ROOT_PASSWORD)
        r = await c.post(
            f"/api/v1/admin/regions/{REGION_A}/transfer",
            json={"governor_id": voters[1]["id"], "justification": "after the recall"},
            headers=root,
        )
        assert r.status_code == 200, r.text
        assert app.state.services.galaxy.region_info(REGION_A).governor_id == voters[1]["id"]


async def test_the_vote_closes_at_start_up_when_it_fell_due_while_down(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        await cast(app, c)
        voters = await citizens(c, REGION_A, ["ann", "bob"])
        headers = voters[0]["headers"]
        r = await propose(c, REGION_A, headers, {"kind": "policy", "changes": {"gate_toll": 250}})
        pid = r.json()["id"]
        r = await propose(
            c,
            REGION_A,
            voters[1]["headers"],
            {"kind": "policy", "changes": {"regen_multiplier": 1.5}},
        )
        later = r.json()["id"]
        await vote(c, pid, headers, "yes")
        clock = app.state.services.clock
    clock.advance(VOTE_SECONDS / 2)
    app = make_app(
        regions_factory, vote_min_citizen_days=0
    )  # a restart before the close: still open
    async with app.router.lifespan_context(app), client_of(app) as c:
        headers = await login(c, "ann", "correct horse battery")
        assert (await c.get(f"/api/v1/proposals/{pid}", headers=headers)).json()["state"] == "open"
        await vote(c, later, headers, "no")
    clock.advance(VOTE_SECONDS)  # both fall due while the server is down
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        headers = await login(c, "ann", "correct horse battery")
        first = (await c.get(f"/api/v1/proposals/{pid}", headers=headers)).json()
        assert first["state"] == "passed"  # closed before the app took a request
        assert app.state.services.galaxy.region_info(REGION_A).policy.gate_toll == 250
        second = (await c.get(f"/api/v1/proposals/{later}", headers=headers)).json()
        assert second["state"] == "rejected"
        assert first["closed_at"] == second["closed_at"] == clock.now


async def test_a_crash_after_the_enactment_is_repaired_at_the_next_start(
    regions_factory: Callable[..., FastAPI],
) -> None:
    """The region committed the enactment, then the server died before the audit entry and
    the close: the next start appends the entry and closes the proposal, changing nothing
    twice."""
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        await cast(app, c)
        [ann] = await citizens(c, REGION_A, ["ann"])
        r = await propose(
            c, REGION_A, ann["headers"], {"kind": "policy", "changes": {"tax_rate": 0.15}}
        )
        pid = r.json()["id"]
        await vote(c, pid, ann["headers"], "yes")
        services = app.state.services
        await services.proposals.stop()  # the timer is "dead" from here on
        await services.galaxy.execute_in(
            REGION_A, EnactProposal(0, pid, "policy", {"tax_rate": 0.15})
        )
        clock = services.clock
    clock.advance(VOTE_SECONDS)
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        headers = await login(c, "ann", "correct horse battery")
        closed = (await c.get(f"/api/v1/proposals/{pid}", headers=headers)).json()
        assert closed["state"] == "passed"
        assert app.state.services.galaxy.region_info(REGION_A).policy.tax_rate == 0.15
        [entry] = await _audit(c, "region.policies.change")
        assert (entry["actor_role"], entry["request_id"]) == ("proposal", "recovered")
        assert entry["after"]["proposal_id"] == pid


_PG = postgres_unavailable_reason()


@pytest.mark.postgres
@pytest.mark.skipif(_PG is not None, reason=_PG or "")
async def test_proposals_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, database_url=postgres_url, vote_min_citizen_days=0, access_token_seconds=10**8
    )
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app), client_of(app) as c:
        voters = await citizens(c, NEXUS_REGION_ID, ["ann", "bob"])
        r = await propose(
            c,
            NEXUS_REGION_ID,
            voters[0]["headers"],
            {"kind": "policy", "changes": {"tax_rate": 0.2}},
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        for who, choice in zip(voters, ("yes", "no"), strict=True):
            await vote(c, pid, who["headers"], choice)
        await vote(c, pid, voters[1]["headers"], "yes")  # changed
    clock.advance(VOTE_SECONDS)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app), client_of(app) as c:
        headers = await login(c, "ann", "correct horse battery")
        closed = (await c.get(f"/api/v1/proposals/{pid}", headers=headers)).json()
        assert closed["state"] == "passed" and closed["tally"]["yes"] == 2
        assert app.state.services.galaxy.region_info(NEXUS_REGION_ID).policy.tax_rate == 0.2
        page = (await c.get(f"/api/v1/regions/{NEXUS_REGION_ID}/proposals", headers=headers)).json()
        assert [p["id"] for p in page["items"]] == [pid] and page["next_cursor"] is None
