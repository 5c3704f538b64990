"""Diplomacy over HTTP: agreements lower the next crossing's toll and the next trade's tax,
hostile regions refuse entry, expiry and cancellation, every refusal, audit on both sides,
and relations across a restart (a lost mirror is re-delivered at start-up).

The galaxy is the two-region one (:mod:`tests.api.regions`): the traveller starts in Terran
Space, whose gate leads into the Nexus; the tests give the Nexus (and Terran Space, for the
trade) a governor on the live state, as :func:`~tests.api.regions.cast` does for A and B.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from starlane.domain.diplomacy import SetStance
from starlane.domain.model import NEXUS_REGION_ID, TERRAN_REGION_ID
from tests.api.conftest import PASSWORD, assert_problem, register
from tests.api.regions import REGION_A, REGION_B, ROOT, ROOT_PASSWORD, cast, client_of, login
from tests.api.test_travel import terran_gate, to_gate

pytest_plugins = ("tests.api.region_fixtures",)  # the two-region galaxy's fixtures

DAY = 86_400
NEXUS = NEXUS_REGION_ID


async def _world(app: FastAPI, c: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """The cast, plus ``gov_n`` governing the Nexus (toll 120) and ``traveller``, a citizen of
    region A standing at Terran Space's gate to the Nexus."""
    people = await cast(app, c)
    galaxy = app.state.services.galaxy
    for name in ("gov_n", "traveller"):
        body = await register(c, name)
        people[name] = {"id": body["account"]["id"], "headers": body["headers"]}
    galaxy.region_info(NEXUS).governor_id = people["gov_n"]["id"]
    r = await c.patch(
        f"/api/v1/regions/{NEXUS}/policies", json={"gate_toll": 120}, headers=_h(people, "gov_n")
    )
    assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/regions/{REGION_A}/citizenship", headers=_h(people, "traveller"))
    assert r.status_code == 200, r.text
    await to_gate(c, _h(people, "traveller"), terran_gate(app)[0])
    return people


def _h(people: dict[str, dict[str, Any]], name: str) -> dict[str, str]:
    headers: dict[str, str] = people[name]["headers"]
    return headers


