"""Who may propose, vote and read, and every refusal of the proposal routes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tests.api.conftest import assert_problem
from tests.api.proposal_helpers import DAY, citizens, make_app, propose, vote
from tests.api.regions import REGION_A, REGION_B, cast, client_of

pytest_plugins = ("tests.api.region_fixtures",)  # the two-region galaxy's fixtures

POLICY = {"kind": "policy", "changes": {"gate_toll": 100}}


async def test_only_citizens_propose_and_vote_every_player_reads(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        [cit_b] = await citizens(c, REGION_B, ["cit_b"])
        cit_a = people["cit_a"]["headers"]
        r = await propose(c, REGION_A, cit_a, POLICY)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        # governor, moderator, plain player, admin and another region's citizen: not citizens
        for name in ("gov_a", "mod_a", "player", "admin"):
            headers = people[name]["headers"]
            body = assert_problem(await propose(c, REGION_A, headers, POLICY), 403, "forbidden")
            assert body["context"]["action"] == "region.proposals.create"
            assert body["context"]["allowed_roles"] == ["citizen"]
            body = assert_problem(await vote(c, pid, headers, "yes"), 403, "forbidden")
            assert body["context"]["action"] == "region.proposals.vote"
        assert_problem(await propose(c, REGION_A, cit_b["headers"], POLICY), 403, "forbidden")
        assert_problem(await vote(c, pid, cit_b["headers"], "yes"), 403, "forbidden")
        # a citizen of B proposes in B, not in A; a citizen of A votes in A
        assert (await propose(c, REGION_B, cit_b["headers"], POLICY)).status_code == 201
        assert (await vote(c, pid, cit_a, "yes")).status_code == 200
        # everyone reads
        for name in ("gov_a", "mod_a", "player", "admin", "gov_b"):
            headers = people[name]["headers"]
            r = await c.get(f"/api/v1/proposals/{pid}", headers=headers)
            assert r.status_code == 200 and r.json()["tally"]["yes"] == 1
            assert r.json()["my_vote"] is None
            r = await c.get(f"/api/v1/regions/{REGION_A}/proposals", headers=headers)
            assert [p["id"] for p in r.json()["items"]] == [pid]


async def test_refusals(regions_factory: Callable[..., FastAPI]) -> None:
    app = make_app(regions_factory, vote_seconds=30 * DAY)
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        cit = people["cit_a"]["headers"]
        # no token, unknown region, unknown proposal
        assert_problem(await propose(c, REGION_A, {}, POLICY), 401, "not_authenticated")
        assert_problem(await vote(c, 1, {}, "yes"), 401, "not_authenticated")
        assert_problem(await c.get("/api/v1/proposals/1"), 401, "not_authenticated")
        assert_problem(await propose(c, 99, cit, POLICY), 404, "unknown_region")
        assert_problem(await vote(c, 12345, cit, "yes"), 404, "unknown_proposal")
        assert_problem(await c.get("/api/v1/proposals/12345", headers=cit), 404, "unknown_proposal")
        # bad bodies
        for body in (
            {"kind": "policy"},
            {"kind": "policy", "changes": {}},
            {"kind": "recall", "changes": {"tax_rate": 0.1}},
            {"kind": "coup"},
            {"kind": "policy", "changes": {"tax_rate": "high"}},
        ):
            assert_problem(await propose(c, REGION_A, cit, body), 422, "validation_error")
        r = await propose(c, REGION_A, cit, {"kind": "policy", "changes": {"tax_rate": 0.3}})
        body = assert_problem(r, 422, "policy_out_of_bounds")
        assert body["context"]["field"] == "tax_rate"
        r = await propose(c, REGION_A, cit, {"kind": "policy", "changes": {"tax_rate": 0.1}})
        assert_problem(r, 422, "proposal_changes_nothing")
        other = app.state.services.galaxy.region_info(REGION_B).name
        r = await propose(c, REGION_A, cit, {"kind": "policy", "changes": {"name": other}})
        assert_problem(r, 409, "name_taken")
        # one open proposal per citizen and region
        r = await propose(c, REGION_A, cit, POLICY)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        assert_problem(await propose(c, REGION_A, cit, {"kind": "recall"}), 409, "proposal_limit")
        assert_problem(await vote(c, pid, cit, "maybe"), 422, "validation_error")
        # cit_a was a citizen before the date was recorded: counted from the region's opening
        body = assert_problem(await vote(c, pid, cit, "yes"), 403, "citizen_too_new")
        app.state.services.clock.advance(7 * DAY)
        assert (await vote(c, pid, cit, "yes")).status_code == 200


async def test_a_suspended_region_takes_no_proposal_and_fails_a_passed_one(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = make_app(regions_factory, vote_min_citizen_days=0)
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        cit = people["cit_a"]["headers"]
        pid = (await propose(c, REGION_A, cit, POLICY)).json()["id"]
        await vote(c, pid, cit, "yes")
        root = people["admin"]["headers"]
        r = await c.post(
            f"/api/v1/admin/regions/{REGION_A}/suspend",
            json={"justification": "inquiry"},
            headers=root,
        )
        assert r.status_code == 200, r.text
        r = await propose(c, REGION_A, cit, {"kind": "recall"})
        assert_problem(r, 403, "region_suspended")
        app.state.services.clock.advance(3 * DAY)
        closed = await app.state.services.proposals.close_due()
        assert [(p.id, p.state, p.failure) for p in closed] == [(pid, "failed", "region_suspended")]
        assert app.state.services.galaxy.region_info(REGION_A).policy.gate_toll == 0