async def _propose(
    c: httpx.AsyncClient, headers: dict[str, str], region_id: int, other: int, **terms: int
) -> dict[str, Any]:
    body = {"other_region_id": other, "toll_discount_pct": 0, "tax_discount_pct": 0, "days": 7}
    r = await c.post(f"/api/v1/regions/{region_id}/agreements", json=body | terms, headers=headers)
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def _post(c: httpx.AsyncClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    r = await c.post(path, headers=headers)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def _cross(app: FastAPI, c: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await c.post(
        "/api/v1/me/move", json={"to_sector_id": terran_gate(app)[1]}, headers=headers
    )


async def _audit(c: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    root = await login(c, ROOT, ROOT_PASSWORD)
    r = await c.get("/api/v1/admin/audit", params=query | {"limit": 500}, headers=root)
    assert r.status_code == 200, r.text
    return sorted(r.json()["items"], key=lambda e: e["index"])


async def test_an_agreement_lowers_the_toll_of_the_next_crossing_and_is_audited_on_both_sides(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await _world(app, c)
        traveller = _h(people, "traveller")
        proposed = await _propose(
            c, _h(people, "gov_n"), NEXUS, REGION_A, toll_discount_pct=50, tax_discount_pct=20
        )
        assert (proposed["id"], proposed["status"]) == (f"{NEXUS}-1", "proposed")
        assert proposed["expires_at"] is None
        # both regions' views show the proposal (the owner's and the mirror)
        for region_id in (NEXUS, REGION_A):
            view = (await c.get(f"/api/v1/regions/{region_id}", headers=traveller)).json()
            assert [a["id"] for a in view["diplomacy"]["agreements"]] == [proposed["id"]]
        # the proposer cannot accept its own proposal: region A's governor does
        r = await c.post(f"/api/v1/agreements/{proposed['id']}/accept", headers=_h(people, "gov_n"))
        assert_problem(r, 403, "forbidden")
        now = app.state.services.clock()
        accepted = await _post(
            c, f"/api/v1/agreements/{proposed['id']}/accept", _h(people, "gov_a")
        )
        assert accepted["status"] == "active"
        assert accepted["accepted_by"] == people["gov_a"]["id"]
        assert accepted["expires_at"] == now + 7 * DAY
        a_view = (await c.get(f"/api/v1/regions/{REGION_A}", headers=traveller)).json()
        assert a_view["diplomacy"]["agreements"][0]["status"] == "active"
        credits = (await c.get("/api/v1/me", headers=traveller)).json()["credits"]
        r = await _cross(app, c, traveller)
        assert r.status_code == 200, r.text
        assert r.json()["toll_paid"] == 60  # 120 less 50%
        me = (await c.get("/api/v1/me", headers=traveller)).json()
        assert me["region_id"] == NEXUS and me["credits"] == credits - 60
        # a player who is no citizen of region A pays the full toll
        other = _h(people, "player")
        await to_gate(c, other, terran_gate(app)[0])
        r = await _cross(app, c, other)
        assert r.status_code == 200 and r.json()["toll_paid"] == 120
        entries = await _audit(c, target_kind="region")
        agreement_entries = [
            (e["action"], e["target_id"], e["after"]["side"], e["actor_id"])
            for e in entries
            if e["action"].startswith("region.agreement.")
        ]
        gov_n, gov_a = people["gov_n"]["id"], people["gov_a"]["id"]
        assert agreement_entries == [
            ("region.agreement.propose", str(NEXUS), "owner", gov_n),
            ("region.agreement.propose", str(REGION_A), "partner", gov_n),
            ("region.agreement.accept", str(NEXUS), "owner", gov_a),
            ("region.agreement.accept", str(REGION_A), "partner", gov_a),
        ]
        accept_entry = next(e for e in entries if e["action"] == "region.agreement.accept")
        assert accept_entry["before"] == {"agreement_id": proposed["id"], "status": "proposed"}
        assert accept_entry["after"]["toll_discount_pct"] == 50
        assert isinstance(accept_entry["after"]["event_position"], int)


async def test_an_agreement_lowers_the_trade_tax_of_the_next_trade_and_its_quote(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        galaxy = app.state.services.galaxy
        body = await register(c, "trader")
        trader = body["headers"]
        r = await c.post(f"/api/v1/regions/{REGION_A}/citizenship", headers=trader)
        assert r.status_code == 200, r.text
        gov_t = await register(c, "gov_t")
        galaxy.region_info(TERRAN_REGION_ID).governor_id = gov_t["account"]["id"]
        query = {"commodity": "fuel", "side": "buy", "quantity": 10}
        full = (await c.get("/api/v1/ports/1/quote", params=query, headers=trader)).json()
        assert full["tax"] == round(full["total"] * 0.10) > 0
        made = await _propose(c, gov_t["headers"], TERRAN_REGION_ID, REGION_A, tax_discount_pct=50)
        await _post(c, f"/api/v1/agreements/{made['id']}/accept", _h(people, "gov_a"))
        quote = (await c.get("/api/v1/ports/1/quote", params=query, headers=trader)).json()
        assert quote["total"] == full["total"]
        assert quote["tax"] == round(full["tax"] / 2)
        treasury = galaxy.region_info(TERRAN_REGION_ID).treasury
        r = await c.post("/api/v1/ports/1/trade", json=query, headers=trader)
        assert r.status_code == 200, r.text
        receipt = r.json()
        assert receipt["tax"] == round(round(receipt["total"] * 0.10) / 2)
        assert galaxy.region_info(TERRAN_REGION_ID).treasury == treasury + receipt["tax"]
        # a player of no agreement's region pays the full tax
        r = await c.post("/api/v1/ports/1/trade", json=query, headers=_h(people, "player"))
        assert r.json()["tax"] == round(r.json()["total"] * 0.10)


async def test_expiry_and_cancellation_end_the_discount(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await _world(app, c)
        clock = app.state.services.clock
        traveller, gov_n, gov_a = (_h(people, n) for n in ("traveller", "gov_n", "gov_a"))
        first = await _propose(c, gov_n, NEXUS, REGION_A, toll_discount_pct=100, days=1)
        await _post(c, f"/api/v1/agreements/{first['id']}/accept", gov_a)
        clock.advance(DAY)  # expires_at is now: the agreement no longer applies
        traveller, gov_n, gov_a = [
            await login(c, name, PASSWORD) for name in ("traveller", "gov_n", "gov_a")
        ]
        got = (await c.get(f"/api/v1/agreements/{first['id']}", headers=traveller)).json()
        assert got["status"] == "expired"
        view = (await c.get(f"/api/v1/regions/{REGION_A}", headers=traveller)).json()
        assert view["diplomacy"]["agreements"] == []
        r = await c.post(f"/api/v1/agreements/{first['id']}/cancel", headers=gov_a)
        assert_problem(r, 409, "agreement_not_open")
        # a new agreement may be made once the first has expired; either party cancels it
        second = await _propose(c, gov_n, NEXUS, REGION_A, toll_discount_pct=100)
        assert second["id"] == f"{NEXUS}-2"
        await _post(c, f"/api/v1/agreements/{second['id']}/accept", gov_a)
        cancelled = await _post(c, f"/api/v1/agreements/{second['id']}/cancel", gov_a)
        assert (cancelled["status"], cancelled["cancelled_by"]) == (
            "cancelled",
            people["gov_a"]["id"],
        )
        r = await c.post(f"/api/v1/agreements/{second['id']}/cancel", headers=gov_n)
        assert_problem(r, 409, "agreement_not_open")
        r = await _cross(app, c, traveller)
        assert r.status_code == 200 and r.json()["toll_paid"] == 120
        listed = (await c.get(f"/api/v1/regions/{REGION_A}/agreements", headers=traveller)).json()
        assert [(a["id"], a["status"]) for a in listed["items"]] == [
            (first["id"], "expired"),
            (second["id"], "cancelled"),
        ]
        page = (
            await c.get(
                f"/api/v1/regions/{NEXUS}/agreements", params={"limit": 1}, headers=traveller
            )
        ).json()
        assert [a["id"] for a in page["items"]] == [first["id"]]
        rest = (
            await c.get(
                f"/api/v1/regions/{NEXUS}/agreements",
                params={"cursor": page["next_cursor"]},
                headers=traveller,
            )
        ).json()
        assert [a["id"] for a in rest["items"]] == [second["id"]]
        assert rest["next_cursor"] is None
        cancels = await _audit(c, action="region.agreement.cancel")
        assert [(e["target_id"], e["before"]["status"]) for e in cancels] == [
            (str(NEXUS), "active"),
            (str(REGION_A), "active"),
        ]


async def test_a_hostile_region_refuses_entry_to_the_others_citizens(
    regions_factory: Callable[..., FastAPI],
) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await _world(app, c)
        traveller, gov_n = _h(people, "traveller"), _h(people, "gov_n")
        stance = f"/api/v1/regions/{NEXUS}/stances/{REGION_A}"
        r = await c.put(stance, json={"stance": "hostile", "refuse_entry": True}, headers=gov_n)
        assert r.status_code == 200, r.text
        assert r.json() | {"set_at": 0} == {
            "region_id": NEXUS,
            "other_region_id": REGION_A,
            "stance": "hostile",
            "refuse_entry": True,
            "set_at": 0,
        }
        view = (await c.get(f"/api/v1/regions/{REGION_A}", headers=traveller)).json()
        towards = view["diplomacy"]["stances_towards"]
        assert [(s["region_id"], s["stance"], s["refuse_entry"]) for s in towards] == [
            (NEXUS, "hostile", True)
        ]
        nexus_view = (await c.get(f"/api/v1/regions/{NEXUS}", headers=traveller)).json()
        assert nexus_view["diplomacy"]["stances"][0]["other_region_id"] == REGION_A
        before = (await c.get("/api/v1/me", headers=traveller)).json()
        body = assert_problem(await _cross(app, c, traveller), 403, "hostile_region")
        assert body["context"]["home_region_id"] == REGION_A
        after = (await c.get("/api/v1/me", headers=traveller)).json()
        assert (after["region_id"], after["sector_id"], after["credits"]) == (
            before["region_id"],
            before["sector_id"],
            before["credits"],
        )
        # hostile without refusing entry lets them in; so does neutral
        r = await c.put(stance, json={"stance": "hostile"}, headers=gov_n)
        assert r.status_code == 200 and r.json()["refuse_entry"] is False
        r = await _cross(app, c, traveller)
        assert r.status_code == 200, r.text
        entries = await _audit(c, action="region.stance.set")
        assert [
            (e["target_id"], e["after"]["side"], e["after"]["refuse_entry"]) for e in entries
        ] == [
            (str(NEXUS), "owner", True),
            (str(REGION_A), "partner", True),
            (str(NEXUS), "owner", False),
            (str(REGION_A), "partner", False),
        ]
        assert entries[2]["before"] == {
            "other_region_id": REGION_A,
            "stance": "hostile",
            "refuse_entry": True,
        }


async def test_every_refusal(regions_factory: Callable[..., FastAPI]) -> None:
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        gov_a, gov_b, player = _h(people, "gov_a"), _h(people, "gov_b"), _h(people, "player")
        stances = f"/api/v1/regions/{REGION_A}/stances"
        agreements = f"/api/v1/regions/{REGION_A}/agreements"
        terms = {"other_region_id": REGION_B, "toll_discount_pct": 10, "tax_discount_pct": 10}
        # who may act
        assert_problem(
            await c.put(f"{stances}/{REGION_B}", json={"stance": "allied"}),
            401,
            "not_authenticated",
        )
        r = await c.put(f"{stances}/{REGION_B}", json={"stance": "allied"}, headers=gov_b)
        assert_problem(r, 403, "forbidden")
        r = await c.post(agreements, json=terms | {"days": 5}, headers=player)
        assert_problem(r, 403, "forbidden")
        # the request itself
        r = await c.put(f"{stances}/{REGION_A}", json={"stance": "allied"}, headers=gov_a)
        assert_problem(r, 422, "same_region")
        r = await c.post(
            agreements, json=terms | {"other_region_id": REGION_A, "days": 5}, headers=gov_a
        )
        assert_problem(r, 422, "same_region")
        r = await c.put(
            f"{stances}/{REGION_B}", json={"stance": "allied", "refuse_entry": True}, headers=gov_a
        )
        assert_problem(r, 422, "invalid_stance")
        for bad in ({"stance": "friendly"}, {"stance": "hostile", "refuse_entry": "yes"}):
            r = await c.put(f"{stances}/{REGION_B}", json=bad, headers=gov_a)
            assert_problem(r, 422, "validation_error")
        for bad_terms in ({"toll_discount_pct": 101}, {"tax_discount_pct": -1}, {"days": 0}):
            r = await c.post(agreements, json=terms | {"days": 5} | bad_terms, headers=gov_a)
            assert_problem(r, 422, "validation_error")
        r = await c.put(f"{stances}/999", json={"stance": "allied"}, headers=gov_a)
        assert_problem(r, 404, "unknown_region")
        r = await c.post(
            agreements, json=terms | {"other_region_id": 999, "days": 5}, headers=gov_a
        )
        assert_problem(r, 404, "unknown_region")
        for path in ("/api/v1/agreements/9-9", "/api/v1/agreements/9-9/accept"):
            method = c.get if path.endswith("9") else c.post
            assert_problem(await method(path, headers=gov_a), 404, "unknown_agreement")
        r = await c.get("/api/v1/agreements/not-an-id", headers=gov_a)
        assert_problem(r, 422, "validation_error")
        # the agreement's life
        made = await _propose(c, gov_a, REGION_A, REGION_B, toll_discount_pct=10)
        r = await c.post(agreements, json=terms | {"days": 5}, headers=gov_a)
        assert_problem(r, 409, "agreement_exists")
        r = await c.post(  # the other side's proposal meets the mirror
            f"/api/v1/regions/{REGION_B}/agreements",
            json=terms | {"other_region_id": REGION_A, "days": 5},
            headers=gov_b,
        )
        assert_problem(r, 409, "agreement_exists")
        r = await c.post(f"/api/v1/agreements/{made['id']}/cancel", headers=player)
        assert_problem(r, 403, "forbidden")
        await _post(c, f"/api/v1/agreements/{made['id']}/accept", gov_b)
        r = await c.post(f"/api/v1/agreements/{made['id']}/accept", headers=gov_b)
        assert_problem(r, 409, "agreement_not_open")
        # a suspended region acts on no relation
        galaxy = app.state.services.galaxy
        galaxy.region_info(REGION_B).active = False
        r = await c.post(f"/api/v1/agreements/{made['id']}/cancel", headers=gov_b)
        assert_problem(r, 403, "region_suspended")
        galaxy.region_info(REGION_B).active = True
        galaxy.region_info(REGION_A).active = False
        r = await c.put(f"{stances}/{REGION_B}", json={"stance": "allied"}, headers=gov_a)
        assert_problem(r, 403, "region_suspended")
        galaxy.region_info(REGION_A).active = True


async def test_relations_survive_a_restart_and_a_lost_mirror_is_delivered_at_start(
    regions_factory: Callable[..., FastAPI],
) -> None:
    first = regions_factory()
    async with first.router.lifespan_context(first), client_of(first) as c:
        people = await cast(first, c)
        made = await _propose(c, _h(people, "gov_a"), REGION_A, REGION_B, toll_discount_pct=30)
        await _post(c, f"/api/v1/agreements/{made['id']}/accept", _h(people, "gov_b"))
        # the crash: region A committed its stance, the mirror at B was never delivered
        galaxy = first.state.services.galaxy
        await galaxy.execute_in(REGION_A, SetStance(people["gov_a"]["id"], REGION_B, "allied"))
        assert REGION_A not in galaxy.region_info(REGION_B).stances_towards
        # a partner whose engine is not running: the owner's change is answered, the mirror
        # waits for the next start
        await galaxy.engines[NEXUS].stop()
        r = await c.put(
            f"/api/v1/regions/{REGION_A}/stances/{NEXUS}",
            json={"stance": "hostile"},
            headers=_h(people, "gov_a"),
        )
        assert r.status_code == 200, r.text
        assert REGION_A not in galaxy.region_info(NEXUS).stances_towards
    for _ in range(2):  # the second start finds nothing to deliver
        again = regions_factory()
        async with again.router.lifespan_context(again), client_of(again) as c:
            galaxy = again.state.services.galaxy
            assert galaxy.region_info(REGION_B).stances_towards[REGION_A].stance == "allied"
            assert galaxy.region_info(NEXUS).stances_towards[REGION_A].stance == "hostile"
            for region_id in (REGION_A, REGION_B):
                agreement = galaxy.region_info(region_id).agreements[made["id"]]
                assert (agreement.status, agreement.toll_discount_pct) == ("active", 30)
            entries = await _audit(c, action="region.stance.set")
            assert [(e["target_id"], e["request_id"] == "recovered") for e in entries] == [
                (str(REGION_A), False),  # answered and audited at once
                (str(REGION_A), True),  # the crash: committed, audited at the next start
                (str(NEXUS), True),  # the mirrors, delivered and audited at the next start
                (str(REGION_B), True),
            ]


async def test_who_may_accept_and_cancel(regions_factory: Callable[..., FastAPI]) -> None:
    """The agreement routes' roles: accepting is the other region's governor's, cancelling
    either governor's; moderators, citizens, players and admins are refused (403)."""
    app = regions_factory()
    async with app.router.lifespan_context(app), client_of(app) as c:
        people = await cast(app, c)
        for verb, allowed in (("accept", {"gov_b"}), ("cancel", {"gov_a", "gov_b"})):
            made = await _propose(c, _h(people, "gov_a"), REGION_A, REGION_B)
            path = f"/api/v1/agreements/{made['id']}/{verb}"
            assert_problem(await c.post(path), 401, "not_authenticated")
            for caller in ("mod_a", "cit_a", "player", "admin", "gov_a", "gov_b"):
                if caller in allowed:
                    continue
                r = await c.post(path, headers=_h(people, caller))
                body = assert_problem(r, 403, "forbidden")
                assert body["context"]["action"] == "region.diplomacy.change"
            winner = sorted(allowed)[-1]
            assert (await _post(c, path, _h(people, winner)))["status"] in ("active", "cancelled")
            if verb == "accept":
                await _post(c, f"/api/v1/agreements/{made['id']}/cancel", _h(people, "gov_a"))
